/**
 * Questions rules ask about a call's ops and the states before it.
 */
import type { Effect } from '../kb/types';
import { isAtomicKind } from '../kb/types';
import type { ChainStep, HeldLock, LockState, Op } from '../analysis/model';

/** The shortest chain by which this call may sleep, if it may. */
export function sleepingChain(ops: Op[]): ChainStep[] | undefined {
  let best: ChainStep[] | undefined;
  for (const op of ops) {
    let chain: ChainStep[] | undefined;
    if (op.op === 'effect') chain = op.chain;
    else if ((op.op === 'acquire' || op.op === 'inside') && sleepsToAcquire(op)) chain = op.chain;
    if (chain && (!best || chain.length < best.length)) best = chain;
  }
  return best;
}

function sleepsToAcquire(op: Extract<Op, { op: 'acquire' | 'inside' }>): boolean {
  const kind = op.lock.kind;
  if (isAtomicKind(kind) || kind === 'lockdep_map' || kind === 'ww_acquire') return false;
  return !(op.op === 'acquire' && op.conditional === 'nonzero-success');
}

/** The shortest chain to an effect of this kind. */
export function effectChain(ops: Op[], effect: Effect): ChainStep[] | undefined {
  let best: ChainStep[] | undefined;
  for (const op of ops) {
    if (op.op === 'effect' && op.effect === effect && (!best || op.chain.length < best.length))
      best = op.chain;
  }
  return best;
}

/** The lock that makes a state atomic, if any. */
export function atomicHolder(state: LockState): HeldLock | undefined {
  return state.held.find((h) => isAtomicKind(h.kind));
}

export function anyAtomic(states: readonly LockState[]): boolean {
  return states.some((s) => atomicHolder(s) !== undefined);
}

/**
 * Sleeping locks held in any state, once per class: what fault/reclaim/hotplug-under-lock name.
 * Context pseudo-locks held on entry and the pseudo-lock the effect itself takes are left out.
 */
export function heldSleepingLocks(states: readonly LockState[], exceptClass: string): HeldLock[] {
  const out: HeldLock[] = [];
  for (const s of states) {
    for (const h of s.held) {
      if (isAtomicKind(h.kind) || h.cls === exceptClass) continue;
      if (h.fromContext) continue;
      if (!out.some((o) => o.cls === h.cls)) out.push(h);
    }
  }
  return out;
}
