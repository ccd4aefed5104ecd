/**
 * The workspace's function-like macros seen through at lowering: an invocation whose macro hides
 * calls or control flow (`({ ... })` statement expressions, `do { } while (0)`, loop headers
 * with a following body, statement arguments such as `..., return err)`) is expanded
 * (preprocess/macros), the expansion parsed on its own, and its statements or expression lowered
 * in place of the invocation. Parses are kept per file: the same invocation text is parsed once.
 */
import { type CachedNode, SourceTree } from '../parsing/cached-node';
import type { Tree } from '../parsing/parser';
import { evaluate, type SymbolState } from '../preprocess/expr';
import { isMask } from './flags';
import {
  expandInvocation,
  expansionMatters,
  isAlias,
  isExpandable,
  isGfpMask,
  type MacroDef,
  splitArguments,
} from '../preprocess/macros';

export interface LowerOptions {
  /** A macro of the file or the workspace, by name (preprocess/blank, preprocess/headers). */
  macro(name: string): MacroDef | undefined;
  /** Whether a call to `name` is worth seeing (a known API, a function of the workspace or the file). */
  worthCalling(name: string): boolean;
  /** Parses a piece of C (an expansion); the tree is deleted once the file is lowered. */
  parse(text: string): Tree;
}

/** Stands in a block macro's expansion (`for (...)`) for the body written after the invocation. */
export const BODY_PLACEHOLDER = '__lockscope_body__';

const WRAP_HEAD = 'void __lockscope_expansion(void)\n{\n';
const WRAP_TAIL = '\n}\n';
const MAX_PARSES_PER_FILE = 4096;

/** `true` and `false` as the values C gives them; any other word is unknown here. */
function booleanWords(name: string): SymbolState {
  if (name === 'true') return { defined: true, value: '1' };
  if (name === 'false') return { defined: true, value: '0' };
  return { defined: undefined };
}

/**
 * isExpandable per definition. Definitions are never changed once read (an edited `#define` is
 * a new object), so the answer holds for as long as the object lives, in every file using it.
 */
const expandableDefs = new WeakMap<MacroDef, boolean>();

function expandableDef(def: MacroDef): boolean {
  let yes = expandableDefs.get(def);
  if (yes === undefined) expandableDefs.set(def, (yes = isExpandable(def)));
  return yes;
}

/**
 * Expands the macros of one file's lowering (a new expander per lowering: what it keeps, its
 * parses and the answers below, depends only on that file's text and the configuration).
 */
export class MacroExpander {
  private readonly trees: Tree[] = [];
  private readonly parsed = new Map<string, CachedNode | undefined>();
  /** Per macro: whether its body, with what it expands inside, changes control flow or calls something worth seeing. */
  private readonly worth = new Map<MacroDef, boolean>();
  /** Per macro and invocation text: its expansion when worth lowering (loweredExpansion), else null. */
  private readonly lowered = new Map<string, string | null>();
  /** Per invocation text: the constant it stands for (see constantOf), else null. */
  private readonly constants = new Map<string, boolean | null>();
  /** Per invocation text: the mask it stands for (see maskOf), else null. */
  private readonly masks = new Map<string, string | null>();

  constructor(private readonly opts: LowerOptions) {}

  /** The macro `name`, when it is one worth expanding. */
  expandable(name: string): MacroDef | undefined {
    const def = this.opts.macro(name);
    return def && expandableDef(def) ? def : undefined;
  }

  /**
   * The expansion of an invocation of `def` (`call`: its whole text) when it is worth lowering
   * in its place (expansionOf, then matters). The same invocation recurs within a file
   * (`intel_de_read(i915, REG)`): each text is expanded once.
   */
  loweredExpansion(def: MacroDef, call: string): string | undefined {
    const key = `${def.name}\0${call}`;
    let text = this.lowered.get(key);
    if (text === undefined) {
      const expansion = this.expansionOf(def, call);
      text = expansion !== undefined && this.matters(expansion) ? expansion : null;
      this.lowered.set(key, text);
    }
    return text ?? undefined;
  }

