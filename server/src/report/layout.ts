/**
 * Lays out the lock-order graph with ELK (layered, orthogonal edges) in Node, so reports and the
 * VS Code webview get positioned nodes and routed edges as plain JSON and never ship the layout
 * library. Nodes are the lock classes with at least one edge; big graphs are cut down to the
 * classes on cycles and their neighbours.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkApi, ElkExtendedEdge, ElkNode, ElkPoint } from 'elkjs/lib/elk-api';
import type { ChainStep } from '../analysis/model';
import type { EdgeOrigin, OrderEdge, OrderGraph } from '../graph/order-graph';

export const DEFAULT_MAX_NODES = 300;
/**
 * Kernel lock graphs are dense (i915: 114 classes, ~1200 edges); ELK needs seconds per few
 * hundred edges and the drawing stops being readable long before, so edges have a budget too.
 */
export const DEFAULT_MAX_EDGES = 200;

export interface GraphLayoutOptions {
  /** Above this many classes only those on cycles and their neighbours are drawn (default 300). */
  maxNodes?: number;
  /** The same for edges (default 200): the cut keeps the cycles and as many neighbours as fit. */
  maxEdges?: number;
  direction?: 'DOWN' | 'RIGHT';
  edgeRouting?: 'ORTHOGONAL' | 'POLYLINE';
}

export interface LayoutPoint {
  x: number;
  y: number;
}

/** One chain step for display: 1-based line. */
export interface LayoutStep {
  fn: string;
  file: string;
  line: number;
  column: number;
  callee: string;
}

/** Where an edge was created (1-based line and column, as in the CLI). */
export interface LayoutWitness {
  file: string;
  line: number;
  column: number;
  fn: string;
  /** From the call in `fn` down to the acquisition of `to`. */
  chain: LayoutStep[];
  /** Where `from` was taken. */
  held: LayoutStep[];
  heldEntry?: string;
}

export interface LayoutNode {
  /** Stable within one layout: `n0`, `n1`, ... in class-name order. */
  id: string;
  /** The lock class. */
  name: string;
  kind: string;
  acquisitions: number;
  onCycle: boolean;
  /** Top-left corner and size, in SVG user units. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
  /** Node ids of `from` and `to`. */
  source: string;
  target: string;
  /** Start, bends, end (ELK's sections, joined). */
  points: LayoutPoint[];
  onCycle: boolean;
  origin: EdgeOrigin;
  runtime: boolean;
  /** Not seen in the workspace (baseline or runtime only): drawn dashed. */
  dashed: boolean;
  count: number;
  witness?: LayoutWitness;
  /** Kernel function (baseline) or lockdep report (runtime) for edges without a witness. */
  sourceNote?: string;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  /** Classes with at least one edge, and all edges, before any cut. */
  totalNodes: number;
  totalEdges: number;
  truncated: boolean;
  /** Says what was left out, when something was. */
  note?: string;
}

const NODE_HEIGHT = 28;
const CHAR_WIDTH = 7.3; // 12px monospace
const MAX_LABEL = 56;

let elkInstance: ElkApi | undefined;

function elk(): ElkApi {
  elkInstance ??= new ELK();
  return elkInstance;
}

/** The label drawn in a node (long class names are shortened; the full name is in the title). */
export function nodeLabel(name: string): string {
  return name.length > MAX_LABEL ? name.slice(0, MAX_LABEL - 1) + '…' : name;
}

