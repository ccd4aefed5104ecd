/** Bit-flag constants for guards on flag parameters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagBits, isFlagValue, setBits } from '../../server/src/analysis/flags';
import { argumentTest, commonTests, exclusive } from '../../server/src/analysis/guards';

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

  it('knows the flags a mask sets whatever its unknown operands are', () => {
    assert.equal(setBits('FIELD_PREP(M, len_) | C', macro), 4n);
    assert.equal(setBits('(FIELD_PREP(M, (a | b)) | A | B)', macro), 3n);
    assert.equal(setBits('FIELD_PREP(M, len_)', macro), undefined);
  });
});

describe('tests of named constants', () => {
  const gfx = { index: 0, names: ['FOO_GFX'], in: true };
  const mmhub = { index: 0, names: ['FOO_MMHUB'], in: true };
  const other = { index: 0, names: ['FOO_GFX', 'FOO_MMHUB'], in: false };
  const noFlags = () => undefined;

  it('joins paths: one of either list, none of what both exclude', () => {
    assert.deepEqual(commonTests([gfx], [mmhub]), [{ index: 0, names: ['FOO_GFX', 'FOO_MMHUB'], in: true }]);
    assert.deepEqual(commonTests([other], [{ index: 0, names: ['FOO_GFX'], in: false }]), [
      { index: 0, names: ['FOO_GFX'], in: false },
    ]);
    assert.deepEqual(commonTests([gfx], [other]), [{ index: 0, names: ['FOO_MMHUB'], in: false }]);
  });

  it('tells disjoint tests apart', () => {
    assert.ok(exclusive([gfx], [mmhub]));
    assert.ok(exclusive([gfx], [other]));
    assert.ok(!exclusive([{ index: 0, names: ['FOO_GFX', 'FOO_SMUIO'], in: true }], [other]));
    assert.ok(!exclusive([gfx], [{ index: 1, names: ['FOO_MMHUB'], in: true }]));
  });

  it('decides a named constant argument, passes a variable on, leaves anything else open', () => {
    assert.equal(argumentTest(gfx, 'FOO_GFX', noFlags), true);
    assert.equal(argumentTest(gfx, 'FOO_SMUIO', noFlags), false);
    assert.equal(argumentTest(other, 'FOO_SMUIO', noFlags), true);
    assert.deepEqual(argumentTest(gfx, 'block', noFlags), { name: 'block', names: ['FOO_GFX'], in: true });
    assert.equal(argumentTest(gfx, 'blocks[i]', noFlags), undefined);
  });
});
