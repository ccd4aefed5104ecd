/**
 * Interprocedural analysis over the workspace index: call graph (direct calls and function
 * pointers through ops tables), callback entry contexts, work-item bindings, bottom-up
 * summaries with a fixpoint per strongly connected component, and a final pass per function
 * that feeds the rules and the lock-order graph.
 */
import type { Knowledge } from '../kb/knowledge';
import { isOrderedKind, type EntryContext } from '../kb/types';
import { OrderGraph, stronglyConnected, type RuntimeEdgeInput } from '../graph/order-graph';
import type { Finding, Report, Rule, RuleWorld } from '../rules/rule';
import type { FunctionRef, WorkspaceIndex } from '../workspace/index';
import { type CallContext, declaredLock, opsOfCall, pseudoLock } from './calls';
import { TypeEnv } from './classes';
import { makeState, resetInterning, runDataflow } from './dataflow';
import type { AccessPath, CallEvent, FunctionIR, Range } from './ir';
import type { Effect } from '../kb/types';
import {
  type ChainStep,
  type Guard,
  type HeldLock,
  type LockInfo,
  type LockState,
  type Op,
  type Summary,
  emptySummary,
  summaryKey,
} from './model';

const MAX_SCC_ROUNDS = 6;
const MAX_INSIDE = 256;

export interface AnalysisOutput {
  findings: Omit<Finding, 'severity'>[];
  graph: OrderGraph;
  summaries: Map<FunctionIR, Summary>;
  functions: number;
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

/** `runtimeEdges` (lockdep's, see lockdep/merge.ts) join the graph before the rules see it. */
export function analyzeWorkspace(
  index: WorkspaceIndex,
  kb: Knowledge,
  rules: readonly Rule[],
  runtimeEdges: readonly RuntimeEdgeInput[] = [],
): AnalysisOutput {
  return new WorkspaceAnalysis(index, kb, rules, runtimeEdges).run();
}

class WorkspaceAnalysis {
  private readonly refs: FunctionRef[];
  private readonly refOf = new Map<FunctionIR, FunctionRef>();
  private readonly ids = new Map<FunctionIR, string>();
  private readonly byId = new Map<string, FunctionRef>();
  private readonly envs = new Map<FunctionIR, TypeEnv>();
  private readonly targetCache = new Map<CallEvent, FunctionRef[]>();
  private readonly fnPointers = new Map<string, FunctionRef[]>();
  /** Field name -> struct types storing functions in it (for calls through untyped objects). */
  private readonly pointerFieldTypes = new Map<string, Set<string>>();
  private readonly contexts = new Map<FunctionIR, ContextEntry>();
  private readonly workFns = new Map<string, FunctionRef[]>();
  private readonly queueWorks = new Map<string, Set<string>>();
  private readonly summaries = new Map<FunctionIR, Summary>();
  private readonly graph = new OrderGraph();
  private readonly findings: Omit<Finding, 'severity'>[] = [];
  private readonly report: Report = (f) => this.findings.push(f);
  private readonly world: RuleWorld;

  constructor(
    private readonly index: WorkspaceIndex,
    private readonly kb: Knowledge,
    private readonly rules: readonly Rule[],
    private readonly runtimeEdges: readonly RuntimeEdgeInput[] = [],
  ) {
    this.refs = index.allFunctions();
    this.refs.forEach((r, i) => {
      const id = `${r.file}#${r.fn.name}#${i}`;
      this.ids.set(r.fn, id);
      this.byId.set(id, r);
      this.refOf.set(r.fn, r);
    });
    this.world = { index, workLocks: (target, key) => this.workLocks(target, key) };
  }

  run(): AnalysisOutput {
    resetInterning();
    this.collectPointers();
    this.collectRegistrations();
    for (const edge of this.kb.baseline()) this.graph.addExternal(edge.from, edge.to, 'baseline', edge.where);
    const callGraph = new Map<string, Set<string>>();
    for (const ref of this.refs) callGraph.set(this.ids.get(ref.fn)!, this.callees(ref));
    for (const scc of stronglyConnected(callGraph)) this.analyzeComponent(scc, callGraph);
    for (const e of this.runtimeEdges) this.graph.addRuntime(e.from, e.to, e.source);
    for (const rule of this.rules) rule.onGraph?.(this.graph, this.report);
    return {
      findings: this.findings,
      graph: this.graph,
      summaries: this.summaries,
      functions: this.refs.length,
      inspect: (file, line, col) => this.inspect(file, line, col),
    };
  }

