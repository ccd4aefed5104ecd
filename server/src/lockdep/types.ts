/**
 * Shapes of what the lockdep parsers extract from kernel logs and /proc/lockdep.
 * Class names are kept exactly as lockdep printed them (`&mm->mmap_lock#2`); use
 * normaliseClassName() to compare them with statically derived class names.
 */

export interface LockdepFrame {
  /** Symbol as printed, compiler clone suffixes included (`lock_acquire.part.0`); '' for a bare address. */
  fn: string;
  offset?: number;
  size?: number;
  /** Module the symbol lives in (`[i915]`); absent for built-in code. */
  module?: string;
  /** A `? ` frame: a stale return address found on the stack, not necessarily a caller. */
  uncertain: boolean;
  /** `[<ffffffff8109dbb7>]` of older kernels, or the whole frame when it is a bare `0x…` address. */
  address?: string;
  /** Source position, when the log was decoded (decode_stacktrace.sh, syzbot). */
  file?: string;
  line?: number;
  /** The frame text after log prefixes were removed. */
  raw: string;
}

/** One dependency edge "from --> to" that lockdep recorded, with the stack that proved it. */
export interface LockdepLink {
  /** N of the "-> #N" block that proves it. */
  index: number;
  /** Class held. */
  from: string;
  /** Class acquired while `from` was held. */
  to: string;
  /** Usage bits of the `to` class, e.g. "+.+.". */
  usage?: string;
  /** Wait type of the `to` class, e.g. "3:3". */
  waitType?: string;
  /** The stack saved for that block: where `to` was acquired. */
  frames: LockdepFrame[];
}

export type LockdepReportKind =
  'circular' | 'inconsistent' | 'invalid-wait' | 'sleep-in-atomic' | 'recursive' | 'unknown';

/** A lock as lockdep prints it in "trying"/"holding"/held lines: `ffff… (class){usage}-{w:w}, at: frame`. */
export interface LockdepLockRef {
  cls: string;
  at?: LockdepFrame;
  usage?: string;
  waitType?: string;
}

export interface LockdepHeldLock extends LockdepLockRef {
  /** N of the `#N:` line. */
  index: number;
}

export interface LockdepReport {
  kind: LockdepReportKind;
  /** The title line as printed ("WARNING: possible circular locking dependency detected"); '' if it was lost. */
  title: string;
  /** "comm/pid" of the task that triggered the report, e.g. "perf/19761". */
  task?: string;
  trying?: LockdepLockRef;
  holding?: LockdepLockRef;
  /** Circular reports: the dependency chain, link for "-> #0" first, then #1 … #N. */
  links: LockdepLink[];
  /** "Chain exists of:" classes, in order. */
  chain: string[];
  /**
   * "Possible unsafe locking scenario" steps per CPU column, as printed ("lock(&cpuctx_mutex);",
   * "<Interrupt>", "local_irq_disable();"); see scenarioClass().
   */
  scenario: { cpu0: string[]; cpu1: string[] } | undefined;
  held: LockdepHeldLock[];
  /** The "stack backtrace:" / "Call Trace:" frames, lockdep's own frames included. */
  backtrace: LockdepFrame[];
  /** Inconsistent lock state: "{HARDIRQ-ON-W} -> {IN-HARDIRQ-W}". */
  usageTransition?: string;
  /** Inconsistent lock state: the stack where the conflicting usage was first seen. */
  registeredAt?: { usage: string; frames: LockdepFrame[] };
  /** Invalid wait context: the wait type of the context, "4:4" for "context-{4:4}". */
  waitContext?: string;
  /** Sleeping function called from invalid context: "kernel/locking/mutex.c:281". */
  location?: string;
  /** Sleeping function called from invalid context: where preemption was disabled. */
  preemptionDisabledAt?: LockdepFrame;
  /** 1-based input lines the report was read from. */
  startLine: number;
  endLine: number;
  warnings: string[];
}

export interface ProcLockdepClass {
  /** Address of the class key, as printed; unique, unlike names. */
  key: string;
  name: string;
  usage?: string;
  forwardDeps?: number;
  backwardDeps?: number;
}

export interface ProcLockdepDep {
  from: string;
  to: string;
  fromKey: string;
  toKey: string;
}

export interface ProcLockdep {
  classes: ProcLockdepClass[];
  deps: ProcLockdepDep[];
  warnings: string[];
}
