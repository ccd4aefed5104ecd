/**
 * The persistent facts cache and parallel indexing: warm scans reuse entries, damaged entries
 * are rebuilt, a tool-version or lowering-settings change invalidates, results never depend on
 * the cache or on the number of workers.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultSettings, type Settings } from '../../server/src/config/settings';
import { contentKey, FactsCache, loweringSettingsKey } from '../../server/src/engine/cache';
import { Engine } from '../../server/src/engine/engine';
import { indexFiles, type ScanOptions, type ScanOutcome, scanPaths } from '../../server/src/engine/scan';
import { FIXTURES } from '../support/fixtures';

const FIXTURE_FILES = fs
  .readdirSync(path.join(FIXTURES, 'rules'))
  .filter((f) => f.endsWith('.c'))
  .sort()
  .slice(0, 16);

let root: string;
let ws: string;

function scan(
  cacheDir: string,
  opts: ScanOptions = {},
  settings: Settings = defaultSettings(),
): Promise<ScanOutcome> {
  return scanPaths(['.'], ws, settings, {
    jobs: 1,
    cache: { dir: cacheDir, toolVersion: 'test-1' },
    ...opts,
  });
}

/** What a scan concluded, independent of timing and of where the facts came from. */
function digest(o: ScanOutcome): string {
  return JSON.stringify({
    diagnostics: o.result.diagnostics.map((d) => [d.file, d.range, d.rule, d.severity, d.message]),
    edges: o.result.graph
      .edges()
      .map((e) => `${e.from} -> ${e.to}`)
      .sort(),
    files: o.engine.index
      .allFiles()
      .map((f) => f.path)
      .sort(),
    functions: o.result.functions,
    count: o.stats.files,
  });
}

function packOf(cacheDir: string): string {
  const packs = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.pack'));
  assert.equal(packs.length, 1, `one pack in ${cacheDir}: ${packs.join(', ')}`);
  return path.join(cacheDir, packs[0]);
}

