/**
 * Quick fixes against fixture pairs in test/fixtures/fixes: `<name>.before.c` analysed, the fix
 * picked by title and applied must give `<name>.after.c` exactly, and the after text must no
 * longer carry the diagnostic. `no-*.c` files hold cases where only suppression may be offered.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { type Diagnostic, Engine } from '../../server/src/engine/engine';
import { applyEdits, type Fix, fixAll, fixesFor } from '../../server/src/fixes/index';
import { CParser } from '../../server/src/parsing/parser';
import { maskAnnotations } from '../../server/src/parsing/preprocess';
import { KERNEL_API } from '../../server/src/kb/kernel-api';
import type { FixHint, RuleId } from '../../server/src/rules/rule';
import { FIXTURES } from '../support/fixtures';

const DIR = path.join(FIXTURES, 'fixes');

let parser: CParser;
before(async () => {
  parser = await CParser.create();
});

function read(name: string): string {
  return fs.readFileSync(path.join(DIR, name), 'utf8');
}

async function analyse(file: string, text: string): Promise<Diagnostic[]> {
  const engine = await Engine.create();
  const { problem } = engine.setFile(file, text);
  assert.equal(problem, undefined);
  return engine.analyze().diagnostics;
}

function describeFixes(fixes: Fix[]): string {
  return fixes.map((f) => `  ${f.title}`).join('\n') || '  (none)';
}

interface PairCase {
  name: string;
  rule: RuleId;
  title: string;
  /** Rules that must have no diagnostic at all afterwards; empty for a suppression. */
  gone: RuleId[];
  safe: boolean;
}

const PAIRS: PairCase[] = [
  {
    name: 'gfp-atomic',
    rule: 'sleep-in-atomic',
    title: 'Use GFP_ATOMIC in kzalloc() (atomic context cannot sleep)',
    gone: ['sleep-in-atomic'],
    safe: true,
  },
  {
    name: 'gfp-nowait',
    rule: 'sleep-in-atomic',
    title: 'Use GFP_NOWAIT in kmalloc() (atomic context cannot sleep)',
    gone: ['sleep-in-atomic'],
    safe: false,
  },
  {
    name: 'prealloc-workqueue',
    rule: 'hotplug-under-lock',
    title: 'Preallocate alloc_workqueue() before taking dev->mm_lock',
    gone: ['hotplug-under-lock', 'reclaim-under-lock'],
    safe: false,
  },
  {
    name: 'prealloc-declaration',
    rule: 'reclaim-under-lock',
    title: 'Preallocate kzalloc() before taking pool->lock',
    gone: ['reclaim-under-lock'],
    safe: false,
  },
  {
    name: 'prealloc-nested-locks',
    rule: 'reclaim-under-lock',
    title: 'Preallocate kvmalloc() before taking zap_global_lock',
    gone: ['reclaim-under-lock'],
    safe: false,
  },
  {
    name: 'prealloc-helper',
    rule: 'reclaim-under-lock',
    title: 'Preallocate wib_buf_create() before taking wd->sem',
    gone: ['reclaim-under-lock'],
    safe: false,
  },
  {
    name: 'copy-assign',
    rule: 'fault-under-lock',
    title: 'Move put_user() after mutex_unlock(&cd->lock)',
    gone: ['fault-under-lock'],
    safe: false,
  },
  {
    name: 'copy-if',
    rule: 'fault-under-lock',
    title: 'Move copy_to_user() after mutex_unlock(&sd->lock)',
    gone: ['fault-under-lock'],
    safe: false,
  },
  {
    name: 'copy-goto',
    rule: 'fault-under-lock',
    title: 'Move copy_to_user() after mutex_unlock(&ctx->mutex)',
    gone: ['fault-under-lock'],
    safe: false,
  },
  {
    name: 'copy-goto-multi',
    rule: 'fault-under-lock',
    title: 'Move copy_to_user() after mutex_unlock(&q->lock)',
    gone: ['fault-under-lock'],
    safe: false,
  },
  {
    name: 'irqsave',
    rule: 'irq-inversion',
    title: 'Take e->lock with interrupts disabled: spin_lock_irqsave()',
    gone: ['irq-inversion'],
    safe: false,
  },
  {
    name: 'irqsave-no-locals',
    rule: 'irq-inversion',
    title: 'Take m->lock with interrupts disabled: write_lock_irqsave()',
    gone: ['irq-inversion'],
    safe: false,
  },
  {
    name: 'irq-bh',
    rule: 'irq-inversion',
    title: 'Take a->lock with softirqs disabled: spin_lock_bh()',
    gone: ['irq-inversion'],
    safe: false,
  },
  {
    name: 'suppress',
    rule: 'sleep-in-atomic',
    title: 'Suppress sleep-in-atomic on this line',
    gone: [],
    safe: false,
  },
  {
    name: 'suppress-merge',
    rule: 'reclaim-under-lock',
    title: 'Suppress reclaim-under-lock on this line',
    gone: [],
    safe: false,
  },
];

