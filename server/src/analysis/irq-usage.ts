/**
 * Lockdep's lock usage states, statically: per lock class, where it is taken in hardirq or
 * softirq context (IN-HARDIRQ, IN-SOFTIRQ) and where with those interrupts enabled
 * (HARDIRQ-ON, SOFTIRQ-ON), read or write, each with a witness from a root down to the lock.
 *
 * Bottom-up, as lockdep sees it at run time: a function's summary lists the spinning locks it
 * takes with interrupts as its caller left them (it disabled none itself, `Summary.irqsOn`); a
 * caller that has interrupts disabled at the call turns them into disabled uses, one that has
 * not passes them up. At the roots the context decides: a function registered as an interrupt
 * handler (or a softirq callback) takes everything it reaches IN-HARDIRQ (IN-SOFTIRQ); a
 * process-context root (an entry point nothing in the workspace calls: an ioctl, probe, an ops
 * callback) turns its interrupts-as-on-entry uses into HARDIRQ-ON / SOFTIRQ-ON ones.
 */
import type { Knowledge } from '../kb/knowledge';
import type { EntryContext, IrqKind, LockKind, LockMode } from '../kb/types';
import { isAtomicKind, isOrderedKind } from '../kb/types';
import type { FunctionRef } from '../workspace/index';
import type { CallEvent, FunctionIR } from './ir';
import type { ChainStep, LockState, Op, Summary } from './model';

const MAX_IRQS_ON = 256;
/** Witnesses kept per class and usage state: enough to point at every unsafe site of a class. */
const MAX_USES = 64;

export type UsageState = 'in-hardirq' | 'in-softirq' | 'hardirq-on' | 'softirq-on';

export interface UsageUse {
  state: UsageState;
  mode: LockMode;
  /** The function whose context this is (an interrupt handler, an entry point). */
  root: FunctionIR;
  rootFile: string;
  /** What the root runs as ("hardirq handler", "process context"). */
  context: string;
  /** Where the root was registered for that context, when it was. */
  registration?: ChainStep;
  /** From the root down to the acquisition; its last step is the lock call. */
  chain: ChainStep[];
  /**
   * The function making the lock call also releases the lock on its paths and leaves none of
   * its caller's held (no wrapper): the whole critical section is in that function.
   */
  wholeSection: boolean;
  /**
   * The most functions one call of the chain may reach (a call through an ops table with many
   * targets: which one runs depends on the device or the event, so the path may not exist).
   */
  widestCall: number;
}

export interface ClassUsage {
  cls: string;
  kind: LockKind;
  uses: UsageUse[];
}

/** Usage states by class name. */
export type LockUsage = Map<string, ClassUsage>;

/** Which interrupt kinds are enabled: hardirqs and softirqs, hardirqs only, or none. */
type Enabled = 2 | 1 | 0;

/** Kinds whose usage matters: the spinning locks (a sleeping one in irq context is sleep-in-atomic's). */
export function tracksUsage(kind: LockKind): boolean {
  return isAtomicKind(kind) && isOrderedKind(kind);
}

/**
 * The interrupts this function has left enabled before a call on every path to it: a path
 * that disabled them may be the only one that runs. Interrupts off on entry (`fromContext`)
 * are the caller's business, not this function's.
 */
function enabledAt(states: readonly LockState[], kb: Knowledge): Enabled {
  const hard = kb.irqState('hardirq').cls;
  const soft = kb.irqState('softirq').cls;
  let least: Enabled = 2;
  for (const s of states) {
    let hardOff = false;
    let softOff = false;
    for (const h of s.held) {
      if (h.fromContext) continue;
      if (h.cls === hard) hardOff = true;
      else if (h.cls === soft) softOff = true;
    }
    const here: Enabled = hardOff ? 0 : softOff ? 1 : 2;
    if (here < least) least = here;
    if (least === 0) break;
  }
  return least;
}

/** What a call disables for its own lock: `spin_lock_irqsave(&x)` takes x with hardirqs off. */
function disabledByCall(ops: Op[], kb: Knowledge): Enabled {
  let enabled: Enabled = 2;
  for (const op of ops) {
    if (op.op !== 'acquire' || op.chain.length !== 1) continue;
    if (op.lock.cls === kb.irqState('hardirq').cls) enabled = 0;
    else if (op.lock.cls === kb.irqState('softirq').cls && enabled > 1) enabled = 1;
  }
  return enabled;
}

/**
 * Folds one call's lock uses into the function's `irqsOn`: its own spinning acquisitions and
 * what its callees take with interrupts as they found them, unless this function has disabled
 * them before the call. `byKey` keeps one entry per class, mode and softirq state.
 */
