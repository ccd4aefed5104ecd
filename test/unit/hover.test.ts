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

async function hoverText(line: number, text: string): Promise<string> {
  const engine = await Engine.create();
  engine.setFile('foo.c', SOURCE);
  engine.analyze();
  const lines = SOURCE.split('\n');
  const hover = hoverAt(engine, 'foo.c', { line, character: lines[line].indexOf(text) + 1 }, []);
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
});
