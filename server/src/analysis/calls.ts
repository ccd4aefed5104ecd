/**
 * Call semantics: what a call event does to the caller's lock state, from the knowledge base
 * (kernel APIs) or from the summaries of the workspace functions it may reach.
 */
import type { Knowledge } from '../kb/knowledge';
import { type ApiFact, type ContextTest, type Effect, type IrqKind, type LockOp, lockOps } from '../kb/types';
import type { FunctionRef } from '../workspace/index';
import type { TypeEnv } from './classes';
import type { Arg, CallEvent } from './ir';
import { flagBits, setBits } from './flags';
import { argPath, compactArg } from './lower-text';
import {
  type CallCase,
  type CallerTest,
  type ChainStep,
  type LockInfo,
  type LockState,
  type Op,
  type ReturnCase,
  type Summary,
  PSEUDO_LOCKS,
  chainLengthAfter,
  prependStep,
} from './model';
import { instantiate } from './guards';
import { ANY_VALUE, NEGATIVE, ZERO, valuesNamed } from './values';

export interface CallContext {
  kb: Knowledge;
  env: TypeEnv;
  /** Workspace functions the call may reach (direct or through a function pointer). */
  targets(event: CallEvent): FunctionRef[];
  summaryOf(ref: FunctionRef): Summary | undefined;
  /** Whether the call's pointer targets stayed ambiguous (every implementation of a field). */
  ambiguous(event: CallEvent): boolean;
}

export function opsOfCall(event: CallEvent, ctx: CallContext): Op[] {
  const name = event.callee;
  const fact = name ? ctx.kb.fact(name) : undefined;
  if (fact) {
    const ops = opsOfFact(name!, fact, event, ctx);
    return fact.callsArg === undefined ? ops : ops.concat(callbackOps(fact, event, ctx));
  }
  const targets = ctx.targets(event);
  if (targets.length === 0) return [];
  if (targets.length === 1) {
    const summary = ctx.summaryOf(targets[0]);
    const ops: Op[] = [];
    if (summary) {
      const callee = targets[0].fn.name;
      const cases = summary.cases && callCases(callee, summary.cases, event, ctx);
      opsOfSummary(callee, summary, event, ctx, (_key, _length, make) => void ops.push(make()), cases);
      if (cases && cases.length > 1) ops.push({ op: 'cases', cases });
      const returns = cases?.length === 1 ? cases[0].returns : summary.returns;
      if (returns !== ANY_VALUE) ops.push(resultOfValues(returns));
    }
    return ops;
  }
  // A call through a function pointer runs one of its targets, and the targets of a popular
  // ops field (hundreds of IP blocks' hw_init) repeat each other's locks and effects: one op per
  // distinct meaning, in first-seen order, the one with the shortest chain. Rules and the dataflow see
  // each once, and a repeat is never built.
  const merged = new Map<string, { op: Op; length: number }>();
  const merge: Emit = (keyOf, lengthOf, make) => {
    const key = keyOf();
    const prev = merged.get(key);
    const length = lengthOf();
    // Replacing keeps the first one's place in the map.
    if (!prev || length < prev.length) merged.set(key, { op: make(), length });
  };
  let returns = 0;
  for (const target of targets) {
    const summary = ctx.summaryOf(target);
    if (summary) opsOfSummary(target.fn.name, summary, event, ctx, merge);
    returns |= summary?.returns ?? ANY_VALUE;
  }
  const ops = [...merged.values()].map((m) => m.op);
  if (returns !== ANY_VALUE) ops.push(resultOfValues(returns));
  return ops;
}

/** One shared, frozen op per range (millions of calls return one of eight). */
const RESULT_OPS: readonly Op[] = Array.from({ length: ANY_VALUE + 1 }, (_, values) =>
  Object.freeze({ op: 'result' as const, values }),
);

function resultOfValues(values: number): Op {
  return RESULT_OPS[values];
}

