import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { ChainStep } from '../../server/src/analysis/model';
import { Engine } from '../../server/src/engine/engine';
import { judge } from '../../server/src/rules/confidence';
import { REPO, TestLspClient } from '../support/lsp-client';

/**
 * Two chips implement `foo_ops.poll` in their own folders; the core calls it through a device it
 * did not set up (nothing near it stores the op: every implementation may run), passing a field
 * the implementations test before sleeping (a condition the analysis cannot decide there). A
 * sleep under the spinlock in the core itself is plain.
 */
const WORKSPACE: Record<string, string> = {
  'core/foo.h': `struct foo_dev;
struct foo_ops { void (*poll)(struct foo_dev *dev, bool wait); };
struct foo_dev { const struct foo_ops *ops; spinlock_t lock; bool wait; };
`,
  'chip_a/a.c': `#include "../core/foo.h"
static void a_poll(struct foo_dev *dev, bool wait) { if (wait) msleep(1); }
const struct foo_ops a_ops = { .poll = a_poll };
`,
  'chip_b/b.c': `#include "../core/foo.h"
static void b_poll(struct foo_dev *dev, bool wait) { if (wait) usleep_range(1, 2); }
const struct foo_ops b_ops = { .poll = b_poll };
`,
  'core/core.c': `#include "foo.h"
void foo_poll_all(struct foo_dev *dev)
{
	spin_lock(&dev->lock);
	dev->ops->poll(dev, dev->wait);
	spin_unlock(&dev->lock);
}
`,
};
const PLAIN = `#include "foo.h"
void foo_settle(struct foo_dev *dev)
{
	spin_lock(&dev->lock);
	msleep(5);
	spin_unlock(&dev->lock);
}
`;

function writeTree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-confidence-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

const step = (extra: Partial<ChainStep> = {}): ChainStep => ({
  fn: 'f',
  file: 'f.c',
  range: { line: 0, col: 0, endLine: 0, endCol: 1 },
  callee: 'g',
  ...extra,
});

