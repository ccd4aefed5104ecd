/**
 * Syntax nodes that ask web-tree-sitter for each property at most once.
 *
 * Every web-tree-sitter Node getter (type, endIndex, endPosition, children, fields) copies the
 * node into wasm memory, calls into wasm and copies the answer back, and every node it returns
 * is a new JS object. The lowering reads the same few properties of a node many times, so it
 * works on these wrappers instead: each property is fetched once, text is sliced from the
 * source string, and a child found through a field shares its wrapper with the child lists.
 */
import type { SyntaxNode, Tree } from './parser';

interface Point {
  row: number;
  column: number;
}

/** The source text of one tree and what is needed to wrap its nodes. */
export class SourceTree {
  readonly root: CachedNode;
  private readonly text: string;
  /** Where the root node, and so `text`, starts: leading blank lines are outside it. */
  private readonly offset: number;
  private readonly fieldIds = new Map<string, number>();

  constructor(tree: Tree) {
    const root = tree.rootNode;
    this.text = root.text;
    this.offset = root.startIndex;
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

  fieldId(name: string): number {
    return this.fieldIds.get(name) ?? -1;
  }
}

export class CachedNode {
  private cachedType: string | undefined;
  private cachedEnd = -1;
  private cachedEndPosition: Point | undefined;
  private cachedText: string | undefined;
  private named: CachedNode[] | undefined;
  /** Field children looked up so far: field id, then the child (or null), repeated. */
  private fieldChildren: (number | CachedNode | null)[] | undefined;

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

  get startPosition(): Point {
    return this.node.startPosition;
  }

  get endPosition(): Point {
    return (this.cachedEndPosition ??= this.node.endPosition);
  }

  get text(): string {
    return (this.cachedText ??= this.src.slice(this.node.startIndex, this.endIndex));
  }

  get namedChildren(): CachedNode[] {
    if (!this.named) {
      const nodes = this.node.namedChildren;
      const named: CachedNode[] = new Array(nodes.length);
      for (let i = 0; i < nodes.length; i++)
        named[i] = this.fieldChild(nodes[i].id) ?? this.src.wrap(nodes[i]);
      this.named = named;
    }
    return this.named;
  }

  /** The child in field `name` (tree-sitter's childForFieldName). */
  field(name: string): CachedNode | null {
    const id = this.src.fieldId(name);
    if (id < 0) return null;
    const cache = (this.fieldChildren ??= []);
    for (let i = 0; i < cache.length; i += 2) if (cache[i] === id) return cache[i + 1] as CachedNode | null;
    const found = this.node.childForFieldId(id);
    const child = found ? (this.namedChild(found.id) ?? this.src.wrap(found)) : null;
    cache.push(id, child);
    return child;
  }

  /** All children in field `name` (tree-sitter's childrenForFieldName). */
  fields(name: string): CachedNode[] {
    const id = this.src.fieldId(name);
    if (id <= 0) return [];
    return this.node.childrenForFieldId(id).map((c) => this.namedChild(c.id) ?? this.src.wrap(c));
  }

  private namedChild(id: number): CachedNode | undefined {
    return this.named?.find((c) => c.id === id);
  }

  private fieldChild(id: number): CachedNode | undefined {
    const cache = this.fieldChildren;
    if (!cache) return undefined;
    for (let i = 1; i < cache.length; i += 2) {
      const c = cache[i] as CachedNode | null;
      if (c?.id === id) return c;
    }
    return undefined;
  }
}
