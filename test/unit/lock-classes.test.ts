/** Lock classes as callers see them through wrappers. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseSettings } from '../../server/src/config/settings';
import { Engine } from '../../server/src/engine/engine';
import { FIXTURES } from '../support/fixtures';

describe('lock classes through wrappers', () => {
  it('keeps the class a class argument named (a ww context started in a wrapper)', async () => {
    const file = 'reclaim-under-lock-ww-ctx-wrapper.c';
    // Without the kernel order, which declares the order legal (the fixture says so too).
    const engine = await Engine.create(parseSettings({ kernelOrder: false }).settings);
    engine.setFile(file, fs.readFileSync(path.join(FIXTURES, 'rules', file), 'utf8'));
    const [finding, ...rest] = engine.analyze().diagnostics;
    assert.deepEqual(rest, []);
    assert.equal(finding.rule, 'reclaim-under-lock');
    // lockdep's name for a context on reservation_ww_class, not the struct field it lives in
    assert.match(finding.message, /creates reservation_ww_class_acquire --> fs_reclaim/);
  });
});
