/**
 * Lowering: a tree-sitter C syntax tree -> FileFacts (per-function control-flow graphs of lock
 * events, struct and typedef definitions, globals, function-pointer stores, suppressions).
 *
 * Kernel C is not plain C: iterator macros (`list_for_each_entry(...) { }`), `scoped_guard`,
 * annotations and preprocessor arms inside functions all reach us as odd or ERROR nodes. The
 * rule here is to lower whatever parses and never give up on a function for one bad line.
 *
 * Speed: every question put to a web-tree-sitter node is a call into wasm and every node it
 * returns a new object, so the walk works on CachedNodes, skips subtrees whose text shows
 * they hold no facts, and reads plain calls, access paths, parameters and declarations from
 * the source text where that text has only one parse (no syntax error, comment, ...); all
 * else goes through the syntax tree. Either way the facts are the same.
 */
import { type CachedNode, SourceTree } from '../parsing/cached-node';
import type { Tree } from '../parsing/parser';
import type { Knowledge } from '../kb/knowledge';
import type { MaskedAnnotation } from '../parsing/preprocess';
import { lockOps } from '../kb/types';
import {
  argPath,
  binaryOperator,
  compactArg,
  isNegation,
  plainCall,
  plainPath,
  SIMPLE_PATH_RE,
  simpleDeclaration,
  simpleParameter,
  simplePath,
} from './lower-text';
import {
  type AccessPath,
  type Arg,
  type Block,
  type CallEvent,
  type Condition,
  type Event as LoweredEvent,
  type FileFacts,
  type FileLock,
  type FunctionIR,
  type FunctionStore,
  type Param,
  type Range,
  type StructDef,
  type ValueExpr,
  assignedName,
} from './ir';
import { ownString, setOwn } from '../util/records';
import { BODY_PLACEHOLDER, type LowerOptions, MacroExpander } from './lower-macros';
import { expansionMatters, splitArguments } from '../preprocess/macros';
import { isFlagValue } from './flags';
import { ANY_VALUE, NEGATIVE, NONZERO, POSITIVE, ZERO, constantValues, valuesNamed } from './values';
import { isCallsOnly } from './primer';
import { CONSTANT_NAME_RE, equalAtom, flagAtom, gateAtom, namesAtom } from './path-facts';
import { MACRO_NAME_RE } from './unknown-calls';

export function rangeOf(node: CachedNode): Range {
  return {
    line: node.startPosition.row,
    col: node.startPosition.column,
    endLine: node.endPosition.row,
    endCol: node.endPosition.column,
  };
}

export function normaliseText(text: string): string {
  // Without whitespace there is nothing to normalise (most arguments: `x`, `&p->lock`).
  if (!/\s/.test(text)) return text;
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s*(->|\.|\(|\)|\[|\])\s*/g, '$1')
    .trim();
}

