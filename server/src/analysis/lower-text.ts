/**
 * The parts of the lowering read from source text instead of syntax nodes (every node property
 * is a call into wasm). Each reader answers only when the text has one parse, so its answer is
 * the one the syntax tree gives: no syntax error (asked of the node), and none of the
 * characters that could hide another structure (comments, line continuations, ...).
 * Otherwise it answers undefined and the lowering asks the tree.
 */
import type { CachedNode } from '../parsing/cached-node';
import type { AccessPath, Arg, Param, PathRoot } from './ir';

/** `u32 n`, `const struct foo *p`: an optional `const`, a tag or one-word type, pointers, a name. */
const SIMPLE_PARAMETER_RE =
  /^(?:const\s+)?(?:(?:struct|union|enum)\s+)?([A-Za-z_]\w*)(?=[\s*])[\s*]*([A-Za-z_]\w*)$/;

/**
 * A parameter read from its text when that has one parse: without errors, and with a type
 * word and a name that are no keywords (`unsigned x`, `char *const`), the type is a type name
 * or tag and the declarator pointers to an identifier.
 */
export function simpleParameter(p: CachedNode): Param | undefined {
  const m = SIMPLE_PARAMETER_RE.exec(p.text);
  if (!m || p.isKeyword(m[1]) || p.isKeyword(m[2]) || p.hasError) return undefined;
  return { name: m[2], type: m[1] };
}

/** `int ret, i = 0;`, `struct foo *p;`: a type as in a simple parameter, then declarators. */
const SIMPLE_DECLARATION_RE = /^(?:const\s+)?(?:(?:struct|union|enum)\s+)?([A-Za-z_]\w*)(?=[\s*])([^;]*);$/;
/** ` *p`, ` i = 0`: pointers, a name, an initializer without `=`. */
const SIMPLE_DECLARATOR_RE = /^[\s*]*([A-Za-z_]\w*)\s*(?:=\s*(\S[^=]*))?$/;
/** What the declarators of a simple declaration hold none of (nor `=` in an initializer). */
const NOT_SIMPLE_RE = /["'[\](){}#\\/]|[^\x00-\x7f]|\+\+|--/;

/**
 * The type and names of a local declaration read from its text, when that has one parse and
 * its initializers emit no event: no syntax error, no keyword as type word or name, and
 * initializers without calls, assignments, `++`/`--`, brackets, literals or comments.
 */
export function simpleDeclaration(
  node: CachedNode,
): { type: string; names: string[]; inits: (string | undefined)[]; pointers: boolean[] } | undefined {
  const m = SIMPLE_DECLARATION_RE.exec(node.text);
  if (!m || NOT_SIMPLE_RE.test(m[2]) || node.isKeyword(m[1])) return undefined;
  const names: string[] = [];
  const inits: (string | undefined)[] = [];
  const pointers: boolean[] = [];
  for (const part of m[2].split(',')) {
    const d = SIMPLE_DECLARATOR_RE.exec(part);
    if (!d || node.isKeyword(d[1])) return undefined;
    names.push(d[1]);
    inits.push(d[2]?.trim());
    pointers.push(part.trimStart().startsWith('*'));
  }
  return node.hasError ? undefined : { type: m[1], names, inits, pointers };
}

const BINARY_OPERATORS = new Set([
  '&&',
  '||',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '<<',
  '>>',
]);

/**
 * The operator of a binary expression. Between its two operands there is only the operator,
 * unless a comment or an error sits there too (then there are more than two named children):
 * the source text gives it without asking the tree for the operator node.
 */
export function binaryOperator(
  expr: CachedNode,
  left: CachedNode | null,
  right: CachedNode | null,
): string | undefined {
  if (left && right && expr.namedChildren.length === 2) {
    const between = expr.slice(left.endIndex, right.startIndex).trim();
    if (BINARY_OPERATORS.has(between)) return between;
  }
  return expr.field('operator')?.type;
}

/** `!x`: a unary expression starts with its operator (nodes never start with a comment). */
export function isNegation(expr: CachedNode): boolean {
  if (expr.namedChildren.length === 1) return expr.slice(expr.startIndex, expr.startIndex + 1) === '!';
  return expr.field('operator')?.type === '!';
}

const IDENTIFIER_RE = /^[A-Za-z_]\w*$/;

/**
 * The callee name (when the function is a plain identifier) and the argument texts of a call,
 * read from its source; undefined unless that is exact. Without syntax errors, and outside
 * string and character literals without comments, line continuations, preprocessor lines,
 * `__extension__` or non-ASCII characters, the argument list is the last top-level
 * parenthesised group, its arguments are the text between its top-level commas, and a lone
 * word is an identifier unless it is a literal.
 */
export function plainCall(call: CachedNode): { callee: string | undefined; args: string[] } | undefined {
  const text = call.text;
  if (!text.endsWith(')') || text.includes('__extension__') || call.hasError) return undefined;
  let depth = 0;
  /** The latest `(` opened at depth 0, and the commas directly inside it. */
  let open = -1;
  let commas: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Letters, digits and most operators: nothing to track (character codes: faster than strings).
    if (c >= 0x30 && c <= 0x7a && c !== 0x5b && c !== 0x5c && c !== 0x5d) continue;
    switch (c) {
      case 0x22: // "
      case 0x27: // '
        i = literalEnd(text, i);
        if (i < 0) return undefined;
        break;
      case 0x28: // (
      case 0x5b: // [
      case 0x7b: // {
        if (depth++ === 0) {
          open = c === 0x28 ? i : -1;
          commas = [];
        }
        break;
      case 0x29: // )
      case 0x5d: // ]
      case 0x7d: // }
        depth--;
        break;
      case 0x2c: // ,
        if (depth === 1) commas.push(i);
        break;
      case 0x23: // #
      case 0x5c: // backslash
        return undefined;
      case 0x2f: // / starting a comment
        if (text[i + 1] === '/' || text[i + 1] === '*') return undefined;
        break;
      default:
        if (c > 0x7f) return undefined;
    }
  }
  if (open <= 0 || depth !== 0) return undefined;
  const fn = text.slice(0, open).trimEnd();
  const callee = IDENTIFIER_RE.test(fn) && !LITERAL_WORDS.has(fn) ? fn : undefined;
  const args: string[] = [];
  let from = open + 1;
  for (const comma of commas) {
    args.push(text.slice(from, comma).trim());
    from = comma + 1;
  }
  const last = text.slice(from, text.length - 1).trim();
  if (last || args.length) args.push(last);
  return { callee, args };
}