/**
 * What the callback an API calls does (`kref_put(&x->ref, foo_release)`): its target is the
 * argument (see the call's shape). The lock the API takes around it (`kref_put_mutex`) is the
 * callback's to release: that release is the API's own, not a release of the caller's lock.
 */
function callbackOps(fact: ApiFact, event: CallEvent, ctx: CallContext): Op[] {
  const ops: Op[] = [];
  for (const target of ctx.targets(event)) {
    const summary = ctx.summaryOf(target);
    if (summary)
      opsOfSummary(target.fn.name, summary, event, ctx, (_key, _length, make) => void ops.push(make()));
  }
  if (!fact.takes) return ops;
  const taken = lockOfOp(fact.takes, event, ctx).cls;
  return ops.filter((op) => op.op !== 'release' || op.lock.cls !== taken);
}

/**
 * Receives one op of a callee's summary as the caller sees it: its key says what it does (equal
 * keys make equal ops but for their chains), its length is its chain's, `make` builds it. Lazy,
 * as only merging needs keys and lengths (a single target's ops are all kept).
 */
type Emit = (key: () => string, length: () => number, make: () => Op) => void;

function step(event: CallEvent, callee: string, ctx: CallContext): ChainStep {
  const here: ChainStep = { fn: ctx.env.fn.name, file: ctx.env.file, range: event.range, callee };
  if (event.via && ctx.ambiguous(event)) here.ambiguous = true;
  if (event.inArgsOf) here.inArgsOf = event.inArgsOf;
  return here;
}

/** The chain with its last step (the call of the API) given `mark` (onlyWhen, unless). */
function markLastStep(chain: ChainStep[], mark: Partial<ChainStep>): ChainStep[] {
  return chain.map((step, i) => (i === chain.length - 1 ? { ...step, ...mark } : step));
}

/** A context argument that is one: not absent, `NULL` or `0` (ww_mutex_lock(lock, NULL) is a plain lock). */
function passesContext(arg: Arg | undefined): boolean {
  return arg !== undefined && !/^\s*(NULL|0)\s*$/.test(arg.text);
}

function lockOfOp(op: LockOp, event: CallEvent, ctx: CallContext, declared?: boolean): LockInfo {
  const mode = op.mode ?? 'write';
  const base = {
    kind: op.kind,
    mode,
    recursiveRead: !!op.recursiveRead,
    ...(op.subclass ? { subclass: true } : {}),
    ...(declared ? { declared } : {}),
    ...(op.blocks ? { blocks: op.blocks } : {}),
    ...(op.contextArg !== undefined && passesContext(event.args[op.contextArg])
      ? { contextOwned: true }
      : {}),
  };
  const given = op.arg !== undefined ? event.args[op.arg] : undefined;
  const arg = given && op.ofField ? containerOf(given, op.ofField) : given;
  const classArg = op.classArg !== undefined ? event.args[op.classArg] : undefined;
  // A class named by an argument (ww_acquire_init(&ctx, &reservation_ww_class)) or fixed by the
  // table (dma_resv_lock(obj->resv), device_lock(dev)), of an instance an argument names: the
  // instance maps to callers like any lock's (two objects are two locks), the class stays.
  const named = classArg
    ? ctx.kb.aliasClass(classArg.text.replace(/^&/, '') + (op.argClassSuffix ?? ''), undefined)
    : op.cls;
  if (named && arg) {
    const instance = ctx.env.lockOf(arg);
    return {
      ...base,
      cls: named,
      expr: instance.expr,
      param: instance.param,
      local: instance.local,
      namedClass: true,
    };
  }
  // The API names the class (mmap_read_lock is mmap_lock whatever the mm): callers keep it.
  if (op.cls)
    return {
      ...base,
      cls: op.cls,
      expr: arg ? `${op.cls}(${arg.text.replace(/^&/, '')})` : op.cls,
      namedClass: true,
    };
  if (!arg) return { ...base, cls: '?', expr: '?' };
  const resolved = ctx.env.lockOf(arg);
  return { ...base, cls: resolved.cls, expr: resolved.expr, param: resolved.param, local: resolved.local };
}

