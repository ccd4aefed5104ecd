/**
 * Lock class descriptions as lockdep prints them: `(class){usage}-{inner:outer}`, optionally
 * preceded by the lock's address and followed by `, at: frame`.
 */
import { parseFrame } from './frames';
import type { LockdepFrame, LockdepLockRef } from './types';

export interface ParsedLockRef {
  cls: string;
  usage?: string;
  waitType?: string;
  /** Index just after the description. */
  end: number;
}

/**
 * Reads `(class){usage}-{w:w}` with `s[start] === '('`. Class names nest parentheses
 * (`((complete)&req.done)`, `((work_completion)(&w->work))`), so the name ends at the matching
 * parenthesis, not the first one. Undefined when the name is cut off.
 */
export function parseLockRef(s: string, start: number): ParsedLockRef | undefined {
  if (s[start] !== '(') return undefined;
  let depth = 0;
  let close = -1;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close <= start + 1) return undefined;
  const ref: ParsedLockRef = { cls: s.slice(start + 1, close), end: close + 1 };
  const usage = /^\{([^{}]*)\}/.exec(s.slice(ref.end, ref.end + 64));
  if (usage) {
    ref.usage = usage[1];
    ref.end += usage[0].length;
    const wait = /^-\{([^{}]*)\}/.exec(s.slice(ref.end, ref.end + 64));
    if (wait) {
      ref.waitType = wait[1];
      ref.end += wait[0].length;
    }
  }
  return ref;
}

export interface ParsedLockLine extends LockdepLockRef {
  /** The line ends in "at:" with the frame cut onto the next line (mail wrapping). */
  atPending: boolean;
}

/** Lock address: hashed or raw kernel pointer, 8 or 16 hex digits. */
const LOCK_LINE_START = /^(?:[0-9a-f]{8,16} +)?\(/i;

/** `ffffa0027bc2edb0 (&cpuctx_mutex){+.+.}-{3:3}, at: perf_event_ctx_lock_nested+0xd8/0x1f0`. */
export function parseLockLine(text: string): ParsedLockLine | undefined {
  const startMatch = LOCK_LINE_START.exec(text);
  if (!startMatch) return undefined;
  const ref = parseLockRef(text, startMatch[0].length - 1);
  // Without usage bits this is prose in parentheses, not a lock.
  if (!ref || ref.usage === undefined) return undefined;
  const line: ParsedLockLine = { cls: ref.cls, usage: ref.usage, atPending: false };
  if (ref.waitType !== undefined) line.waitType = ref.waitType;
  const at = /^,? *at:(.*)$/.exec(text.slice(ref.end));
  if (at) {
    const frameText = at[1].trim();
    const frame: LockdepFrame | undefined = frameText === '' ? undefined : parseFrame(frameText);
    if (frame) line.at = frame;
    line.atPending = frameText === '';
  }
  return line;
}

/**
 * Reduces a lockdep class name to the name a static analysis derives from source:
 * "&mm->mmap_lock#2" -> "mm->mmap_lock", "&ei->i_data_sem/1" -> "ei->i_data_sem".
 */
export function normaliseClassName(cls: string): string {
  let name = stripInstanceSuffixes(cls.trim());
  // Before v5.x a spinlock_t was reported through its embedded raw lock: "&(&zone->lock)->rlock".
  const wrapped = /^&?\(&?(.+)\)->rlock$/.exec(name);
  if (wrapped) name = stripInstanceSuffixes(wrapped[1]);
  name = name.replace(/^&/, '');
  // mmap_sem was renamed mmap_lock in v5.8; old reports still use the old name.
  name = name.replace(/\bmmap_sem\b/g, 'mmap_lock');
  // percpu rw-semaphores used to be reported by their inner rw_sem: "cpu_hotplug_lock.rw_sem".
  return name.replace(/\.rw_sem$/, '');
}

/** "#N" tells classes of the same name apart, "/N" is the lock_nested() subclass. */
function stripInstanceSuffixes(name: string): string {
  return name.replace(/(?:#\d+|\/\d+)+$/, '');
}