/** The index of the quote closing the string or character literal opened at `start`, or -1. */
function literalEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === quote) return i;
    if (c === '\n') return -1;
    if (c === '\\') i++;
  }
  return -1;
}

/**
 * The access path of an error-free expression read from its text, when the text is a
 * variable with `&`/`*` prefixes and field accesses (one parse only), or starts with a digit
 * or a quote (a number, string or character, or an expression on one: no variable root).
 */
export function simplePath(text: string): AccessPath | undefined {
  const first = text.charCodeAt(0);
  if ((first >= 0x30 && first <= 0x39) || text[0] === '"' || text[0] === "'")
    return { root: { kind: 'unknown' }, fields: [] };
  if (IDENTIFIER_RE.test(text))
    return LITERAL_WORDS.has(text) ? undefined : { root: { kind: 'var', name: text }, fields: [] };
  const m = SIMPLE_PATH_RE.exec(text);
  if (!m || LITERAL_WORDS.has(m[2])) return undefined;
  const fields = m[3] ? m[3].split(FIELD_SEPARATOR_RE).slice(1) : [];
  let prefixes = 0;
  for (const c of m[1]) if (c === '&' || c === '*') prefixes++;
  // accessPath gives up after 64 nodes.
  if (prefixes + fields.length + 1 > 64) return undefined;
  return { root: { kind: 'var', name: m[2] }, fields };
}

const NO_PATH: AccessPath = { root: { kind: 'unknown' }, fields: [] };
const OPERATOR_CHARS = '+-*/%&|^<>=?!~:';

/**
 * The access path of an argument of a plain call (see plainCall) read from its text: a
 * simple path, or none when the top node is an operator (binary, conditional, assignment,
 * unary or ++/--): an operator character outside brackets and literals, other than a leading
 * `&`/`*` or an `->`. A leading `(` may be a cast, whose operand may start with `-`.
 */
export function plainPath(text: string): AccessPath | undefined {
  const simple = simplePath(text);
  if (simple || text[0] === '(') return simple;
  let i = 0;
  while (i < text.length && /[&*\s]/.test(text[i])) i++;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = literalEnd(text, i);
      if (i < 0) return undefined;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && OPERATOR_CHARS.includes(c)) {
      if (c === '-' && text[i + 1] === '>') i++;
      else return NO_PATH;
    }
  }
  return undefined;
}

/** Paths read from argument texts, by text (the same few texts recur across a workspace). */
const textPaths = new Map<string, AccessPath | undefined>();
const MAX_TEXT_PATHS = 100_000;

/** The path an argument's text reads as (simplePath, with no variable root meaning none). */
function textPath(text: string): AccessPath | undefined {
  const known = textPaths.get(text);
  if (known !== undefined || textPaths.has(text)) return known;
  const simple = simplePath(text);
  const path = simple && simple.root.kind !== 'unknown' ? simple : undefined;
  if (textPaths.size >= MAX_TEXT_PATHS) textPaths.clear();
  textPaths.set(text, path);
  return path;
}

/** An argument's access path: the stored one, or the one its text reads as. */
export function argPath(arg: Arg): AccessPath | undefined {
  return arg.path === undefined ? textPath(arg.text) : (arg.path ?? undefined);
}

/** An argument with its path stored only when its text does not already say it. */
export function compactArg(text: string, path: AccessPath | undefined): Arg {
  const read = textPath(text);
  if (samePath(read, path)) return { text };
  return { text, path: path ?? null };
}

function samePath(a: AccessPath | undefined, b: AccessPath | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.fields.length !== b.fields.length || a.fields.some((f, i) => f !== b.fields[i])) return false;
  return sameRoot(a.root, b.root);
}

function sameRoot(a: PathRoot, b: PathRoot): boolean {
  switch (a.kind) {
    case 'var':
      return b.kind === 'var' && a.name === b.name;
    case 'call':
      return b.kind === 'call' && a.fn === b.fn;
    case 'type':
      return b.kind === 'type' && a.type === b.type;
    default:
      return b.kind === a.kind;
  }
}

/** `&a->b.c`-like text: `&`/`*` prefixes, a variable, field accesses. */
export const SIMPLE_PATH_RE = /^((?:\*\s*|&(?!&)\s*)*)([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)$/;
const FIELD_SEPARATOR_RE = /\s*(?:->|\.)\s*/;
/** Words that read as a simple path but are literals, not variables, to the grammar. */
const LITERAL_WORDS = new Set(['true', 'false', 'TRUE', 'FALSE', 'NULL', 'nullptr']);