  private inspect(file: string, line: number, col: number): CallInspection | undefined {
    const ref = this.refs.find((r) => r.file === file && within(r.fn.range, line, col));
    if (!ref) return undefined;
    const env = this.env(ref);
    let found: CallInspection | undefined;
    const callCtx: CallContext = {
      kb: this.kb,
      env,
      targets: (e) => this.targets(e, env),
      summaryOf: (r) => this.summaries.get(r.fn),
    };
    runDataflow(ref.fn, makeState(this.entryHeld(ref, env), [], [], []), {
      opsOf: (e) => opsOfCall(e, callCtx),
      observe: (event, ops, states) => {
        if (!within(event.range, line, col)) return;
        // The innermost call under the cursor wins: `foo(x)` inside `mutex_lock(foo(x))`.
        if (found && size(found.event.range) <= size(event.range)) return;
        const callees = this.targets(event, env).flatMap((t) => {
          const summary = this.summaries.get(t.fn);
          return summary ? [{ fn: t.fn, file: t.file, summary }] : [];
        });
        found = { fn: ref.fn, event, ops, states, callees };
      },
    });
    return found;
  }

  private env(ref: FunctionRef): TypeEnv {
    let env = this.envs.get(ref.fn);
    if (!env) this.envs.set(ref.fn, (env = new TypeEnv(this.index, this.kb, ref.file, ref.fn)));
    return env;
  }

  private *callEvents(ref: FunctionRef): Generator<CallEvent> {
    for (const b of ref.fn.blocks) for (const e of b.events) if (e.kind === 'call') yield e;
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
      if (type) {
        const types = this.pointerFieldTypes.get(store.field) ?? new Set();
        types.add(type);
        this.pointerFieldTypes.set(store.field, types);
      }
      const context = this.kb.callbackContext(type, store.field);
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
    for (const ref of this.refs) {
      const env = this.env(ref);
      for (const event of this.callEvents(ref)) {
        const fact = event.callee ? this.kb.fact(event.callee) : undefined;
        if (!fact) continue;
        const registration = { fn: ref.fn.name, file: ref.file, range: event.range, callee: event.callee! };
        if (fact.register) {
          for (const i of fact.register.args) {
            const target = this.functionArg(event, i, ref.file);
            if (target) this.setContext(target, fact.register.context, registration);
          }
        }
        if (fact.initWork) {
          const work = event.args[fact.initWork.work];
          const fn = this.functionArg(event, fact.initWork.fn, ref.file);
          if (work && fn) push(this.workFns, env.lockOf(work).cls, fn);
        }
        if (fact.queue) {
          const wq = event.args[fact.queue.wq];
          const work = event.args[fact.queue.work];
          if (wq && work) {
            const set = this.queueWorks.get(env.lockOf(wq).cls) ?? new Set();
            set.add(env.lockOf(work).cls);
            this.queueWorks.set(env.lockOf(wq).cls, set);
          }
        }
      }
    }
  }

  private functionArg(event: CallEvent, i: number, file: string): FunctionRef | undefined {
    const text = event.args[i]?.text.replace(/^&/, '');
    return text && /^\w+$/.test(text) ? this.index.resolveFunction(text, file) : undefined;
  }

  private workFunctions(target: 'work' | 'workqueue', key: string): FunctionRef[] {
    if (key.startsWith('?')) return []; // unknown container type: no telling which work it is
    if (target === 'work') return this.workFns.get(key) ?? [];
    return [...(this.queueWorks.get(key) ?? [])].flatMap((w) => this.workFns.get(w) ?? []);
  }

  private workLocks(target: 'work' | 'workqueue', key: string): ReturnType<RuleWorld['workLocks']> {
    return this.workFunctions(target, key).map((ref) => {
      const s = this.summaries.get(ref.fn);
      const locks = new Map<string, ChainStep[]>();
      for (const l of [...(s?.acquires ?? []), ...(s?.inside ?? [])])
        if (!locks.has(l.lock.cls)) locks.set(l.lock.cls, l.chain);
      return { fn: ref.fn.name, file: ref.file, locks };
    });
  }

