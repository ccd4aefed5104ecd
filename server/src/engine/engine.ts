/**
 * The engine facade both front ends (CLI, language server) use: files in, diagnostics and the
 * lock-order graph out. It owns the parser, the knowledge base and the workspace index.
 */
import { fingerprints } from '../baseline/fingerprint';
import { type AnalysisMemo, type AnalysisOutput, analysisSteps } from '../analysis/interproc';
import type { FileFacts, Range } from '../analysis/ir';
import { lowerFile, relowerFunction } from '../analysis/lower';
import { preemptRt } from '../config/build-config';
import { type Settings, defaultSettings } from '../config/settings';
import type { OrderGraph, RuntimeEdgeInput } from '../graph/order-graph';
import { Knowledge } from '../kb/knowledge';
import { CParser, Edit, type Tree } from '../parsing/parser';
import { maskAnnotations } from '../parsing/preprocess';
import { RULES } from '../rules/registry';
import type { Finding, RuleId, Severity } from '../rules/rule';
import { settleFindings } from '../rules/settle';
import { WorkspaceIndex } from '../workspace/index';

/** A finding as reported: its severity decided, its fingerprint given (baseline/fingerprint.ts). */
export interface Diagnostic extends Finding {
  fingerprint: string;
}

export const MAX_FILE_BYTES = 8 * 1024 * 1024;

export interface FileProblem {
  file: string;
  message: string;
}

export interface AnalysisResult {
  diagnostics: Diagnostic[];
  graph: OrderGraph;
  functions: number;
  analyzeMs: number;
  /** Functions analysed in this run; the others were unchanged since the last one. */
  analysed: number;
}

/** One analysis in progress (see Engine.startAnalysis). */
export class AnalysisRun {
  private readonly generation: number;
  private stopped = false;
  private spent = 0;
  private result: AnalysisResult | undefined;

  constructor(
    private readonly steps: Generator<void, AnalysisOutput>,
    private readonly index: WorkspaceIndex,
    private readonly finish: (out: AnalysisOutput) => Diagnostic[],
  ) {
    this.generation = index.generation;
  }

  /** The index or the settings changed since the run started: its result would describe other code. */
  get dropped(): boolean {
    return this.stopped || this.index.generation !== this.generation;
  }

  drop(): void {
    this.stopped = true;
  }

  /**
   * Runs for about `ms` (at least one step): the result when finished, `undefined` while more
   * remains or once the run is dropped. `analyzeMs` counts only the time spent in steps.
   */
  advance(ms: number): AnalysisResult | undefined {
    if (this.result || this.dropped) return this.result;
    const start = performance.now();
    const deadline = start + ms;
    let step = this.steps.next();
    while (!step.done && (ms === Infinity || performance.now() < deadline)) step = this.steps.next();
    if (step.done) {
      const out = step.value;
      const diagnostics = this.finish(out);
      this.spent += performance.now() - start;
      const { graph, functions, analysed } = out;
      this.result = { diagnostics, graph, functions, analysed, analyzeMs: this.spent };
    } else this.spent += performance.now() - start;
    return this.result;
  }
}

export class Engine {
  readonly index = new WorkspaceIndex();
  private kb: Knowledge;
  private defines: Set<string>;
  private undefines: Set<string>;
  private last: AnalysisOutput | undefined;
  /** What the last finished analysis leaves for the next (a dropped one leaves nothing). */
  private memo: AnalysisMemo | undefined;
  private running: AnalysisRun | undefined;
  private readonly open = new Map<string, { tree: Tree; text: string }>();
  private readonly contentKeys = new WeakMap<FileFacts, string>();

  private constructor(
    private readonly parser: CParser,
    private settings: Settings,
  ) {
    this.kb = Knowledge.withExtensions(settings.extraLockFunctions, settings.kernelOrder);
    this.defines = new Set(settings.defines);
    this.undefines = new Set(settings.undefines);
  }

  static async create(settings: Settings = defaultSettings()): Promise<Engine> {
    return new Engine(await CParser.create(), settings);
  }

  get knowledge(): Knowledge {
    return this.kb;
  }

  configure(settings: Settings): void {
    this.settings = settings;
    // The knowledge base may have changed: nothing carries over.
    this.last = undefined;
    this.memo = undefined;
    this.running?.drop();
    this.kb = Knowledge.withExtensions(settings.extraLockFunctions, settings.kernelOrder);
    this.defines = new Set(settings.defines);
    this.undefines = new Set(settings.undefines);
  }

