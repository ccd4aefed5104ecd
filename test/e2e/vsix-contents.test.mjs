// The VSIX: packages the extension with vsce (or inspects $LOCKSCOPE_VSIX) and checks that it holds the
// bundles, the grammar wasm and the docs the diagnostics link to, and nothing else (no sources, no
// node_modules); then runs the packaged server from an unpacked copy on a fixture, with no node_modules
// in reach, so a bundle that still needs a dependency or cannot find its wasm fails here.
// Run: node --test test/e2e/vsix-contents.test.mjs (after `npm run build`).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RULES = readdirSync(join(REPO, 'docs', 'rules')).filter((f) => f.endsWith('.md'));
const REQUIRED = [
  'extension.vsixmanifest',
  '[Content_Types].xml',
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/dist/extension.js',
  'extension/dist/lockscope.js',
  'extension/dist/worker.js',
  'extension/dist/report-page.js',
  'extension/grammars/tree-sitter-c.wasm',
  'extension/grammars/web-tree-sitter.wasm',
  'extension/docs/kernel-order.md',
  ...RULES.map((r) => `extension/docs/rules/${r}`),
];
// Anything else in the VSIX must match one of these (source maps and a licence are allowed).
const ALLOWED = [
  /^extension\/dist\/(extension|lockscope|worker)\.js\.map$/,
  /^extension\/license(\.md|\.txt)?$/i,
];

/** Reads a zip's central directory; `read(name)` inflates one entry. */
function readZip(buf) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.set(name, { method, size, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const read = (name) => {
    const e = entries.get(name);
    assert.ok(e, `${name} is not in the VSIX`);
    const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
    const compressedSize = buf.readUInt32LE(e.local + 18) || e.size;
    const data = buf.subarray(start, start + compressedSize);
    return e.method === 0 ? Buffer.from(data) : inflateRawSync(data);
  };
  return { names: [...entries.keys()], entries, read };
}

let work;
let zip;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'lockscope-vsix-'));
  let vsix = process.env.LOCKSCOPE_VSIX;
  if (!vsix) {
    for (const f of ['dist/extension.js', 'dist/lockscope.js', 'grammars/tree-sitter-c.wasm'])
      assert.ok(existsSync(join(REPO, f)), `${f} is missing: run \`npm run build\` first`);
    vsix = join(work, 'lockscope.vsix');
    execFileSync(
      join(REPO, 'node_modules', '.bin', 'vsce'),
      ['package', '--no-dependencies', '--skip-license', '--no-rewrite-relative-links', '-o', vsix],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  zip = readZip(readFileSync(vsix));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the VSIX holds the bundles, the wasm grammars, the rule pages, README and CHANGELOG', () => {
  assert.ok(RULES.length >= 8, `expected the rule pages in docs/rules, found ${RULES.join(', ')}`);
  const missing = REQUIRED.filter((n) => !zip.entries.has(n));
  assert.deepEqual(missing, [], `missing from the VSIX:\n${zip.names.join('\n')}`);
  for (const wasm of ['tree-sitter-c.wasm', 'web-tree-sitter.wasm']) {
    const bytes = zip.read(`extension/grammars/${wasm}`);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), '\0asm', `${wasm} is not WebAssembly`);
    assert.equal(
      bytes.length,
      readFileSync(join(REPO, 'grammars', wasm)).length,
      `${wasm} differs from grammars/`,
    );
  }
});

test('the VSIX holds nothing else: no sources, tests, out/, node_modules', () => {
  const extra = zip.names.filter((n) => !REQUIRED.includes(n) && !ALLOWED.some((re) => re.test(n)));
  assert.deepEqual(extra, [], 'unexpected files in the VSIX (fix .vscodeignore)');
  const forbidden = zip.names.filter((n) =>
    /(^|\/)(node_modules|src|out|test|examples|scripts|\.git|\.ci)\/|\.ts$|\.vsix$|tsconfig/.test(n),
  );
  assert.deepEqual(forbidden, []);
});

test('the packaged manifest points at the bundle and contributes the commands', () => {
  const pkg = JSON.parse(zip.read('extension/package.json').toString('utf8'));
  assert.equal(pkg.main, './dist/extension.js');
  const commands = pkg.contributes.commands.map((c) => c.command);
  for (const c of ['lockscope.showReport', 'lockscope.explainLockdep', 'lockscope.restart'])
    assert.ok(commands.includes(c), `${c} is not contributed`);
});

test('the bundles need no node_modules (only Node built-ins, and vscode in the client)', () => {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  for (const [bundle, allowed] of [
    ['extension/dist/extension.js', ['vscode']],
    ['extension/dist/lockscope.js', []],
    ['extension/dist/worker.js', []],
  ]) {
    const text = zip.read(bundle).toString('utf8');
    const required = new Set(
      [...text.matchAll(/\brequire\(\s*["']([^"'.][^"']*)["']\s*\)/g)].map((m) => m[1]),
    );
    const external = [...required].filter((m) => !builtins.has(m) && !allowed.includes(m));
    assert.deepEqual(external, [], `${bundle} requires modules that are not shipped`);
  }
});

function unpack() {
  const root = join(work, 'unpacked');
  if (existsSync(root)) return root;
  for (const name of zip.names.filter((n) => n.startsWith('extension/') && !n.endsWith('/'))) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), zip.read(name));
  }
  return root;
}

