/**
 * The analysis-result cache: a scan with nothing changed reuses the stored result and reports
 * exactly what the analysis reported; a changed file, setting or tool version, or a damaged,
 * truncated or foreign entry, is never trusted: the scan analyses and stores a fresh result.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../server/src/cli/main';
import { defaultSettings, type Settings } from '../../server/src/config/settings';
import { indexFiles, type ScanOptions, type ScanOutcome, scanPaths } from '../../server/src/engine/scan';
import { Engine } from '../../server/src/engine/engine';
import { toJson } from '../../server/src/report/json';
import { toSarif } from '../../server/src/report/sarif';
import { formatText } from '../../server/src/report/text';
import { findFiles } from '../../server/src/workspace/files';
import { envelopeDamages } from '../support/damage';
import { FIXTURES } from '../support/fixtures';
import { REPO } from '../support/lsp-client';

let root: string;
let ws: string;

function scanDir(
  dir: string,
  cacheDir: string,
  opts: ScanOptions = {},
  settings: Settings = defaultSettings(),
): Promise<ScanOutcome> {
  return scanPaths(['.'], dir, settings, {
    jobs: 1,
    cache: { dir: cacheDir, toolVersion: 'test-1' },
    reuseResult: true,
    ...opts,
  });
}

const scan = (cacheDir: string, opts: ScanOptions = {}, settings?: Settings) =>
  scanDir(ws, cacheDir, opts, settings);

/** The JSON report without its timings, plus the SARIF and text reports: what a user sees. */
function reports(o: ScanOutcome): string {
  const json = toJson(o.result.diagnostics, o.result.graph, { ...o.stats, parseMs: 0, analyzeMs: 0 });
  const sarif = toSarif(o.result.diagnostics, o.result.graph, { toolVersion: '0.0.0', baseUri: '/base' });
  return JSON.stringify([json, sarif, formatText(o.result.diagnostics)], null, 1);
}

function resultFileOf(cacheDir: string): string {
  const files = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.result'));
  assert.equal(files.length, 1, `one result in ${cacheDir}: ${files.join(', ')}`);
  return path.join(cacheDir, files[0]);
}

