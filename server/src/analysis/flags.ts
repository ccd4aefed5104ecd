/**
 * Bit-flag constants, for guards on flag parameters: `if (shrink & I915_SHRINK_ACTIVE)` in a
 * callee is ruled out at a call passing `I915_SHRINK_BOUND | I915_SHRINK_UNBOUND`. Values are
 * the macros' own text (`BIT(2)`, `1 << 2`, `A | 0x4`), kept by the lowering and read here; a
 * name no macro of the workspace defines has no known value.
 */

/** The operands of a top-level `|` (not `||`), outer parentheses dropped. */
function orOperands(text: string): string[] {
  const t = unwrap(text);
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '|' && depth === 0 && t[i + 1] !== '|' && t[i - 1] !== '|') {
      out.push(unwrap(t.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(unwrap(t.slice(start)));
  return out;
}

/** Whether a text is a mask of several operands (`FIELD_PREP(M, n) | SEND_NB`). */
export function isMask(text: string): boolean {
  return orOperands(text).length > 1;
}

/** One term of a flag expression: a number, `BIT(n)`, `1 << n`, or a macro name. */
const TERM_RE =
  /^(?:BIT(?:_ULL)?\(\s*(\d+)\s*\)|1[uUlL]*\s*<<\s*(\d+)|(0x[0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*))$/;

/** `(x)` -> `x`, as often as the parentheses wrap the whole text. */
function unwrap(text: string): string {
  let t = text.trim();
  while (t.startsWith('(') && t.endsWith(')')) {
    let depth = 0;
    for (let i = 0; i < t.length - 1; i++) {
      depth += t[i] === '(' ? 1 : t[i] === ')' ? -1 : 0;
      if (depth === 0) return t; // `(a) | (b)`: the first pair closes early
    }
    t = t.slice(1, -1).trim();
  }
  return t;
}

/** The terms of `a | b | ...`, parentheses dropped; undefined when it is anything else. */
function terms(text: string): string[] | undefined {
  const parts = unwrap(text).split('|').map(unwrap);
  return parts.every((p) => TERM_RE.test(p)) ? parts : undefined;
}

/**
 * Whether a macro's value reads as a flag: `BIT(n)`, `1 << n`, or a mask `A | B`. Plain numbers
 * are left out: register headers define hundreds of thousands of them (half of drm-kmod's
 * bytes), and keeping them cost drm-kmod 560 MB.
 */
export function isFlagValue(text: string): boolean {
  const parts = terms(text);
  return parts !== undefined && (parts.length > 1 || /^(?:BIT|1[uUlL]*\s*<<)/.test(parts[0]));
}

const MAX_DEPTH = 8;

/**
 * The bits of a flag expression, following macro names through `macro`; undefined when any
 * term is unknown (a variable, a macro outside the workspace, a cycle).
 */
export function flagBits(
  text: string,
  macro: (name: string) => string | undefined,
  depth = 0,
): bigint | undefined {
  const parts = terms(text);
  if (!parts || depth > MAX_DEPTH) return undefined;
  let bits = 0n;
  for (const part of parts) {
    const m = TERM_RE.exec(part)!;
    const shift = m[1] ?? m[2];
    if (shift !== undefined) bits |= 1n << BigInt(shift);
    else if (m[3] !== undefined) bits |= BigInt(m[3]);
    else {
      const value = macro(m[4]);
      const inner = value === undefined ? undefined : flagBits(value, macro, depth + 1);
      if (inner === undefined) return undefined;
      bits |= inner;
    }
  }
  return bits;
}

/**
 * The bits a mask sets whatever its unknown operands are (`FIELD_PREP(M, n) | SEND_NB` sets
 * SEND_NB); undefined when no operand is known.
 */
export function setBits(text: string, macro: (name: string) => string | undefined): bigint | undefined {
  let bits: bigint | undefined;
  for (const operand of orOperands(text)) {
    const known = flagBits(operand, macro);
    if (known !== undefined) bits = (bits ?? 0n) | known;
  }
  return bits;
}
