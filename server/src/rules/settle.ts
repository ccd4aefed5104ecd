/**
 * What the finished lock-order graph decides about findings, as each rule's metadata says. A
 * dependency rule's finding (an edge `held --> fs_reclaim`) is settled as lockdep settles a new
 * dependency: dropped when declared orders already imply it, an error naming the cycle when a
 * path back closes one, and its rule's `open` severity otherwise.
 */
import type { Cycle, OrderGraph } from '../graph/order-graph';
import { judge, lowerTo } from './confidence';
import { cycleMessage, edgeRelated } from './lock-order-cycle';
import { ruleById } from './registry';
import type { CreatedEdge, Finding, Related } from './rule';

export function settleFindings<T extends Omit<Finding, 'severity'>>(
  findings: readonly T[],
  graph: OrderGraph,
): (T & Finding)[] {
  const out: (T & Finding)[] = [];
  // Edges whose dependency finding names a cycle, at their calls: a lock-order-cycle reported
  // at the same call for the same edge is that same report.
  const named = new Set<string>();
  for (const f of findings) {
    const settled = settle(f, graph);
    if (!settled) continue;
    out.push(settled.finding);
    if (settled.cycle) for (const e of f.creates!) named.add(edgeAt(f, e));
  }
  if (!named.size) return out;
  return out.filter(
    (f) => f.rule !== 'lock-order-cycle' || !f.creates?.every((e) => named.has(edgeAt(f, e))),
  );
}

function settle<T extends Omit<Finding, 'severity'>>(
  f: T,
  graph: OrderGraph,
): { finding: T & Finding; cycle?: boolean } | undefined {
  const meta = ruleById(f.rule)!.meta;
  if (!meta.dependency || !f.creates?.length) return { finding: { ...f, severity: meta.defaultSeverity } };
  const undeclared = f.creates.filter((e) => !graph.declaredOrder(e.from, e.to));
  if (undeclared.length === 0) return undefined;
  let best: Cycle | undefined;
  let via: CreatedEdge | undefined;
  for (const e of undeclared) {
    const cycle = graph.cycleThrough(e.from, e.to);
    if (cycle && (!best || cycle.classes.length < best.classes.length)) [best, via] = [cycle, e];
  }
  if (!best) {
    const open = meta.dependency.open;
    return open === 'off' ? undefined : { finding: { ...f, severity: open } };
  }
  // Worded after the edge that closes the cycle, when the rule said how that one reads.
  const shown = via?.as ?? f;
  const headline = `${shown.message.split('\n')[0]}, closing a cycle`;
  const closing = best.edges.slice(1);
  const back = closing.map(edgeRelated);
  // The error rests on the edges that close the cycle as much as on this one: as lock-order-cycle
  // judges every edge's witness, an edge reached only through an ambiguous call lowers it.
  const closingJudgement = judge(
    closing.flatMap((e) => (e.witness ? [e.witness.chain, e.witness.heldChain] : [])),
  );
  const finding: T & Finding = {
    ...f,
    ...lowerTo(f, closingJudgement),
    severity: meta.defaultSeverity,
    message: cycleMessage(best, 0, headline),
    related: [...shown.related, ...back.filter((r): r is Related => r !== undefined)],
    classes: best.classes,
    // The fingerprint stays the edge's: the rest of the cycle may change without this call changing.
    identity: { classes: f.identity?.classes ?? f.classes, path: f.identity?.path ?? [] },
  };
  return { finding, cycle: true };
}

function edgeAt(f: Pick<Finding, 'file' | 'range'>, e: { from: string; to: string }): string {
  return `${f.file}:${f.range.line}:${f.range.col}:${e.from}>${e.to}`;
}
