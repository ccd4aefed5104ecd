/**
 * What the lockdep importer needs to know about the static analysis: the lock classes it
 * names, which classes each workspace function acquires (and at which of its own call sites),
 * the order graph, and the source text of workspace files for quoting lines.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnalysisOutput } from '../analysis/interproc';
import type { CallEvent, FunctionIR, Range } from '../analysis/ir';
import { PSEUDO_LOCKS, type ChainStep, type Summary } from '../analysis/model';
import type { Engine } from '../engine/engine';
import type { OrderEdge, OrderGraph } from '../graph/order-graph';
import type { Knowledge } from '../kb/knowledge';
import { type Effect, lockOps } from '../kb/types';
import type { FunctionRef, WorkspaceIndex } from '../workspace/index';

/** A lock class a workspace function takes, and the call in that function that leads to it. */
export interface Acquisition {
  cls: string;
  /** The call in the function itself (first step of the chain), when the chain starts there. */
  site?: ChainStep;
}

export interface StaticViewOptions {
  /** Source text of a workspace file (as the engine names it); default: read it from disk. */
  readText?: (file: string) => string | undefined;
  /** The analysis to read; default: the engine's last one, or a fresh one. */
  analysis?: AnalysisOutput;
}

/** Lock class names without the ` (file.c)` that tells same-named static locks apart. */
export function baseClassName(cls: string): string {
  return cls.replace(/ \([^()]*\)$/, '');
}

/** The last field or identifier of a class or lock expression: `drm_i915_private.mm_lock` -> `mm_lock`. */
export function lastField(cls: string): string {
  const base = baseClassName(cls);
  return /(\w+)\W*$/.exec(base)?.[1] ?? base;
}

export class StaticView {
  /** Every class the static analysis knows (acquired somewhere, fixed by the knowledge base, or on a static/baseline edge). */
  readonly classes = new Set<string>();
  /** Classes the knowledge base names outright (pseudo-locks, aliases, contexts, baseline). */
  readonly fixed = new Set<string>();
  private readonly byBase = new Map<string, string[]>();
  private readonly byField = new Map<string, string[]>();
  private readonly acquisitionCache = new Map<FunctionIR, Acquisition[]>();
  private readonly texts = new Map<string, string[] | undefined>();
  private readonly readText: (file: string) => string | undefined;

  constructor(
    readonly index: WorkspaceIndex,
    readonly analysis: AnalysisOutput,
    readonly kb: Knowledge,
    options: StaticViewOptions = {},
  ) {
    this.readText = options.readText ?? readFromDisk;
    this.collectFixed(kb);
    for (const summary of analysis.summaries.values()) {
      for (const list of [summary.inside, summary.acquires, summary.releases]) {
        for (const { lock } of list) this.addClass(lock.cls);
      }
    }
    for (const edge of analysis.graph.edges()) {
      if (edge.origin === 'runtime') continue;
      this.addClass(edge.from);
      this.addClass(edge.to);
    }
    for (const facts of index.allFiles()) {
      for (const lock of facts.fileLocks) this.addClass(index.fileLockClass(lock.name, facts.path));
    }
  }

  get graph(): OrderGraph {
    return this.analysis.graph;
  }

  private collectFixed(kb: Knowledge): void {
    const table = kb.table;
    const add = (cls: string | undefined) => {
      // Argument-derived names (`?ww_acquire`) and expressions are not fixed classes.
      if (cls && /^\w+$/.test(cls)) this.fixed.add(cls);
    };
    for (const fact of Object.values(table.functions)) {
      for (const op of [...lockOps(fact, 'acquire'), ...lockOps(fact, 'release')]) add(op.cls);
    }
    for (const ctx of Object.values(table.contexts)) for (const h of ctx.held) add(h.cls);
    for (const v of Object.values(table.classAliases)) add(v);
    for (const v of Object.values(table.fieldClassAliases)) add(v);
    for (const e of table.baseline) {
      add(e.from);
      add(e.to);
    }
    for (const p of Object.values(PSEUDO_LOCKS)) add(p?.cls);
    for (const cls of this.fixed) this.addClass(cls);
  }

