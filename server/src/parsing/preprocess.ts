/**
 * Kernel annotation macros (`__init`, `__maybe_unused`, `__must_hold(&x->lock)`, ...) are not
 * C; the grammar turns a function declared with one into a declaration plus a broken function.
 * They are blanked out before parsing (same length, newlines kept, so every position stays
 * valid) and the lock annotations among them are returned as facts.
 */
export interface MaskedAnnotation {
  /** 0-based line of the macro. */
  line: number;
  macro: string;
  /** The argument text of macros with arguments. */
  arg?: string;
}

export interface AnnotationMacros {
  bare: readonly string[];
  withArgs: readonly string[];
}

export function maskAnnotations(
  text: string,
  macros: AnnotationMacros,
): { text: string; annotations: MaskedAnnotation[] } {
  const bare = new RegExp(`\\b(?:${macros.bare.join('|')})\\b`, 'g');
  const withArgs = new RegExp(`\\b(${macros.withArgs.join('|')})\\s*\\(`, 'g');
  const annotations: MaskedAnnotation[] = [];
  if (!withArgs.test(text) && !bare.test(text)) return { text, annotations };
  const chars = text.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (chars[i] !== '\n') chars[i] = ' ';
  };
  withArgs.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = withArgs.exec(text))) {
    const open = m.index + m[0].length - 1;
    const close = matchingParen(text, open);
    if (close < 0) continue;
    annotations.push({ line: lineAt(text, m.index), macro: m[1], arg: text.slice(open + 1, close) });
    blank(m.index, close + 1);
    withArgs.lastIndex = close + 1;
  }
  bare.lastIndex = 0;
  while ((m = bare.exec(text))) blank(m.index, m.index + m[0].length);
  return { text: chars.join(''), annotations };
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  const limit = Math.min(text.length, open + 4096);
  for (let i = open; i < limit; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    else if (c === '\n' && text[i + 1] === '{') return -1; // ran into a body: not an annotation
  }
  return -1;
}

function lineAt(text: string, index: number): number {
  let line = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
