/**
 * Flushing or cancelling-sync work while holding locks, as lockdep sees it: the flush takes the
 * work's (or the workqueue's) lockdep map after the held locks, and the work function runs
 * holding that map, so a lock the work takes, directly or down a chain of orders, closes a cycle.
 * The finding names its edges; the finished graph settles it (rules/settle.ts).
 */
import { type ChainStep, type HeldLock, type Op, workClass } from '../analysis/model';
import { chainEnds, chainRelated, chainText, heldRelated, lockLabel } from './describe';
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
    // One finding per call, however many works its callees flush: each is an edge to settle.
    const flushes = site.ops.filter((op) => op.op === 'flush');
    if (flushes.length === 0) return;
    const maps = [...new Set(flushes.map((op) => workClass(op.target, op.key)))];
    // A lock the callee drops before every flush it does is not held at the flush.
    const held = heldSleepingLocks(site.states, '').filter(
      (h) => !maps.includes(h.cls) && flushes.some((op) => !op.without?.includes(h.cls)),
    );
    if (held.length === 0) return;
    const first = flushes[0];
    const flushed = (ops: Flush[]) => {
      const fns = [
        ...new Set(ops.flatMap((op) => world.workFunctions(op.target, op.key).map((w) => `${w.fn}()`))),
      ];
      const maps = [...new Set(ops.map((op) => workClass(op.target, op.key)))];
      return fns.length ? `waits for ${listed(fns)}` : `waits for ${listed(maps)}`;
    };
    const wording = (chain: ChainStep[], what: string, locks: HeldLock[], to: string) => ({
      message: `${chainText(chain)} ${what} while ${locks.map(lockLabel).join(', ')} ${locks.length > 1 ? 'are' : 'is'} held: creates ${listed(locks.map((h) => `${h.cls} --> ${to}`))}`,
      related: [...locks.flatMap(heldRelated), ...chainRelated(chain)],
    });
    // Each edge also says how it reads on its own: the cycle may close through another work
    // than the first one flushed (rules/settle.ts words the finding after that edge).
    const edgeWording = (h: HeldLock, to: string) => {
      const ops = flushes.filter((op) => workClass(op.target, op.key) === to);
      return wording(ops[0].chain, flushed(ops), [h], to);
    };
    report({
      rule: 'flush-under-lock',
      file: site.file,
      range: site.event.range,
      function: site.env.fn.name,
      ...wording(first.chain, flushed(flushes), held, maps[0]),
      classes: held.map((h) => h.cls),
      evidence: [first.chain, ...held.map((h) => h.chain)],
      creates: held.flatMap((h) =>
        maps.map((to) => ({ from: h.cls, to, ...(maps.length > 1 ? { as: edgeWording(h, to) } : {}) })),
      ),
      identity: { path: [...chainEnds(first.chain), ...maps] },
    });
  },
};

type Flush = Extract<Op, { op: 'flush' }>;

/** `a, b and 3 more`: a list kept to one line. */
function listed(items: string[]): string {
  const shown = items.slice(0, 3).join(', ');
  return items.length > 3 ? `${shown} and ${items.length - 3} more` : shown;
}
