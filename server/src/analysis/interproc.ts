/**
 * Interprocedural analysis over the workspace index: call graph (direct calls and function
 * pointers through ops tables), callback entry contexts, work-item bindings, bottom-up
 * summaries with a fixpoint per strongly connected component, and a final pass per function
 * that feeds the rules and the lock-order graph.
 */
import { createHash } from 'node:crypto';
import { inContext } from './context-test';
import type { Knowledge } from '../kb/knowledge';
import {
  isAtomicKind,
  isOrderedKind,
  isSleepingKind,
  registrationContext,
  registrationsOf,
  type EntryContext,
} from '../kb/types';
import { type EdgeWitness, OrderGraph, type RuntimeEdgeInput, stronglyConnected } from '../graph/order-graph';
import { judge, withConfiguration } from '../rules/confidence';
import type { Finding, Report, Rule, RuleWorld } from '../rules/rule';
import type { FunctionRef, WorkspaceIndex } from '../workspace/index';
import { type CallContext, declaredLock, opsOfCall, pseudoLock, unblockedOps } from './calls';
import { type LockUsage, PROCESS_ROOT, UNREFERENCED_ROOT, accumulateIrqsOn, lockUsage } from './irq-usage';
import { TypeEnv } from './classes';
import { contradicts, makeState, resetInterning, runDataflow, valueOf } from './dataflow';
import {
  AssignedParams,
  allTests,
  asParamTests,
  commonTests,
  guardOf,
  paramsUnassignedAt,
  unassignedParams,
} from './guards';
import { sleepsOnEveryPath, sleepsWhenever } from './must-sleep';
import { PrimerCheck } from './primer';
import type { AccessPath, CallEvent, FunctionIR, Range } from './ir';
import { returnStates } from './returns';
import type { Effect } from '../kb/types';
import {
  type CallerTest,
  type ChainStep,
  type Guard,
  type ParamTest,
  type HeldLock,
  type LockInfo,
  type LockState,
  type Op,
  type Summary,
  emptySummary,
  lockOfHeld,
  keptList,
  keptSummary,
  noItems,
  summaryKey,
  waitsForLock,
  workClass,
} from './model';

const MAX_SCC_ROUNDS = 6;
const MAX_INSIDE = 256;
const MAX_ORDERS = 16;

export interface AnalysisOutput {
  findings: Omit<Finding, 'severity'>[];
  graph: OrderGraph;
  summaries: Map<FunctionIR, Summary>;
  functions: number;
  /** How many functions this run analysed (the rest came from the memo). */
  analysed: number;
  memo: AnalysisMemo;
  /** Lockdep's usage states per lock class (taken in irq context, with interrupts enabled). */
  usage: LockUsage;
  /** The call at (line, col) of a file: what it does and the lock states before it (hovers). */
  inspect(file: string, line: number, col: number): CallInspection | undefined;
}

export interface CallInspection {
  fn: FunctionIR;
  event: CallEvent;
  ops: Op[];
  states: readonly LockState[];
  /** Summaries of the workspace functions the call may reach. */
  callees: { fn: FunctionIR; file: string; summary: Summary }[];
}

interface ContextEntry {
  ctx: EntryContext;
  registration: ChainStep;
}

/**
 * What one run leaves for the next: per function (by identity: unchanged files keep their
 * FunctionIR objects) its summary, findings and order edges, and what they depended on. A
 * function is analysed again only if it is new, its callees or context changed, or a callee's
 * summary changed in this run; type changes (struct fields, typedefs) start from scratch.
 */
export interface AnalysisMemo {
  /** Per file (by path), what its types, globals, stores and function names look like. */
  typeKey: string[];
  functions: Map<FunctionIR, FunctionMemo>;
  /** What each function's calls need from the types, computed once while they stay the same. */
  functionShapes: WeakMap<FunctionIR, FunctionShape>;
  /**
   * Registrations and work bindings of the whole workspace, and which files each folder calls
   * into (function-pointer targets prefer those), as text: callees depend on them.
   */
  registrationKey: string;
  /** Callee ids and their key per function, valid while the types and registrations stay. */
  callees: WeakMap<FunctionIR, { ids: string[]; key: string }>;
  /** The same memos by function id (file, name, position): an edited function's predecessor. */
  byId: Map<string, FunctionMemo>;
  /** The call graph's components, bottom-up, with what they were computed from. */
  components: { ids: string[]; calleeKeys: string[]; sccs: string[][] };
  /** The order graph's cycles (class lists) and the graph shape they were found in. */
  cycles?: { shape: string; classes: string[][] };
}

interface FunctionShape {
  /** Every call's shape, by the call's ordinal. */
  calls: CallShape[];
  /** The calls with distinct targets, one per target (its shape is `calls[event.n]`). */
  targets: CallEvent[];
  registrations: { event: CallEvent; shape: CallShape }[];
  /** The registrations as text (part of the workspace's registration key). */
  registrationKey: string;
  /**
   * Workspace functions passed as arguments to calls that do not register them (a callback
   * handed to an API whose context the knowledge base does not know).
   */
  passed: string[];
  /** The classes its `lockdep_set_class()`-style calls re-key (RuleWorld.rekeyed). */
  rekeys: string[];
  /** Its lock init calls (ApiFact.keysAtSite): the class, and the call's place in the file. */
  inits: { cls: string; site: string }[];
}

/**
 * A call reduced to names: which functions it may reach (by name, by pointer field, or as the
 * callback an API calls), which callbacks and work items it registers. Resolving names to the current
 * definitions is a map lookup per run; computing them needs the type environment.
 */
interface CallShape {
  target?: { kind: 'fn'; name: string } | { kind: 'ptr'; key: string } | { kind: 'ptr-field'; field: string };
  registers: { fn: string; context: string }[];
  initWork?: { key: string; fn: string };
  queue?: { wq: string; work: string };
}

function targetKey(t: CallShape['target']): string {
  if (!t) return '';
  return t.kind === 'fn' ? `f:${t.name}` : t.kind === 'ptr' ? `p:${t.key}` : `q:${t.field}`;
}

/** Shared by every shape that registers nothing: the frozen empty kept list. */
const NO_REGISTRATIONS: CallShape['registers'] = noItems();
const EMPTY_SHAPE: CallShape = { registers: NO_REGISTRATIONS };

export interface FunctionMemo {
  summary: Summary;
  /**
   * A digest of what callers see of the summary (changeKey): it tells whether callers need
   * another look. Made when first asked (changeKeyOf): a run with no memo before it (a cold scan)
   * compares none, and only a stored memo needs them all.
   */
  key?: string;
  calleeKey: string;
  contextKey: string;
  findings: Omit<Finding, 'severity'>[];
  edges: EdgeRecord[];
  /** Direct acquisitions, for the lock-class table. */
  acquisitions: LockInfo[];
}

export interface EdgeRecord {
  held: HeldLock;
  to: LockInfo;
  witness: EdgeWitness;
  /** What declares the order legal (OrderEdge.declared). */
  primed?: string;
}

