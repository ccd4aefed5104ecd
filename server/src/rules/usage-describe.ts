/**
 * Wording for lockdep's usage states: labels as lockdep prints them (`IN-HARDIRQ-W`,
 * `SOFTIRQ-ON-R`) and a usage's witness as related locations.
 */
import type { ClassUsage, UsageState, UsageUse } from '../analysis/irq-usage';
import type { Related } from './rule';

const LABELS: Record<UsageState, string> = {
  'in-hardirq': 'IN-HARDIRQ',
  'in-softirq': 'IN-SOFTIRQ',
  'hardirq-on': 'HARDIRQ-ON',
  'softirq-on': 'SOFTIRQ-ON',
};

/** How the lock call of a witness reads. */
const TAKES: Record<UsageState, string> = {
  'in-hardirq': 'in hardirq context',
  'in-softirq': 'in softirq context',
  'hardirq-on': 'with hardirqs enabled',
  'softirq-on': 'with softirqs enabled',
};

/** What the hover and the report call each state. */
export const STATE_TEXT: Record<UsageState, string> = {
  'in-hardirq': 'taken in hardirq',
  'in-softirq': 'taken in softirq',
  'hardirq-on': 'with hardirqs on',
  'softirq-on': 'with softirqs on',
};

export function usageLabel(use: Pick<UsageUse, 'state' | 'mode'>): string {
  return `${LABELS[use.state]}-${use.mode === 'read' ? 'R' : 'W'}`;
}

/** `{IN-HARDIRQ-W} {HARDIRQ-ON-W}`: the states a class has, in lockdep's order. */
export function usageStates(cls: ClassUsage): string[] {
  const order: UsageState[] = ['in-hardirq', 'hardirq-on', 'in-softirq', 'softirq-on'];
  const labels = new Set(cls.uses.map(usageLabel));
  return order.flatMap((s) => [`${LABELS[s]}-W`, `${LABELS[s]}-R`]).filter((l) => labels.has(l));
}

/**
 * Where a usage comes from: the root's registration (or the root itself), each call down, and
 * the lock call.
 */
export function usageRelated(use: UsageUse, cls: string): Related[] {
  const out: Related[] = [];
  const reg = use.registration;
  if (reg)
    out.push({
      file: reg.file,
      range: reg.range,
      message: `${use.root.name}() runs as ${use.context}: registered here`,
    });
  else
    out.push({
      file: use.rootFile,
      range: use.root.nameRange,
      message: `${use.root.name}() runs in ${use.context}`,
    });
  use.chain.forEach((step, i) => {
    const last = i === use.chain.length - 1;
    const message = last
      ? `${step.callee}() takes ${cls} ${TAKES[use.state]} {${usageLabel(use)}}`
      : `${step.fn}() calls ${step.callee}()`;
    out.push({ file: step.file, range: step.range, message });
  });
  return out;
}
