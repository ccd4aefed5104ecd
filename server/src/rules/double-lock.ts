import { type HeldLock, type LockInfo, waitsForLock } from '../analysis/model';
import { isNestingKind, type LockKind } from '../kb/types';
import { callLabel, chainEnds, chainRelated, heldRelated, lockLabel } from './describe';
import type { Rule } from './rule';

/** Kinds whose same-class nesting is the design (a ww_mutex's acquire context orders them). */
const RECURSION_CHECKED: ReadonlySet<LockKind> = new Set([
  'spinlock',
  'raw_spinlock',
  'rwlock',
  'mutex',
  'rwsem',
]);

/**
 * Another lock of the same resolved class, held while this one is taken without a subclass:
 * lockdep's "possible recursive locking". Only both taken by this function itself: through
 * callees, an init-time `lockdep_set_subclass()` the analysis does not follow is likelier than
 * a bug. Readers both, the caller's context's locks and unresolved classes are left out.
 */
function sameClass(
  held: readonly HeldLock[],
  lock: LockInfo,
  chain: readonly unknown[],
): HeldLock | undefined {
  if (lock.subclass || chain.length !== 1 || lock.cls.includes('?') || !RECURSION_CHECKED.has(lock.kind))
    return undefined;
  return held.find(
    (h) =>
      h.cls === lock.cls &&
      h.expr !== lock.expr &&
      h.chain.length === 1 &&
      !h.subclass &&
      !h.entry &&
      !h.fromContext &&
      !(h.mode === 'read' && lock.mode === 'read'),
  );
}

export const doubleLock: Rule = {
  meta: {
    id: 'double-lock',
    defaultSeverity: 'error',
    summary: 'A non-recursive lock acquired again while already held (same lock expression).',
  },
  onCall(site, world, report) {
    // Both findings need a lock held before the call (most calls: none).
    if (site.states.every((s) => s.held.length === 0)) return;
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
        if (!held) {
          const same = world.rekeyed(lock.cls) ? undefined : sameClass(state.held, lock, op.chain);
          if (!same) continue;
          report({
            rule: 'double-lock',
            file: site.file,
            range: site.event.range,
            function: site.env.fn.name,
            message: `${callLabel(op.chain)} acquires ${lock.expr} while ${lockLabel(same)} (${same.expr}) of the same class ${lock.cls} is held: possible recursive locking (lockdep), unless annotated with a subclass (_nested)`,
            related: [...heldRelated(same), ...chainRelated(op.chain)],
            classes: [lock.cls],
            evidence: [op.chain, same.chain],
            identity: { path: [...chainEnds(op.chain), 'recursive'] },
          });
          return;
        }
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
