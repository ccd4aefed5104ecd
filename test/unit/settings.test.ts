import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  SETTINGS_SCHEMA,
  contributedSettings,
  defaultSettings,
  parseSettings,
} from '../../server/src/config/settings';
import { RULES } from '../../server/src/rules/registry';

const REPO = path.resolve(__dirname, '../../..');

describe('settings', () => {
  it('package.json contributes exactly the schema and the deprecated names', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const expected = Object.fromEntries(
      Object.entries(contributedSettings()).map(([k, v]) => [`lockscope.${k}`, v]),
    );
    assert.deepEqual(pkg.contributes.configuration.properties, JSON.parse(JSON.stringify(expected)));
  });

  it('defaults come from the schema', () => {
    const d = defaultSettings();
    for (const [k, v] of Object.entries(SETTINGS_SCHEMA))
      assert.deepEqual((d as unknown as Record<string, unknown>)[k], v.default);
  });

  it('invalid values fall back to defaults with one message each', () => {
    const { settings, errors } = parseSettings({
      maxFiles: 'many',
      severity: { 'sleep-in-atomic': 'loud' },
      include: ['**/*.c'],
      extraLockFunctions: {
        my_lock: { acquire: { arg: 0, kind: 'mutex' } },
        bad: { acquire: { kind: 'nope' } },
      },
      bogus: 1,
    });
    assert.equal(settings.maxFiles, defaultSettings().maxFiles);
    assert.deepEqual(settings.severity, {});
    assert.deepEqual(settings.include, ['**/*.c']);
    assert.ok(settings.extraLockFunctions.my_lock);
    assert.equal(settings.extraLockFunctions.bad, undefined);
    assert.equal(errors.length, 4, errors.join('\n'));
  });

  it('reads the old name baselineOrder as kernelOrder, with a deprecation note', () => {
    const off = parseSettings({ baselineOrder: false, kernelOrder: true });
    assert.equal(off.settings.kernelOrder, false);
    assert.deepEqual(off.errors, []);
    assert.equal(off.notes.length, 1);
    assert.match(off.notes[0], /"baselineOrder" is deprecated: use "kernelOrder"/);
    // What VS Code sends when only the new name is set: the old one arrives as its null default.
    const unset = parseSettings({ baselineOrder: null, kernelOrder: false });
    assert.equal(unset.settings.kernelOrder, false);
    assert.deepEqual(unset.notes, []);
    assert.equal(parseSettings({ baselineOrder: true }).settings.kernelOrder, true);
    assert.equal(parseSettings({ baselineOrder: 'no' }).errors.length, 1);
    assert.equal(parseSettings({ kernelOrder: false }).settings.kernelOrder, false);
  });

  it('names inherited from Object are unknown settings, not schema entries', () => {
    const { settings, errors } = parseSettings({ toString: 1, constructor: 2 });
    assert.deepEqual(settings, defaultSettings());
    assert.equal(errors.length, 2);
  });

  it('non-object settings are one error, not a crash', () => {
    assert.equal(parseSettings('oops').errors.length, 1);
    assert.equal(parseSettings(null).errors.length, 0);
  });

  it('every rule has its documentation page', () => {
    for (const rule of RULES) {
      const page = path.join(REPO, 'docs', 'rules', `${rule.meta.id}.md`);
      assert.ok(fs.existsSync(page), `missing ${page}`);
      assert.match(fs.readFileSync(page, 'utf8'), new RegExp(`^# ${rule.meta.id}`));
    }
  });
});
