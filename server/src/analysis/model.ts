/**
 * The analysis vocabulary shared by the dataflow, summaries, rules and the order graph.
 */
import type { ContextTest, Effect, LockKind, LockMode } from '../kb/types';
import type { Range } from './ir';
import { ANY_VALUE } from './values';

/** One step of a call chain: in `fn` (file, range), a call to `callee`. */
export interface ChainStep {
  fn: string;
  file: string;
  range: Range;
  callee: string;
  /**
   * A call through a function pointer whose targets stayed ambiguous: every implementation of
   * the field, none stored near the caller (findings through it have lower confidence).
   */
  ambiguous?: true;
  /**
   * The callee does what follows only under a condition on an argument this call passes that
   * the analysis could not decide (findings through it have lower confidence).
   */
  undecided?: true;
  /** The callee does what follows only in a state the code does not show (ApiFact.effectsWhen). */
  onlyWhen?: string;
  /**
   * The call that made this step ambiguous or undecided when it is another one: a recursion cut
   * out of the chain (prependStep), whose doubt the step it starts again from carries.
   */
  doubtFrom?: { fn: string; callee: string };
  /**
   * The callee does it only outside these contexts: an allocation whose flags a context test
   * chooses (`in_interrupt() ? GFP_ATOMIC : GFP_KERNEL`) does not reclaim under spin_lock_bh.
   */
  unless?: ContextTest;
  /**
   * The call is written in the arguments of a macro defined outside the workspace (its name),
   * which may not evaluate them (findings through it are unproven).
   */
  inArgsOf?: string;
}

export interface LockInfo {
  cls: string;
  expr: string;
  kind: LockKind;
  mode: LockMode;
  recursiveRead: boolean;
  /** Parameter-relative identity (`param0->lock`), mapped to the argument at call sites. */
  param?: { index: number; fields: string[] };
  /** Reached through a local variable: the expression means nothing outside its function. */
  local?: boolean;
  /**
   * An interrupt-state pseudo-lock named after the lock at `param` (`softirqs_off(d->lock)`,
   * from `spin_lock_bh()` in a wrapper): callers name it after their own lock, so one wrapper's
   * calls on two locks are two such states, as the kernel's nesting count has them.
   */
  wraps?: boolean;
  /**
   * The class is named by a class argument (`ww_acquire_init(&ctx, &reservation_ww_class)`), as
   * lockdep names it: callers keep it however they can type the instance.
   */
  namedClass?: boolean;
  /**
   * Declared, not taken: a lockdep annotation (might_lock, fs_reclaim_acquire, lock_map_acquire,
   * mutex_acquire on a dep_map). The orders it makes are legal by declaration.
   */
  declared?: boolean;
  /** A scope (memalloc_noreclaim_save): while held, calls have none of these effects. */
  blocks?: Effect[];
  /** Taken with a lockdep subclass (LockOp.subclass): nesting in its own class is intended. */
  subclass?: boolean;
  /** Taken under an acquire context (LockOp.contextArg), which releases it. */
  contextOwned?: boolean;
}

export type Conditional = 'nonzero-success' | 'zero-success';

/**
 * A test of a caller's variable a callee's return case depends on (its argument there): its
 * value in some ranges (analysis/values), a flag set or clear in it, or its value one of some
 * named constants (`in`) or none of them (see ParamTest.names).
 */
export interface CallerTest {
  name: string;
  values?: number;
  flag?: string;
  set?: boolean;
  names?: string[];
  in?: boolean;
}

/** One return case of a callee as a call site sees it (see ReturnCase). */
export interface CallCase {
  /** The callee's result in this case (analysis/values). */
  returns: number;
  /** Tests of the caller's variables this case needs (the callee's parameter conditions). */
  when?: CallerTest[];
  /** What the case does to the caller's locks: acquire and release ops. */
  ops: Op[];
}

