/**
 * Syntax nodes that ask web-tree-sitter for each property at most once.
 *
 * Every web-tree-sitter Node getter (type, endIndex, endPosition, children, fields) copies the
 * node into wasm memory, calls into wasm and copies the answer back, and every node it returns
 * is a new JS object. The lowering reads the same few properties of a node many times, so it
 * works on these wrappers instead: each property is fetched once, text is sliced from the
 * source string, end positions are computed from the text, and fields are read off the named
 * children where the grammar fixes their order.
 */
import type { Language } from 'web-tree-sitter';
import type { SyntaxNode, Tree } from './parser';

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

/** The source text of one tree and what is needed to wrap its nodes. */
export class SourceTree {
  readonly root: CachedNode;
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
    this.keywords = keywordsOf(tree.language);
    tree.language.fields.forEach((name, id) => {
      if (name) this.fieldIds.set(name, id);
    });
    this.root = new CachedNode(root, this);
  }

  wrap(node: SyntaxNode): CachedNode {
    return new CachedNode(node, this);
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

export class CachedNode {
  private cachedType: string | undefined;
  private cachedEnd = -1;
  private cachedEndPosition: Point | undefined;
  private cachedText: string | undefined;
  private cachedHasError: boolean | undefined;
  private named: CachedNode[] | undefined;
  /** Fields looked up so far: field id, then the child or null (or -id, then all children), repeated. */
  private fieldChildren: (number | CachedNode | CachedNode[] | null)[] | undefined;

  constructor(
    readonly node: SyntaxNode,
    private readonly src: SourceTree,
  ) {}

  /** Another node of the same tree. */
  wrap(node: SyntaxNode): CachedNode {
    return this.src.wrap(node);
  }

  get id(): number {
    return this.node.id;
  }

  get type(): string {
    return (this.cachedType ??= this.node.type);
  }

  get startIndex(): number {
    return this.node.startIndex;
  }

  get endIndex(): number {
    if (this.cachedEnd < 0) this.cachedEnd = this.node.endIndex;
    return this.cachedEnd;
  }

  /** Whether the subtree holds an ERROR or a missing node. */
  get hasError(): boolean {
    return (this.cachedHasError ??= this.node.hasError);
  }

  get startPosition(): Point {
    return this.node.startPosition;
  }

  get endPosition(): Point {
    return (this.cachedEndPosition ??= this.src.position(this.endIndex));
  }

  get text(): string {
    return (this.cachedText ??= this.src.slice(this.node.startIndex, this.endIndex));
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
      const nodes = this.node.namedChildren;
      const named: CachedNode[] = new Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) named[i] = this.fieldChild(nodes[i].id) ?? this.child(nodes[i]);
      this.named = named;
    }
    return this.named;
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
    const found = this.node.childForFieldId(id);
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
    const children = this.node.childrenForFieldId(id).map((c) => this.namedChild(c.id) ?? this.child(c));
    (this.fieldChildren ??= []).push(-id, children);
    return children;
  }

  /** A child wrapped: an error-free node's children are error-free, without asking tree-sitter. */
  private child(node: SyntaxNode): CachedNode {
    const wrapped = this.src.wrap(node);
    if (this.cachedHasError === false) wrapped.cachedHasError = false;
    return wrapped;
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
