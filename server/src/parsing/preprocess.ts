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
  const spans: [number, number][] = [];
  let m: RegExpExecArray | null;
  while ((m = withArgs.exec(text))) {
    const open = m.index + m[0].length - 1;
    const close = matchingParen(text, open);
    if (close < 0) continue;
    annotations.push({ line: lineAt(text, m.index), macro: m[1], arg: text.slice(open + 1, close) });
    spans.push([m.index, close + 1]);
    withArgs.lastIndex = close + 1;
  }
  while ((m = bare.exec(text))) spans.push([m.index, m.index + m[0].length]);
  if (spans.length === 0) return { text, annotations };
  // Rebuild from slices (a per-character copy of every file costs more than the parse).
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [from, to] of spans) {
    if (to <= pos) continue;
    const start = Math.max(from, pos);
    out += text.slice(pos, start) + text.slice(start, to).replace(/[^\n]/g, ' ');
    pos = to;
  }
  return { text: out + text.slice(pos), annotations };
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
