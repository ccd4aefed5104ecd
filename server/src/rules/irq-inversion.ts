/**
 * Lockdep's irq-safety checks. "Inconsistent lock state": a class taken in hardirq (softirq)
 * context and elsewhere with hardirqs (softirqs) enabled; the interrupt may arrive on the CPU
 * holding it. "Irq lock inversion": an irq-safe class held while taking one that is taken
 * elsewhere with that interrupt enabled. Both are reported at the irq-unsafe acquisition.
 */
import {
  type ClassUsage,
  type LockUsage,
  type UsageState,
  type UsageUse,
  UNREFERENCED_ROOT,
  tracksUsage,
} from '../analysis/irq-usage';
import type { OrderEdge, OrderGraph } from '../graph/order-graph';
import type { IrqKind } from '../kb/types';
import { chainText } from './describe';
import type { Related, Report, ReportedFinding, Rule } from './rule';
import { usageLabel, usageRelated } from './usage-describe';

/** How far the inversion search follows the order graph from an irq-safe class. */
const MAX_DEPTH = 3;
/**
 * The longest witnesses reported, in calls from the root to the lock. Every path is taken to
 * run; the deeper the chain, the likelier it crosses a dispatch (a switch on a message type, an
 * ops table) whose cases cannot all run in that context.
 */
const MAX_CHAIN = 6;
/**
 * A witness through a call that may reach more functions than this (an irq dispatcher's
 * handler table, an IP block's ops) is not reported: which target runs depends on the event
 * or the device, and the static path pairs ones that never meet.
 */
const MAX_FAN_OUT = 8;

/** A witness short and direct enough to report. */
function reportable(use: UsageUse): boolean {
  return use.chain.length <= MAX_CHAIN && use.widestCall <= MAX_FAN_OUT;
}

const IRQS: IrqKind[] = ['hardirq', 'softirq'];
const IN: Record<IrqKind, UsageState> = { hardirq: 'in-hardirq', softirq: 'in-softirq' };
const ON: Record<IrqKind, UsageState> = { hardirq: 'hardirq-on', softirq: 'softirq-on' };

export const irqInversion: Rule = {
  meta: {
    id: 'irq-inversion',
    defaultSeverity: 'error',
    summary:
      'A lock taken in hardirq/softirq context and elsewhere with that interrupt enabled, or an irq-safe lock held while taking an irq-unsafe one.',
  },
  onUsage(usage, graph, report) {
    const done = new Set<string>();
    for (const irq of IRQS) {
      for (const cls of usage.values()) for (const f of inconsistent(cls, irq)) reportOnce(f, done, report);
      for (const f of inversions(usage, graph, irq)) reportOnce(f, done, report);
    }
  },
};

type Draft = ReportedFinding;

/**
 * One finding per unsafe lock call: the first reason found wins, hardirq before softirq (a
 * lock call unsafe for both needs hardirqs disabled, which covers softirqs).
 */
function reportOnce(f: Draft, done: Set<string>, report: Report): void {
  const key = `${f.file}:${f.range.line}:${f.range.col}`;
  if (done.has(key)) return;
  done.add(key);
  report(f);
}

/** Lockdep: a usage in irq context conflicts with one with irqs enabled unless both are reads. */
function conflicts(inUse: UsageUse, onUse: UsageUse): boolean {
  return inUse.mode === 'write' || onUse.mode === 'write';
}

function shortest(uses: UsageUse[]): UsageUse | undefined {
  let best: UsageUse | undefined;
  for (const u of uses) if (!best || u.chain.length < best.chain.length) best = u;
  return best;
}

function* inconsistent(cls: ClassUsage, irq: IrqKind): Generator<Draft> {
  const inUses = cls.uses.filter((u) => u.state === IN[irq] && reportable(u));
  if (inUses.length === 0) return;
  for (const on of cls.uses) {
    if (on.state !== ON[irq] || !reportable(on)) continue;
    const inUse = shortest(inUses.filter((u) => conflicts(u, on)));
    if (!inUse) continue;
    const name = cls.cls;
    const message = [
      `inconsistent {${usageLabel(inUse)}} -> {${usageLabel(on)}} usage: ${leafCall(on)} takes ${name} with ${irq}s enabled (${chainText(on.chain)}), and ${name} is also taken in ${irq} context (${chainText(inUse.chain)})`,
      ...selfScenario(name),
    ].join('\n');
    yield finding(on, irq, [name], message, [
      ...usageRelated(inUse, name),
      ...usageRelated(on, name).slice(0, -1),
    ]);
  }
}

/**
 * Irq-safe classes ordered before irq-unsafe ones: from each class used in `irq` context,
 * the order graph's edges up to MAX_DEPTH, to a class taken with `irq` enabled (and never in
 * that context: then the inconsistency is reported already).
 */