export async function graphLayout(graph: OrderGraph, opts: GraphLayoutOptions = {}): Promise<GraphLayout> {
  const maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES;
  const maxEdges = opts.maxEdges ?? DEFAULT_MAX_EDGES;
  const allEdges = graph.edges();
  const onCycle = graph.classesOnCycles();
  const cycleEdges = new Set(graph.cycles().flatMap((c) => c.edges.map((e) => edgeKey(e))));
  const connected = new Set(allEdges.flatMap((e) => [e.from, e.to]));
  const info = new Map(graph.lockClasses().map((c) => [c.name, c]));

  let keep = connected;
  let note: string | undefined;
  if (connected.size > maxNodes || allEdges.length > maxEdges) {
    const limits = [
      connected.size > maxNodes ? `more than ${maxNodes} classes` : '',
      allEdges.length > maxEdges ? `more than ${maxEdges} edges` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const size = `The graph has ${connected.size} lock classes and ${allEdges.length} edges (${limits})`;
    const cut = neighbourhood(allEdges, onCycle, maxNodes, maxEdges);
    keep = cut.keep;
    const shown = allEdges.filter((e) => keep.has(e.from) && keep.has(e.to)).length;
    const partly = cut.added < cut.candidates ? ' (the closest that fit)' : '';
    note = onCycle.size
      ? `${size}: showing only the ${onCycle.size} classes on cycles and ${cut.added} of their neighbours${partly}, ${shown} edges.`
      : `${size} and no cycles: showing only the ${keep.size} most connected classes, ${shown} edges.`;
  }

  const names = [...keep].sort(compare);
  const ids = new Map(names.map((n, i) => [n, `n${i}`]));
  const nodes: LayoutNode[] = names.map((name) => {
    const c = info.get(name);
    return {
      id: ids.get(name)!,
      name,
      kind: c?.kind ?? 'unknown',
      acquisitions: c?.acquisitions ?? 0,
      onCycle: onCycle.has(name),
      x: 0,
      y: 0,
      w: Math.ceil(nodeLabel(name).length * CHAR_WIDTH + 24),
      h: NODE_HEIGHT,
    };
  });
  const kept = allEdges
    .filter((e) => keep.has(e.from) && keep.has(e.to))
    .sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  const edges: LayoutEdge[] = kept.map((e, i) => ({
    id: `e${i}`,
    from: e.from,
    to: e.to,
    source: ids.get(e.from)!,
    target: ids.get(e.to)!,
    points: [],
    onCycle: cycleEdges.has(edgeKey(e)),
    origin: e.origin,
    runtime: e.runtime,
    dashed: e.origin !== 'static',
    count: e.count,
    witness: e.witness && {
      file: e.witness.file,
      line: e.witness.range.line + 1,
      column: e.witness.range.col + 1,
      fn: e.witness.fn,
      chain: e.witness.chain.map(step),
      held: e.witness.heldChain.map(step),
      ...(e.witness.heldEntry ? { heldEntry: e.witness.heldEntry } : {}),
    },
    ...(e.source ? { sourceNote: e.source } : {}),
  }));
  const base = {
    totalNodes: connected.size,
    totalEdges: allEdges.length,
    truncated: keep.size < connected.size,
    ...(note ? { note } : {}),
  };
  if (!nodes.length) return { width: 0, height: 0, nodes, edges, ...base };

  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': opts.direction ?? 'DOWN',
      'elk.edgeRouting': opts.edgeRouting ?? 'ORTHOGONAL',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeNode': '16',
      'elk.spacing.edgeEdge': '10',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.layered.spacing.edgeNodeBetweenLayers': '16',
      // no considerModelOrder: on dense graphs it takes minutes instead of seconds
      'elk.randomSeed': '1',
    },
    children: nodes.map((n) => ({ id: n.id, width: n.w, height: n.h })),
    edges: edges.map((e): ElkExtendedEdge => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const out = await elk().layout(input);
  const placed = new Map((out.children ?? []).map((c) => [c.id, c]));
  for (const n of nodes) {
    const p = placed.get(n.id);
    n.x = round(p?.x ?? 0);
    n.y = round(p?.y ?? 0);
  }
  const routed = new Map((out.edges ?? []).map((e) => [e.id, e]));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const e of edges) {
    e.points = sectionPoints(routed.get(e.id));
    if (e.points.length < 2) e.points = straight(byId.get(e.source)!, byId.get(e.target)!);
  }
  return { width: round(out.width ?? 0), height: round(out.height ?? 0), nodes, edges, ...base };
}

/**
 * The classes on cycles (always kept: they are what the report is about), then their neighbours,
 * most cycle contacts first, while both budgets hold. Without cycles: the most connected classes.
 */
function neighbourhood(
  edges: OrderEdge[],
  seeds: Set<string>,
  maxNodes: number,
  maxEdges: number,
): { keep: Set<string>; added: number; candidates: number } {
  const keep = new Set(seeds);
  const adjacent = new Map<string, string[]>();
  const link = (a: string, b: string) => {
    let list = adjacent.get(a);
    if (!list) adjacent.set(a, (list = []));
    list.push(b);
  };
  let edgeCount = 0;
  for (const e of edges) {
    link(e.from, e.to);
    link(e.to, e.from);
    if (seeds.has(e.from) && seeds.has(e.to)) edgeCount++;
  }
  const contacts = (n: string) => (adjacent.get(n) ?? []).filter((m) => seeds.has(m)).length;
  const candidates = [...adjacent.keys()]
    .filter((n) => !seeds.has(n) && (!seeds.size || contacts(n) > 0))
    .map((n) => ({ n, contacts: contacts(n), degree: adjacent.get(n)!.length }))
    .sort((a, b) => b.contacts - a.contacts || b.degree - a.degree || compare(a.n, b.n));
  let added = 0;
  for (const { n } of candidates) {
    if (keep.size >= maxNodes) break;
    const more = adjacent.get(n)!.filter((m) => keep.has(m)).length;
    if (edgeCount + more > maxEdges) continue;
    keep.add(n);
    edgeCount += more;
    added++;
  }
  return { keep, added, candidates: candidates.length };
}

function sectionPoints(edge: ElkExtendedEdge | undefined): LayoutPoint[] {
  const points: LayoutPoint[] = [];
  const push = (p: ElkPoint) => {
    const q = { x: round(p.x), y: round(p.y) };
    const last = points[points.length - 1];
    if (!last || last.x !== q.x || last.y !== q.y) points.push(q);
  };
  for (const s of edge?.sections ?? []) {
    push(s.startPoint);
    for (const b of s.bendPoints ?? []) push(b);
    push(s.endPoint);
  }
  return points;
}

/** Fallback when ELK routed nothing: centre to centre. */
function straight(a: LayoutNode, b: LayoutNode): LayoutPoint[] {
  return [
    { x: round(a.x + a.w / 2), y: round(a.y + a.h) },
    { x: round(b.x + b.w / 2), y: round(b.y) },
  ];
}

function step(s: ChainStep): LayoutStep {
  return { fn: s.fn, file: s.file, line: s.range.line + 1, column: s.range.col + 1, callee: s.callee };
}

function edgeKey(e: { from: string; to: string }): string {
  return `${e.from}\u0000${e.to}`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
