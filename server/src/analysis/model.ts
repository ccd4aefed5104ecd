/**
 * The analysis vocabulary shared by the dataflow, summaries, rules and the order graph.
 */
import type { Effect, LockKind, LockMode } from '../kb/types';
import type { CallEvent, Range } from './ir';

/** One step of a call chain: in `fn` (file, range), a call to `callee`. */
export interface ChainStep {
  fn: string;
  file: string;
  range: Range;
  callee: string;
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
}

export type Conditional = 'nonzero-success' | 'zero-success';

/** What one call does to the lock state, as the dataflow applies it. */
export type Op =
  /** `trylock`: a conditional acquire that never waits (down_trylock, which returns 0 on success). */
  | {
      op: 'acquire';
      lock: LockInfo;
      chain: ChainStep[];
      conditional?: Conditional;
      trylock?: boolean;
      /** An enum result tested with `switch` (see ApiFact.switchSuccess). */
      cases?: { taken: string[]; held?: string[] };
    }
  /**
   * `every`: every held lock of the class (drm_modeset_drop_locks). `partial`: a callee that
   * releases the caller's lock on some of its exits only.
   */
  | { op: 'release'; lock: LockInfo; chain: ChainStep[]; every?: boolean; partial?: boolean }
  /**
   * An order a callee creates between two locks its caller names (`foo_taint(&d->lock)` takes
   * fs_reclaim and then the argument): the edge, once the caller's classes are known.
   */
  | { op: 'order'; from: LockInfo; to: LockInfo; chain: ChainStep[]; primed?: string }
  /**
   * A lock taken and released inside a callee: orders it after the held locks. `tryOnly`: every
   * path takes it with a trylock, which never waits for it.
   */
  | { op: 'inside'; lock: LockInfo; chain: ChainStep[]; tryOnly?: boolean }
  /** `without`: classes the callee releases before the effect (its caller's lock is not held there). */
  | { op: 'effect'; effect: Effect; chain: ChainStep[]; without?: string[] }
  | { op: 'flush'; target: 'work' | 'workqueue'; key: string; chain: ChainStep[] }
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
  /** Call-free condition atoms known on this path (correlated `if (need) lock; ... if (need) unlock;`). */
  readonly facts: readonly (readonly [string, boolean])[];
  /** `ret = mutex_lock_interruptible(&m)`: acquire when `ret` is tested (`at`: that call). */
  readonly pending: readonly (readonly [
    string,
    { lock: LockInfo; chain: ChainStep[]; success: boolean; at?: CallEvent },
  ])[];
  /** Classes of the caller's locks this function released and has not taken again (unlock, sleep, relock). */
  readonly dropped: readonly string[];
  readonly key: string;
}

/**
 * Parameter `index` was tested and found `truthy` on every path to the effect; with `flag`,
 * the test was `param & flag`.
 */
export interface Guard {
  index: number;
  truthy: boolean;
  flag?: string;
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
   * trylock`): callers ruling it out only try the lock.
   */
  inside: { lock: LockInfo; chain: ChainStep[]; when?: Guard; tryOnly?: boolean; waitsWhen?: Guard }[];
  effects: Partial<Record<Effect, ChainStep[]>>;
  /** Effects that happen only when a parameter is true/false (`if (sync) cancel_work_sync()`). */
  effectGuards: Partial<Record<Effect, Guard>>;
  /** Caller lock classes every occurrence of the effect happens without (dropped before it). */
  effectWithout: Partial<Record<Effect, string[]>>;
  reclaimIfParam: { index: number; chain: ChainStep[] }[];
  flushes: (FlushTarget & { chain: ChainStep[]; when?: Guard })[];
  /**
   * Spinning locks taken here or in callees while this function had not disabled hardirqs
   * itself (`softirqs`: nor softirqs): taken with interrupts as its caller leaves them.
   * Lockdep's HARDIRQ-ON / SOFTIRQ-ON usage relative to the entry (analysis/irq-usage.ts).
   */
  irqsOn: { lock: LockInfo; chain: ChainStep[]; softirqs: boolean }[];
}

export function emptySummary(): Summary {
  return {
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
    reclaimIfParam: keptList(s.reclaimIfParam),
    flushes: keptList(s.flushes),
    irqsOn: keptList(s.irqsOn),
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
    s.reclaimIfParam.map((r) => r.index).join(','),
    s.flushes.map((f) => f.key).join(','),
    locks(s.irqsOn.filter((i) => i.softirqs)),
    locks(s.irqsOn.filter((i) => !i.softirqs)),
  ].join(';');
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
  if (again >= 0) return chain.slice(again);
  // concat makes an array of the exact size; a spread into a literal leaves room for 17 steps.
  return [step].concat(chain.length >= MAX_CHAIN ? chain.slice(0, MAX_CHAIN - 1) : chain);
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
