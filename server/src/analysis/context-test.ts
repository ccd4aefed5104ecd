/**
 * Whether a path runs in a context a context test (in_interrupt(), irqs_disabled(), ...) is
 * true or false in (kb ContextTest): the function's entry context and the locks and
 * interrupt states held on the path.
 */
import type { Knowledge } from '../kb/knowledge';
import { type ContextTest, type EntryContext, isAtomicKind } from '../kb/types';
import type { LockState } from './model';

export function inContext(
  test: ContextTest,
  state: LockState,
  entry: EntryContext | undefined,
  kb: Knowledge,
): boolean {
  if (test.atomic && state.held.some((h) => isAtomicKind(h.kind))) return true;
  if (test.in?.some((k) => entry?.irq?.in === k)) return true;
  return (test.off ?? []).some(
    (k) => entry?.irq?.off.includes(k) || state.held.some((h) => h.cls === kb.irqState(k).cls),
  );
}