describe('confidence', () => {
  it('drops one level per piece of weak evidence: ambiguous targets make it low alone', () => {
    assert.equal(judge([[step()]]).confidence, 'high');
    assert.equal(judge([[step({ undecided: true })]]).confidence, 'medium');
    assert.equal(judge([[step({ ambiguous: true })]]).confidence, 'low');
    assert.equal(judge([[step({ ambiguous: true, undecided: true })]]).confidence, 'low');
    assert.equal(judge([Array.from({ length: 8 }, () => step())]).confidence, 'medium');
    assert.equal(judge([Array.from({ length: 12 }, () => step())]).confidence, 'medium');
    assert.equal(judge([[step()]], ['?.lock']).confidence, 'medium');
    const why = judge([[step({ ambiguous: true })], Array.from({ length: 9 }, () => step())]);
    assert.equal(why.confidence, 'low');
    assert.equal(why.reasons.length, 2);
  });

  it('a finding through an ambiguous pointer call under an undecided condition is low', async () => {
    const engine = await Engine.create();
    for (const [name, text] of Object.entries({ ...WORKSPACE, 'core/settle.c': PLAIN }))
      engine.setFile(name, text);
    const found = engine
      .analyze()
      .diagnostics.map((d) => `${d.file}:${d.range.line + 1} ${d.rule} ${d.confidence}`)
      .sort();
    assert.deepEqual(found, ['core/core.c:5 sleep-in-atomic low', 'core/settle.c:5 sleep-in-atomic high']);
  });

  it('a sleep only a suspended device does (a runtime-PM resume) counts as undecided', async () => {
    const engine = await Engine.create();
    engine.setFile(
      'core/pm.c',
      [
        '#include <linux/pm_runtime.h>',
        '#include <linux/spinlock.h>',
        'struct foo_dev { spinlock_t lock; struct device *dev; unsigned int users; };',
        'static void foo_wake(struct foo_dev *fd)',
        '{',
        '\tpm_runtime_get_sync(fd->dev);',
        '}',
        'void foo_kick(struct foo_dev *fd)',
        '{',
        '\tspin_lock(&fd->lock);',
        '\tfoo_wake(fd);',
        '\tfd->users++;',
        '\tspin_unlock(&fd->lock);',
        '}',
        'void foo_nap(struct foo_dev *fd)',
        '{',
        '\tspin_lock(&fd->lock);',
        '\tmsleep(1);',
        '\tspin_unlock(&fd->lock);',
        '}',
      ].join('\n'),
    );
    const found = engine
      .analyze()
      .diagnostics.filter((d) => d.rule === 'sleep-in-atomic')
      .map((d) => `${d.range.line + 1} ${d.confidence}`)
      .sort();
    assert.deepEqual(found, ['11 medium', '18 high']);
    const pm = engine.analyze().diagnostics.find((d) => d.range.line + 1 === 11);
    assert.match(pm?.confidenceReasons?.join() ?? '', /only when the device is runtime-suspended/);
  });

  it('lowers findings in code kept because a preprocessor symbol was unknown', async () => {
    const engine = await Engine.create();
    const { facts } = engine.setFile('core/settle.c', PLAIN);
    engine.setFacts({ ...facts!, unknownArms: [{ line: 3, endLine: 5, symbol: 'CONFIG_FOO_DEBUG' }] });
    const [d] = engine.analyze().diagnostics;
    assert.equal(d.confidence, 'medium');
    assert.match(d.confidenceReasons?.join() ?? '', /#if CONFIG_FOO_DEBUG is unknown/);
  });

  it('an irq-inversion whose irqs-on path starts where nothing calls, stores or registers is low', async () => {
    const engine = await Engine.create();
    const header = `struct foo_dev { spinlock_t lock; int irq; int count; };
void foo_bump(struct foo_dev *dev);
`;
    engine.setFile('foo.h', header);
    engine.setFile(
      'foo_irq.c',
      `#include "foo.h"
static irqreturn_t foo_isr(int irq, void *data)
{
	struct foo_dev *dev = data;

	spin_lock(&dev->lock);
	dev->count++;
	spin_unlock(&dev->lock);
	return IRQ_HANDLED;
}

int foo_probe(struct foo_dev *dev)
{
	return request_irq(dev->irq, foo_isr, 0, "foo", dev);
}

static const struct file_operations foo_fops = { .release = foo_release };
`,
    );
    const bump = (name: string) => `void ${name}(struct foo_dev *dev)
{
	spin_lock(&dev->lock);
	dev->count = 0;
	spin_unlock(&dev->lock);
}
`;
    engine.setFile(
      'foo_ctl.c',
      `#include "foo.h"
${bump('foo_bump')}
${bump('foo_release')}`,
    );
    const found = engine
      .analyze()
      .diagnostics.filter((d) => d.rule === 'irq-inversion')
      .map((d) => `${d.function} ${d.confidence}`)
      .sort();
    assert.deepEqual(found, ['foo_bump low', 'foo_release high']);
  });

  it('a witness through the arguments of a macro defined outside the workspace is low', async () => {
    // CTR2 comes from a header outside the workspace (FreeBSD's <sys/ktr.h>): it may never
    // evaluate foo_read(); the direct call in foo_update() is plain.
    const engine = await Engine.create();
    engine.setFile(
      'foo.c',
      `#include <sys/ktr.h>
struct foo { spinlock_t lock; u32 val; };
static u32 foo_read(struct foo *f)
{
	u32 v;

	spin_lock(&f->lock);
	v = f->val;
	spin_unlock(&f->lock);
	return v;
}
static inline void trace_foo(struct foo *f)
{
	CTR2(KTR_DEV, "val=%u", foo_read(f));
}
void foo_update(struct foo *f)
{
	local_irq_disable();
	trace_foo(f);
	foo_read(f);
	local_irq_enable();
}
`,
    );
    const found = engine
      .analyze()
      .diagnostics.filter((d) => d.rule === 'wait-context')
      .map((d) => `${d.range.line + 1} ${d.confidence} ${d.confidenceReasons?.join() ?? ''}`)
      .sort();
    assert.deepEqual(found, [
      '19 low trace_foo() calls foo_read() in the arguments of CTR2(), a macro defined outside the workspace that may not evaluate them',
      '20 high ',
    ]);
  });

  it('a pointer call reaching implementations of several files of its own folder is ambiguous', async () => {
    const engine = await Engine.create();
    engine.setFile(
      'ring/ring.h',
      `struct ring;
struct ring_funcs { void (*begin_use)(struct ring *r); };
struct ring { const struct ring_funcs *funcs; spinlock_t lock; };
`,
    );
    const impl = (name: string, body: string) => `#include "ring.h"
static void ${name}_begin_use(struct ring *r)
{
	${body}
}
static const struct ring_funcs ${name}_funcs = { .begin_use = ${name}_begin_use };
`;
    engine.setFile('ring/vpe.c', impl('vpe', 'msleep(1);'));
    engine.setFile('ring/sdma.c', impl('sdma', 'r->funcs = 0;'));
    engine.setFile(
      'ring/ring.c',
      `#include "ring.h"
void ring_alloc(struct ring *r)
{
	spin_lock(&r->lock);
	r->funcs->begin_use(r);
	spin_unlock(&r->lock);
}
`,
    );
    const [d] = engine.analyze().diagnostics.filter((x) => x.rule === 'sleep-in-atomic');
    assert.equal(d?.confidence, 'low');
    assert.match(d.confidenceReasons?.join() ?? '', /every implementation of which may be the target/);
  });

  it('a function that reaches itself again only through an ambiguous pointer call is low there', async () => {
    // The register write goes through a ring whose begin_use op is every implementation's: one
    // of them is the caller itself, which takes its own mutex again (a recursion the chain cuts
    // short), and its idle work takes that mutex the same way (the edge closing the flush's cycle).
    const engine = await Engine.create();
    engine.setFile(
      'ring/ring.h',
      `struct ring;
struct ring_funcs { void (*begin_use)(struct ring *r); };
struct ring { const struct ring_funcs *funcs; struct foo_dev *dev; };
struct foo_dev { struct ring kiq; struct mutex vce_lock; struct mutex jpeg_lock; struct delayed_work idle_work; };
void foo_wreg(struct foo_dev *dev, u32 reg, u32 v);
`,
    );
    engine.setFile(
      'ring/ring.c',
      `#include "ring.h"
static void ring_alloc(struct ring *r)
{
	if (r->funcs->begin_use)
		r->funcs->begin_use(r);
}

void foo_wreg(struct foo_dev *dev, u32 reg, u32 v)
{
	ring_alloc(&dev->kiq);
}
`,
    );
    engine.setFile(
      'ring/vce.c',
      `#include "ring.h"
static void vce_idle_work(struct work_struct *work)
{
	struct foo_dev *dev = container_of(work, struct foo_dev, idle_work.work);

	foo_wreg(dev, 2, 0);
}

static void vce_begin_use(struct ring *r)
{
	struct foo_dev *dev = r->dev;

	mutex_lock(&dev->vce_lock);
	cancel_delayed_work_sync(&dev->idle_work);
	foo_wreg(dev, 1, 0);
	mutex_unlock(&dev->vce_lock);
}
static const struct ring_funcs vce_funcs = { .begin_use = vce_begin_use };

void vce_init(struct foo_dev *dev)
{
	INIT_DELAYED_WORK(&dev->idle_work, vce_idle_work);
}
`,
    );
    engine.setFile(
      'ring/jpeg.c',
      `#include "ring.h"
static void jpeg_begin_use(struct ring *r)
{
	mutex_lock(&r->dev->jpeg_lock);
	mutex_unlock(&r->dev->jpeg_lock);
}
static const struct ring_funcs jpeg_funcs = { .begin_use = jpeg_begin_use };
`,
    );
    const found = engine
      .analyze()
      .diagnostics.filter((d) => d.function === 'vce_begin_use')
      .map((d) => `${d.range.line + 1} ${d.rule} ${d.confidence}`)
      .sort();
    assert.deepEqual(found, ['14 flush-under-lock low', '15 double-lock low', '15 flush-under-lock low']);
    const [d] = engine.analyze().diagnostics.filter((x) => x.rule === 'double-lock');
    assert.match(
      d.confidenceReasons?.join() ?? '',
      /ring_alloc\(\) calls vce_begin_use\(\) through a function pointer/,
    );
  });

  describe('in the CLI', () => {
    let root: string;
    before(() => (root = writeTree(WORKSPACE)));
    after(() => fs.rmSync(root, { recursive: true, force: true }));
    const scan = (...flags: string[]) =>
      spawnSync(process.execPath, [path.join(REPO, 'bin', 'lockscope'), 'scan', '.', ...flags], {
        cwd: root,
        encoding: 'utf8',
      });

    it('--fail-on counts only findings of at least --min-confidence (default medium); reports list all', () => {
      const json = scan('--format', 'json');
      assert.equal(json.status, 0, json.stderr);
      const [d] = JSON.parse(json.stdout).diagnostics as {
        confidence: string;
        confidenceReasons: string[];
      }[];
      assert.equal(d.confidence, 'low');
      assert.ok(d.confidenceReasons.some((r) => /function pointer/.test(r)));
      assert.equal(scan('--min-confidence', 'low').status, 1);
      const sarif = JSON.parse(scan('--format', 'sarif').stdout);
      const [result] = sarif.runs[0].results;
      assert.equal(result.rank, 30);
      assert.equal(result.properties.precision, 'low');
      assert.match(scan().stdout, /low confidence: /);
    });
  });

  describe('in the editor', () => {
    let root: string;
    let client: TestLspClient;
    before(async () => {
      root = writeTree({ ...WORKSPACE, 'core/settle.c': PLAIN });
      client = new TestLspClient();
      await client.initialize(pathToFileURL(root).toString());
      await client.waitReady();
    });
    after(async () => {
      await client.close();
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('Problems shows findings of at least minConfidence', async () => {
      const core = pathToFileURL(path.join(root, 'core', 'core.c')).toString();
      const settle = pathToFileURL(path.join(root, 'core', 'settle.c')).toString();
      for (const [uri, name] of [
        [core, 'core/core.c'],
        [settle, 'core/settle.c'],
      ])
        await client.conn.sendNotification('textDocument/didOpen', {
          textDocument: { uri, languageId: 'c', version: 1, text: WORKSPACE[name] ?? PLAIN },
        });
      await client.waitFor(settle, (p) => p.diagnostics.length === 1);
      await client.waitFor(core, (p) => p.diagnostics.length === 0);
      client.settings = { minConfidence: 'low' };
      await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
      await client.waitFor(core, (p) => p.diagnostics.length === 1);
    });
  });
});
