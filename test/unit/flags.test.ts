/** Bit-flag constants for guards on flag parameters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagBits, isFlagValue } from '../../server/src/analysis/flags';

const MACROS: Record<string, string> = {
  A: 'BIT(0)',
  B: '(1U << 1)',
  C: '0x4',
  AB: '(A | B)',
  ALL: '(AB | C)',
  ALIAS: 'C',
  LOOP: 'LOOP | A',
};
const macro = (name: string) => MACROS[name];

describe('flag constants', () => {
  it('reads numbers, BIT(n), shifts and masks of macros', () => {
    assert.equal(flagBits('A', macro), 1n);
    assert.equal(flagBits('B | C', macro), 6n);
    assert.equal(flagBits('(A) | (ALIAS)', macro), 5n);
    assert.equal(flagBits('ALL', macro), 7n);
    assert.equal(flagBits('BIT_ULL(40)', macro), 1n << 40n);
    assert.equal(flagBits('1UL << 3', macro), 8n);
    assert.equal(flagBits('0', macro), 0n);
  });

  it('knows nothing of variables, unknown macros, other operators or a macro defined by itself', () => {
    for (const text of ['shrink', 'A | UNKNOWN', '~0', 'A & B', '*s++', 'LOOP', ''])
      assert.equal(flagBits(text, macro), undefined, text);
  });

  it('keeps only flag-like macro values', () => {
    assert.ok(isFlagValue('BIT(2)'));
    assert.ok(isFlagValue('(1U << 3)'));
    assert.ok(isFlagValue('(FOO_A | FOO_B)'));
    assert.ok(!isFlagValue('0x2004'), 'a register offset');
    assert.ok(!isFlagValue('10'), 'a count');
    assert.ok(!isFlagValue('FOO_A'), 'an alias');
    assert.ok(!isFlagValue('"i915"'));
    assert.ok(!isFlagValue('foo(x)'));
    assert.ok(!isFlagValue('(x) + 1'));
  });
});
