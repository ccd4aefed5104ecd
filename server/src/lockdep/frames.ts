/**
 * Stack frames as the kernel prints them (%pS and friends), and the filter that reduces a
 * lockdep stack to the functions a source-level analysis can recognise.
 */
import type { LockdepFrame } from './types';

/** `func+0x43/0x60 [module] path/file.c:123`; the size and the trailing parts are optional. */
const SYMBOL_FRAME =
  /^([A-Za-z_][\w.$]*)\+0x([0-9a-f]+)(?:\/0x([0-9a-f]+))?(?: \[([\w-]+)\])?(?: ([\w./+-]+\.[chS]):(\d+)(?: \(discriminator \d+\))?)?$/i;
/** decode_stacktrace.sh output: `func (path/file.c:123)`, sometimes with the module after it. */
const DECODED_FRAME =
  /^([A-Za-z_][\w.$]*) \(([\w./+-]+\.[chS]):(\d+)(?: \(discriminator \d+\))?\)(?: \[?([\w-]+)\]?)?$/;
const BARE_ADDRESS = /^0x[0-9a-f]{6,16}$/i;
const ADDRESS_PREFIX = /^\[<([0-9a-f]{6,16})>\] ?/i;
const UNCERTAIN_PREFIX = /^\? /;

/** Parses one frame from a whitespace-collapsed log line; undefined if the line is not a frame. */
export function parseFrame(text: string): LockdepFrame | undefined {
  const raw = text.trim();
  let rest = raw;
  let uncertain = false;
  let address: string | undefined;
  // Older kernels print "[<addr>] ? func", newer ones "? func": accept the marker on either side.
  if (UNCERTAIN_PREFIX.test(rest)) {
    uncertain = true;
    rest = rest.slice(2);
  }
  const addr = ADDRESS_PREFIX.exec(rest);
  if (addr) {
    address = addr[1];
    rest = rest.slice(addr[0].length);
  }
  if (UNCERTAIN_PREFIX.test(rest)) {
    uncertain = true;
    rest = rest.slice(2);
  }
  const base = { uncertain, raw, ...(address !== undefined && { address }) };
  // A module without symbols, or code that was freed: only an address is left.
  if (BARE_ADDRESS.test(rest)) return { fn: '', ...base, address: rest };
  if (rest === '' && address !== undefined) return { fn: '', ...base };
  const sym = SYMBOL_FRAME.exec(rest);
  if (sym) {
    return {
      fn: sym[1],
      offset: parseInt(sym[2], 16),
      ...(sym[3] !== undefined && { size: parseInt(sym[3], 16) }),
      ...(sym[4] !== undefined && { module: sym[4] }),
      ...(sym[5] !== undefined && { file: sym[5], line: Number(sym[6]) }),
      ...base,
    };
  }
  const decoded = DECODED_FRAME.exec(rest);
  if (decoded) {
    return {
      fn: decoded[1],
      file: decoded[2],
      line: Number(decoded[3]),
      ...(decoded[4] !== undefined && { module: decoded[4] }),
      ...base,
    };
  }
  return undefined;
}

/** Compiler clones (`.part.0`, `.isra.18`, `.constprop.0`, `.cold`, `.llvm.123`) are the same source function. */
export function sourceFunctionName(fn: string): string {
  return fn.replace(/(?:\.(?:part|isra|constprop|cold|llvm|lto_priv|localalias)(?:\.\d+)?)+$/, '');
}

/**
 * Frames that belong to lockdep, its reporting, or the lock primitives themselves. Dropping them
 * leaves the code that asked for the lock, which is what a static analysis can point at.
 */
const INTERNAL_FUNCTIONS = new Set([
  'lock_acquire',
  '__lock_acquire',
  'mark_lock',
  'mark_usage',
  'validate_chain',
  'check_noncircular',
  'check_prev_add',
  'check_prevs_add',
  'check_deadlock',
  'check_irq_usage',
  'check_wait_context',
  'print_usage_bug',
  'print_deadlock_bug',
  'print_lock_invalid_wait_context',
  '__mutex_lock',
  '__mutex_lock_common',
  'mutex_lock',
  'mutex_lock_nested',
  'mutex_lock_interruptible',
  'mutex_lock_interruptible_nested',
  'mutex_lock_killable',
  'mutex_lock_killable_nested',
  'ww_mutex_lock',
  'ww_mutex_lock_interruptible',
  'cpus_read_lock',
  '__might_fault',
  'might_fault',
  // Reporters of "sleeping function called from invalid context".
  '__might_sleep',
  '___might_sleep',
  '__might_resched',
]);

const INTERNAL_PREFIXES = [
  'dump_stack',
  'print_circular_bug',
  '_raw_spin_lock',
  '_raw_read_lock',
  '_raw_write_lock',
  'down_read',
  'down_write',
  '__down_read',
  '__down_write',
  'rwsem_down_',
  '__ww_mutex_lock',
  'percpu_down_read',
];

export function isLockdepInternal(fn: string): boolean {
  const name = sourceFunctionName(fn);
  return INTERNAL_FUNCTIONS.has(name) || INTERNAL_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * The function names of a stack that can be mapped to source: certain frames only, lockdep and
 * lock-primitive frames dropped, clone suffixes removed. Order is kept (innermost first).
 */
export function frameFunctions(frames: readonly LockdepFrame[]): string[] {
  return frames
    .filter((f) => !f.uncertain && f.fn !== '' && !isLockdepInternal(f.fn))
    .map((f) => sourceFunctionName(f.fn));
}
