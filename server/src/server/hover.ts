/**
 * Hovers: on a lock call, the class, its kind, what is held here and the class's known order;
 * on a call to a workspace function, its summary with the witness chains.
 */
import * as path from 'node:path';
import { type Hover, MarkupKind, type Position } from 'vscode-languageserver/node';
import type { CallInspection } from '../analysis/interproc';
import type { LockUsage, UsageState } from '../analysis/irq-usage';
import type { ChainStep, HeldLock, LockInfo, ParamTest, Summary } from '../analysis/model';
import { isUnknownCallee, unknownCallChain } from '../analysis/unknown-calls';
import { ANY_VALUE, valuesText } from '../analysis/values';
import type { Diagnostic, Engine } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import { chainText } from '../rules/describe';
import { STATE_TEXT, usageStates } from '../rules/usage-describe';

const MAX_ORDER_LINES = 8;

export function hoverAt(
  engine: Engine,
  file: string,
  position: Position,
  findings: readonly Diagnostic[],
): Hover | null {
  const analysis = engine.lastAnalysis;
  if (!analysis) return null;
  const lines: string[] = [];
  // The findings of this line, with how far they can be trusted and why.
  for (const d of findings)
    if (d.file === file && d.range.line <= position.line && position.line <= d.range.endLine)
      lines.push(confidenceLine(d));
  const found = analysis.inspect(file, position.line, position.character);
  if (found) {
    const direct = found.ops.filter((o) => !('chain' in o) || o.chain.length === 1);
    for (const op of direct) {
      if (op.op === 'acquire' || op.op === 'release') {
        lines.push(
          `**${op.op === 'acquire' ? 'Acquires' : 'Releases'}** ${lockText(op.lock)}${op.op === 'acquire' && op.conditional ? ' (only when it succeeds)' : ''}`,
        );
        if (op.op === 'acquire') {
          lines.push(...usageLines(analysis.usage, op.lock.cls));
          lines.push(...orderLines(analysis.graph, op.lock.cls));
        }
      }
    }
    for (const callee of found.callees) lines.push(...summaryLines(callee.fn.name, callee.summary));
    lines.push(...unknownLines(engine, file, found));
    lines.push(...heldLines(found.states.flatMap((s) => s.held)));
  }
  if (lines.length === 0) return null;
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n\n') } };
}

/** `**sleep-in-atomic**: medium confidence — a chain of 9 calls`. */
function confidenceLine(d: Diagnostic): string {
  const why = d.confidenceReasons?.length ? ` — ${d.confidenceReasons.join('; ')}` : '';
  return `**\`${d.rule}\`**: ${d.confidence} confidence${why}`;
}

/**
 * What the analysis assumed: a call to a function with no body and no table entry, or a callee
 * that does not sleep as far as it can see, down to such a call.
 */
function unknownLines(engine: Engine, file: string, found: CallInspection): string[] {
  const name = found.event.callee;
  if (name && isUnknownCallee(name, file, engine.index, engine.knowledge))
    return [`**\`${name}()\`**: unknown (no body in the workspace, no table entry): assumed not to sleep`];
  const out: string[] = [];
  for (const callee of found.callees) {
    if (Object.keys(callee.summary.effects).length) continue; // it sleeps anyway: nothing assumed matters
    const chain = unknownCallChain({ fn: callee.fn, file: callee.file }, engine.index, engine.knowledge);
    if (chain) out.push(`- \`${chainText(chain)}\`: unknown (no body, no table entry): assumed not to sleep`);
  }
  return out;
}

function lockText(lock: LockInfo): string {
  return `${lock.kind.replace('_', ' ')} \`${lock.cls}\` (\`${lock.expr}\`, ${lock.mode})`;
}

function where(step: ChainStep | undefined): string {
  return step ? `${path.basename(step.file)}:${step.range.line + 1}` : 'entry';
}

function heldLines(held: HeldLock[]): string[] {
  const seen = new Set<string>();
  const items: string[] = [];
  for (const h of held) {
    const key = `${h.cls}|${h.expr}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const origin = h.entry ? `held on entry: ${h.entry}` : `taken at ${where(h.chain[0])}`;
    items.push(`- ${h.kind.replace('_', ' ')} \`${h.cls}\` — ${origin}`);
  }
  return items.length ? ['**Held here** (on some path):', ...items] : ['**Held here:** nothing'];
}