/** `&m->dep_map` names the lock `m` (a lockdep annotation on the lock's map). */
function containerOf(arg: Arg, field: string): Arg {
  const path = argPath(arg);
  if (!path || path.fields[path.fields.length - 1] !== field) return arg;
  const text = arg.text.slice(0, arg.text.lastIndexOf(field)).replace(/\s*(->|\.)\s*$/, '');
  return compactArg(text, { root: path.root, fields: path.fields.slice(0, -1) });
}

function opsOfFact(name: string, fact: ApiFact, event: CallEvent, ctx: CallContext): Op[] {
  const chain = [step(event, name, ctx)];
  const ops: Op[] = [];
  for (const release of lockOps(fact, 'release')) {
    const lock = lockOfOp(release, event, ctx);
    ops.push(release.every ? { op: 'release', lock, chain, every: true } : { op: 'release', lock, chain });
  }
  if (fact.restoresIrq)
    ops.push({ op: 'release', lock: irqStateLock(fact.restoresIrq, fact, event, ctx), chain });
  let before: LockInfo | undefined;
  for (const acquire of lockOps(fact, 'acquire')) {
    const lock = lockOfOp(acquire, event, ctx, fact.declaration);
    // Locks one call takes in turn are ordered (the states before the call do not show it), in
    // the order the kernel API declares.
    if (before) ops.push({ op: 'order', from: before, to: lock, chain, primed: `kernel API ${name}()` });
    before = lock;
    ops.push({
      op: 'acquire',
      lock,
      chain,
      conditional: fact.conditional,
      ...(fact.trylock ? { trylock: true } : {}),
      ...(fact.switchSuccess ? { cases: fact.switchSuccess } : {}),
    });
  }
  if (fact.disablesIrq) {
    const lock = irqStateLock(fact.disablesIrq, fact, event, ctx);
    ops.push({ op: 'acquire', lock, chain, conditional: fact.conditional });
  }
  if (fact.assertsIrqOff)
    ops.push({ op: 'assert-held', lock: irqStateLock(fact.assertsIrqOff, fact, event, ctx) });
  const asserted = fact.asserts && assertedIrqOff(event.args[fact.asserts.arg], fact.asserts.value, ctx);
  if (asserted) ops.push({ op: 'assert-held', lock: irqStateLock(asserted, fact, event, ctx) });
  const assertArg = fact.assertHeld !== undefined ? event.args[fact.assertHeld] : undefined;
  if (assertArg) ops.push({ op: 'assert-held', lock: declaredLock(assertArg, ctx) });
  const mightArg = fact.mightLock !== undefined ? event.args[fact.mightLock] : undefined;
  if (mightArg) ops.push({ op: 'inside', lock: { ...declaredLock(mightArg, ctx), declared: true }, chain });
  if (fact.declares) ops.push({ op: 'inside', lock: lockOfOp(fact.declares, event, ctx, true), chain });
  if (fact.takes) ops.push({ op: 'inside', lock: lockOfOp(fact.takes, event, ctx), chain });
  const dropped = fact.sleepsWithout !== undefined ? event.args[fact.sleepsWithout] : undefined;
  const without = dropped ? droppedClasses(dropped, ctx) : undefined;
  if (without && fact.sleepsWithIrq) without.push(ctx.kb.irqState(fact.sleepsWithIrq).cls);
  const effectChain = fact.effectsWhen ? markLastStep(chain, { onlyWhen: fact.effectsWhen }) : chain;
  for (const effect of fact.effects ?? []) ops.push({ op: 'effect', effect, chain: effectChain, without });
  if (fact.contextCheck) ops.push({ op: 'context-check' });
  if (fact.gfpArg !== undefined) ops.push(...gfpOps(event.args[fact.gfpArg], chain, ctx, fact.declaration));
  if (fact.flush) {
    const arg = event.args[fact.flush.arg];
    if (arg) ops.push({ op: 'flush', target: fact.flush.target, key: ctx.env.lockOf(arg).cls, chain });
  }
  if (fact.result) ops.push(resultOp(fact.result, event));
  return ops;
}

