/** Hovers say what the analysis assumed: calls it knows nothing about do not sleep. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';
import { hoverAt } from '../../server/src/server/hover';

const SOURCE = `
struct foo_dev { struct mutex lock; int val; };

static int foo_read_fw(struct foo_dev *d)
{
	return foo_vendor_query(d->val);
}

static int foo_sample(struct foo_dev *d)
{
	return foo_read_fw(d);
}

int foo_update(struct foo_dev *d)
{
	int v;

	mutex_lock(&d->lock);
	v = foo_sample(d);
	d->val = foo_vendor_query(v);
	WARN_ON(v < 0);
	mutex_unlock(&d->lock);
	return v;
}
`;

async function hoverText(line: number, text: string, source = SOURCE): Promise<string> {
  const engine = await Engine.create();
  engine.setFile('foo.c', source);
  const { diagnostics } = engine.analyze();
  const lines = source.split('\n');
  const hover = hoverAt(engine, 'foo.c', { line, character: lines[line].indexOf(text) + 1 }, diagnostics);
  assert.ok(hover, `hover at ${lines[line]}`);
  return (hover.contents as { value: string }).value;
}

describe('hover', () => {
  it('notes a call to a function with no body and no table entry', async () => {
    const text = await hoverText(19, 'foo_vendor_query');
    assert.match(
      text,
      /`foo_vendor_query\(\)`\*\*: unknown \(no body in the workspace, no table entry\): assumed not to sleep/,
    );
  });

  it('notes the chain down to one below a callee that does not sleep', async () => {
    const text = await hoverText(18, 'foo_sample');
    assert.match(
      text,
      /`foo_sample → foo_read_fw → foo_vendor_query`: unknown \(no body, no table entry\): assumed not to sleep/,
    );
  });

  it('says nothing of upper-case macros', async () => {
    const text = await hoverText(20, 'WARN_ON');
    assert.doesNotMatch(text, /unknown/);
  });

  it("gives the line's findings with their confidence, and only that line's", async () => {
    const source = `
struct foo_ops { void (*put)(int); };
struct foo_dev { spinlock_t lock; const struct foo_ops *ops; };

static void foo_put_a(int n) { msleep(n); }
static void foo_put_b(int n) { msleep(n + 1); }
const struct foo_ops foo_a_ops = { .put = foo_put_a };
const struct foo_ops foo_b_ops = { .put = foo_put_b };

void foo_release(struct foo_dev *d)
{
	spin_lock(&d->lock);
	d->ops->put(1);
	spin_unlock(&d->lock);
}
`;
    assert.match(await hoverText(12, 'put', source), /^\*\*`sleep-in-atomic`\*\*: high confidence\n/);
    assert.doesNotMatch(await hoverText(11, 'spin_lock', source), /confidence/);
  });
});
