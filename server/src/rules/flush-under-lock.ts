/**
 * Flushing or cancelling-sync work while holding locks, as lockdep sees it: the flush takes the
 * work's (or the workqueue's) lockdep map after the held locks, and the work function runs
 * holding that map, so a lock the work takes, directly or down a chain of orders, closes a cycle.
 * The finding names its edges; the finished graph settles it (rules/settle.ts).
 */
import { workClass } from '../analysis/model';
import { chainRelated, chainText, heldRelated, lockLabel } from './describe';
import { anyAtomic, heldSleepingLocks } from './ops';
import type { Rule } from './rule';

export const flushUnderLock: Rule = {
  meta: {
    id: 'flush-under-lock',
    defaultSeverity: 'error',
    dependency: { open: 'off' },
    summary:
      'Flushing or cancelling-sync work (or a workqueue) while holding a lock that the work function needs.',
  },
  onCall(site, world, report) {
    if (anyAtomic(site.states)) return; // sleep-in-atomic's business
    for (const op of site.ops) {
      if (op.op !== 'flush') continue;
      const map = workClass(op.target, op.key);
      const held = heldSleepingLocks(site.states, map);
      if (held.length === 0) continue;
      const fns = world.workFunctions(op.target, op.key).map((w) => `${w.fn}()`);
      const what = fns.length ? `waits for ${fns.join(', ')}` : `waits for ${map}`;
      report({
        rule: 'flush-under-lock',
        file: site.file,
        range: site.event.range,
        function: site.env.fn.name,
        message: `${chainText(op.chain)} ${what} while ${held.map(lockLabel).join(', ')} ${held.length > 1 ? 'are' : 'is'} held: creates ${held.map((h) => `${h.cls} --> ${map}`).join(', ')}`,
        related: [...held.flatMap(heldRelated), ...chainRelated(op.chain)],
        classes: held.map((h) => h.cls),
        creates: held.map((h) => ({ from: h.cls, to: map })),
      });
    }
  },
};