function resultOp(result: NonNullable<ApiFact['result']>, event: CallEvent): Op {
  if ('values' in result) return resultOfValues(valuesNamed(result.values));
  const text = event.args[result.arg]?.text;
  const fromVar = text && IDENTIFIER_RE.test(text) ? text : undefined;
  return fromVar
    ? { op: 'result', fromVar, errOrZero: result.map === 'err-or-zero' ? true : undefined }
    : resultOfValues(result.map === 'err-or-zero' ? NEGATIVE | ZERO : ANY_VALUE);
}

/**
 * The interrupt kind an asserted condition says is off: `!irqs_disabled()` asserted false, or
 * `irqs_disabled()` asserted true.
 */
function assertedIrqOff(arg: Arg | undefined, value: boolean, ctx: CallContext): IrqKind | undefined {
  const m = arg && /^(!\s*)?\(?\s*([A-Za-z_]\w*)\s*\(\s*\)\s*\)?$/.exec(arg.text);
  if (!m || !m[1] === !value) return undefined;
  return ctx.kb.fact(m[2])?.irqsOffTest;
}

/**
 * The pseudo-lock held while an interrupt kind is disabled. Disabled together with a lock
 * (`spin_lock_irqsave(&x->lock, flags)`), it is named after that lock, so that a bare
 * `local_irq_disable()` stays told apart: only that one keeps a region atomic on PREEMPT_RT.
 */
function irqStateLock(irq: IrqKind, fact: ApiFact, event: CallEvent, ctx: CallContext): LockInfo {
  const state = ctx.kb.irqState(irq);
  const lockOp = fact.acquire ?? fact.release;
  const arg = lockOp?.arg !== undefined ? event.args[lockOp.arg] : undefined;
  const lock: LockInfo = {
    cls: state.cls,
    expr: state.cls,
    kind: state.kind,
    mode: 'write',
    recursiveRead: false,
  };
  if (!arg) return lock;
  const instance = ctx.env.lockOf(arg);
  lock.expr = `${state.cls}(${instance.expr})`;
  if (instance.param) Object.assign(lock, { param: instance.param, wraps: true });
  return lock;
}

/**
 * The classes a call drops while it sleeps: the lock argument's, and its container's when the
 * argument names a lock inside a locked object (`xa_lock_irq(&d->objs)` is released by
 * `wait_event_lock_irq(wq, cond, d->objs.xa_lock)`).
 */
function droppedClasses(arg: Arg, ctx: CallContext): string[] {
  const classes = [ctx.env.lockOf(arg).cls];
  const path = argPath(arg);
  const text = arg.text.replace(/^&\s*/, '');
  const cut = Math.max(text.lastIndexOf('.'), text.lastIndexOf('->'));
  if (path && path.fields.length > 1 && cut > 0) {
    const parent = { root: path.root, fields: path.fields.slice(0, -1) };
    classes.push(ctx.env.lockOf({ text: text.slice(0, cut), path: parent }).cls);
  }
  return classes;
}

/** A lock named by an annotation: its kind comes from the declared type (mutex when unknown). */
export function declaredLock(arg: Arg, ctx: { env: TypeEnv }): LockInfo {
  const lock = ctx.env.lockOf(arg);
  return { ...lock, kind: ctx.env.declaredKind(arg) ?? 'mutex', mode: 'write', recursiveRead: false };
}

/**
 * An allocation's gfp argument: reclaims, does not, or passes the caller's parameter through.
 * `declares`: an annotation (might_alloc) that declares the reclaim instead of doing it.
 */