function freshCacheDir(name: string): string {
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Rewrites the stored payload with `edit` applied, under a checksum and size that match it. */
function rewritePayload(file: string, edit: (payload: string) => string): void {
  const [magic, header, body] = fs.readFileSync(file, 'utf8').split('\n');
  const out = Buffer.from(edit(body));
  const sum = createHash('sha256').update(out).digest('hex');
  fs.writeFileSync(file, `${magic}\n${header.split(' ')[0]} ${sum} ${out.length}\n${out.toString()}\n`);
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-result-'));
  ws = path.join(root, 'ws');
  fs.cpSync(path.join(FIXTURES, 'workspaces', 'seed000-perf-cycle'), ws, { recursive: true });
  fs.cpSync(path.join(FIXTURES, 'workspaces', 'abba-two-files'), path.join(ws, 'abba'), { recursive: true });
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('analysis-result cache', () => {
  const trees = [
    path.join(REPO, 'examples'),
    path.join(FIXTURES, 'rules'),
    ...fs
      .readdirSync(path.join(FIXTURES, 'workspaces'))
      .sort()
      .map((d) => path.join(FIXTURES, 'workspaces', d)),
  ];

  it('a warm scan reuses the result and reports exactly what the cold one did', async () => {
    let findings = 0;
    for (const [i, tree] of trees.entries()) {
      const dir = freshCacheDir(`trees-${i}`);
      const cold = await scanDir(tree, dir);
      assert.equal(cold.reused, false, tree);
      findings += cold.result.diagnostics.length;
      const warm = await scanDir(tree, dir);
      assert.equal(warm.reused, true, tree);
      assert.equal(warm.engine.index.size, 0, 'no facts loaded');
      assert.equal(warm.stats.files, cold.stats.files);
      assert.equal(warm.stats.functions, cold.stats.functions);
      assert.equal(reports(warm), reports(cold), tree);
      assert.deepEqual(warm.problems, cold.problems);
    }
    assert.ok(findings > 100, `findings ${findings}`);
  });

  it('the stored graph finds the same cycles, in the same order, as the analysed one', async () => {
    const dir = freshCacheDir('graph');
    const cold = await scan(dir);
    const warm = await scan(dir);
    assert.equal(warm.reused, true);
    assert.ok(cold.result.graph.cycles().length > 0);
    // As JSON: a stored property that was undefined comes back absent, which nothing can tell apart.
    const same = (f: (o: ScanOutcome) => unknown) =>
      assert.equal(JSON.stringify(f(warm)), JSON.stringify(f(cold)));
    same((o) => o.result.graph.cycles());
    same((o) => o.result.graph.toData());
    same((o) => o.result.diagnostics);
    assert.deepEqual(warm.result.graph.classesOnCycles(), cold.result.graph.classesOnCycles());
  });

  it('non-ASCII names and messages come back as they were (the payload is ASCII)', async () => {
    const dir = freshCacheDir('unicode');
    const tree = path.join(root, 'unicode');
    fs.cpSync(path.join(FIXTURES, 'workspaces', 'seed003-alloc-workqueue'), path.join(tree, 'drv_ümlaut_α'), {
      recursive: true,
    });
    const cold = await scanDir(tree, dir);
    assert.ok(cold.result.diagnostics.some((d) => d.file.includes('ümlaut_α')));
    assert.ok(
      cold.result.diagnostics.some((d) => /[^\0-\x7f]/.test(d.message)),
      'a message with an arrow',
    );
    const warm = await scanDir(tree, dir);
    assert.equal(warm.reused, true);
    assert.equal(reports(warm), reports(cold));
    assert.ok(!fs.readFileSync(resultFileOf(dir)).some((b) => b > 0x7f));
  });

  it('reusing the result leaves the facts pack whole', async () => {
    const dir = freshCacheDir('pack');
    const cold = await scan(dir);
    const pack = fs.readdirSync(dir).find((f) => f.endsWith('.pack'))!;
    const before = fs.readFileSync(path.join(dir, pack));
    assert.equal((await scan(dir)).reused, true);
    assert.deepEqual(fs.readFileSync(path.join(dir, pack)), before);
    const facts = await scan(dir, { reuseResult: false });
    assert.equal(facts.cache?.hits, cold.stats.files);
    assert.equal(facts.cache?.misses, 0);
  });

  it('a changed file, file name, setting or tool version is not reused', async () => {
    const dir = freshCacheDir('stale');
    const cold = await scan(dir);
    const file = path.join(
      ws,
      'abba',
      fs.readdirSync(path.join(ws, 'abba')).find((f) => f.endsWith('.c'))!,
    );
    const original = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, original.replace(/mutex_lock/, 'spin_lock'));
      const edited = await scan(dir);
      assert.equal(edited.reused, false);
      assert.notEqual(reports(edited), reports(cold));
      assert.equal(edited.cache?.misses, 1, 'only the edited file is lowered');
      assert.equal((await scan(dir)).reused, true, 'the new result is stored');
    } finally {
      fs.writeFileSync(file, original);
    }
    const back = await scan(dir);
    assert.equal(back.reused, false);
    assert.equal(reports(back), reports(cold));

    fs.renameSync(file, file.replace(/\.c$/, '_renamed.c'));
    try {
      assert.equal((await scan(dir)).reused, false);
    } finally {
      fs.renameSync(file.replace(/\.c$/, '_renamed.c'), file);
    }
    assert.equal((await scan(dir)).reused, false);

    const changes: ((s: Settings) => void)[] = [
      (s) => (s.severity = { 'lock-order-cycle': 'warning' }),
      (s) => (s.severity = { 'lock-order-cycle': 'off' }),
      (s) => (s.kernelOrder = false),
      (s) => (s.defines = [...s.defines, 'CONFIG_TEST_ONLY']),
      (s) => (s.extraLockFunctions = { my_lock: { acquire: { arg: 0, kind: 'mutex' } } }),
    ];
    for (const change of changes) {
      const settings = defaultSettings();
      change(settings);
      const o = await scan(dir, {}, settings);
      assert.equal(o.reused, false, JSON.stringify(settings));
      assert.equal((await scan(dir, {}, settings)).reused, true);
      assert.equal((await scan(dir)).reused, false, 'back to the defaults');
    }
    const severityOff = defaultSettings();
    severityOff.severity = { 'lock-order-cycle': 'off' };
    const off = await scan(dir, {}, severityOff);
    assert.ok(!off.result.diagnostics.some((d) => d.rule === 'lock-order-cycle'));

    // The globs are not part of the key: the same files, the same result.
    const globs = defaultSettings();
    globs.exclude = [...globs.exclude, '**/no-such-file.c'];
    await scan(dir);
    assert.equal((await scan(dir, {}, globs)).reused, true);

    const bumped = await scan(dir, { cache: { dir, toolVersion: 'test-2' } });
    assert.equal(bumped.reused, false);
    assert.equal(reports(bumped), reports(cold));
  });

  it('a damaged, truncated or foreign result is never trusted, and is rebuilt', async () => {
    const dir = freshCacheDir('damage');
    const cold = await scan(dir);
    const file = resultFileOf(dir);
    const good = fs.readFileSync(file);
    const damages: [string, () => void][] = [
      ...envelopeDamages(file, good),
      [
        'a checksummed entry of the wrong shape',
        () => rewritePayload(file, (p) => p.replace(/"severity":"\w+"/, '"severity":"fatal"')),
      ],
      ['a checksummed entry that is not JSON', () => rewritePayload(file, (p) => p.slice(0, -1))],
    ];
    for (const [what, damage] of damages) {
      fs.writeFileSync(file, good);
      damage();
      const o = await scan(dir);
      assert.equal(o.reused, false, what);
      assert.equal(reports(o), reports(cold), what);
      assert.ok(
        o.problems.some((p) => /damaged analysis result/.test(p.message)),
        `${what}: ${JSON.stringify(o.problems)}`,
      );
      const again = await scan(dir);
      assert.equal(again.reused, true, `${what}: rebuilt`);
      assert.equal(reports(again), reports(cold), what);
    }
  });

  it('a folder in place of the result is a note; the scan goes on', async () => {
    const dir = freshCacheDir('folder');
    const cold = await scan(dir);
    const file = resultFileOf(dir);
    fs.rmSync(file);
    fs.mkdirSync(file);
    const o = await scan(dir);
    assert.equal(o.reused, false);
    assert.equal(reports(o), reports(cold));
    assert.ok(
      o.problems.some((p) => /cache: .*not a file/.test(p.message)),
      JSON.stringify(o.problems),
    );
    assert.ok(
      o.problems.some((p) => /cache: cannot write/.test(p.message)),
      JSON.stringify(o.problems),
    );
  });

  it('is written only when asked, atomically, inside the cache folder', async () => {
    const dir = freshCacheDir('atomic');
    await scan(dir, { reuseResult: false });
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.result')));
    await scan(dir, { analyze: false });
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.result')), 'no analysis, no result');
    await scan(dir);
    await scan(dir);
    assert.deepEqual(
      fs
        .readdirSync(dir)
        .map((f) => f.replace(/^ws-[0-9a-f]+/, 'ws'))
        .sort(),
      ['CACHEDIR.TAG', 'ws.headers', 'ws.memo', 'ws.pack', 'ws.result'],
    );
  });

  it('the cache sweep removes results of long-unused workspaces and their stray temporary files', async () => {
    const dir = freshCacheDir('sweep');
    fs.mkdirSync(dir, { recursive: true });
    const old = new Date(Date.now() - 40 * 24 * 3600_000);
    const names = ['ws-0123abcd.result', 'ws-0123abcd.result.77.0a1b.tmp', 'ws-0123abcd.results'];
    for (const n of names) {
      fs.writeFileSync(path.join(dir, n), 'x');
      fs.utimesSync(path.join(dir, n), old, old);
    }
    await scan(dir);
    await scan(dir);
    const left = fs.readdirSync(dir);
    assert.ok(!left.includes(names[0]) && !left.includes(names[1]), left.join());
    assert.ok(left.includes(names[2]), 'not ours by name: kept');
    const used = resultFileOf(dir);
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(used, hourAgo, hourAgo);
    assert.equal((await scan(dir)).reused, true);
    assert.ok(fs.statSync(used).mtimeMs > hourAgo.getTime() + 1000, 'a reuse marks it as used');
  });

  it('a file that could not be lowered keeps the result from being stored', async () => {
    const dir = freshCacheDir('unlowered');
    const small = path.join(root, 'small');
    fs.mkdirSync(small, { recursive: true });
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(small, `s${i}.c`), `void s${i}(void) { }\n`);
    const failing = path.join(root, 'failing-worker.js');
    fs.writeFileSync(
      failing,
      [
        "const { parentPort } = require('node:worker_threads');",
        'parentPort.postMessage({ ready: true });',
        "parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, problem: { file: m.path, message: 'failed' } }));",
      ].join('\n'),
    );
    const failed = await scanDir(small, dir, { jobs: 2, workerScript: failing });
    assert.equal(failed.problems.filter((p) => p.message === 'failed').length, 10);
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.result')));
    const good = await scanDir(small, dir, { jobs: 2 });
    assert.equal(good.stats.files, 10);
    assert.equal((await scanDir(small, dir, { jobs: 2 })).reused, true);
  });

  it('the language server path (indexFiles) still loads every file, cache or not', async () => {
    const dir = freshCacheDir('index-files');
    await scan(dir);
    const files = findFiles(['.'], ws, defaultSettings()).files;
    const engine = await Engine.create();
    const o = await indexFiles(engine, files, defaultSettings(), {
      jobs: 1,
      cache: { dir, toolVersion: 'test-1', workspace: JSON.stringify([ws]) },
    });
    assert.equal(o.factsSkipped, false);
    assert.equal(engine.index.size, files.length);
    assert.equal(o.cache?.hits, files.length);
  });
});