/** What one call does to the lock state, as the dataflow applies it. */
export type Op =
  /**
   * `widened`: part of the callee's summary over all its return cases, which the dataflow
   * applies only when the call's result is not used (else the `cases` op stands for it).
   * `trylock`: a conditional acquire that never waits (with `zero-success`: 0 when it took the lock).
   * `cases`: an enum result tested with `switch` (see ApiFact.switchSuccess).
   */
  | {
      op: 'acquire';
      lock: LockInfo;
      chain: ChainStep[];
      conditional?: Conditional;
      widened?: boolean;
      trylock?: boolean;
      cases?: { taken: string[]; held?: string[] };
    }
  /**
   * `every`: every held lock of the class (drm_modeset_drop_locks). `partial`: a callee that
   * releases the caller's lock on some of its exits only.
   */
  | {
      op: 'release';
      lock: LockInfo;
      chain: ChainStep[];
      widened?: boolean;
      every?: boolean;
      partial?: boolean;
      /**
       * An array element the releasing function locks by this very name (set by the dataflow):
       * an unlock of `bufs[i]->lock` where it is not held (an unwind loop that took nothing) is no
       * unlock of `vram->lock`, another lock of its class the function names.
       */
      takenHere?: true;
    }
  /** A callee's return cases: a call whose result is tested or kept follows each on its own path. */
  | { op: 'cases'; cases: CallCase[] }
  /**
   * What the call returns (analysis/values), when no case says: a fixed range, or an argument
   * variable's (ERR_CAST, PTR_ERR), as PTR_ERR_OR_ZERO maps it with `errOrZero`.
   */
  | { op: 'result'; values?: number; fromVar?: string; errOrZero?: boolean }
  /**
   * An order a callee creates between two locks its caller names (`foo_taint(&d->lock)` takes
   * fs_reclaim and then the argument): the edge, once the caller's classes are known.
   */
  | { op: 'order'; from: LockInfo; to: LockInfo; chain: ChainStep[]; primed?: string }
  /**
   * A lock taken and released inside a callee: orders it after the held locks. `tryOnly`: every
   * path takes it with a trylock, which never waits for it.
   */
  | {
      op: 'inside';
      lock: LockInfo;
      chain: ChainStep[];
      tryOnly?: boolean;
      when?: CallerTest[];
      /** The caller's classes the callee drops before taking it (no order after them). */
      without?: string[];
    }
  /**
   * `without`: classes the callee releases before the effect (its caller's lock is not held
   * there). `when`: the callee's guard as tests of the caller's variables (the effect happens on
   * the caller's paths where they can hold).
   */
  | { op: 'effect'; effect: Effect; chain: ChainStep[]; without?: string[]; when?: CallerTest[] }
  | {
      op: 'flush';
      target: 'work' | 'workqueue';
      key: string;
      chain: ChainStep[];
      when?: CallerTest[];
      /** The caller's classes the callee drops before the flush (not held while it waits). */
      without?: string[];
    }
  | { op: 'assert-held'; lock: LockInfo }
  /** in_atomic() and friends: the function decides at run time whether it may sleep. */
  | { op: 'context-check' }
  /** A gfp argument passed through from this function's parameter: reclaims if the caller's flags do. */
  | { op: 'reclaim-if-param'; index: number; chain: ChainStep[] }
  /** A callee takes a spinning lock with the interrupts the caller leaves enabled (see Summary.irqsOn). */
  | { op: 'irq-on'; lock: LockInfo; chain: ChainStep[]; softirqs: boolean };

export interface HeldLock extends LockInfo {
  /** Where it was taken, from the function holding it down to the lock call. */
  chain: ChainStep[];
  /** Taken by a trylock-style call whose result this function returns: held only on success. */
  conditional?: Conditional;
  /** Set when held on entry: "cpuhp callback", "__must_hold", ... */
  entry?: string;
  /** Held because of the callback context (cpuhp, shrinker, irq), not a lock of the function's own. */
  fromContext?: boolean;
}

export interface LockState {
  readonly held: readonly HeldLock[];
  /** Lock expressions this function released on this path (double-unlock detection). */
  readonly released: readonly string[];
  /** Flag tests known on this path (`flags & FOO` set or clear), by their condition atom. */
  readonly facts: readonly (readonly [string, boolean])[];
  /**
   * What this path knows of variables' values (analysis/values): `ret` after `if (ret < 0)`,
   * `locked` after `locked = true` (correlated `if (need) lock; ... if (need) unlock;`), the
   * result of a lock helper on the path where it took the lock. `@n`: the result of the call
   * with ordinal n, tested by the branch ending its block or returned.
   */
  readonly vals: readonly (readonly [string, number])[];
  /** Classes of the caller's locks this function released and has not taken again (unlock, sleep, relock). */
  readonly dropped: readonly string[];
  readonly key: string;
  /** The key without `vals`: paths that agree on everything else are joined (see dataflow). */
  readonly lockKey: string;
}

