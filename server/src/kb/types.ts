/**
 * Shapes of the knowledge base: what a kernel API function does to the lock state.
 * Everything the analysis knows about the kernel is expressed with these types, as data.
 */

import type { ValueName } from '../analysis/values';

/** Lock kinds. Spinning kinds make the context atomic; sleeping kinds may not be taken in it. */
export type LockKind =
  | 'spinlock'
  | 'raw_spinlock'
  | 'rwlock'
  | 'seqlock'
  | 'bit_spinlock'
  | 'rcu'
  | 'irq'
  | 'preempt'
  | 'bh'
  | 'mutex'
  | 'rwsem'
  | 'ww_mutex'
  | 'ww_acquire'
  | 'percpu_rwsem'
  | 'lockdep_map'
  /** A task-state scope that is no lock (memalloc_noreclaim_save, pagefault_disable): orders nothing. */
  | 'scope';

export type LockMode = 'read' | 'write';

/** The interrupt kinds lockdep tracks usage for (hardirq, softirq). */
export type IrqKind = 'hardirq' | 'softirq';

export function isIrqKind(v: unknown): v is IrqKind {
  return v === 'hardirq' || v === 'softirq';
}

/**
 * A set of calling contexts: running in an interrupt of a kind in `in`, with a kind in `off`
 * disabled (`spin_lock_bh` disables softirqs), or (`atomic`) in any atomic section.
 */
export interface ContextTest {
  in?: IrqKind[];
  off?: IrqKind[];
  atomic?: boolean;
}

/** A callback registration: the functions passed at these argument indexes run in `context`. */
export interface Registration {
  args: number[];
  context: string;
  /**
   * The context when the flags argument names one of `flags` (`IRQF_NO_THREAD`: a handler
   * that stays in hard interrupt context on PREEMPT_RT); the first that matches wins.
   */
  withFlags?: { arg: number; flags: string[]; context: string }[];
}

/** Effects a call can have besides lock operations. Each (but flush) is also a pseudo-lock acquisition. */
export type Effect = 'sleep' | 'fault' | 'reclaim' | 'hotplug' | 'flush';

export interface LockOp {
  /** Index of the argument naming the lock; absent for locks with a fixed class (rcu_read_lock). */
  arg?: number;
  /** Fixed class name (rcu_read_lock, mmap_lock, fs_reclaim); otherwise the class comes from `arg`. */
  cls?: string;
  /** Class named after another argument: `${args[classArg]}${argClassSuffix}` (ww_acquire_init). */
  classArg?: number;
  argClassSuffix?: string;
  kind: LockKind;
  mode?: LockMode;
  /** A reader that may recurse without deadlock (rwlock read_lock, rcu_read_lock), as in lockdep. */
  recursiveRead?: boolean;
  /**
   * Annotated nesting (`mutex_lock_nested`, `spin_lock_nest_lock`): a lockdep subclass, so taking
   * a second lock of a held class is intended, not recursive locking.
   */
  subclass?: boolean;
  /**
   * The argument names this field of the lock, not the lock (`mutex_acquire(&m->dep_map, ...)`):
   * the lock is the field's container.
   */
  ofField?: string;
  /** While held, calls have none of these effects (`memalloc_noreclaim_save()` blocks reclaim). */
  blocks?: Effect[];
  /**
   * The acquire context's argument (`ww_mutex_lock(lock, ctx)`): a lock taken with a context is
   * the context's to release (its backoff or drop), maybe in another function.
   */
  contextArg?: number;
  /** A release of every held lock of the class (`drm_modeset_drop_locks(ctx)`). */
  every?: boolean;
}

