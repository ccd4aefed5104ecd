/**
 * Cycles in the lock-order graph, reported at every static edge's witness with lockdep's
 * wording: "Chain exists of", the CPU0/CPU1 unsafe scenario, and one related location per edge.
 */
import { type Cycle, type OrderEdge, isReportable } from '../graph/order-graph';
import { chainEnds, chainText } from './describe';
import type { Related, Rule } from './rule';

export const lockOrderCycle: Rule = {
  meta: {
    id: 'lock-order-cycle',
    defaultSeverity: 'error',
    summary: 'A cycle in the workspace lock-order graph (AB-BA or longer): a possible deadlock.',
  },
  onGraph(graph, report) {
    // One finding per witness line, with the shortest cycle through it (lockdep reports one
    // chain per splat); a line holding several locks creates several edges at once.
    const best = new Map<string, { edge: OrderEdge; cycle: Cycle; i: number }>();
    for (const cycle of graph.cycles()) {
      cycle.edges.forEach((edge, i) => {
        const w = edge.witness;
        if (!isReportable(edge) || !w) return;
        const key = `${w.file}:${w.range.line}:${w.range.col}`;
        const prev = best.get(key);
        if (!prev || prev.cycle.classes.length > cycle.classes.length) best.set(key, { edge, cycle, i });
      });
    }
    for (const { edge, cycle, i } of best.values()) {
      const w = edge.witness!;
      const related = cycle.edges.map(edgeRelated).filter((r): r is Related => r !== undefined);
      report({
        rule: 'lock-order-cycle',
        file: w.file,
        range: w.range,
        function: w.fn,
        message: cycleMessage(cycle, i),
        related,
        classes: cycle.classes,
        creates: [{ from: edge.from, to: edge.to }],
        // The edge this line creates: the rest of the cycle may change without this line changing.
        identity: { classes: [edge.from, edge.to], path: chainEnds(w.chain) },
        // Every edge of the cycle is part of the evidence.
        evidence: cycle.edges.flatMap((e) => (e.witness ? [e.witness.chain, e.witness.heldChain] : [])),
      });
    }
  },
};

export function edgeRelated(edge: OrderEdge): Related | undefined {
  const w = edge.witness;
  if (!w) return undefined;
  const how = `${chainText(w.chain)} while holding ${edge.from}`;
  const notes = [
    edge.runtime ? 'also seen by lockdep at run time' : '',
    edge.declared ? `declared: ${edge.declared}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return {
    file: w.file,
    range: w.range,
    message: `${edge.from} --> ${edge.to}: ${how}${notes ? ` (${notes})` : ''}`,
  };
}

/**
 * The message for the edge `held --> acquired` at index i: lockdep prints the chain from the lock
 * being acquired back to the one held, then the scenario in which two CPUs deadlock. `headline`
 * replaces the first line (a dependency rule says what the call does).
 */
export function cycleMessage(cycle: Cycle, i: number, headline?: string): string {
  const n = cycle.classes.length;
  const held = cycle.classes[i];
  const target = cycle.classes[(i + 1) % n];
  const chain: string[] = [];
  for (let k = 1; k <= n; k++) chain.push(cycle.classes[(i + k) % n]);
  const parent = chain[chain.length - 2];
  const col = 32;
  const pad = (s: string) => ' '.repeat(col) + s;
  const external = cycle.edges
    .filter((e) => e.origin !== 'static')
    .map(
      (e) =>
        `  ${e.from} --> ${e.to}: ${e.origin === 'baseline' ? 'kernel baseline' : 'lockdep report'} (${e.source ?? '?'})`,
    );
  const declared = cycle.edges
    .filter((e) => e.origin === 'static' && e.declared)
    .map((e) => `  ${e.from} --> ${e.to}: ${e.declared}`);
  return [
    headline ?? `possible circular locking dependency: taking ${target} while holding ${held}`,
    'Chain exists of:',
    `  ${chain.join(' --> ')}`,
    ...(external.length ? ['Edges from outside the workspace:', ...external] : []),
    ...(declared.length ? ['Orders declared legal in the workspace:', ...declared] : []),
    '',
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0'.padEnd(col) + 'CPU1',
    '       ----'.padEnd(col) + '----',
    `  lock(${held});`,
    pad(`lock(${parent});`),
    pad(`lock(${held});`),
    `  lock(${target});`,
    '',
    ' *** DEADLOCK ***',
  ].join('\n');
}