/**
 * A test of parameter `index` that holds on every path to an exit: its value lies in some
 * ranges (analysis/values), a flag is set (`set`) or clear in it, or it is one of the named
 * constants `names` (`in`, from `switch (block) { case FOO_GFX: ... }`) or none of them.
 */
export interface ParamTest {
  index: number;
  values?: number;
  flag?: string;
  set?: boolean;
  names?: string[];
  in?: boolean;
}

/**
 * One return state: under tests of the parameters, the function returns a value in `returns`
 * holding `acquires` (not held on entry) and having released the caller's `releases`. A
 * caller testing the result (or passing constants) follows only the cases that fit.
 */
/**
 * Tests of the parameters that hold on every path to an effect (a conjunction): the effect
 * happens only when they hold (`if (sync) cancel_work_sync()`, `if (flags & FOO_WAIT) wait()`).
 */
export type Guard = ParamTest[];

export interface ReturnCase {
  when?: ParamTest[];
  returns: number;
  acquires: { lock: LockInfo; chain: ChainStep[]; conditional?: Conditional }[];
  releases: { lock: LockInfo; chain: ChainStep[] }[];
}

export type FlushTarget = { target: 'work' | 'workqueue'; key: string };

/** What a function does to its caller's lock state. */
export interface Summary {
  /**
   * Held at every exit, not held on entry (acquire wrappers); `conditional` when the function
   * returns a trylock-style result. A lock held at only some exits is not exported: callers
   * cannot tell those paths apart, and guessing "held" poisons every caller above.
   */
  acquires: { lock: LockInfo; chain: ChainStep[]; conditional?: Conditional }[];
  /**
   * Released without having been taken here (unlock wrappers); `partial` when some exits
   * release it and others do not.
   */
  releases: { lock: LockInfo; chain: ChainStep[]; partial?: boolean }[];
  /**
   * Orders created inside between locks only callers can name (a parameter's lock of unknown
   * type); `primed` when a priming function or annotation declares the order (see OrderEdge).
   */
  orders: { from: LockInfo; to: LockInfo; chain: ChainStep[]; primed?: string }[];
  /**
   * Every lock class taken inside (for the order graph), with the shortest chain. `waitsWhen`:
   * the parameter test every occurrence that waits for the lock is under (`if (ww) lock else
   * trylock`): callers ruling it out only try the lock. `without`: the caller's classes dropped
   * before it on every path (as effectWithout).
   */
  inside: {
    lock: LockInfo;
    chain: ChainStep[];
    when?: Guard;
    tryOnly?: boolean;
    waitsWhen?: Guard;
    without?: string[];
  }[];
  effects: Partial<Record<Effect, ChainStep[]>>;
  /** Effects that happen only when a parameter is true/false (`if (sync) cancel_work_sync()`). */
  effectGuards: Partial<Record<Effect, Guard>>;
  /** Caller lock classes every occurrence of the effect happens without (dropped before it). */
  effectWithout: Partial<Record<Effect, string[]>>;
  /**
   * When every occurrence of the effect is guarded, but by different tests (`if (flags & A)
   * hdl(); ... if (flags & B) wait();`): each occurrence's guard and chain, at most
   * MAX_EFFECT_CASES; a call ruling all of them out has no such effect. Absent otherwise.
   */
  effectCases?: Partial<Record<Effect, { guard: Guard; chain: ChainStep[] }[]>>;
  reclaimIfParam: { index: number; chain: ChainStep[] }[];
  flushes: (FlushTarget & { chain: ChainStep[]; when?: Guard; without?: string[] })[];
  /** What the function returns over all its exits (analysis/values). */
  returns: number;
  /**
   * Its return states, when its exits differ in the locks they hold or released and a caller
   * can tell them apart (by the returned value or the arguments); absent otherwise, and when
   * there would be more than MAX_CASES (the summary is then what `acquires`/`releases` say).
   */
  cases?: ReturnCase[];
  /**
   * Spinning locks taken here or in callees while this function had not disabled hardirqs
   * itself (`softirqs`: nor softirqs): taken with interrupts as its caller leaves them.
   * Lockdep's HARDIRQ-ON / SOFTIRQ-ON usage relative to the entry (analysis/irq-usage.ts).
   */
  irqsOn: { lock: LockInfo; chain: ChainStep[]; softirqs: boolean }[];
  /**
   * Sleeps on every path before it returns (a mutex taken first thing, a GFP_KERNEL allocation):
   * it cannot run in atomic context, whatever its type suggests (analysis/must-sleep.ts).
   */
  sleepsOnEveryPath?: true;
}

