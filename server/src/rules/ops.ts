/**
 * Questions rules ask about a call's ops and the states before it.
 */
import type { Effect } from '../kb/types';
import { isAtomicKind, isOrderedKind } from '../kb/types';
import { type ChainStep, type HeldLock, type LockState, type Op, waitsForLock } from '../analysis/model';

/** How a call reaches an effect: the chain, and the held classes the callee drops before it. */
export interface EffectPath {
  chain: ChainStep[];
  without: string[];
}

/** The shortest path by which this call may sleep, if it may. */
export function sleepingPath(ops: Op[]): EffectPath | undefined {
  let best: EffectPath | undefined;
  for (const op of ops) {
    let path: EffectPath | undefined;
    if (op.op === 'effect') path = { chain: op.chain, without: op.without ?? [] };
    else if ((op.op === 'acquire' || op.op === 'inside') && sleepsToAcquire(op))
      path = { chain: op.chain, without: (op.op === 'inside' && op.without) || [] };
    if (path && (!best || path.chain.length < best.chain.length)) best = path;
  }
  return best;
}

function sleepsToAcquire(op: Extract<Op, { op: 'acquire' | 'inside' }>): boolean {
  const kind = op.lock.kind;
  // A lockdep annotation (might_lock, mutex_acquire on a dep_map) declares, it does not wait.
  if (isAtomicKind(kind) || !isOrderedKind(kind) || kind === 'lockdep_map' || kind === 'ww_acquire')
    return false;
  if (op.lock.declared) return false;
  return waitsForLock(op);
}

/** The shortest path to an effect of this kind. */
export function effectPath(ops: Op[], effect: Effect): EffectPath | undefined {
  let best: EffectPath | undefined;
  for (const op of ops) {
    if (op.op === 'effect' && op.effect === effect && (!best || op.chain.length < best.chain.length)) {
      best = { chain: op.chain, without: op.without ?? [] };
    }
  }
  return best;
}

/** The lock that makes a state atomic, if any (classes in `without` are dropped by the callee first). */
export function atomicHolder(state: LockState, without: string[] = []): HeldLock | undefined {
  return state.held.find((h) => isAtomicKind(h.kind) && !without.includes(h.cls));
}

export function anyAtomic(states: readonly LockState[], without: string[] = []): boolean {
  return states.some((s) => atomicHolder(s, without) !== undefined);
}

/**
 * Sleeping locks held in any state, once per class: what fault/reclaim/hotplug-under-lock name.
 * Context pseudo-locks held on entry and the pseudo-lock the effect itself takes are left out.
 */
export function heldSleepingLocks(
  states: readonly LockState[],
  exceptClass: string,
  without: string[] = [],
): HeldLock[] {
  const out: HeldLock[] = [];
  for (const s of states) {
    for (const h of s.held) {
      if (isAtomicKind(h.kind) || !isOrderedKind(h.kind) || h.cls === exceptClass || without.includes(h.cls))
        continue;
      if (h.fromContext) continue;
      if (!out.some((o) => o.cls === h.cls)) out.push(h);
    }
  }
  return out;
}