/** Lockdep's usage states of the class: "taken in hardirq: `foo_isr`; with hardirqs on: `foo_update`". */
function usageLines(usage: LockUsage, cls: string): string[] {
  const uses = usage.get(cls)?.uses;
  if (!uses?.length) return [];
  const byState = new Map<UsageState, Set<string>>();
  for (const u of uses) byState.set(u.state, (byState.get(u.state) ?? new Set()).add(u.root.name));
  const states = [...byState].map(([state, roots]) => {
    const names = [...roots];
    const shown = names.slice(0, MAX_ORDER_LINES).map((n) => `\`${n}\``);
    return `${STATE_TEXT[state]}: ${shown.join(', ')}${names.length > shown.length ? ', …' : ''}`;
  });
  return [`**Usage** {${usageStates(usage.get(cls)!).join(', ')}}: ${states.join('; ')}`];
}

function orderLines(graph: OrderGraph, cls: string): string[] {
  const edges = graph.edges();
  const before = edges.filter((e) => e.to === cls).sort((a, b) => b.count - a.count);
  const after = edges.filter((e) => e.from === cls).sort((a, b) => b.count - a.count);
  const fmt = (list: typeof edges, pick: (e: (typeof edges)[number]) => string) =>
    list
      .slice(0, MAX_ORDER_LINES)
      .map((e) => `\`${pick(e)}\` (${e.origin === 'static' ? `${e.count}×` : e.origin})`)
      .join(', ');
  const out: string[] = [];
  if (before.length) out.push(`**Taken after:** ${fmt(before, (e) => e.from)}`);
  if (after.length) out.push(`**Taken before:** ${fmt(after, (e) => e.to)}`);
  return out;
}

/** `argument 2 & FOO_SYNC`, `argument 1 is 0`: a parameter test as a hover says it. */
function paramTestText(t: ParamTest): string {
  const arg = `argument ${t.index + 1}`;
  if (t.flag) return `${arg} has ${t.flag} ${t.set ? 'set' : 'clear'}`;
  return `${arg} is ${valuesText(t.values ?? ANY_VALUE)}`;
}

function summaryLines(name: string, s: Summary): string[] {
  const out = [`**\`${name}()\`**`];
  const locks = (l: { lock: LockInfo; chain: ChainStep[] }[]) => l.map((x) => `\`${x.lock.cls}\``).join(', ');
  if (s.acquires.length) out.push(`- returns holding ${locks(s.acquires)}`);
  if (s.releases.length) out.push(`- releases ${locks(s.releases)} (held by the caller)`);
  for (const c of s.cases ?? []) {
    const what = [
      c.acquires.length ? `holding ${locks(c.acquires)}` : '',
      c.releases.length ? `releasing ${locks(c.releases)}` : '',
    ].filter((x) => x);
    const when = c.when?.length ? ` when ${c.when.map((t) => paramTestText(t)).join(' and ')}` : '';
    out.push(
      `- returns ${valuesText(c.returns)}${when}${what.length ? `, ${what.join(', ')}` : ', lock-neutral'}`,
    );
  }
  if (s.inside.length)
    out.push(
      `- takes ${locks(s.inside.slice(0, MAX_ORDER_LINES))}${s.inside.length > MAX_ORDER_LINES ? ', …' : ''}`,
    );
  const effects: [keyof Summary['effects'], string][] = [
    ['sleep', 'may sleep'],
    ['fault', 'may fault on user memory (mmap_lock)'],
    ['reclaim', 'may enter reclaim (fs_reclaim)'],
    ['hotplug', 'takes cpu_hotplug_lock'],
    ['flush', 'waits for work (flush)'],
  ];
  for (const [effect, text] of effects) {
    const chain = s.effects[effect];
    if (chain) out.push(`- ${text}: ${chainText(chain)}`);
  }
  if (out.length === 1) out.push('- lock-neutral');
  return out;
}