function gfpOps(arg: Arg | undefined, chain: ChainStep[], ctx: CallContext, declares?: boolean): Op[] {
  if (!arg) return [];
  const chosen = contextChosenGfp(arg.text, ctx);
  const reclaims = chosen ? true : gfpReclaims(arg.text, ctx);
  if (chosen) chain = markLastStep(chain, { unless: chosen });
  if (reclaims === true)
    return [
      declares
        ? { op: 'inside', lock: { ...pseudoLock('reclaim')!, declared: true }, chain }
        : { op: 'effect', effect: 'reclaim', chain },
      { op: 'effect', effect: 'sleep', chain },
    ];
  if (reclaims === false) return [];
  const path = argPath(arg);
  const param = path && path.fields.length === 0 ? ctx.env.paramOf(path) : undefined;
  return param !== undefined ? [{ op: 'reclaim-if-param', index: param, chain }] : [];
}

/** `[!]test() ? FLAGS : FLAGS`, the flags chosen by a context test (no nested `?`). */
const CONTEXT_CHOICE_RE = /^\s*\(?\s*(!?)\s*([A-Za-z_]\w*)\s*\(\s*\)\s*\)?\s*\?([^?:]+):([^?:]+)$/;

/**
 * For flags a context test chooses (`in_interrupt() ? GFP_ATOMIC : GFP_KERNEL`), the contexts
 * where the reclaiming arm is not taken; undefined for any other flags, or when both or
 * neither arm reclaims, or the test's truth there is unknown.
 */
function contextChosenGfp(text: string, ctx: CallContext): ContextTest | undefined {
  const m = CONTEXT_CHOICE_RE.exec(text);
  const test = m ? ctx.kb.fact(m[2])?.contextTest : undefined;
  if (!m || !test) return undefined;
  const [thenReclaims, elseReclaims] = [gfpReclaims(m[3], ctx), gfpReclaims(m[4], ctx)];
  if (thenReclaims === undefined || elseReclaims === undefined || thenReclaims === elseReclaims)
    return undefined;
  // The test's value that takes the reclaiming arm; the effect is absent where it has the other.
  const reclaimsWhenTrue = thenReclaims !== (m[1] === '!');
  return reclaimsWhenTrue ? test.falseWhen : test.trueWhen;
}

const MAX_GFP_EXPANSIONS = 4;
const MACRO_WORD_RE = /\b[A-Z_][A-Z0-9_]*\b/g;

/**
 * Whether gfp flags may enter reclaim, driver masks included: `I915_GFP_ALLOW_FAIL` is read
 * through its workspace definition (`GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN`).
 */
function gfpReclaims(text: string, ctx: CallContext): boolean | undefined {
  let flags = text;
  for (let depth = 0; ; depth++) {
    const known = ctx.kb.gfpReclaims(flags);
    if (known !== undefined || depth === MAX_GFP_EXPANSIONS) return known;
    const expanded = flags.replace(MACRO_WORD_RE, (word) => {
      const value = ctx.env.index.flagMacro(word);
      return value === undefined ? word : `(${value})`;
    });
    if (expanded === flags) return undefined;
    flags = expanded;
  }
}

/**
 * `cases`: the callee's return cases this call can reach (callCases). One case: the arguments
 * decided it, and its locks are what the call does. Several: the summary's locks over all
 * cases are marked `widened`, for a call whose result is not used.
 */
