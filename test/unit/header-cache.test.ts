import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultSettings } from '../../server/src/config/settings';
import { headerCacheIn } from '../../server/src/engine/header-cache';
import { discoverConfiguration, type HeaderCache } from '../../server/src/preprocess/discover';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-headers-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const HEADER = [
  '#ifndef DRV_H',
  '#define DRV_H',
  '#define DRV_FEATURE 1',
  '#ifdef DRV_FEATURE',
  '#define drv_lock(d) do { mutex_lock(&(d)->lock); drv_note(d); } while (0)',
  '#endif',
  'void drv_note(struct drv *d);',
  '#endif',
  '',
].join('\n');

function workspace(name: string): { dir: string; files: string[] } {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'drv.h'), HEADER);
  fs.writeFileSync(path.join(dir, 'drv.c'), '#include "drv.h"\nvoid f(struct drv *d) { drv_lock(d); }\n');
  return { dir, files: [path.join(dir, 'drv.h'), path.join(dir, 'drv.c')] };
}

/** The cache in `file`, counting what it gave back and collecting its problems. */
function counted(file: string): { cache: HeaderCache; hits: () => number; problems: string[] } {
  const problems: string[] = [];
  const inner = headerCacheIn(file, (m) => problems.push(m), 'test-tool');
  let hits = 0;
  return {
    cache: {
      get: (key) => {
        const scan = inner.get(key);
        if (scan) hits++;
        return scan;
      },
      put: (key, scan) => inner.put(key, scan),
    },
    hits: () => hits,
    problems,
  };
}

describe("the headers' pass cache", () => {
  it('gives the same configuration as reading the headers, and is used while they are unchanged', () => {
    const { dir, files } = workspace('same');
    const discover = (headerCache?: HeaderCache) =>
      discoverConfiguration({ roots: [dir], files, settings: defaultSettings(), base: dir, headerCache });
    const fresh = discover();
    assert.ok(fresh.config.macros.get('drv_lock'), 'the header macro is found');
    const file = path.join(root, 'cache', 'ws-same.headers');
    const first = counted(file);
    const filled = discover(first.cache);
    assert.equal(first.hits(), 0);
    const second = counted(file);
    const reused = discover(second.cache);
    assert.equal(second.hits(), 1, 'the stored pass is used');
    assert.deepEqual([...first.problems, ...second.problems], []);
    for (const d of [filled, reused]) {
      assert.equal(d.config.fingerprint, fresh.config.fingerprint);
      assert.deepEqual(d.log, fresh.log);
    }
  });

  it('reads the headers again when one changed, and reports a damaged entry', () => {
    const { dir, files } = workspace('changed');
    const file = path.join(root, 'cache', 'ws-changed.headers');
    const discover = (headerCache?: HeaderCache) =>
      discoverConfiguration({ roots: [dir], files, settings: defaultSettings(), base: dir, headerCache });
    discover(counted(file).cache);
    fs.writeFileSync(path.join(dir, 'drv.h'), HEADER.replace('#define DRV_FEATURE 1', '#undef DRV_FEATURE'));
    const fresh = discover();
    const after = counted(file);
    const d = discover(after.cache);
    assert.equal(after.hits(), 0, 'a changed header is a miss');
    assert.equal(d.config.fingerprint, fresh.config.fingerprint);
    assert.equal(d.config.macros.get('drv_lock'), undefined);

    const text = fs.readFileSync(file, 'latin1');
    fs.writeFileSync(file, text.replace('drv_note', 'drv_nota'), 'latin1');
    const damaged = counted(file);
    const again = discover(damaged.cache);
    assert.equal(damaged.hits(), 0);
    assert.match(damaged.problems.join('\n'), /damaged headers' pass/);
    assert.equal(again.config.fingerprint, fresh.config.fingerprint);
  });
});
