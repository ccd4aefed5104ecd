/**
 * The shared shape of fault-, reclaim- and hotplug-under-lock: an effect that takes a pseudo-lock
 * (mmap_lock, fs_reclaim, cpu_hotplug_lock) reached while the function holds sleeping locks,
 * creating held-lock -> pseudo-lock dependencies. In atomic context sleep-in-atomic reports it.
 * The finding names its edges; the finished graph settles it (rules/settle.ts).
 */
import type { Effect } from '../kb/types';
import { PSEUDO_LOCKS } from '../analysis/model';
import { callLabel, chainEnds, chainRelated, heldRelated, lockLabel } from './describe';
import { anyAtomic, effectPath, heldSleepingLocks } from './ops';
import type { FixHint, Rule, RuleMeta } from './rule';

export function underLockRule(
  meta: RuleMeta,
  effect: Effect,
  what: string,
  fixFor?: (direct: boolean, callee: string, lockExprs: string[]) => FixHint | undefined,
): Rule {
  const pseudo = PSEUDO_LOCKS[effect]!.cls;
  return {
    meta,
    onCall(site, _world, report) {
      const path = effectPath(site.ops, effect);
      if (!path || anyAtomic(site.states, path.without)) return;
      const chain = path.chain;
      const held = heldSleepingLocks(site.states, pseudo, path.without);
      if (held.length === 0) return;
      const names = held.map(lockLabel).join(', ');
      const order = held.map((h) => `${h.cls} --> ${pseudo}`).join(', ');
      report({
        rule: meta.id,
        file: site.file,
        range: site.event.range,
        function: site.env.fn.name,
        message: `${callLabel(chain)} ${what} while ${names} ${held.length > 1 ? 'are' : 'is'} held: creates ${order}`,
        related: [...held.flatMap(heldRelated), ...chainRelated(chain)],
        classes: held.map((h) => h.cls),
        evidence: [chain, ...held.map((h) => h.chain)],
        creates: held.map((h) => ({ from: h.cls, to: pseudo })),
        identity: { path: chainEnds(chain) },
        fix: fixFor?.(
          chain.length === 1,
          chain[0].callee,
          held.filter((h) => !h.entry).map((h) => h.expr),
        ),
      });
    },
  };
}