  /**
   * Parses and lowers one file into the index. Returns a problem instead of throwing for
   * binary, huge or unparseable input; the previous facts of that file are dropped then.
   */
  setFile(path: string, text: string, old?: Tree): { facts?: FileFacts; tree?: Tree; problem?: FileProblem } {
    const problem = checkText(path, text);
    if (problem) {
      this.index.delete(path);
      return { problem };
    }
    try {
      const masked = maskAnnotations(text, this.kb.table.annotationMacros);
      const tree = this.parser.parse(masked.text, old);
      const opts = { defines: this.defines, undefines: this.undefines };
      const facts = lowerFile(tree, path, this.kb, opts, masked.annotations);
      this.index.set(facts);
      return { facts, tree };
    } catch (e) {
      this.index.delete(path);
      return { problem: { file: path, message: e instanceof Error ? e.message : String(e) } };
    }
  }

  /**
   * An open document's new text. The syntax tree is kept while the document is open: the edit
   * is applied to it and the parse reuses what did not change, and an edit inside one function
   * body re-lowers only that function (the others keep their IR, so analysis skips them).
   */
  updateOpenFile(path: string, text: string): { problem?: FileProblem } {
    const prev = this.open.get(path);
    const problem = checkText(path, text);
    if (problem) {
      this.closeOpenFile(path);
      this.index.delete(path);
      return { problem };
    }
    const change = prev ? changedRange(prev.text, text) : undefined;
    if (prev && !change) return {};
    try {
      const masked = maskAnnotations(text, this.kb.table.annotationMacros);
      const opts = { defines: this.defines, undefines: this.undefines };
      let facts: FileFacts | undefined;
      let tree: Tree;
      if (prev && change) {
        prev.tree.edit(
          new Edit({
            startIndex: change.start,
            oldEndIndex: change.oldEnd,
            newEndIndex: change.newEnd,
            startPosition: positionAt(prev.text, change.start),
            oldEndPosition: positionAt(prev.text, change.oldEnd),
            newEndPosition: positionAt(text, change.newEnd),
          }),
        );
        tree = this.parser.parse(masked.text, prev.tree);
        prev.tree.delete();
        const old = this.index.get(path);
        const sameLines =
          !prev.text.slice(change.start, change.oldEnd).includes('\n') &&
          !text.slice(change.start, change.newEnd).includes('\n');
        if (old && sameLines) {
          const startLine = positionAt(text, change.start).row;
          facts = relowerFunction(
            tree,
            old,
            { start: change.start, end: change.newEnd, startLine },
            this.kb,
            opts,
            masked.annotations,
          );
        }
      } else tree = this.parser.parse(masked.text);
      facts ??= lowerFile(tree, path, this.kb, opts, masked.annotations);
      this.index.set(facts);
      this.open.set(path, { tree, text });
      return {};
    } catch (e) {
      this.closeOpenFile(path);
      this.index.delete(path);
      return { problem: { file: path, message: e instanceof Error ? e.message : String(e) } };
    }
  }

  /** The syntax tree of an open document (of its masked text, as analysed), if kept. */
  openTree(path: string): Tree | undefined {
    return this.open.get(path)?.tree;
  }

  /** The document was closed: its tree goes (memory is kept for open files only). */
  closeOpenFile(path: string): void {
    this.open.get(path)?.tree.delete();
    this.open.delete(path);
  }

  /**
   * Adds facts computed elsewhere (a worker thread or the cache). `contentKey`: the cache's key
   * of the text they came from, which names their functions in the stored memo (memo-cache.ts).
   */
  setFacts(facts: FileFacts, contentKey?: string): void {
    this.index.set(facts);
    if (contentKey) this.contentKeys.set(facts, contentKey);
  }

  /** The content key the facts were set with; none for an editor's text. */
  contentKeyOf(facts: FileFacts): string | undefined {
    return this.contentKeys.get(facts);
  }

  /** What the last finished analysis leaves for the next, to store (memo-cache.ts). */
  get finishedMemo(): AnalysisMemo | undefined {
    return this.memo;
  }

  /**
   * A memo read from the cache (memo-cache.ts): the next analysis starts from it. Ignored once an
   * analysis finished here: that one's memo is newer. Returns whether it was taken.
   */
  adoptMemo(memo: AnalysisMemo): boolean {
    if (this.memo) return false;
    this.memo = memo;
    return true;
  }

