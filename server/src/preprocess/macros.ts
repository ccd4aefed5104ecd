/**
 * The workspace's function-like macros, for expansion at lowering: their definitions (read from
 * `#define` lines in live code), which of them hide control flow or calls worth seeing, and the
 * text an invocation expands to (arguments substituted, `#` and `##` applied, nested
 * invocations of other workspace macros expanded to a bounded depth, a macro never inside its
 * own expansion).
 */

import { inlineOnceCopies } from './once-copies';

export interface MacroDef {
  name: string;
  /** Parameter names of a function-like macro (`...` as `__VA_ARGS__`); absent: object-like. */
  params?: string[];
  body: string;
  /** 0-based line of the definition. */
  line: number;
  /**
   * Defined differently in the arms of an undecided condition (this symbol): this is the first
   * arm's definition, the one expanded (as the first arm is the one read where arms do not form
   * whole statements).
   */
  firstArmOf?: string;
}

/** Macros by name; `null`: defined differently in files the configuration leaves open (not expanded). */
export type MacroTable = Map<string, MacroDef | null>;

const DEFINE_RE = /^([A-Za-z_]\w*)(\(([^)]*)\))?/;

/** Parses the argument of a `#define` (comments already removed). */
export function parseDefine(arg: string, line: number): MacroDef | undefined {
  const m = DEFINE_RE.exec(arg);
  if (!m) return undefined;
  const body = arg.slice(m[0].length).trim();
  if (m[2] === undefined) return { name: m[1], body, line };
  const params = m[3]
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => (p === '...' ? '__VA_ARGS__' : p.replace(/\.\.\.$/, '')));
  return { name: m[1], params, body, line };
}

/**
 * Bodies worth expanding at lowering: they change control flow (`return`, `goto`, `break`,
 * `continue`), are statement expressions or loop headers, or call something (a lock, a sleep,
 * a helper): otherwise the invocation reads the same as a call to nothing.
 */