/** `runtimeEdges` (lockdep's, see lockdep/merge.ts) join the graph before the rules see it. */
export function analyzeWorkspace(
  index: WorkspaceIndex,
  kb: Knowledge,
  rules: readonly Rule[],
  runtimeEdges: readonly RuntimeEdgeInput[] = [],
  memo?: AnalysisMemo,
): AnalysisOutput {
  const steps = analysisSteps(index, kb, rules, runtimeEdges, memo);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same analysis in steps: it pauses after each function it analyses and each component of
 * the call graph, so a caller (the language server) can run it in time slices and drop it when
 * the index changes. The index must not change while it runs; the memo it started from stays
 * valid if it is dropped.
 */
export function analysisSteps(
  index: WorkspaceIndex,
  kb: Knowledge,
  rules: readonly Rule[],
  runtimeEdges: readonly RuntimeEdgeInput[] = [],
  memo?: AnalysisMemo,
): Generator<void, AnalysisOutput> {
  return new WorkspaceAnalysis(index, kb, rules, runtimeEdges, memo).run();
}

class WorkspaceAnalysis {
  private readonly refs: FunctionRef[];
  private readonly ids = new Map<FunctionIR, string>();
  private readonly byId = new Map<string, FunctionRef>();
  /** Per function, what each call may reach (by the call's ordinal), filled as asked. */
  private readonly targetLists = new Map<FunctionIR, FunctionRef[][]>();
  private readonly onlyLists = new Map<FunctionRef, FunctionRef[]>();
  private readonly fnPointers = new Map<string, FunctionRef[]>();
  /** The same with the file of each store (a function stored in several places appears once per place). */
  private readonly pointerStores = new Map<string, { ref: FunctionRef; file: string }[]>();
  /** Ops tables (file#position) and the function each stores by field (FunctionStore.table). */
  private readonly tables = new Map<string, Map<string, FunctionRef>>();
  /** Per function, the tables storing it and their struct types. */
  private readonly tablesOf = new Map<FunctionIR, { type: string; table: string }[]>();
  /** Per folder, the files its functions call directly (and its own files). */
  private readonly links = new Map<string, Set<string>>();
  /** Targets of calls through a pointer key from a folder, and whether they stayed ambiguous. */
  private readonly affineTargets = new Map<string, PointerTargets>();
  /** Per function, the calls (by ordinal) whose pointer targets stayed ambiguous. */
  private readonly ambiguousCalls = new Map<FunctionIR, Uint8Array>();
  /** Field name -> struct types storing functions in it (for calls through untyped objects). */
  private readonly pointerFieldTypes = new Map<string, Set<string>>();
  private readonly contexts = new Map<FunctionIR, ContextEntry>();
  /**
   * Contexts told by a function's return type alone: weaker evidence, used for usage states
   * only; `sleeping`, the context instead when the function sleeps on every path.
   */
  private readonly typeContexts = new Map<FunctionIR, ContextEntry & { sleeping?: EntryContext }>();
  private readonly workFns = new Map<string, FunctionRef[]>();
  private readonly queueWorks = new Map<string, Set<string>>();
  /** Per work function, the lockdep maps it runs holding (its workqueues', then its work item's). */
  private readonly workEntries = new Map<FunctionIR, { cls: string; registration: ChainStep }[]>();
  private readonly summaries = new Map<FunctionIR, Summary>();
  /** The shapes of calls that do nothing but call, by target (see computeShape). */
  private readonly plainShapes = new Map<string, CallShape>();
  /** The same for direct calls to workspace functions, by callee name (see directShape). */
  private readonly directShapes = new Map<string, CallShape>();
  private readonly graph = new OrderGraph();
  private readonly findings: Omit<Finding, 'severity'>[] = [];
  private current: FunctionMemo | undefined;
  /** Classes some function releases for its callers (Finding.handedOver), once all are analysed. */
  private releasedClasses: Set<string> | undefined;
  private readonly report: Report = ({ evidence, doubts, ...f }) => {
    const j = withConfiguration(judge(evidence, f.classes, doubts), [f, ...f.related], (file) =>
      this.index.get(file),
    );
    const finding = {
      ...f,
      confidence: j.confidence,
      ...(j.reasons.length ? { confidenceReasons: j.reasons } : {}),
    };
    (this.current?.findings ?? this.findings).push(finding);
  };
  private readonly world: RuleWorld;
  private rekeyedClasses: Set<string> | undefined;
  private readonly next: AnalysisMemo;
  private readonly previous: Map<FunctionIR, FunctionMemo>;
  private readonly previousMemo: AnalysisMemo | undefined;
  private readonly previousCycles: AnalysisMemo['cycles'];
  /** Functions whose summary changed in this run: their callers must be analysed again. */
  private readonly changed = new Set<FunctionIR>();
  private analysed = 0;

  constructor(
    private readonly index: WorkspaceIndex,
    private readonly kb: Knowledge,
    private readonly rules: readonly Rule[],
    private readonly runtimeEdges: readonly RuntimeEdgeInput[] = [],
    memo?: AnalysisMemo,
  ) {
    const typeKey = index.typeSignature();
    // Unchanged files keep their signature string, so this is mostly pointer comparisons.
    const same =
      memo && memo.typeKey.length === typeKey.length && memo.typeKey.every((k, i) => k === typeKey[i]);
    this.previous = same ? memo.functions : new Map();
    this.next = {
      typeKey,
      functions: new Map(),
      functionShapes: same ? memo.functionShapes : new WeakMap(),
      registrationKey: '',
      callees: new WeakMap(),
      components: { ids: [], calleeKeys: [], sccs: [] },
      byId: new Map(),
    };
    this.previousMemo = same ? memo : undefined;
    this.previousCycles = memo?.cycles;
    this.refs = index.allFunctions();
    this.refs.forEach((r, i) => {
      const id = `${r.file}#${r.fn.name}#${i}`;
      this.ids.set(r.fn, id);
      this.byId.set(id, r);
    });
    this.world = {
      index,
      workFunctions: (target, key) =>
        this.workFunctions(target, key).map((r) => ({ fn: r.fn.name, file: r.file })),
      rekeyed: (cls) => (this.rekeyedClasses ??= this.collectRekeyed()).has(cls),
      contextOf: (fn) => this.contexts.get(fn)?.ctx,
      inContext: (test, fn, state) => inContext(test, state, this.contexts.get(fn)?.ctx, this.kb),
    };
  }

  *run(): Generator<void, AnalysisOutput> {
    resetInterning();
    this.collectPointers();
    this.collectRegistrations();
    for (const edge of this.kb.baseline()) this.graph.addExternal(edge.from, edge.to, 'baseline', edge.where);
    // Same types and registrations: unchanged functions call what they called before.
    const reuse =
      this.previousMemo?.registrationKey === this.next.registrationKey ? this.previousMemo : undefined;
    if (reuse) this.next.callees = reuse.callees;
    const callGraph = new Map<string, string[]>();
    for (const ref of this.refs) callGraph.set(this.ids.get(ref.fn)!, this.calleesOf(ref));
    const called = this.calledFunctions();
    this.collectTypeContexts(called);
    yield;
    for (const scc of this.components(callGraph, reuse)) {
      yield* this.analyzeComponent(scc, callGraph);
      yield;
    }
    for (const m of this.next.functions.values()) {
      this.findings.push(...this.unlessHandedOver(m.findings));
      for (const a of m.acquisitions) this.graph.noteAcquisition(a);
      for (const e of m.edges) this.graph.addStatic(e.held, e.to, e.witness, e.primed);
    }
    for (const e of this.runtimeEdges) this.graph.addRuntime(e.from, e.to, e.source);
    this.current = undefined;
    // Most edits change no lock order: the cycle search (hundreds of ms in a DRM-sized graph)
    // is then the previous one's. Cycles depend on the graph alone, even across type changes.
    yield;
    const shape = this.graph.shapeKey();
    if (this.previousCycles?.shape === shape) this.graph.adoptCycles(this.previousCycles.classes);
    this.next.cycles = { shape, classes: this.graph.cycles().map((c) => c.classes) };
    for (const rule of this.rules) rule.onGraph?.(this.graph, this.report);
    yield;
    const entries = this.entryPoints(called);
    const usage = lockUsage({
      refs: this.refs,
      summaryOf: (fn) => this.summaries.get(fn),
      rootContext: (ref) => this.contexts.get(ref.fn) ?? this.typeContext(ref.fn) ?? entries.get(ref.fn),
      summaryAt: (step) => {
        const ref = this.refAt(step);
        return ref && this.summaries.get(ref.fn);
      },
      fanOut: (step) => this.fanOut(step),
    });
    for (const cls of usage.values())
      this.graph.noteUsage(
        cls.cls,
        cls.kind,
        cls.uses.map((u) => ({ state: u.state, mode: u.mode, root: u.root.name, chain: u.chain })),
      );
    for (const rule of this.rules) rule.onUsage?.(usage, this.graph, this.report);
    return {
      findings: this.findings,
      graph: this.graph,
      summaries: this.summaries,
      functions: this.refs.length,
      analysed: this.analysed,
      memo: this.next,
      usage,
      inspect: (file, line, col) => this.inspect(file, line, col),
    };
  }

  /**
   * Strongly connected components of the call graph, callees first. An edit rarely changes
   * who calls whom: when every function and its callees are what they were, the previous
   * components stand.
   */
  private components(callGraph: Map<string, string[]>, reuse: AnalysisMemo | undefined): string[][] {
    const ids = [...callGraph.keys()];
    const calleeKeys = this.refs.map((ref) => this.next.callees.get(ref.fn)!.key);
    const prev = reuse?.components;
    const same =
      prev &&
      prev.ids.length === ids.length &&
      ids.every((id, i) => id === prev.ids[i] && calleeKeys[i] === prev.calleeKeys[i]);
    const sccs = same ? prev.sccs : stronglyConnected(callGraph);
    this.next.components = { ids, calleeKeys, sccs };
    return sccs;
  }

  /**
   * Functions that are no roots of their own: some workspace code calls them (directly or
   * through a pointer; recursion aside), or hands them to a call that does not register them
   * (a callback of an API whose context is unknown).
   */
  private calledFunctions(): Set<FunctionIR> {
    const called = new Set<FunctionIR>();
    const calledKeys = new Set<string>();
    for (const ref of this.refs) {
      const targets = this.targetsIn(ref);
      const fs = this.functionShape(ref);
      for (const event of fs.targets) {
        for (const t of targets(event)) if (t.fn !== ref.fn) called.add(t.fn);
        const target = fs.calls[event.n].target;
        if (target?.kind === 'ptr') calledKeys.add(target.key);
        else if (target?.kind === 'ptr-field') calledKeys.add(this.untypedKey(target.field));
      }
      for (const name of fs.passed) {
        const fn = this.index.resolveFunction(name, ref.file);
        if (fn && fn.fn !== ref.fn) called.add(fn.fn);
      }
    }
    // A function stored in a field the workspace calls through runs where that field is called,
    // even when those calls resolve to the implementations stored nearer to them (affine): it is
    // no entry point of process context (`b->irq_enable(b)` is called under an irqsave lock).
    for (const key of calledKeys) for (const r of this.fnPointers.get(key) ?? []) called.add(r.fn);
    return called;
  }

  /** The function a chain step is in. */
  private refAt(step: ChainStep): FunctionRef | undefined {
    return this.index.functionsNamed(step.fn).find((r) => r.file === step.file);
  }

  /** How many workspace functions the call a chain step stands for may reach. */
  private fanOut(step: ChainStep): number {
    const ref = this.refAt(step);
    if (!ref) return 0;
    const { line, col } = step.range;
    for (const b of ref.fn.blocks)
      for (const e of b.events)
        if (e.kind === 'call' && e.range.line === line && e.range.col === col)
          return this.targetsIn(ref)(e).length;
    return 0;
  }

  /**
   * Roots in process context, as entry points nothing in the workspace calls: functions stored
   * in an ops table or bound to a work item (PROCESS_ROOT), and non-static functions nothing
   * calls, stores or registers, whose context is unproven: called from outside the workspace, or
   * by nobody (UNREFERENCED_ROOT). A static function nothing calls, stores or registers runs
   * where the workspace cannot see (a macro, a callee that did not parse), if at all: its context
   * is unknown, and it is no root.
   */
  private entryPoints(called: Set<FunctionIR>): Map<FunctionIR, { ctx: EntryContext }> {
    const entries = new Map<FunctionIR, { ctx: EntryContext }>();
    const add = (refs: Iterable<FunctionRef[]>) => {
      for (const list of refs)
        for (const r of list) if (!called.has(r.fn)) entries.set(r.fn, { ctx: PROCESS_ROOT });
    };
    add(this.fnPointers.values());
    add(this.workFns.values());
    for (const ref of this.refs)
      if (!ref.fn.isStatic && !called.has(ref.fn) && !entries.has(ref.fn))
        entries.set(ref.fn, { ctx: UNREFERENCED_ROOT });
    return entries;
  }

  /**
   * A function nothing in the workspace calls or registers runs as its return type says
   * (`irqreturn_t`: a handler registered where the workspace cannot see, e.g. through a
   * function that returns it). Its declaration stands for the registration. Only the usage
   * states use it: the other rules trust registrations alone.
   */
  private collectTypeContexts(called: Set<FunctionIR>): void {
    for (const ref of this.refs) {
      if (called.has(ref.fn) || this.contexts.has(ref.fn)) continue;
      const guess = this.kb.returnTypeContext(ref.fn.returnType);
      const ctx = guess && this.kb.context(guess.context);
      if (!ctx) continue;
      const registration = { fn: ref.fn.name, file: ref.file, range: ref.fn.nameRange, callee: ref.fn.name };
      const sleeping = guess.sleeping === undefined ? undefined : this.kb.context(guess.sleeping);
      this.typeContexts.set(ref.fn, sleeping ? { ctx, registration, sleeping } : { ctx, registration });
    }
  }

  /**
   * A function's context from its return type, once its summary is known: a function that
   * sleeps on every path is no hardirq handler, whatever it returns.
   */
  private typeContext(fn: FunctionIR): ContextEntry | undefined {
    const entry = this.typeContexts.get(fn);
    if (!entry?.sleeping || !this.summaries.get(fn)?.sleepsOnEveryPath) return entry;
    return { ctx: entry.sleeping, registration: entry.registration };
  }

  /** What a function's analysis depends on besides its own body: callees and entry context. */
  private dependencyKeys(ref: FunctionRef): { calleeKey: string; contextKey: string } {
    const ctx = this.contexts.get(ref.fn);
    const work = (this.workEntries.get(ref.fn) ?? [])
      .map((w) => `${w.cls}@${w.registration.file}:${w.registration.range.line}`)
      .join(',');
    return {
      calleeKey: this.next.callees.get(ref.fn)?.key ?? '',
      contextKey:
        (ctx ? `${ctx.ctx.label}@${ctx.registration.file}:${ctx.registration.range.line}` : '') + work,
    };
  }

  /** Reuses the previous run's results when nothing the component depends on changed. */
  private reusable(refs: FunctionRef[], callGraph: Map<string, string[]>): boolean {
    return refs.every((ref) => {
      const prev = this.previous.get(ref.fn);
      if (!prev) return false;
      const keys = this.dependencyKeys(ref);
      if (prev.calleeKey !== keys.calleeKey || prev.contextKey !== keys.contextKey) return false;
      if (this.changed.size === 0) return true; // the common case: no summary changed so far
      for (const id of callGraph.get(this.ids.get(ref.fn)!) ?? [])
        if (this.changed.has(this.byId.get(id)!.fn)) return false;
      return true;
    });
  }

  private inspect(file: string, line: number, col: number): CallInspection | undefined {
    const ref = this.refs.find((r) => r.file === file && within(r.fn.range, line, col));
    if (!ref) return undefined;
    const env = this.env(ref);
    let found: CallInspection | undefined;
    const targets = this.targetsIn(ref);
    const callCtx: CallContext = {
      kb: this.kb,
      env,
      targets,
      summaryOf: (r) => this.summaries.get(r.fn),
      ambiguous: (e) => this.isAmbiguous(ref, e),
    };
    runDataflow(ref.fn, makeState(this.entryHeld(ref, env), [], [], []), {
      opsOf: (e) => opsOfCall(e, callCtx),
      observe: (event, ops, states) => {
        if (!within(event.range, line, col)) return;
        // The innermost call under the cursor wins: `foo(x)` inside `mutex_lock(foo(x))`.
        if (found && size(found.event.range) <= size(event.range)) return;
        const callees = targets(event).flatMap((t) => {
          const summary = this.summaries.get(t.fn);
          return summary ? [{ fn: t.fn, file: t.file, summary }] : [];
        });
        found = { fn: ref.fn, event, ops, states, callees };
      },
    });
    return found;
  }

  /**
   * The classes `lockdep_set_class()`-style calls re-key anywhere (RuleWorld.rekeyed), once per
   * run: from the functions' shapes, which unchanged functions keep from the last run (an edit
   * no longer reads every call of the workspace again).
   */
  private collectRekeyed(): Set<string> {
    const out = new Set<string>();
    // A class initialised at several sites is several lockdep classes: nesting two of its
    // locks may be nesting two classes.
    const initSites = new Map<string, Set<string>>();
    for (const ref of this.refs) {
      const shape = this.functionShape(ref);
      for (const cls of shape.rekeys) out.add(cls);
      for (const { cls, site } of shape.inits) {
        const sites = initSites.get(cls) ?? new Set<string>();
        initSites.set(cls, sites.add(`${ref.file}:${site}`));
        if (sites.size > 1) out.add(cls);
      }
    }
    return out;
  }

  private env(ref: FunctionRef): TypeEnv {
    return new TypeEnv(this.index, this.kb, ref.file, ref.fn);
  }

  /** `.bind = foo_bind` and `ops->bind = foo_bind`: struct type + field -> functions. */
  private collectPointers(): void {
    for (const { file, store } of this.index.allStores()) {
      const type = this.storeType(file, store.structType, store.object, store.inFunction);
      const fn = this.index.resolveFunction(store.fn, file);
      if (!fn) continue;
      const key = `${type ?? '?'}.${store.field}`;
      const list = this.fnPointers.get(key);
      if (list) {
        if (!list.includes(fn)) list.push(fn);
      } else this.fnPointers.set(key, [fn]);
      const stores = this.pointerStores.get(key);
      if (stores) stores.push({ ref: fn, file });
      else this.pointerStores.set(key, [{ ref: fn, file }]);
      if (store.table && type) {
        const table = `${file}#${store.table}`;
        const members = this.tables.get(table) ?? new Map<string, FunctionRef>();
        members.set(store.field, fn);
        this.tables.set(table, members);
        const inTables = this.tablesOf.get(fn.fn) ?? [];
        inTables.push({ type, table });
        this.tablesOf.set(fn.fn, inTables);
      }
      if (type) {
        const types = this.pointerFieldTypes.get(store.field) ?? new Set();
        types.add(type);
        this.pointerFieldTypes.set(store.field, types);
      }
      const context =
        this.kb.callbackContext(type, store.field) ?? this.kb.namedContext(fn.fn.returnType, store.field);
      if (context) {
        const registration = {
          fn: store.inFunction ?? '(initializer)',
          file,
          range: store.range,
          callee: `.${store.field}`,
        };
        this.setContext(fn, context, registration);
      }
    }
  }

  private storeType(
    file: string,
    declared: string | undefined,
    object: AccessPath | undefined,
    inFunction: string | undefined,
  ): string | undefined {
    if (declared) return this.index.resolveTypedef(declared);
    if (!object || !inFunction) return undefined;
    const owner = this.index.functionsNamed(inFunction).find((r) => r.file === file);
    return owner ? this.env(owner).pathType(object) : undefined;
  }

  private setContext(fn: FunctionRef, context: string, registration: ChainStep): void {
    const ctx = this.kb.context(context);
    if (ctx && !this.contexts.has(fn.fn)) this.contexts.set(fn.fn, { ctx, registration });
  }

  /** Callback registrations (request_irq, cpuhp_setup_state, ...) and work-item bindings. */
  private collectRegistrations(): void {
    const keys: string[] = [];
    const inits: { key: string; fn: FunctionRef; registration: ChainStep }[] = [];
    for (const ref of this.refs) {
      const fs = this.functionShape(ref);
      this.link(ref, fs);
      if (fs.passed.length) this.collectNamedArguments(ref, fs);
      if (fs.registrationKey) keys.push(`${ref.file}:${fs.registrationKey}`);
      for (const { event, shape } of fs.registrations) {
        const registration = {
          fn: ref.fn.name,
          file: ref.file,
          range: event.range,
          callee: event.callee ?? '',
        };
        for (const r of shape.registers) {
          const target = this.index.resolveFunction(r.fn, ref.file);
          if (target) this.setContext(target, r.context, registration);
        }
        if (shape.initWork) {
          const fn = this.index.resolveFunction(shape.initWork.fn, ref.file);
          if (fn) {
            push(this.workFns, shape.initWork.key, fn);
            inits.push({ key: shape.initWork.key, fn, registration });
          }
        }
        if (shape.queue) {
          const set = this.queueWorks.get(shape.queue.wq) ?? new Set();
          set.add(shape.queue.work);
          this.queueWorks.set(shape.queue.wq, set);
        }
      }
    }
    const links = [...this.links].map(([dir, files]) => `${dir}>${[...files].sort().join(',')}`).sort();
    keys.push(createHash('sha1').update(links.join('\n')).digest('base64'));
    this.next.registrationKey = keys.join('\n');
    // A work function runs holding its workqueues' lockdep maps, then its work item's (as
    // process_one_work takes them): flushing either under a lock orders that lock before them.
    const queuedOn = new Map<string, string[]>();
    for (const [wq, works] of this.queueWorks) for (const w of works) push(queuedOn, w, wq);
    for (const { key, fn, registration } of inits) {
      if (key.startsWith('?')) continue; // unknown container type: no telling which work it is
      const maps = [
        ...(queuedOn.get(key) ?? []).map((wq) => workClass('workqueue', wq)),
        workClass('work', key),
      ];
      const entries = this.workEntries.get(fn.fn) ?? [];
      for (const cls of maps) if (!entries.some((e) => e.cls === cls)) entries.push({ cls, registration });
      this.workEntries.set(fn.fn, entries);
    }
  }

  /**
   * Functions passed for a parameter of a workspace function whose name tells their context
   * (`foo_setup_irq(f, foo_hardirq, foo_thread)` with parameter `thread_fn`: a threaded
   * handler; ReturnTypeContext.named).
   */
  private collectNamedArguments(ref: FunctionRef, fs: FunctionShape): void {
    for (const b of ref.fn.blocks)
      for (const event of b.events) {
        if (event.kind !== 'call' || !event.callee) continue;
        const name = event.callee;
        const callee = this.index.resolveFunction(name, ref.file);
        if (!callee) continue;
        const registration = { fn: ref.fn.name, file: ref.file, range: event.range, callee: name };
        event.args.forEach((arg, i) => {
          const param = callee.fn.params[i]?.name;
          if (!param || !fs.passed.includes(arg.text)) return;
          const fn = this.index.resolveFunction(arg.text, ref.file);
          const context = fn && this.kb.namedContext(fn.fn.returnType, param);
          if (fn && context) this.setContext(fn, context, registration);
        });
      }
  }

  /** Notes the files a function's direct calls reach, for its folder (see affine). */
  private link(ref: FunctionRef, fs: FunctionShape): void {
    const dir = folderOf(ref.file);
    let files = this.links.get(dir);
    if (!files) this.links.set(dir, (files = new Set()));
    files.add(ref.file);
    for (const event of fs.targets) {
      const target = fs.calls[event.n].target;
      if (target?.kind !== 'fn') continue;
      const def = this.index.resolveFunction(target.name, ref.file);
      if (def) files.add(def.file);
    }
  }

  private calleesOf(ref: FunctionRef): string[] {
    let entry = this.next.callees.get(ref.fn);
    if (!entry) {
      const ids = this.callees(ref);
      const key = ids
        .map((id) => id.slice(0, id.lastIndexOf('#')))
        .sort()
        .join(',');
      this.next.callees.set(ref.fn, (entry = { ids, key }));
    }
    return entry.ids;
  }

  private functionShape(ref: FunctionRef): FunctionShape {
    let fs = this.next.functionShapes.get(ref.fn);
    if (fs) return fs;
    let calls = 0;
    for (const b of ref.fn.blocks) for (const e of b.events) if (e.kind === 'call') calls++;
    // Sized first: calls are met out of order, and a growing sparse array turns into a dictionary.
    fs = {
      calls: new Array<CallShape>(calls),
      targets: [],
      registrations: [],
      registrationKey: '',
      passed: [],
      rekeys: [],
      inits: [],
    };
    // Targets are shared by the plain shapes of one callee: their identity is their meaning.
    const seenTargets = new Set<NonNullable<CallShape['target']>>();
    const env = this.env(ref);
    for (const b of ref.fn.blocks)
      for (const event of b.events) {
        if (event.kind !== 'call') continue;
        const shape = this.computeShape(event, env);
        fs.calls[event.n] = shape;
        const t = shape.target;
        if (t && !seenTargets.has(t)) {
          seenTargets.add(t);
          fs.targets.push(event);
        }
        if (shape.registers.length || shape.initWork || shape.queue) fs.registrations.push({ event, shape });
        const rekeyAt = event.callee ? this.kb.fact(event.callee)?.rekeysClass : undefined;
        const rekeyed = rekeyAt !== undefined ? event.args[rekeyAt] : undefined;
        if (rekeyed) fs.rekeys.push(env.lockOf(rekeyed).cls);
        const initAt = event.callee ? this.kb.fact(event.callee)?.keysAtSite : undefined;
        const inited = initAt !== undefined ? event.args[initAt] : undefined;
        if (inited)
          fs.inits.push({ cls: env.lockOf(inited).cls, site: `${event.range.line}:${event.range.col}` });
        for (const arg of event.args) {
          const name = arg.text;
          if (!/^[A-Za-z_]\w*$/.test(name) || fs.passed.includes(name)) continue;
          if (shape.registers.some((r) => r.fn === name) || shape.initWork?.fn === name) continue;
          if (this.index.functionsNamed(name).length) fs.passed.push(name);
        }
      }
    fs.registrationKey = fs.registrations.map((r) => JSON.stringify(r.shape)).join(';');
    fs.targets = keptList(fs.targets);
    fs.registrations = keptList(fs.registrations);
    fs.passed = keptList(fs.passed);
    fs.rekeys = keptList(fs.rekeys);
    fs.inits = keptList(fs.inits);
    this.next.functionShapes.set(ref.fn, fs);
    return fs;
  }

  private computeShape(event: CallEvent, env: TypeEnv): CallShape {
    const fact = event.callee ? this.kb.fact(event.callee) : undefined;
    if (event.callee && !fact) return this.directShape(event.callee);
    const argName = (i: number) => {
      const arg = event.args[i];
      const text = arg && functionNamed(arg.text);
      return text && /^\w+$/.test(text) ? text : undefined;
    };
    let target: CallShape['target'];
    if (event.via) {
      const type = env.pathType(event.via.object);
      target = type
        ? { kind: 'ptr', key: `${type}.${event.via.field}` }
        : { kind: 'ptr-field', field: event.via.field };
    }
    const callback = fact?.callsArg !== undefined ? argName(fact.callsArg) : undefined;
    if (callback) target = { kind: 'fn', name: callback };
    // A call that registers or queues nothing is its target alone: one shared shape per target
    // (a workspace has millions of calls and far fewer callees).
    const registrations = registrationsOf(fact);
    const registers = registrations.length ? [] : NO_REGISTRATIONS;
    if (registers === NO_REGISTRATIONS && !fact?.initWork && !fact?.queue) return this.plainShape(target);
    const shape: CallShape = { target, registers };
    if (!fact) return shape;
    const key = (i: number) => (event.args[i] ? env.lockOf(event.args[i]).cls : undefined);
    for (const reg of registrations) {
      const context = registrationContext(reg, (i) => event.args[i]?.text);
      for (const i of reg.args) {
        const fn = argName(i);
        if (fn) shape.registers.push({ fn, context });
      }
    }
    if (fact.initWork) {
      const k = key(fact.initWork.work);
      const fn = argName(fact.initWork.fn);
      if (k && fn) shape.initWork = { key: k, fn };
    }
    if (fact.queue) {
      const wq = key(fact.queue.wq);
      const work = key(fact.queue.work);
      if (wq && work) shape.queue = { wq, work };
    }
    return shape;
  }

  /** The shape of a plain call to a workspace function, one per callee name. */
  private directShape(callee: string): CallShape {
    let shape = this.directShapes.get(callee);
    if (!shape)
      this.directShapes.set(
        callee,
        (shape = { target: { kind: 'fn', name: callee }, registers: NO_REGISTRATIONS }),
      );
    return shape;
  }

  private plainShape(target: CallShape['target']): CallShape {
    const key = targetKey(target);
    let shape = this.plainShapes.get(key);
    if (!shape)
      this.plainShapes.set(key, (shape = target ? { target, registers: NO_REGISTRATIONS } : EMPTY_SHAPE));
    return shape;
  }

  private workFunctions(target: 'work' | 'workqueue', key: string): FunctionRef[] {
    if (key.startsWith('?')) return []; // unknown container type: no telling which work it is
    if (target === 'work') return this.workFns.get(key) ?? [];
    return [...(this.queueWorks.get(key) ?? [])].flatMap((w) => this.workFns.get(w) ?? []);
  }

  /**
   * What each call of `ref` may reach, by the call's ordinal: looked up once per function, not
   * once per call (a workspace has millions of calls).
   */
  private targetsIn(ref: FunctionRef): (event: CallEvent) => FunctionRef[] {
    let lists = this.targetLists.get(ref.fn);
    if (!lists)
      this.targetLists.set(ref.fn, (lists = new Array<FunctionRef[]>(this.functionShape(ref).calls.length)));
    const known = lists;
    return (event) => known[event.n] ?? (known[event.n] = this.resolveTargets(event, ref));
  }

  /** Functions a call may reach: a direct definition or the functions stored in the called field. */
  private resolveTargets(event: CallEvent, ref: FunctionRef): FunctionRef[] {
    const target = this.functionShape(ref).calls[event.n].target;
    if (!target) return noItems();
    if (target.kind === 'fn') {
      const def = this.index.resolveFunction(target.name, ref.file);
      return def ? this.only(def) : noItems();
    }
    const key = target.kind === 'ptr' ? target.key : this.untypedKey(target.field);
    const siblings = this.siblings(ref, key);
    if (siblings) return siblings;
    const found = this.affine(key);
    const own = found.near.get(ref.file);
    const near = own ?? found.near.get(folderOf(ref.file));
    // Several files' implementations stay several candidates, near or not: a folder of hundreds
    // of files (amdgpu's ring types) is no object the call is tied to.
    const spread = (refs: FunctionRef[]) => refs.some((r) => r.file !== refs[0].file);
    if (own ? false : near ? spread(near) : found.files > 1 && found.all.length > 1) {
      let calls = this.ambiguousCalls.get(ref.fn);
      if (!calls)
        this.ambiguousCalls.set(ref.fn, (calls = new Uint8Array(this.functionShape(ref).calls.length)));
      calls[event.n] = 1;
    }
    // A function calling through the field it is stored in chains to another implementation
    // (an ops wrapper calling the ops it wraps), not to itself.
    const targets = near ?? found.all;
    return targets.length > 1 && targets.includes(ref) ? targets.filter((t) => t !== ref) : targets;
  }

  /**
   * A function stored in an ops table calling through another field of the same ops type
   * (`qla2300_intr_handler()`, stored as `.intr_handler`, calling `ha->isp_ops->fw_dump()`) was
   * dispatched through that table: its object's table, whose member for that field runs. The
   * members of the tables it is stored in, when they all have one; undefined otherwise.
   */
  private siblings(ref: FunctionRef, key: string): FunctionRef[] | undefined {
    const dot = key.lastIndexOf('.');
    const [type, field] = [key.slice(0, dot), key.slice(dot + 1)];
    const tables = this.tablesOf.get(ref.fn)?.filter((t) => t.type === type);
    if (!tables?.length) return undefined;
    const members = tables.map((t) => this.tables.get(t.table)!.get(field));
    if (members.some((m) => !m || m === ref)) return undefined;
    return [...new Set(members as FunctionRef[])];
  }

  /**
   * Untyped object: the untyped stores of that field; typed ones only when no untyped store
   * exists and a single struct type stores functions there.
   */
  private untypedKey(field: string): string {
    const untyped = `?.${field}`;
    if (this.fnPointers.has(untyped)) return untyped;
    const types = this.pointerFieldTypes.get(field);
    return types?.size === 1 ? `${[...types][0]}.${field}` : untyped;
  }

  /** Whether a call's pointer targets stayed ambiguous (see affine). */
  private isAmbiguous(ref: FunctionRef, event: CallEvent): boolean {
    return this.ambiguousCalls.get(ref.fn)?.[event.n] === 1;
  }

  /**
   * The functions a call through pointer key `type.field` may reach, as seen from each folder.
   * Wrappers (implementations that themselves call through the same field: they chain to the
   * implementation they wrap) are dropped when others remain. Then the implementations the
   * caller's own file stores stand for the rest (the file that sets up `vm->insert_entries` for
   * its objects calls its own); else, from a folder, those stored in that folder or in a file
   * its functions call directly (the driver and the core it initialises its objects with:
   * mt7915 calls mt76_mmio_init, so its bus ops are mmio's, not usb's). A call where none is
   * near keeps them all; a call whose targets (near or all) come from several files is
   * ambiguous (its findings' confidence says so).
   */
  private affine(key: string): PointerTargets {
    let found = this.affineTargets.get(key);
    if (found) return found;
    const stores = this.pointerStores.get(key) ?? [];
    const field = key.slice(key.lastIndexOf('.') + 1);
    const plain = stores.filter((s) => !this.callsThrough(s.ref, field));
    const pool = plain.length ? plain : stores;
    const files = new Set(pool.map((s) => s.file));
    // By file (the implementations a file stores, for its own calls) and by folder.
    const near = new Map<string, FunctionRef[]>();
    if (files.size > 1)
      for (const file of files) near.set(file, distinctRefs(pool.filter((s) => s.file === file)));
    if (files.size > 1)
      for (const [dir, linked] of this.links) {
        const close = pool.filter((s) => folderOf(s.file) === dir || linked.has(s.file));
        if (close.length) near.set(dir, distinctRefs(close));
      }
    found = { all: distinctRefs(pool), near, files: files.size };
    this.affineTargets.set(key, found);
    return found;
  }

  /** Whether a function calls through a pointer field of this name itself. */
  private callsThrough(ref: FunctionRef, field: string): boolean {
    const fs = this.functionShape(ref);
    for (const event of fs.targets) {
      const t = fs.calls[event.n].target;
      if (
        (t?.kind === 'ptr' && t.key.endsWith(`.${field}`)) ||
        (t?.kind === 'ptr-field' && t.field === field)
      )
        return true;
    }
    return false;
  }

  /** One list per function called directly, shared by all its call sites. */
  private only(ref: FunctionRef): FunctionRef[] {
    let list = this.onlyLists.get(ref);
    if (!list) this.onlyLists.set(ref, (list = [ref]));
    return list;
  }

  /** Distinct, as a list: one is kept per function, and a set costs several times more. */
  private callees(ref: FunctionRef): string[] {
    const out = new Set<string>();
    const fs = this.functionShape(ref);
    const targets = this.targetsIn(ref);
    for (const event of fs.targets) for (const t of targets(event)) out.add(this.ids.get(t.fn)!);
    return [...out];
  }

  /** Finding.handedOver settled: dropped where some function releases its caller's lock of the class. */
  private unlessHandedOver(findings: readonly Omit<Finding, 'severity'>[]): Omit<Finding, 'severity'>[] {
    if (!findings.some((f) => f.handedOver)) return [...findings];
    const released = (this.releasedClasses ??= new Set(
      [...this.summaries.values()].flatMap((s) => s.releases.map((r) => r.lock.cls)),
    ));
    return findings.flatMap(({ handedOver, ...f }) => (handedOver && released.has(handedOver) ? [] : [f]));
  }

  /** Pauses after each function it analyses: ops tables make components of thousands. */
  private *analyzeComponent(scc: string[], callGraph: Map<string, string[]>): Generator<void> {
    // The component's ids are the call graph's, made from the same functions: each has its ref.
    const refs = scc.map((id) => this.byId.get(id)!);
    if (this.reusable(refs, callGraph)) {
      refs.forEach((ref, i) => {
        const prev = this.previous.get(ref.fn)!;
        this.summaries.set(ref.fn, prev.summary);
        this.next.functions.set(ref.fn, prev);
        this.next.byId.set(scc[i], prev);
      });
      return;
    }
    this.analysed += refs.length;
    const recursive = scc.length > 1 || callGraph.get(scc[0])?.includes(scc[0]);
    if (recursive) {
      for (let round = 0; round < MAX_SCC_ROUNDS; round++) {
        let changed = false;
        for (const ref of refs) {
          const before = this.summaries.get(ref.fn);
          const after = this.analyzeFunction(ref, false);
          if (!before || summaryKey(before) !== summaryKey(after)) changed = true;
          this.summaries.set(ref.fn, after);
          yield;
        }
        if (!changed) break;
      }
    }
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i];
      const id = scc[i];
      const memo: FunctionMemo = {
        summary: emptySummary(),
        ...this.dependencyKeys(ref),
        findings: [],
        edges: [],
        acquisitions: [],
      };
      this.current = memo;
      memo.summary = this.analyzeFunction(ref, true);
      this.current = undefined;
      memo.findings = keptList(memo.findings);
      memo.edges = keptList(memo.edges);
      memo.acquisitions = keptList(memo.acquisitions);
      // A re-lowered function is a new object: its predecessor is the memo under its id.
      const before = this.previous.get(ref.fn) ?? this.previousMemo?.byId.get(id);
      if (!before || changeKeyOf(before) !== changeKeyOf(memo)) this.changed.add(ref.fn);
      this.next.byId.set(id, memo);
      this.summaries.set(ref.fn, memo.summary);
      this.next.functions.set(ref.fn, memo);
      yield;
    }
  }

  private entryHeld(ref: FunctionRef, env: TypeEnv): HeldLock[] {
    const held: HeldLock[] = [];
    const context = this.contexts.get(ref.fn);
    if (context) {
      const { ctx, registration } = context;
      for (const h of ctx.held) {
        held.push({
          cls: h.cls,
          expr: h.cls,
          kind: h.kind,
          mode: h.mode,
          recursiveRead: false,
          chain: [registration],
          entry: ctx.label,
          fromContext: true,
        });
      }
      if (ctx.atomic && ctx.held.length === 0) {
        held.push({
          cls: context.ctx.label,
          expr: 'irq context',
          kind: 'irq',
          mode: 'write',
          recursiveRead: false,
          chain: [registration],
          entry: ctx.label,
          fromContext: true,
        });
      }
    }
    for (const w of this.workEntries.get(ref.fn) ?? []) {
      held.push({
        cls: w.cls,
        expr: w.cls,
        kind: 'lockdep_map',
        mode: 'write',
        recursiveRead: false,
        chain: [w.registration],
        entry: 'work function',
        fromContext: true,
      });
    }
    for (const arg of ref.fn.mustHold) {
      held.push({ ...declaredLock(arg, { env }), chain: [], entry: '__must_hold' });
    }
    return held;
  }

  private analyzeFunction(ref: FunctionRef, final: boolean): Summary {
    const env = this.env(ref);
    const summary = emptySummary();
    const callCtx: CallContext = {
      kb: this.kb,
      env,
      targets: this.targetsIn(ref),
      summaryOf: (r) => this.summaries.get(r.fn),
      ambiguous: (e) => this.isAmbiguous(ref, e),
    };
    const entry = makeState(this.entryHeld(ref, env), [], [], []);
    let checksContext = false;
    const insideByClass = new Map<string, Summary['inside'][number][]>();
    const stable = unassignedParams(ref.fn);
    const stableAt = paramsUnassignedAt(ref.fn, stable);
    const assigned = new AssignedParams(ref.fn, stable);
    const primer = new PrimerCheck(ref.fn, this.kb);
    // Blocks are walked in order: calls before this one have been folded into the summary.
    const tookBefore = (cls: string) => insideByClass.has(cls);
    const irqsOnByKey = new Map<string, Summary['irqsOn'][number]>();
    // The calls (by ordinal) that sleep whenever they run: for Summary.sleepsOnEveryPath.
    let sleepCalls: Uint8Array | undefined;
    const exits = runDataflow(ref.fn, entry, {
      opsOf: (e) => opsOfCall(e, callCtx),
      observe: (event, allOps, allStates) => {
        if (allOps.some((o) => o.op === 'context-check')) checksContext = true;
        if (
          !event.inArgsOf &&
          (sleepsWhenever(allOps) || this.calleesSleep(ref, event, callCtx.targets(event)))
        )
          (sleepCalls ??= new Uint8Array(this.functionShape(ref).calls.length))[event.n] = 1;
        const here = stableAt(event);
        const params = (when: readonly CallerTest[] | undefined) =>
          asParamTests(when, ref.fn, here, assigned);
        for (const [pathOps, states] of byPath(allOps, allStates)) {
          const ops = unblockedOps(pathOps, states);
          const guard = guardOf(ref.fn, here, states);
          accumulate(summary, insideByClass, ops, guard, droppedIn(states), params, states);
          accumulateIrqsOn(summary, irqsOnByKey, event, ops, states, this.kb);
          primer.observe(event, ops, states);
          const edges = ops.length ? callEdges(ops, states) : noItems<CallEdge>();
          addOrders(summary, edges);
          if (!final) continue;
          this.addEdges(ref, event, ops, edges);
          const site = { file: ref.file, env, event, ops, states, tookBefore };
          for (const rule of this.rules) rule.onCall?.(site, this.world, this.report);
        }
      },
      watchesAssign: (name) => assigned.watches(name),
      observeAssign: (name, states) =>
        assigned.observe(
          name,
          states.reduce((range, s) => range | valueOf(s, name), 0),
        ),
      releasedForeign: (op) => {
        const prev = summary.releases.find((r) => r.lock.cls === op.lock.cls);
        if (!prev)
          summary.releases.push({ lock: op.lock, chain: op.chain, ...(op.partial ? { partial: true } : {}) });
        else if (op.partial) prev.partial = true;
      },
    });
    const exitStates = exits.flatMap((e) => e.states);
    // A priming function's orders are declared: legal, and never reported (see PrimerCheck).
    const primed = primer.label();
    if (primed) {
      for (const o of summary.orders) o.primed ??= primed;
      if (final) for (const e of this.current!.edges) e.primed ??= primed;
    }
    // Released on some exits only (paths that join before an exit keep the first one's view):
    // callers that do not hold the lock release what nobody took.
    for (const r of summary.releases)
      if (exitStates.some((s) => !s.dropped.includes(r.lock.cls))) r.partial = true;
    // Held at every exit (an entry lock dropped and retaken counts as held).
    for (const h of exitStates.flatMap((s) => s.held)) {
      if (h.entry || summary.acquires.some((a) => a.lock.expr === h.expr)) continue;
      if (!exitStates.every((s) => s.held.some((x) => x.expr === h.expr))) continue;
      summary.acquires.push({ lock: lockOfHeld(h), chain: h.chain, conditional: h.conditional });
    }
    // Dropped and retaken on every path that dropped it (unlock, sleep, relock), untouched on
    // the others: neutral for the caller.
    summary.releases = summary.releases.filter(
      (r) =>
        !exitStates.length ||
        exitStates.some((s) => s.dropped.includes(r.lock.cls)) ||
        !exitStates.some((s) => s.held.some((h) => h.expr === r.lock.expr)),
    );
    const states = returnStates(ref.fn, stable, exits, summary.releases);
    summary.returns = states.returns;
    if (states.cases) summary.cases = states.cases;
    this.annotatedSummary(ref, env, summary);
    if (checksContext) delete summary.effects.sleep; // it sleeps only where sleeping is allowed
    const sleeping = sleepCalls;
    if (!checksContext && sleeping && sleepsOnEveryPath(ref.fn, (e) => sleeping[e.n] === 1))
      summary.sleepsOnEveryPath = true;
    if (final)
      for (const rule of this.rules)
        rule.onExit?.({ file: ref.file, env, exits, summary }, this.world, this.report);
    return keptSummary(summary);
  }

  /** Whether every function a call may reach sleeps on every path (none when it stays ambiguous). */
  private calleesSleep(ref: FunctionRef, event: CallEvent, targets: FunctionRef[]): boolean {
    return (
      targets.length > 0 &&
      !this.isAmbiguous(ref, event) &&
      targets.every((t) => this.summaries.get(t.fn)?.sleepsOnEveryPath)
    );
  }

  /** `__acquires(x)` / `__releases(x)` state what the body may hide behind macros. */
  private annotatedSummary(ref: FunctionRef, env: TypeEnv, summary: Summary): void {
    const chain = [{ fn: ref.fn.name, file: ref.file, range: ref.fn.nameRange, callee: ref.fn.name }];
    for (const arg of ref.fn.acquiresAnnot) {
      const lock = declaredLock(arg, { env });
      if (!summary.acquires.some((a) => a.lock.cls === lock.cls)) summary.acquires.push({ lock, chain });
    }
    for (const arg of ref.fn.releasesAnnot) {
      const lock = declaredLock(arg, { env });
      if (!summary.releases.some((a) => a.lock.cls === lock.cls)) summary.releases.push({ lock, chain });
    }
  }

  private addEdges(ref: FunctionRef, event: CallEvent, ops: Op[], edges: CallEdge[]): void {
    const memo = this.current!;
    for (const op of ops)
      if (op.op === 'acquire' && op.chain.length === 1 && waitsForLock(op) && isOrderedKind(op.lock.kind))
        memo.acquisitions.push(op.lock);
    for (const e of edges) {
      const witness = {
        file: ref.file,
        range: event.range,
        fn: ref.fn.name,
        chain: e.chain,
        heldChain: e.held.chain,
        heldEntry: e.held.entry,
      };
      memo.edges.push(
        e.declared ? { held: e.held, to: e.to, witness, primed: e.declared } : { ...e, witness },
      );
    }
  }
}

