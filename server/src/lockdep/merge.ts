/**
 * Runtime truth into the lock-order graph: the dependencies lockdep reported (the links of a
 * circular report, the order of held locks in any report) and the ones /proc/lockdep lists,
 * mapped to static classes, each with the workspace line that creates it when its stack names a
 * workspace function. Merged into the graph before cycles are computed, a runtime edge can
 * close a cycle that static analysis alone sees only in part.
 *
 *   const edges = runtimeEdgesFrom(parseLockdepReports(dmesg), [parseProcLockdep(dump)], engine);
 *   engine.analyze(edges);   // static edges lockdep confirmed get `runtime`, the others are added
 */
import type { Engine } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import { normaliseClassName } from './classes';
import { locateStack, type SourceSite } from './locate';
import { mapReportClasses, mapRuntimeClass, type ClassMapping } from './map-class';
import { dedupeReports, parseLockdepReports, parseProcLockdep } from './parse';
import { staticView, type StaticView, type StaticViewOptions } from './static-view';
import type { LockdepFrame, LockdepReport, ProcLockdep } from './types';

export {
  mapReportClasses,
  mapRuntimeClass,
  type ClassMapContext,
  type ClassMapping,
  type MapHow,
} from './map-class';
export type { SourceSite } from './locate';
export { staticView, StaticView, type StaticViewOptions } from './static-view';

export const PROC_LOCKDEP_SOURCE = '/proc/lockdep';

export interface RuntimeEdge {
  /** Static classes (or normalised lockdep names when unmapped). */
  from: string;
  to: string;
  /** `lockdep report: <title>` or `/proc/lockdep`. */
  source: string;
  /** The stack lockdep saved for the acquisition of `to` (empty for /proc/lockdep). */
  frames: LockdepFrame[];
  /** The workspace call that creates the edge, from the stack's first workspace frame. */
  witness?: SourceSite;
  /** The class names as lockdep printed them. */
  lockdep: { from: string; to: string };
  mapping: { from: ClassMapping; to: ClassMapping };
}

export interface RuntimeOptions extends StaticViewOptions {
  /** A view already built over the engine's analysis. */
  view?: StaticView;
}

/** Classes whose held order says nothing: recursive readers that lockdep never orders. */
const UNORDERED = /^rcu_read_lock(?:_bh|_sched)?$/;

export function runtimeEdgesFrom(
  reports: readonly LockdepReport[],
  procDumps: readonly ProcLockdep[],
  engine: Engine,
  options: RuntimeOptions = {},
): RuntimeEdge[] {
  const view = options.view ?? staticView(engine, options);
  const learned = new Map<string, ClassMapping>();
  const edges = new Map<string, RuntimeEdge>();
  for (const report of dedupeReports(Array.isArray(reports) ? reports : [])) {
    for (const edge of reportEdges(report, view, learned)) addEdge(edges, edge);
  }
  for (const dump of Array.isArray(procDumps) ? procDumps : []) {
    for (const dep of dump?.deps ?? []) {
      const from = mapRuntimeClass(dep.from, { view, learned });
      const to = mapRuntimeClass(dep.to, { view, learned });
      addEdge(edges, {
        from: from.cls,
        to: to.cls,
        source: PROC_LOCKDEP_SOURCE,
        frames: [],
        lockdep: { from: dep.from, to: dep.to },
        mapping: { from, to },
      });
    }
  }
  return [...edges.values()];
}

/**
 * The same from any text: each is read both as kernel log (reports) and as a /proc/lockdep dump,
 * so a settings list of files need not say which is which.
 */
export function runtimeEdgesFromTexts(
  texts: readonly string[],
  engine: Engine,
  options: RuntimeOptions = {},
): RuntimeEdge[] {
  const reports: LockdepReport[] = [];
  const dumps: ProcLockdep[] = [];
  for (const text of texts) {
    if (typeof text !== 'string') continue;
    reports.push(...parseLockdepReports(text));
    const dump = parseProcLockdep(text);
    if (dump.deps.length > 0) dumps.push(dump);
  }
  return runtimeEdgesFrom(reports, dumps, engine, options);
}

/** The edges one report proves, mapped with that report's evidence. */
export function reportEdges(
  report: LockdepReport,
  view: StaticView,
  learned?: Map<string, ClassMapping>,
  classes: Map<string, ClassMapping> = mapReportClasses(report, view, learned),
): RuntimeEdge[] {
  const source = `lockdep report: ${report.title || `${report.kind} report`}`;
  const mapped = (cls: string) => classes.get(cls) ?? mapRuntimeClass(cls, { view });
  const out: RuntimeEdge[] = [];
  const push = (fromName: string, toName: string, frames: LockdepFrame[]) => {
    const from = mapped(fromName);
    const to = mapped(toName);
    const witness = locateStack(frames, view, { toClass: to.cls, lockName: to.name });
    out.push({
      from: from.cls,
      to: to.cls,
      source,
      frames,
      ...(witness && { witness }),
      lockdep: { from: fromName, to: toName },
      mapping: { from, to },
    });
  };
  for (const link of report.links) push(link.from, link.to, link.frames);
  // Each held lock was taken while the ones before it were held: lockdep recorded those too.
  const held = report.held.filter((h) => !UNORDERED.test(normaliseClassName(h.cls)));
  for (let i = 1; i < held.length; i++) {
    const at = held[i].at;
    push(held[i - 1].cls, held[i].cls, at ? [at] : []);
  }
  return out;
}

/** Adds runtime edges to a graph: known edges are marked `runtime`, unknown ones added. */
export function mergeRuntimeEdges(graph: OrderGraph, edges: readonly RuntimeEdge[]): void {
  for (const e of edges) graph.addRuntime(e.from, e.to, e.source);
}

/** One edge per class pair (the first, with the first witness found); self-edges dropped. */
export function uniqueEdges(edges: readonly RuntimeEdge[]): RuntimeEdge[] {
  const map = new Map<string, RuntimeEdge>();
  for (const e of edges) addEdge(map, e);
  return [...map.values()];
}

function addEdge(edges: Map<string, RuntimeEdge>, edge: RuntimeEdge): void {
  if (edge.from === edge.to) return; // two lockdep classes of one static class: nothing to order
  const key = `${edge.from}\u0000${edge.to}`;
  const known = edges.get(key);
  if (!known) edges.set(key, edge);
  else if (!known.witness && edge.witness) edges.set(key, { ...edge, source: known.source });
}