export interface ApiFact {
  acquire?: LockOp;
  release?: LockOp;
  /** Locks the call takes after `acquire`, in order (`drm_modeset_lock_all`: the mode config mutex, then the modeset locks). */
  acquireAlso?: LockOp[];
  releaseAlso?: LockOp[];
  /** When the acquire only happens on success: trylocks return nonzero, _interruptible returns 0. */
  conditional?: 'nonzero-success' | 'zero-success';
  /**
   * A trylock whose success is `conditional` tells (one that returns 0 when it took the lock):
   * it never waits, so it orders nothing and never sleeps.
   */
  trylock?: boolean;
  /**
   * The result is an enum tested with `switch`: the acquire happens on these case labels
   * (`MUTEX_TRYLOCK_SUCCESS`) and not on the others; `held` labels mean the caller already held it.
   */
  switchSuccess?: { taken: string[]; held?: string[] };
  effects?: Effect[];
  /**
   * A state the effects depend on that the code does not show (`pm_runtime_get_sync()` sleeps
   * only when the device is runtime-suspended; callers under a lock usually hold it active):
   * findings resting on the effects have lower confidence, and say why.
   */
  effectsWhen?: string;
  /** The lock at this argument is released while the effects happen (`wait_event_lock_irq`). */
  sleepsWithout?: number;
  /** This interrupt kind is enabled while the effects happen (`wait_event_lock_irq`). */
  sleepsWithIrq?: IrqKind;
  /** Index of a gfp_t argument: the call reclaims when the flags there allow direct reclaim. */
  gfpArg?: number;
  /** flush_work(&x->work) / flush_workqueue(wq): the argument names the work item or workqueue. */
  flush?: { arg: number; target: 'work' | 'workqueue' };
  /** queue_work(wq, &x->work): binds a work item to a workqueue. */
  queue?: { wq: number; work: number };
  /** INIT_WORK(&x->work, fn): binds a work item to its function. */
  initWork?: { work: number; fn: number };
  /** Registers callbacks (argument indexes) that run in a known context; a list for several. */
  register?: Registration | Registration[];
  /**
   * Disables this interrupt kind until a call that restores it (`spin_lock_irqsave`,
   * `local_bh_disable`): held like a pseudo-lock, the table's `irqStates` class of the kind.
   */
  disablesIrq?: IrqKind;
  /** Restores (re-enables) this interrupt kind (`spin_unlock_irqrestore`, `local_bh_enable`). */
  restoresIrq?: IrqKind;
  /** `lockdep_assert_irqs_disabled()`: this interrupt kind is disabled here (and so on entry). */
  assertsIrqOff?: IrqKind;
  /** lockdep_assert_held(x): the lock is held here (and so on entry, if not taken before). */
  assertHeld?: number;
  /**
   * `BUG_ON(cond)`, `WARN_ON(cond)` (`value` false), `lockdep_assert(cond)` (true): the code states
   * that the condition at this argument has this value here. Read when the condition is a call
   * to an `irqsOffTest` function, negated or not: `WARN_ON(!irqs_disabled())` asserts irqs off.
   */
  asserts?: { arg: number; value: boolean };
  /** `irqs_disabled()`: true exactly when this interrupt kind is disabled. */
  irqsOffTest?: IrqKind;
  /** might_lock(x): orders x after every held lock without holding it (kind from x's declared type). */
  mightLock?: number;
  /**
   * A lockdep annotation with a known kind: orders this lock after every held lock without
   * taking it (`might_alloc(GFP_KERNEL)` declares fs_reclaim, `might_lock_nested(m, n)`).
   */
  declares?: LockOp;
  /**
   * Lockdep annotations (fs_reclaim_acquire, lock_map_acquire, mutex_acquire): the locks they
   * acquire are declared, not taken. The orders they create are legal by declaration.
   */
  declaration?: boolean;
  /** Takes and releases this lock inside (`kref_put_mutex(kref, release, &m)`, when the count drops to zero). */
  takes?: LockOp;
  /**
   * Calls the function passed at this argument (`kref_put(&x->ref, foo_release)`): the call does
   * what that function does; with `takes`, the callback's release of the taken lock is the API's.
   */
  callsArg?: number;
  /** in_atomic(), irqs_disabled(): the function checks its context before sleeping. */
  contextCheck?: boolean;
  /**
   * When such a test is true (`trueWhen`) or false (`falseWhen`), so that an allocation with
   * `in_interrupt() ? GFP_ATOMIC : GFP_KERNEL` reclaims only where the test sends it.
   */
  contextTest?: { trueWhen?: ContextTest; falseWhen?: ContextTest };
  /**
   * What the call returns, for callers that test it: a fixed range (ERR_PTR: negative), or an
   * argument's value as it is (ERR_CAST, PTR_ERR) or as PTR_ERR_OR_ZERO maps it.
   */
  result?: { values: ValueName[] } | { arg: number; map?: 'err-or-zero' };
  /**
   * A test of an argument: a branch on the call is a branch on the argument (likely, WARN_ON),
   * true for some ranges of its value (IS_ERR: negative) or when it has a flag set
   * (gfpflags_allow_blocking: __GFP_DIRECT_RECLAIM).
   */
  test?: { arg: number; trueFor?: ValueName[]; flag?: string };
  /**
   * A counter's read-modify-write whose result tells the first or last user
   * (`atomic_inc_return(&n) == 1`, `atomic_dec_and_test(&n)`): a lock taken only past such a
   * test is the first user's, handed over to whoever passes the matching test on the way out.
   */
  counter?: true;
  /** might_sleep_if(cond): the call's effects happen only when this argument is true. */
  onlyIf?: number;
  /**
   * `lockdep_set_subclass(&lock, n)` and friends: the lock this argument names gets a class or
   * subclass at run time, so nesting within its static class may be intended.
   */
  rekeysClass?: number;
  /**
   * `spin_lock_init(&x->lock)`, `mutex_init`, `init_rwsem`: lockdep keys the lock this argument
   * names by the init call's site, so a class initialised at several sites (a wrapper macro
   * expanded at each, two constructors) is several lockdep classes.
   */
  keysAtSite?: number;
}