  /** Functions a call may reach: a direct definition or every function stored in the called field. */
  private targets(event: CallEvent, env: TypeEnv): FunctionRef[] {
    let t = this.targetCache.get(event);
    if (t) return t;
    if (event.callee) {
      const ref = this.kb.fact(event.callee) ? undefined : this.index.resolveFunction(event.callee, env.file);
      t = ref ? [ref] : [];
    } else if (event.via) {
      const type = env.pathType(event.via.object);
      const field = event.via.field;
      if (type) t = this.fnPointers.get(`${type}.${field}`) ?? [];
      else {
        // Untyped object: the untyped stores of that field; typed ones only when no untyped
        // store exists and a single struct type stores functions there.
        t = this.fnPointers.get(`?.${field}`) ?? [];
        const types = this.pointerFieldTypes.get(field);
        if (t.length === 0 && types?.size === 1) t = this.fnPointers.get(`${[...types][0]}.${field}`) ?? [];
      }
    } else t = [];
    this.targetCache.set(event, t);
    return t;
  }

  private callees(ref: FunctionRef): Set<string> {
    const env = this.env(ref);
    const out = new Set<string>();
    for (const event of this.callEvents(ref)) {
      for (const t of this.targets(event, env)) out.add(this.ids.get(t.fn)!);
      // A flush waits for the work functions: analyse them first.
      const flush = event.callee ? this.kb.fact(event.callee)?.flush : undefined;
      const arg = flush ? event.args[flush.arg] : undefined;
      if (flush && arg)
        for (const w of this.workFunctions(flush.target, env.lockOf(arg).cls)) out.add(this.ids.get(w.fn)!);
    }
    return out;
  }

  private analyzeComponent(scc: string[], callGraph: Map<string, Set<string>>): void {
    const refs = scc.map((id) => this.byId.get(id)).filter((r): r is FunctionRef => r !== undefined);
    const recursive = scc.length > 1 || callGraph.get(scc[0])?.has(scc[0]);
    if (recursive) {
      for (let round = 0; round < MAX_SCC_ROUNDS; round++) {
        let changed = false;
        for (const ref of refs) {
          const before = this.summaries.get(ref.fn);
          const after = this.analyzeFunction(ref, false);
          if (!before || summaryKey(before) !== summaryKey(after)) changed = true;
          this.summaries.set(ref.fn, after);
        }
        if (!changed) break;
      }
    }
    for (const ref of refs) this.summaries.set(ref.fn, this.analyzeFunction(ref, true));
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
      targets: (e) => this.targets(e, env),
      summaryOf: (r) => this.summaries.get(r.fn),
    };
    const entry = makeState(this.entryHeld(ref, env), [], [], []);
    let checksContext = false;
    const exits = runDataflow(ref.fn, entry, {
      opsOf: (e) => opsOfCall(e, callCtx),
      observe: (event, ops, states) => {
        accumulate(summary, ops, guardOf(ref.fn, states));
        if (ops.some((o) => o.op === 'context-check')) checksContext = true;
        if (!final) return;
        this.addEdges(ref, event, ops, states);
        const site = { file: ref.file, env, event, ops, states };
        for (const rule of this.rules) rule.onCall?.(site, this.world, this.report);
      },
      releasedForeign: (op) => {
        if (!summary.releases.some((r) => r.lock.cls === op.lock.cls))
          summary.releases.push({ lock: op.lock, chain: op.chain });
      },
    });
    const exitStates = exits.flatMap((e) => e.states);
    // Held at every exit (an entry lock dropped and retaken counts as held).
    for (const h of exitStates.flatMap((s) => s.held)) {
      if (h.entry || summary.acquires.some((a) => a.lock.expr === h.expr)) continue;
      if (!exitStates.every((s) => s.held.some((x) => x.expr === h.expr))) continue;
      summary.acquires.push({ lock: stripHeld(h), chain: h.chain, conditional: h.conditional });
    }
    this.annotatedSummary(ref, env, summary);
    if (checksContext) delete summary.effects.sleep; // it sleeps only where sleeping is allowed
    if (final)
      for (const rule of this.rules)
        rule.onExit?.({ file: ref.file, env, exits, summary }, this.world, this.report);
    return summary;
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

