/**
 * Fingerprints (stable across line shifts, unrelated edits, wording and severity; distinct for
 * look-alike findings), baselines read from JSON and SARIF, the comparison, SARIF's
 * baselineState, and the changed-lines diff behind --changed-since.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { changedLines } from '../../server/src/baseline/changed';
import { compareWithBaseline } from '../../server/src/baseline/compare';
import { FINGERPRINT_KEY, fingerprints } from '../../server/src/baseline/fingerprint';
import { readBaseline } from '../../server/src/baseline/read';
import { parseSettings } from '../../server/src/config/settings';
import { type Diagnostic, Engine } from '../../server/src/engine/engine';
import { OrderGraph } from '../../server/src/graph/order-graph';
import { toJson } from '../../server/src/report/json';
import { toSarif } from '../../server/src/report/sarif';

/*
 * Two msleep() calls under one spinlock in one function (same rule, function, class and path),
 * a helper reached twice, two exits leaving one mutex held, and an AB-BA cycle.
 */
const DRIVER = `struct bar_dev {
	spinlock_t lock;
	struct mutex cfg;
	struct mutex stats;
	int state;
};

static void bar_wait(struct bar_dev *b)
{
	msleep(1);
}

void bar_poll(struct bar_dev *b)
{
	spin_lock(&b->lock);
	msleep(10);
	b->state++;
	msleep(20);
	bar_wait(b);
	spin_unlock(&b->lock);
}

int bar_set(struct bar_dev *b, int v)
{
	mutex_lock(&b->cfg);
	if (v < 0)
		return -EINVAL;
	if (v > 9)
		return -ERANGE;
	b->state = v;
	mutex_unlock(&b->cfg);
	return 0;
}

void bar_ab(struct bar_dev *b)
{
	mutex_lock(&b->cfg);
	mutex_lock(&b->stats);
	mutex_unlock(&b->stats);
	mutex_unlock(&b->cfg);
}

void bar_ba(struct bar_dev *b)
{
	mutex_lock(&b->stats);
	mutex_lock(&b->cfg);
	mutex_unlock(&b->cfg);
	mutex_unlock(&b->stats);
}
`;

/** The same code moved down, with an unrelated function above and comments in between. */
const SHIFTED = DRIVER.replace(
  'static void bar_wait',
  `/* A helper the findings do not involve. */
static int bar_peek(struct bar_dev *b)
{
	return b->state;
}

/*
 * Waits for the hardware.
 */
static void bar_wait`,
).replace('\tb->state++;\n', '\tb->state++;\n\tb->state += bar_peek(b);\n');

async function analyse(text: string, file = 'drv/bar.c', raw: unknown = {}): Promise<Diagnostic[]> {
  const engine = await Engine.create(parseSettings(raw).settings);
  assert.equal(engine.setFile(file, text).problem, undefined);
  return engine.analyze().diagnostics;
}

/** rule function: fingerprint, in source order. */
function byFinding(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.rule} ${d.function} ${d.fingerprint}`);
}

describe('fingerprints', () => {
  let base: Diagnostic[];
  before(async () => {
    base = await analyse(DRIVER);
  });

  it('the driver under test has look-alike findings', () => {
    assert.deepEqual(
      base.map((d) => `${d.rule} ${d.function} ${d.range.line + 1}`),
      [
        'sleep-in-atomic bar_poll 16',
        'sleep-in-atomic bar_poll 18',
        'sleep-in-atomic bar_poll 19',
        'lock-imbalance bar_set 27',
        'lock-imbalance bar_set 29',
        'lock-order-cycle bar_ab 38',
        'lock-order-cycle bar_ba 46',
      ],
    );
  });

  it('are distinct, even for the same rule, function, class and call', () => {
    assert.equal(new Set(base.map((d) => d.fingerprint)).size, base.length);
    for (const d of base) assert.match(d.fingerprint, /^[0-9a-f]{32}$/);
  });

  it('survive line shifts and unrelated edits', async () => {
    const shifted = await analyse(SHIFTED);
    assert.deepEqual(byFinding(shifted), byFinding(base));
    assert.notDeepEqual(
      shifted.map((d) => d.range.line),
      base.map((d) => d.range.line),
    );
  });

  it('survive a move to another folder, not a rename of the file', async () => {
    assert.deepEqual(byFinding(await analyse(DRIVER, '/abs/elsewhere/drv/bar.c')), byFinding(base));
    assert.notDeepEqual(byFinding(await analyse(DRIVER, 'drv/bar2.c')), byFinding(base));
  });

  it('do not depend on severity, message wording or confidence', async () => {
    const louder = await analyse(DRIVER, 'drv/bar.c', {
      severity: { 'sleep-in-atomic': 'warning', 'lock-imbalance': 'error' },
    });
    assert.deepEqual(
      louder.map((d) => d.fingerprint),
      base.map((d) => d.fingerprint),
    );
    const reworded = base.map((d) => ({
      ...d,
      message: `reworded: ${d.message}`,
      confidence: 'low' as const,
    }));
    assert.deepEqual(
      fingerprints(reworded),
      base.map((d) => d.fingerprint),
    );
  });

  it('keep the earlier look-alikes when one is added after them', async () => {
    const more = await analyse(DRIVER.replace('\tbar_wait(b);\n', '\tbar_wait(b);\n\tmsleep(30);\n'));
    const prints = new Set(more.map((d) => d.fingerprint));
    for (const d of base) assert.ok(prints.has(d.fingerprint), `${d.function}:${d.range.line + 1} kept`);
    assert.equal(more.length, base.length + 1);
  });

  it('a cycle finding is about its own edge, not the rest of the cycle', async () => {
    // bar_ba now closes the cycle through a third lock: bar_ab's edge and line are unchanged,
    // its cycle (and message) are not.
    const longer = await analyse(
      DRIVER.replace('\tstruct mutex stats;\n', '\tstruct mutex stats;\n\tstruct mutex other;\n').replace(
        /void bar_ba[\s\S]*$/,
        `void bar_ba(struct bar_dev *b)
{
	mutex_lock(&b->stats);
	mutex_lock(&b->other);
	mutex_unlock(&b->other);
	mutex_unlock(&b->stats);
}