  private addClass(cls: string): void {
    // `?.lock` stands for any lock of an unknown container: never a mapping target.
    if (cls === '' || cls.startsWith('?') || this.classes.has(cls)) return;
    this.classes.add(cls);
    push(this.byBase, baseClassName(cls), cls);
    push(this.byField, lastField(cls), cls);
  }

  /** Static classes whose name, without a ` (file.c)` suffix, is `name`. */
  classesNamed(name: string): string[] {
    return this.byBase.get(name) ?? [];
  }

  /** Static classes whose last field is `field`. */
  classesWithField(field: string): string[] {
    return this.byField.get(field) ?? [];
  }

  functions(name: string): FunctionRef[] {
    return this.index.functionsNamed(name);
  }

  summary(fn: FunctionIR): Summary | undefined {
    return this.analysis.summaries.get(fn);
  }

  /** Classes `ref` takes itself or through its callees, pseudo-locks of its effects included. */
  acquisitions(ref: FunctionRef): Acquisition[] {
    const cached = this.acquisitionCache.get(ref.fn);
    if (cached) return cached;
    const out: Acquisition[] = [];
    const summary = this.summary(ref.fn);
    const add = (cls: string, chain: ChainStep[]) => {
      if (cls.startsWith('?')) return;
      const first = chain[0];
      const site = first && first.fn === ref.fn.name && first.file === ref.file ? first : undefined;
      const prev = out.find((a) => a.cls === cls);
      if (!prev) out.push({ cls, ...(site && { site }) });
      else if (!prev.site && site) prev.site = site;
    };
    if (summary) {
      for (const { lock, chain } of [...summary.inside, ...summary.acquires]) add(lock.cls, chain);
      for (const [effect, chain] of Object.entries(summary.effects) as [Effect, ChainStep[] | undefined][]) {
        const pseudo = PSEUDO_LOCKS[effect];
        if (pseudo && chain) add(pseudo.cls, chain);
      }
    }
    this.acquisitionCache.set(ref.fn, out);
    return out;
  }

  /** The edge as static analysis (or the kernel baseline) knows it; runtime-only edges do not count. */
  staticEdge(from: string, to: string): OrderEdge | undefined {
    const edge = this.graph.getEdge(from, to);
    return edge && edge.origin !== 'runtime' ? edge : undefined;
  }

  /** The trimmed text of 0-based `line` of `file`, if the file can be read. */
  lineText(file: string, line: number): string | undefined {
    let lines = this.texts.get(file);
    if (!this.texts.has(file)) {
      let text: string | undefined;
      try {
        text = this.readText(file);
      } catch {
        text = undefined;
      }
      lines = typeof text === 'string' ? text.split(/\r?\n/) : undefined;
      this.texts.set(file, lines);
    }
    const raw = lines?.[line];
    return raw === undefined ? undefined : raw.trim().replace(/\s+/g, ' ');
  }
}

/** The view over the engine's current analysis (analysing the workspace first if it never was). */
export function staticView(engine: Engine, options: StaticViewOptions = {}): StaticView {
  const analysis = options.analysis ?? engine.lastAnalysis ?? analyzeNow(engine);
  return new StaticView(engine.index, analysis, engine.knowledge, options);
}

function analyzeNow(engine: Engine): AnalysisOutput {
  engine.analyze();
  // analyze() always records its output; the fallback only satisfies the type.
  return engine.lastAnalysis!;
}

/** Call events of a function, in block order. */
export function callEvents(fn: FunctionIR): CallEvent[] {
  const out: CallEvent[] = [];
  for (const block of fn.blocks) for (const event of block.events) if (event.kind === 'call') out.push(event);
  return out;
}

export function sameRange(a: Range, b: Range): boolean {
  return a.line === b.line && a.col === b.col && a.endLine === b.endLine && a.endCol === b.endCol;
}

function readFromDisk(file: string): string | undefined {
  const path = file.startsWith('file:') ? fileURLToPath(file) : file;
  if (!fs.existsSync(path) || !fs.statSync(path).isFile()) return undefined;
  return fs.readFileSync(path, 'utf8');
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
