/** Every rule, in the order the README documents them. */
import { doubleLock } from './double-lock';
import { faultUnderLock } from './fault-under-lock';
import { flushUnderLock } from './flush-under-lock';
import { hotplugUnderLock } from './hotplug-under-lock';
import { irqInversion } from './irq-inversion';
import { lockImbalance } from './lock-imbalance';
import { lockOrderCycle } from './lock-order-cycle';
import { reclaimUnderLock } from './reclaim-under-lock';
import type { Rule, RuleId } from './rule';
import { sleepInAtomic } from './sleep-in-atomic';
import { waitContext } from './wait-context';

export const RULES: readonly Rule[] = [
  sleepInAtomic,
  lockOrderCycle,
  hotplugUnderLock,
  faultUnderLock,
  reclaimUnderLock,
  flushUnderLock,
  irqInversion,
  waitContext,
  doubleLock,
  lockImbalance,
];

export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.meta.id);

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id);
}
