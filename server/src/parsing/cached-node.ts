/**
 * Syntax nodes that ask tree-sitter for each property at most once.
 *
 * A node is read straight from the wasm module (see `wasm-nodes`), and the lowering reads the
 * same few properties of a node many times, so it works on these wrappers: each property is
 * fetched once, text is sliced from the source string, end positions are computed from the
 * text, and fields are read off the named children where the grammar fixes their order.
 */
import type { Language } from 'web-tree-sitter';
import { parserWasm, type Tree } from './parser';
import { type RawNode, symbolsOf, WasmNodes } from './wasm-nodes';

export interface Point {
  row: number;
  column: number;
}

/**
 * Node kinds whose named children are exactly these fields, in this order, whenever their
 * number matches: every field listed is required and a named node, any other named child
 * (a pointer's qualifiers, a declarator's attributes, a second designator) would raise the
 * count, and the fields in `absent` are then missing. A comment or an ERROR among the children
 * changes the count too, and the field lookup of tree-sitter is used instead.
 */
const FIELD_LAYOUTS: Record<string, { fields: readonly string[]; absent?: readonly string[] }> = {
  field_expression: { fields: ['argument', 'field'] },
  binary_expression: { fields: ['left', 'right'] },
  pointer_expression: { fields: ['argument'] },
  unary_expression: { fields: ['argument'] },
  update_expression: { fields: ['argument'] },
  subscript_expression: { fields: ['argument', 'index'] },
  cast_expression: { fields: ['type', 'value'] },
  if_statement: { fields: ['condition', 'consequence'], absent: ['alternative'] },
  while_statement: { fields: ['condition', 'body'] },
  do_statement: { fields: ['body', 'condition'] },
  switch_statement: { fields: ['condition', 'body'] },
  goto_statement: { fields: ['label'] },
  assignment_expression: { fields: ['left', 'right'] },
  call_expression: { fields: ['function', 'arguments'] },
  init_declarator: { fields: ['declarator', 'value'] },
  initializer_pair: { fields: ['designator', 'value'] },
  function_declarator: { fields: ['declarator', 'parameters'] },
  pointer_declarator: { fields: ['declarator'] },
};

/** Per grammar: the words that are keywords (anonymous node kinds such as `const`, `unsigned`). */
const keywordSets = new WeakMap<Language, ReadonlySet<string>>();
/** Per grammar: the symbols of each list of node kinds searched for, keyed by the joined kinds. */
const symbolLists = new WeakMap<Language, Map<string, number[]>>();

function keywordsOf(language: Language): ReadonlySet<string> {
  let words = keywordSets.get(language);
  if (!words) {
    const found = new Set<string>();
    language.types.forEach((type, id) => {
      if (type && /^[A-Za-z_]\w*$/.test(type) && !language.nodeTypeIsNamed(id)) found.add(type);
    });
    keywordSets.set(language, (words = found));
  }
  return words;
}

/** The source text of one tree and what is needed to read its nodes. */
export class SourceTree {
  readonly root: CachedNode;
  readonly nodes: WasmNodes<CachedNode>;
  /** Node kind names by symbol, as the grammar lists them. */
  readonly types: readonly (string | null)[];
  private readonly language: Language;
  private readonly text: string;
  /** Where the root node, and so `text`, starts: leading blank lines are outside it. */
  private readonly offset: number;
  private readonly rootStart: Point;
  /** Offsets in `text` just after each newline, built on the first position asked for. */
  private lineStarts: number[] | undefined;
  private readonly fieldIds = new Map<string, number>();
  readonly keywords: ReadonlySet<string>;

  constructor(tree: Tree) {
    const root = tree.rootNode;
    this.text = root.text;
    this.offset = root.startIndex;
    this.rootStart = root.startPosition;
    this.language = tree.language;
    this.types = tree.language.types;
    this.keywords = keywordsOf(tree.language);
    tree.language.fields.forEach((name, id) => {
      if (name) this.fieldIds.set(name, id);
    });
    // The wasm address of the tree: web-tree-sitter keeps it at index 0 of its Tree.
    const address = (tree as unknown as { 0: number })[0];
    this.nodes = new WasmNodes(
      parserWasm(),
      address,
      (id, start, row, column, alias) => new CachedNode(this, id, start, row, column, alias),
    );
    this.root = this.nodes.root();
  }

  /** The symbols of node kinds `types`. */
  symbols(types: readonly string[]): readonly number[] {
    let lists = symbolLists.get(this.language);
    if (!lists) symbolLists.set(this.language, (lists = new Map()));
    const key = types.join(',');
    let symbols = lists.get(key);
    if (!symbols) lists.set(key, (symbols = symbolsOf(this.types, types)));
    return symbols;
  }

  slice(start: number, end: number): string {
    return this.text.slice(start - this.offset, end - this.offset);
  }

  /** Row and column of an index, counted as tree-sitter does (rows end at `\n`, columns in UTF-16 units). */
  position(index: number): Point {
    const at = index - this.offset;
    const starts = (this.lineStarts ??= lineStarts(this.text));
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return { row: this.rootStart.row, column: this.rootStart.column + at };
    return { row: this.rootStart.row + lo, column: at - starts[lo - 1] };
  }