interface CallEdge {
  held: HeldLock;
  to: LockInfo;
  chain: ChainStep[];
  /** What declares the order legal (OrderEdge.declared), if anything. */
  declared?: string;
}

/**
 * The order edges a call creates: every held lock before each lock it may wait for, each
 * pseudo-lock its effects take and each work or workqueue map it flushes; and the orders a callee
 * made between locks it could not name (Summary.orders). Once per class pair.
 */
function callEdges(ops: Op[], states: readonly LockState[]): CallEdge[] {
  let out: CallEdge[] | undefined;
  let seen: Set<string> | undefined;
  const add = (held: HeldLock, to: LockInfo, chain: ChainStep[], declared: string | undefined) => {
    const key = `${held.cls}>${to.cls}`;
    seen ??= new Set();
    if (seen.has(key)) return;
    seen.add(key);
    (out ??= []).push(declared ? { held, to, chain, declared } : { held, to, chain });
  };
  for (const op of ops) {
    if (op.op === 'order') {
      if (isOrderedKind(op.from.kind) && isOrderedKind(op.to.kind))
        add({ ...op.from, chain: [] }, op.to, op.chain, op.primed ?? declaration(op.to, op.chain));
      continue;
    }
    let to: LockInfo | undefined;
    if ((op.op === 'acquire' || op.op === 'inside') && waitsForLock(op)) to = op.lock;
    else if (op.op === 'effect') to = pseudoLock(op.effect);
    else if (op.op === 'flush' && !op.key.startsWith('?')) to = workLock(op.target, op.key);
    if (!to || !isOrderedKind(to.kind) || !('chain' in op)) continue;
    const chain = op.chain;
    // The caller's locks the callee drops first are not held when it takes this one.
    const without = op.op === 'inside' || op.op === 'effect' || op.op === 'flush' ? op.without : undefined;
    for (const s of states)
      for (const h of s.held)
        if (isOrderedKind(h.kind) && !without?.includes(h.cls)) add(h, to, chain, declaration(to, chain));
  }
  return out ?? noItems();
}

