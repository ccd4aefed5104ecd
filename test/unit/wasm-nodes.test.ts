/** The direct wasm node reads: the module check and the symbol lookup (node reads are compared with web-tree-sitter in lower-text.test). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asWasmModule, symbolsOf } from '../../server/src/parsing/wasm-nodes';

describe('wasm node reads', () => {
  it('refuses a module that lacks a function it calls, naming it', () => {
    assert.throws(
      () => asWasmModule({ HEAP_DATA_VIEW: new DataView(new ArrayBuffer(8)), _ts_init: () => 0 }),
      /lacks _ts_tree_root_node_wasm, .*_free: unsupported web-tree-sitter version/,
    );
  });

  it('finds every symbol of a kind, and the ERROR symbol for "ERROR"', () => {
    const types = ['end', 'identifier', null, 'comment', 'identifier'];
    assert.deepEqual(symbolsOf(types, ['identifier', 'ERROR']), [65535, 1, 4]);
    assert.deepEqual(symbolsOf(types, ['comment']), [3]);
    assert.deepEqual(symbolsOf(types, ['missing']), []);
  });
});