/** A struct or union definition inside a function body (rare: only then are they searched). */
const STRUCT_BODY_RE = /\b(?:struct|union)\s*\w*\s*\{/;
const SUPPRESS_RE = /lockscope-ignore:\s*([\w-]+(?:\s*,\s*[\w-]+)*)/;
const ITERATOR_RE = /(^|_)for_each|^for_each|_foreach|^foreach|^while_each/;
/**
 * Expressions emit events only through calls, assignments, `++`/`--` and statement
 * expressions; one without these characters is skipped without looking at its nodes.
 */
const MAY_EMIT_RE = /[(={]|\+\+|--/;
/** Nodes holding top-level items, walked without looking at their text first. */
const CONTAINERS = new Set([
  'translation_unit',
  'ERROR',
  'preproc_if',
  'preproc_ifdef',
  'preproc_elif',
  'preproc_elifdef',
  'preproc_else',
  'linkage_specification',
  'declaration_list',
]);
/** The kinds the top-level walk handles (outside ERROR nodes). */
const TOP_LEVEL_FACT_KINDS = [
  'function_definition',
  'struct_specifier',
  'union_specifier',
  'type_definition',
];
/** Leaves: nothing below them. */
const TOKENS = new Set([
  'identifier',
  'field_identifier',
  'type_identifier',
  'primitive_type',
  'number_literal',
  'statement_identifier',
]);
const IDENTIFIER_RE = /^[A-Za-z_]\w*$/;
const FIELD_STORE_RE = /^([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)\s*=\s*([^=;][^;]*?)\s*;$/;
const DESIGNATED_FIELD_RE = /[{,]\s*\.\s*([A-Za-z_]\w*)\s*=\s*([^,{}]+?)\s*(?=[,}])/g;
const MACRO_CALL_RE = /^[A-Za-z_]\w*\s*\(.*\)$/s;
/** A macro body that heads a statement written after the invocation: a loop, an `if`, a dangling `else`. */
const LOOP_HEADER_RE = /^\s*(?:for|while|if|switch)\b|\belse\s*$/;
/** Macros expanded inside macros' expansions at most this deep (preprocess/macros nests more already). */
const MAX_EXPANSION_NESTING = 4;
const NO_CALL_CONTEXTS = new Set([
  'sizeof_expression',
  'alignof_expression',
  'gnu_asm_expression',
  'offsetof_expression',
]);

function emptyFacts(path: string): FileFacts {
  return {
    path,
    functions: [],
    structs: [],
    typedefs: {},
    globals: {},
    fileLocks: [],
    stores: [],
    suppressions: {},
    parseErrors: 0,
  };
}

export function lowerFile(
  tree: Tree,
  path: string,
  kb: Knowledge,
  annotations: MaskedAnnotation[] = [],
  opts?: LowerOptions,
): FileFacts {
  const facts = emptyFacts(path);
  const expander = opts && new MacroExpander(opts);
  try {
    new FileCollector(facts, kb, annotations, expander).visitTop(new SourceTree(tree).root);
  } finally {
    expander?.dispose();
  }
  return facts;
}

/**
 * Re-lowers only the function that contains an edit (an edit inside one body that adds or
 * removes no line): the other functions keep their IR objects, so the incremental analysis
 * sees them unchanged. Returns undefined when the edit is not of that kind.
 */
export function relowerFunction(
  tree: Tree,
  old: FileFacts,
  edit: { start: number; end: number; startLine: number },
  kb: Knowledge,
  annotations: MaskedAnnotation[],
  opts?: LowerOptions,
): FileFacts | undefined {
  const root = new SourceTree(tree).root;
  const top = root.namedChildren.find((n) => n.startIndex <= edit.start && edit.end <= n.endIndex);
  const body = top?.type === 'function_definition' ? top.field('body') : null;
  if (!top || !body || edit.start <= body.startIndex || edit.end >= body.endIndex) return undefined;
  const line = edit.startLine;
  const before = old.functions.filter((f) => f.range.line <= line && line <= f.range.endLine);
  if (before.length !== 1) return undefined;
  const scratch = emptyFacts(old.path);
  const expander = opts && new MacroExpander(opts);
  try {
    new FileCollector(scratch, kb, annotations, expander).visitFunction(top);
  } finally {
    expander?.dispose();
  }
  if (scratch.functions.length !== 1 || scratch.functions[0].name !== before[0].name) return undefined;
  const name = before[0].name;
  const suppressions: FileFacts['suppressions'] = {};
  const collector = new FileCollector({ ...emptyFacts(old.path), suppressions }, kb, annotations);
  collector.collectSuppressions(root);
  return {
    ...old,
    functions: old.functions.map((f) => (f === before[0] ? scratch.functions[0] : f)),
    stores: replaceStores(old.stores, name, before[0].range.line, scratch.stores),
    suppressions,
    parseErrors: errorCount(root),
  };
}

/**
 * The file's stores with one function's replaced, in the order a whole-file lowering gives
 * (document order): the order decides which target comes first, and the workspace's type
 * signature compares it.
 */
function replaceStores(
  stores: FunctionStore[],
  fn: string,
  fnLine: number,
  fresh: FunctionStore[],
): FunctionStore[] {
  const others = stores.filter((s) => s.inFunction !== fn);
  const at = others.findIndex((s) => s.range.line > fnLine);
  return at < 0 ? [...others, ...fresh] : [...others.slice(0, at), ...fresh, ...others.slice(at)];
}

class FileCollector {
  constructor(
    readonly facts: FileFacts,
    readonly kb: Knowledge,
    private readonly annotations: MaskedAnnotation[],
    readonly expander?: MacroExpander,
  ) {}

  /**
   * Walks the tree outside function bodies once, dispatching on the node kinds that carry
   * facts; comments and struct definitions inside bodies come from tree-sitter's own (native)
   * descendant search, which is much cheaper than walking every body node twice, and ERROR
   * nodes from a walk down the subtrees that hold one.
   */
  visitTop(root: CachedNode): void {
    this.collectSuppressions(root);
    this.facts.parseErrors = errorCount(root);
    // Parents travel with the nodes: asking a node for its parent costs a tree walk in wasm.
    const stack: { node: CachedNode; parent: string; topLevel: boolean }[] = [
      { node: root, parent: '', topLevel: false },
    ];
    while (stack.length) {
      const { node, parent, topLevel } = stack.pop()!;
      const type = node.type;
      switch (type) {
        case 'function_definition':
          this.function(node);
          if (STRUCT_BODY_RE.test(node.text)) {
            for (const s of node.descendantsOfType(['struct_specifier', 'union_specifier'])) this.struct(s);
          }
          continue;
        case 'comment':
          continue;
        case 'preproc_def':
          this.flagMacro(node);
          continue;
        case 'struct_specifier':
        case 'union_specifier':
          this.struct(node);
          break;
        case 'type_definition':
          this.typedef(node);
          break;
        case 'declaration':
          if (parent === 'translation_unit' || parent === 'ERROR') this.globalDeclaration(node);
          break;
      }
      if (topLevel) this.fileLocks(node);
      if (!mayHoldTopLevelFacts(node)) continue;
      // Anonymous children (punctuation, keywords) carry no facts and no file locks.
      const children = node.namedChildren;
      // Children of the root, and of an ERROR directly under it, are top level.
      const childTopLevel =
        type === 'translation_unit' || (type === 'ERROR' && parent === 'translation_unit');
      for (let i = children.length - 1; i >= 0; i--)
        stack.push({ node: children[i], parent: type, topLevel: childTopLevel });
    }
  }

  collectSuppressions(root: CachedNode): void {
    if (!root.text.includes('lockscope-ignore')) return;
    for (const c of root.descendantsOfType(['comment'])) this.comment(c);
  }

  visitFunction(node: CachedNode): void {
    this.function(node);
  }

  private comment(node: CachedNode): void {
    const m = SUPPRESS_RE.exec(node.text);
    if (!m) return;
    const rules = m[1].split(/\s*,\s*/);
    const line = node.endPosition.row;
    (this.facts.suppressions[line] ??= []).push(...rules);
  }

  private struct(node: CachedNode, anonymousName?: string): void {
    const name = node.field('name')?.text ?? anonymousName;
    const body = node.field('body');
    if (!name || !body) return;
    const def: StructDef = { name, fields: {} };
    for (const field of body.namedChildren) {
      if (field.type !== 'field_declaration') continue;
      const typeNode = field.field('type');
      for (const decl of field.fields('declarator')) {
        const fieldName = declaratorName(decl);
        if (!fieldName) continue;
        let type = typeName(typeNode);
        if (!type && typeNode && isAnonymousAggregate(typeNode)) {
          // `struct { ... } reset;` inside struct intel_engine_cs: named intel_engine_cs.reset.
          type = `${name}.${fieldName}`;
          this.struct(typeNode, type);
        }
        if (type) setOwn(def.fields, fieldName, type);
      }
    }
    this.facts.structs.push(def);
  }

  /** `#define FOO_ACTIVE BIT(2)`: a value flag guards can test (see analysis/flags). */
  private flagMacro(node: CachedNode): void {
    const name = node.field('name')?.text;
    const value = node.field('value')?.text.trim();
    if (!name || !value || !isFlagValue(value)) return;
    setOwn((this.facts.flagMacros ??= {}), name, value);
  }

  private typedef(node: CachedNode): void {
    const type = typeName(node.field('type'));
    for (const decl of node.fields('declarator')) {
      const name = declaratorName(decl);
      if (name && type) setOwn(this.facts.typedefs, name, type);
    }
  }

  private globalDeclaration(node: CachedNode): void {
    // Asked for on the first variable only: most global declarations are prototypes.
    let type: string | null | undefined = null;
    for (const decl of node.fields('declarator')) {
      const inner = decl.type === 'init_declarator' ? decl.field('declarator') : decl;
      if (inner?.type === 'function_declarator') continue;
      const name = inner ? declaratorName(inner) : undefined;
      if (name && type === null) type = typeName(node.field('type'));
      if (name && type) setOwn(this.facts.globals, name, type);
    }
    this.initializerStores(node, undefined);
  }

  /** `static const struct foo_ops ops = { .bind = foo_bind }`: function addresses stored in fields. */
  initializerStores(node: CachedNode, inFunction: string | undefined): void {
    for (const decl of node.fields('declarator')) {
      if (decl.type !== 'init_declarator') continue;
      const value = decl.field('value');
      // Stores need a `.field =` designator: big tables of numbers or strings have none.
      if (value?.type === 'initializer_list' && value.text.includes('.'))
        this.initializerList(value, typeName(node.field('type')), inFunction);
    }
  }

  private initializerList(
    list: CachedNode,
    structType: string | undefined,
    inFunction: string | undefined,
  ): void {
    // The table's identity: where its initializer starts (FunctionStore.table).
    const at = rangeOf(list);
    const table = `${at.line}:${at.col}`;
    for (const item of list.namedChildren) {
      if (item.type === 'initializer_list') {
        // An array of structs: elements have the declared element type.
        this.initializerList(item, structType, inFunction);
        continue;
      }
      if (item.type !== 'initializer_pair') continue;
      const designators = item.fields('designator');
      const value = item.field('value');
      const last = designators[designators.length - 1];
      if (!last || !value) continue;
      const field = last.type === 'field_designator' ? last.namedChildren[0]?.text : undefined;
      if (!field) continue;
      if (value.type === 'identifier') {
        this.facts.stores.push({
          structType,
          field,
          fn: value.text,
          range: rangeOf(value),
          inFunction,
          table,
        });
      } else if (value.type === 'initializer_list') {
        // Nested struct field: its type is unknown here; field names still match ops tables.
        this.initializerList(value, undefined, inFunction);
      }
    }
  }

  private fileLocks(node: CachedNode): void {
    const text = node.type === 'function_definition' ? '' : node.text;
    const re = /\b([A-Z_]+)\s*\(\s*(\w+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const def = this.kb.lockDefinition(m[1]);
      if (!def) continue;
      const isStatic = /\bstatic\s+$/.test(text.slice(0, m.index));
      const lock: FileLock = { name: m[2], kind: def.kind, range: rangeOf(node), isStatic };
      if (!this.facts.fileLocks.some((l) => l.name === lock.name)) this.facts.fileLocks.push(lock);
    }
  }

  /** Lock annotations written between a function's first line and its body. */
  private headerAnnotations(
    firstLine: number,
    bodyLine: number,
  ): { mustHold: Arg[]; acquires: Arg[]; releases: Arg[] } {
    const out = { mustHold: [] as Arg[], acquires: [] as Arg[], releases: [] as Arg[] };
    for (const a of this.annotations) {
      if (a.line < firstLine || a.line > bodyLine || a.arg === undefined) continue;
      const arg = argFromText(a.arg);
      if (a.macro === '__must_hold') out.mustHold.push(arg);
      else if (a.macro === '__acquires' || a.macro === '__cond_acquires') out.acquires.push(arg);
      else if (a.macro === '__releases' || a.macro === '__cond_releases') out.releases.push(arg);
    }
    return out;
  }

  private function(node: CachedNode): void {
    const declarator = node.field('declarator');
    const fnDecl = declarator ? findFunctionDeclarator(declarator) : undefined;
    const nameNode = fnDecl?.field('declarator');
    const body = node.field('body');
    if (!fnDecl || !nameNode || !body) return;
    const name = declaratorName(nameNode);
    if (!name) return;
    const params = parameters(fnDecl.field('parameters'));
    const header = node.text.slice(0, body.startIndex - node.startIndex);
    const annotations = this.headerAnnotations(node.startPosition.row, body.startPosition.row);
    const fn: FunctionIR = {
      name,
      range: rangeOf(node),
      nameRange: rangeOf(nameNode),
      isStatic: /\bstatic\b/.test(header.slice(0, header.indexOf(name))),
      params,
      locals: {},
      returnType: typeName(node.field('type')),
      blocks: [],
      mustHold: annotations.mustHold,
      acquiresAnnot: annotations.acquires,
      releasesAnnot: annotations.releases,
    };
    if (isCallsOnly(body)) fn.callsOnly = true;
    const builder = new FunctionBuilder(fn, this);
    builder.lowerBody(body);
    this.facts.functions.push(fn);
  }
}

/**
 * The ERROR nodes in a tree. tree-sitter's own descendant search visits every node, which costs
 * a fifth of a parse, so it only runs on ERROR subtrees; elsewhere only nodes that hold an
 * error (or a missing node) are entered. Inside an ERROR, nested ERRORs (single unlexable
 * characters) may not count as holding an error, hence the search there.
 */
function errorCount(root: CachedNode): number {
  if (!root.hasError) return 0;
  let count = 0;
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.type === 'ERROR') count += node.descendantsOfType(['ERROR']).length;
    // Anonymous children are tokens: an ERROR is named, and so is any node holding one.
    else if (node === root || node.hasError) stack.push(...node.namedChildren);
  }
  return count;
}

/**
 * Whether a subtree outside function bodies can hold a function, a struct or union body, a
 * typedef or an ERROR node: all need a `{`, the word `typedef` or a syntax error. Most global
 * declarations, prototypes, macros and scalar initializers have none and are not walked.
 * Initializer and enumerator lists always hold a `{`: tree-sitter's native search looks
 * inside these big tables for a fraction of the cost of walking them.
 */
function mayHoldTopLevelFacts(node: CachedNode): boolean {
  if (CONTAINERS.has(node.type)) return true;
  if (TOKENS.has(node.type)) return false;
  if (node.type === 'initializer_list' || node.type === 'enumerator_list')
    return node.hasError || node.descendantsOfType(TOP_LEVEL_FACT_KINDS).length > 0;
  const text = node.text;
  return text.includes('{') || text.includes('typedef') || node.hasError;
}

/** `x & FLAG` (a variable and a constant's name): [x, FLAG]. */
function flagTest(node: CachedNode): [string, string] | undefined {
  if (node.type !== 'binary_expression') return undefined;
  const left = node.field('left');
  const right = node.field('right');
  if (left?.type !== 'identifier' || right?.type !== 'identifier') return undefined;
  return binaryOperator(node, left, right) === '&' ? [left.text, right.text] : undefined;
}

function isAnonymousAggregate(node: CachedNode): boolean {
  return (node.type === 'struct_specifier' || node.type === 'union_specifier') && !node.field('name');
}

function findFunctionDeclarator(node: CachedNode): CachedNode | undefined {
  let cur: CachedNode | null = node;
  while (cur) {
    if (cur.type === 'function_declarator') {
      // `int (*get_fn(void))(int)`: the outermost function_declarator names a function pointer.
      const inner = cur.field('declarator');
      if (inner && inner.type !== 'identifier') {
        const deeper = findFunctionDeclarator(inner);
        if (deeper) return deeper;
      }
      return cur;
    }
    cur = cur.field('declarator');
  }
  return undefined;
}

function parameters(list: CachedNode | null): Param[] {
  if (!list) return [];
  const out: Param[] = [];
  for (const p of list.namedChildren) {
    if (p.type !== 'parameter_declaration') continue;
    const simple = simpleParameter(p);
    if (simple) {
      out.push(simple);
      continue;
    }
    const decl = p.field('declarator');
    const name = decl ? declaratorName(decl) : undefined;
    const type = typeName(p.field('type'));
    if (!name && type === 'void') continue;
    out.push({ name: name ?? `_arg${out.length}`, type });
  }
  return out;
}

/** An argument known only as text (annotations): a small path parser for `&a->b.c`. */
export function argFromText(raw: string): Arg {
  const text = normaliseText(raw);
  const m = /^[&*(\s]*([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*|\[[^\]]*\])*)\)?\s*$/.exec(text);
  if (!m) return compactArg(text, undefined);
  const fields = [...m[2].matchAll(/(?:->|\.)\s*([A-Za-z_]\w*)/g)].map((f) => f[1]);
  return compactArg(text, { root: { kind: 'var', name: m[1] }, fields });
}

/** The declared name inside a declarator (through pointers, arrays, parentheses, attributes). */
export function declaratorName(node: CachedNode): string | undefined {
  let cur: CachedNode | null = node;
  for (let depth = 0; cur && depth < 32; depth++) {
    if (cur.type === 'identifier' || cur.type === 'field_identifier' || cur.type === 'type_identifier')
      return cur.text;
    const next: CachedNode | null =
      cur.field('declarator') ?? cur.namedChildren.find((c) => c.type !== 'attribute_specifier') ?? null;
    cur = next;
  }
  return undefined;
}

/** The type name that lock classes use: struct tag or typedef name, qualifiers and pointers dropped. */
export function typeName(node: CachedNode | null): string | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'struct_specifier':
    case 'union_specifier':
    case 'enum_specifier':
      return node.field('name')?.text;
    case 'type_identifier':
    case 'primitive_type':
    case 'sized_type_specifier':
      return node.text;
    case 'type_descriptor':
      return typeName(node.field('type'));
    default:
      return node.text.replace(/\b(const|volatile|struct|union|enum)\b|\*/g, '').trim() || undefined;
  }
}