/**
 * An order is declared when what it orders is a lockdep annotation (might_lock(), mutex_acquire()
 * on a dep_map, lock_map_acquire()): the annotation states the order, nothing runs. What real
 * code takes under an annotated map (fs_reclaim_acquire() around a shrinker call) is real.
 */
function declaration(to: LockInfo, chain: ChainStep[]): string | undefined {
  const leaf = to.declared ? chain[chain.length - 1] : undefined;
  return leaf ? `lockdep annotation ${leaf.callee}() in ${leaf.fn}()` : undefined;
}

function workLock(target: 'work' | 'workqueue', key: string): LockInfo {
  const cls = workClass(target, key);
  return { cls, expr: cls, kind: 'lockdep_map', mode: 'write', recursiveRead: false };
}

/**
 * Orders a caller must make itself: between locks this function can name only by a parameter of
 * unknown type (`struct mutex *m`), whose class is the caller's argument.
 */
function addOrders(summary: Summary, edges: CallEdge[]): void {
  for (const e of edges) {
    const h = e.held;
    if (h.fromContext || h.entry || summary.orders.length >= MAX_ORDERS) continue;
    const open = (l: LockInfo) => l.param !== undefined && l.cls.startsWith('?');
    if (!open(h) && !open(e.to)) continue;
    if (summary.orders.some((o) => o.from.expr === h.expr && o.to.expr === e.to.expr)) continue;
    const from = lockOfHeld(h);
    summary.orders.push(
      e.declared
        ? { from, to: e.to, chain: e.chain, primed: e.declared }
        : { from, to: e.to, chain: e.chain },
    );
  }
}

