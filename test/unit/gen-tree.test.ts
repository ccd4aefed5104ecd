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

interface Densities {
  /** Per MB of C. */
  functions: number;
  blocks: number;
  calls: number;
  lockCalls: number;
  /** Share of functions taking or releasing a lock directly. */
  lockingShare: number;
  lockCallsPerFunction: number;
  filesWithoutFunctions: number;
}

/** What the analysis sees of a tree, measured as the calibration in gen-tree.ts was. */
async function densities(dir: string): Promise<Densities> {
  const outcome = await scanPaths([dir], dir, defaultSettings(), { jobs: 1, analyze: false });
  const kb = outcome.engine.knowledge;
  let bytes = 0;
  let functions = 0;
  let blocks = 0;
  let calls = 0;
  let lockCalls = 0;
  let locking = 0;
  let filesWithoutFunctions = 0;
  for (const f of outcome.engine.index.allFiles()) {
    bytes += fs.statSync(path.join(dir, f.path)).size;
    if (f.path.endsWith('.c') && f.functions.length === 0) filesWithoutFunctions++;
    for (const fn of f.functions) {
      functions++;
      blocks += fn.blocks.length;
      let own = 0;
      for (const b of fn.blocks)
        for (const e of b.events) {
          if (e.kind !== 'call') continue;
          calls++;
          const fact = e.callee ? kb.fact(e.callee) : undefined;
          if (fact?.acquire || fact?.release) own++;
        }
      lockCalls += own;
      if (own) locking++;
    }
  }
  const mb = bytes / 1048576;
  return {
    functions: functions / mb,
    blocks: blocks / mb,
    calls: calls / mb,
    lockCalls: lockCalls / mb,
    lockingShare: locking / functions,
    lockCallsPerFunction: lockCalls / functions,
    filesWithoutFunctions,
  };
}

/** i915 as Lockscope lowers it (the calibration quoted in gen-tree.ts). */
const I915: Partial<Record<keyof Densities, number>> = {
  functions: 1107,
  blocks: 8950,
  calls: 6673,
  lockCalls: 179,
  lockingShare: 0.07,
};

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
    const sparse = await densities(path.join(root, 'sparse'));
    const dense = await densities(path.join(root, 'dense'));
    assert.equal(sparse.filesWithoutFunctions, 0);
    assert.equal(dense.filesWithoutFunctions, 0);
    assert.ok(
      sparse.lockCallsPerFunction < dense.lockCallsPerFunction / 2,
      `${sparse.lockCallsPerFunction} vs ${dense.lockCallsPerFunction}`,
    );
  });

  it('stays near i915 by default: functions, blocks, calls and lock calls per MB', async () => {
    generateTree(path.join(root, 'default'), 200, 1);
    const got = await densities(path.join(root, 'default'));
    for (const [name, want] of Object.entries(I915) as [keyof Densities, number][]) {
      const ratio = got[name] / want;
      assert.ok(ratio > 0.6 && ratio < 1.4, `${name}: ${got[name].toFixed(2)} for i915's ${want}`);
    }
  });
});