  removeFile(path: string): void {
    this.index.delete(path);
  }

  /** Parses only (the benchmark floor). */
  parseOnly(text: string): void {
    this.parser.parse(maskAnnotations(text, this.kb.table.annotationMacros).text).delete();
  }

  /** `runtimeEdges`: lockdep's edges (lockdep/merge.ts runtimeEdgesFrom), merged before cycles are found. */
  analyze(runtimeEdges: readonly RuntimeEdgeInput[] = []): AnalysisResult {
    const result = this.startAnalysis(runtimeEdges).advance(Infinity);
    // Nothing changes the index while a run steps without pause: it always finishes.
    if (!result) throw new Error('analysis dropped while it ran without pause');
    return result;
  }

  /**
   * An analysis to run in slices (`advance`). It is dropped as soon as the index changes (an
   * edit arrived): its partial work is lost, and the next run starts from the last finished one.
   */
  startAnalysis(runtimeEdges: readonly RuntimeEdgeInput[] = []): AnalysisRun {
    // The previous run's working state (type environments, target caches) goes before this
    // run builds its own: only the memo carries over. Incremental: functions whose inputs did
    // not change since the last finished run are not analysed again.
    this.last = undefined;
    this.running?.drop();
    const steps = analysisSteps(this.index, this.kb, RULES, runtimeEdges, this.memo);
    return (this.running = new AnalysisRun(steps, this.index, (out) => {
      this.last = out;
      this.memo = out.memo;
      return this.finish(out);
    }));
  }

  get lastAnalysis(): AnalysisOutput | undefined {
    return this.last;
  }

  /**
   * Stable order, fingerprints, what the graph settles (rules/settle.ts), suppressions, user
   * severities. Fingerprints are given before anything is left out, so that settling,
   * suppressing or switching off one finding does not renumber its neighbours.
   */
  private finish(out: AnalysisOutput): Diagnostic[] {
    const seen = new Set<string>();
    const unique = out.findings.filter((f) => {
      const key = `${f.rule}|${f.file}|${f.range.line}:${f.range.col}|${f.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    unique.sort(
      (a, b) =>
        cmp(a.file, b.file) ||
        a.range.line - b.range.line ||
        a.range.col - b.range.col ||
        cmp(a.rule, b.rule) ||
        cmp(a.message, b.message),
    );
    const prints = fingerprints(unique);
    const result: Diagnostic[] = [];
    for (const f of settleFindings(
      unique.map((u, i) => ({ ...u, fingerprint: prints[i] })),
      out.graph,
    )) {
      if (this.suppressed(f.file, f.range, f.rule)) continue;
      const user = this.settings.severity[f.rule] ?? this.kernelSeverity(f);
      if (user !== 'off') result.push(user ? { ...f, severity: user } : f);
    }
    return result;
  }

  /** An invalid wait context deadlocks only where spinlock_t sleeps: an error on PREEMPT_RT. */
  private kernelSeverity(f: Finding): Severity | undefined {
    return f.rule === 'wait-context' && preemptRt(this.settings) ? 'error' : undefined;
  }

  private suppressed(file: string, range: Range, rule: RuleId): boolean {
    const s = this.index.get(file)?.suppressions;
    if (!s) return false;
    const matches = (line: number) => s[line]?.some((r) => r === rule || r === 'all');
    return matches(range.line) || matches(range.line - 1);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The single range where two texts differ (common prefix and suffix removed), in UTF-16 units. */
export function changedRange(
  a: string,
  b: string,
): { start: number; oldEnd: number; newEnd: number } | undefined {
  if (a === b) return undefined;
  let start = 0;
  const min = Math.min(a.length, b.length);
  while (start < min && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < min - start && a.charCodeAt(a.length - 1 - tail) === b.charCodeAt(b.length - 1 - tail))
    tail++;
  return { start, oldEnd: a.length - tail, newEnd: b.length - tail };
}

function positionAt(text: string, index: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/** Binary or oversized input is reported, not parsed. */
export function checkText(file: string, text: string): FileProblem | undefined {
  if (text.length > MAX_FILE_BYTES)
    return { file, message: `file is larger than ${MAX_FILE_BYTES >> 20} MB; skipped` };
  const head = text.slice(0, 8192);
  if (head.includes('\u0000')) return { file, message: 'binary file (contains NUL bytes); skipped' };
  return undefined;
}
