/**
 * The workspace lock-order graph: an edge A -> B whenever B is acquired (directly, in a callee,
 * or as a pseudo-lock effect) while A is held, with the shortest witness and a count. Cycles
 * follow lockdep's rule for recursive readers: a cycle is a deadlock unless some lock on it is
 * acquired as a recursive reader by one edge and held shared by the next.
 */
import type { Range } from '../analysis/ir';
import type { UsageState } from '../analysis/irq-usage';
import type { ChainStep, LockInfo } from '../analysis/model';
import type { LockKind, LockMode } from '../kb/types';

export type EdgeOrigin = 'static' | 'baseline' | 'runtime';

export interface EdgeWitness {
  /** Where the edge is created: the call (in the function holding `from`) that leads to `to`. */
  file: string;
  range: Range;
  fn: string;
  /** From that call down to the acquisition of `to`. */
  chain: ChainStep[];
  /** Where `from` was taken (or the registration of the context holding it). */
  heldChain: ChainStep[];
  heldEntry?: string;
}

export interface OrderEdge {
  from: string;
  to: string;
  origin: EdgeOrigin;
  witness?: EdgeWitness;
  /** Kernel function (baseline) or lockdep report (runtime) the edge comes from. */
  source?: string;
  count: number;
  /** Some witness holds `from` exclusively / acquires `to` non-recursively (lockdep's strong edges). */
  exclusiveHeld: boolean;
  nonRecursive: boolean;
  /** Also seen at run time (a lockdep report or /proc/lockdep mentioned it). */
  runtime: boolean;
  /**
   * The order is declared legal, and by what: the kernel baseline, a priming function (takes
   * locks in order and releases them, doing nothing else), or a lockdep annotation (might_lock,
   * fs_reclaim_acquire, lock_map_acquire). Never reported; it still closes cycles.
   */
  declared?: string;
  /** Some workspace witness creates the order without declaring it. */
  undeclared?: boolean;
}

/** An edge from outside the workspace (a lockdep report, /proc/lockdep), by class names. */
export interface RuntimeEdgeInput {
  from: string;
  to: string;
  source: string;
}

export interface LockClassInfo {
  name: string;
  kind: LockKind | 'unknown';
  acquisitions: number;
  /** Lockdep's usage states, a few witnesses each (analysis/irq-usage.ts). */
  usage?: ClassUsageWitness[];
}

/** One usage of a class: its state, read or write, the root it runs from and the chain down. */
export interface ClassUsageWitness {
  state: UsageState;
  mode: LockMode;
  root: string;
  chain: ChainStep[];
}

/** Witnesses kept per class and state for the class table (hovers, the report). */
const USAGE_SHOWN = 8;

/** An OrderGraph as plain data (the analysis-result cache), in insertion order. */
export interface OrderGraphData {
  classes: LockClassInfo[];
  edges: OrderEdge[];
}

export interface Cycle {
  /** Classes in order: classes[i] -> classes[i+1], and the last back to the first. */
  classes: string[];
  edges: OrderEdge[];
}

const MAX_CYCLE_LENGTH = 8;
const MAX_BFS_PER_SCC = 4000;

export class OrderGraph {
  private readonly out = new Map<string, Map<string, OrderEdge>>();
  private readonly classes = new Map<string, LockClassInfo>();
  private cycleCache: Cycle[] | undefined;
  /** Per start class, the shortest-path tree (any edges / declared edges only), made when asked. */
  private readonly pathTrees = new Map<string, Map<string, OrderEdge>>();
  private readonly declaredTrees = new Map<string, Map<string, OrderEdge>>();

  /**
   * Rebuilds a graph from `toData()`: the same classes and edges in the same order, so cycles
   * and their rotation come out as they did. The caller checks the data's shape first.
   */
  static fromData(data: OrderGraphData): OrderGraph {
    const g = new OrderGraph();
    for (const c of data.classes) g.classes.set(c.name, { ...c });
    for (const e of data.edges) {
      let m = g.out.get(e.from);
      if (!m) g.out.set(e.from, (m = new Map()));
      m.set(e.to, { ...e });
    }
    return g;
  }

  toData(): OrderGraphData {
    return { classes: [...this.classes.values()], edges: this.edges() };
  }

