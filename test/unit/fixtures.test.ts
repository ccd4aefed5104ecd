import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, readFixture, runFixture } from '../support/fixtures';

function explain(outcome: Awaited<ReturnType<typeof runFixture>>): string {
  const details = outcome.result.diagnostics.map(
    (d) => `  ${d.file}:${d.range.line + 1} [${d.rule}] ${d.message.split('\n')[0]}`,
  );
  return [
    `missing: ${outcome.missing.join(', ') || '-'}`,
    `unexpected: ${outcome.unexpected.join(', ') || '-'}`,
    ...details,
  ].join('\n');
}

// recall/: before/after pairs modeled on real fixes (its README names the sources).
for (const group of ['rules', 'workspaces', 'recall']) {
  const dir = path.join(FIXTURES, group);
  const entries = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((e) => /\.[ch]$/.test(e) || fs.statSync(path.join(dir, e)).isDirectory())
        .sort()
    : [];
  describe(`fixtures/${group}`, () => {
    it('has fixtures', () => assert.ok(entries.length > 0, `no fixtures in ${dir}`));
    for (const entry of entries) {
      it(entry, async () => {
        const outcome = await runFixture(readFixture(path.join(dir, entry)));
        assert.ok(outcome.missing.length === 0 && outcome.unexpected.length === 0, explain(outcome));
      });
    }
  });
}