export function accumulateIrqsOn(
  summary: Summary,
  byKey: Map<string, Summary['irqsOn'][number]>,
  event: CallEvent,
  ops: Op[],
  states: readonly LockState[],
  kb: Knowledge,
): void {
  let here: Enabled | undefined; // computed for the few calls that take a spinning lock
  for (const op of ops) {
    // A recursive callee's chain is cut back to this function's own step (prependStep): that
    // acquisition is accounted for where it happens, with the state there.
    if (!('chain' in op) || op.chain[0]?.range !== event.range) continue;
    let callee: Enabled;
    if ((op.op === 'acquire' || op.op === 'inside') && op.chain.length === 1) {
      if (!tracksUsage(op.lock.kind)) continue;
      callee = disabledByCall(ops, kb);
    } else if (op.op === 'irq-on') callee = op.softirqs ? 2 : 1;
    else continue;
    here ??= enabledAt(states, kb);
    const enabled = Math.min(here, callee);
    if (enabled === 0) continue;
    const softirqs = enabled === 2;
    const key = `${op.lock.cls}\0${op.lock.mode}\0${softirqs ? 1 : 0}`;
    const prev = byKey.get(key);
    if (prev) {
      if (op.chain.length < prev.chain.length) prev.chain = op.chain;
    } else if (summary.irqsOn.length < MAX_IRQS_ON) {
      const entry = { lock: op.lock, chain: op.chain, softirqs };
      summary.irqsOn.push(entry);
      byKey.set(key, entry);
    }
  }
}

export interface RootContext {
  ctx: EntryContext;
  registration?: ChainStep;
}

export interface UsageInput {
  refs: readonly FunctionRef[];
  summaryOf(fn: FunctionIR): Summary | undefined;
  /** The context a function runs in as a root, or undefined when it is not a root. */
  rootContext(ref: FunctionRef): RootContext | undefined;
  /** The summary of the function a chain step is in. */
  summaryAt(step: ChainStep): Summary | undefined;
  /** How many workspace functions the call of a chain step may reach. */
  fanOut(step: ChainStep): number;
}

/** The context of a function nothing in the workspace calls or registers. */
export const PROCESS_ROOT: EntryContext = {
  label: 'process context (nothing in the workspace calls it)',
  atomic: false,
  held: [],
};

/**
 * The context of a non-static function nothing in the workspace calls, stores in an ops table or
 * registers: maybe another module's, maybe nobody's. Findings resting on it are unproven.
 */
export const UNREFERENCED_ROOT: EntryContext = {
  label: 'process context, unproven (nothing in the workspace calls, stores or registers it)',
  atomic: false,
  held: [],
};

const IN_STATE: Record<IrqKind, UsageState> = { hardirq: 'in-hardirq', softirq: 'in-softirq' };

function wholeSection(summary: Summary | undefined, cls: string): boolean {
  if (!summary) return false;
  return (
    !summary.acquires.some((a) => a.lock.cls === cls) && !summary.releases.some((r) => r.lock.cls === cls)
  );
}

/** The usage states of every class the roots reach. */
export function lockUsage(input: UsageInput): LockUsage {
  const usage: LockUsage = new Map();
  const keys = new Map<string, UsageUse>();
  const add = (
    ref: FunctionRef,
    root: RootContext,
    state: UsageState,
    lock: Summary['irqsOn'][number]['lock'],
    chain: ChainStep[],
  ) => {
    const cls = lock.cls;
    if (cls.startsWith('?') || chain.length === 0) return;
    let entry = usage.get(cls);
    if (!entry) usage.set(cls, (entry = { cls, kind: lock.kind, uses: [] }));
    // In irq context one witness per handler; with interrupts enabled one per unsafe lock call.
    const leaf = chain[chain.length - 1];
    const where = state.startsWith('in-')
      ? `${ref.file}#${ref.fn.name}`
      : `${leaf.file}:${leaf.range.line}:${leaf.range.col}`;
    const key = `${cls}\0${state}\0${lock.mode}\0${where}`;
    const prev = keys.get(key);
    if (prev) {
      if (chain.length < prev.chain.length) {
        Object.assign(prev, {
          root: ref.fn,
          rootFile: ref.file,
          context: root.ctx.label,
          registration: root.registration,
          chain,
        });
      }
      return;
    }
    if (entry.uses.filter((u) => u.state === state).length >= MAX_USES) return;
    const use: UsageUse = {
      state,
      mode: lock.mode,
      root: ref.fn,
      rootFile: ref.file,
      context: root.ctx.label,
      registration: root.registration,
      chain,
      wholeSection: wholeSection(input.summaryAt(leaf), cls),
      widestCall: 0,
    };
    entry.uses.push(use);
    keys.set(key, use);
  };
  for (const ref of input.refs) {
    const root = input.rootContext(ref);
    const summary = root && input.summaryOf(ref.fn);
    if (!root || !summary) continue;
    const irq = root.ctx.irq;
    if (irq?.in) {
      for (const i of summary.inside) {
        if (!i.tryOnly && tracksUsage(i.lock.kind)) add(ref, root, IN_STATE[irq.in], i.lock, i.chain);
      }
    }
    const off = irq?.off ?? [];
    if (off.includes('hardirq')) continue;
    for (const u of summary.irqsOn) {
      add(ref, root, 'hardirq-on', u.lock, u.chain);
      if (u.softirqs && !off.includes('softirq')) add(ref, root, 'softirq-on', u.lock, u.chain);
    }
  }
  for (const cls of usage.values())
    for (const use of cls.uses) use.widestCall = Math.max(0, ...use.chain.slice(0, -1).map(input.fanOut));
  return usage;
}