/** The context a registered callback runs in. */
export interface EntryContext {
  /** What the user reads: "cpuhp callback". */
  label: string;
  atomic: boolean;
  /** Pseudo-locks held on entry. */
  held: { cls: string; kind: LockKind; mode: LockMode }[];
  /**
   * Interrupt state on entry, as lockdep's usage states see it: `in`, the interrupt context it
   * runs in (what it takes is used IN-HARDIRQ / IN-SOFTIRQ); `off`, the kinds disabled on entry
   * (nothing it takes is used with them enabled). Absent: process context, interrupts enabled.
   */
  irq?: { in?: IrqKind; off: IrqKind[] };
  /** Stays atomic on PREEMPT_RT (a handler that is not threaded): lockdep's wait type is spin. */
  rawAtomic?: boolean;
}

/**
 * The context a function's return type suggests, and the evidence that overrides the guess:
 * an `irqreturn_t` function is taken for a hardirq handler unless it sleeps on every path or is
 * stored in a field (passed for a parameter) named like a thread function: then it is the
 * threaded half, which a bus driver's own `request_threaded_irq()` thread_fn calls.
 */
export interface ReturnTypeContext {
  /** The guess from the type alone. */
  context: string;
  /** The context of such a function that sleeps on every path (it cannot run where `context` says). */
  sleeping?: string;
  /**
   * Stored in a field or passed for a parameter whose name matches `match` (regular expression
   * source): it runs in `context`, as a registration says.
   */
  named?: { match: string; context: string }[];
}

/** A known core-kernel lock-order edge a driver workspace cannot see. */
export interface BaselineEdge {
  from: string;
  to: string;
  /** The kernel function that creates it. */
  where: string;
}