test('the unpacked server scans a fixture (finds its wasm, needs no node_modules)', () => {
  const root = unpack();
  const fixture = join(REPO, 'test', 'fixtures', 'workspaces', 'seed003-alloc-workqueue');
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      'require(process.argv[1]).main(process.argv)',
      join(root, 'extension', 'dist', 'lockscope.js'),
      'scan',
      fixture,
      '--format',
      'json',
      '--fail-on',
      'none',
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
  );
  const report = JSON.parse(out);
  const rules = report.diagnostics.map((d) => `${d.rule}@${d.file.split('/').pop()}:${d.line}`);
  assert.ok(rules.includes('hotplug-under-lock@foo_userptr.c:27'), rules.join(', '));
});

test('the unpacked server writes the HTML report with its page script inline', () => {
  const root = unpack();
  const fixture = join(REPO, 'test', 'fixtures', 'workspaces', 'seed003-alloc-workqueue');
  const html = execFileSync(
    process.execPath,
    [
      '-e',
      'require(process.argv[1]).main(process.argv)',
      join(root, 'extension', 'dist', 'lockscope.js'),
      'scan',
      fixture,
      '--format',
      'html',
      '--fail-on',
      'none',
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
  );
  const page = readFileSync(join(root, 'extension', 'dist', 'report-page.js'), 'utf8');
  assert.ok(page.length > 1000 && html.includes(`<script>${page}</script>`), 'the page script, inline');
  assert.match(html, /<script type="application\/json" id="lockscope-data">\{"version":1,/);
  assert.doesNotMatch(page, /\brequire\(/, 'a browser bundle');
});

/** Resolves to `value` after `ms`, without keeping the test process alive. */
const delay = (ms, value) => new Promise((r) => setTimeout(() => r(value), ms).unref());

/** A bare LSP client over stdio: requests, notifications, and answers to the server's requests. */
function lspClient(child) {
  let buf = Buffer.alloc(0);
  let id = 0;
  const pending = new Map();
  const listeners = [];
  const send = (msg) => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }));
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  };
  child.stdout.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, end).toString())[1]);
      if (buf.length < end + 4 + len) return;
      const msg = JSON.parse(buf.subarray(end + 4, end + 4 + len).toString('utf8'));
      buf = buf.subarray(end + 4 + len);
      if (msg.id !== undefined && msg.method) {
        // the server's requests: configuration gets defaults, everything else null
        const result = msg.method === 'workspace/configuration' ? msg.params.items.map(() => ({})) : null;
        send({ id: msg.id, result });
      } else if (msg.id !== undefined) pending.get(msg.id)?.(msg);
      else for (const l of listeners) l(msg);
    }
  });
  return {
    request: (method, params) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        send({ id, method, params });
      }),
    notify: (method, params) => send({ method, params }),
    on: (fn) => listeners.push(fn),
  };
}

test('the packaged server starts as VS Code starts it and publishes the cross-file finding', async (t) => {
  // vscode-languageclient runs `node dist/lockscope.js lsp --stdio --clientProcessId=<pid>`, then sends
  // initialize, initialized, didChangeConfiguration and didOpen back to back (its startup burst).
  const root = unpack();
  const ws = join(REPO, 'test', 'fixtures', 'workspaces', 'seed003-alloc-workqueue');
  const file = join(ws, 'foo_userptr.c');
  const uri = pathToFileURL(file).href;
  const child = spawn(
    process.execPath,
    [join(root, 'extension', 'dist', 'lockscope.js'), 'lsp', '--stdio', `--clientProcessId=${process.pid}`],
    { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let usageError;
  const rejected = new Promise((r) => (usageError = r));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/^error: /m.test(stderr)) usageError({ usageError: stderr.trim() }); // commander refused the arguments
  });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  t.after(() => child.kill());
  const lsp = lspClient(child);
  const published = new Promise((resolve) =>
    lsp.on((m) => {
      if (m.method !== 'textDocument/publishDiagnostics' || m.params.uri !== uri) return;
      if (m.params.diagnostics.some((d) => d.code === 'hotplug-under-lock')) resolve(m.params);
    }),
  );
  const init = lsp.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(ws).href,
    workspaceFolders: [{ uri: pathToFileURL(ws).href, name: 'ws' }],
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      window: { workDoneProgress: true },
      textDocument: { publishDiagnostics: { relatedInformation: true }, hover: {}, codeAction: {} },
    },
    initializationOptions: {},
  });
  const first = await Promise.race([
    init,
    exited.then((code) => ({ exited: code })),
    rejected,
    delay(15000, { timeout: true }),
  ]);
  assert.ok(first.result?.capabilities, `no initialize result: ${JSON.stringify(first)}\n${stderr}`);
  lsp.notify('initialized', {});
  lsp.notify('workspace/didChangeConfiguration', { settings: null });
  lsp.notify('textDocument/didOpen', {
    textDocument: { uri, languageId: 'c', version: 1, text: readFileSync(file, 'utf8') },
  });
  const params = await Promise.race([published, delay(15000, null)]);
  assert.ok(params, `no hotplug-under-lock published for foo_userptr.c within 15 s\n${stderr}`);
  assert.ok(params.diagnostics.some((d) => d.code === 'hotplug-under-lock' && d.range.start.line === 26));
  await lsp.request('shutdown', null);
  lsp.notify('exit', null);
});