function opsOfSummary(
  callee: string,
  summary: Summary,
  event: CallEvent,
  ctx: CallContext,
  emit: Emit,
  cases?: CallCase[],
): void {
  const here = step(event, callee, ctx);
  let undecidedStep: ChainStep | undefined;
  // The step for ops whose guard the arguments could not decide, made for the few that have one.
  const stepFor = (guard: { undecided: boolean }) =>
    guard.undecided ? (undecidedStep ??= { ...here, undecided: true }) : here;
  const length = (chain: ChainStep[]) => () => chainLengthAfter(here, chain);
  // A callee's local lock is its own object: it is only ever the same lock for the same callee.
  const lockKey = (l: LockInfo) => (l.local && !l.param ? `${identity(l)}\0${callee}` : identity(l));
  if (cases?.length === 1) for (const op of cases[0].ops) emit(noKey, noLength, () => op);
  const widened = cases && cases.length > 1 ? true : undefined;
  for (const r of cases?.length === 1 ? [] : summary.releases) {
    emit(
      () => `r${lockKey(r.lock)}${r.partial ? '\0partial' : ''}`,
      length(r.chain),
      () => ({
        op: 'release',
        lock: mapLock(r.lock, event, ctx, callee),
        chain: prependStep(here, r.chain),
        widened,
        ...(r.partial ? { partial: true } : {}),
      }),
    );
  }
  for (const o of summary.orders) {
    emit(
      () => `o${lockKey(o.from)}\0${lockKey(o.to)}`,
      length(o.chain),
      () => ({
        op: 'order',
        from: mapLock(o.from, event, ctx, callee),
        to: mapLock(o.to, event, ctx, callee),
        chain: prependStep(here, o.chain),
        ...(o.primed ? { primed: o.primed } : {}),
      }),
    );
  }
  for (const a of cases?.length === 1 ? [] : summary.acquires) {
    emit(
      () => `a${lockKey(a.lock)}\0${a.conditional ?? ''}`,
      length(a.chain),
      () => ({
        op: 'acquire',
        lock: mapLock(a.lock, event, ctx, callee),
        chain: prependStep(here, a.chain),
        conditional: a.conditional,
        widened,
      }),
    );
  }
  const flags = (text: string, flag: string) => flagSet(text, flag, ctx);
  for (const i of summary.inside) {
    const guard = instantiate(i.when, event.args, flags);
    if (guard.ruledOut) continue;
    // Every waiting occurrence is ruled out here: the callee only tries the lock for this caller.
    const tryOnly =
      i.tryOnly || (i.waitsWhen && instantiate(i.waitsWhen, event.args, flags).ruledOut) || undefined;
    // What a callee takes and drops on a local object orders by class only: through a function
    // pointer with many targets, one per class stands for all of them.
    const key = () =>
      (i.lock.local && !i.lock.param
        ? `i${i.lock.cls}\0${i.lock.kind}\0${i.lock.mode}`
        : `i${identity(i.lock)}`) +
      (tryOnly ? '\0try' : '') +
      whenKey(guard.when) +
      (i.without ? `\0-${i.without.join(',')}` : '');
    emit(key, length(i.chain), () => ({
      op: 'inside',
      lock: mapLock(i.lock, event, ctx, callee),
      chain: prependStep(stepFor(guard), i.chain),
      tryOnly,
      ...(guard.when.length ? { when: guard.when } : {}),
      ...(i.without ? { without: i.without } : {}),
    }));
  }
  for (const [effect, effectChain] of Object.entries(summary.effects) as [Effect, ChainStep[]][]) {
    const guard = instantiate(summary.effectGuards[effect], event.args, flags);
    if (guard.ruledOut) continue;
    // Occurrences under different tests: the call has the effect only through those it can reach.
    const cases = summary.effectCases?.[effect]?.filter(
      (c) => !instantiate(c.guard, event.args, flags).ruledOut,
    );
    if (cases?.length === 0) continue;
    const chain = cases
      ? cases.reduce((a, b) => (b.chain.length < a.chain.length ? b : a)).chain
      : effectChain;
    const without = summary.effectWithout[effect];
    emit(
      () => `e${effect}\0${without?.join(',') ?? ''}${whenKey(guard.when)}`,
      length(chain),
      () => ({
        op: 'effect',
        effect,
        chain: prependStep(stepFor(guard), chain),
        without: without?.length ? without : undefined,
        ...(guard.when.length ? { when: guard.when } : {}),
      }),
    );
  }
  for (const r of summary.reclaimIfParam) {
    const chain = prependStep(here, r.chain);
    gfpOps(event.args[r.index], chain, ctx).forEach((op, n) =>
      emit(
        () => `g${r.index}\0${n}`,
        () => chain.length,
        () => op,
      ),
    );
  }
  for (const u of summary.irqsOn) {
    // Like `inside`: a callee's local object stands for its class, one op for all targets.
    const key = u.lock.local && !u.lock.param ? `${u.lock.cls}\0${u.lock.mode}` : identity(u.lock);
    emit(
      () => `o${key}\0${u.softirqs ? 1 : 0}`,
      length(u.chain),
      () => ({
        op: 'irq-on',
        lock: mapLock(u.lock, event, ctx, callee),
        chain: prependStep(here, u.chain),
        softirqs: u.softirqs,
      }),
    );
  }
  for (const f of summary.flushes) {
    const guard = instantiate(f.when, event.args, flags);
    if (guard.ruledOut) continue;
    emit(
      () => `f${f.target}\0${f.key}${whenKey(guard.when)}${f.without ? `\0-${f.without.join(',')}` : ''}`,
      length(f.chain),
      () => ({
        op: 'flush',
        target: f.target,
        key: f.key,
        chain: prependStep(stepFor(guard), f.chain),
        ...(guard.when.length ? { when: guard.when } : {}),
        ...(f.without ? { without: f.without } : {}),
      }),
    );
  }
}

