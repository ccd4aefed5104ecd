/**
 * The lock report's data: the JSON the HTML page carries, and the pure functions that read it
 * (cycle ranking, a class's neighbourhood, filters, directories). Both sides use this module:
 * report-data.ts builds the data in Node, the page's script (page/) renders it in the browser,
 * and the unit tests check these functions directly. So nothing here touches Node or the DOM.
 */

export type Confidence = 'high' | 'medium' | 'low';
export type SeverityName = 'error' | 'warning' | 'information' | 'hint';
export type EdgeOriginName = 'static' | 'baseline' | 'runtime';

export const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];
export const SEVERITY_NAMES: readonly SeverityName[] = ['error', 'warning', 'information', 'hint'];

export interface ReportStats {
  files: number;
  bytes: number;
  functions: number;
  parseMs: number;
  analyzeMs: number;
}

/**
 * One step of a call chain: function, file, 1-based line and column, callee. Function and callee
 * names index `names`, files index `files` (a driver repeats both thousands of times).
 */
export type StepData = [fn: number, file: number, line: number, col: number, callee: number];

export interface WitnessData {
  /** Function holding `from` that makes the call (or acquisition) creating the edge. */
  fn: number;
  file: number;
  line: number;
  col: number;
  /** From that call down to the acquisition of `to`. */
  chain: StepData[];
  /** Where `from` was taken. */
  held: StepData[];
  heldEntry?: string;
}

export interface ClassData {
  name: string;
  kind: string;
  acquisitions: number;
  onCycle: boolean;
  /** Lockdep's usage states, a few witnesses each; absent when none is known. */
  usage?: UsageData[];
}

/** A usage state of a class (`IN-HARDIRQ-W`): the root it runs from and the chain down to the lock. */
export interface UsageData {
  /** What the state is called, in words ("taken in hardirq") and as lockdep prints it. */
  text: string;
  label: string;
  /** Function name index of the root (the handler, the entry point). */
  root: number;
  chain: StepData[];
}

export interface EdgeData {
  /** Class indices: `to` was taken while `from` was held. */
  from: number;
  to: number;
  origin: EdgeOriginName;
  /** Also seen at run time (a lockdep report). */
  runtime: boolean;
  /** How many places create this order. */
  count: number;
  onCycle: boolean;
  witness?: WitnessData;
  /** Kernel function (baseline) or lockdep report (runtime) for an edge without a witness. */
  source?: string;
}

export interface CycleData {
  /** Class indices in order; the last is ordered before the first. */
  classes: number[];
  /** Edge indices: edges[i] goes from classes[i] to classes[i + 1]. */
  edges: number[];
  /** Every edge was seen in the workspace (none only from the kernel baseline or lockdep). */
  allStatic: boolean;
  /** The lowest confidence of the cycle's findings, when they carry one. */
  confidence?: Confidence;
  /** Indices of the lock-order-cycle findings reporting this cycle. */
  findings: number[];
  /** Calls from the edges' witnesses down to their acquisitions, summed: less is more direct. */
  depth: number;
}

export interface RelatedData {
  file: number;
  line: number;
  col: number;
  message: string;
}

export interface FindingData {
  rule: string;
  severity: SeverityName;
  confidence?: Confidence;
  file: number;
  line: number;
  col: number;
  fn: string;
  message: string;
  related: RelatedData[];
}

export interface RuleData {
  id: string;
  summary: string;
  defaultSeverity: SeverityName;
  /** How people read it: `error on a cycle, else information` for a dependency rule. */
  severityText: string;
}

export interface ReportData {
  version: 1;
  /** Every path once; locations refer to them by index. Paths as the front end gave them. */
  files: string[];
  /** Function names of witnesses and chains, by index. */
  names: string[];
  /** The directory every path starts with ('' when none): left out when a path is shown. */
  root: string;
  stats: ReportStats;
  rules: RuleData[];
  classes: ClassData[];
  edges: EdgeData[];
  /** Most convincing first (rankCycles). */
  cycles: CycleData[];
  /** By severity, then rule, file and line. */
  findings: FindingData[];
}

