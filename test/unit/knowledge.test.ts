import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Knowledge, validateExtraFunctions } from '../../server/src/kb/knowledge';

describe('knowledge base', () => {
  const kb = Knowledge.withExtensions();

  it('knows lock families and their kinds', () => {
    assert.equal(kb.fact('spin_lock_irqsave')?.acquire?.kind, 'spinlock');
    assert.equal(kb.fact('raw_spin_unlock_irqrestore')?.release?.kind, 'raw_spinlock');
    assert.equal(kb.fact('mutex_lock_killable')?.conditional, 'zero-success');
    assert.equal(kb.fact('mutex_trylock')?.conditional, 'nonzero-success');
    assert.equal(kb.fact('down_read')?.acquire?.mode, 'read');
    assert.equal(kb.fact('read_lock_bh')?.acquire?.recursiveRead, true);
    assert.equal(kb.fact('mmap_write_lock')?.acquire?.cls, 'mmap_lock');
    assert.equal(kb.fact('dma_resv_lock')?.acquire?.cls, 'reservation_ww_class_mutex');
  });

  it('knows effects, including families matched by pattern', () => {
    assert.deepEqual(kb.fact('wait_event_interruptible_timeout')?.effects, ['sleep']);
    assert.ok(kb.fact('copy_to_user')?.effects?.includes('fault'));
    assert.ok(kb.fact('stop_machine')?.effects?.includes('hotplug'));
    assert.equal(kb.fact('schedule_work'), undefined, 'queueing work does not sleep');
    assert.equal(kb.fact('totally_unknown_fn'), undefined);
  });

  it('says which interrupt kind each variant disables and restores', () => {
    assert.equal(kb.fact('spin_lock_irqsave')?.disablesIrq, 'hardirq');
    assert.equal(kb.fact('raw_spin_lock_irq')?.disablesIrq, 'hardirq');
    assert.equal(kb.fact('spin_lock_bh')?.disablesIrq, 'softirq');
    assert.equal(kb.fact('spin_lock')?.disablesIrq, undefined);
    assert.equal(kb.fact('write_unlock_irqrestore')?.restoresIrq, 'hardirq');
    assert.equal(kb.fact('spin_unlock_bh')?.restoresIrq, 'softirq');
    assert.equal(kb.fact('local_irq_save')?.disablesIrq, 'hardirq');
    assert.equal(kb.fact('local_bh_enable')?.restoresIrq, 'softirq');
    assert.equal(kb.irqState('hardirq').cls, 'hardirqs_off');
    assert.deepEqual(validateExtraFunctions({ foo_lock: { disablesIrq: 'nmi' } }).errors, [
      'extraLockFunctions.foo_lock: disablesIrq must be "hardirq" or "softirq"',
    ]);
  });

  it('knows when context tests are true, and checks user-given ones', () => {
    assert.deepEqual(kb.fact('in_interrupt')?.contextTest, {
      trueWhen: { in: ['hardirq', 'softirq'], off: ['softirq'] },
    });
    assert.deepEqual(kb.fact('preemptible')?.contextTest, { falseWhen: { atomic: true } });
    const ok = validateExtraFunctions({
      foo_in_irq: { contextCheck: true, contextTest: { trueWhen: { in: ['hardirq'] } } },
    });
    assert.deepEqual(ok.errors, []);
    const bad = validateExtraFunctions({ foo_in_irq: { contextTest: { trueWhen: { in: 'hardirq' } } } });
    assert.match(bad.errors[0], /^extraLockFunctions\.foo_in_irq: contextTest must be/);
  });

  it('knows counters whose result tells the first or last user, and checks user-given ones', () => {
    for (const name of [
      'atomic_inc_return',
      'atomic64_dec_return_relaxed',
      'atomic_long_fetch_add',
      'refcount_dec_and_test',
    ])
      assert.equal(kb.fact(name)?.counter, true, name);
    assert.equal(kb.fact('atomic_inc'), undefined);
    assert.deepEqual(validateExtraFunctions({ foo_get: { counter: true } }).errors, []);
    assert.deepEqual(validateExtraFunctions({ foo_get: { counter: 1 } }).errors, [
      'extraLockFunctions.foo_get: counter must be true',
    ]);
  });

  it('reads gfp flags', () => {
    assert.equal(kb.gfpReclaims('GFP_KERNEL'), true);
    assert.equal(kb.gfpReclaims('GFP_KERNEL | __GFP_ZERO'), true);
    assert.equal(kb.gfpReclaims('GFP_ATOMIC'), false);
    assert.equal(kb.gfpReclaims('GFP_NOWAIT | __GFP_NOWARN'), false);
    assert.equal(kb.gfpReclaims('GFP_KERNEL & ~__GFP_DIRECT_RECLAIM'), false);
    assert.equal(kb.gfpReclaims('gfp'), undefined, 'a variable is decided by the caller');
  });

  it('callback contexts and class aliases are data', () => {
    assert.equal(kb.callbackContext('shrinker', 'scan_objects'), 'reclaim');
    assert.equal(kb.callbackContext(undefined, 'invalidate_range_start'), 'mmu-invalidate');
    assert.equal(kb.context('cpuhp')?.held[0]?.cls, 'cpu_hotplug_lock');
    assert.equal(kb.aliasClass('mm_struct.mmap_sem', 'mmap_sem'), 'mmap_lock');
  });

  it('user extensions add and override facts; invalid entries are reported, not fatal', () => {
    const { facts, errors } = validateExtraFunctions({
      foo_lock: { acquire: { arg: 0, kind: 'mutex' } },
      msleep: {},
      broken: { acquire: { arg: -1, kind: 'mutex' } },
      worse: 'x',
    });
    assert.equal(errors.length, 2);
    const ext = Knowledge.withExtensions(facts);
    assert.equal(ext.fact('foo_lock')?.acquire?.kind, 'mutex');
    assert.deepEqual(ext.fact('msleep'), {}, 'user facts win');
    assert.equal(validateExtraFunctions([1, 2]).errors.length, 1);
  });

  it('user result tests and return ranges are checked like the rest', () => {
    const { facts, errors } = validateExtraFunctions({
      foo_is_err: { test: { arg: 0, trueFor: ['negative'] } },
      foo_err_ptr: { result: { values: ['negative'] } },
      foo_sleep_if: { effects: ['sleep'], onlyIf: 1 },
      bad_test: { test: { arg: 0, trueFor: ['broken'] } },
      bad_result: { result: { arg: 0, map: 'sideways' } },
      bad_only_if: { onlyIf: 'flags' },
    });
    assert.deepEqual(Object.keys(facts).sort(), ['foo_err_ptr', 'foo_is_err', 'foo_sleep_if']);
    assert.equal(errors.length, 3);
  });

  it('takes names that are Object.prototype members as plain names', () => {
    const kb = Knowledge.withExtensions();
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.equal(kb.fact(name), undefined, name);
      assert.equal(kb.guard(name), undefined, name);
      assert.equal(kb.context(name), undefined, name);
      assert.equal(kb.lockKindOfType(name), undefined, name);
      assert.equal(kb.aliasClass(name, name), name);
    }
    // Settings are JSON: a user may describe a function of any name.
    const { facts } = validateExtraFunctions(
      JSON.parse('{"__proto__": {"acquire": {"arg": 0, "kind": "mutex"}}}'),
    );
    assert.equal(Knowledge.withExtensions(facts).fact('__proto__')?.acquire?.kind, 'mutex');
  });
});
