/**
 * Shared wording for findings: how a held lock, a call chain and their locations read.
 */
import type { ChainStep, HeldLock } from '../analysis/model';
import type { Related } from './rule';

export function lockLabel(h: HeldLock): string {
  if (h.fromContext && h.kind === 'irq') return `the ${h.entry} context`;
  const name = `${h.kind.replace('_', ' ')} ${h.cls}`;
  return h.entry ? `${name} (held on entry: ${h.entry})` : name;
}

/** `foo_find → foo_create → alloc_workqueue`: the path from the reporting function to the leaf. */
export function chainText(chain: ChainStep[]): string {
  if (chain.length === 0) return '';
  return [chain[0].fn, ...chain.map((s) => s.callee)].join(' → ');
}

/**
 * A chain as a fingerprint names it: the callee at the reporting line and the operation at the
 * end. The steps between are left out: refactoring a helper deep down must not renew every
 * finding above it.
 */
export function chainEnds(chain: ChainStep[]): string[] {
  if (chain.length === 0) return [];
  const first = chain[0].callee;
  const last = chain[chain.length - 1].callee;
  return chain.length === 1 ? [first] : [first, last];
}

/** What the call does, for messages: `msleep()` or `foo_helper()` (foo_helper → msleep). */
export function callLabel(chain: ChainStep[]): string {
  if (chain.length <= 1) return `${chain[0]?.callee ?? '?'}()`;
  return `${chain[0].callee}() (${chain.map((s) => s.callee).join(' → ')})`;
}

/** Where a held lock was taken: the acquisition, then the steps inside wrappers. */
export function heldRelated(h: HeldLock): Related[] {
  const [first, ...rest] = h.chain;
  if (!first) return [];
  const what = h.fromContext
    ? `runs as ${h.entry}${h.kind === 'irq' ? '' : ` holding ${h.cls}`}: registered here`
    : h.entry
      ? `${h.cls} held on entry (${h.entry})`
      : `${h.kind.replace('_', ' ')} ${h.cls} acquired here${rest.length ? ` (via ${h.chain.map((s) => s.callee).join(' → ')})` : ''}`;
  return [{ file: first.file, range: first.range, message: what }, ...stepsRelated(rest)];
}

/** The steps below the reporting call site, one related location per call. */
export function chainRelated(chain: ChainStep[]): Related[] {
  return stepsRelated(chain.slice(1));
}

function stepsRelated(steps: ChainStep[]): Related[] {
  return steps.map((s) => ({ file: s.file, range: s.range, message: `${s.fn}() calls ${s.callee}()` }));
}
