/**
 * Condition atoms the lowering writes and rules read back from a path's facts (LockState.facts),
 * one format each, kept here:
 *
 * - two variables a branch found equal (`if (a == b)`): on that path they name one object, so a
 *   lock reached through one is the lock reached through the other; a counted loop's index and
 *   bound (`for (i = 0; i < n; i++)`) are equal where the loop ran out and unequal where a
 *   `break` left it (kept until either variable is assigned);
 * - a counter gate (`if (atomic_inc_return(&f->users) == 1)`, ApiFact.counter): which side of
 *   the test at this call site the path took (each call counts anew: never correlated).
 */
import type { Range } from './ir';
import type { LockState } from './model';

const SAME_RE = /^([A-Za-z_]\w*)==([A-Za-z_]\w*)$/;

/** The atom of `a == b` (names sorted: `b == a` is the same question). */
export function equalAtom(a: string, b: string): string {
  return a < b ? `${a}==${b}` : `${b}==${a}`;
}

/** Whether `x` and `y` name the same lock on this path: equal, or equal once an alias is renamed. */
export function sameLockExpr(s: LockState, x: string, y: string): boolean {
  if (x === y) return true;
  for (const [atom, value] of s.facts) {
    const m = value ? SAME_RE.exec(atom) : null;
    if (m && (renamed(x, m[1], m[2]) === y || renamed(x, m[2], m[1]) === y)) return true;
  }
  return false;
}

/** `expr` with its root variable `from` renamed `to` (`b->l` → `a->l`), or undefined. */
function renamed(expr: string, from: string, to: string): string | undefined {
  if (!expr.startsWith(from)) return undefined;
  const rest = expr.slice(from.length);
  return rest === '' || /^(->|\.|\[)/.test(rest) ? to + rest : undefined;
}

/** The atom of a counter gate: the call site and the counter function. */
export function gateAtom(at: Range, callee: string): string {
  return `@${at.line}:${at.col} ${callee}`;
}

export function isGateAtom(atom: string): boolean {
  return atom.startsWith('@');
}