function* inversions(usage: LockUsage, graph: OrderGraph, irq: IrqKind): Generator<Draft> {
  // Through spinning locks only: a sleeping lock under an irq-safe one is sleep-in-atomic's.
  const spinning = new Set(
    graph.lockClasses().flatMap((c) => (c.kind !== 'unknown' && tracksUsage(c.kind) ? [c.name] : [])),
  );
  const out = new Map<string, OrderEdge[]>();
  for (const e of graph.edges()) {
    if (!spinning.has(e.to)) continue;
    const list = out.get(e.from);
    if (list) list.push(e);
    else out.set(e.from, [e]);
  }
  const found: { safe: UsageUse; path: OrderEdge[]; unsafe: ClassUsage }[] = [];
  for (const cls of usage.values()) {
    const safe = shortest(cls.uses.filter((u) => u.state === IN[irq] && reportable(u)));
    if (!safe) continue;
    const seen = new Set([cls.cls]);
    let frontier: OrderEdge[][] = [[]];
    for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
      const next: OrderEdge[][] = [];
      for (const path of frontier) {
        const at = path.length ? path[path.length - 1].to : cls.cls;
        for (const e of out.get(at) ?? []) {
          if (seen.has(e.to)) continue;
          seen.add(e.to);
          const extended = [...path, e];
          next.push(extended);
          const target = usage.get(e.to);
          if (target && !target.uses.some((u) => u.state === IN[irq]))
            found.push({ safe, path: extended, unsafe: target });
        }
      }
      frontier = next;
    }
  }
  // Shortest paths first: each unsafe lock call keeps the simplest explanation.
  found.sort((a, b) => a.path.length - b.path.length);
  for (const { safe, path, unsafe } of found) {
    const safeCls = path[0].from;
    const unsafeCls = unsafe.cls;
    const chain = [safeCls, ...path.map((e) => e.to)].join(' --> ');
    for (const on of unsafe.uses) {
      if (on.state !== ON[irq] || on.mode !== 'write' || !reportable(on)) continue;
      const message = [
        `${irq} lock inversion: ${leafCall(on)} takes ${unsafeCls} with ${irq}s enabled (${chainText(on.chain)}), but ${safeCls} is taken in ${irq} context (${chainText(safe.chain)}) and held while taking ${unsafeCls}`,
        'Chain exists of:',
        `  ${chain}`,
        ...inversionScenario(safeCls, unsafeCls, irq),
      ].join('\n');
      yield finding(on, irq, [safeCls, unsafeCls], message, [
        ...usageRelated(safe, safeCls),
        ...path.flatMap(edgeRelated),
        ...usageRelated(on, unsafeCls).slice(0, -1),
      ]);
    }
  }
}

function edgeRelated(edge: OrderEdge): Related[] {
  const w = edge.witness;
  if (!w) return [];
  return [
    {
      file: w.file,
      range: w.range,
      message: `${edge.from} --> ${edge.to}: ${chainText(w.chain)} while holding ${edge.from}`,
    },
  ];
}

function leafCall(use: UsageUse): string {
  return `${use.chain[use.chain.length - 1].callee}()`;
}

function finding(on: UsageUse, irq: IrqKind, classes: string[], message: string, related: Related[]): Draft {
  const leaf = on.chain[on.chain.length - 1];
  return {
    rule: 'irq-inversion',
    file: leaf.file,
    range: leaf.range,
    function: leaf.fn,
    message,
    related,
    classes,
    identity: { classes, path: [leaf.callee, irq] },
    evidence: [on.chain],
    ...(on.context === UNREFERENCED_ROOT.label
      ? {
          doubts: [
            `${on.root.name}() runs with ${irq}s enabled only if something outside the workspace calls it: nothing in it calls, stores or registers ${on.root.name}()`,
          ],
        }
      : {}),
    fix: on.wholeSection ? { kind: 'irq-disable', irq } : undefined,
  };
}

/** Lockdep's "Possible unsafe locking scenario" for one lock and an interrupt on the same CPU. */
function selfScenario(cls: string): string[] {
  return [
    '',
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0',
    '       ----',
    `  lock(${cls});`,
    '  <Interrupt>',
    `    lock(${cls});`,
    '',
    ' *** DEADLOCK ***',
  ];
}

/** Lockdep's "Possible interrupt unsafe locking scenario". */
function inversionScenario(safe: string, unsafe: string, irq: IrqKind): string[] {
  const col = 32;
  const pad = (s: string) => ' '.repeat(col) + s;
  return [
    '',
    ' Possible interrupt unsafe locking scenario:',
    '',
    '       CPU0'.padEnd(col) + 'CPU1',
    '       ----'.padEnd(col) + '----',
    `  lock(${unsafe});`,
    pad(irq === 'hardirq' ? 'local_irq_disable();' : 'local_bh_disable();'),
    pad(`lock(${safe});`),
    pad(`lock(${unsafe});`),
    '  <Interrupt>',
    `    lock(${safe});`,
    '',
    ' *** DEADLOCK ***',
  ];
}