  fieldId(name: string): number {
    return this.fieldIds.get(name) ?? -1;
  }
}

function lineStarts(text: string): number[] {
  const starts: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export class CachedNode implements RawNode {
  private cachedType: string | undefined;
  private cachedEnd = -1;
  private cachedEndPosition: Point | undefined;
  private cachedText: string | undefined;
  private cachedHasError: boolean | undefined;
  private named: CachedNode[] | undefined;
  /** Fields looked up so far: field id, then the child or null (or -id, then all children), repeated. */
  private fieldChildren: (number | CachedNode | CachedNode[] | null)[] | undefined;

  constructor(
    private readonly src: SourceTree,
    readonly id: number,
    readonly startIndex: number,
    readonly startRow: number,
    readonly startColumn: number,
    readonly alias: number,
  ) {}

  get type(): string {
    return (this.cachedType ??= this.src.types[this.src.nodes.symbol(this)] || 'ERROR');
  }

  get endIndex(): number {
    if (this.cachedEnd < 0) this.cachedEnd = this.src.nodes.endIndex(this);
    return this.cachedEnd;
  }

  /** Whether the subtree holds an ERROR or a missing node. */
  get hasError(): boolean {
    return (this.cachedHasError ??= this.src.nodes.hasError(this));
  }

  get startPosition(): Point {
    return { row: this.startRow, column: this.startColumn };
  }

  get endPosition(): Point {
    return (this.cachedEndPosition ??= this.src.position(this.endIndex));
  }

  get text(): string {
    return (this.cachedText ??= this.src.slice(this.startIndex, this.endIndex));
  }

  /** Whether a word is a keyword of the grammar. */
  isKeyword(word: string): boolean {
    return this.src.keywords.has(word);
  }

  /** The source between two indices of this tree. */
  slice(start: number, end: number): string {
    return this.src.slice(start, end);
  }

  get namedChildren(): CachedNode[] {
    if (!this.named) {
      const named = this.src.nodes.namedChildren(this);
      for (let i = 0; i < named.length; i++) named[i] = this.fieldChild(named[i].id) ?? this.child(named[i]);
      this.named = named;
    }
    return this.named;
  }

  /** Whether a direct child is a node the parser inserted to recover from an error. */
  hasMissingChild(): boolean {
    return this.src.nodes.children(this).some((c) => this.src.nodes.isMissing(c));
  }

  /** The descendants of kinds `types`, in document order (tree-sitter's descendantsOfType). */
  descendantsOfType(types: readonly string[]): CachedNode[] {
    return this.src.nodes.descendantsOfSymbols(this, this.src.symbols(types));
  }

  /** The child in field `name` (tree-sitter's childForFieldName). */
  field(name: string): CachedNode | null {
    const layout = FIELD_LAYOUTS[this.type];
    if (layout) {
      const named = this.namedChildren;
      if (named.length === layout.fields.length) {
        const i = layout.fields.indexOf(name);
        if (i >= 0) return named[i];
        if (layout.absent?.includes(name)) return null;
      }
    }
    const id = this.src.fieldId(name);
    if (id < 0) return null;
    const cached = this.cachedField(id);
    if (cached !== undefined) return cached as CachedNode | null;
    const found = this.src.nodes.childForField(this, id);
    const child = found ? (this.namedChild(found.id) ?? this.child(found)) : null;
    (this.fieldChildren ??= []).push(id, child);
    return child;
  }

  /** All children in field `name` (tree-sitter's childrenForFieldName). */
  fields(name: string): CachedNode[] {
    const id = this.src.fieldId(name);
    if (id <= 0) return [];
    const cached = this.cachedField(-id);
    if (cached !== undefined) return cached as CachedNode[];
    const children = this.src.nodes
      .childrenForField(this, id)
      .map((c) => this.namedChild(c.id) ?? this.child(c));
    (this.fieldChildren ??= []).push(-id, children);
    return children;
  }

  /** A child just read: an error-free node's children are error-free, without asking tree-sitter. */
  private child(node: CachedNode): CachedNode {
    if (this.cachedHasError === false) node.cachedHasError = false;
    return node;
  }

  private cachedField(id: number): CachedNode | CachedNode[] | null | undefined {
    const cache = this.fieldChildren;
    if (!cache) return undefined;
    for (let i = 0; i < cache.length; i += 2) {
      if (cache[i] === id) return cache[i + 1] as CachedNode | CachedNode[] | null;
    }
    return undefined;
  }

  private namedChild(id: number): CachedNode | undefined {
    return this.named?.find((c) => c.id === id);
  }

  private fieldChild(id: number): CachedNode | undefined {
    const cache = this.fieldChildren;
    if (!cache) return undefined;
    for (let i = 1; i < cache.length; i += 2) {
      const c = cache[i];
      if (c instanceof CachedNode && c.id === id) return c;
    }
    return undefined;
  }
}