void bar_oc(struct bar_dev *b)
{
	mutex_lock(&b->other);
	mutex_lock(&b->cfg);
	mutex_unlock(&b->cfg);
	mutex_unlock(&b->other);
}
`,
      ),
    );
    const ab = (ds: Diagnostic[]) =>
      ds.find((d) => d.rule === 'lock-order-cycle' && d.function === 'bar_ab')!;
    assert.deepEqual(ab(longer).classes.length, 3);
    assert.notEqual(ab(longer).message, ab(base).message);
    assert.equal(ab(longer).fingerprint, ab(base).fingerprint);
    const moreClasses = { ...ab(base), classes: ['bar_dev.cfg', 'bar_dev.stats', 'bar_dev.other'] };
    assert.deepEqual(fingerprints([moreClasses]), fingerprints([ab(base)]));
  });

  it('are in JSON and in SARIF partialFingerprints', () => {
    const json = toJson(base, new OrderGraph(), {
      files: 1,
      bytes: 0,
      functions: 0,
      parseMs: 0,
      analyzeMs: 0,
    }) as {
      diagnostics: { fingerprint: string }[];
    };
    assert.deepEqual(
      json.diagnostics.map((d) => d.fingerprint),
      base.map((d) => d.fingerprint),
    );
    const sarif = toSarif(base, new OrderGraph(), { toolVersion: '0' });
    assert.deepEqual(
      sarif.runs[0].results!.map((r) => r.partialFingerprints![FINGERPRINT_KEY]),
      base.map((d) => d.fingerprint),
    );
    assert.equal(FINGERPRINT_KEY, 'lockscope/v1');
  });
});

describe('baselines', () => {
  let dir: string;
  let base: Diagnostic[];
  let shifted: Diagnostic[];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-baseline-'));
    base = await analyse(DRIVER);
    shifted = await analyse(
      SHIFTED.replace('\tmsleep(20);\n', '\tudelay(20);\n').concat(`