  private addEdges(ref: FunctionRef, event: CallEvent, ops: Op[], states: readonly LockState[]): void {
    const seen = new Set<string>();
    for (const op of ops) {
      let to: LockInfo | undefined;
      if (op.op === 'acquire' && op.conditional !== 'nonzero-success') to = op.lock;
      else if (op.op === 'inside') to = op.lock;
      else if (op.op === 'effect') to = pseudoLock(op.effect);
      if (!to || !isOrderedKind(to.kind)) continue;
      if (op.op === 'acquire' && op.chain.length === 1) this.graph.noteAcquisition(to);
      for (const s of states) {
        for (const h of s.held) {
          const key = `${h.cls}>${to.cls}`;
          if (!isOrderedKind(h.kind) || seen.has(key)) continue;
          seen.add(key);
          this.graph.addStatic(h, to, {
            file: ref.file,
            range: event.range,
            fn: ref.fn.name,
            chain: 'chain' in op ? op.chain : [],
            heldChain: h.chain,
            heldEntry: h.entry,
          });
        }
      }
    }
  }
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

function stripHeld(h: HeldLock): LockInfo {
  return {
    cls: h.cls,
    expr: h.expr,
    kind: h.kind,
    mode: h.mode,
    recursiveRead: h.recursiveRead,
    param: h.param,
    local: h.local,
  };
}

/** Keeps the shortest chain; a guard survives only while every occurrence has the same one. */
function mergeGuard(prev: Guard | undefined, next: Guard | undefined): Guard | undefined {
  return prev && next && prev.index === next.index && prev.truthy === next.truthy ? prev : undefined;
}

function addEffect(summary: Summary, effect: Effect, chain: ChainStep[], guard: Guard | undefined): void {
  const prev = summary.effects[effect];
  summary.effectGuards[effect] = prev ? mergeGuard(summary.effectGuards[effect], guard) : guard;
  if (!prev || chain.length < prev.length) summary.effects[effect] = chain;
}

const NON_SLEEPING_KINDS = new Set(['spinlock', 'raw_spinlock', 'rwlock', 'seqlock', 'bit_spinlock', 'lockdep_map', 'ww_acquire']);

/** The parameter test every state before a call agrees on, if any. */
function guardOf(fn: FunctionIR, states: readonly LockState[]): Guard | undefined {
  const first = states[0];
  if (!first) return undefined;
  for (const [atom, truthy] of first.facts) {
    const index = fn.params.findIndex((p) => p.name === atom);
    if (index < 0) continue;
    if (states.every((s) => s.facts.some(([a, v]) => a === atom && v === truthy))) return { index, truthy };
  }
  return undefined;
}

/** Folds one call's ops into the function's summary: effects, locks taken inside, flushes. */
function accumulate(summary: Summary, ops: Op[], guard: Guard | undefined): void {
  for (const op of ops) {
    switch (op.op) {
      case 'effect':
        addEffect(summary, op.effect, op.chain, guard);
        break;
      case 'acquire':
      case 'inside': {
        if (!isOrderedKind(op.lock.kind)) break;
        const prev = summary.inside.find((i) => i.lock.cls === op.lock.cls);
        if (!prev && summary.inside.length < MAX_INSIDE) summary.inside.push({ lock: op.lock, chain: op.chain, when: guard });
        else if (prev) {
          prev.when = mergeGuard(prev.when, guard);
          if (op.chain.length < prev.chain.length) prev.chain = op.chain;
        }
        const trylock = op.op === 'acquire' && op.conditional === 'nonzero-success';
        if (!NON_SLEEPING_KINDS.has(op.lock.kind) && !trylock) addEffect(summary, 'sleep', op.chain, guard);
        break;
      }
      case 'flush': {
        const prev = summary.flushes.find((f) => f.key === op.key);
        if (!prev) summary.flushes.push({ target: op.target, key: op.key, chain: op.chain, when: guard });
        else prev.when = mergeGuard(prev.when, guard);
        break;
      }
      case 'reclaim-if-param':
        if (!summary.reclaimIfParam.some((r) => r.index === op.index)) summary.reclaimIfParam.push({ index: op.index, chain: op.chain });
        break;
      default:
        break;
    }
  }
}