/** Part of an op's merge key: the caller's tests it depends on. */
function whenKey(when: readonly CallerTest[]): string {
  return when.length ? `\0${JSON.stringify(when)}` : '';
}

const IDENTIFIER_RE = /^[A-Za-z_]\w*$/;

const noKey = () => '';
const noLength = () => 0;

/**
 * The callee's return cases as this call sees them: cases whose parameter tests the constant
 * arguments contradict are gone, tests the arguments satisfy are dropped, tests of an argument
 * that is one of the caller's variables become tests of that variable, and tests of anything
 * else are dropped (the case stays possible).
 */
function callCases(callee: string, cases: ReturnCase[], event: CallEvent, ctx: CallContext): CallCase[] {
  const here = step(event, callee, ctx);
  const flags = (text: string, flag: string) => flagSet(text, flag, ctx);
  const out: CallCase[] = [];
  for (const c of cases) {
    const { ruledOut, when } = instantiate(c.when, event.args, flags);
    if (ruledOut) continue;
    const ops: Op[] = [
      ...c.releases.map((r): Op => ({
        op: 'release',
        lock: mapLock(r.lock, event, ctx, callee),
        chain: prependStep(here, r.chain),
      })),
      ...c.acquires.map((a): Op => ({
        op: 'acquire',
        lock: mapLock(a.lock, event, ctx, callee),
        chain: prependStep(here, a.chain),
        conditional: a.conditional,
      })),
    ];
    out.push(when.length ? { returns: c.returns, when, ops } : { returns: c.returns, ops });
  }
  return out;
}

/** Whether a constant flag argument has `flag` set: the knowledge base's gfp flags, or macro values. */
function flagSet(text: string, flag: string, ctx: CallContext): boolean | undefined {
  const known = ctx.kb.knownFlag(text, flag);
  if (known !== undefined) return known;
  const macro = (name: string) => ctx.env.index.flagMacro(name);
  const have = flagBits(text, macro);
  // No flag is set in 0, whatever the flag's value (an enum constant, a plain-number macro).
  if (have === 0n) return false;
  const want = flagBits(flag, macro);
  if (want === undefined) return undefined;
  if (have !== undefined) return (have & want) !== 0n;
  // Some operands unknown (`FIELD_PREP(M, len) | SEND_NB`): a flag among the known ones is set.
  const some = setBits(text, macro);
  return some !== undefined && (some & want) !== 0n ? true : undefined;
}