void bar_new(struct bar_dev *b)
{
	spin_lock(&b->lock);
	msleep(5);
	spin_unlock(&b->lock);
}
`),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, value: unknown): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
  const stats = { files: 1, bytes: 0, functions: 0, parseMs: 0, analyzeMs: 0 };

  for (const format of ['json', 'sarif'] as const) {
    it(`read from ${format}: new, unchanged and absent findings`, () => {
      const out =
        format === 'json'
          ? toJson(base, new OrderGraph(), stats)
          : toSarif(base, new OrderGraph(), { toolVersion: '0', baseUri: dir });
      const read = readBaseline(write(`base.${format}`, out), dir);
      assert.equal(read.error, undefined);
      const b = read.baseline!;
      assert.deepEqual(
        b.findings.map((f) => `${f.rule} ${f.file}:${f.range.line} ${f.function} ${f.fingerprint}`),
        base.map((d) => `${d.rule} ${d.file}:${d.range.line} ${d.function} ${d.fingerprint}`),
      );
      const cmp = compareWithBaseline(shifted, b);
      assert.deepEqual(
        cmp.fresh.map((d) => d.function),
        ['bar_new'],
      );
      assert.equal(cmp.unchanged.length, base.length - 1);
      // The second msleep became a udelay: the third sleeping call is now the second of its kind.
      assert.equal(cmp.absent.length, 1);
      assert.equal(cmp.absent[0].function, 'bar_poll');
    });
  }

  it('SARIF marks results new or unchanged and lists the absent ones', () => {
    const cmp = compareWithBaseline(shifted, { file: 'b.json', findings: base });
    const log = toSarif(shifted, new OrderGraph(), { toolVersion: '0', baseline: cmp });
    const results = log.runs[0].results!;
    const count = (s: string) => results.filter((r) => r.baselineState === s).length;
    assert.deepEqual([count('new'), count('unchanged'), count('absent')], [1, base.length - 1, 1]);
    assert.equal(results.length, shifted.length + 1);
    // A SARIF written with states reads back as the current findings only.
    const again = readBaseline(write('states.sarif', log), dir).baseline!;
    assert.equal(again.findings.length, shifted.length);
    assert.equal(compareWithBaseline(shifted, again).fresh.length, 0);
  });

  it('match each baseline finding once', () => {
    const one = base[0];
    const cmp = compareWithBaseline([one, { ...one }], { file: 'b', findings: [one] });
    assert.equal(cmp.unchanged.length, 1);
    assert.equal(cmp.fresh.length, 1);
    assert.equal(cmp.absent.length, 0);
  });

  it('bad baselines are one clear error', () => {
    const cases: [string, unknown, RegExp][] = [
      ['missing.json', undefined, /cannot read baseline .*missing\.json/],
      ['garbage.json', '{ not json', /is not valid JSON/],
      ['other.json', { hello: 1 }, /neither the JSON nor the SARIF output/],
      [
        'old.json',
        { version: 1, diagnostics: [{ rule: 'double-lock', file: 'a.c', line: 1 }] },
        /without a fingerprint/,
      ],
      [
        'old.sarif',
        { version: '2.1.0', runs: [{ results: [{ ruleId: 'double-lock' }] }] },
        /without a fingerprint/,
      ],
      ['null.json', null, /neither/],
    ];
    for (const [name, value, error] of cases) {
      const file = value === undefined ? path.join(dir, name) : write(name, value);
      const read = readBaseline(file, dir);
      assert.equal(read.baseline, undefined, name);
      assert.match(read.error ?? '', error, name);
    }
  });
});

describe('changed lines', () => {
  const lines = (old: string[], now: string[]) => {
    const r = changedLines(old.join('\n') + '\n', now.join('\n') + '\n');
    return r === 'all' ? r : [...r].sort((a, b) => a - b);
  };

  it('an identical file has none', () => {
    assert.deepEqual(lines(['a', 'b'], ['a', 'b']), []);
  });

  it('added and modified lines, not the lines they push down', () => {
    assert.deepEqual(lines(['a', 'b', 'c'], ['new', 'a', 'B', 'c']), [0, 2]);
  });

  it('a deletion marks the lines on both sides of it', () => {
    assert.deepEqual(lines(['a', 'b', 'c', 'd'], ['a', 'd']), [0, 1]);
  });

  it('a missing newline at the end is no change', () => {
    assert.deepEqual([...(changedLines('a\nb', 'a\nb\n') as Set<number>)], []);
  });
});

describe('lockscope scan: the kernel order flags', () => {
  const REPO = path.resolve(__dirname, '../../..');
  const scan = (...flags: string[]) => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO, 'bin', 'lockscope'),
        'scan',
        'examples',
        '--format',
        'json',
        '--fail-on',
        'none',
        ...flags,
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const edges = (JSON.parse(r.stdout) as { edges: { from: string; to: string }[] }).edges;
    return { edges: edges.map((e) => `${e.from} -> ${e.to}`).sort(), stderr: r.stderr };
  };

  it('--no-kernel-order leaves the kernel edges out; --no-baseline does the same, with a note', () => {
    const all = scan();
    const off = scan('--no-kernel-order');
    const old = scan('--no-baseline');
    assert.ok(all.edges.includes('mmap_lock -> fs_reclaim'));
    assert.ok(!off.edges.includes('mmap_lock -> fs_reclaim'));
    assert.deepEqual(old.edges, off.edges);
    assert.equal(off.stderr, '');
    assert.match(old.stderr, /--no-baseline is deprecated: use --no-kernel-order/);
  });
});
