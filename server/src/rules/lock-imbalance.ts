/**
 * Missing unlock on some exit paths; double unlocks, directly or through unlock wrappers; an
 * unlock where the function's own trylock or interruptible acquire failed; and a callee's unlock
 * of a lock it never takes (on some of its paths) where the caller does not hold it either. A
 * function that returns holding a lock on every path that took it (an acquire wrapper), that
 * releases its caller's lock (an unlock wrapper), or that holds it in return cases its callers
 * tell apart (a lock helper returning -EINTR, ERR_PTR or NULL when it did not take it; one that
 * takes it when a parameter asks) is explained by its summary and is not an imbalance.
 *
 * Locks that are handed over by design are left out: acquire contexts and the ww mutexes taken
 * under one (the context owns them and its backoff or drop releases them all, often in another
 * function: a reset's prepare and finish), task-state scopes (a map that disables page faults
 * until its unmap), and whatever the function documents with `__acquires()`.
 */
import { isGateAtom, sameLockExpr } from '../analysis/path-facts';
import { failedMark, isMark, isStale } from '../analysis/dataflow';
import type { HeldLock, LockState } from '../analysis/model';
import { isNestingKind, type LockKind } from '../kb/types';
import { callLabel, chainEnds, chainRelated, heldRelated, lockLabel } from './describe';
import type { Rule } from './rule';

/** Held past the exit by design: interrupt and preemption state, and the kinds named above. */
const HANDED_OVER_KINDS = new Set<LockKind>(['irq', 'preempt', 'bh', 'ww_acquire', 'scope']);

/** Whether the states holding `expr` are exactly those that took one side of a counter gate. */
function gatedByCounter(states: readonly LockState[], expr: string): boolean {
  const first = states[0];
  const heldIn = (s: LockState) => s.held.some((h) => h.expr === expr);
  return first.facts.some(
    ([atom, value]) =>
      isGateAtom(atom) &&
      states.every((s) => {
        const answer = s.facts.find(([a]) => a === atom)?.[1];
        return answer !== undefined && (answer === value) === (heldIn(s) === heldIn(first));
      }),
  );
}