const CONFIDENCE_ORDER: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };

/** The weakest of the confidences given (a cycle needs every edge), undefined when none is. */
export function lowestConfidence(values: readonly (Confidence | undefined)[]): Confidence | undefined {
  let low: Confidence | undefined;
  for (const v of values) if (v && (!low || CONFIDENCE_ORDER[v] > CONFIDENCE_ORDER[low])) low = v;
  return low;
}

/**
 * Cycles most worth a maintainer's time first: by confidence (rated before unrated), then those
 * seen entirely in the workspace, then shorter ones, then those with findings of their own (a
 * cycle whose every line reports another is mostly a variant of it), then the more direct (fewer
 * calls between each lock and the next), then by class names, so the order never depends on
 * the order the search found them in.
 */
function compareCycles(a: CycleData, b: CycleData, classes: readonly ClassData[]): number {
  const conf = (c: CycleData) => (c.confidence ? CONFIDENCE_ORDER[c.confidence] : CONFIDENCES.length);
  return (
    conf(a) - conf(b) ||
    Number(b.allStatic) - Number(a.allStatic) ||
    a.classes.length - b.classes.length ||
    Number(b.findings.length > 0) - Number(a.findings.length > 0) ||
    a.depth - b.depth ||
    compareText(cycleKey(a, classes), cycleKey(b, classes))
  );
}

export function rankCycles(cycles: readonly CycleData[], classes: readonly ClassData[]): CycleData[] {
  return [...cycles].sort((a, b) => compareCycles(a, b, classes));
}

function cycleKey(c: CycleData, classes: readonly ClassData[]): string {
  return c.classes.map((i) => classes[i].name).join('\u0000');
}

/** Per class, the indices of its edges in each direction. */
export interface Adjacency {
  /** incoming[c]: edges x -> c (x held when c is taken). */
  incoming: number[][];
  /** outgoing[c]: edges c -> y (y taken while c is held). */
  outgoing: number[][];
}

export function adjacency(data: Pick<ReportData, 'classes' | 'edges'>): Adjacency {
  const incoming: number[][] = data.classes.map(() => []);
  const outgoing: number[][] = data.classes.map(() => []);
  data.edges.forEach((e, i) => {
    outgoing[e.from].push(i);
    incoming[e.to].push(i);
  });
  return { incoming, outgoing };
}

/** A class in a neighbourhood, and how many places order it against the ring inside. */
export interface RingClass {
  cls: number;
  weight: number;
}

/**
 * A class's surroundings in the order graph, one ring of classes per hop on each side: `before`
 * holds the classes held when it (or a class of the previous ring) is taken, `after` the
 * classes taken while it (or one of the previous ring) is held; heaviest first. A class can be
 * on both sides (then it is on a cycle with the centre). `edges` are those that reach one hop
 * further out: from a ring to the ring inside it on the left, the other way on the right.
 */
export interface Neighbourhood {
  center: number;
  before: RingClass[][];
  after: RingClass[][];
  edges: number[];
}

export function neighbourhood(
  data: Pick<ReportData, 'classes' | 'edges'>,
  adj: Adjacency,
  center: number,
  hops: number,
): Neighbourhood {
  const edges: number[] = [];
  const side = (list: number[][], far: (e: EdgeData) => number): RingClass[][] => {
    const rings: RingClass[][] = [];
    const placed = new Set([center]);
    let previous = [center];
    for (let hop = 0; hop < hops && previous.length; hop++) {
      const weight = new Map<number, number>();
      for (const c of previous)
        for (const i of list[c]) {
          const other = far(data.edges[i]);
          if (placed.has(other)) continue;
          edges.push(i);
          weight.set(other, (weight.get(other) ?? 0) + data.edges[i].count);
        }
      const ring = [...weight]
        .map(([cls, w]) => ({ cls, weight: w }))
        .sort(
          (x, y) => y.weight - x.weight || compareText(data.classes[x.cls].name, data.classes[y.cls].name),
        );
      if (!ring.length) break;
      for (const r of ring) placed.add(r.cls);
      rings.push(ring);
      previous = ring.map((r) => r.cls);
    }
    return rings;
  };
  const before = side(adj.incoming, (e) => e.from);
  const after = side(adj.outgoing, (e) => e.to);
  return { center, before, after, edges };
}