describe('fixes: before/after pairs', () => {
  it('has a before and an after file for every case', () => {
    const files = new Set(fs.readdirSync(DIR));
    for (const c of PAIRS) {
      assert.ok(files.has(`${c.name}.before.c`) && files.has(`${c.name}.after.c`), c.name);
    }
  });

  for (const c of PAIRS) {
    it(c.name, async () => {
      const file = `${c.name}.c`;
      const text = read(`${c.name}.before.c`);
      const diags = (await analyse(file, text)).filter((d) => d.rule === c.rule);
      assert.equal(diags.length, 1, `expected one ${c.rule} diagnostic`);
      const fixes = fixesFor(diags[0], text, parser);
      const fix = fixes.find((f) => f.title === c.title);
      assert.ok(fix, `no fix titled "${c.title}"; offered:\n${describeFixes(fixes)}`);
      assert.equal(fix.safe, c.safe);
      assert.equal(fix.kind, 'quickfix');
      assert.equal(fix.rule, c.rule);
      const after = applyEdits(text, fix.edits);
      assert.equal(after, read(`${c.name}.after.c`));
      const left = await analyse(file, after);
      for (const rule of c.gone) {
        assert.deepEqual(
          left.filter((d) => d.rule === rule).map((d) => d.message),
          [],
          `${rule} still reported`,
        );
      }
      if (c.gone.length === 0) {
        assert.ok(!left.some((d) => d.rule === c.rule && d.message === diags[0].message), 'not suppressed');
        assert.equal(left.length, (await analyse(file, text)).length - 1);
      }
    });
  }
});

interface RefusedCase {
  name: string;
  rule: RuleId;
  hint: FixHint['kind'];
  why: string;
}

const REFUSED: RefusedCase[] = [
  {
    name: 'no-prealloc-locked-args',
    rule: 'reclaim-under-lock',
    hint: 'preallocate',
    why: 'size read from the locked object',
  },
  {
    name: 'no-prealloc-assigned-between',
    rule: 'reclaim-under-lock',
    hint: 'preallocate',
    why: 'argument assigned after the lock',
  },
  {
    name: 'no-prealloc-early-exit',
    rule: 'reclaim-under-lock',
    hint: 'preallocate',
    why: 'a goto in between would leak',
  },
  {
    name: 'no-prealloc-helper-pointer',
    rule: 'reclaim-under-lock',
    hint: 'preallocate',
    why: 'a helper given a pointer may read locked data',
  },
  {
    name: 'no-prealloc-pointer-arg',
    rule: 'reclaim-under-lock',
    hint: 'preallocate',
    why: 'idr_alloc() changes the idr it is given',
  },
  {
    name: 'no-prealloc-helper-global-lock',
    rule: 'reclaim-under-lock',
    hint: 'preallocate',
    why: 'a helper may read the globals a global lock protects',
  },
  {
    name: 'no-prealloc-inner-block',
    rule: 'hotplug-under-lock',
    hint: 'preallocate',
    why: 'allocation is conditional',
  },
  {
    name: 'no-copy-locked-source',
    rule: 'fault-under-lock',
    hint: 'copy-after-unlock',
    why: 'source is the locked object',
  },
  {
    name: 'no-copy-pointer-source',
    rule: 'fault-under-lock',
    hint: 'copy-after-unlock',
    why: 'source is a pointer into the locked object',
  },
  {
    name: 'no-copy-touched-between',
    rule: 'fault-under-lock',
    hint: 'copy-after-unlock',
    why: 'buffer cleared between copy and unlock',
  },
  {
    name: 'no-copy-shared-label',
    rule: 'fault-under-lock',
    hint: 'copy-after-unlock',
    why: 'another goto lands on the unlock',
  },
  {
    name: 'no-irqsave-mixed-unlock',
    rule: 'irq-inversion',
    hint: 'irq-disable',
    why: 'the function takes the lock twice',
  },
  {
    name: 'no-gfp-still-reclaims',
    rule: 'sleep-in-atomic',
    hint: 'gfp-atomic',
    why: '__GFP_DIRECT_RECLAIM stays',
  },
];

describe('fixes: not offered when unsafe', () => {
  for (const c of REFUSED) {
    it(`${c.name} (${c.why})`, async () => {
      const text = read(`${c.name}.c`);
      const diags = (await analyse(`${c.name}.c`, text)).filter((d) => d.rule === c.rule);
      assert.ok(diags.length > 0, `expected a ${c.rule} diagnostic`);
      for (const d of diags) {
        assert.equal(d.fix?.kind, c.hint, 'the rule should still give its hint');
        const fixes = fixesFor(d, text, parser);
        assert.deepEqual(
          fixes.map((f) => f.title),
          [`Suppress ${c.rule} on this line`],
        );
      }
    });
  }
});