/** The memo's change key (FunctionMemo.key), made on first use; the summary no longer changes by then. */
export function changeKeyOf(memo: FunctionMemo): string {
  return (memo.key ??= changeKey(memo.summary));
}

/**
 * What callers see of a summary: its facts, and the shape of its chains: where they start in
 * this function (an edit that moves a call within its line moves the related locations callers
 * report), how long they are and where they end (callers keep the shortest witness).
 */
function changeKey(s: Summary): string {
  const heads: string[] = [];
  const head = (chain: ChainStep[]) => {
    const r = chain[0]?.range;
    if (r) heads.push(`${r.line}:${r.col}-${r.endCol}/${chain.length}:${chain[chain.length - 1].fn}`);
  };
  for (const x of [...s.acquires, ...s.releases, ...s.inside, ...s.reclaimIfParam, ...s.flushes, ...s.irqsOn])
    head(x.chain);
  for (const chain of Object.values(s.effects)) if (chain) head(chain);
  // A digest: the text runs to kilobytes for big summaries, and memos are kept and stored.
  return createHash('sha1')
    .update(`${summaryKey(s)}@${heads.join(',')}`)
    .digest('base64');
}

/**
 * What a call through one pointer key may reach: all targets, the near ones per file and per
 * folder (when the targets come from several files), and from how many files they come.
 */
