/**
 * Return states (as Smatch calls them): a function's exits grouped by what they do to the
 * caller's locks, each group with the range of values it returns and the parameter tests that
 * hold on its paths. A lock helper that returns ERR_PTR, -EINTR, NULL or false exactly when it
 * did not take the lock becomes two cases its callers tell apart by testing the result; a
 * helper taking a bool that selects lock or unlock becomes two cases the argument picks.
 *
 * Cases merge when their outcomes agree. Two cases a caller could not tell apart (overlapping
 * returned ranges, compatible parameter tests), or told apart only by a result that says the
 * one holding more locks failed (a missing unlock on an error path), merge too, keeping the
 * locks both hold: that is the summary without cases. More than MAX_CASES cases: no cases (the summary's `acquires` and
 * `releases`, the locks held and released at every exit, stand for the function).
 */
import type { ExitState } from './dataflow';
import { commonTests, exclusive, paramTests } from './guards';
import type { FunctionIR } from './ir';
import {
  type HeldLock,
  type LockInfo,
  type LockState,
  type ParamTest,
  type ReturnCase,
  type Summary,
  lockOfHeld,
} from './model';
import { ANY_VALUE, NEGATIVE, POSITIVE, ZERO } from './values';

export const MAX_CASES = 6;

interface Group {
  returns: number;
  when: ParamTest[];
  acquires: HeldLock[];
  releases: Summary['releases'];
}

/** What the function returns over all exits, and its return cases when callers can use them. */
export function returnStates(
  fn: FunctionIR,
  stable: ReadonlySet<string>,
  exits: readonly ExitState[],
  releases: Summary['releases'],
): { returns: number; cases?: ReturnCase[] } {
  let returns = 0;
  for (const e of exits) for (const r of e.returns) returns |= r;
  if (exits.length === 0) returns = ANY_VALUE;
  // Most functions end every path with the same locks: no cases to make, but for a predicate
  // on named constants.
  if (!differInLocks(exits)) return { returns, ...valueCases(fn, stable, exits) };
  let groups: Group[] = [];
  for (const e of exits) {
    e.states.forEach((s, i) => {
      const acquires = s.held.filter((h) => !h.entry);
      const dropped = releases.filter((r) => s.dropped.includes(r.lock.cls));
      // Which named constant a parameter is tells lock cases apart only as a command's `switch`
      // does (`default: return -ENOTTY;` holding the lock is a bug, not a helper's contract).
      const when = paramTests(fn, stable, s).filter((t) => !t.names);
      const same = groups.find((g) => sameLocks(g.acquires, acquires) && sameLocks(g.releases, dropped));
      if (same) {
        same.returns |= e.returns[i];
        same.when = commonTests(same.when, when);
      } else groups.push({ returns: e.returns[i], when, acquires, releases: dropped });
    });
  }
  groups = mergeIndistinguishable(groups);
  if (groups.length < 2 || groups.length > MAX_CASES) return { returns };
  return {
    returns,
    cases: groups.map((g) => ({
      ...(g.when.length ? { when: g.when } : {}),
      returns: g.returns,
      acquires: g.acquires.map((h) => ({
        lock: lockOfHeld(h),
        chain: h.chain,
        ...(h.conditional ? { conditional: h.conditional } : {}),
      })),
      releases: g.releases,
    })),
  };
}

/**
 * A lock-free predicate whose result depends on which named constant a parameter is (`switch
 * (block) { case FOO_GFX: return true; ... }`): cases by returned value, so a caller passing a
 * constant knows the answer (`if (foo_uses_mailbox(f, FOO_SMUIO)) foo_mailbox_rw(f);`). Other
 * lock-free functions have none: every call to them would split the caller's paths.
 */
