import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, readFixture, runFixture } from '../support/fixtures';

describe('settling a dependency finding', () => {
  it('words a flush of several works after the work whose edge closes the cycle', async () => {
    const file = path.join(FIXTURES, 'rules', 'flush-under-lock-names-closing-work.c');
    const { result } = await runFixture(readFixture(file));
    const flush = result.diagnostics.find((d) => d.rule === 'flush-under-lock');
    assert.ok(flush, 'the flush under the device mutex is reported');
    const headline = flush.message.split('\n')[0];
    assert.match(headline, /waits for foo_reset_work\(\) while/);
    assert.match(
      headline,
      /creates foo_dev\.lock --> \(work_completion\)foo_dev\.reset_work, closing a cycle/,
    );
    assert.doesNotMatch(headline, /stats_work/);
    // The chain points at the flush of the reset work (line 45), not the stats work's (44).
    assert.ok(flush.related.some((r) => /calls flush_work/.test(r.message) && r.range.line + 1 === 45));
    assert.ok(!flush.related.some((r) => /calls flush_work/.test(r.message) && r.range.line + 1 === 44));
  });
});
