/**
 * Condition atoms the lowering writes and rules read back from a path's facts (LockState.facts),
 * one format each, kept here:
 *
 * - two variables a branch found equal (`if (a == b)`): on that path they name one object, so a
 *   lock reached through one is the lock reached through the other; a counted loop's index and
 *   bound (`for (i = 0; i < n; i++)`) are equal where the loop ran out and unequal where a
 *   `break` left it (kept until either variable is assigned);
 * - a counter gate (`if (atomic_inc_return(&f->users) == 1)`, ApiFact.counter): which side of
 *   the test at this call site the path took (each call counts anew: never correlated);
 * - a flag tested in a variable (`flags & FOO`), and which named constant a variable is
 *   (`switch (block)`, `block == FOO_GFX`): tests of parameters, which guards carry to callers.
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

/** The condition atom of `variable & FLAG`, as the lowering records it. */
export function flagAtom(variable: string, flag: string): string {
  return `${variable} & ${flag}`;
}

/** [variable, FLAG] of a flag atom; undefined for any other atom. */
export function splitFlagAtom(atom: string): [string, string] | undefined {
  const at = atom.indexOf(' & ');
  return at < 0 ? undefined : [atom.slice(0, at), atom.slice(at + 3)];
}

/**
 * The condition atom of `variable` being one of the named constants (a `switch` case label,
 * `x == FOO_GFX`): true when it is one, false when it is none of them.
 */
export function namesAtom(variable: string, names: readonly string[]): string {
  return `${variable} == ${names.join('|')}`;
}

/** [variable, names] of a names atom; undefined for any other atom. */
export function splitNamesAtom(atom: string): [string, string[]] | undefined {
  const at = atom.indexOf(' == ');
  return at < 0 ? undefined : [atom.slice(0, at), atom.slice(at + 4).split('|')];
}

/** Whether an atom tests a variable (a flag in it, or its value among named constants). */
export function isVariableAtom(atom: string): boolean {
  return splitFlagAtom(atom) !== undefined || splitNamesAtom(atom) !== undefined;
}

/** A named constant by the kernel's convention (`FOO_GFX_BLOCK`), not a variable. */
export const CONSTANT_NAME_RE = /^[A-Z][A-Z0-9_]*$/;