const EXPANDABLE_RE = /\b(?:return|goto|break|continue|for|while|if)\b|\(\{|\b[a-z_]\w*\s*\(/;
/** Bodies that cannot be expressions or statements: declarations, attributes, types, asm. */
const NOT_CODE_RE = /^\s*(?:static|extern|struct|union|enum|typedef|__attribute__|asm)\b|^\s*$/;

export function isExpandable(def: MacroDef): boolean {
  return def.params !== undefined && EXPANDABLE_RE.test(def.body) && !NOT_CODE_RE.test(def.body);
}

/**
 * A function-like macro whose body is one call of another name (`#define FOO_BUG_ON(e)
 * BUILD_BUG_ON_INVALID(e)`): lowering reads its invocations as that call when the knowledge
 * table knows the name (analysis/lower-macros aliasCall).
 */
export function isAlias(def: MacroDef): boolean {
  return def.params !== undefined && ALIAS_RE.test(def.body);
}

const ALIAS_RE = /^\s*[A-Za-z_]\w*\s*\([^;{}]*\)\s*$/;

/**
 * A function-like macro that is an integer constant (`#define FOO_SHOW_DEBUG() (0)`, the
 * non-debug arm of a debug switch): a branch it guards is decided at lowering.
 */
export function isConstantSwitch(def: MacroDef): boolean {
  return def.params !== undefined && /^[(\s]*\d+[uUlL]*[)\s]*$/.test(def.body);
}

/** An object-like macro naming a gfp mask (`#define FOO_GFP (GFP_KERNEL | __GFP_NOWARN)`). */
export function isGfpMask(def: MacroDef): boolean {
  return def.params === undefined && /\b__?GFP_\w+/.test(def.body) && !/[;{}]/.test(def.body);
}

const MAX_DEPTH = 8;
const MAX_EXPANSION = 16_384;

/**
 * The text `name(args)` expands to, with the macros of `lookup` expanded inside it; undefined
 * when the arguments do not fit the parameters or the expansion grows too big.
 */
export function expandInvocation(
  def: MacroDef,
  args: string[],
  lookup: (name: string) => MacroDef | undefined,
): string | undefined {
  const body = substitute(def, args);
  if (body === undefined) return undefined;
  const out = expandNested(body, lookup, new Set([def.name]), 1);
  return out !== undefined && out.length <= MAX_EXPANSION ? inlineOnceCopies(out) : undefined;
}

function substitute(def: MacroDef, args: string[]): string | undefined {
  const params = def.params ?? [];
  const variadic = params[params.length - 1] === '__VA_ARGS__';
  const fixed = variadic ? params.length - 1 : params.length;
  if (args.length === 1 && args[0] === '' && fixed === 0) args = [];
  if (variadic ? args.length < fixed : args.length !== fixed) return undefined;
  const values = new Map<string, string>();
  params.forEach((p, i) =>
    values.set(p, i === fixed && variadic ? args.slice(fixed).join(', ') : (args[i] ?? '')),
  );
  // GNU's `, ## __VA_ARGS__`: the comma goes when there are no variable arguments.
  const body = variadic
    ? def.body.replace(/,\s*##\s*__VA_ARGS__/g, () => (values.get('__VA_ARGS__') ? ', __VA_ARGS__' : ''))
    : def.body;
  // `#x` stringizes, `a ## b` pastes; everything else is substituted as written.
  return body
    .replace(/#\s*([A-Za-z_]\w*)(?!\w)/g, (whole, p: string, at: number, s: string) =>
      s[at + 1] !== '#' && s[at - 1] !== '#' && values.has(p) ? JSON.stringify(values.get(p)) : whole,
    )
    .replace(CODE_WORD_RE, (w) => (w[0] === '"' || w[0] === "'" ? w : (values.get(w) ?? w)))
    .replace(/\s*##\s*/g, '');
}

/** Words, and string and character literals (matched whole so that their words stay as written). */
const CODE_WORD_RE = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_]\w*/g;

/** Expands invocations of table macros inside `text`, innermost name first in `active`. */
function expandNested(
  text: string,
  lookup: (name: string) => MacroDef | undefined,
  active: Set<string>,
  depth: number,
): string | undefined {
  if (depth > MAX_DEPTH) return text;
  let out = '';
  let pos = 0;
  const word = /[A-Za-z_]\w*/g;
  let m: RegExpExecArray | null;
  while ((m = word.exec(text))) {
    const name = m[0];
    const def = active.has(name) ? undefined : lookup(name);
    if (!def || def.params === undefined) continue;
    const open = skipSpace(text, m.index + name.length);
    if (text[open] !== '(') continue;
    const split = splitArguments(text, open);
    if (!split) continue;
    const body = substitute(def, split.args);
    if (body === undefined) continue;
    const inner = expandNested(body, lookup, new Set(active).add(name), depth + 1);
    if (inner === undefined) return undefined;
    out += text.slice(pos, m.index) + inner;
    pos = split.end;
    word.lastIndex = split.end;
    if (out.length > MAX_EXPANSION) return undefined;
  }
  return out + text.slice(pos);
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

/**
 * The arguments of an invocation whose `(` is at `open`: top-level comma-separated texts,
 * trimmed, and the offset after the `)`. Brackets and literals nest; undefined when unclosed.
 */
export function splitArguments(text: string, open: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      i = close + 1;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(from, i).trim());
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  return undefined;
}

const CALL_NAME_RE = /([A-Za-z_]\w*)[ \t]*\(/g;
/** A name and `(` on a line that starts with a word: how C declares and defines functions. */
const DECLARATION_RE = /^(?=[A-Za-z_])[\w \t*]*?\b([A-Za-z_]\w*)[ \t]*\(/gm;
const KEYWORDS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'return',
  'sizeof',
  'typeof',
  '__typeof__',
  '_Generic',
  'defined',
]);

/**
 * The names `text` declares or defines as functions (`int foo(`, `static inline u32\nbar(`):
 * the first name and `(` of a line that starts in column 0 with a word, as kernel style writes
 * them (statements are indented). A macro invoked at the top level reads as one too, which only
 * makes a wrapper of it worth expanding.
 */
export function declaredFunctions(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(DECLARATION_RE)) if (!KEYWORDS.has(m[1])) out.add(m[1]);
  return out;
}

/**
 * Whether an expansion is worth lowering in place of its invocation: it changes control flow,
 * or calls something `worthCalling` (an API the knowledge base knows, a function of the
 * workspace). Otherwise it reads the same as the call to nothing it was.
 */
export function expansionMatters(text: string, worthCalling: (name: string) => boolean): boolean {
  if (/\b(?:return|goto|break|continue)\b/.test(text)) return true;
  for (const m of text.matchAll(CALL_NAME_RE)) if (!KEYWORDS.has(m[1]) && worthCalling(m[1])) return true;
  return false;
}