  /** Records a class's usage states (replacing earlier ones), a few witnesses per state. */
  noteUsage(name: string, kind: LockKind, uses: readonly ClassUsageWitness[]): void {
    const kept: ClassUsageWitness[] = [];
    for (const u of uses) if (kept.filter((k) => k.state === u.state).length < USAGE_SHOWN) kept.push(u);
    this.classInfo(name, kind).usage = kept;
  }

  noteAcquisition(lock: LockInfo): void {
    const c = this.classInfo(lock.cls, lock.kind);
    c.acquisitions++;
  }

  private classInfo(name: string, kind: LockKind | 'unknown'): LockClassInfo {
    let c = this.classes.get(name);
    if (!c) this.classes.set(name, (c = { name, kind, acquisitions: 0 }));
    else if (c.kind === 'unknown') c.kind = kind;
    return c;
  }

  /** `declared`: what declares the order legal (see OrderEdge.declared), if anything does. */
  addStatic(
    held: Pick<LockInfo, 'cls' | 'kind' | 'mode'>,
    to: LockInfo,
    witness: EdgeWitness,
    declared?: string,
  ): void {
    if (held.cls === to.cls) return; // same class nesting: double-lock's business, as lockdep's recursion check
    // `?.lock` stands for every lock whose container type is unknown: ordering it would invent cycles.
    if (held.cls.startsWith('?') || to.cls.startsWith('?')) return;
    this.classInfo(held.cls, held.kind);
    this.classInfo(to.cls, to.kind);
    const edge = this.edge(held.cls, to.cls, 'static');
    edge.count++;
    if (held.mode === 'write') edge.exclusiveHeld = true;
    if (!to.recursiveRead) edge.nonRecursive = true;
    if (declared) edge.declared ??= declared;
    else edge.undeclared = true;
    // A declared edge is never reported: its witness is the plainest one creating the order.
    if (!edge.witness || witness.chain.length < edge.witness.chain.length) edge.witness = witness;
  }

  /** Baseline edges are declared: the core kernel creates these orders on purpose. */
  addExternal(from: string, to: string, origin: 'baseline' | 'runtime', source: string): void {
    if (from === to) return;
    this.classInfo(from, 'unknown');
    this.classInfo(to, 'unknown');
    const edge = this.edge(from, to, origin);
    edge.source ??= source;
    edge.exclusiveHeld = true;
    edge.nonRecursive = true;
    if (origin === 'runtime') edge.runtime = true;
    else edge.declared ??= `kernel baseline: ${source}`;
  }

  /** An edge lockdep saw at run time: marks the edge already known, or adds a runtime-only one. */
  addRuntime(from: string, to: string, source: string): void {
    const known = this.getEdge(from, to);
    if (!known) return this.addExternal(from, to, 'runtime', source);
    known.runtime = true;
    known.source ??= source;
  }

  private edge(from: string, to: string, origin: EdgeOrigin): OrderEdge {
    this.cycleCache = undefined;
    this.pathTrees.clear();
    this.declaredTrees.clear();
    let m = this.out.get(from);
    if (!m) this.out.set(from, (m = new Map()));
    let e = m.get(to);
    if (!e) {
      e = { from, to, origin, count: 0, exclusiveHeld: false, nonRecursive: false, runtime: false };
      m.set(to, e);
    } else if (e.origin !== 'static' && origin === 'static') e.origin = 'static';
    return e;
  }

  getEdge(from: string, to: string): OrderEdge | undefined {
    return this.out.get(from)?.get(to);
  }

  edges(): OrderEdge[] {
    return [...this.out.values()].flatMap((m) => [...m.values()]);
  }