function freshCacheDir(name: string): string {
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-cache-'));
  ws = path.join(root, 'ws');
  fs.mkdirSync(path.join(ws, 'sub'), { recursive: true });
  FIXTURE_FILES.forEach((f, i) =>
    fs.copyFileSync(path.join(FIXTURES, 'rules', f), path.join(ws, i % 2 ? 'sub' : '.', f)),
  );
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('facts cache', () => {
  it('a warm scan takes every file from the cache and finds the same things', async () => {
    const dir = freshCacheDir('warm');
    const cold = await scan(dir);
    assert.equal(cold.cache?.hits, 0);
    assert.equal(cold.cache?.misses, FIXTURE_FILES.length);
    assert.equal(cold.cache?.written, FIXTURE_FILES.length);
    const pack = packOf(dir);
    const before = fs.statSync(pack);

    const warm = await scan(dir);
    assert.equal(warm.cache?.hits, FIXTURE_FILES.length);
    assert.equal(warm.cache?.misses, 0);
    assert.equal(warm.cache?.written, 0, 'an unchanged workspace leaves the pack alone');
    assert.equal(fs.statSync(pack).ino, before.ino, 'not rewritten');
    assert.ok(fs.statSync(pack).mtimeMs >= before.mtimeMs, 'marked as used');
    assert.equal(digest(warm), digest(cold));
    assert.deepEqual(warm.problems, []);
  });

  it('cached facts equal freshly lowered facts, path included', async () => {
    const dir = freshCacheDir('equal');
    await scan(dir);
    const warm = await scan(dir);
    const engine = await Engine.create();
    for (const facts of warm.engine.index.allFiles()) {
      const fresh = engine.setFile(facts.path, fs.readFileSync(path.join(ws, facts.path), 'utf8'));
      fresh.tree?.delete();
      assert.deepEqual(facts, fresh.facts, facts.path);
    }
  });

  it('an edited file is lowered again, the others come from the cache', async () => {
    const dir = freshCacheDir('edit');
    await scan(dir);
    const file = path.join(ws, FIXTURE_FILES[0]);
    const original = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, original + '\nstatic int added_by_test(void) { return 0; }\n');
      const edited = await scan(dir, { jobs: 2 });
      assert.equal(edited.cache?.hits, FIXTURE_FILES.length - 1);
      assert.equal(edited.cache?.misses, 1);
      assert.equal(edited.jobs, 1, 'one changed file is lowered without starting workers');
      assert.ok(edited.engine.index.get(FIXTURE_FILES[0])?.functions.some((f) => f.name === 'added_by_test'));
      const again = await scan(dir);
      assert.equal(again.cache?.hits, FIXTURE_FILES.length);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('a damaged entry is detected and rebuilt, the rest still used', async () => {
    const dir = freshCacheDir('corrupt');
    const cold = await scan(dir);
    const pack = packOf(dir);
    const bytes = fs.readFileSync(pack);
    // Flip a byte inside the payload of the last entry (before its trailing newline).
    const at = bytes.length - 20;
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    fs.writeFileSync(pack, bytes);

    const damaged = await scan(dir);
    assert.equal(damaged.cache?.corrupt, 1);
    assert.equal(damaged.cache?.misses, 1);
    assert.equal(damaged.cache?.hits, FIXTURE_FILES.length - 1);
    assert.ok(damaged.problems.some((p) => /damaged entries/.test(p.message)));
    assert.equal(digest(damaged), digest(cold));

    const repaired = await scan(dir);
    assert.equal(repaired.cache?.corrupt, 0);
    assert.equal(repaired.cache?.hits, FIXTURE_FILES.length);
  });

  it('a truncated pack keeps its intact entries and rebuilds the rest', async () => {
    const dir = freshCacheDir('truncated');
    const cold = await scan(dir);
    const pack = packOf(dir);
    const size = fs.statSync(pack).size;
    fs.truncateSync(pack, Math.floor(size / 2));
    const cut = await scan(dir);
    assert.ok(cut.cache!.hits > 0 && cut.cache!.hits < FIXTURE_FILES.length, `hits ${cut.cache?.hits}`);
    assert.equal(cut.cache!.hits + cut.cache!.misses, FIXTURE_FILES.length);
    assert.equal(digest(cut), digest(cold));
    assert.equal((await scan(dir)).cache?.hits, FIXTURE_FILES.length);
  });

  it('garbage, an empty file or a folder in place of the pack is never trusted', async () => {
    const dir = freshCacheDir('garbage');
    const cold = await scan(dir);
    const pack = packOf(dir);
    for (const damage of [
      () => fs.writeFileSync(pack, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))),
      () => fs.writeFileSync(pack, ''),
      () => fs.writeFileSync(pack, 'LSCPACK1\n{"format":1}\n'),
      () => fs.mkdirSync(pack),
    ]) {
      fs.rmSync(pack, { recursive: true, force: true });
      damage();
      const o = await scan(dir);
      assert.equal(o.cache?.hits, 0);
      assert.equal(digest(o), digest(cold));
    }
  });

  it('a different tool version invalidates the pack', async () => {
    const dir = freshCacheDir('version');
    await scan(dir);
    const bumped = await scan(dir, { cache: { dir, toolVersion: 'test-2' } });
    assert.equal(bumped.cache?.stale, true);
    assert.equal(bumped.cache?.hits, 0);
    assert.equal(bumped.cache?.misses, FIXTURE_FILES.length);
    const again = await scan(dir, { cache: { dir, toolVersion: 'test-2' } });
    assert.equal(again.cache?.hits, FIXTURE_FILES.length);
  });

  it('lowering settings invalidate; other settings do not', async () => {
    const dir = freshCacheDir('settings');
    await scan(dir);
    const severity = defaultSettings();
    severity.severity = { 'double-lock': 'hint' };
    severity.kernelOrder = false;
    assert.equal((await scan(dir, {}, severity)).cache?.hits, FIXTURE_FILES.length);

    const defines = defaultSettings();
    defines.defines = [...defines.defines, 'CONFIG_TEST_ONLY'];
    const d = await scan(dir, {}, defines);
    assert.equal(d.cache?.stale, true);
    assert.equal(d.cache?.hits, 0);

    const extra = defaultSettings();
    extra.extraLockFunctions = { my_lock: { acquire: { arg: 0, kind: 'mutex' } } };
    assert.equal((await scan(dir, {}, extra)).cache?.hits, 0);

    // Same settings in another order: same key.
    const a = defaultSettings();
    a.defines = ['B', 'A'];
    const b = defaultSettings();
    b.defines = ['A', 'B', 'A'];
    assert.equal(loweringSettingsKey(a), loweringSettingsKey(b));
  });

  it('two files with the same text share one entry and keep their own paths', async () => {
    const dir = freshCacheDir('dup');
    const copy = path.join(ws, 'sub', 'copy-of-first.c');
    fs.copyFileSync(path.join(ws, FIXTURE_FILES[0]), copy);
    try {
      const cold = await scan(dir);
      assert.equal(cold.cache?.written, FIXTURE_FILES.length);
      const warm = await scan(dir);
      assert.equal(warm.cache?.hits, FIXTURE_FILES.length + 1);
      assert.ok(warm.engine.index.get('sub/copy-of-first.c'));
      assert.ok(warm.engine.index.get(FIXTURE_FILES[0]));
    } finally {
      fs.rmSync(copy);
    }
  });

  it('a cache folder that cannot be used is a note, not a failure', async () => {
    const blocker = path.join(root, 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    const o = await scan(path.join(blocker, 'cache'));
    assert.equal(o.stats.files, FIXTURE_FILES.length);
    assert.ok(o.problems.some((p) => /cache/.test(p.message)));
  });

  it('sweeps stale temporary files and packs of long-unused workspaces, nothing else', async () => {
    const dir = freshCacheDir('sweep');
    fs.mkdirSync(dir, { recursive: true });
    const old = new Date(Date.now() - 40 * 24 * 3600_000);
    const names = ['ws-0123abcd.pack', 'ws-0123abcd.pack.77.0a1b.tmp', 'notes.txt', 'ws-fresh.pack.1.ff.tmp'];
    for (const n of names) fs.writeFileSync(path.join(dir, n), 'x');
    for (const n of names.slice(0, 3)) fs.utimesSync(path.join(dir, n), old, old);
    await scan(dir);
    const left = fs.readdirSync(dir);
    assert.ok(
      !left.includes('ws-0123abcd.pack') && !left.includes('ws-0123abcd.pack.77.0a1b.tmp'),
      left.join(),
    );
    assert.ok(left.includes('notes.txt') && left.includes('ws-fresh.pack.1.ff.tmp'), left.join());
  });

  it('writes only inside the cache folder, atomically (no temporary files left)', async () => {
    const dir = freshCacheDir('atomic');
    const snapshot = () =>
      fs
        .readdirSync(root, { recursive: true })
        .map(String)
        .filter((p) => !p.startsWith('atomic'))
        .sort();
    const beforeList = snapshot();
    await scan(dir);
    await scan(dir, { jobs: 2 });
    assert.deepEqual(snapshot(), beforeList);
    const pack = path.basename(packOf(dir));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['CACHEDIR.TAG', pack.replace(/\.pack$/, '.memo'), pack]);
  });

  it('an entry under a key that does not match is never returned', () => {
    const dir = freshCacheDir('direct');
    const c = FactsCache.open({ dir, toolVersion: 't' }, 'ws', 's');
    assert.equal(c.get(contentKey('int x;'), 'a.c'), undefined);
    c.put(contentKey('int x;'), JSON.stringify({ nonsense: true }));
    const facts = {
      path: 'b.c',
      functions: [],
      structs: [],
      fileLocks: [],
      stores: [],
      typedefs: {},
      globals: {},
      suppressions: {},
      parseErrors: 0,
    };
    c.put(contentKey('int y;'), JSON.stringify({ ...facts, flagMacros: { FOO_A: 4 } }));
    c.put(contentKey('int z;'), JSON.stringify({ ...facts, flagMacros: { FOO_A: 'BIT(2)' } }));
    c.commit();
    // A well-formed entry with the wrong shape is rejected on read.
    const r = FactsCache.open({ dir, toolVersion: 't' }, 'ws', 's');
    assert.equal(r.get(contentKey('int x;'), 'a.c'), undefined);
    assert.equal(r.get(contentKey('int y;'), 'b.c'), undefined, 'a flag macro that is no text');
    assert.equal(r.get(contentKey('int z;'), 'b.c')?.flagMacros?.FOO_A, 'BIT(2)');
    assert.equal(r.stats.corrupt, 2);
    r.abort();
  });
});

