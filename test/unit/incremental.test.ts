import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSettings } from '../../server/src/config/settings';
import { type AnalysisResult, type AnalysisRun, changedRange, Engine } from '../../server/src/engine/engine';

const HELPER = `
struct foo_dev { struct mutex lock; spinlock_t irq_lock; };
void foo_wait(struct foo_dev *d) { usleep_range(10, 20); }
`;
const USER = `
void foo_a(struct foo_dev *d) { spin_lock(&d->irq_lock); foo_nop(d); spin_unlock(&d->irq_lock); }
void foo_b(struct foo_dev *d) { mutex_lock(&d->lock); foo_nop(d); mutex_unlock(&d->lock); }
void foo_c(struct foo_dev *d) { foo_nop(d); }
`;

function rules(engine: Engine): string[] {
  return engine
    .analyze()
    .diagnostics.map((d) => `${d.file}:${d.range.line + 1} ${d.rule}`)
    .sort();
}

describe('incremental analysis', () => {
  it('an edit inside one body re-analyses that function and agrees with a cold run', async () => {
    const engine = await Engine.create();
    engine.setFile('helper.c', HELPER);
    engine.updateOpenFile('user.c', USER);
    assert.deepEqual(rules(engine), []);
    const all = engine.analyze().analysed;
    assert.equal(all, 0, 'nothing changed: nothing analysed');

    const edited = USER.replace(
      'spin_lock(&d->irq_lock); foo_nop(d);',
      'spin_lock(&d->irq_lock); foo_wait(d);',
    );
    engine.updateOpenFile('user.c', edited);
    const result = engine.analyze();
    assert.equal(result.analysed, 1, 'only foo_a is analysed again');
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.file}:${d.range.line + 1} ${d.rule}`),
      ['user.c:2 sleep-in-atomic'],
    );

    const cold = await Engine.create();
    cold.setFile('helper.c', HELPER);
    cold.setFile('user.c', edited);
    assert.deepEqual(rules(cold), rules(engine));
  });

  it('a changed callee summary re-analyses its callers in other files', async () => {
    const engine = await Engine.create();
    engine.updateOpenFile('helper.c', HELPER.replace('usleep_range(10, 20);', 'udelay(10);'));
    engine.setFile('user.c', USER.replace(/foo_nop/g, 'foo_wait'));
    assert.deepEqual(rules(engine), []);
    engine.updateOpenFile('helper.c', HELPER);
    assert.deepEqual(rules(engine), ['user.c:2 sleep-in-atomic']);
  });

  it('edits that add lines, break the syntax or touch types re-lower the whole file correctly', async () => {
    const engine = await Engine.create();
    engine.setFile('helper.c', HELPER);
    engine.updateOpenFile('user.c', USER);
    engine.updateOpenFile(
      'user.c',
      '\n\n' + USER.replace('foo_nop(d); mutex_unlock', 'foo_wait(d);\n mutex_unlock'),
    );
    assert.deepEqual(rules(engine), []);
    engine.updateOpenFile('user.c', '}}} ((( ' + USER);
    engine.analyze();
    engine.updateOpenFile('user.c', USER.replace('foo_nop(d); spin_unlock', 'foo_wait(d); spin_unlock'));
    assert.deepEqual(rules(engine), ['user.c:2 sleep-in-atomic']);
    engine.closeOpenFile('user.c');
  });

  it('a shorter chain two calls down reaches the callers that report it', async () => {
    const source = `
struct foo_dev { struct mutex lock; spinlock_t irq_lock; };
void foo_leaf(struct foo_dev *d) { mutex_lock(&d->lock); mutex_unlock(&d->lock); }
void foo_deep(struct foo_dev *d) { foo_leaf(d); }
void foo_y(struct foo_dev *d) { foo_deep(d); }
void foo_x(struct foo_dev *d) { foo_y(d); }
void foo_g(struct foo_dev *d) { spin_lock(&d->irq_lock); foo_x(d); spin_unlock(&d->irq_lock); }
`;
    const edited = source.replace('{ foo_deep(d); }', '{ foo_leaf(d); }');
    const messages = (engine: Engine) => engine.analyze().diagnostics.map((d) => `${d.rule}: ${d.message}`);
    const engine = await Engine.create();
    engine.updateOpenFile('chain.c', source);
    assert.match(messages(engine).join('\n'), /foo_y → foo_deep → foo_leaf/);
    engine.updateOpenFile('chain.c', edited);
    const cold = await Engine.create();
    cold.setFile('chain.c', edited);
    assert.match(messages(cold).join('\n'), /foo_y → foo_leaf → mutex_lock/);
    assert.deepEqual(messages(engine), messages(cold));
    engine.closeOpenFile('chain.c');
  });

  it('re-lowering one function gives the facts a whole-file lowering gives, stores in file order', async () => {
    const source = `
static int foo_bind(struct foo_dev *d) { return 0; }
static void foo_setup(struct foo_dev *d) { d->ops->bind = foo_bind; mutex_lock(&d->lock); }
static const struct foo_ops foo_ops = { .bind = foo_bind };
static void foo_late(struct foo_dev *d) { d->ops->unbind = foo_bind; }
`;
    const edited = source.replace('mutex_lock(&d->lock);', 'mutex_lock(&d->lock); foo_nop(d);');
    const engine = await Engine.create();
    engine.updateOpenFile('ops.c', source);
    engine.analyze();
    engine.updateOpenFile('ops.c', edited);
    assert.equal(engine.analyze().analysed, 1, 'only foo_setup is analysed again');
    const cold = await Engine.create();
    cold.setFile('ops.c', edited);
    assert.deepEqual(engine.index.get('ops.c'), cold.index.get('ops.c'));
    engine.closeOpenFile('ops.c');
  });

  it('finds the one changed range of two long texts, wherever it is', () => {
    const base = 'x'.repeat(700) + 'abc' + 'y'.repeat(900);
    const cases: [string, string, { start: number; oldEnd: number; newEnd: number } | undefined][] = [
      [base, base, undefined],
      [base, 'Q' + base, { start: 0, oldEnd: 0, newEnd: 1 }],
      [base, base + 'Q', { start: 1603, oldEnd: 1603, newEnd: 1604 }],
      [base, base.replace('abc', 'aXXc'), { start: 701, oldEnd: 702, newEnd: 703 }],
      [base, base.replace('abc', ''), { start: 700, oldEnd: 703, newEnd: 700 }],
      ['y'.repeat(600), 'y'.repeat(300), { start: 300, oldEnd: 600, newEnd: 300 }],
    ];
    for (const [a, b, expected] of cases) assert.deepEqual(changedRange(a, b), expected);
  });

  it('typing in code the configuration kept, in an arm it turned off or into a kconfig test reads as a cold read', async () => {
    const source = [
      'void foo_kick(struct foo *f)',
      '{',
      '\tspin_lock(&f->lock);',
      '#ifdef CONFIG_FOO_DEBUG_GEM',
      '\tfoo_poison(f);',
      '#endif',
      '\tif (IS_ENABLED(CONFIG_FOO_SELFTEST))',
      '\t\tfoo_check(f);',
      '\tfoo_ring(f, 1);',
      '\tspin_unlock(&f->lock);',
      '}',
      '',
    ].join('\n');
    const engine = await Engine.create();
    engine.updateOpenFile('kick.c', source);
    const steps = [
      source.replace('foo_ring(f, 1)', 'foo_ring(f, 12)'),
      source.replace('foo_ring(f, 1)', 'foo_ring_x(f, 1)'),
      source.replace('foo_poison(f)', 'foo_poisonx(f)'),
      source.replace('CONFIG_FOO_SELFTEST', 'CONFIG_FOO_SELFTES'),
      source.replace('\tfoo_ring(f, 1)', '\tIS_ENABLED(CONFIG_FOO_DEBUG) && foo_ring(f, 1)'),
      source.replace('\tfoo_ring(f, 1)', '\tIS_ENABLEDfoo_ring(f, 1)'),
      source,
    ];
    for (const text of steps) {
      engine.updateOpenFile('kick.c', text);
      const cold = await Engine.create();
      cold.setFile('kick.c', text);
      assert.deepEqual(engine.index.get('kick.c'), cold.index.get('kick.c'), text);
    }
    engine.closeOpenFile('kick.c');
  });

  it('an edit that changes no lock order keeps the cycles, at their new lines; one that does finds them again', async () => {
    const ab = `
struct foo_dev { struct mutex a; struct mutex b; };
void foo_ab(struct foo_dev *d) { mutex_lock(&d->a); mutex_lock(&d->b); mutex_unlock(&d->b); mutex_unlock(&d->a); }
`;
    const ba = `
void foo_ba(struct foo_dev *d)
{
	mutex_lock(&d->b);
	mutex_lock(&d->a);
	mutex_unlock(&d->a);
	mutex_unlock(&d->b);
}
`;
    const cycles = (engine: Engine) =>
      engine
        .analyze()
        .diagnostics.filter((d) => d.rule === 'lock-order-cycle')
        .map((d) => `${d.file}:${d.range.line}`)
        .sort();
    const cold = async (text: string) => {
      const e = await Engine.create();
      e.setFile('ab.c', ab);
      e.setFile('ba.c', text);
      return cycles(e);
    };
    const engine = await Engine.create();
    engine.setFile('ab.c', ab);
    engine.updateOpenFile('ba.c', ba);
    assert.deepEqual(cycles(engine), ['ab.c:2', 'ba.c:4']);
    const shape = engine.lastAnalysis!.memo.cycles!.shape;

    const moved = ba.replace('{\n', '{\n\tfoo_nop(d);\n\n');
    engine.updateOpenFile('ba.c', moved);
    assert.deepEqual(cycles(engine), ['ab.c:2', 'ba.c:6']);
    assert.equal(engine.lastAnalysis!.memo.cycles!.shape, shape, 'the same graph shape: cycles reused');
    assert.deepEqual(cycles(engine), await cold(moved));

    const fixed = moved.replace('\tmutex_lock(&d->a);\n\tmutex_unlock(&d->a);\n', '');
    engine.updateOpenFile('ba.c', fixed);
    assert.deepEqual(cycles(engine), []);
    assert.deepEqual(cycles(engine), await cold(fixed));
    engine.closeOpenFile('ba.c');
  });

  describe('in slices', () => {
    // foo_top holds a spinlock over a chain of six calls down to foo_wait.
    const chain = Array.from(
      { length: 6 },
      (_, i) => `void foo_l${i}(struct foo_dev *d) { ${i === 5 ? 'foo_wait' : `foo_l${i + 1}`}(d); }`,
    ).join('\n');
    const TOP = `${chain}\nvoid foo_top(struct foo_dev *d) { spin_lock(&d->irq_lock); foo_l0(d); spin_unlock(&d->irq_lock); }\n`;
    const QUIET = HELPER.replace('usleep_range(10, 20);', 'udelay(10);');
    const SLEEPS = HELPER.replace('usleep_range(10, 20);', 'msleep(10);');
    const names = (r: AnalysisResult) =>
      r.diagnostics.map((d) => `${d.file}:${d.range.line + 1} ${d.rule}`).sort();

    async function workspace(helper: string): Promise<Engine> {
      const engine = await Engine.create();
      engine.updateOpenFile('helper.c', helper);
      engine.setFile('top.c', TOP);
      return engine;
    }

    function slices(run: AnalysisRun): { result: AnalysisResult; slices: number } {
      for (let n = 1; ; n++) {
        const result = run.advance(0);
        if (result) return { result, slices: n };
      }
    }

    it('pause between components and find what one pass finds', async () => {
      const sliced = slices((await workspace(HELPER)).startAnalysis());
      assert.ok(sliced.slices >= 8, `${sliced.slices} slices for 8 functions`);
      assert.deepEqual(names(sliced.result), ['top.c:7 sleep-in-atomic']);
      assert.deepEqual(names(sliced.result), names((await workspace(HELPER)).analyze()));
    });

    it('an edit drops the run in progress, and the next starts from the last finished one', async () => {
      const engine = await workspace(QUIET);
      assert.deepEqual(names(engine.analyze()), []);
      // The helper starts to sleep; its callers are being re-analysed when it is put back.
      engine.updateOpenFile('helper.c', SLEEPS);
      const run = engine.startAnalysis();
      assert.equal(run.advance(0), undefined);
      assert.equal(run.advance(0), undefined);
      engine.updateOpenFile('helper.c', QUIET);
      assert.ok(run.dropped);
      assert.equal(run.advance(Infinity), undefined, 'a dropped run never finishes');
      // Against the last finished run nothing changed: its results stand, as a cold run's do.
      const back = engine.analyze();
      assert.equal(back.analysed, 1, 'the re-lowered helper only: its callers keep the finished results');
      assert.deepEqual(names(back), []);
      assert.deepEqual(names(back), names((await workspace(QUIET)).analyze()));

      engine.updateOpenFile('helper.c', SLEEPS);
      engine.startAnalysis().advance(0);
      engine.updateOpenFile('helper.c', HELPER);
      assert.deepEqual(names(engine.analyze()), names((await workspace(HELPER)).analyze()));
    });

    it('new settings drop the run in progress', async () => {
      const engine = await workspace(HELPER);
      const run = engine.startAnalysis();
      run.advance(0);
      engine.configure(defaultSettings());
      assert.ok(run.dropped);
      assert.deepEqual(names(engine.analyze()), ['top.c:7 sleep-in-atomic']);
    });
  });

  it("an edit that changes a lock helper's return states reaches its callers as a cold run does", async () => {
    const helper = `
struct foo_dev { spinlock_t lock; int n; };
struct foo_dev *foo_find(int id);
struct foo_dev *foo_get_locked(int id)
{
	struct foo_dev *d = foo_find(id);
	if (!d)
		return NULL;
	spin_lock(&d->lock);
	return d;
}
`;
    const user = `
void foo_use(int id)
{
	struct foo_dev *d = foo_get_locked(id);
	if (!d)
		return;
	usleep_range(1, 2);
	spin_unlock(&d->lock);
}
`;
    const engine = await Engine.create();
    engine.updateOpenFile('helper.c', helper);
    engine.setFile('user.c', user);
    // Held exactly when the helper returns non-NULL: the sleep is under it, the NULL path is clean.
    assert.deepEqual(rules(engine), ['user.c:7 sleep-in-atomic']);
    // Now NULL and d both come back as NULL: callers cannot tell the paths apart, nothing is held.
    const edited = helper.replace('if (!d)', 'if (d) ');
    engine.updateOpenFile('helper.c', edited);
    const incremental = rules(engine);
    const cold = await Engine.create();
    cold.setFile('helper.c', edited);
    cold.setFile('user.c', user);
    assert.deepEqual(incremental, rules(cold));
    assert.deepEqual(incremental, []);
    engine.updateOpenFile('helper.c', helper);
    assert.deepEqual(rules(engine), ['user.c:7 sleep-in-atomic']);
  });
});
