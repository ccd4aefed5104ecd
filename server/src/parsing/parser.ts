/**
 * web-tree-sitter with the C grammar. The wasm files live in `grammars/` (copied there by the
 * build); bundles and compiled tests find that folder by walking up from their own location.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { findUp } from '../util/find-up';
import { asWasmModule, type WasmModule } from './wasm-nodes';

export type { Node as SyntaxNode, Tree } from 'web-tree-sitter';
export { Edit } from 'web-tree-sitter';

let ready: Promise<Language> | undefined;
let wasmModule: WasmModule | undefined;

/** The folder holding tree-sitter-c.wasm and web-tree-sitter.wasm. */
export function grammarsDir(start = __dirname): string {
  const override = process.env.LOCKSCOPE_GRAMMARS;
  if (override) return override;
  const wasm = findUp(start, path.join('grammars', 'tree-sitter-c.wasm'));
  if (!wasm)
    throw new Error(`grammars/tree-sitter-c.wasm not found above ${start}: run \`npm run build\` first`);
  return path.dirname(wasm);
}

function loadLanguage(): Promise<Language> {
  ready ??= (async () => {
    const dir = grammarsDir();
    // Emscripten fills in the options object as the module: the wasm exports land on it.
    const module: Record<string, unknown> = { locateFile: (name: string) => path.join(dir, name) };
    await Parser.init(module);
    wasmModule = asWasmModule(module);
    return Language.load(fs.readFileSync(path.join(dir, 'tree-sitter-c.wasm')));
  })();
  return ready;
}

/** web-tree-sitter's wasm module, for the direct node reads of `wasm-nodes`; set up by `CParser.create`. */
export function parserWasm(): WasmModule {
  if (!wasmModule) throw new Error('parserWasm() called before CParser.create()');
  return wasmModule;
}

/** A C parser; create one per thread and reuse it. */
export class CParser {
  private constructor(private readonly parser: Parser) {}

  static async create(): Promise<CParser> {
    const language = await loadLanguage();
    const parser = new Parser();
    parser.setLanguage(language);
    return new CParser(parser);
  }

  /**
   * Parses `text`; with `old` (already edited), reuses the unchanged parts of the old tree.
   * Throws ParseTimeout when the parse takes longer than `budgetMs`.
   */
  parse(text: string, old?: Tree, budgetMs = 10_000): Tree {
    const deadline = Date.now() + budgetMs;
    const tree = this.parser.parse(text, old ?? null, { progressCallback: () => Date.now() > deadline });
    if (!tree) throw new ParseTimeout(budgetMs);
    return tree;
  }
}

export class ParseTimeout extends Error {
  constructor(budgetMs: number) {
    super(`parsing took longer than ${budgetMs} ms; file skipped`);
  }
}