/** A lock's identity in a summary (what mapLock maps to the caller's lock). */
function identity(l: LockInfo): string {
  const param = l.param ? `${l.param.index}:${l.param.fields.join('.')}` : '';
  return `${l.cls}\0${l.expr}\0${l.kind}\0${l.mode}\0${l.recursiveRead}\0${param}\0${l.local ? 1 : 0}`;
}

/** Maps a callee's parameter-relative lock to the caller's argument (`param0->lock` -> `dev->lock`). */
function mapLock(lock: LockInfo, event: CallEvent, ctx: CallContext, callee: string): LockInfo {
  if (lock.wraps) {
    const inner = mapLock({ ...lock, wraps: undefined, namedClass: true }, event, ctx, callee);
    return { ...inner, expr: `${lock.cls}(${inner.expr})`, wraps: inner.param ? true : undefined };
  }
  // A callee's local is another object than anything the caller names the same way.
  if (!lock.param) return lock.local ? calleeLocal(lock, callee) : lock;
  const arg = event.args[lock.param.index];
  const argAt = arg && argPath(arg);
  if (!argAt) return { ...lock, param: undefined };
  const base = arg.text.replace(/^&\s*/, '');
  const suffix = lock.param.fields.map((f) => `->${f}`).join('');
  const path = { root: argAt.root, fields: argAt.fields.concat(lock.param.fields) };
  const resolved = ctx.env.lockOf({ text: base + suffix, path });
  // Keep the callee's class when it was named for it, or when the caller cannot type the
  // argument better.
  const cls = !lock.namedClass && (resolved.resolved || lock.cls.startsWith('?')) ? resolved.cls : lock.cls;
  return { ...lock, cls, expr: resolved.expr, param: resolved.param, local: resolved.local };
}

/**
 * A callee's local lock as its callers see it, made once per lock and callee (summaries share
 * lock objects), and kept on the lock itself: millions of calls look it up, and a WeakMap that
 * hot costs more. Not enumerable, so `{ ...lock }` copies do not inherit it.
 */
const AS_LOCAL = Symbol('calleeLocal');

function calleeLocal(lock: LockInfo & { [AS_LOCAL]?: Map<string, LockInfo> }, callee: string): LockInfo {
  let byCallee = lock[AS_LOCAL];
  if (!byCallee) {
    byCallee = new Map();
    Object.defineProperty(lock, AS_LOCAL, { value: byCallee });
  }
  let mapped = byCallee.get(callee);
  if (!mapped)
    byCallee.set(callee, (mapped = { ...lock, expr: `${callee}()::${lock.expr.replace(/^\w+\(\)::/, '')}` }));
  return mapped;
}

/**
 * A call's ops without the effects a scope held on every path blocks (`memalloc_noreclaim_save()`:
 * no reclaim; `pagefault_disable()`: no fault). Most calls: no scope, the same list.
 */
export function unblockedOps(ops: Op[], states: readonly LockState[]): Op[] {
  let blocked: Set<Effect> | undefined;
  for (const h of states[0]?.held ?? [])
    for (const e of h.blocks ?? [])
      if (states.every((s) => s.held.some((x) => x.blocks?.includes(e)))) (blocked ??= new Set()).add(e);
  if (!blocked) return ops;
  const without = blocked;
  return ops.filter(
    (o) =>
      !(o.op === 'effect' && without.has(o.effect)) &&
      !(o.op === 'reclaim-if-param' && without.has('reclaim')),
  );
}

export function pseudoLock(effect: Effect): LockInfo | undefined {
  const p = PSEUDO_LOCKS[effect];
  return p ? { cls: p.cls, expr: p.cls, kind: p.kind, mode: p.mode, recursiveRead: false } : undefined;
}
