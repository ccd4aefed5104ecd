/**
 * /proc/lockdep: every lock class lockdep knows, each followed by its forward dependencies.
 *
 *   ffffffff82a5b0a8 FD:   35 BD:    1 +.+.: cpu_hotplug_lock
 *    -> [ffffffff82a5b1a8] pmus_lock
 */
import { splitLogLines } from './lines';
import type { ProcLockdep, ProcLockdepClass } from './types';

/** CONFIG_DEBUG_LOCKDEP kernels add an "OPS:" count before FD. */
const CLASS_LINE = /^([0-9a-f]{8,16})(?: OPS: ?\d+)? FD: ?(\d+) BD: ?(\d+) ([^\s:]+): (.+)$/i;
const DEP_LINE = /^-> \[([0-9a-f]{8,16})\] (.+)$/i;
const IGNORED_LINE = /^(?:all lock classes:)?$/;

export function parseProcLockdep(text: string): ProcLockdep {
  const result: ProcLockdep = { classes: [], deps: [], warnings: [] };
  let current: ProcLockdepClass | undefined;
  let orphanDeps = 0;
  let unrecognised = 0;
  for (const { text: line } of splitLogLines(text)) {
    const cls = CLASS_LINE.exec(line);
    if (cls) {
      current = {
        key: cls[1].toLowerCase(),
        name: cls[5],
        usage: cls[4],
        forwardDeps: Number(cls[2]),
        backwardDeps: Number(cls[3]),
      };
      result.classes.push(current);
      continue;
    }
    const dep = DEP_LINE.exec(line);
    if (dep) {
      if (current) {
        result.deps.push({
          from: current.name,
          to: dep[2],
          fromKey: current.key,
          toKey: dep[1].toLowerCase(),
        });
      } else {
        orphanDeps++;
      }
      continue;
    }
    if (!IGNORED_LINE.test(line)) unrecognised++;
  }
  // One summary per problem: a megabyte of junk must not yield a million warnings.
  if (orphanDeps > 0)
    result.warnings.push(`${orphanDeps} dependency line(s) before any class line were skipped`);
  if (unrecognised > 0) result.warnings.push(`${unrecognised} unrecognised line(s) were skipped`);
  if (result.classes.length === 0 && text.trim() !== '') result.warnings.push('no lock class lines found');
  return result;
}
