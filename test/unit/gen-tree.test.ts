/**
 * The benchmark tree generator: same arguments, same bytes; every .c file it writes lowers to
 * functions, and its lock share changes how many lock calls the analysis sees.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultSettings } from '../../server/src/config/settings';
import { scanPaths } from '../../server/src/engine/scan';
import { generateTree } from '../../scripts/gen-tree';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-gen-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function contents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const abs = path.join(dir, rel);
    if (fs.statSync(abs).isFile()) out.set(rel, fs.readFileSync(abs, 'utf8'));
  }
  return out;
}

async function lockCallsPerFunction(dir: string): Promise<{ perFn: number; filesWithoutFunctions: number }> {
  const outcome = await scanPaths([dir], dir, defaultSettings(), { jobs: 1, analyze: false });
  const kb = outcome.engine.knowledge;
  let fns = 0;
  let lockCalls = 0;
  let filesWithoutFunctions = 0;
  for (const f of outcome.engine.index.allFiles()) {
    if (f.path.endsWith('.c') && f.functions.length === 0) filesWithoutFunctions++;
    for (const fn of f.functions) {
      fns++;
      for (const b of fn.blocks)
        for (const e of b.events) {
          const fact = e.kind === 'call' && e.callee ? kb.fact(e.callee) : undefined;
          if (fact?.acquire) lockCalls++;
        }
    }
  }
  return { perFn: lockCalls / fns, filesWithoutFunctions };
}

describe('gen-tree', () => {
  it('writes the same bytes for the same arguments, other bytes for another seed', () => {
    const a = generateTree(path.join(root, 'a'), 30, 7);
    const b = generateTree(path.join(root, 'b'), 30, 7);
    generateTree(path.join(root, 'c'), 30, 8);
    assert.equal(a.files, 30);
    assert.deepEqual(a, b);
    assert.deepEqual(contents(path.join(root, 'a')), contents(path.join(root, 'b')));
    assert.notDeepEqual(contents(path.join(root, 'a')), contents(path.join(root, 'c')));
  });

  it('writes C that lowers, with fewer lock calls per function at a lower lock share', async () => {
    generateTree(path.join(root, 'sparse'), 30, 1, 14, 0.1);
    generateTree(path.join(root, 'dense'), 30, 1, 14, 1);
    const sparse = await lockCallsPerFunction(path.join(root, 'sparse'));
    const dense = await lockCallsPerFunction(path.join(root, 'dense'));
    assert.equal(sparse.filesWithoutFunctions, 0);
    assert.equal(dense.filesWithoutFunctions, 0);
    assert.ok(sparse.perFn < dense.perFn / 2, `${sparse.perFn} vs ${dense.perFn}`);
  });
});
