/** The heap flags a big CLI scan relaunches itself with, and the relaunch. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RELAUNCH_ABOVE_FILES, nodeHeapFlags, relaunchForScan } from '../../server/src/cli/heap-flags';

const GB = 2 ** 30;

describe('heap flags', () => {
  it('gives the old generation three quarters of the memory and the young one 64 MB semi-spaces', () => {
    assert.deepEqual(nodeHeapFlags([], 24 * GB, 4 * GB, 'scan'), [
      '--max-old-space-size=18432',
      '--max-semi-space-size=64',
    ]);
  });

  it("never lowers Node's own limit", () => {
    assert.deepEqual(nodeHeapFlags([], 4 * GB, 4 * GB, 'scan'), ['--max-semi-space-size=64']);
  });

  it('gives the language server the old generation and leaves its young one at the default', () => {
    assert.deepEqual(nodeHeapFlags([], 24 * GB, 4 * GB, 'server'), ['--max-old-space-size=18432']);
    assert.deepEqual(nodeHeapFlags(['--max-old-space-size=2048'], 24 * GB, 4 * GB, 'server'), []);
  });

  it('leaves alone what the user chose, spelt with dashes or underscores', () => {
    assert.deepEqual(nodeHeapFlags(['--max-old-space-size=2048'], 24 * GB, 4 * GB, 'scan'), [
      '--max-semi-space-size=64',
    ]);
    assert.deepEqual(
      nodeHeapFlags(['--max_semi_space_size=8', '--max-old-space-size=9000'], 24 * GB, 4 * GB, 'scan'),
      [],
    );
  });
});

describe('scan relaunch', () => {
  // The child reports through its exit code whether it got the flags and the relaunch mark.
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-relaunch-')), 'child.js');
  fs.writeFileSync(
    script,
    "process.exit(process.execArgv.some((f) => f.startsWith('--max-semi-space-size')) && process.env.LOCKSCOPE_RELAUNCHED ? 7 : 3);\n",
  );

  it('stays in this process for a small scan', () => {
    assert.equal(
      relaunchForScan(() => RELAUNCH_ABOVE_FILES, [process.execPath, script]),
      undefined,
    );
  });

  it('runs a big scan again with the flags and returns its exit code', async () => {
    const relaunched = relaunchForScan(() => RELAUNCH_ABOVE_FILES + 1, [process.execPath, script]);
    assert.ok(relaunched);
    assert.equal(await relaunched, 7);
  });

  it('does not count files, nor relaunch, in the relaunched process', () => {
    const saved = process.env.LOCKSCOPE_RELAUNCHED;
    process.env.LOCKSCOPE_RELAUNCHED = '1';
    try {
      assert.equal(
        relaunchForScan(() => assert.fail('counted files'), [process.execPath, script]),
        undefined,
      );
    } finally {
      if (saved === undefined) delete process.env.LOCKSCOPE_RELAUNCHED;
      else process.env.LOCKSCOPE_RELAUNCHED = saved;
    }
  });
});