interface Scope {
  guards: { unlock: string; args: Arg[]; range: Range }[];
}

interface LoopTarget {
  brk: number;
  cont?: number;
  scopeDepth: number;
  /** What a `break` out of a counted loop knows (its index is not at the bound yet). */
  brkCond?: Condition;
}

/**
 * Builds one function's CFG. `cur` is the block statements append to; undefined after a jump
 * (code there is unreachable until a label or case starts a new block).
 */
class FunctionBuilder {
  private readonly blocks: Block[];
  private cur: number | undefined;
  private readonly scopes: Scope[] = [];
  private readonly loops: LoopTarget[] = [];
  private readonly labels = new Map<string, number>();
  private readonly gotos: { from: number; label: string }[] = [];
  private readonly localNames = new Set<string>();
  /** `i==n` for each counted loop seen so far (`for (i = 0; i < n; i++)`), see countedLoop. */
  private readonly loopBounds = new Set<string>();
  /** Locals initialised from a path of another variable, where (see aliases). */
  private readonly aliasInits = new Map<string, { path: AccessPath; block: number; event: number }>();
  /** Field aliases made by a store (`s.h = api->m;`) rather than an initializer. */
  private readonly storedAliases = new Set<string>();
  /** Assignments that stand for a call given the variable's address (`foo_seize(&s)`). */
  private readonly byAddress = new Set<LoweredEvent>();
  /** Locals declared as pointers. */
  private readonly pointers = new Set<string>();
  /** Calls emitted so far: the next call's ordinal. */
  private calls = 0;
  /** The unknown macro whose arguments are being lowered (CallEvent.inArgsOf). */
  private unknownMacro: string | undefined;
  /**
   * While a macro's expansion is lowered: the invocation's range, which everything it emits
   * takes (diagnostics stay on the line the user wrote).
   */
  private origin: Range | undefined;
  /** The next statement is a block macro's loop: see expandStatement. */
  private bodyFirst = false;
  /** Lowering an `if`'s condition (see predicate). */
  private askingIf = false;
  /** The macros being expanded, outermost first: none is expanded inside itself. */
  private expanding: string[] = [];
  /**
   * A block macro's body, lowered where its expansion has BODY_PLACEHOLDER: user code, read
   * with the origin and the macros being expanded where the invocation stands.
   */
  private placeholder:
    | {
        body: CachedNode;
        origin: Range | undefined;
        expanding: string[];
        outer: FunctionBuilder['placeholder'];
      }
    | undefined;

  constructor(
    private readonly fn: FunctionIR,
    private readonly file: FileCollector,
  ) {
    this.blocks = fn.blocks;
    for (const p of fn.params) this.localNames.add(p.name);
  }

  lowerBody(body: CachedNode): void {
    this.cur = this.newBlock();
    this.compound(body);
    this.aliases(body.text);
    if (this.cur !== undefined) {
      const end = rangeOf(body);
      this.blocks[this.cur].exit = {
        line: end.endLine,
        col: Math.max(0, end.endCol - 1),
        endLine: end.endLine,
        endCol: end.endCol,
      };
    }
    for (const g of this.gotos) {
      const target = this.labels.get(g.label);
      if (target !== undefined) this.edge(g.from, target);
      else this.blocks[g.from].exit ??= this.fn.range; // goto into a macro we could not see: treat as exit
    }
  }

  private range(node: CachedNode): Range {
    return this.origin ?? rangeOf(node);
  }

  /**
   * The expansion of a call to a workspace macro worth expanding (not one being expanded, and
   * not deeper than MAX_EXPANSION_NESTING), with the macro's name.
   */
  private expansion(call: CachedNode, name: string | undefined): { name: string; text: string } | undefined {
    const expander = this.file.expander;
    if (!expander || !name || this.expanding.length >= MAX_EXPANSION_NESTING || this.expanding.includes(name))
      return undefined;
    const def = expander.expandable(name);
    const text = def && expander.loweredExpansion(def, call.text);
    return text === undefined ? undefined : { name, text };
  }

  /** Lowers `lower` as the expansion of `name` invoked at `call`. */
  private within(name: string, call: CachedNode, lower: () => void): void {
    const origin = this.origin;
    this.origin ??= rangeOf(call);
    this.expanding.push(name);
    try {
      lower();
    } finally {
      this.expanding.pop();
      this.origin = origin;
    }
  }

  /**
   * `FOO(x, return -EINVAL);`, `with_foo(a, b) { body }`: the expansion's statements in place
   * of the invocation, the body where a loop header's expansion expects it. False when `call`
   * is no such invocation.
   */
  private expandStatement(call: CachedNode, body?: CachedNode): boolean {
    const name = /^[A-Za-z_]\w*/.exec(call.text)?.[0];
    const expanded = this.expansion(call, name);
    const shape = expanded && !body ? this.callShapeOf(expanded.text) : undefined;
    if (expanded && shape) {
      this.within(expanded.name, call, () => this.callFromText(shape, undefined));
      return true;
    }
    const statements = expanded && this.file.expander!.statements(expanded.text, body !== undefined);
    if (!expanded || !statements) return false;
    const here = { origin: this.origin, expanding: [...this.expanding] };
    this.within(expanded.name, call, () => {
      const outer = this.placeholder;
      if (body) this.placeholder = { body, ...here, outer };
      // A block macro's loop (`with_foo_lock(f, w) { }`, `for_foo_ww(&ww, err) { }`) takes a
      // resource in its first step and gives it back in its update: its body runs at least
      // once, or the path around it would leave holding what it took.
      this.bodyFirst = body !== undefined;
      this.statementList(statements);
      this.bodyFirst = false;
      this.placeholder = outer;
    });
    return true;
  }

  /** The body written after a block macro, where its expansion has the placeholder. */
  private placeholderBody(): void {
    const p = this.placeholder!;
    const { origin, expanding } = this;
    this.origin = p.origin;
    this.expanding = p.expanding;
    this.placeholder = p.outer;
    try {
      this.statement(p.body);
    } finally {
      this.placeholder = p;
      this.origin = origin;
      this.expanding = expanding;
    }
  }

  private newBlock(): number {
    this.blocks.push({ events: [], succ: [] });
    return this.blocks.length - 1;
  }

  private edge(from: number, to: number, cond?: Condition): void {
    this.blocks[from].succ.push(cond ? { to, cond } : { to });
  }

  /** The block to append to, starting an unreachable one after a jump. */
  private block(): number {
    if (this.cur === undefined) this.cur = this.newBlock();
    return this.cur;
  }

  private emitCall(call: Omit<CallEvent, 'n'>): number {
    const b = this.block();
    if (this.unknownMacro) call.inArgsOf = this.unknownMacro;
    this.blocks[b].events.push(Object.assign(call, { n: this.calls++ }));
    return this.blocks[b].events.length - 1;
  }

  // ---- statements ----

  private compound(node: CachedNode): void {
    this.scopes.push({ guards: [] });
    this.statementList(node.namedChildren);
    this.closeScope(this.scopes.pop()!);
  }

  /** Emits the releases of a scope's guards (innermost first) on the current path. */
  private closeScope(scope: Scope): void {
    if (this.cur === undefined) return;
    for (const g of [...scope.guards].reverse()) {
      this.emitCall({ kind: 'call', callee: g.unlock, args: g.args, range: g.range, synthetic: true });
    }
  }

  private releaseScopesDownTo(depth: number): void {
    for (let i = this.scopes.length - 1; i >= depth; i--) this.closeScope(this.scopes[i]);
  }

