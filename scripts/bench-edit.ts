/**
 * Edit latency through the real language server: a generated 10k-line kernel-style file, 200
 * scripted single-character edits over stdio, time from didChange to the next diagnostics.
 *
 *   node out/scripts/bench-edit.js [--lines N] [--edits N] [--workspace DIR]
 *
 * With --workspace, the file is added to an existing tree (e.g. a driver) that the server
 * indexes first, so the figure includes interprocedural re-analysis of a big workspace.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const REPO = path.resolve(__dirname, '../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Kernel-style functions, repeated with distinct names until the file has `lines` lines. */
function generate(lines: number): string {
  const out = [
    '#include <linux/mutex.h>',
    'struct foo_dev { struct mutex lock; spinlock_t irq_lock; int state; };',
    '',
  ];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `static int foo_op_${i}(struct foo_dev *d, int v)`,
      '{',
      '\tint ret = 0;',
      '',
      '\tmutex_lock(&d->lock);',
      '\tif (v < 0) {',
      '\t\tret = -EINVAL;',
      '\t\tgoto out_unlock;',
      '\t}',
      '\tspin_lock_irq(&d->irq_lock);',
      `\td->state = v + ${i};`,
      '\tspin_unlock_irq(&d->irq_lock);',
      'out_unlock:',
      '\tmutex_unlock(&d->lock);',
      '\treturn ret;',
      '}',
      '',
    );
  }
  return out.join('\n') + '\n';
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const lines = Number(arg('lines', '10000'));
  const edits = Number(arg('edits', '200'));
  const workspace = arg('workspace', '');
  const dir = workspace ? path.resolve(workspace) : fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-edit-'));
  const file = path.join(dir, `lockscope_bench_edit_${process.pid}.c`);
  const text = generate(lines);
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).toString();
  const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'lockscope'), 'lsp'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const conn = createMessageConnection(
    new StreamMessageReader(proc.stdout!),
    new StreamMessageWriter(proc.stdin!),
  );
  let waiting: ((v: void) => void) | undefined;
  let ready: (() => void) | undefined;
  const readyPromise = new Promise<void>((r) => (ready = r));
  conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => {
    if (p.uri === uri && waiting) {
      const w = waiting;
      waiting = undefined;
      w();
    }
  });
  conn.onNotification('lockscope/status', (p: { state: string }) => {
    if (p.state === 'ready') ready?.();
  });
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.listen();
  const started = performance.now();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).toString(),
    workspaceFolders: [{ uri: pathToFileURL(dir).toString(), name: 'bench' }],
    capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } },
  });
  await conn.sendNotification('initialized', {});
  await readyPromise;
  const indexMs = performance.now() - started;
  await conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'c', version: 1, text },
  });
  // Typing happens inside function bodies: edit body lines (they start with a tab), inserting a
  // space after the tab and deleting it again, at lines spread over the whole file.
  const bodyLines = text
    .split('\n')
    .map((l, n) => (l.startsWith('\t') ? n : -1))
    .filter((n) => n >= 0);
  const times: number[] = [];
  for (let i = 0; i < edits; i++) {
    const line = bodyLines[(Math.floor(i / 2) * 7919) % bodyLines.length];
    const change =
      i % 2 === 0
        ? { range: { start: { line, character: 1 }, end: { line, character: 1 } }, text: ' ' }
        : { range: { start: { line, character: 1 }, end: { line, character: 2 } }, text: '' };
    const published = new Promise<void>((r) => (waiting = r));
    const t = performance.now();
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: i + 2 },
      contentChanges: [change],
    });
    await published;
    times.push(performance.now() - t);
  }
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  proc.kill();
  fs.rmSync(file);
  if (!workspace) fs.rmSync(dir, { recursive: true });
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `file: ${lines} lines, ${(text.length / 1024).toFixed(0)} KB; workspace indexed in ${indexMs.toFixed(0)} ms`,
  );
  console.log(
    `${edits} edits inside function bodies, didChange -> diagnostics (includes the server's 10 ms debounce):`,
  );
  console.log(
    `  p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`,
  );
}

void main();