  /** Whether the file or the workspace defines a macro of this name (in any arm). */
  defines(name: string): boolean {
    return this.opts.macro(name) !== undefined;
  }

  /** `#define FOO_GFP (GFP_KERNEL | __GFP_NOWARN)`: the mask a name stands for. */
  gfpMask(name: string): string | undefined {
    const def = this.opts.macro(name);
    return def && isGfpMask(def) ? def.body : undefined;
  }

  /**
   * The text an invocation (`call`: its whole source text, `NAME(...)`) expands to, with the
   * workspace's other macros expanded inside; undefined when it does not fit the definition.
   */
  private expansionOf(def: MacroDef, call: string): string | undefined {
    // Neither the body nor the arguments matter (most invocations): no need to expand.
    if (!this.worthExpanding(def) && !this.matters(call.slice(def.name.length))) return undefined;
    return this.expand(def, call);
  }

  /**
   * A macro that is one call of another name, `#define FOO_BUG_ON(e) BUILD_BUG_ON_INVALID(e)`,
   * for this invocation: the name called and its arguments. Such aliases of a known API (a
   * driver's own assertion and warning macros) are not worth expanding and parsing; the call
   * reads as the API's.
   */
  aliasCall(
    name: string,
    call: string,
    wanted: (callee: string) => boolean,
  ): { callee: string; args: string[] } | undefined {
    const def = this.opts.macro(name);
    if (!def || !isAlias(def)) return undefined;
    // Most aliases name a plain function (`#define foo_read(x) __foo_read(x, 0)`): when it is not
    // one asked for and no macro of that name could change it, nothing to expand.
    const head = /^\s*([A-Za-z_]\w*)/.exec(def.body)![1];
    if (!wanted(head) && this.opts.macro(head) === undefined && !def.params!.includes(head)) return undefined;
    const text = this.expand(def, call)?.trim();
    const m = text && /^([A-Za-z_]\w*)\s*\(/.exec(text);
    const split = m ? splitArguments(text, m[0].length - 1) : undefined;
    if (!m || !split || split.end !== text.length || m[1] === name) return undefined;
    return { callee: m[1], args: split.args.length === 1 && split.args[0] === '' ? [] : split.args };
  }

  private expand(def: MacroDef, call: string): string | undefined {
    const open = call.indexOf('(', def.name.length);
    const split = open < 0 ? undefined : splitArguments(call, open);
    if (!split) return undefined;
    // Inside, only macros that matter are expanded: a `_Generic` or container_of wrapper stays
    // a call, which keeps the expansion one call that is lowered from its text.
    return expandInvocation(def, split.args, (n) => {
      const inner = this.expandable(n);
      return inner && this.worthExpanding(inner) ? inner : undefined;
    });
  }

  /** Whether a macro's own body matters (see `worth`); a macro met again inside itself does not. */
  worthExpanding(def: MacroDef, visiting = new Set<MacroDef>()): boolean {
    const known = this.worth.get(def);
    if (known !== undefined) return known;
    if (visiting.has(def)) return false;
    visiting.add(def);
    const result = expansionMatters(def.body, (n) => {
      if (this.opts.worthCalling(n)) return true;
      const inner = this.expandable(n);
      return !!inner && this.worthExpanding(inner, visiting);
    });
    this.worth.set(def, result);
    return result;
  }

  /**
   * Whether an expansion is worth lowering: it changes control flow or calls something worth
   * seeing. The others (register-field arithmetic, container_of wrappers, WARN wrappers, loop
   * headers over plain counters) read the same as the invocation did (a call to nothing, an
   * iterator), and parsing them would cost as much as the rest of the file.
   */
  private matters(expansion: string): boolean {
    return expansionMatters(expansion, (n) => this.opts.worthCalling(n));
  }

  /** Whether a call to `name` is worth seeing (LowerOptions.worthCalling). */
  worthCalling(name: string): boolean {
    return this.opts.worthCalling(name);
  }

  /**
   * The constant a call to one of the workspace's macros stands for (`I915_SELFTEST_ONLY(x)`
   * is `0` without self-tests), when its expansion is one.
   */
  constantOf(call: string): boolean | undefined {
    let constant = this.constants.get(call);
    if (constant === undefined) {
      const name = /^[A-Za-z_]\w*/.exec(call)?.[0];
      const def = name ? this.opts.macro(name) : undefined;
      const text = def?.params ? this.expand(def, call) : undefined;
      const value = text === undefined ? undefined : evaluate(text, booleanWords).value;
      constant = value === undefined ? null : value !== 0n;
      this.constants.set(call, constant);
    }
    return constant ?? undefined;
  }

  /**
   * The mask an argument stands for when it invokes a workspace macro whose value ORs constant
   * flags into something unknown (`MAKE_SEND_FLAGS(len)`, `({ ...; (FIELD_PREP(M, len_) |
   * SEND_NB); })`): a callee's test of such a flag is decided at the call (see flags.setBits).
   */
  maskOf(call: string): string | undefined {
    let mask = this.masks.get(call);
    if (mask === undefined) {
      const name = /^([A-Za-z_]\w*)\s*\(/.exec(call)?.[1];
      const def = name ? this.opts.macro(name) : undefined;
      // Most macro arguments are register or field arithmetic without a `|`: not expanded.
      const text = def?.params && SINGLE_BAR_RE.test(def.body) ? this.expand(def, call) : undefined;
      const value = text === undefined ? undefined : valueOf(text);
      mask = value !== undefined && isMask(value) ? value : null;
      this.masks.set(call, mask);
    }
    return mask ?? undefined;
  }

  /** The statements of an expansion used as a statement (a block macro's with its body placeholder). */
  statements(expansion: string, body: boolean): CachedNode[] | undefined {
    const block = this.parse(`${expansion}${body ? ` ${BODY_PLACEHOLDER};` : ';'}`);
    return block?.namedChildren;
  }

  /** The expression of an expansion used as a value. */
  expression(expansion: string): CachedNode | undefined {
    const block = this.parse(`(void)(${expansion});`);
    const cast = block?.namedChildren[0]?.namedChildren[0];
    const value = cast?.type === 'cast_expression' ? cast.field('value') : undefined;
    return value?.type === 'parenthesized_expression' ? value.namedChildren[0] : undefined;
  }

  /**
   * The body of the wrapper function around `code`. Like a file's, a parse with errors (a block
   * macro of the kernel's inside, read as a call missing its `;`) is lowered as far as it goes.
   */
  private parse(code: string): CachedNode | undefined {
    const text = WRAP_HEAD + code + WRAP_TAIL;
    if (this.parsed.has(text)) return this.parsed.get(text);
    if (this.parsed.size >= MAX_PARSES_PER_FILE) return undefined;
    const tree = this.opts.parse(text);
    this.trees.push(tree);
    const fn = new SourceTree(tree).root.namedChildren[0];
    const body = fn?.type === 'function_definition' ? (fn.field('body') ?? undefined) : undefined;
    this.parsed.set(text, body);
    return body;
  }

  /** Frees the parses (once the file is lowered). */
  dispose(): void {
    for (const t of this.trees.splice(0)) t.delete();
    this.parsed.clear();
  }
}

const SINGLE_BAR_RE = /(?:^|[^|])\|(?!\|)/;

/** The value of an expression text: a statement expression's last expression, else the text. */
function valueOf(text: string): string | undefined {
  let t = text.trim();
  while (t.startsWith('(') && !t.startsWith('({') && t.endsWith(')')) t = t.slice(1, -1).trim();
  if (!t.startsWith('({') || !t.endsWith('})')) return t;
  const statements = t
    .slice(2, -2)
    .split(';')
    .map((x) => x.trim());
  const last = statements.filter((x) => x !== '').pop();
  // A piece cut out of a nested block or a `for (;;)` header is not the value.
  return last && !/[{}]/.test(last) && balanced(last) ? last : undefined;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}