interface PointerTargets {
  all: FunctionRef[];
  near: Map<string, FunctionRef[]>;
  files: number;
}

function folderOf(file: string): string {
  const at = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return at < 0 ? '' : file.slice(0, at);
}

/** The functions of a list of stores, each once, in store order. */
function distinctRefs(stores: readonly { ref: FunctionRef }[]): FunctionRef[] {
  const out: FunctionRef[] = [];
  for (const s of stores) if (!out.includes(s.ref)) out.push(s.ref);
  return out;
}

function within(r: Range, line: number, col: number): boolean {
  if (line < r.line || line > r.endLine) return false;
  if (line === r.line && col < r.col) return false;
  return !(line === r.endLine && col > r.endCol);
}

function size(r: Range): number {
  return (r.endLine - r.line) * 10_000 + (r.endCol - r.col);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

/** A guard as a summary keeps it: none when it has no test. */
function kept(guard: Guard): Guard | undefined {
  return guard.length ? guard : undefined;
}

/**
 * The function an argument names, without `&` and casts: drivers register handlers as
 * `(irq_handler_t)foo_isr` when their prototype differs.
 */
function functionNamed(text: string): string {
  let t = text.replace(/^&\s*/, '');
  for (let cast = CAST_RE.exec(t); cast; cast = CAST_RE.exec(t))
    t = t.slice(cast[0].length).replace(/^&\s*/, '');
  return t;
}

const CAST_RE = /^\(\s*(?:const\s+|struct\s+)?[A-Za-z_]\w*(?:\s*\*)*\s*\)\s*/;

/** A second occurrence weakens a guard to the tests both share; an unguarded one stays unguarded. */
function weaker(prev: Guard | undefined, next: Guard): Guard | undefined {
  return prev && kept(commonTests(prev, next));
}

/** Entries of one class a summary keeps apart when their guards have nothing in common. */
const MAX_INSIDE_CASES = 4;

/**
 * The entry an occurrence of a class under `guard` joins: one whose guard shares a test with
 * it, or, while every occurrence is guarded and they are few, none (a new entry, so that
 * `if (block is GFX) mailbox_rw()` and `if (!(flags & NO_KIQ)) kiq_rreg()` reaching one lock
 * stay two conditions a caller's constants can rule out, as Summary.effectCases does).
 */
function insideEntryFor(
  entries: Summary['inside'][number][],
  guard: Guard,
): Summary['inside'][number] | undefined {
  const apart = guard.length > 0 && entries.length < MAX_INSIDE_CASES;
  const joins = entries.find((e) => !apart || !e.when || commonTests(e.when, guard).length > 0);
  return joins ?? (apart ? undefined : entries[0]);
}

/** Guarded occurrences of one effect a summary keeps apart (Summary.effectCases). */
const MAX_EFFECT_CASES = 4;

function addEffect(
  summary: Summary,
  effect: Effect,
  chain: ChainStep[],
  guard: Guard,
  without: string[],
): void {
  const prev = summary.effects[effect];
  summary.effectGuards[effect] = prev ? weaker(summary.effectGuards[effect], guard) : kept(guard);
  addEffectCase(summary, effect, prev === undefined, guard, chain);
  const before = summary.effectWithout[effect];
  summary.effectWithout[effect] = prev ? (before ?? []).filter((c) => without.includes(c)) : without;
  if (!prev || chain.length < prev.length) summary.effects[effect] = chain;
}

/**
 * Keeps the occurrence's guard beside the others while every occurrence is guarded and they
 * are few; an unguarded occurrence, or too many, leaves only the common guard (effectGuards).
 */
function addEffectCase(
  summary: Summary,
  effect: Effect,
  first: boolean,
  guard: Guard,
  chain: ChainStep[],
): void {
  const cases = (summary.effectCases ??= {});
  const list = first ? [] : cases[effect];
  if (!list || guard.length === 0 || list.length >= MAX_EFFECT_CASES) {
    delete cases[effect];
    return;
  }
  const same = list.find((c) => JSON.stringify(c.guard) === JSON.stringify(guard));
  if (!same) cases[effect] = [...list, { guard, chain }];
  else if (chain.length < same.chain.length) same.chain = chain;
}

/**
 * A sleep inside an atomic section this function entered itself, on every path: sleep-in-atomic
 * reports it here, and the function's callers would only repeat that report (lockdep prints one
 * splat; one fix, here, settles them all). It is not the summary's sleep.
 */
function sleepReportedHere(states: readonly LockState[], without: readonly string[] = []): boolean {
  return (
    states.length > 0 &&
    states.every((s) =>
      s.held.some((h) => isAtomicKind(h.kind) && !h.entry && !h.fromContext && !without.includes(h.cls)),
    )
  );
}

/** The caller's classes an op of this call happens without: dropped here, or by the callee. */
function droppedFor(dropped: string[], inCallee: string[] | undefined): string[] {
  return inCallee?.length ? [...new Set([...dropped, ...inCallee])] : dropped;
}

/** Caller lock classes dropped on every path to a call. */
function droppedIn(states: readonly LockState[]): string[] {
  return states[0]?.dropped.filter((d) => states.every((s) => s.dropped.includes(d))) ?? [];
}

/**
 * A call's ops with the paths they happen on: an op whose callee's guard became tests of this
 * function's variables (`when`) happens only on the paths those tests do not contradict
 * (`g(dev, flags)` inside `if (!(flags & FOO_SYNC))` does not wait for FOO_SYNC).
 */
function byPath(ops: Op[], states: readonly LockState[]): [Op[], readonly LockState[]][] {
  if (!ops.some((op) => 'when' in op && op.when)) return [[ops, states]];
  const groups = new Map<string, [Op[], LockState[]]>();
  for (const s of states) {
    const fit = ops.filter((op) => !('when' in op) || !op.when || !op.when.some((t) => contradicts(s, t)));
    const key = fit.map((op) => ops.indexOf(op)).join(',');
    const group = groups.get(key);
    if (group) group[1].push(s);
    else groups.set(key, [fit, [s]]);
  }
  return [...groups.values()];
}

/**
 * Folds one call's ops into the function's summary: effects, locks taken inside, flushes, each
 * guarded by the paths' tests of the parameters and by the callee's guard on them (`params`
 * turns an op's tests of this function's variables into tests of its parameters).
 */
function accumulate(
  summary: Summary,
  insideByClass: Map<string, Summary['inside'][number][]>,
  ops: Op[],
  pathGuard: Guard,
  dropped: string[],
  params: (when: CallerTest[] | undefined) => ParamTest[],
  states: readonly LockState[],
): void {
  for (const op of ops) {
    const guard = 'when' in op && op.when ? allTests(pathGuard, params(op.when)) : pathGuard;
    switch (op.op) {
      case 'effect':
        if (op.effect === 'sleep' && sleepReportedHere(states, op.without)) break;
        addEffect(summary, op.effect, op.chain, guard, [...new Set([...dropped, ...(op.without ?? [])])]);
        break;
      case 'acquire':
      case 'inside': {
        // Retaking the caller's lock it dropped (unlock, sleep, relock) is no new acquisition.
        if (!isOrderedKind(op.lock.kind) || dropped.includes(op.lock.cls)) break;
        const waits = waitsForLock(op);
        const entries = insideByClass.get(op.lock.cls);
        const prev = entries && insideEntryFor(entries, guard);
        const without = droppedFor(dropped, op.op === 'inside' ? op.without : undefined);
        if (!prev && summary.inside.length < MAX_INSIDE) {
          const entry: Summary['inside'][number] = { lock: op.lock, chain: op.chain, when: kept(guard) };
          if (waits) entry.waitsWhen = kept(guard);
          else entry.tryOnly = true;
          if (without.length) entry.without = without;
          summary.inside.push(entry);
          if (entries) entries.push(entry);
          else insideByClass.set(op.lock.cls, [entry]);
        } else if (prev) {
          prev.when = weaker(prev.when, guard);
          prev.without = prev.without?.filter((c) => without.includes(c));
          if (!prev.without?.length) prev.without = undefined;
          // The witness of a lock taken by waiting is a path that waits: a trylock's path shown
          // as the way a lock is ordered after its callers' would mislead.
          if (waits && prev.tryOnly) {
            prev.chain = op.chain;
            prev.tryOnly = undefined;
            prev.waitsWhen = kept(guard);
          } else {
            if (waits) prev.waitsWhen = weaker(prev.waitsWhen, guard);
            if (op.chain.length < prev.chain.length && (waits || prev.tryOnly)) prev.chain = op.chain;
          }
        }
        if (
          isSleepingKind(op.lock.kind) &&
          waits &&
          !op.lock.declared &&
          !sleepReportedHere(states, op.op === 'inside' ? op.without : undefined)
        )
          addEffect(summary, 'sleep', op.chain, guard, dropped);
        break;
      }
      case 'flush': {
        const prev = summary.flushes.find((f) => f.key === op.key);
        const without = droppedFor(dropped, op.without);
        if (prev) {
          prev.when = weaker(prev.when, guard);
          prev.without = prev.without?.filter((c) => without.includes(c));
          if (!prev.without?.length) prev.without = undefined;
        } else {
          const entry: Summary['flushes'][number] = { target: op.target, key: op.key, chain: op.chain };
          if (guard.length) entry.when = guard;
          if (without.length) entry.without = without;
          summary.flushes.push(entry);
        }
        break;
      }
      case 'reclaim-if-param':
        if (!summary.reclaimIfParam.some((r) => r.index === op.index))
          summary.reclaimIfParam.push({ index: op.index, chain: op.chain });
        break;
      default:
        break;
    }
  }
}