export const lockImbalance: Rule = {
  meta: {
    id: 'lock-imbalance',
    defaultSeverity: 'warning',
    summary: 'A lock still held on some exit paths but released on others, or released twice.',
  },
  onExit(fn, _world, report) {
    // Locks some path took and released again: those paths show the function means to unlock.
    // A function returning a value may be a conditional acquire wrapper (held on success only);
    // a void one cannot tell its caller, so any exit without the lock makes the others leaks,
    // unless another function releases the lock for its callers (Finding.handedOver): a reset's
    // prepare returning early where its finish does too, `if (p->lock) p->lock(p);`. A lock
    // taken through an earlier value of a variable (a loop's elements) no caller can name.
    const all = fn.exits.flatMap((e) => e.states);
    if (!all.some((s) => s.held.length > 0)) return; // most functions: nothing held to leak
    const releasedSomewhere = new Set<string>();
    const notHeldSomewhere = new Set<string>();
    for (const s of all) for (const r of s.released) if (!isMark(r)) releasedSomewhere.add(r);
    // Held in some return cases only, which callers tell apart by the result or the arguments.
    const byCase = new Set(fn.summary.cases?.flatMap((c) => c.acquires.map((a) => a.lock.expr)));
    const documented = new Set(fn.env.fn.acquiresAnnot.map((a) => fn.env.lockOf(a).cls));
    if (fn.env.fn.returnType === 'void') {
      const heldAnywhere = new Set(all.flatMap((s) => s.held.map((h) => h.expr)));
      // On a path that found two parameters equal (`if (a == b) spin_lock(&a->l); else {
      // spin_lock(&a->l); spin_lock(&b->l); }`), a->l is b->l.
      for (const expr of heldAnywhere)
        if (all.some((s) => !s.held.some((h) => sameLockExpr(s, h.expr, expr)))) notHeldSomewhere.add(expr);
      // A helper that returns holding one lock or another (`if (uses_mutex(p)) mutex_lock(..);
      // else spin_lock(..);`): the paths differ in which lock they hold, never in whether.
      const other = (s: LockState, expr: string) =>
        s.held.some((h) => h.expr !== expr && !h.entry && notHeldSomewhere.has(h.expr));
      const swapped = [...notHeldSomewhere].filter((expr) =>
        all.every((s) => s.held.some((h) => h.expr === expr) || other(s, expr)),
      );
      for (const expr of swapped) notHeldSomewhere.delete(expr);
      // A first-user lock (`if (atomic_inc_return(&f->users) == 1) mutex_lock(&f->lock);`):
      // held exactly on one side of a counter test and never released here, it is handed to
      // whoever passes the matching test on the way out (a `foo_end()` counting down).
      for (const expr of notHeldSomewhere)
        if (!all.some((s) => s.released.includes(failedMark(expr))) && gatedByCounter(all, expr))
          notHeldSomewhere.delete(expr);
    }
    // Held or not, all or nothing (the other exits hold none of the function's own locks), and
    // never released here: a lock wrapper's shape.
    const own = (h: HeldLock) => !h.entry && !h.contextOwned && !HANDED_OVER_KINDS.has(h.kind);
    const wrapperLike = (expr: string) =>
      !releasedSomewhere.has(expr) &&
      !isStale(expr) &&
      all.every((s) => s.held.some((h) => h.expr === expr) || !s.held.some(own));
    for (const exit of fn.exits) {
      const leaked = new Map<string, HeldLock>();
      for (const s of exit.states) {
        for (const h of s.held) {
          if (!own(h) || documented.has(h.cls)) continue;
          if (byCase.has(h.expr)) continue;
          const imbalanced = releasedSomewhere.has(h.expr) || notHeldSomewhere.has(h.expr);
          if (imbalanced && !leaked.has(h.expr)) leaked.set(h.expr, h);
        }
      }
      for (const h of leaked.values()) {
        report({
          rule: 'lock-imbalance',
          file: fn.file,
          range: exit.range,
          function: fn.env.fn.name,
          message: `${fn.env.fn.name}() can return here with ${lockLabel(h)} (${h.expr}) still held, while other paths ${releasedSomewhere.has(h.expr) ? 'release it' : 'return without it'}: missing unlock on this path?`,
          related: heldRelated(h),
          classes: [h.cls],
          identity: { path: [h.expr] },
          evidence: [h.chain],
          ...(wrapperLike(h.expr) ? { handedOver: h.cls } : {}),
        });
      }
    }
  },
  onCall(site, _world, report) {
    for (const op of site.ops) {
      // irqs/preemption/bh/RCU are counters, enabling twice is not a lock released twice.
      if (op.op !== 'release' || op.every || isNestingKind(op.lock.kind)) continue;
      const { expr, cls } = op.lock;
      const held = (s: LockState) =>
        s.held.some((h) => h.expr === expr || (h.cls === cls && !cls.startsWith('?')));
      const notHeld = site.states.filter((s) => !held(s));
      if (notHeld.length === 0) continue;
      const base = { rule: 'lock-imbalance' as const, file: site.file, range: site.event.range };
      const fn = site.env.fn.name;
      const what = callLabel(op.chain);
      const inside = chainRelated(op.chain);
      if (notHeld.some((s) => s.released.includes(expr))) {
        // Directly or through an unlock wrapper's summary.
        report({
          ...base,
          function: fn,
          message: `${what} releases ${expr}, which this path already released: double unlock`,
          related: inside,
          classes: [cls],
          identity: { path: [op.chain[0].callee, expr] },
          evidence: [op.chain],
        });
      } else if (notHeld.some((s) => s.released.includes(failedMark(expr)))) {
        report({
          ...base,
          function: fn,
          message: `${what} releases ${expr} on a path where ${fn}()'s own attempt to take it failed (trylock, interruptible or killable): it is not held`,
          related: inside,
          classes: [cls],
          identity: { path: [op.chain[0].callee, expr, 'failed'] },
          evidence: [op.chain],
        });
      } else if (
        op.partial &&
        op.chain.length === 2 &&
        !op.lock.local &&
        !cls.startsWith('?') &&
        !site.tookBefore(cls) &&
        site.states.every((s) => !held(s) && !s.dropped.includes(cls))
      ) {
        // A callee that unlocks a lock it never takes, on some of its paths only, is an unlock
        // wrapper for callers holding the lock; this one does not, nor took it before. Only the
        // callee's own unlock: deeper chains stack up every callee's imprecision.
        report({
          ...base,
          function: fn,
          message: `${what} releases ${expr} on some of its paths without taking it, and ${fn}() does not hold it here: an unlock of a lock that is not held`,
          related: inside,
          classes: [cls],
          identity: { path: [...chainEnds(op.chain), expr] },
          evidence: [op.chain],
        });
      }
    }
  },
};
