// Copies the grammar wasm files into grammars/ and bundles with esbuild the extension client and
// the server/CLI (CommonJS; the parser is given the wasm paths, never import.meta.url), and the
// lock report's page script (for browsers).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(dirname(new URL(import.meta.url).pathname), '..');
mkdirSync(join(root, 'grammars'), { recursive: true });
copyFileSync(
  require.resolve('tree-sitter-c/tree-sitter-c.wasm'),
  join(root, 'grammars', 'tree-sitter-c.wasm'),
);
copyFileSync(
  join(dirname(require.resolve('web-tree-sitter')), 'web-tree-sitter.wasm'),
  join(root, 'grammars', 'web-tree-sitter.wasm'),
);

// web-tree-sitter's ESM build reads import.meta.url; in a CommonJS bundle it must come from __filename.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};
await Promise.all([
  build({
    ...common,
    entryPoints: [join(root, 'client/src/extension.ts')],
    outfile: join(root, 'dist/extension.js'),
    external: ['vscode'],
  }),
  build({
    ...common,
    entryPoints: [join(root, 'server/src/cli/main.ts')],
    outfile: join(root, 'dist/lockscope.js'),
  }),
  build({
    ...common,
    entryPoints: [join(root, 'server/src/engine/worker.ts')],
    outfile: join(root, 'dist/worker.js'),
  }),
  // The lock report's script, inlined into every HTML report (server/src/report/page-script.ts).
  build({
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
    logLevel: 'warning',
    entryPoints: [join(root, 'server/src/report/page/main.ts')],
    outfile: join(root, 'dist/report-page.js'),
  }),
]);
