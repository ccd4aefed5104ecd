/**
 * The precision benchmark: the seeded sampler (deterministic, order-independent, without
 * replacement), the label check against a tiny tree (audited false positives must stay gone,
 * audited true ones must stay; fingerprint first, then file/function/rule), the printout, and
 * the repository's own labels.json.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePrecisionArgs, runPrecision } from '../../scripts/bench-precision';
import { checkLabels, type Label, loadLabels, parseLabels } from '../../scripts/precision/labels';
import { drawSample, seededRandom, type Sampled } from '../../scripts/precision/sample';
import { defaultSettings } from '../../server/src/config/settings';
import { scanPaths } from '../../server/src/engine/scan';

const REPO = path.resolve(__dirname, '../../..');
const TINY = path.join(REPO, 'test', 'fixtures', 'precision', 'tiny');

function population(n: number): Sampled[] {
  return Array.from({ length: n }, (_, i) => ({
    file: `dir${i % 3}/f${i % 7}.c`,
    range: { line: i, col: i % 5 },
    rule: i % 2 ? 'sleep-in-atomic' : 'lock-order-cycle',
    fingerprint: `print${i}`,
  }));
}

const ids = (s: Sampled[]) => s.map((x) => x.fingerprint);

describe('precision sampler', () => {
  it('draws the same sample for the same seed, whatever the order of the findings', () => {
    const pop = population(50);
    const shuffled = [...pop].reverse().sort((a, b) => a.fingerprint.length - b.fingerprint.length || 0);
    assert.deepEqual(ids(drawSample(pop, 20, 7)), ids(drawSample(pop, 20, 7)));
    assert.deepEqual(ids(drawSample(shuffled, 20, 7)), ids(drawSample(pop, 20, 7)));
  });

  it('another seed draws another sample', () => {
    const pop = population(50);
    assert.notDeepEqual(ids(drawSample(pop, 20, 1)), ids(drawSample(pop, 20, 2)));
  });

  it('draws without replacement, and everything when asked for more than there is', () => {
    const pop = population(50);
    const s = drawSample(pop, 20, 3);
    assert.equal(s.length, 20);
    assert.equal(new Set(ids(s)).size, 20);
    assert.deepEqual(ids(drawSample(pop, 80, 3)).sort(), ids(pop).sort());
    assert.deepEqual(drawSample(pop, 0, 3), []);
    assert.deepEqual(drawSample([], 20, 3), []);
  });

  it('is the same generator forever: recorded seeds keep naming the same sample', () => {
    // Audits quote their seed; a change to the generator would silently change every sample.
    const random = seededRandom(1);
    const first = [random(), random(), random()].map((x) => x.toFixed(6));
    assert.deepEqual(first, ['0.627074', '0.002736', '0.527447']);
    for (let i = 0; i < 1000; i++) {
      const x = random();
      assert.ok(x >= 0 && x < 1);
    }
  });

  it('spreads over the whole population', () => {
    // 2,000 draws of 1 from 10: every finding comes up, none more than twice its share.
    const pop = population(10);
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 2000; seed++) {
      const [x] = drawSample(pop, 1, seed);
      counts.set(x.fingerprint, (counts.get(x.fingerprint) ?? 0) + 1);
    }
    assert.equal(counts.size, 10);
    for (const n of counts.values()) assert.ok(n > 100 && n < 400, String(n));
  });
});

describe('precision labels', () => {
  let dir: string;
  let prints: Map<string, string>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-precision-'));
    const outcome = await scanPaths(['.'], TINY, defaultSettings());
    prints = new Map(outcome.result.diagnostics.map((d) => [`${d.function} ${d.rule}`, d.fingerprint]));
    assert.deepEqual([...prints.keys()].sort(), [
      'foo_tiny_clear double-lock',
      'foo_tiny_poll sleep-in-atomic',
    ]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const label = (fn: string, rule: string, verdict: 'true' | 'false', extra: Partial<Label> = {}): Label => ({
    tree: 'tiny',
    file: 'foo_tiny.c',
    function: fn,
    rule,
    verdict,
    reason: 'test',
    decisiveLine: 'foo_tiny.c:1: test',
    ...extra,
  });
  const write = (labels: unknown): string => {
    const file = path.join(dir, `labels-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(labels));
    return file;
  };
  const run = (labels: string) =>
    runPrecision(parsePrecisionArgs([TINY, '--labels', labels, '--sample', '5']));

  it('holds when true findings stay and false ones stay gone', async () => {
    const labels = [
      label('foo_tiny_poll', 'sleep-in-atomic', 'true', {
        fingerprint: prints.get('foo_tiny_poll sleep-in-atomic'),
      }),
      // A stale fingerprint: found again by file, function and rule.
      label('foo_tiny_clear', 'double-lock', 'true', { fingerprint: 'feedfacefeedfacefeedfacefeedface' }),
      label('foo_tiny_bump', 'sleep-in-atomic', 'false'),
      label('foo_other', 'double-lock', 'false', { tree: 'elsewhere' }),
    ];
    const { text, code } = await run(write({ labels }));
    assert.equal(code, 0, text);
    assert.match(text, /labels .* for tree tiny: 3, 1 for other trees not checked/);
    const rows = text.split('\n').filter((l) => /^(pass|FAIL) /.test(l));
    assert.equal(rows.length, 3);
    assert.match(
      rows[0],
      /^pass +true \(must stay\) +reported \(fingerprint\) +sleep-in-atomic +foo_tiny\.c foo_tiny_poll\(\)$/,
    );
    assert.match(rows[1], /^pass +true \(must stay\) +reported \(file\/function\/rule\) +double-lock/);
    assert.match(rows[2], /^pass +false \(must stay gone\) +not reported +sleep-in-atomic/);
    assert.match(text, /pass: every audited verdict holds \(3\)/);
  });

  it('fails when an audited false positive is back or an audited true finding is gone', async () => {
    const labels = [
      label('foo_tiny_poll', 'sleep-in-atomic', 'false', {
        fingerprint: prints.get('foo_tiny_poll sleep-in-atomic'),
      }),
      label('foo_tiny_bump', 'lock-imbalance', 'true'),
      label('foo_tiny_clear', 'double-lock', 'true'),
    ];
    const { text, code } = await run(write({ labels }));
    assert.equal(code, 1, text);
    const rows = text.split('\n').filter((l) => /^(pass|FAIL) /.test(l));
    assert.deepEqual(
      rows.map((r) => r.split(/\s+/)[0]),
      ['FAIL', 'FAIL', 'pass'],
    );
    assert.match(text, /FAIL: 2 of 3 audited verdicts no longer hold/);
  });

  it('prints each sampled finding with its explanation and its audit', async () => {
    const fp = prints.get('foo_tiny_poll sleep-in-atomic');
    const { text } = await run(
      write({
        labels: [
          label('foo_tiny_poll', 'sleep-in-atomic', 'true', { fingerprint: fp, reason: 'held spinlock' }),
        ],
      }),
    );
    assert.match(
      text,
      /tree tiny .*2 errors and warnings of confidence medium or higher; sample of 2, seed 1/,
    );
    const poll = text.slice(text.indexOf('[sleep-in-atomic]'));
    assert.match(poll, /foo_tiny\.c:12:2 +foo_tiny_poll\(\)/);
    assert.match(poll, new RegExp(`fingerprint ${fp}`));
    assert.match(poll, /audited true: held spinlock/);
    assert.match(poll, /msleep\(\) may sleep while spinlock foo_tiny\.lock is held/);
    // The finding's line and the acquisition, each with the source around it.
    assert.match(poll, /> 12 \| +msleep\(5\);/);
    assert.match(
      poll,
      /--- foo_tiny\.c:11 +1\/1: spinlock foo_tiny\.lock acquired here\n(.*\n){3}  > 11 \| +spin_lock\(&t->lock\);/,
    );
    assert.match(text, /sample: 2 findings, 1 audited \(1 true, 0 false\), 1 not audited/);
  });

  it('samples and checks only what Problems shows (confidence at least minConfidence)', async () => {
    // A finding in an arm of an unknown #ifdef has medium confidence: shown by default, hidden
    // at minConfidence "high", where its "true" label no longer holds.
    const tree = path.join(dir, 'tiny-unknown');
    fs.mkdirSync(tree, { recursive: true });
    fs.writeFileSync(
      path.join(tree, 'foo_maybe.c'),
      'struct foo_maybe { spinlock_t lock; };\n\nvoid foo_maybe_poll(struct foo_maybe *m)\n{\n\tspin_lock(&m->lock);\n#ifdef CONFIG_FOO_MAYBE_SLOW\n\tmsleep(5);\n#endif\n\tspin_unlock(&m->lock);\n}\n',
    );
    const labels = write({
      labels: [
        label('foo_maybe_poll', 'sleep-in-atomic', 'true', { tree: 'tiny-unknown', file: 'foo_maybe.c' }),
      ],
    });
    const config = path.join(dir, 'high.json');
    fs.writeFileSync(config, JSON.stringify({ minConfidence: 'high' }));
    const shown = await runPrecision(parsePrecisionArgs([tree, '--labels', labels]));
    assert.equal(shown.code, 0, shown.text);
    assert.match(shown.text, /1 errors and warnings of confidence medium or higher; sample of 1/);
    const hidden = await runPrecision(parsePrecisionArgs([tree, '--labels', labels, '--config', config]));
    assert.equal(hidden.code, 1, hidden.text);
    assert.match(hidden.text, /0 errors and warnings of confidence high or higher; sample of 0/);
  });

  it('malformed labels and arguments are a clear error', async () => {
    const bad = await run(write({ labels: [{ tree: 'tiny', verdict: 'maybe' }] }));
    assert.equal(bad.code, 2);
    assert.match(bad.text, /label 1: "file" must be a non-empty string/);
    assert.equal((await run(write([]))).code, 2);
    assert.equal((await run(path.join(dir, 'missing.json'))).code, 2);
    assert.throws(() => parsePrecisionArgs([]), /usage/);
    assert.throws(() => parsePrecisionArgs(['x', '--seed', '-1']), /--seed must be a whole number/);
    assert.throws(() => parsePrecisionArgs(['x', '--bogus', '1']), /unknown option --bogus/);
    const a = parsePrecisionArgs(['some/tree', '--seed=4']);
    assert.deepEqual([a.seed, a.sample, a.tree], [4, 20, 'tree']);
  });

  it('matches by fingerprint before file, function and rule', () => {
    const reported = [{ file: 'a.c', function: 'f', rule: 'double-lock', fingerprint: 'p1' }];
    const byPrint = checkLabels(
      [label('g', 'sleep-in-atomic', 'false', { fingerprint: 'p1' })],
      'tiny',
      reported,
    );
    assert.equal(byPrint.results[0].match, 'fingerprint');
    assert.equal(byPrint.results[0].pass, false);
    assert.deepEqual(parseLabels({ labels: [] }), { labels: [], errors: [] });
  });

  it("the repository's labels.json is well formed and its labels for examples/ hold", async () => {
    const file = path.join(REPO, 'test', 'precision', 'labels.json');
    assert.deepEqual(loadLabels(file).errors, []);
    const { text, code } = await runPrecision(
      parsePrecisionArgs([path.join(REPO, 'examples'), '--sample', '1']),
    );
    assert.equal(code, 0, text);
    assert.doesNotMatch(text, /no audited verdicts/);
  });
});
