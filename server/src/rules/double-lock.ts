import { waitsForLock } from '../analysis/model';
import { isNestingKind } from '../kb/types';
import { callLabel, chainEnds, chainRelated, heldRelated, lockLabel } from './describe';
import type { Rule } from './rule';

export const doubleLock: Rule = {
  meta: {
    id: 'double-lock',
    defaultSeverity: 'error',
    summary: 'A non-recursive lock acquired again while already held (same lock expression).',
  },
  onCall(site, _world, report) {
    let released: Set<string> | undefined;
    for (const op of site.ops) {
      if (op.op !== 'acquire' && op.op !== 'inside') continue;
      if (!waitsForLock(op)) continue; // a trylock fails, it does not deadlock
      const lock = op.lock;
      if (isNestingKind(lock.kind) || lock.expr === '?') continue;
      // A callee that drops the caller's lock and takes it again (a wait loop) is not a double lock.
      released ??= new Set(site.ops.flatMap((o) => (o.op === 'release' ? [o.lock.expr] : [])));
      if (released.has(lock.expr)) continue;
      for (const state of site.states) {
        const held = state.held.find(
          (h) => h.expr === lock.expr && h.cls === lock.cls && !(h.recursiveRead && lock.recursiveRead),
        );
        if (!held) continue;
        report({
          rule: 'double-lock',
          file: site.file,
          range: site.event.range,
          function: site.env.fn.name,
          message: `${callLabel(op.chain)} acquires ${lock.expr} again while ${lockLabel(held)} is already held: self-deadlock`,
          related: [...heldRelated(held), ...chainRelated(op.chain)],
          classes: [lock.cls],
          evidence: [op.chain, held.chain],
          identity: { path: chainEnds(op.chain) },
        });
        return;
      }
    }
  },
};
