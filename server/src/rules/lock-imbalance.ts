/**
 * Missing unlock on some exit paths, and double unlocks. A function that returns holding a lock
 * on every path that took it (an acquire wrapper), that releases its caller's lock (an unlock
 * wrapper), or that holds it in return cases its callers tell apart (a lock helper returning
 * -EINTR, ERR_PTR or NULL when it did not take it; one that takes it when a parameter asks) is
 * explained by its summary and is not an imbalance.
 */
import type { HeldLock } from '../analysis/model';
import { isNestingKind } from '../kb/types';
import { heldRelated, lockLabel } from './describe';
import type { Rule } from './rule';

export const lockImbalance: Rule = {
  meta: {
    id: 'lock-imbalance',
    defaultSeverity: 'warning',
    summary: 'A lock still held on some exit paths but released on others, or released twice.',
  },
  onExit(fn, _world, report) {
    // Locks some path took and released again: those paths show the function means to unlock.
    // A function returning a value may be a conditional acquire wrapper (held on success only);
    // a void one cannot tell its caller, so any exit without the lock makes the others leaks.
    const all = fn.exits.flatMap((e) => e.states);
    if (!all.some((s) => s.held.length > 0)) return; // most functions: nothing held to leak
    const releasedSomewhere = new Set<string>();
    const notHeldSomewhere = new Set<string>();
    for (const s of all) for (const r of s.released) releasedSomewhere.add(r);
    // Held in some return cases only, which callers tell apart by the result or the arguments.
    const byCase = new Set(fn.summary.cases?.flatMap((c) => c.acquires.map((a) => a.lock.expr)));
    if (fn.env.fn.returnType === 'void') {
      const heldAnywhere = new Set(all.flatMap((s) => s.held.map((h) => h.expr)));
      for (const expr of heldAnywhere)
        if (all.some((s) => !s.held.some((h) => h.expr === expr))) notHeldSomewhere.add(expr);
    }
    for (const exit of fn.exits) {
      const leaked = new Map<string, HeldLock>();
      for (const s of exit.states) {
        for (const h of s.held) {
          if (h.entry || h.kind === 'irq' || h.kind === 'preempt' || h.kind === 'bh') continue;
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
          message: `${fn.env.fn.name}() can return here with ${lockLabel(h)} (${h.expr}) still held, while other paths release it: missing unlock on this path?`,
          related: heldRelated(h),
          classes: [h.cls],
          identity: { path: [h.expr] },
          evidence: [h.chain],
        });
      }
    }
  },
  onCall(site, _world, report) {
    for (const op of site.ops) {
      // irqs/preemption/bh/RCU are counters, enabling twice is not a lock released twice.
      if (op.op !== 'release' || op.chain.length !== 1 || isNestingKind(op.lock.kind)) continue;
      const { expr, cls } = op.lock;
      const twice = site.states.some(
        (s) =>
          s.released.includes(expr) &&
          !s.held.some((h) => h.expr === expr || (h.cls === cls && !cls.startsWith('?'))),
      );
      if (!twice) continue;
      report({
        rule: 'lock-imbalance',
        file: site.file,
        range: site.event.range,
        function: site.env.fn.name,
        message: `${op.chain[0].callee}() releases ${expr}, which this path already released: double unlock`,
        related: [],
        classes: [cls],
        identity: { path: [op.chain[0].callee, expr] },
        evidence: [op.chain],
      });
    }
  },
};