describe('lockscope scan --cache', () => {
  async function cli(args: string[]): Promise<number | undefined> {
    const saved = process.exitCode;
    try {
      await main(['node', 'lockscope', 'scan', ...args]);
      return process.exitCode === undefined ? undefined : Number(process.exitCode);
    } finally {
      process.exitCode = saved;
    }
  }

  it('reuses the result without lockdep reports and never with them', async () => {
    const dir = freshCacheDir('cli');
    const out = (n: number) => path.join(root, `cli-${n}.json`);
    const common = [ws, '--cache', dir, '-f', 'json', '--fail-on', 'none', '-j', '1'];
    const report = path.join(FIXTURES, 'lockdep', 'proc-lockdep.txt');
    await cli([...common, '--lockdep', report, '-o', out(0)]);
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.result')), 'lockdep: no result stored');
    await cli([...common, '-o', out(1)]);
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith('.result')));
    await cli([...common, '-o', out(2)]);
    const strip = (n: number) => {
      const j = JSON.parse(fs.readFileSync(out(n), 'utf8')) as { stats: Record<string, number> };
      delete j.stats.parseMs;
      delete j.stats.analyzeMs;
      return j;
    };
    assert.deepEqual(strip(2), strip(1));
    await cli([...common, '--lockdep', report, '-o', out(3)]);
    assert.deepEqual(strip(3), strip(0), 'with lockdep: analysed again, same as before');
  });
});