  lockClasses(): LockClassInfo[] {
    return [...this.classes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  classesOnCycles(): Set<string> {
    return new Set(this.cycles().flatMap((c) => c.classes));
  }

  cycles(): Cycle[] {
    this.cycleCache ??= this.findCycles();
    return this.cycleCache;
  }

  /**
   * What the cycles depend on: every edge's ends, origin, strength and declaration, in insertion order (the
   * search's tie-breaks follow it). Equal shapes, equal cycles; witnesses may differ.
   */
  shapeKey(): string {
    let key = '';
    for (const [from, m] of this.out)
      for (const e of m.values())
        key += `${from}\0${e.to}\0${e.origin[0]}${e.exclusiveHeld ? 1 : 0}${e.nonRecursive ? 1 : 0}${e.declared ? 'd' : ''}${e.undeclared ? 'u' : ''}\n`;
    return key;
  }

  /**
   * Takes the cycles found in a graph of the same shapeKey (an edit that changed no lock
   * order): their class lists, bound to this graph's edges and witnesses, without the search.
   */
  adoptCycles(classes: readonly (readonly string[])[]): void {
    this.cycleCache = classes.map((c) => ({
      classes: [...c],
      edges: c.map((from, i) => this.out.get(from)!.get(c[(i + 1) % c.length])!),
    }));
  }

  private findCycles(): Cycle[] {
    const found = new Map<string, Cycle>();
    const usable = new Map<string, Map<string, OrderEdge>>();
    for (const [from, m] of this.out) {
      const kept = new Map([...m].filter(([, e]) => !this.contradicted(e)));
      if (kept.size) usable.set(from, kept);
    }
    for (const scc of stronglyConnected(usable)) {
      if (scc.length < 2) continue;
      const members = new Set(scc);
      let budget = MAX_BFS_PER_SCC;
      for (const from of scc) {
        for (const edge of usable.get(from)?.values() ?? []) {
          if (!members.has(edge.to) || budget-- <= 0) continue;
          // A declared or external edge needs a reportable one on the way back.
          const back = this.shortestPath(edge.to, from, members, usable, !isReportable(edge));
          if (!back) continue;
          const classes = [from, ...back.slice(0, -1)];
          const key = [...classes].sort().join('\u0000');
          if (found.has(key)) continue;
          const edges = classes.map((c, i) => usable.get(c)!.get(classes[(i + 1) % classes.length])!);
          if (!isStrong(edges)) continue;
          // Nothing in the workspace to point at, or only orders declared legal.
          if (!edges.some(isReportable)) continue;
          const start = Math.max(0, edges.findIndex(isReportable));
          found.set(key, { classes: rotate(classes, start), edges: rotate(edges, start) });
        }
      }
    }
    return [...found.values()];
  }

  /**
   * BFS path start..goal (inclusive) inside `members`, at most MAX_CYCLE_LENGTH long; with
   * `needReportable`, the shortest one that crosses a reportable edge (a search over pairs of
   * class and whether one was crossed), and none that passes a class twice.
   */
  private shortestPath(
    start: string,
    goal: string,
    members: Set<string>,
    out: Map<string, Map<string, OrderEdge>>,
    needReportable = false,
  ): string[] | undefined {
    const key = (n: string, crossed: boolean) => (crossed || !needReportable ? '1' : '0') + n;
    const prev = new Map<string, string>([[key(start, false), '']]);
    const done = key(goal, true);
    let frontier = [key(start, false)];
    for (let depth = 0; depth < MAX_CYCLE_LENGTH && frontier.length && !prev.has(done); depth++) {
      const next: string[] = [];
      for (const k of frontier) {
        const n = k.slice(1);
        for (const e of out.get(n)?.values() ?? []) {
          const to = key(e.to, k[0] === '1' || isReportable(e));
          if (!members.has(e.to) || prev.has(to)) continue;
          prev.set(to, k);
          next.push(to);
        }
      }
      frontier = next;
    }
    if (!prev.has(done)) return undefined;
    const path = [done];
    for (let k = prev.get(done); k; k = prev.get(k)) path.unshift(k);
    const classes = path.map((k) => k.slice(1));
    return new Set(classes).size === classes.length ? classes : undefined;
  }

  /**
   * The shortest cycle through the edge `from --> to`: the edge, then the shortest path back
   * (at most MAX_CYCLE_LENGTH edges in all). None when the path back is weak by lockdep's rule
   * for recursive readers.
   */
  cycleThrough(from: string, to: string): Cycle | undefined {
    const edge = this.getEdge(from, to);
    const back = edge && this.pathBetween(to, from, this.pathTrees, (e) => !this.contradicted(e));
    if (!edge || !back || back.length >= MAX_CYCLE_LENGTH) return undefined;
    const edges = [edge, ...back];
    return isStrong(edges) ? { classes: edges.map((e) => e.from), edges } : undefined;
  }

  /** Whether declared orders alone lead from `from` to `to`: an order they imply is legal. */
  declaredOrder(from: string, to: string): boolean {
    const declared = (e: OrderEdge) => e.declared !== undefined && !this.contradicted(e);
    return this.pathBetween(from, to, this.declaredTrees, declared) !== undefined;
  }

  /**
   * A declaration the workspace also contradicts: both orders of two classes declared, and
   * neither taken by plain code (i915 taints its vm mutex for the shrinker, or declares it
   * outer to reclaim, depending on the platform). Which holds is decided at run time; neither
   * closes a cycle.
   */
  private contradicted(e: OrderEdge): boolean {
    if (e.declared === undefined || e.undeclared) return false;
    const back = this.getEdge(e.to, e.from);
    return back !== undefined && back.declared !== undefined && !back.undeclared;
  }

  /** The edges of the shortest path (bounded), from a tree per start class kept until the graph changes. */
  private pathBetween(
    from: string,
    to: string,
    trees: Map<string, Map<string, OrderEdge>>,
    follow: (e: OrderEdge) => boolean,
  ): OrderEdge[] | undefined {
    let tree = trees.get(from);
    if (!tree) trees.set(from, (tree = this.shortestPathTree(from, follow)));
    if (!tree.has(to)) return undefined;
    const path: OrderEdge[] = [];
    for (let n = to; n !== from; n = path[0].from) path.unshift(tree.get(n)!);
    return path;
  }

  /** BFS from `start`: for each class reached, the edge it was first reached by. */
  private shortestPathTree(start: string, follow: (e: OrderEdge) => boolean): Map<string, OrderEdge> {
    const tree = new Map<string, OrderEdge>();
    let frontier = [start];
    for (let depth = 0; depth < MAX_CYCLE_LENGTH && frontier.length; depth++) {
      const next: string[] = [];
      for (const n of frontier)
        for (const e of this.out.get(n)?.values() ?? []) {
          if (e.to === start || tree.has(e.to) || !follow(e)) continue;
          tree.set(e.to, e);
          next.push(e.to);
        }
      frontier = next;
    }
    return tree;
  }
}

/** An edge a cycle can be reported at: made in the workspace, and not declared legal. */
export function isReportable(e: OrderEdge): boolean {
  return e.origin === 'static' && e.declared === undefined;
}

/** lockdep: no lock on the cycle may be entered as a recursive reader and then held shared. */
function isStrong(edges: OrderEdge[]): boolean {
  return edges.every((e, i) => {
    const next = edges[(i + 1) % edges.length];
    return e.nonRecursive || next.exclusiveHeld;
  });
}

/** Start a cycle at a static edge so messages begin in the user's code. */
function rotate<T>(list: T[], start: number): T[] {
  return [...list.slice(start), ...list.slice(0, start)];
}

/** Tarjan's SCC, iterative (deep recursion would overflow on long dependency chains). */
export function stronglyConnected<T>(
  out: Map<string, Map<string, T>> | Map<string, readonly string[]>,
): string[][] {
  // Lists (the call graph's callees) are read as they are, not copied: one per function.
  const succ = (n: string): readonly string[] => {
    const v = out.get(n);
    if (!v) return [];
    return v instanceof Map ? [...v.keys()] : v;
  };
  // Nodes are numbered once, and the walk's state is kept in typed arrays: with string-keyed
  // maps for it, the walk of the 20k-file tree's call graph took four times the 10k one's.
  const ids = new Map<string, number>();
  const names: string[] = [];
  const number = (name: string): void => {
    if (!ids.has(name)) ids.set(name, names.push(name) - 1);
  };
  for (const k of out.keys()) number(k);
  for (const v of out.values()) for (const t of v instanceof Map ? v.keys() : v) number(t);
  const index = new Int32Array(names.length).fill(-1);
  const low = new Int32Array(names.length);
  const onStack = new Uint8Array(names.length);
  const stack: number[] = [];
  const result: string[][] = [];
  let counter = 0;
  const enter = (v: number): { node: number; succ: readonly string[]; i: number } => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    return { node: v, succ: succ(names[v]), i: 0 };
  };
  for (let root = 0; root < names.length; root++) {
    if (index[root] >= 0) continue;
    const work = [enter(root)];
    while (work.length) {
      const frame = work[work.length - 1];
      if (frame.i < frame.succ.length) {
        const w = ids.get(frame.succ[frame.i++])!;
        if (index[w] < 0) work.push(enter(w));
        else if (onStack[w]) low[frame.node] = Math.min(low[frame.node], index[w]);
        continue;
      }
      work.pop();
      const v = frame.node;
      if (work.length) {
        const parent = work[work.length - 1].node;
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        const scc: string[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          scc.push(names[w]);
        } while (w !== v);
        // Exact size: the call graph's components are kept, one per function for most.
        result.push(scc.slice());
      }
    }
  }
  return result;
}