  private statementList(nodes: CachedNode[]): void {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const macro = blockMacroCall(node, nodes[i + 1]) ?? this.headerMacroCall(node, nodes[i + 1]);
      if (macro) {
        this.blockMacro(macro, nodes[i + 1]);
        i++;
        continue;
      }
      this.statement(node);
    }
  }

  /**
   * `with_foo(a, b) stmt` with a body that is no block: a workspace macro expanding to a loop or
   * `if` header, read without its `;`, and the statement it heads.
   */
  private headerMacroCall(node: CachedNode, next: CachedNode | undefined): CachedNode | undefined {
    const expander = this.file.expander;
    if (!expander || node.type !== 'expression_statement' || !next || !isStatementNode(next))
      return undefined;
    const call = node.namedChildren[0];
    const name = call?.type === 'call_expression' ? /^[A-Za-z_]\w*/.exec(call.text)?.[0] : undefined;
    const def = name ? expander.expandable(name) : undefined;
    if (!def || !LOOP_HEADER_RE.test(def.body)) return undefined;
    return !node.text.trimEnd().endsWith(';') || node.hasMissingChild() ? call : undefined;
  }

  /** `scoped_guard(type, &x) stmt`, `list_for_each_entry(...) stmt` and other block macros. */
  private blockMacro(call: CachedNode, body: CachedNode): void {
    if (this.expandStatement(call, body)) return;
    const name = call.field('function')?.text ?? '';
    const args = call.field('arguments')?.namedChildren ?? [];
    if (name === 'scoped_guard' || name === 'scoped_cond_guard') {
      const guard = this.file.kb.guard(args[0]?.text ?? '');
      const lockArgs = args.slice(name === 'scoped_guard' ? 1 : 2).map((a) => this.arg(a));
      if (guard) this.emitCall({ kind: 'call', callee: guard.lock, args: lockArgs, range: this.range(call) });
      this.scopes.push({
        guards: guard ? [{ unlock: guard.unlock, args: lockArgs, range: this.range(body) }] : [],
      });
      this.statement(body);
      this.closeScope(this.scopes.pop()!);
      return;
    }
    // An iterator: the body runs zero or more times, its cursor variables change each time.
    for (const a of args) this.expression(a);
    const cursors = args.filter((a) => a.type === 'identifier').map((a) => a.text);
    this.loop(body, undefined, undefined, cursors, true);
  }

  private loop(
    body: CachedNode,
    cond: CachedNode | null | undefined,
    update?: CachedNode | null,
    cursors: string[] = [],
    iterator = false,
    bodyFirst = false,
    counted?: string,
    walked?: string,
  ): void {
    const head = this.newBlock();
    const entry = this.block();
    for (const name of cursors) this.blocks[head].events.push({ kind: 'assign', name });
    const after = this.newBlock();
    const bodyStart = this.newBlock();
    // `bodyFirst`: the condition is first tested after one pass through the body.
    this.edge(entry, bodyFirst ? bodyStart : head);
    this.cur = head;
    const testFirst = this.blocks.length;
    if (counted) {
      // `for (i = 0; i < n; i++)`: the loop runs out with i == n (a `break` leaves with i != n).
      this.edge(head, bodyStart);
      this.edge(head, after, { atom: counted, truthy: true });
    } else if (cond) this.condition(cond, bodyStart, after);
    else {
      // No condition: an iterator macro may run zero times; `for (;;)` leaves only by break.
      this.edge(head, bodyStart);
      if (cursors.length || iterator) this.edge(head, after);
    }
    const testEnd = this.blocks.length;
    const cont = this.newBlock();
    const brkCond: Condition | undefined = counted ? { atom: counted, truthy: false } : undefined;
    this.loops.push({ brk: after, cont, scopeDepth: this.scopes.length, ...(brkCond ? { brkCond } : {}) });
    this.cur = bodyStart;
    this.statement(body);
    this.loops.pop();
    if (this.cur !== undefined) this.edge(this.cur, cont);
    this.cur = cont;
    if (update) this.expression(update);
    this.edge(this.block(), head);
    // Where the loop runs out (not a `break`): a walk over objects (an iterator's cursors,
    // `for (t = first; t; t = t->next)`) releases what a lock-all walk left held (CallEvent.walkEnd).
    const unlocks = this.elementUnlocks(bodyStart, walked ? [walked] : cursors);
    if (unlocks.length) {
      const walkEnd = this.newBlock();
      this.blocks[walkEnd].events.push(...unlocks);
      this.edge(walkEnd, after);
      for (const b of [head, ...Array.from({ length: testEnd - testFirst }, (_, i) => testFirst + i)])
        for (const e of this.blocks[b].succ) if (e.to === after) e.to = walkEnd;
    }
    this.cur = after;
  }

  /**
   * CallEvent.walkEnd copies of a loop's unlocks of a cursor's lock (in its blocks from `first`
   * on), and of those of the walks nested in it: a loop that never ran walked nothing.
   */
  private elementUnlocks(first: number, cursors: string[]): CallEvent[] {
    const copies: CallEvent[] = [];
    // One copy per unlock text: nested walks' copies repeat each other.
    const seen = new Set<string>();
    for (const block of this.blocks.slice(first))
      for (const e of block.events) {
        if (e.kind !== 'call' || !e.callee) continue;
        const onCursor =
          e.walkEnd ||
          lockOps(this.file.kb.fact(e.callee), 'release').some((op) => {
            const arg = op.arg === undefined ? undefined : e.args[op.arg];
            const root = arg && argPath(arg)?.root;
            return root?.kind === 'var' && cursors.includes(root.name);
          });
        if (!onCursor) continue;
        const text = `${e.callee}(${e.args.map((a) => a.text).join(',')})`;
        if (seen.has(text)) continue;
        seen.add(text);
        copies.push({ ...e, n: this.calls++, synthetic: true, walkEnd: true });
      }
    return copies;
  }

  private statement(node: CachedNode): void {
    const bodyFirst = this.bodyFirst;
    this.bodyFirst = false;
    switch (node.type) {
      case 'compound_statement':
        return this.compound(node);
      case 'expression_statement':
        if (this.placeholder && node.text === `${BODY_PLACEHOLDER};`) return this.placeholderBody();
        return this.expressionStatement(node);
      case 'declaration':
        return this.declaration(node);
      case 'if_statement':
        return this.ifStatement(node);
      case 'while_statement':
        return this.loop(node.field('body')!, node.field('condition'), undefined, [], false, bodyFirst);
      case 'for_statement': {
        const init = node.field('initializer');
        if (init) {
          if (init.type === 'declaration') this.declaration(init);
          else this.expression(init);
        }
        const body = node.field('body');
        const cond = node.field('condition');
        const counted = body ? countedLoop(init, cond, node.field('update'), body) : undefined;
        if (counted) this.loopBounds.add(counted);
        if (body) this.loop(body, cond, node.field('update'), [], false, bodyFirst, counted, walkedVar(node));
        return;
      }
      case 'do_statement':
        return this.doStatement(node);
      case 'switch_statement':
        return this.switchStatement(node);
      case 'case_statement':
        return this.caseStatement(node, undefined);
      case 'break_statement':
        return this.jumpToLoop('brk');
      case 'continue_statement':
        return this.jumpToLoop('cont');
      case 'return_statement':
        return this.returnStatement(node);
      case 'goto_statement': {
        const label = node.field('label')?.text;
        if (label) {
          this.releaseScopesDownTo(1);
          this.gotos.push({ from: this.block(), label });
        }
        this.cur = undefined;
        return;
      }
      case 'labeled_statement': {
        const label = node.field('label')?.text;
        const target = this.newBlock();
        if (this.cur !== undefined) this.edge(this.cur, target);
        if (label) this.labels.set(label, target);
        this.cur = target;
        this.statementList(node.namedChildren.filter((c) => c.type !== 'statement_identifier'));
        return;
      }
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
        return this.preprocessor(node);
      case 'attributed_statement':
        return this.statementList(node.namedChildren.filter((c) => c.type !== 'attribute_declaration'));
      case 'ERROR':
        // Analyse what parses inside an ERROR node: statements as statements, the rest as expressions.
        return this.statementList(node.namedChildren);
      case 'comment':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
      case 'type_definition':
      case 'struct_specifier':
        return;
      default:
        this.expression(node);
    }
  }

  private expressionStatement(node: CachedNode): void {
    const expr = node.namedChildren[0];
    if (!expr) return;
    // `seize.h = api->m;` on a local descriptor, its one store to that field: an alias of `api->m`.
    const store = FIELD_STORE_RE.exec(node.text);
    if (store && ownString(this.fn.locals, store[1]) !== undefined && !this.pointers.has(store[1])) {
      const key = `${store[1]}.${store[2]}`;
      if (!this.aliasInits.has(key) && SIMPLE_PATH_RE.test(store[3])) {
        this.aliasCandidate(key, normaliseText(store[3]));
        this.storedAliases.add(key);
      }
    }
    const guard = guardCall(expr);
    if (guard) {
      const kbGuard = this.file.kb.guard(guard.type);
      if (kbGuard) {
        const args = guard.args.map((a) => this.arg(a));
        this.emitCall({ kind: 'call', callee: kbGuard.lock, args, range: this.range(expr) });
        this.scopes[this.scopes.length - 1]?.guards.push({
          unlock: kbGuard.unlock,
          args,
          range: this.range(expr),
        });
      }
      return;
    }
    if (expr.type === 'call_expression' && this.expandStatement(expr)) return;
    for (const child of node.namedChildren) this.expression(child);
  }

  private declaration(node: CachedNode): void {
    const simple = simpleDeclaration(node);
    if (simple) {
      simple.names.forEach((name, i) => {
        const init = simple.inits[i];
        if (init?.startsWith('{')) this.fieldAliasCandidates(name, init);
        else if (init !== undefined) this.aliasCandidate(name, init);
        this.localNames.add(name);
        if (simple.pointers[i]) this.pointers.add(name);
        setOwn(this.fn.locals, name, simple.type);
        this.assign(name, init === undefined ? undefined : this.textValue(init, simple.pointers[i]));
      });
      return;
    }
    const type = typeName(node.field('type'));
    this.file.initializerStores(node, this.fn.name);
    for (const decl of node.fields('declarator')) {
      const inner = decl.type === 'init_declarator' ? decl.field('declarator') : decl;
      const name = inner ? declaratorName(inner) : undefined;
      const pointer = inner?.type === 'pointer_declarator';
      if (name) {
        this.localNames.add(name);
        if (pointer) this.pointers.add(name);
        if (type) setOwn(this.fn.locals, name, type);
      }
      // `guard`-style cleanup declarations are not used for locks; only initializers matter.
      const value = decl.type === 'init_declarator' ? decl.field('value') : null;
      if (value && value.type !== 'initializer_list') this.expression(value, name);
      if (name && value && SIMPLE_PATH_RE.test(value.text))
        this.aliasCandidate(name, normaliseText(value.text));
      if (name && value?.type === 'initializer_list') this.fieldAliasCandidates(name, value.text);
      if (name && !(value && isCallAssignmentValue(value)))
        this.assign(name, value ? this.plainValue(value, pointer) : undefined);
    }
  }

  /** An assignment event; `unlock = true` also says what the variable now tests as. */
  private ifStatement(node: CachedNode): void {
    const cond = node.field('condition');
    const then = node.field('consequence');
    const alt = node.field('alternative');
    const thenBlock = this.newBlock();
    const elseBlock = this.newBlock();
    const join = this.newBlock();
    if (cond) {
      const asking = this.askingIf;
      this.askingIf = true;
      this.condition(cond, thenBlock, elseBlock);
      this.askingIf = asking;
    } else {
      this.edge(this.block(), thenBlock);
      this.edge(this.block(), elseBlock);
    }
    this.cur = thenBlock;
    if (then) this.statement(then);
    if (this.cur !== undefined) this.edge(this.cur, join);
    this.cur = elseBlock;
    if (alt) {
      const inner = alt.type === 'else_clause' ? alt.namedChildren : [alt];
      this.statementList(inner);
    }
    if (this.cur !== undefined) this.edge(this.cur, join);
    this.cur = join;
  }

  private doStatement(node: CachedNode): void {
    const body = node.field('body');
    const cond = node.field('condition');
    const start = this.newBlock();
    this.edge(this.block(), start);
    const after = this.newBlock();
    const cont = this.newBlock();
    this.loops.push({ brk: after, cont, scopeDepth: this.scopes.length });
    this.cur = start;
    if (body) this.statement(body);
    this.loops.pop();
    if (this.cur !== undefined) this.edge(this.cur, cont);
    this.cur = cont;
    // `do { } while (0)` (macro bodies) runs once: no back edge.
    if (cond && !/^\(\s*0\s*\)$/.test(cond.text)) this.condition(cond, start, after);
    else this.edge(cont, after);
    this.cur = after;
  }

  private switchStatement(node: CachedNode): void {
    const cond = node.field('condition');
    // `switch (mutex_trylock_recursive(&m))`: each case edge says which value the call returned.
    let call: number | undefined;
    if (cond) {
      const before = this.eventCount();
      this.expression(cond);
      if (stripParens(cond).type === 'call_expression') call = this.lastCall(before);
    }
    const dispatch = this.block();
    const after = this.newBlock();
    this.loops.push({ brk: after, scopeDepth: this.scopes.length });
    this.cur = undefined;
    let hasDefault = false;
    const body = node.field('body');
    const cases = (body?.namedChildren ?? []).filter((c) => c.type === 'case_statement');
    const labels = cases.flatMap((c) => {
      const value = c.field('value');
      return value ? [normaliseText(value.text)] : [];
    });
    // `switch (block)` on a variable with named constants for labels: each edge says which.
    const variable = call === undefined && cond ? stripParens(cond) : undefined;
    const byName =
      variable?.type === 'identifier' && labels.length > 0 && labels.every((l) => CONSTANT_NAME_RE.test(l))
        ? variable.text
        : undefined;
    const edgeFor = (value: string | undefined): Condition | undefined =>
      call !== undefined
        ? caseCondition(call, value, labels)
        : byName !== undefined
          ? nameCaseCondition(byName, value, labels)
          : undefined;
    this.scopes.push({ guards: [] });
    for (const child of body?.namedChildren ?? []) {
      if (child.type === 'case_statement') {
        const value = child.field('value');
        if (!value) hasDefault = true;
        this.caseStatement(child, dispatch, edgeFor(value ? normaliseText(value.text) : undefined));
      } else this.statement(child);
    }
    this.closeScope(this.scopes.pop()!);
    this.loops.pop();
    if (this.cur !== undefined) this.edge(this.cur, after);
    if (!hasDefault) this.edge(dispatch, after, edgeFor(undefined));
    this.cur = after;
  }

  private caseStatement(node: CachedNode, dispatch: number | undefined, cond?: Condition): void {
    const start = this.newBlock();
    if (dispatch !== undefined) this.edge(dispatch, start, cond);
    if (this.cur !== undefined) this.edge(this.cur, start); // fall through
    this.cur = start;
    const value = node.field('value');
    this.statementList(node.namedChildren.filter((c) => c !== value && c.id !== value?.id));
  }

  private jumpToLoop(kind: 'brk' | 'cont'): void {
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const target = this.loops[i][kind];
      if (target === undefined) continue;
      this.releaseScopesDownTo(this.loops[i].scopeDepth);
      this.edge(this.block(), target, kind === 'brk' ? this.loops[i].brkCond : undefined);
      break;
    }
    this.cur = undefined;
  }

  private returnStatement(node: CachedNode): void {
    const children = node.namedChildren;
    const choice = children.length === 1 ? stripParens(children[0]) : undefined;
    if (choice?.type === 'conditional_expression') {
      // `return err ? ERR_PTR(err) : rq;`: two returns, so each knows what it returns.
      const cond = choice.field('condition');
      const then = choice.field('consequence');
      const otherwise = choice.field('alternative');
      if (cond && then && otherwise) {
        const t = this.newBlock();
        const f = this.newBlock();
        this.condition(cond, t, f);
        this.cur = t;
        this.returnValue(node, then);
        this.cur = f;
        this.returnValue(node, otherwise);
        return;
      }
    }
    if (children.length === 1) return this.returnValue(node, children[0]);
    for (const child of children) this.expression(child);
    this.releaseScopesDownTo(0);
    this.blocks[this.block()].exit = this.range(node);
    this.cur = undefined;
  }

  /** A return of `value` (the whole returned expression, or an arm of `c ? a : b`). */
  private returnValue(node: CachedNode, value: CachedNode): void {
    this.expression(value);
    const ret = this.valueOf(value);
    this.releaseScopesDownTo(0);
    const block = this.blocks[this.block()];
    block.exit = this.range(node);
    if (ret) block.ret = ret;
    this.cur = undefined;
  }

  /**
   * `struct foo *tl = ce->timeline;` (before its assignment event is emitted): a candidate
   * alias of `ce->timeline`, when `ce` is a parameter or a local declared before.
   */
  private aliasCandidate(name: string, text: string): void {
    const path = simplePath(text);
    if (!path || path.root.kind !== 'var' || path.fields.length === 0) return;
    // `s.h` of a path through `s` itself would lead back to it.
    if (!this.localNames.has(path.root.name) || path.root.name === name.split('.')[0]) return;
    const block = this.block();
    this.aliasInits.set(name, { path, block, event: this.blocks[block].events.length });
  }

  /**
   * `struct foo_seize s = { .h = api->m };`: candidate aliases of its fields (`s.h` of `api->m`),
   * so that a lock reached through `s.h` is `api->m`'s.
   */
  private fieldAliasCandidates(name: string, init: string): void {
    for (const m of init.matchAll(DESIGNATED_FIELD_RE))
      if (SIMPLE_PATH_RE.test(m[2])) this.aliasCandidate(`${name}.${m[1]}`, normaliseText(m[2]));
  }

  /**
   * The candidates that stayed aliases: never assigned but at their declaration, and their
   * root never assigned in a later block (blocks are made in source order; a loop cursor
   * assigned in the loop's head comes before a body that declares the alias again).
   */
  private aliases(body: string): void {
    if (this.aliasInits.size === 0) return;
    const bad = new Set<string>();
    for (const name of this.aliasInits.keys()) {
      // A field alias (`s.h`) holds while nothing else stores to that field (stores are no events).
      const [root, field] = name.split('.');
      if (field === undefined) continue;
      const stores =
        body.match(new RegExp(`\\b${root}\\s*(?:\\.|->)\\s*${field}\\s*=[^=]`, 'g'))?.length ?? 0;
      if (stores > (this.storedAliases.has(name) ? 1 : 0)) bad.add(name);
    }
    this.blocks.forEach((block, b) =>
      block.events.forEach((e, i) => {
        const name = assignedName(e);
        if (name === undefined) return;
        const own = this.aliasInits.get(name);
        if (own && !(own.block === b && own.event === i)) bad.add(name);
        for (const [alias, at] of this.aliasInits) {
          const from = (first: number) => b > at.block || (b === at.block && i >= first);
          // Its path's root assigned later: the alias no longer holds that path.
          if (at.path.root.kind === 'var' && at.path.root.name === name && from(at.event + 1)) bad.add(alias);
          // The struct of a field alias assigned after the alias was made (its initializer is
          // the declaration's own event); a descriptor handed to a call by address is read.
          else if (
            alias.startsWith(`${name}.`) &&
            !this.byAddress.has(e) &&
            from(this.storedAliases.has(alias) ? at.event : at.event + 1)
          )
            bad.add(alias);
        }
      }),
    );
    for (const [name, at] of this.aliasInits)
      if (!bad.has(name)) setOwn((this.fn.aliases ??= {}), name, at.path);
  }

  /** An assignment event, with the assigned value when the analysis can follow it. */
  private assign(name: string, value: ValueExpr | undefined): void {
    this.blocks[this.block()].events.push(value ? { kind: 'assign', name, value } : { kind: 'assign', name });
  }

  /**
   * A constant's range or a local variable, from an initializer's or assigned value's text. A
   * pointer taken from memory (`ce->timeline`, `&d->engine`) is no error pointer: kernel code
   * keeps ERR_PTR values in locals, returns them, and tests them at once.
   */
  private textValue(text: string, pointer = false): ValueExpr | undefined {
    const values = constantValues(text);
    if (values !== undefined) return { values };
    if (this.localNames.has(text)) return { var: text };
    if (!pointer) return undefined;
    if (ADDRESS_RE.test(text)) return { values: POSITIVE };
    return MEMORY_READ_RE.test(text) ? { values: ZERO | POSITIVE } : undefined;
  }

  /** The value of an expression that emits no event: a constant, a local variable, a pointer read. */
  private plainValue(node: CachedNode, pointer = false): ValueExpr | undefined {
    const inner = unwrapValue(node);
    return inner.type === 'call_expression' ? undefined : this.textValue(normaliseText(inner.text), pointer);
  }

  /**
   * What a returned expression is, after its events were emitted: a constant, a local variable,
   * or the call it ends with (the current block's last event, when that is this call).
   */
  private valueOf(node: CachedNode): ValueExpr | undefined {
    const inner = unwrapValue(node);
    if (inner.type !== 'call_expression') return this.plainValue(inner);
    if (this.cur === undefined) return undefined;
    const events = this.blocks[this.cur].events;
    const last = events[events.length - 1];
    const r = this.range(inner);
    return last?.kind === 'call' && !last.synthetic && sameRange(last.range, r)
      ? { call: events.length - 1 }
      : undefined;
  }

  /**
   * An arm the configuration left undecided (preprocess/blank removed the decided ones): each
   * arm is a possible path.
   */
  private preprocessor(node: CachedNode): void {
    const dispatch = this.block();
    const join = this.newBlock();
    const alternative = node.field('alternative');
    const ownStatements = node.namedChildren.filter(
      (c) =>
        c.id !== alternative?.id && c.id !== node.field('name')?.id && c.id !== node.field('condition')?.id,
    );
    // The configuration did not decide the condition, but it is one configuration: the same
    // condition asked again in this function takes the same arm (`#if X` around the lock and
    // `#if X` around its unlock).
    const asked = directiveCondition(node);
    this.cur = this.newBlock();
    this.edge(dispatch, this.cur, asked && { atom: asked.atom, truthy: asked.truthy });
    this.statementList(ownStatements);
    if (this.cur !== undefined) this.edge(this.cur, join);
    this.cur = this.newBlock();
    this.edge(dispatch, this.cur, asked && { atom: asked.atom, truthy: !asked.truthy });
    if (alternative) {
      if (alternative.type === 'preproc_else') this.statementList(alternative.namedChildren);
      else this.preprocessor(alternative);
    }
    if (this.cur !== undefined) this.edge(this.cur, join);
    this.cur = join;
  }

  // ---- conditions ----

  /** Lowers a branch condition with short-circuit evaluation into edges to `t` and `f`. */
  private condition(node: CachedNode, t: number, f: number): void {
    const expr = stripParens(node);
    if (expr.type === 'binary_expression') {
      const left = expr.field('left');
      const right = expr.field('right');
      const op = binaryOperator(expr, left, right);
      if ((op === '&&' || op === '||') && left && right) {
        const mid = this.newBlock();
        if (op === '&&') this.condition(left, mid, f);
        else this.condition(left, t, mid);
        this.cur = mid;
        this.condition(right, t, f);
        return;
      }
    }
    if (expr.type === 'unary_expression' && isNegation(expr)) {
      const arg = expr.field('argument');
      if (arg) return this.condition(arg, f, t);
    }
    // likely(x), WARN_ON(x): the branch is on x.
    const tested = expr.type === 'call_expression' ? this.testedArgument(expr) : undefined;
    if (tested && !tested.trueFor && !tested.flag) return this.condition(tested.arg, t, f);
    const constant = /^(true|false|\d+)$/.test(expr.text)
      ? expr.text !== 'false' && expr.text !== '0'
      : expr.type === 'call_expression'
        ? this.file.expander?.constantOf(expr.text)
        : undefined;
    if (constant !== undefined) {
      // `while (1)`, `if (0)`: only one edge exists.
      this.edge(this.block(), constant ? t : f);
      this.cur = undefined;
      return;
    }
    const { test, negate } = this.conditionAtom(expr);
    const b = this.block();
    this.edge(b, t, withTruth(test, !negate));
    this.edge(b, f, withTruth(test, negate));
    this.cur = undefined;
  }

  /**
   * What one condition atom tests: a call's result or a variable, and for which of its values
   * (analysis/values) the test holds: `x < 0` and `IS_ERR(x)` hold for negative ones, `x == 0`
   * for zero; a plain `x` or `foo()` for nonzero ones. `negate`: a flag test compared with 0.
   */
  private conditionAtom(expr: CachedNode): { test: ConditionTest; negate: boolean } {
    const equal = this.equalityTest(expr);
    if (equal) return equal;
    let subject = expr;
    let holds: { trueFor: number; falseFor?: number } | undefined;
    if (expr.type === 'binary_expression') {
      const left = expr.field('left');
      const right = expr.field('right');
      const values = right ? constantValues(right.text) : undefined;
      const op = left && values !== undefined ? (binaryOperator(expr, left, right) ?? '') : '';
      holds =
        values === ZERO ? COMPARISONS_WITH_ZERO.get(op) : values ? comparisonWith(op, values) : undefined;
      if (left && holds) subject = left;
      // `block == FOO_GFX_BLOCK`: the variable is that named constant (or, with `!=`, not).
      const named = left && right && values === undefined ? stripParens(left) : undefined;
      const eq = named ? binaryOperator(expr, left, right) : undefined;
      if (named?.type === 'identifier' && (eq === '==' || eq === '!=') && CONSTANT_NAME_RE.test(right!.text))
        return {
          test: { variable: named.text, atom: namesAtom(named.text, [right!.text]) },
          negate: eq === '!=',
        };
    }
    subject = stripParens(subject);
    if (subject.type === 'unary_expression' && isNegation(subject)) {
      // `!x == 0`-like shapes are too clever to follow; keep calls, drop the test.
      this.expression(subject);
      return { test: {}, negate: false };
    }
    // IS_ERR(x), gfpflags_allow_blocking(gfp): a test of the argument's value or of a flag in it.
    const tested = subject.type === 'call_expression' ? this.testedArgument(subject) : undefined;
    if (tested && !holds) {
      const arg = stripParens(tested.arg);
      if (tested.flag) {
        if (arg.type === 'identifier')
          return { test: { variable: arg.text, atom: flagAtom(arg.text, tested.flag) }, negate: false };
        this.expression(arg);
        return { test: {}, negate: false };
      }
      subject = arg;
      if (tested.trueFor !== undefined) holds = { trueFor: tested.trueFor };
    }
    let result: ConditionTest;
    if (subject.type === 'call_expression' || isCallAssignment(subject)) {
      const before = this.eventCount();
      this.expression(subject);
      const idx = this.lastCall(before);
      const target = subject.type === 'call_expression' ? undefined : subject.field('left');
      result = idx !== undefined ? { call: idx } : {};
      if (idx !== undefined && target?.type === 'identifier') result.variable = target.text;
      // A macro whose statement expression yields a local (`({ ...; locked; })`) tests that local.
      const yielded = subject.type === 'call_expression' ? this.expansionYield(subject) : undefined;
      const gate = result.call !== undefined && !result.variable ? this.counterGate(subject) : undefined;
      if (yielded) result = { variable: yielded };
      else if (gate) {
        result.atom = gate;
        result.gate = true;
      } else if (result.call !== undefined && !holds) {
        const asked = this.predicate(subject);
        if (asked) result.atom = asked;
      }
    } else if (subject.type === 'identifier') {
      result = { variable: subject.text };
    } else {
      // Only variables (and their flags, `flags & FOO_ACTIVE`) are remembered: fields
      // (`d->busy`) change behind our back (callees, other CPUs), and a remembered loop
      // condition would make the loop's exit unreachable.
      const flag = flagTest(subject);
      const onFlag = !holds || holds.trueFor === ZERO || holds.trueFor === NONZERO;
      if (flag && onFlag) {
        return {
          test: { variable: flag[0], atom: flagAtom(flag[0], flag[1]) },
          negate: holds?.trueFor === ZERO,
        };
      }
      this.expression(subject);
      return { test: {}, negate: false };
    }
    if (holds && holds.trueFor !== NONZERO && (result.call !== undefined || result.variable)) {
      result.trueFor = holds.trueFor;
      if (holds.falseFor !== undefined) result.falseFor = holds.falseFor;
    }
    return { test: result, negate: false };
  }

  /**
   * A call the knowledge base calls a test of one argument (likely, WARN_ON, IS_ERR,
   * gfpflags_allow_blocking): that argument, and for which of its values the test holds.
   */
  private testedArgument(call: CachedNode): { arg: CachedNode; trueFor?: number; flag?: string } | undefined {
    const name = CALLEE_RE.exec(call.text)?.[1];
    const test = name ? this.file.kb.fact(name)?.test : undefined;
    if (!test || call.field('function')?.text !== name) return undefined;
    const arg = call.field('arguments')?.namedChildren.filter((c) => c.type !== 'comment')[test.arg];
    if (!arg) return undefined;
    return { arg, trueFor: test.trueFor && valuesNamed(test.trueFor), flag: test.flag };
  }

  private eventCount(): number {
    return this.blocks[this.block()].events.length;
  }

  /**
   * The index of the last call among the events from `before` on: `foo(&x)` is followed by the
   * assignment of `x` it may make, and a test of its result is a test of the call.
   */
  private lastCall(before: number): number | undefined {
    const events = this.blocks[this.block()].events;
    for (let i = events.length - 1; i >= before; i--) if (events[i].kind === 'call') return i;
    return undefined;
  }

  // ---- expressions ----

  /** Emits the calls of an expression in evaluation order (arguments before the call). */
  private expression(node: CachedNode, assignedTo?: string): void {
    if (!MAY_EMIT_RE.test(node.text)) return;
    switch (node.type) {
      case 'call_expression':
        return this.call(node, assignedTo);
      case 'assignment_expression': {
        const left = node.field('left');
        const right = node.field('right');
        const target = left?.type === 'identifier' ? left.text : undefined;
        if (right) this.expression(right, target);
        if (left && left.type !== 'identifier') this.expression(left);
        // A call's result variable is assigned by the call event itself (trylock results).
        if (target && !isCallAssignment(node)) {
          const plain = right && left && node.slice(left.endIndex, right.startIndex).trim() === '=';
          this.assign(target, plain ? this.plainValue(right, this.pointers.has(target)) : undefined);
        }
        if (
          left?.type === 'field_expression' &&
          right?.type === 'identifier' &&
          !this.localNames.has(right.text)
        ) {
          this.fnStore(left, right);
        }
        return;
      }
      case 'update_expression': {
        const arg = node.field('argument');
        if (arg?.type === 'identifier')
          this.blocks[this.block()].events.push({ kind: 'assign', name: arg.text });
        return;
      }
      case 'compound_statement':
        return this.compound(node); // GNU statement expression ({ ... })
      default:
        if (NO_CALL_CONTEXTS.has(node.type)) return;
        for (const child of node.namedChildren) this.expression(child);
    }
  }

  private fnStore(left: CachedNode, right: CachedNode): void {
    const object = left.field('argument');
    const field = left.field('field')?.text;
    if (!object || !field) return;
    const store: FunctionStore = {
      object: accessPath(object),
      inFunction: this.fn.name,
      field,
      fn: right.text,
      range: this.range(right),
    };
    this.file.facts.stores.push(store);
  }

  private call(node: CachedNode, assignedTo: string | undefined): void {
    const plain = plainCall(node);
    const fnNode = plain?.callee === undefined ? node.field('function') : null;
    const calleeName = plain ? plain.callee : fnNode?.type === 'identifier' ? fnNode.text : undefined;
    if (calleeName && /^(__builtin_|typeof|__typeof)/.test(calleeName)) return;
    const expanded = this.expansion(node, calleeName);
    const shape = expanded && this.callShapeOf(expanded.text);
    if (expanded && shape)
      return this.within(expanded.name, node, () => this.callFromText(shape, assignedTo));
    const value = expanded && this.file.expander!.expression(expanded.text);
    if (expanded && value)
      return this.within(expanded.name, node, () => {
        this.expression(value, assignedTo);
        // `x = foo_trylock(l)` with `({ ...; locked = mutex_trylock(...); ...; locked; })`: x is locked.
        const yielded = statementExpressionValue(value);
        if (assignedTo && yielded) this.assign(assignedTo, { var: yielded });
      });
    const args = callArgs(node, plain?.args);
    const alias = calleeName && !expanded ? this.assertionAlias(calleeName, node) : undefined;
    if (alias) {
      for (const a of args) if (MAY_EMIT_RE.test(a.text)) this.expression(a.node());
      const texts = alias.args.map((a) => ({ text: normaliseText(a), path: null }));
      this.emitCall({ kind: 'call', callee: alias.callee, args: texts, range: this.range(node) });
      return;
    }
    const onlyIf = calleeName ? this.file.kb.fact(calleeName)?.onlyIf : undefined;
    if (onlyIf !== undefined && args[onlyIf]) {
      // might_sleep_if(cond): the call happens when cond holds, as `if (cond) might_sleep();`.
      const then = this.newBlock();
      const join = this.newBlock();
      this.condition(args[onlyIf].node(), then, join);
      this.cur = then;
      const texts = args.map((a) => argOf(a.text, accessPath(a.node())));
      this.emitCall({ kind: 'call', callee: calleeName, args: texts, range: this.range(node) });
      this.edge(then, join);
      this.cur = join;
      return;
    }
    const outerMacro = this.unknownMacro;
    if (calleeName && !outerMacro && this.isUnknownMacro(calleeName)) this.unknownMacro = calleeName;
    try {
      for (const a of args) if (MAY_EMIT_RE.test(a.text)) this.expression(a.node());
    } finally {
      this.unknownMacro = outerMacro;
    }
    const event: Omit<CallEvent, 'n'> = {
      kind: 'call',
      // A path read from the text is the one argPath reads from it again: nothing to store.
      args: args.map((a) => {
        const mask = this.maskArg(a.text);
        if (mask) return { text: normaliseText(`(${mask})`) };
        return plain && plainPath(a.text)
          ? { text: normaliseText(a.text) }
          : argOf(a.text, accessPath(a.node()));
      }),
      range: this.range(node),
    };
    // A call through a parameter or local named like a function (a lock callback passed in as
    // `foo_spin_lock`) calls what it points to, not the function of that name.
    if (calleeName && !this.localNames.has(calleeName)) event.callee = calleeName;
    else if (fnNode?.type === 'field_expression') {
      const object = fnNode.field('argument');
      const field = fnNode.field('field')?.text;
      if (object && field) {
        this.expression(object);
        event.via = { object: accessPath(object), field };
      }
    } else if (fnNode) this.expression(fnNode);
    if (assignedTo) event.resultVar = assignedTo;
    this.emitCall(event);
    // `foo(&ret)` may write the local `ret`: forget what conditions said about it.
    const mayWrite = args.filter((a) => a.text.startsWith('&') && this.endsWithLocal(a.text));
    if (mayWrite.length === 0 || (calleeName && this.file.kb.fact(calleeName))) return;
    for (const { node: argNode } of mayWrite) {
      const a = argNode();
      const inner = a.type === 'pointer_expression' ? a.field('argument') : null;
      if (inner?.type === 'identifier' && this.localNames.has(inner.text)) {
        const written: LoweredEvent = { kind: 'assign', name: inner.text };
        this.blocks[this.block()].events.push(written);
        this.byAddress.add(written);
      }
    }
  }

  /**
   * A test of a counter's read-modify-write (`atomic_inc_return(&f->users) == 1`): an atom
   * naming this call site, so that the path keeps which side of the gate it took.
   */
  private counterGate(call: CachedNode): string | undefined {
    const fnNode = call.field('function');
    const callee = fnNode?.type === 'identifier' ? fnNode.text : undefined;
    if (!callee || !this.file.kb.fact(callee)?.counter) return undefined;
    return gateAtom(this.range(call), callee);
  }

  /**
   * `if (a == b)` on two variables of one struct type (`foo_lock2(struct q *a, struct q *b)`):
   * on the equal side they are one object, so `b->l` is `a->l` (rules compare locks by that).
   * Or on a counted loop's index and bound after the loop (`if (i == n)`): true where the loop
   * ran out, false where it was left by `break`. Remembered as the atom `a==b` (names sorted)
   * until either is assigned.
   */
  private equalityTest(expr: CachedNode): { test: ConditionTest; negate: boolean } | undefined {
    if (!this.askingIf || expr.type !== 'binary_expression') return undefined;
    const left = expr.field('left');
    const right = expr.field('right');
    const op = binaryOperator(expr, left, right);
    if ((op !== '==' && op !== '!=') || left?.type !== 'identifier' || right?.type !== 'identifier')
      return undefined;
    if (left.text === right.text) return undefined;
    const atom = equalAtom(left.text, right.text);
    const typeOf = (name: string) =>
      this.fn.params.find((p) => p.name === name)?.type ?? ownString(this.fn.locals, name);
    const type = typeOf(left.text);
    const sameType = type !== undefined && typeOf(right.text) === type;
    return sameType || this.loopBounds.has(atom) ? { test: { atom }, negate: op === '!=' } : undefined;
  }

  /**
   * The question an `if` asks, as text, when the code relies on its answer staying the same
   * until a variable in it is assigned: a workspace function asked about plain paths
   * (`if (foo_uses_mutex(pool)) mutex_lock(..); ... if (foo_uses_mutex(pool)) mutex_unlock(..);`).
   * Not in loops (a loop asks until the answer changes), nor of the knowledge base's functions
   * (trylocks, tests) or macros.
   */
  private predicate(call: CachedNode): string | undefined {
    const fnNode = call.field('function');
    const callee = this.askingIf && fnNode?.type === 'identifier' ? fnNode.text : undefined;
    if (!callee || this.file.kb.fact(callee) || this.expansion(call, callee)) return undefined;
    const args = callArgs(call, undefined).map((a) => normaliseText(a.text));
    if (!args.every((a) => plainPath(a) || constantValues(a) !== undefined)) return undefined;
    return `${callee}(${args.join(', ')})`;
  }

  /** The local a call's macro expansion yields as a statement expression's value, if it is one. */
  private expansionYield(call: CachedNode): string | undefined {
    const expanded = this.expansion(call, /^[A-Za-z_]\w*/.exec(call.text)?.[0]);
    if (!expanded || this.callShapeOf(expanded.text)) return undefined;
    const value = this.file.expander!.expression(expanded.text);
    return value ? statementExpressionValue(value) : undefined;
  }

  /**
   * A macro name (upper case, see MACRO_NAME_RE) that the knowledge table does not know and no
   * file of the workspace defines: from a header outside it (FreeBSD's `<sys/ktr.h>` `CTR5`).
   */
  private isUnknownMacro(name: string): boolean {
    const kb = this.file.kb;
    return (
      MACRO_NAME_RE.test(name) &&
      !kb.fact(name) &&
      !kb.table.evaluatingMacros.includes(name) &&
      !this.file.expander?.defines(name)
    );
  }

  /**
   * A workspace macro that is an alias of a known assertion (`#define FOO_BUG_ON(e)
   * BUILD_BUG_ON_INVALID(e)`): the assertion's call, its arguments as the invocation gives them.
   */
  private assertionAlias(name: string, call: CachedNode): { callee: string; args: string[] } | undefined {
    if (this.file.kb.fact(name)) return undefined;
    const asserts = (callee: string) => this.file.kb.fact(callee)?.asserts !== undefined;
    const alias = this.file.expander?.aliasCall(name, call.text, asserts);
    return alias && asserts(alias.callee) ? alias : undefined;
  }

  /**
   * The mask an argument names through a macro of the workspace: a gfp mask (`#define FOO_GFP
   * (GFP_KERNEL | ...)`) or flags built by a macro (`MAKE_SEND_FLAGS(len)`, see maskOf).
   */
  private maskArg(text: string): string | undefined {
    const expander = this.file.expander;
    if (!expander) return undefined;
    if (IDENTIFIER_RE.test(text)) return expander.gfpMask(text);
    return MACRO_CALL_RE.test(text) ? expander.maskOf(text) : undefined;
  }

  private callShapeOf(text: string): CallShape | undefined {
    return callShape(text, (n) => this.file.expander!.worthCalling(n));
  }

  /**
   * A call read from text (an expansion that is one call, see callShape), as `call` lowers a
   * call node: its arguments' calls first, then the call.
   */
  private callFromText(shape: CallShape, assignedTo: string | undefined): void {
    if (/^(__builtin_|typeof|__typeof)/.test(shape.callee)) return;
    for (const a of shape.args)
      if (typeof a !== 'string' && !('opaque' in a)) this.callFromText(a, undefined);
    const args = shape.args.map((a): Arg => {
      if (typeof a !== 'string' && 'opaque' in a) return { text: normaliseText(a.opaque), path: null };
      if (typeof a !== 'string')
        return compactArg(normaliseText(a.text), {
          root: { kind: 'call', fn: a.callee },
          fields: a.fields ?? [],
        });
      const mask = this.maskArg(a);
      if (mask) return { text: normaliseText(`(${mask})`) };
      return { text: normaliseText(a) };
    });
    const event: Omit<CallEvent, 'n'> = { kind: 'call', callee: shape.callee, args, range: this.origin! };
    if (assignedTo) event.resultVar = assignedTo;
    this.emitCall(event);
    // `foo(&ret)` may write the local `ret`, as in `call`.
    if (this.file.kb.fact(shape.callee)) return;
    for (const a of shape.args) {
      const local = typeof a === 'string' ? /^&\s*([A-Za-z_]\w*)$/.exec(a)?.[1] : undefined;
      if (local && this.localNames.has(local))
        this.blocks[this.block()].events.push({ kind: 'assign', name: local });
    }
  }

  private endsWithLocal(text: string): boolean {
    for (const name of this.localNames) if (text.endsWith(name)) return true;
    return false;
  }

  private arg(node: CachedNode): Arg {
    return argOf(node.text, accessPath(node));
  }
}

