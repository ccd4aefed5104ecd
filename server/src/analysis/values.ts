/**
 * What the analysis knows of a value: which of three ranges it may lie in, as a bit set. Kernel
 * functions say how they went through these: 0 / NULL / false, a negative errno or an ERR_PTR
 * (IS_ERR), or anything else (a valid pointer, a positive count, true). Lock helpers return one
 * range exactly when they took the lock, and their callers test for it.
 */

/** 0, NULL, false. */
export const ZERO = 1;
/** A negative errno, or an ERR_PTR (IS_ERR is true of it). */
export const NEGATIVE = 2;
/** Positive, true, or a valid pointer. */
export const POSITIVE = 4;
export const NONZERO = NEGATIVE | POSITIVE;
export const ANY_VALUE = ZERO | NEGATIVE | POSITIVE;

export type ValueName = 'zero' | 'negative' | 'positive';

const BY_NAME: Record<ValueName, number> = { zero: ZERO, negative: NEGATIVE, positive: POSITIVE };

/** The set of the named ranges (knowledge-table spelling). */
export function valuesNamed(names: readonly ValueName[]): number {
  let set = 0;
  for (const n of names) set |= BY_NAME[n];
  return set;
}

/** `0`, `NULL`, `false`, `-EINTR`, `-1`, `true`, `42`: the range of a constant, if it is one. */
export function constantValues(text: string): number | undefined {
  const t = text.replace(/^\(+|\)+$/g, '').trim();
  // Drivers' own booleans (`MFALSE`, `_TRUE`, `gcvFALSE`) are what their names say.
  if (/^(?:0+[uUlL]*|0x0+|NULL|false|[A-Za-z_]*FALSE|nullptr)$/.test(t)) return ZERO;
  if (/^-\s*(?:E[A-Z0-9]+|\d+[uUlL]*|MAX_ERRNO)$/.test(t)) return NEGATIVE;
  if (/^(?:[1-9]\d*[uUlL]*|0x[0-9a-fA-F]*[1-9a-fA-F][0-9a-fA-F]*|true|[A-Za-z_]*TRUE)$/.test(t))
    return POSITIVE;
  return undefined;
}

/** Values of `PTR_ERR_OR_ZERO(x)` for values of x: an error stays one, anything else is 0. */
export function errOrZero(values: number): number {
  return (values & NEGATIVE) | (values & (ZERO | POSITIVE) ? ZERO : 0);
}

/** Short text for hovers and messages: `0`, `<0`, `>0`, `0|<0`, ... */
export function valuesText(values: number): string {
  if (values === ANY_VALUE) return 'any';
  const parts: string[] = [];
  if (values & ZERO) parts.push('0');
  if (values & NEGATIVE) parts.push('<0/ERR_PTR');
  if (values & POSITIVE) parts.push('>0/valid');
  return parts.join('|') || 'none';
}