describe('fixes: irq-disable needs the whole critical section', () => {
  it('gives no hint for a lock wrapper (the section continues in its caller)', async () => {
    const text = read('no-irqsave-wrapper.c');
    const diags = (await analyse('no-irqsave-wrapper.c', text)).filter((d) => d.rule === 'irq-inversion');
    assert.equal(diags.length, 1);
    assert.equal(diags[0].fix, undefined);
    assert.deepEqual(
      fixesFor(diags[0], text, parser).map((f) => f.title),
      ['Suppress irq-inversion on this line'],
    );
  });
});

describe('fixes: fixAll', () => {
  it('applies only the safe fixes', async () => {
    const text = read('fixall.before.c');
    const diags = await analyse('fixall.c', text);
    assert.deepEqual(diags.map((d) => d.rule).sort(), [
      'fault-under-lock',
      'sleep-in-atomic',
      'sleep-in-atomic',
    ]);
    const after = applyEdits(text, fixAll(diags, text, parser));
    assert.equal(after, read('fixall.after.c'));
    const left = await analyse('fixall.c', after);
    assert.deepEqual(
      left.map((d) => d.rule),
      ['fault-under-lock'],
    );
  });

  it('takes identical edits once', async () => {
    const text = read('fixall.before.c');
    const diags = await analyse('fixall.c', text);
    assert.deepEqual(fixAll([...diags, ...diags], text, parser), fixAll(diags, text, parser));
  });
});

describe('fixes: API details', () => {
  it('gives the same fixes from the engine tree as from a parser', async () => {
    const text = read('prealloc-workqueue.before.c');
    const engine = await Engine.create();
    const { tree } = engine.setFile('w.c', text);
    assert.ok(tree);
    for (const d of engine.analyze().diagnostics) {
      assert.deepEqual(fixesFor(d, text, tree), fixesFor(d, text, parser));
    }
  });

  it('every fix offered on the fixtures leaves code that parses', async () => {
    const names = fs.readdirSync(DIR).filter((f) => f.endsWith('.c') && !f.endsWith('.after.c'));
    for (const name of names) {
      const text = read(name);
      for (const d of await analyse(name, text)) {
        for (const fix of fixesFor(d, text, parser)) {
          const after = applyEdits(text, fix.edits);
          const tree = parser.parse(maskAnnotations(after, KERNEL_API.annotationMacros).text);
          assert.ok(!tree.rootNode.hasError, `${name}: "${fix.title}" breaks the parse`);
          tree.delete();
        }
      }
    }
  });

  it('keeps CRLF line endings in inserted lines', async () => {
    const text = read('suppress.before.c').replace(/\n/g, '\r\n');
    const [d] = await analyse('crlf.c', text);
    const fix = fixesFor(d, text, parser).find((f) => f.title.startsWith('Suppress'));
    assert.ok(fix);
    assert.equal(applyEdits(text, fix.edits), read('suppress.after.c').replace(/\n/g, '\r\n'));
  });

  it('does not suppress inside a multi-line macro', async () => {
    const text = [
      'struct m { spinlock_t l; };',
      '#define M_SLEEP(x) \\',
      '\tdo { spin_lock(&(x)->l); msleep(1); spin_unlock(&(x)->l); } while (0)',
      'static void m_fn(struct m *x)',
      '{',
      '\tspin_lock(&x->l);',
      '\tmsleep(1);',
      '\tspin_unlock(&x->l);',
      '}',
      '',
    ].join('\n');
    const diag: Diagnostic = {
      rule: 'sleep-in-atomic',
      severity: 'error',
      file: 'm.c',
      range: { line: 2, col: 26, endLine: 2, endCol: 35 },
      function: 'm_fn',
      message: 'synthetic',
      related: [],
      classes: ['m.l'],
      fingerprint: 'synthetic',
      confidence: 'high',
    };
    assert.deepEqual(fixesFor(diag, text, parser), []);
  });

  it('offers only suppression when the text changed under the diagnostic', async () => {
    const text = read('gfp-atomic.before.c');
    const [d] = await analyse('stale.c', text);
    const edited = text.replace('e = kzalloc(', 'e = kzalloc_node(');
    assert.deepEqual(
      fixesFor(d, edited, parser).map((f) => f.title),
      ['Suppress sleep-in-atomic on this line'],
    );
  });

  it('rejects overlapping edits', () => {
    const r = { line: 0, col: 1, endLine: 0, endCol: 3 };
    assert.throws(() =>
      applyEdits('abcdef', [
        { range: r, newText: 'x' },
        { range: { ...r, col: 2, endCol: 4 }, newText: 'y' },
      ]),
    );
  });
});