type ConditionTest = Omit<Condition, 'truthy'>;

/** A call read from text: the callee and each argument, a path's text or a call of the same kind. */
interface CallShape {
  /** The argument's text, when the call is an argument (with `fields` read off its result). */
  text: string;
  callee: string;
  args: (string | CallShape | OpaqueArg)[];
  fields?: string[];
}

/** An argument that calls nothing worth seeing: no events, no path. */
interface OpaqueArg {
  opaque: string;
}

/**
 * An expansion that is one call whose arguments read as paths (their text alone says what
 * they are, see plainPath) or as calls of the same kind: `__foo_read(__to_foo(p), reg)`. It is
 * lowered from its text; anything else is parsed.
 */
function callShape(text: string, worthCalling: (name: string) => boolean): CallShape | undefined {
  let t = text.trim();
  while (t.startsWith('(')) {
    const inner = splitArguments(t, 0);
    if (!inner || inner.end !== t.length || inner.args.length !== 1) break;
    t = inner.args[0];
  }
  const m = /^([A-Za-z_]\w*)\s*\(/.exec(t);
  const split = m && splitArguments(t, m[0].length - 1);
  if (!m || !split || split.end !== t.length || /[;{}]/.test(t)) return undefined;
  const args: CallShape['args'] = [];
  for (const a of split.args.length === 1 && split.args[0] === '' ? [] : split.args) {
    if (a === '') return undefined;
    const arg = a.includes('(') ? callArgShape(a, worthCalling) : plainPath(a) !== undefined ? a : undefined;
    if (arg === undefined) return undefined;
    args.push(arg);
  }
  return { text: t, callee: m[1], args };
}

/** `&(foo_of(x))->bar.baz`: a call, and the fields and `&`/`*` around it. */
const CALL_PATH_RE = /^([&*\s]*)\(?\s*([A-Za-z_]\w*\s*\([\s\S]*\))\s*\)?((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)$/;

/**
 * An argument with brackets in it: a call (or a path from one), lowered as such; or an
 * expression that calls nothing worth seeing (register arithmetic), kept as opaque text.
 */
function callArgShape(
  a: string,
  worthCalling: (name: string) => boolean,
): string | CallShape | OpaqueArg | undefined {
  const path = CALL_PATH_RE.exec(a);
  const inner = path ? callShape(path[2], worthCalling) : undefined;
  if (path && inner) {
    const fields = path[3] ? path[3].split(/\s*(?:->|\.)\s*/).slice(1) : [];
    return path[1].trim() === '' && fields.length === 0 ? inner : { ...inner, text: a, fields };
  }
  return expansionMatters(a, worthCalling) ? undefined : { opaque: a };
}

/**
 * The edge of a `switch` on a call's result to the case `value` (undefined: the default edge).
 * Truthiness is what a label says: `0` is zero, a number or `-EINTR` is not; an enum constant
 * may be either, and the default edge is nonzero only when `0` has its own case.
 */
function caseCondition(call: number, value: string | undefined, labels: string[]): Condition {
  const truthy = value === undefined ? labels.includes('0') : value !== '0';
  return { call, truthy, case: value === undefined ? { others: labels } : { value, others: [] } };
}

/** The variable a `for` loop's update moves to the next object (`t = t->next`), if that is what it does. */
function walkedVar(node: CachedNode): string | undefined {
  const update = node.field('update');
  const m = update && /^([A-Za-z_]\w*)\s*=(?!=)(.*)$/.exec(update.text.trim());
  return m && new RegExp(`\\b${m[1]}\\b`).test(m[2]) ? m[1] : undefined;
}

/**
 * `for (i = 0; i < n; i++)` (or `i != n`, `n > i`, `++i`, `i += 1`, `int i = 0`) with `n` a
 * variable or a macro, and a body that never assigns `i` nor takes its address: the atom
 * `i==n`, true where the loop runs out and false where a `break` leaves it. A loop starting
 * elsewhere, stepping otherwise or bounded by a number is not followed.
 */
function countedLoop(
  init: CachedNode | null,
  cond: CachedNode | null,
  update: CachedNode | null,
  body: CachedNode,
): string | undefined {
  const test = cond ? stripParens(cond) : undefined;
  if (!init || !update || test?.type !== 'binary_expression') return undefined;
  const left = test.field('left');
  const right = test.field('right');
  const op = binaryOperator(test, left, right);
  if (left?.type !== 'identifier' || right?.type !== 'identifier') return undefined;
  const [index, bound] = op === '>' ? [right.text, left.text] : [left.text, right.text];
  if ((op !== '<' && op !== '!=' && op !== '>') || constantValues(bound) !== undefined) return undefined;
  const word = index.replace(/\W/g, '');
  const startsAtZero = new RegExp(`^(?:[\\w\\s]+\\s)?${word}\\s*=\\s*0\\s*;?$`).test(init.text.trim());
  const steps = new RegExp(`^(?:${word}\\s*\\+\\+|\\+\\+\\s*${word}|${word}\\s*\\+=\\s*1)$`).test(
    update.text.trim(),
  );
  const assigned = new RegExp(
    `(?:\\b${word}\\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|\\b${word}\\s*(?:\\+\\+|--)|(?:\\+\\+|--|&)\\s*${word}\\b)`,
  ).test(body.text);
  return startsAtZero && steps && !assigned ? equalAtom(index, bound) : undefined;
}

/**
 * The condition of an undecided `#if`/`#ifdef`/`#elif` kept in a function body, as a condition
 * atom (whitespace dropped, so `#if A & B` is no flag test) and whether its own arm is the true
 * one (`#ifndef X` asks `defined(X)` and takes its arm when it is false).
 */
function directiveCondition(node: CachedNode): { atom: string; truthy: boolean } | undefined {
  const cond = node.field('condition') ?? node.field('name');
  if (!cond) return undefined;
  const negated = /^#\s*(?:el)?ifndef\b/.test(node.text);
  const tested =
    node.type === 'preproc_ifdef' || node.type === 'preproc_elifdef' ? `defined(${cond.text})` : cond.text;
  return { atom: `#if:${tested.replace(/\s+/g, '')}`, truthy: !negated };
}

/** The edge of a `switch` on a variable to the case `value` (undefined: the default edge). */
function nameCaseCondition(variable: string, value: string | undefined, labels: string[]): Condition {
  return value === undefined
    ? { variable, atom: namesAtom(variable, labels), truthy: false }
    : { variable, atom: namesAtom(variable, [value]), truthy: true };
}

/** The test on one edge. Built field by field: object spread costs a microsecond here. */
function withTruth(test: ConditionTest, truthy: boolean): Condition {
  const c: Condition = { truthy };
  if (test.call !== undefined) c.call = test.call;
  if (test.variable !== undefined) c.variable = test.variable;
  if (test.atom !== undefined) c.atom = test.atom;
  if (test.trueFor !== undefined) c.trueFor = test.trueFor;
  if (test.falseFor !== undefined) c.falseFor = test.falseFor;
  return c;
}

/** For which values of x `x OP 0` holds. */
const COMPARISONS_WITH_ZERO = new Map<string, { trueFor: number }>([
  ['==', { trueFor: ZERO }],
  ['!=', { trueFor: NONZERO }],
  ['<', { trueFor: NEGATIVE }],
  ['>', { trueFor: POSITIVE }],
  ['<=', { trueFor: ZERO | NEGATIVE }],
  ['>=', { trueFor: ZERO | POSITIVE }],
]);

/**
 * `x == -EDEADLK` holds only for negative x, and fails for any x; `x != -EDEADLK` the other way
 * round. Other comparisons with a nonzero constant say nothing followed here.
 */
function comparisonWith(op: string, values: number): { trueFor: number; falseFor: number } | undefined {
  if (op === '==') return { trueFor: values, falseFor: ANY_VALUE };
  if (op === '!=') return { trueFor: ANY_VALUE, falseFor: values };
  return undefined;
}

/** `&a->b`, `&x`: an address. */
const ADDRESS_RE = /^&\s*[A-Za-z_]/;
/** `a->b.c`, `a[i]`: a value read from memory (no call, no operator). */
const MEMORY_READ_RE = /^[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*|\[[\w\s+*-]*\])+$/;

/** The callee name a call's text starts with. */
const CALLEE_RE = /^([A-Za-z_]\w*)\s*\(/;

function sameRange(a: Range, b: Range): boolean {
  return a.line === b.line && a.col === b.col && a.endLine === b.endLine && a.endCol === b.endCol;
}

/** A value with its parentheses and casts taken off: `(void *)(x)` is x. */
function unwrapValue(node: CachedNode): CachedNode {
  let cur = stripParens(node);
  for (let depth = 0; cur.type === 'cast_expression' && depth < 8; depth++) {
    const value = cur.field('value');
    if (!value) break;
    cur = stripParens(value);
  }
  return cur;
}

function argOf(raw: string, path: AccessPath): Arg {
  return compactArg(normaliseText(raw), path.root.kind === 'unknown' ? undefined : path);
}

/** A call argument: its text, and its node for when the text alone does not tell enough. */
interface CallArg {
  text: string;
  node(): CachedNode;
}

function callArgs(call: CachedNode, plainArgs: string[] | undefined): CallArg[] {
  const nodes = () => call.field('arguments')?.namedChildren ?? [];
  if (!plainArgs) return nodes().map((n) => ({ text: n.text, node: () => n }));
  return plainArgs.map((text, i) => ({ text, node: () => nodes()[i] }));
}

function stripParens(node: CachedNode): CachedNode {
  let cur = node;
  while (
    (cur.type === 'parenthesized_expression' || cur.type === 'condition_clause') &&
    cur.namedChildren.length === 1
  ) {
    cur = cur.namedChildren[0];
  }
  return cur;
}

/** Reduces an expression to root + fields, looking through &, *, [], casts and container_of. */
export function accessPath(node: CachedNode): AccessPath {
  // A field path parses one way only: read it from the text rather than from its nodes.
  if (/[.>]/.test(node.text) && SIMPLE_PATH_RE.test(node.text) && !node.hasError) {
    const path = simplePath(node.text);
    if (path) return path;
  }
  const fields: string[] = [];
  let cur: CachedNode | null = node;
  for (let depth = 0; cur && depth < 64; depth++) {
    switch (cur.type) {
      case 'parenthesized_expression':
        cur = cur.namedChildren[0] ?? null;
        continue;
      case 'pointer_expression':
        cur = cur.field('argument');
        continue;
      case 'subscript_expression':
        cur = cur.field('argument');
        continue;
      case 'field_expression': {
        const f = cur.field('field')?.text;
        if (f) fields.unshift(f);
        cur = cur.field('argument');
        continue;
      }
      case 'cast_expression':
        return { root: { kind: 'type', type: typeName(cur.field('type')) ?? '?' }, fields };
      case 'identifier':
        return { root: { kind: 'var', name: cur.text }, fields };
      case 'call_expression': {
        const fn = cur.field('function')?.text ?? '';
        if (fn === 'container_of' || fn === 'container_of_const') {
          const m = /struct\s+(\w+)/.exec(cur.field('arguments')?.text ?? '');
          if (m) return { root: { kind: 'type', type: m[1] }, fields };
        }
        return { root: { kind: 'call', fn }, fields };
      }
      default:
        return { root: { kind: 'unknown' }, fields };
    }
  }
  return { root: { kind: 'unknown' }, fields };
}

/** `guard(mutex)(&x)`: the guard type and the lock arguments. */
function guardCall(expr: CachedNode): { type: string; args: CachedNode[] } | undefined {
  // The text starts with the inner callee's name: most calls are ruled out without their nodes.
  if (expr.type !== 'call_expression' || !/^guard\b/.test(expr.text)) return undefined;
  const inner = expr.field('function');
  if (inner?.type !== 'call_expression' || inner.field('function')?.text !== 'guard') return undefined;
  const type = inner.field('arguments')?.namedChildren[0]?.text;
  if (!type) return undefined;
  return { type, args: expr.field('arguments')?.namedChildren ?? [] };
}

/**
 * A macro call that heads a block: `list_for_each_entry(p, &l, node)` or `scoped_guard(...)`
 * without a semicolon, which the grammar reads as an expression statement missing its `;`.
 */
function blockMacroCall(node: CachedNode, next: CachedNode | undefined): CachedNode | undefined {
  if (node.type !== 'expression_statement' || !next || !isStatementNode(next)) return undefined;
  const call = node.namedChildren[0];
  if (call?.type !== 'call_expression') return undefined;
  // The callee name starts the call's text: the name tests below hold of the text too.
  const text = call.text;
  if (next.type !== 'compound_statement' && !text.startsWith('scoped_') && !ITERATOR_RE.test(text))
    return undefined;
  const name = call.field('function')?.text ?? '';
  // Unknown macros heading a `{ }` block (with_intel_runtime_pm(...) { }) are loop-like too.
  const blockMacro =
    name === 'scoped_guard' ||
    name === 'scoped_cond_guard' ||
    ITERATOR_RE.test(name) ||
    next.type === 'compound_statement';
  // Tested last: listing the children to find a missing `;` costs more than the rest.
  const missingSemicolon = blockMacro && (!node.text.trimEnd().endsWith(';') || node.hasMissingChild());
  return missingSemicolon ? call : undefined;
}

function isCallAssignmentValue(value: CachedNode): boolean {
  return stripParens(value).type === 'call_expression';
}

function isCallAssignment(node: CachedNode): boolean {
  if (node.type !== 'assignment_expression') return false;
  const right = node.field('right');
  return !!right && stripParens(right).type === 'call_expression';
}

function isStatementNode(node: CachedNode): boolean {
  return node.type.endsWith('_statement') || node.type === 'declaration';
}

/** The local a GNU statement expression `({ ...; v; })` yields: its last statement, a name. */
function statementExpressionValue(node: CachedNode): string | undefined {
  const block = stripParens(node);
  if (block.type !== 'compound_statement') return undefined;
  const last = block.namedChildren.filter((c) => c.type !== 'comment').at(-1);
  const value = last?.type === 'expression_statement' ? last.namedChildren[0] : undefined;
  const inner = value && stripParens(value);
  return inner?.type === 'identifier' ? inner.text : undefined;
}
