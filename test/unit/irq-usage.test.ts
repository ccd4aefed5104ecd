/**
 * Lockdep's usage states (analysis/irq-usage.ts) and what shows them: the hover on a lock call,
 * the JSON lock-class table, the report's class data, the analysis-result cache; the severity of
 * wait-context with CONFIG_PREEMPT_RT; and the incremental analysis after an edit that fixes a
 * finding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSettings } from '../../server/src/config/settings';
import { Engine } from '../../server/src/engine/engine';
import { Configuration, settingsConfigData } from '../../server/src/preprocess/config';
import { OrderGraph } from '../../server/src/graph/order-graph';
import { isClass } from '../../server/src/engine/shape-checks';
import { toJson } from '../../server/src/report/json';
import { reportData } from '../../server/src/report/report-data';
import { hoverAt } from '../../server/src/server/hover';

const DRIVER = `
struct foo_dev {
	spinlock_t lock;
	rwlock_t map_lock;
	int irq;
	u32 n;
};

static irqreturn_t foo_isr(int irq, void *data)
{
	struct foo_dev *d = data;

	spin_lock(&d->lock);
	d->n++;
	spin_unlock(&d->lock);
	read_lock(&d->map_lock);
	read_unlock(&d->map_lock);
	return IRQ_HANDLED;
}

void foo_update(struct foo_dev *d)
{
	spin_lock(&d->lock);
	d->n = 0;
	spin_unlock(&d->lock);
	read_lock(&d->map_lock);
	read_unlock(&d->map_lock);
}

void foo_reset(struct foo_dev *d)
{
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	d->n = 0;
	spin_unlock_irqrestore(&d->lock, flags);
}

static void foo_tick(struct timer_list *t)
{
	struct foo_dev *d = from_timer(d, t, timer);

	spin_lock(&d->lock);
	d->n++;
	spin_unlock(&d->lock);
}

int foo_probe(struct foo_dev *d)
{
	timer_setup(&d->timer, foo_tick, 0);
	return request_irq(d->irq, foo_isr, 0, "foo", d);
}
`;

/** The 0-based line of the first line holding `text`, at or after line `from`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) if (lines[i].includes(needle)) return i;
  throw new Error(`no line with ${needle}`);
}

async function analysed(text = DRIVER, settings = parseSettings({}).settings) {
  const engine = await Engine.create(settings);
  engine.setFile('foo.c', text);
  const result = engine.analyze();
  return { engine, result };
}

describe('lock usage states', () => {
  it('are lockdep states per class, with their roots', async () => {
    const { engine } = await analysed();
    const usage = engine.lastAnalysis!.usage;
    const states = (cls: string) =>
      [...new Set(usage.get(cls)?.uses.map((u) => `${u.state}-${u.mode} ${u.root.name}`))].sort();
    assert.deepEqual(states('foo_dev.lock'), [
      'hardirq-on-write foo_tick',
      'hardirq-on-write foo_update',
      'in-hardirq-write foo_isr',
      'in-softirq-write foo_tick',
      'softirq-on-write foo_update',
    ]);
    assert.deepEqual(states('foo_dev.map_lock'), [
      'hardirq-on-read foo_update',
      'in-hardirq-read foo_isr',
      'softirq-on-read foo_update',
    ]);
  });

  it('give one finding per unsafe lock call: readers on both sides are fine', async () => {
    const { result } = await analysed();
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.rule} ${d.function} ${d.range.line}`).sort(),
      [
        `irq-inversion foo_update ${lineOf(DRIVER, 'spin_lock(&d->lock)', lineOf(DRIVER, 'foo_update'))}`,
        `irq-inversion foo_tick ${lineOf(DRIVER, 'spin_lock(&d->lock)', lineOf(DRIVER, 'foo_tick'))}`,
      ].sort(),
    );
    const tick = result.diagnostics.find((d) => d.function === 'foo_tick')!;
    assert.match(tick.message, /^inconsistent \{IN-HARDIRQ-W\} -> \{HARDIRQ-ON-W\} usage/);
    assert.ok(tick.message.includes('  <Interrupt>'), tick.message);
    assert.deepEqual(tick.fix, { kind: 'irq-disable', irq: 'hardirq' });
  });

  it('show in the hover of a lock call', async () => {
    const { engine } = await analysed();
    const line = lineOf(DRIVER, 'spin_lock(&d->lock)', lineOf(DRIVER, 'foo_update'));
    const hover = hoverAt(engine, 'foo.c', { line, character: 3 }, []);
    const contents = hover?.contents;
    const text = contents && typeof contents === 'object' && 'value' in contents ? contents.value : '';
    assert.ok(
      text.includes(
        '**Usage** {IN-HARDIRQ-W, HARDIRQ-ON-W, IN-SOFTIRQ-W, SOFTIRQ-ON-W}: taken in hardirq: `foo_isr`;',
      ),
      text,
    );
    assert.ok(text.includes('with hardirqs on: `foo_update`, `foo_tick`'), text);
  });

  it('go into the lock-class table: JSON, the report, the stored graph', async () => {
    const { engine, result } = await analysed();
    const stats = { files: 1, bytes: 0, functions: 0, parseMs: 0, analyzeMs: 0 };
    const json = toJson(result.diagnostics, result.graph, stats) as {
      lockClasses: { name: string; usage?: string[] }[];
    };
    assert.deepEqual(json.lockClasses.find((c) => c.name === 'foo_dev.map_lock')?.usage, [
      'IN-HARDIRQ-R',
      'HARDIRQ-ON-R',
      'SOFTIRQ-ON-R',
    ]);
    const data = reportData(result.diagnostics, result.graph, stats);
    const lock = data.classes.find((c) => c.name === 'foo_dev.lock');
    const isr = lock?.usage?.find((u) => data.names[u.root] === 'foo_isr');
    assert.deepEqual([isr?.text, isr?.label], ['taken in hardirq', 'IN-HARDIRQ-W']);
    assert.equal(data.names[isr!.chain[0][4]], 'spin_lock');
    const stored = OrderGraph.fromData(JSON.parse(JSON.stringify(result.graph.toData())));
    assert.deepEqual(
      stored.lockClasses().map((c) => c.usage?.length ?? 0),
      result.graph.lockClasses().map((c) => c.usage?.length ?? 0),
    );
    assert.ok(stored.lockClasses().every(isClass));
    assert.equal(engine.lastAnalysis!.usage.get('foo_dev.lock')?.kind, 'spinlock');
  });

  it('follow an edit incrementally: irqsave in the unsafe caller ends its finding', async () => {
    const { engine } = await analysed();
    const fixed = DRIVER.replace(
      'void foo_update(struct foo_dev *d)\n{\n\tspin_lock(&d->lock);\n\td->n = 0;\n\tspin_unlock(&d->lock);',
      'void foo_update(struct foo_dev *d)\n{\n\tspin_lock_irq(&d->lock);\n\td->n = 0;\n\tspin_unlock_irq(&d->lock);',
    );
    assert.notEqual(fixed, DRIVER);
    engine.updateOpenFile('foo.c', DRIVER);
    engine.updateOpenFile('foo.c', fixed);
    const after = engine.analyze();
    assert.deepEqual(
      after.diagnostics.map((d) => `${d.rule} ${d.function}`),
      ['irq-inversion foo_tick'],
    );
  });
});

describe('wait-context severity', () => {
  const RAW = `
struct foo_clk { raw_spinlock_t hw; spinlock_t list; };
void foo_clk_set(struct foo_clk *c)
{
	raw_spin_lock(&c->hw);
	spin_lock(&c->list);
	spin_unlock(&c->list);
	raw_spin_unlock(&c->hw);
}
`;

  it('is a warning, and an error when the configuration has CONFIG_PREEMPT_RT', async () => {
    const plain = await analysed(RAW);
    assert.deepEqual(
      plain.result.diagnostics.map((d) => `${d.rule} ${d.severity}`),
      ['wait-context warning'],
    );
    const rt = await analysed(RAW, parseSettings({ defines: ['CONFIG_PREEMPT_RT'] }).settings);
    assert.deepEqual(
      rt.result.diagnostics.map((d) => `${d.rule} ${d.severity}`),
      ['wait-context error'],
    );
  });

  it('is an error when the kernel .config the files are read under has CONFIG_PREEMPT_RT', async () => {
    const engine = await Engine.create();
    const data = settingsConfigData(parseSettings({}).settings);
    data.kconfigs = [{ file: '/k/.config', symbols: [['CONFIG_PREEMPT_RT', 'y']] }];
    data.kconfig = 0;
    engine.setConfiguration(new Configuration(data));
    engine.setFile('/k/foo.c', RAW);
    assert.deepEqual(
      engine.analyze().diagnostics.map((d) => `${d.rule} ${d.severity}`),
      ['wait-context error'],
    );
  });
});
