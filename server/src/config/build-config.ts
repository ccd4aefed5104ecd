/**
 * Questions about the build configuration that rules' severities depend on, asked in one place.
 * The `defines` setting stands for the configuration until the configuration-aware front end
 * provides the build's own.
 */
import type { Settings } from './settings';

/** Whether the kernel is built with CONFIG_PREEMPT_RT (spinlock_t sleeps there). */
export function preemptRt(settings: Settings): boolean {
  return settings.defines.includes('CONFIG_PREEMPT_RT');
}
