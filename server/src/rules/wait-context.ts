/**
 * Lockdep's wait-type check ("Invalid wait context"): on PREEMPT_RT a spinlock_t, rwlock_t or
 * local_lock_t is a sleeping lock, so taking one where the kernel stays atomic even on RT is a
 * bug there: inside a raw_spinlock_t, a bit spinlock, a region with interrupts or preemption
 * disabled by hand, or a hard interrupt handler that is not threaded. Sleeping locks under any
 * spinning lock are sleep-in-atomic's findings, not this rule's.
 */
import { ASSERTED_ENTRY } from '../analysis/dataflow';
import { type HeldLock, type LockState, waitsForLock } from '../analysis/model';
import type { EntryContext, LockKind } from '../kb/types';
import type { Knowledge } from '../kb/knowledge';
import { callLabel, chainEnds, chainRelated, heldRelated, lockLabel } from './describe';
import type { Related, Rule } from './rule';

/** How the C code names the kinds that sleep on RT. */
const TYPE_NAMES: Partial<Record<LockKind, string>> = {
  spinlock: 'spinlock_t',
  rwlock: 'rwlock_t',
  seqlock: 'seqlock_t',
};

export const waitContext: Rule = {
  meta: {
    id: 'wait-context',
    defaultSeverity: 'warning',
    summary:
      'A spinlock_t/rwlock_t (a sleeping lock on PREEMPT_RT) taken inside a raw spinlock, a non-threaded hardirq handler, or an irqs/preemption-disabled region.',
  },
  onCall(site, world, report) {
    const kb = site.env.kb;
    // The function's entry context, looked up once (null: not yet), at the first lock that
    // sleeps on RT and no held lock keeps atomic.
    let context: EntryContext | undefined | null = null;
    for (const op of site.ops) {
      if (op.op !== 'acquire' && op.op !== 'inside') continue;
      if (!kb.table.waitTypes.sleepOnRtKinds.includes(op.lock.kind)) continue;
      // Lockdep's check_wait_context() skips trylocks, and on RT a trylock does not sleep.
      if (!waitsForLock(op)) continue;
      // A callee that releases the caller's raw lock first (`obj_unlock()` dropping it, then
      // killing a task) takes the lock without it.
      const held = spinHolder(site.states, kb, op.op === 'inside' ? op.without : undefined);
      if (!held && context === null) context = world.contextOf(site.env.fn);
      if (!held && !context?.rawAtomic) continue;
      const what = `${TYPE_NAMES[op.lock.kind] ?? op.lock.kind} ${op.lock.cls}`;
      const where = held ? `while ${holderText(held)}` : `in the ${context!.label} context`;
      report({
        rule: 'wait-context',
        file: site.file,
        range: site.event.range,
        function: site.env.fn.name,
        message: `invalid wait context: ${callLabel(op.chain)} takes ${what} ${where}; on PREEMPT_RT ${TYPE_NAMES[op.lock.kind] ?? op.lock.kind} is a sleeping lock and this context stays atomic`,
        related: [...(held ? holderRelated(held) : []), ...chainRelated(op.chain)],
        classes: [op.lock.cls, ...(held ? [held.cls] : [])],
        identity: { path: chainEnds(op.chain) },
        evidence: [op.chain, held?.chain],
      });
      return;
    }
  },
};

/** What keeps the context atomic: a raw lock, or interrupts or preemption off by hand. */
function holderText(h: HeldLock): string {
  const by = h.chain.length ? ` by ${h.chain[h.chain.length - 1].callee}()` : '';
  if (h.kind === 'irq') return `interrupts are disabled${by}`;
  if (h.kind === 'preempt') return `preemption is disabled${by}`;
  return `${lockLabel(h)} is held`;
}

function holderRelated(h: HeldLock): Related[] {
  const first = h.chain[0];
  if ((h.kind !== 'irq' && h.kind !== 'preempt') || !first) return heldRelated(h);
  const what = h.kind === 'irq' ? 'interrupts' : 'preemption';
  return [{ file: first.file, range: first.range, message: `${what} disabled here` }];
}

/**
 * A held lock that keeps the context atomic on PREEMPT_RT. Interrupts disabled together with a
 * spinlock_t (`spin_lock_irqsave`) are not: on RT that lock sleeps and leaves interrupts on;
 * its disabled-interrupts pseudo-lock is named after the lock, a bare one is not. Nor are
 * interrupts an assertion says are off (`GEM_BUG_ON(!irqs_disabled())`): the callers may have
 * disabled them with such a lock, and where a caller disables them by hand, the finding is
 * reported there.
 */
function spinHolder(
  states: readonly LockState[],
  kb: Knowledge,
  without: readonly string[] = [],
): HeldLock | undefined {
  const { spinKinds, spinClasses } = kb.table.waitTypes;
  for (const s of states)
    for (const h of s.held) {
      if (without.includes(h.cls)) continue;
      if (spinKinds.includes(h.kind)) return h;
      if (spinClasses.includes(h.cls) && h.expr === h.cls && h.entry !== ASSERTED_ENTRY) return h;
    }
  return undefined;
}