/** The lock a held entry stands for, without where and how this path holds it. */
export function lockOfHeld(h: HeldLock): LockInfo {
  const lock: LockInfo & Partial<HeldLock> = { ...h };
  delete lock.chain;
  delete lock.conditional;
  delete lock.entry;
  delete lock.fromContext;
  return lock;
}

export function emptySummary(): Summary {
  return {
    returns: ANY_VALUE,
    acquires: [],
    releases: [],
    orders: [],
    inside: [],
    effects: {},
    effectGuards: {},
    effectWithout: {},
    reclaimIfParam: [],
    flushes: [],
    irqsOn: [],
  };
}

/**
 * The empty list and record every kept summary, memo and call shape shares (most functions take
 * no lock); frozen, so a write to one throws instead of changing every function's summary.
 */
const NO_ITEMS = Object.freeze([]) as unknown as never[];
const NO_ENTRIES = Object.freeze({});

/**
 * A finished list as it is kept for every function of a workspace: an exact-size copy (a list
 * grown by push keeps room for more) or the shared empty one, frozen as kept lists never change.
 */
export function keptList<T>(items: T[]): T[] {
  return items.length === 0 ? NO_ITEMS : items.slice();
}

/** The shared empty kept list. */
export function noItems<T>(): T[] {
  return NO_ITEMS;
}

function keptRecord<T extends object>(record: T): T {
  return Object.keys(record).length ? record : (NO_ENTRIES as T);
}

/** A finished summary as it is kept (see keptList); a summary never changes once made. */
export function keptSummary(s: Summary): Summary {
  return {
    acquires: keptList(s.acquires),
    releases: keptList(s.releases),
    orders: keptList(s.orders),
    inside: keptList(s.inside),
    effects: keptRecord(s.effects),
    effectGuards: keptRecord(s.effectGuards),
    effectWithout: keptRecord(s.effectWithout),
    ...(s.effectCases && Object.keys(s.effectCases).length ? { effectCases: s.effectCases } : {}),
    reclaimIfParam: keptList(s.reclaimIfParam),
    flushes: keptList(s.flushes),
    returns: s.returns,
    ...(s.cases ? { cases: s.cases } : {}),
    irqsOn: keptList(s.irqsOn),
    ...(s.sleepsOnEveryPath ? { sleepsOnEveryPath: true } : {}),
  };
}

/** Stable text of a summary, to detect when a fixpoint iteration changed nothing. */
export function summaryKey(s: Summary): string {
  const locks = (l: { lock: LockInfo }[]) =>
    l.length === 0
      ? '' // most summaries: no list to sort
      : l
          .map((x) => `${x.lock.cls}|${x.lock.expr}|${x.lock.mode}${x.lock.declared ? '|d' : ''}`)
          .sort()
          .join(',');
  return [
    locks(s.acquires),
    locks(s.releases),
    s.releases.map((r) => (r.partial ? 1 : 0)).join(''),
    s.orders.map((o) => `${o.from.cls}|${o.from.expr}>${o.to.cls}|${o.to.expr}|${o.primed ?? ''}`).join(','),
    locks(s.inside.filter((i) => !i.tryOnly)),
    locks(s.inside.filter((i) => i.tryOnly)),
    Object.keys(s.effects).sort().join(','),
    JSON.stringify(s.effectGuards),
    s.effectCases
      ? JSON.stringify(Object.entries(s.effectCases).map(([e, c]) => [e, c!.map((x) => x.guard)]))
      : '',
    s.reclaimIfParam.map((r) => r.index).join(','),
    s.flushes.map((f) => f.key).join(','),
    s.returns,
    s.cases ? casesKey(s.cases) : '',
    JSON.stringify(s.effectWithout),
    [...s.inside, ...s.flushes]
      .filter((x) => x.without)
      .map((x) => `${'lock' in x ? x.lock.cls : x.key}-${x.without!.join('+')}`)
      .join(','),
    locks(s.irqsOn.filter((i) => i.softirqs)),
    locks(s.irqsOn.filter((i) => !i.softirqs)),
    s.sleepsOnEveryPath ? 'sleeps' : '',
  ].join(';');
}

