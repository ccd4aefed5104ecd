/**
 * Builds the lock report's data (page-data.ts) from an analysis: the findings, the order graph
 * with every edge's witness, the cycles ranked, and the scan's statistics. Paths and function
 * names are stored once and referred to by index, which keeps a whole-tree report small.
 */
import type { ChainStep } from '../analysis/model';
import type { Diagnostic } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import { RULES } from '../rules/registry';
import { severityText } from '../rules/rule';
import { STATE_TEXT, usageLabel } from '../rules/usage-describe';
import type { ScanStats } from './json';
import {
  type Confidence,
  CONFIDENCES,
  type ClassData,
  type CycleData,
  type EdgeData,
  type FindingData,
  type ReportData,
  type StepData,
  SEVERITY_NAMES,
  commonDirectory,
  compareText,
  lowestConfidence,
  rankCycles,
} from './page-data';

/** A finding's confidence when the analysis gives one (DESIGN.md: high, medium or low). */
export function confidenceOf(d: Diagnostic): Confidence | undefined {
  const value = (d as { confidence?: unknown }).confidence;
  return CONFIDENCES.find((c) => c === value);
}

export function reportData(
  diagnostics: readonly Diagnostic[],
  graph: OrderGraph,
  stats: ScanStats,
): ReportData {
  const files = new Interner();
  const names = new Interner();
  const step = (s: ChainStep): StepData => [
    names.id(s.fn),
    files.id(s.file),
    s.range.line + 1,
    s.range.col + 1,
    names.id(s.callee),
  ];

  const sorted = [...diagnostics].sort(
    (a, b) =>
      SEVERITY_NAMES.indexOf(a.severity) - SEVERITY_NAMES.indexOf(b.severity) ||
      compareText(a.rule, b.rule) ||
      compareText(a.file, b.file) ||
      a.range.line - b.range.line ||
      a.range.col - b.range.col,
  );
  const findings: FindingData[] = sorted.map((d) => {
    const confidence = confidenceOf(d);
    return {
      rule: d.rule,
      severity: d.severity,
      ...(confidence ? { confidence } : {}),
      file: files.id(d.file),
      line: d.range.line + 1,
      col: d.range.col + 1,
      fn: d.function,
      message: d.message,
      related: d.related.map((r) => ({
        file: files.id(r.file),
        line: r.range.line + 1,
        col: r.range.col + 1,
        message: r.message,
      })),
    };
  });

  const classes: ClassData[] = graph.lockClasses().map((c) => ({
    name: c.name,
    kind: c.kind,
    acquisitions: c.acquisitions,
    onCycle: false,
    ...(c.usage?.length
      ? {
          usage: c.usage.map((u) => ({
            text: STATE_TEXT[u.state],
            label: usageLabel(u),
            root: names.id(u.root),
            chain: u.chain.map(step),
          })),
        }
      : {}),
  }));
  const classId = new Map(classes.map((c, i) => [c.name, i]));
  const orderEdges = graph.edges().sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to));
  const edgeId = new Map(orderEdges.map((e, i) => [edgeKey(e.from, e.to), i]));
  const edges: EdgeData[] = orderEdges.map((e) => {
    const w = e.witness;
    return {
      from: classId.get(e.from)!,
      to: classId.get(e.to)!,
      origin: e.origin,
      runtime: e.runtime,
      count: e.count,
      onCycle: false,
      ...(w
        ? {
            witness: {
              fn: names.id(w.fn),
              file: files.id(w.file),
              line: w.range.line + 1,
              col: w.range.col + 1,
              chain: w.chain.map(step),
              held: w.heldChain.map(step),
              ...(w.heldEntry ? { heldEntry: w.heldEntry } : {}),
            },
          }
        : {}),
      ...(e.source ? { source: e.source } : {}),
    };
  });

  // A cycle's findings: the lock-order-cycle findings naming its classes, in its order.
  const cycleFindings = new Map<string, number[]>();
  sorted.forEach((d, i) => {
    if (d.rule !== 'lock-order-cycle') return;
    const key = ringKey(d.classes);
    cycleFindings.set(key, [...(cycleFindings.get(key) ?? []), i]);
  });
  const cycles: CycleData[] = graph.cycles().map((c) => {
    const ids = c.edges.map((e) => edgeId.get(edgeKey(e.from, e.to))!);
    for (const i of ids) edges[i].onCycle = true;
    for (const name of c.classes) classes[classId.get(name)!].onCycle = true;
    const mine = cycleFindings.get(ringKey(c.classes)) ?? [];
    const confidence = lowestConfidence(mine.map((i) => findings[i].confidence));
    return {
      classes: c.classes.map((n) => classId.get(n)!),
      edges: ids,
      allStatic: c.edges.every((e) => e.origin === 'static'),
      ...(confidence ? { confidence } : {}),
      findings: mine,
      depth: c.edges.reduce((sum, e) => sum + (e.witness?.chain.length ?? 0), 0),
    };
  });

  const paths = files.values();
  return {
    version: 1,
    files: paths,
    names: names.values(),
    root: commonDirectory(paths),
    stats: {
      files: stats.files,
      bytes: stats.bytes,
      functions: stats.functions,
      parseMs: Math.round(stats.parseMs),
      analyzeMs: Math.round(stats.analyzeMs),
    },
    rules: RULES.map((r) => ({
      id: r.meta.id,
      summary: r.meta.summary,
      defaultSeverity: r.meta.defaultSeverity,
      severityText: severityText(r.meta),
    })),
    classes,
    edges,
    cycles: rankCycles(cycles, classes),
    findings,
  };
}

/** The same key for every rotation of a cycle (A B C, B C A, C A B), another for A C B. */
function ringKey(classes: readonly string[]): string {
  let start = 0;
  for (let i = 1; i < classes.length; i++) if (classes[i] < classes[start]) start = i;
  return [...classes.slice(start), ...classes.slice(0, start)].join('\u0000');
}

function edgeKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** Strings to dense indices, in order of first use. */
class Interner {
  private readonly ids = new Map<string, number>();

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) this.ids.set(s, (id = this.ids.size));
    return id;
  }

  values(): string[] {
    return [...this.ids.keys()];
  }
}