/** What the page shows; '' means any. `confidence` may also be 'none' (findings without one). */
export interface Filter {
  rule: string;
  severity: string;
  confidence: string;
  /** A directory as shown (relative to `root`), without a trailing slash. */
  dir: string;
  /** Case-insensitive text in a finding's function, path or message, or in a cycle's classes. */
  text: string;
}

export const NO_FILTER: Filter = { rule: '', severity: '', confidence: '', dir: '', text: '' };

/** A path as shown: without the root every path shares. */
export function shownPath(data: Pick<ReportData, 'files' | 'root'>, file: number): string {
  const p = data.files[file];
  return data.root && p.startsWith(data.root) ? p.slice(data.root.length) : p;
}

function inDir(path: string, dir: string): boolean {
  return !dir || path.startsWith(dir + '/');
}

function confidenceMatches(value: Confidence | undefined, wanted: string): boolean {
  return !wanted || (wanted === 'none' ? value === undefined : value === wanted);
}

export function findingMatches(data: ReportData, f: FindingData, filter: Filter): boolean {
  if (filter.rule && f.rule !== filter.rule) return false;
  if (filter.severity && f.severity !== filter.severity) return false;
  if (!confidenceMatches(f.confidence, filter.confidence)) return false;
  const path = shownPath(data, f.file);
  if (!inDir(path, filter.dir)) return false;
  if (!filter.text) return true;
  const needle = filter.text.toLowerCase();
  return [f.fn, path, f.message].some((s) => s.toLowerCase().includes(needle));
}

/**
 * Cycles follow the filters that say something about them: confidence, directory (some edge is
 * created there), text (in a class name); a rule or severity filter keeps the cycles whose
 * findings pass it, so choosing another rule hides them.
 */
export function cycleMatches(data: ReportData, c: CycleData, filter: Filter): boolean {
  if (!confidenceMatches(c.confidence, filter.confidence)) return false;
  if (filter.rule || filter.severity) {
    const pass = c.findings.some((i) => {
      const f = data.findings[i];
      return (!filter.rule || f.rule === filter.rule) && (!filter.severity || f.severity === filter.severity);
    });
    if (!pass) return false;
  }
  if (
    filter.dir &&
    !c.edges.some((i) => {
      const w = data.edges[i].witness;
      return w !== undefined && inDir(shownPath(data, w.file), filter.dir);
    })
  )
    return false;
  if (!filter.text) return true;
  const needle = filter.text.toLowerCase();
  return c.classes.some((i) => data.classes[i].name.toLowerCase().includes(needle));
}

export interface DirectoryCount {
  dir: string;
  /** Findings in it or below. */
  findings: number;
}

/** Every directory holding findings, at any depth, with how many are in it or below, by path. */
export function directories(data: ReportData): DirectoryCount[] {
  const counts = new Map<string, number>();
  for (const f of data.findings) {
    const parts = shownPath(data, f.file).split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
  }
  return [...counts].map(([dir, findings]) => ({ dir, findings })).sort((a, b) => compareText(a.dir, b.dir));
}

/**
 * The directory every path is in, with its trailing slash ('' when they share none): what the
 * report leaves out so paths stay short. Only whole directory names count.
 */
export function commonDirectory(paths: readonly string[]): string {
  if (!paths.length) return '';
  let prefix = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
  for (const p of paths) while (prefix && !p.startsWith(prefix)) prefix = parentDirectory(prefix);
  return prefix;
}

/** 'a/b/' -> 'a/'; 'a/', '/a/' and '/' -> '' (never the bare filesystem root). */
function parentDirectory(dir: string): string {
  const slash = dir.length > 1 ? dir.lastIndexOf('/', dir.length - 2) : -1;
  return slash <= 0 ? '' : dir.slice(0, slash + 1);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