describe('indexFiles (the language server path)', () => {
  it('indexes into an existing engine under the given names, with the cache', async () => {
    const dir = freshCacheDir('index-files');
    const files = FIXTURE_FILES.map((f, i) => {
      const abs = path.join(ws, i % 2 ? 'sub' : '.', f);
      return { abs, rel: abs };
    });
    const opts = { jobs: 2, cache: { dir, workspace: ws, toolVersion: 'test-1' } };
    const engine = await Engine.create();
    const cold = await indexFiles(engine, files, defaultSettings(), opts);
    assert.equal(cold.indexed, files.length);
    assert.equal(cold.cache?.misses, files.length);
    assert.ok(engine.index.get(files[0].abs));
    const again = await Engine.create();
    const warm = await indexFiles(again, files, defaultSettings(), opts);
    assert.equal(warm.cache?.hits, files.length);
    assert.deepEqual(again.index.get(files[3].abs), engine.index.get(files[3].abs));
    assert.equal(again.analyze().diagnostics.length, engine.analyze().diagnostics.length);
  });
});

describe('parallel indexing', () => {
  it('workers produce the same results as lowering in this thread', async () => {
    const one = await scanPaths(['.'], ws, defaultSettings(), { jobs: 1 });
    const two = await scanPaths(['.'], ws, defaultSettings(), { jobs: 2 });
    assert.equal(two.jobs, 2);
    assert.equal(one.jobs, 1);
    assert.equal(digest(two), digest(one));
    for (const f of one.engine.index.allFiles()) assert.deepEqual(two.engine.index.get(f.path), f, f.path);
  });

  it('a cold parallel scan fills the cache; a warm one starts no workers', async () => {
    const dir = freshCacheDir('parallel');
    const cold = await scan(dir, { jobs: 2 });
    assert.equal(cold.jobs, 2);
    assert.equal(cold.cache?.written, FIXTURE_FILES.length);
    const warm = await scan(dir, { jobs: 2 });
    assert.equal(warm.jobs, 1, 'no worker was needed');
    assert.equal(warm.cache?.hits, FIXTURE_FILES.length);
    assert.equal(digest(warm), digest(cold));
  });

  it('falls back to this thread when the worker script is missing', async () => {
    const o = await scanPaths(['.'], ws, defaultSettings(), {
      jobs: 2,
      workerScript: path.join(root, 'no-such-worker.js'),
    });
    assert.equal(o.stats.files, FIXTURE_FILES.length);
    assert.equal(o.jobs, 1);
    assert.ok(o.problems.some((p) => /indexing in one thread/.test(p.message)));
  });
});
