/**
 * Call chains and kept summaries: what every function of a workspace keeps, so their shape
 * (chain length, shared empty lists that nothing may change) is held here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ChainStep,
  MAX_CHAIN,
  emptySummary,
  keptList,
  keptSummary,
  prependStep,
} from '../../server/src/analysis/model';

const range = { line: 1, col: 0, endLine: 1, endCol: 4 };
const step = (fn: string, callee: string): ChainStep => ({ fn, file: 'a.c', range, callee });

describe('call chains', () => {
  it('prepends the caller step and leaves the callee chain as it was', () => {
    const inner = [step('b', 'c'), step('c', 'mutex_lock')];
    const chain = prependStep(step('a', 'b'), inner);
    assert.deepEqual(
      chain.map((s) => s.fn),
      ['a', 'b', 'c'],
    );
    assert.equal(inner.length, 2);
  });

  it('keeps at most MAX_CHAIN steps, the outermost ones', () => {
    const long = Array.from({ length: MAX_CHAIN }, (_, i) => step(`f${i + 1}`, `f${i + 2}`));
    const chain = prependStep(step('f0', 'f1'), long);
    assert.equal(chain.length, MAX_CHAIN);
    assert.equal(chain[0].fn, 'f0');
    assert.equal(chain[MAX_CHAIN - 1].fn, `f${MAX_CHAIN - 1}`);
  });

  it('starts a recursive chain at its later step (a -> b -> a reaches the leaf from a directly)', () => {
    const inner = [step('b', 'a'), step('a', 'spin_lock')];
    assert.deepEqual(
      prependStep(step('a', 'b'), inner).map((s) => s.fn),
      ['a'],
    );
  });
});

describe('kept summaries', () => {
  it('keeps lists with their items and shares one frozen empty list', () => {
    const items = [1, 2, 3];
    const kept = keptList(items);
    assert.deepEqual(kept, items);
    assert.notEqual(kept, items);
    assert.equal(keptList<number>([]), keptList<string>([]));
    assert.throws(() => keptList<number>([]).push(1), TypeError);
  });

  it('keeps what a summary says, and an empty summary changes no other', () => {
    const s = emptySummary();
    s.inside.push({
      lock: { cls: 'a.lock', expr: 'a->lock', kind: 'mutex', mode: 'write', recursiveRead: false },
      chain: [],
    });
    s.effects.sleep = [step('f', 'msleep')];
    const kept = keptSummary(s);
    assert.deepEqual(kept, s);
    const none = keptSummary(emptySummary());
    assert.deepEqual(none, emptySummary());
    assert.throws(() => none.acquires.push(kept.inside[0]), TypeError);
    assert.throws(() => {
      none.effects.fault = [];
    }, TypeError);
    assert.deepEqual(keptSummary(emptySummary()).effects, {});
  });
});
