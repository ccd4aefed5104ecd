/**
 * The evaluate-once idiom of statement-expression macros, seen through: in
 * `({ typeof(l) _l = (l); mutex_lock(&_l->m); })` the local `_l` is the argument itself. When
 * the argument is a path with no side effects (`&d->state_lock`, `dev->q`, `foo_global`), its
 * copies are replaced by the path in the expansion, so each invocation's lock keeps the
 * argument's identity and class instead of one macro-local name shared by every invocation.
 */

/** A path that names memory and evaluates nothing: `d->a.b`, `&d->a`, `*pp`, `q[i]`, `g`. */
const MEMBER = String.raw`(?:\s*(?:->|\.)\s*[A-Za-z_]\w*|\s*\[\s*\w+\s*\])`;
const POSTFIX_PATH_RE = new RegExp(String.raw`^[A-Za-z_]\w*${MEMBER}*$`);
const ADDRESS_PATH_RE = new RegExp(String.raw`^&\s*([A-Za-z_]\w*${MEMBER}*)$`);

/** `(v)` around a bare name, not a call's parentheses. */
const BARE_NAME_IN_PARENS_RE = /(?<![\w)\]]\s*)\(\s*([A-Za-z_]\w*)\s*\)/g;

const TYPEOF_RE = /\b(?:typeof|__typeof__|__typeof)\s*\(/g;

/** `(x)` -> `x`, as often as the parentheses wrap the whole text. */
function stripOuterParens(text: string): string {
  let t = text.trim();
  while (t.startsWith('(') && closingParen(t, 0) === t.length - 1) t = t.slice(1, -1).trim();
  return t;
}

/** The index of the `)` matching the `(` at `open`, or -1. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Where the block holding `from` ends (its closing `}`), or the end of the text. */
function blockEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      // Skip literals: a brace in a format string is no block.
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return i;
  }
  return text.length;
}

/** What stands for a use of the copy (`arrow`: followed by `->`): the path, or its address. */
function replacement(path: string, arrow: boolean): string {
  const address = ADDRESS_PATH_RE.exec(path);
  // `_l->m` with `_l = &d->lock` is `d->lock.m`.
  if (address) return arrow ? `${address[1]}.` : `(${path})`;
  return arrow ? `${path}->` : path;
}

/**
 * `text` (an expansion) with every `typeof(E) v = (E);` copy of a side-effect-free path `E`,
 * never assigned nor taken by address in its block, replaced by `E` in that block.
 */
export function inlineOnceCopies(text: string): string {
  if (!text.includes('typeof')) return text;
  let out = text;
  let from = 0;
  for (;;) {
    TYPEOF_RE.lastIndex = from;
    const m = TYPEOF_RE.exec(out);
    if (!m) return out;
    from = m.index + m[0].length;
    const close = closingParen(out, from - 1);
    if (close < 0) return out;
    const decl = /^\s*([A-Za-z_]\w*)\s*=\s*([^;{}]*);/.exec(out.slice(close + 1));
    if (!decl) continue;
    const typed = stripOuterParens(out.slice(from, close));
    if (typed.replace(/\s+/g, '') !== stripOuterParens(decl[2]).replace(/\s+/g, '')) continue;
    // A macro's argument in parentheses inside (`&(v)->lock`): the path `&v->lock`.
    const init = stripOuterParens(decl[2]).replace(BARE_NAME_IN_PARENS_RE, '$1');
    if (!POSTFIX_PATH_RE.test(init) && !ADDRESS_PATH_RE.test(init)) continue;
    const name = decl[1];
    const bodyStart = close + 1 + decl[0].length;
    const end = blockEnd(out, bodyStart);
    const body = out.slice(bodyStart, end);
    const written = new RegExp(
      String.raw`(?<![\w.>])${name}\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|(?:\+\+|--|(?<!&)&)\s*${name}\b(?!\s*(?:->|\.|\[))|\b${name}\s*(?:\+\+|--)`,
    );
    if (written.test(body)) continue;
    // A field of the same name (`x->_l`) is no use of the copy.
    const uses = new RegExp(String.raw`(?<!(?:->|\.)\s*)\b${name}\b(\s*->\s*)?`, 'g');
    const inlined = body.replace(uses, (_use: string, arrow: string | undefined) =>
      replacement(init, !!arrow),
    );
    // `const typeof(x) _x = (x);`: the qualifiers go with the declaration.
    const start = /(?:\b(?:const|volatile)\s+)*$/.exec(out.slice(0, m.index))!.index;
    out = out.slice(0, start) + inlined + out.slice(end);
    from = start;
  }
}