/** Stable text of return cases (their conditions, ranges and lock identities). */
function casesKey(cases: ReturnCase[]): string {
  const lock = (x: { lock: LockInfo }) => `${x.lock.cls}|${x.lock.expr}|${x.lock.mode}`;
  return cases
    .map(
      (c) =>
        `${JSON.stringify(c.when ?? [])}>${c.returns}:${c.acquires.map(lock).join(',')}/${c.releases.map(lock).join(',')}`,
    )
    .join('&');
}

/**
 * Whether taking the lock may wait for its holder: not a trylock, nor a callee that only
 * trylocks it. Lockdep adds no dependency for a trylock, and a trylock never sleeps.
 */
export function waitsForLock(op: Extract<Op, { op: 'acquire' | 'inside' }>): boolean {
  return op.op === 'acquire' ? op.conditional !== 'nonzero-success' && !op.trylock : !op.tryOnly;
}

export const MAX_CHAIN = 32;

/** The length of `prependStep(step, chain)`, without building it. */
export function chainLengthAfter(step: ChainStep, chain: ChainStep[]): number {
  const again = chain.findIndex((s) => s.fn === step.fn);
  return again >= 0 ? chain.length - again : Math.min(chain.length + 1, MAX_CHAIN);
}

export function prependStep(step: ChainStep, chain: ChainStep[]): ChainStep[] {
  // Recursion (a → b → a → ...): the function reaches the leaf from its later step directly.
  const again = chain.findIndex((s) => s.fn === step.fn);
  if (again >= 0) return reentered(step, chain, again);
  // concat makes an array of the exact size; a spread into a literal leaves room for 17 steps.
  return [step].concat(chain.length >= MAX_CHAIN ? chain.slice(0, MAX_CHAIN - 1) : chain);
}

/**
 * The chain from `chain[again]` on, for a function that reaches itself again down the chain.
 * The steps cut off (`step` and the ones before `again`) are how it gets back there: a call
 * through an ambiguous pointer or under an undecided condition on the way makes the re-entry
 * only as sure as that call, so the kept first step carries their doubt.
 */
function reentered(step: ChainStep, chain: ChainStep[], again: number): ChainStep[] {
  const kept = chain.slice(again);
  const first = kept[0];
  const cut = [step, ...chain.slice(0, again)];
  const ambiguous = first.ambiguous ? undefined : cut.find((s) => s.ambiguous);
  const undecided = first.undecided ? undefined : cut.find((s) => s.undecided);
  const from = ambiguous ?? undecided;
  if (!from) return kept;
  kept[0] = {
    ...first,
    ...(ambiguous ? { ambiguous: true } : {}),
    ...(undecided ? { undecided: true } : {}),
    doubtFrom: from.doubtFrom ?? { fn: from.fn, callee: from.callee },
  };
  return kept;
}

/**
 * The lockdep map of a work item or a workqueue, as lockdep names it: flushing orders it after
 * the held locks, and the work function runs holding it (`(work_completion)foo_dev.reset_work`).
 */
export function workClass(target: 'work' | 'workqueue', key: string): string {
  return `${target === 'work' ? '(work_completion)' : '(wq_completion)'}${key}`;
}

/** Pseudo-lock classes that lockdep uses for effects. */
export const PSEUDO_LOCKS: Partial<Record<Effect, { cls: string; kind: LockKind; mode: LockMode }>> = {
  fault: { cls: 'mmap_lock', kind: 'rwsem', mode: 'read' },
  reclaim: { cls: 'fs_reclaim', kind: 'lockdep_map', mode: 'write' },
  hotplug: { cls: 'cpu_hotplug_lock', kind: 'percpu_rwsem', mode: 'read' },
};