export interface KnowledgeTable {
  functions: Record<string, ApiFact>;
  /** Regular expressions (source text) for families like wait_event_*; checked after exact names. */
  patterns: { match: string; fact: ApiFact }[];
  /** guard(mutex)(&x) and scoped_guard(spinlock_irqsave, &x): guard type -> lock and unlock functions. */
  guards: Record<string, { lock: string; unlock: string }>;
  /** Designated-initializer or assigned struct fields whose functions run in a context. */
  callbackFields: { struct: string; field: string; context: string }[];
  contexts: Record<string, EntryContext>;
  /**
   * A function no workspace code calls and nothing registers runs in the context of its
   * return type (`irqreturn_t`: an interrupt handler registered where the workspace cannot see).
   */
  returnTypeContexts: Record<string, ReturnTypeContext>;
  /** The pseudo-lock that stands for each interrupt kind being disabled (`hardirqs_off`). */
  irqStates: Record<IrqKind, { cls: string; kind: LockKind }>;
  /**
   * Lockdep's wait-context check (what stays atomic on PREEMPT_RT, what sleeps there): held
   * kinds and pseudo-lock classes that keep spinning, and the kinds that become sleeping locks.
   */
  waitTypes: { spinKinds: LockKind[]; spinClasses: string[]; sleepOnRtKinds: LockKind[] };
  /**
   * Upper-case macros of the kernel's headers that evaluate their arguments as a function call
   * would (`DIV_ROUND_UP`, `READ_ONCE`): calls written in their arguments run. Those of any other
   * upper-case macro the workspace does not define may not (CallEvent.inArgsOf).
   */
  evaluatingMacros: string[];
  /** Lock classes reached through these field names are one class (mmap_sem and mmap_lock). */
  fieldClassAliases: Record<string, string>;
  /** Whole-class aliases (dma_resv.lock is lockdep's reservation_ww_class_mutex). */
  classAliases: Record<string, string>;
  /** Declared types of lock objects (field or variable types) -> kind, for `__must_hold` and asserts. */
  lockTypes: Record<string, LockKind>;
  /** File-scope lock definitions: DEFINE_MUTEX(name) -> kind. */
  lockDefinitions: Record<string, { kind: LockKind }>;
  /** Flags in a gfp argument that allow direct reclaim, and flags that never do. */
  gfp: { reclaiming: string[]; nonReclaiming: string[] };
  baseline: BaselineEdge[];
  /** Kernel annotation macros that are not C, blanked before parsing (lock ones become facts). */
  annotationMacros: { bare: string[]; withArgs: string[] };
}

const ATOMIC_KINDS: ReadonlySet<LockKind> = new Set([
  'spinlock',
  'raw_spinlock',
  'rwlock',
  'seqlock',
  'bit_spinlock',
  'rcu',
  'irq',
  'preempt',
  'bh',
]);

/** Kinds that disable preemption, so holding one makes the context atomic. */
export function isAtomicKind(kind: LockKind): boolean {
  return ATOMIC_KINDS.has(kind);
}

const SLEEPING_KINDS: ReadonlySet<LockKind> = new Set(['mutex', 'rwsem', 'ww_mutex', 'percpu_rwsem']);

/** Kinds whose acquisition may sleep waiting for the holder. */
export function isSleepingKind(kind: LockKind): boolean {
  return SLEEPING_KINDS.has(kind);
}

/** Kinds that are context states rather than locks: lockdep orders none of them. */
export function isOrderedKind(kind: LockKind): boolean {
  return kind !== 'irq' && kind !== 'preempt' && kind !== 'bh' && kind !== 'rcu' && kind !== 'scope';
}

/** The registrations of a fact, as a list. */
export function registrationsOf(fact: ApiFact | undefined): Registration[] {
  const r = fact?.register;
  return r === undefined ? [] : Array.isArray(r) ? r : [r];
}

/** The context a registration gives, read from the call's flags argument when it has variants. */
export function registrationContext(
  reg: Registration,
  argText: (index: number) => string | undefined,
): string {
  for (const variant of reg.withFlags ?? []) {
    const words = new Set(argText(variant.arg)?.match(/\w+/g) ?? []);
    if (variant.flags.some((f) => words.has(f))) return variant.context;
  }
  return reg.context;
}

/** Kinds that nest freely (preempt_disable inside preempt_disable). */
export function isNestingKind(kind: LockKind): boolean {
  // lockdep maps (fs_reclaim) nest too: reclaim code re-entering the annotation is not a deadlock.
  return (
    kind === 'irq' ||
    kind === 'preempt' ||
    kind === 'bh' ||
    kind === 'rcu' ||
    kind === 'lockdep_map' ||
    kind === 'scope'
  );
}

/** The locks a fact acquires (or releases), in order. */
export function lockOps(fact: ApiFact | undefined, which: 'acquire' | 'release'): LockOp[] {
  if (!fact) return [];
  const first = fact[which];
  const also = which === 'acquire' ? fact.acquireAlso : fact.releaseAlso;
  return first ? (also ? [first, ...also] : [first]) : (also ?? []);
}