function valueCases(
  fn: FunctionIR,
  stable: ReadonlySet<string>,
  exits: readonly ExitState[],
): { cases?: ReturnCase[] } {
  // One group per range: a path that may return either (joined paths) is in both.
  const groups: Group[] = [];
  for (const e of exits)
    for (let i = 0; i < e.states.length; i++) {
      const s = e.states[i];
      if (s.dropped.length || s.held.some((h) => !h.entry)) return {};
      const when = paramTests(fn, stable, s);
      for (const range of [ZERO, NEGATIVE, POSITIVE]) {
        if ((e.returns[i] & range) === 0) continue;
        const same = groups.find((g) => g.returns === range);
        if (same) same.when = commonTests(same.when, when);
        else groups.push({ returns: range, when, acquires: [], releases: [] });
      }
    }
  const merged = mergeIndistinguishable(groups);
  if (merged.length < 2 || merged.length > MAX_CASES || !merged.some((g) => g.when.some((t) => t.names)))
    return {};
  return {
    cases: merged.map((g) => ({
      ...(g.when.length ? { when: g.when } : {}),
      returns: g.returns,
      acquires: [],
      releases: [],
    })),
  };
}

function differInLocks(exits: readonly ExitState[]): boolean {
  let first: LockState | undefined;
  for (const e of exits)
    for (const s of e.states) {
      if (!first) first = s;
      else if (s.held.length !== first.held.length || s.dropped.length !== first.dropped.length) return true;
      else if (!sameLocks(s.held, first.held) || s.dropped.some((d) => !first!.dropped.includes(d)))
        return true;
    }
  return false;
}

/** Merges groups a caller could not tell apart (see the module comment) until none remain. */
function mergeIndistinguishable(groups: Group[]): Group[] {
  for (;;) {
    let pair: [number, number] | undefined;
    for (let i = 0; i < groups.length && !pair; i++)
      for (let j = i + 1; j < groups.length && !pair; j++) {
        const a = groups[i];
        const b = groups[j];
        if (!exclusive(a.when, b.when) && !((a.returns & b.returns) === 0 && heldOnSuccess(a, b)))
          pair = [i, j];
      }
    if (!pair) return groups;
    const [a, b] = [groups[pair[0]], groups[pair[1]]];
    const merged: Group = {
      returns: a.returns | b.returns,
      when: commonTests(a.when, b.when),
      acquires: a.acquires.filter((h) => b.acquires.some((x) => sameLock(x, h))),
      releases: a.releases.filter((r) => b.releases.some((x) => sameLock(x.lock, r.lock))),
    };
    groups = groups.filter((_, i) => i !== pair![0] && i !== pair![1]);
    // Merging may make it equal to another group: fold it in.
    const same = groups.find(
      (g) => sameLocks(g.acquires, merged.acquires) && sameLocks(g.releases, merged.releases),
    );
    if (same) {
      same.returns |= merged.returns;
      same.when = commonTests(same.when, merged.when);
    } else groups.push(merged);
  }
}

/**
 * Told apart by their results only, the group holding more locks must be the one that
 * succeeded: `return -EINVAL` with a lock that `return 0` released is a missing unlock (the
 * lock-imbalance rule reports it), not a lock helper; so is a lock held by `return NULL` but
 * not by `return p`.
 */
function heldOnSuccess(a: Group, b: Group): boolean {
  const aMore = a.acquires.some((h) => !b.acquires.some((x) => sameLock(x, h)));
  const bMore = b.acquires.some((h) => !a.acquires.some((x) => sameLock(x, h)));
  if (aMore && !bMore) return failedWithout(a.returns, b.returns);
  if (bMore && !aMore) return failedWithout(b.returns, a.returns);
  return true;
}

/**
 * Whether returning `held` means success and `without` failure (the ranges are disjoint): an
 * error without the lock (`-EINTR`, ERR_PTR); NULL or false without it against a nonzero or
 * valid result with it; an error or NULL against a valid pointer; 0 with it against an error
 * or a positive result without it (`if (foo_lock(x)) return;`).
 */
function failedWithout(held: number, without: number): boolean {
  if ((without & ~NEGATIVE) === 0) return true;
  if (without === ZERO) return held !== NEGATIVE;
  if (without === (ZERO | NEGATIVE)) return true;
  return without === (NEGATIVE | POSITIVE);
}

type Lockish = LockInfo | { lock: LockInfo };

function sameLock(a: Lockish, b: Lockish): boolean {
  const x = 'lock' in a ? a.lock : a;
  const y = 'lock' in b ? b.lock : b;
  return x.cls === y.cls && x.expr === y.expr && x.mode === y.mode;
}

function sameLocks(a: readonly Lockish[], b: readonly Lockish[]): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => sameLock(x, y)));
}
