/**
 * Hostile input: random bytes, damaged fixtures, absurd sizes and depths, non-UTF-8, binary
 * files, files that vanish or turn into folders or FIFOs mid-scan, symlink loops, workers that
 * hang or crash. The engine and scanPaths never throw, never hang, and write nothing outside
 * the cache folder; the CLI exits 0/1 with a note per skipped file (2 only for missing paths).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultSettings } from '../../server/src/config/settings';
import { Engine } from '../../server/src/engine/engine';
import { type ScanOutcome, scanPaths } from '../../server/src/engine/scan';
import { FIXTURES } from '../support/fixtures';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'bin', 'lockscope');

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let root: string;
let tree: string;
let hasFifo = false;

/** Names, kinds and sizes of everything under `dir` except `skip` (symlinks not followed). */
function snapshot(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (skip.includes(p)) continue;
      const st = fs.lstatSync(p);
      out.push(`${path.relative(dir, p)} ${st.mode.toString(8)} ${e.isFile() ? st.size : ''} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Regular files under `dir`, symlinks not followed (readdir's recursive mode follows them). */
function regularFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...regularFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

function mkfifo(p: string): boolean {
  return spawnSync('mkfifo', [p]).status === 0;
}

function buildTree(dir: string): void {
  const rnd = prng(42);
  const w = (rel: string, data: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), data);
  };
  // Random bytes: with NULs (binary) and printable-only (garbage C).
  for (let i = 0; i < 4; i++)
    w(`random/bytes-${i}.c`, Buffer.from(Array.from({ length: 20_000 }, () => Math.floor(rnd() * 256))));
  for (let i = 0; i < 2; i++) {
    const alphabet = '{}()[];,*&|!=<>+-/ \n\tabcxyz_019#"\'\\';
    w(
      `random/text-${i}.c`,
      Array.from({ length: 12_000 }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''),
    );
  }
  // Truncated and mutated copies of the rule fixtures.
  const fixtures = fs
    .readdirSync(path.join(FIXTURES, 'rules'))
    .filter((f) => f.endsWith('.c'))
    .sort();
  for (const [i, f] of fixtures.entries()) {
    const text = fs.readFileSync(path.join(FIXTURES, 'rules', f), 'utf8');
    w(`damaged/trunc-${f}`, text.slice(0, Math.floor(rnd() * text.length)));
    const chars = text.split('');
    for (let k = 0; k < 12; k++) {
      const at = Math.floor(rnd() * chars.length);
      const op = Math.floor(rnd() * 3);
      if (op === 0) chars.splice(at, 1 + Math.floor(rnd() * 20));
      else if (op === 1) chars.splice(at, 0, '{}()[];#/*"'[Math.floor(rnd() * 11)]);
      else chars[at] = String.fromCharCode(32 + Math.floor(rnd() * 95));
    }
    w(`damaged/mut-${i}-${f}`, chars.join(''));
  }
  // Sizes and depths.
  // 2 MB on one line: a generated table (as in firmware headers), then code on the same line.
  const table = Array.from({ length: 240_000 }, (_, i) => `0x${i.toString(16)}`).join(', ');
  const code =
    'void f(struct dev *d) { spin_lock(&d->lock); x = kmalloc(n, GFP_KERNEL); spin_unlock(&d->lock); }';
  w('huge/long-line.c', `static const u32 table[] = { ${table} }; ${code}`);
  const depth = 10_000;
  w('huge/deep-parens.c', `int f(void) { return ${'('.repeat(depth)}1${')'.repeat(depth)}; }\n`);
  w('huge/deep-braces.c', `void f(void) { ${'{ mutex_lock(&m); '.repeat(depth)}${'} '.repeat(depth)}}\n`);
  w(
    'huge/deep-if.c',
    `void f(int x) {\n${'if (x) {\n'.repeat(depth)}mutex_lock(&m);\n${'}\n'.repeat(depth)}}\n`,
  );
  w(
    'huge/else-if-chain.c',
    `void f(int x) {\nif (x == 0) mutex_lock(&m);\n${Array.from({ length: depth }, (_, i) => `else if (x == ${i + 1}) spin_lock(&s);`).join('\n')}\n}\n`,
  );
  const ident = 'a'.repeat(100_000);
  w(
    'huge/long-ident.c',
    `static DEFINE_MUTEX(${ident});\nvoid ${ident}_fn(void) { mutex_lock(&${ident}); ${ident}_fn(); mutex_unlock(&${ident}); }\n`,
  );
  const rec = Array.from({ length: 1000 }, (_, i) => {
    const next = (i + 1) % 1000;
    return `void rec_${i}(struct dev *d)\n{\n\tmutex_lock(&d->m${i % 7});\n\tif (d->n--)\n\t\trec_${next}(d);\n\tmutex_unlock(&d->m${i % 7});\n}\n`;
  });
  w('huge/mutual-recursion.c', rec.join('\n'));
  // Encodings and binary.
  w(
    'enc/non-utf8.c',
    Buffer.concat([
      Buffer.from('/* caf'),
      Buffer.from([0xe9, 0xff, 0xfe, 0x80]),
      Buffer.from(' */\nvoid f(struct dev *d) { mutex_lock(&d->m); char *s = "'),
      Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
      Buffer.from('"; mutex_unlock(&d->m); }\n'),
    ]),
  );
  w(
    'enc/binary-nul.c',
    Buffer.concat([Buffer.from('int x;\n'), Buffer.alloc(64), Buffer.from('void f(void) {}\n')]),
  );
  w('enc/bom.c', '\ufeffvoid f(void) { }\n');
  w('enc/empty.c', '');
  // Links and special files.
  fs.mkdirSync(path.join(dir, 'links'), { recursive: true });
  fs.symlinkSync('..', path.join(dir, 'links', 'up'));
  fs.symlinkSync('.', path.join(dir, 'links', 'self'));
  fs.symlinkSync('loop-b.c', path.join(dir, 'links', 'loop-a.c'));
  fs.symlinkSync('loop-a.c', path.join(dir, 'links', 'loop-b.c'));
  fs.symlinkSync('nowhere.c', path.join(dir, 'links', 'dangling.c'));
  w('special/folder.c/inside.c', 'void inside(void) { }\n');
  hasFifo = mkfifo(path.join(dir, 'special', 'pipe.c'));
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-robust-'));
  tree = path.join(root, 'tree');
  buildTree(tree);
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

function problemFiles(o: ScanOutcome): string[] {
  return o.problems.map((p) => p.file);
}

describe('robustness', () => {
  it('the engine takes every hostile file without throwing', async () => {
    const engine = await Engine.create();
    const files = regularFiles(tree);
    assert.ok(files.length > 100);
    for (const f of files) {
      const res = engine.setFile(f, fs.readFileSync(path.join(tree, f), 'utf8'));
      res.tree?.delete();
      assert.ok(res.facts || res.problem, f);
    }
    const result = engine.analyze();
    assert.ok(result.functions > 1000);
    engine.parseOnly('\u0000\uffff{{{{');
  });

  for (const jobs of [1, 2]) {
    it(`scanPaths (${jobs} job${jobs > 1 ? 's' : ''}, cache) completes, notes skipped files, writes only its cache`, async () => {
      const cacheDir = path.join(root, `cache-${jobs}`);
      const before = snapshot(root, [cacheDir]);
      const o = await scanPaths(['tree'], root, defaultSettings(), { jobs, cache: { dir: cacheDir } });
      assert.deepEqual(snapshot(root, [cacheDir]), before);
      assert.ok(o.stats.files > 100, `files ${o.stats.files}`);
      const noted = problemFiles(o);
      assert.ok(noted.includes('tree/enc/binary-nul.c'), noted.join(', '));
      assert.ok(noted.some((f) => f.startsWith('tree/random/bytes-')));
      assert.ok(o.engine.index.get('tree/enc/non-utf8.c')?.functions.length === 1);
      assert.ok(o.engine.index.get('tree/special/folder.c/inside.c'));
      assert.equal(o.missing.length, 0);
      const cacheEntries = fs.readdirSync(cacheDir);
      assert.ok(
        cacheEntries.every((e) => e === 'CACHEDIR.TAG' || e.endsWith('.pack') || e.endsWith('.memo')),
        cacheEntries.join(', '),
      );

      const warm = await scanPaths(['tree'], root, defaultSettings(), { jobs, cache: { dir: cacheDir } });
      assert.equal(warm.cache?.misses, 0);
      assert.equal(warm.result.diagnostics.length, o.result.diagnostics.length);
      assert.deepEqual(snapshot(root, [cacheDir]), before);
    });
  }

  it('explicit special paths: a FIFO and a folder named .c are skipped or walked, never read blindly', async (t) => {
    if (!hasFifo) {
      t.skip('mkfifo is not available');
      return;
    }
    const o = await scanPaths(
      ['tree/special/pipe.c', 'tree/special/folder.c', 'tree/links/loop-a.c', 'nope.c'],
      root,
      defaultSettings(),
      {
        jobs: 1,
      },
    );
    assert.ok(
      o.problems.some((p) => p.file === 'tree/special/pipe.c' && /not a regular file/.test(p.message)),
    );
    assert.ok(o.engine.index.get('tree/special/folder.c/inside.c'));
    assert.deepEqual(o.missing, ['tree/links/loop-a.c', 'nope.c']);
  });

  for (const jobs of [1, 2]) {
    it(`files that vanish or change kind between the walk and the read (${jobs} job${jobs > 1 ? 's' : ''})`, async () => {
      const dir = path.join(root, `vanish-${jobs}`);
      const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}.c`);
      fs.mkdirSync(dir, { recursive: true });
      for (const n of names) fs.writeFileSync(path.join(dir, n), `void ${n.slice(0, 3)}(void) { }\n`);
      let struck = false;
      const o = await scanPaths(['.'], dir, defaultSettings(), {
        jobs,
        onProgress: () => {
          if (struck) return;
          struck = true;
          // After the first file is done: later files disappear, become folders or FIFOs.
          for (const n of names.slice(10)) {
            const p = path.join(dir, n);
            fs.rmSync(p);
            const i = Number(n.slice(1, 3));
            if (i % 3 === 1) fs.mkdirSync(p);
            else if (i % 3 === 2) mkfifo(p);
          }
        },
      });
      assert.ok(struck);
      const vanished = o.problems.filter((p) => /cannot read|folder|not a regular file/.test(p.message));
      assert.ok(vanished.length >= 15, o.problems.map((p) => `${p.file}: ${p.message}`).join('\n'));
      assert.ok(o.stats.files >= 1 && o.stats.files <= 15, `files ${o.stats.files}`);
    });
  }

  it('a worker that hangs is abandoned after the per-file budget', async () => {
    const dir = path.join(root, 'small');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(dir, `s${i}.c`), `void s${i}(void) { }\n`);
    const hang = path.join(root, 'hanging-worker.js');
    fs.writeFileSync(
      hang,
      "const { parentPort } = require('node:worker_threads');\nparentPort.postMessage({ ready: true });\nparentPort.on('message', () => { for (;;) {} });\n",
    );
    const start = Date.now();
    const o = await scanPaths(['.'], dir, defaultSettings(), {
      jobs: 2,
      workerScript: hang,
      fileTimeoutMs: 300,
    });
    assert.ok(Date.now() - start < 30_000);
    assert.equal(o.problems.filter((p) => /longer than 300 ms/.test(p.message)).length, 10);
  });

  it('a tree too big for the heap is indexed in part, with a note; the cache keeps what it had', async () => {
    const dir = path.join(root, 'heap');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `h${i}.c`), `void h${i}(void) { }\n`);
    const cacheDir = path.join(root, 'heap-cache');
    const full = await scanPaths(['.'], dir, defaultSettings(), { jobs: 1, cache: { dir: cacheDir } });
    assert.equal(full.stats.files, 40);
    assert.ok(!full.problems.some((p) => p.file === '(index)'));
    // Over budget from the start: while reading files (no cache), then while loading cached facts.
    for (const cache of [false, { dir: cacheDir }] as const) {
      const part = await scanPaths(['.'], dir, defaultSettings(), { jobs: 1, cache, heapBudgetBytes: 1 });
      const note = part.problems.find((p) => p.file === '(index)');
      assert.match(
        note?.message ?? '',
        /^indexed 0 of 40 files: the heap passed .*NODE_OPTIONS=--max-old-space-size/,
      );
      assert.equal(part.stats.files, 0);
    }
    const again = await scanPaths(['.'], dir, defaultSettings(), { jobs: 1, cache: { dir: cacheDir } });
    assert.equal(again.cache?.hits, 40);
  });

  it('a worker that crashes costs the file it was on, not the scan', async () => {
    const dir = path.join(root, 'small');
    const crash = path.join(root, 'crashing-worker.js');
    fs.writeFileSync(
      crash,
      [
        "const { parentPort } = require('node:worker_threads');",
        'parentPort.postMessage({ ready: true });',
        "parentPort.on('message', (m) => { if (m.path === 's3.c') process.exit(7); else parentPort.postMessage({ id: m.id, problem: { file: m.path, message: 'handled' } }); });",
      ].join('\n'),
    );
    const o = await scanPaths(['.'], dir, defaultSettings(), { jobs: 2, workerScript: crash });
    assert.ok(o.problems.some((p) => p.file === 's3.c' && /worker stopped/.test(p.message)));
    assert.equal(o.problems.filter((p) => p.message === 'handled').length, 9);
  });

  it('the CLI exits 0/1 on hostile trees, with a note per skipped file; 2 only for missing paths', () => {
    assert.ok(
      fs.existsSync(path.join(REPO, 'dist', 'lockscope.js')),
      'run the build first (dist/lockscope.js)',
    );
    const cwd = path.join(root, 'cli-cwd');
    fs.mkdirSync(cwd, { recursive: true });
    const cacheDir = path.join(root, 'cli-cache');
    const before = snapshot(root, [cacheDir]);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, 'scan', ...args], {
        cwd,
        encoding: 'utf8',
        timeout: 100_000,
        maxBuffer: 256 << 20,
      });
    const scan = run(tree, '--format', 'json', '--cache', cacheDir, '--jobs', '2', '--fail-on', 'none');
    assert.equal(scan.status, 0, scan.stderr);
    assert.match(scan.stderr, /note: .*binary-nul\.c: binary file/);
    assert.match(scan.stderr, /note: .*bytes-0\.c/);
    const json = JSON.parse(scan.stdout) as { stats: { files: number } };
    assert.ok(json.stats.files > 100);
    const failing = run(tree, '--jobs', '1', '--cache', cacheDir); // warm: from the first run's cache
    assert.ok(failing.status === 0 || failing.status === 1, `exit ${failing.status}: ${failing.stderr}`);
    if (hasFifo) {
      const fifo = run(path.join(tree, 'special', 'pipe.c'));
      assert.equal(fifo.status, 0, fifo.stderr);
      assert.match(fifo.stderr, /note: .*pipe\.c: not a regular file/);
    }
    const missing = run(path.join(root, 'no-such-folder'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file or folder/);
    assert.deepEqual(snapshot(root, [cacheDir]), before, 'the CLI wrote outside its cache folder');
    assert.deepEqual(fs.readdirSync(cwd), []);
  });
});
