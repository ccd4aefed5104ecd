/**
 * Questions about the build configuration that rules' severities depend on, asked in one place.
 * The answers come from the configuration the files are read under (preprocess/config: a
 * kernel .config, compile_commands.json, a driver's Makefiles, `lockscope.defines`).
 */
import type { SymbolLookup } from '../preprocess/expr';

/** Whether the file is built with CONFIG_PREEMPT_RT (spinlock_t sleeps there). */
export function preemptRt(lookup: SymbolLookup): boolean {
  return lookup('CONFIG_PREEMPT_RT').defined === true;
}
