/**
 * Syntax node reads straight from web-tree-sitter's wasm module.
 *
 * web-tree-sitter's Node getters copy the node into wasm memory through a generic typed
 * setter, call into wasm, and build a new JS Node (with a position object) for every node
 * they return; in the lowering that layer cost a third as much as the parse. The wasm
 * functions behind them are exported on the Emscripten module object, which is the options
 * object given to `Parser.init`. Here a node is its five marshalled numbers, written and read
 * with one DataView, and nothing is allocated per call but the lists asked for.
 */

/** The wasm functions and memory used here, as web-tree-sitter 0.25+ exports them. */
export interface WasmModule {
  HEAP_DATA_VIEW: DataView;
  _ts_init(): number;
  _ts_tree_root_node_wasm(tree: number): void;
  _ts_node_symbol_wasm(tree: number): number;
  _ts_node_end_index_wasm(tree: number): number;
  _ts_node_has_error_wasm(tree: number): number;
  _ts_node_is_missing_wasm(tree: number): number;
  _ts_node_children_wasm(tree: number): void;
  _ts_node_named_children_wasm(tree: number): void;
  _ts_node_child_by_field_id_wasm(tree: number, field: number): void;
  _ts_node_children_by_field_id_wasm(tree: number, field: number): void;
  _ts_node_descendants_of_type_wasm(
    tree: number,
    symbols: number,
    count: number,
    startRow: number,
    startColumn: number,
    endRow: number,
    endColumn: number,
  ): void;
  _malloc(size: number): number;
  _free(address: number): void;
}

const REQUIRED: readonly (keyof WasmModule)[] = [
  'HEAP_DATA_VIEW',
  '_ts_init',
  '_ts_tree_root_node_wasm',
  '_ts_node_symbol_wasm',
  '_ts_node_end_index_wasm',
  '_ts_node_has_error_wasm',
  '_ts_node_is_missing_wasm',
  '_ts_node_children_wasm',
  '_ts_node_named_children_wasm',
  '_ts_node_child_by_field_id_wasm',
  '_ts_node_children_by_field_id_wasm',
  '_ts_node_descendants_of_type_wasm',
  '_malloc',
  '_free',
];

/** A node as web-tree-sitter marshals it: id, start index, start row, start column, alias. */
const INTS_PER_NODE = 5;
const NODE_BYTES = INTS_PER_NODE * 4;
/** The symbol tree-sitter gives ERROR nodes (web-tree-sitter's `descendantsOfType` adds it for "ERROR"). */
const ERROR_SYMBOL = 65535;

export interface RawNode {
  readonly id: number;
  readonly startIndex: number;
  readonly startRow: number;
  readonly startColumn: number;
  /** The alias symbol tree-sitter keeps in the node (its context[3]). */
  readonly alias: number;
}

/** Builds the caller's node object from a node's marshalled numbers. */
export type NodeMaker<N> = (
  id: number,
  startIndex: number,
  startRow: number,
  startColumn: number,
  alias: number,
) => N;

/**
 * Node reads on one tree: each call marshals the node into the transfer buffer first, and the
 * nodes it returns are made by `make`, so callers keep the numbers in their own objects.
 */
export class WasmNodes<N extends RawNode> {
  private readonly transfer: number;

  constructor(
    private readonly wasm: WasmModule,
    private readonly tree: number,
    private readonly make: NodeMaker<N>,
  ) {
    this.transfer = wasm._ts_init();
  }

  root(): N {
    this.wasm._ts_tree_root_node_wasm(this.tree);
    return this.read(this.transfer);
  }

  symbol(node: RawNode): number {
    this.write(node);
    return this.wasm._ts_node_symbol_wasm(this.tree);
  }

  endIndex(node: RawNode): number {
    this.write(node);
    return this.wasm._ts_node_end_index_wasm(this.tree);
  }

  hasError(node: RawNode): boolean {
    this.write(node);
    return this.wasm._ts_node_has_error_wasm(this.tree) === 1;
  }

  isMissing(node: RawNode): boolean {
    this.write(node);
    return this.wasm._ts_node_is_missing_wasm(this.tree) === 1;
  }

  children(node: RawNode): N[] {
    this.write(node);
    this.wasm._ts_node_children_wasm(this.tree);
    return this.list();
  }

  namedChildren(node: RawNode): N[] {
    this.write(node);
    this.wasm._ts_node_named_children_wasm(this.tree);
    return this.list();
  }

  childForField(node: RawNode, field: number): N | null {
    this.write(node);
    this.wasm._ts_node_child_by_field_id_wasm(this.tree, field);
    return this.wasm.HEAP_DATA_VIEW.getInt32(this.transfer, true) === 0 ? null : this.read(this.transfer);
  }

  childrenForField(node: RawNode, field: number): N[] {
    this.write(node);
    this.wasm._ts_node_children_by_field_id_wasm(this.tree, field);
    return this.list();
  }

  /** Descendants whose symbol is in `symbols` (see `symbolsOf`), in document order. */
  descendantsOfSymbols(node: RawNode, symbols: readonly number[]): N[] {
    const address = this.wasm._malloc(4 * symbols.length);
    const view = this.wasm.HEAP_DATA_VIEW;
    for (let i = 0; i < symbols.length; i++) view.setInt32(address + 4 * i, symbols[i], true);
    this.write(node);
    this.wasm._ts_node_descendants_of_type_wasm(this.tree, address, symbols.length, 0, 0, 0, 0);
    this.wasm._free(address);
    return this.list();
  }

  private write(node: RawNode): void {
    const view = this.wasm.HEAP_DATA_VIEW;
    const at = this.transfer;
    view.setInt32(at, node.id, true);
    view.setInt32(at + 4, node.startIndex, true);
    view.setInt32(at + 8, node.startRow, true);
    view.setInt32(at + 12, node.startColumn, true);
    view.setInt32(at + 16, node.alias, true);
  }

  private read(at: number): N {
    const view = this.wasm.HEAP_DATA_VIEW;
    return this.make(
      view.getInt32(at, true),
      view.getInt32(at + 4, true),
      view.getInt32(at + 8, true),
      view.getInt32(at + 12, true),
      view.getInt32(at + 16, true),
    );
  }

  /** The count and malloc'ed node array a list call leaves in the transfer buffer; frees it. */
  private list(): N[] {
    const view = this.wasm.HEAP_DATA_VIEW;
    const count = view.getInt32(this.transfer, true);
    if (count === 0) return [];
    const buffer = view.getUint32(this.transfer + 4, true);
    const nodes: N[] = new Array(count);
    for (let i = 0; i < count; i++) nodes[i] = this.read(buffer + i * NODE_BYTES);
    this.wasm._free(buffer);
    return nodes;
  }
}

/** The symbols named `types` in a grammar's symbol table, as web-tree-sitter's descendantsOfType finds them. */
export function symbolsOf(typesBySymbol: readonly (string | null)[], types: readonly string[]): number[] {
  const symbols = types.includes('ERROR') ? [ERROR_SYMBOL] : [];
  typesBySymbol.forEach((type, symbol) => {
    if (type !== null && types.includes(type)) symbols.push(symbol);
  });
  return symbols;
}

/** The module object `Parser.init` filled in, checked to hold every function used here. */
export function asWasmModule(module: Record<string, unknown>): WasmModule {
  const missing = REQUIRED.filter((name) => module[name] === undefined);
  if (missing.length)
    throw new Error(
      `web-tree-sitter's wasm module lacks ${missing.join(', ')}: unsupported web-tree-sitter version`,
    );
  return module as unknown as WasmModule;
}
