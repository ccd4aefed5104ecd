/**
 * The analysis-memo cache: a scan after some files changed starts from the stored summaries and
 * analyses only the changed functions and the callers of those whose summary changed, and
 * reports exactly what a scan without any cache reports. A memo made with other code, settings
 * or types is not used; a damaged one is reported and rebuilt; a too-large one is not kept.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { after, before, beforeEach, describe, it } from 'node:test';
import { defaultSettings, type Settings } from '../../server/src/config/settings';
import { memoKey, writeMemo } from '../../server/src/engine/memo-cache';
import { type ScanOutcome, scanPaths } from '../../server/src/engine/scan';
import { toJson } from '../../server/src/report/json';
import { envelopeDamages } from '../support/damage';
import { FIXTURES } from '../support/fixtures';

let root: string;
let ws: string;
let cacheDir: string;

const scan = (opts: { tool?: string; settings?: Settings } = {}): Promise<ScanOutcome> =>
  scanPaths(['.'], ws, opts.settings ?? defaultSettings(), {
    jobs: 1,
    cache: { dir: cacheDir, toolVersion: opts.tool ?? 'test-1' },
  });

/** What the same files give with no cache at all. */
const uncached = (): Promise<ScanOutcome> => scanPaths(['.'], ws, defaultSettings(), { jobs: 1 });

/** The JSON report without timings: what a user sees. */
const report = (o: ScanOutcome): string =>
  JSON.stringify(toJson(o.result.diagnostics, o.result.graph, { ...o.stats, parseMs: 0, analyzeMs: 0 }));

const memoFile = (): string => {
  const files = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.memo'));
  assert.equal(files.length, 1, files.join(', '));
  return path.join(cacheDir, files[0]);
};

function edit(rel: string, from: string | RegExp, to: string): void {
  const file = path.join(ws, rel);
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  assert.notEqual(next, text, `${rel}: ${String(from)} not found`);
  fs.writeFileSync(file, next);
}

/** Stores `value` as the memo's payload under the memo's own key and a matching checksum. */
function rewritePayload(file: string, value: unknown): void {
  const buf = fs.readFileSync(file);
  const first = buf.indexOf(0x0a);
  const header = buf.toString('latin1', first + 1, buf.indexOf(0x0a, first + 1));
  const body = v8.serialize(value);
  const sum = createHash('sha256').update(body).digest('hex');
  fs.writeFileSync(
    file,
    Buffer.concat([
      buf.subarray(0, first + 1),
      Buffer.from(`${header.split(' ')[0]} ${sum} ${body.length}\n`),
      body,
      Buffer.from('\n'),
    ]),
  );
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-memo-'));
});

beforeEach(() => {
  ws = path.join(root, 'ws');
  cacheDir = path.join(root, 'cache');
  for (const d of [ws, cacheDir]) fs.rmSync(d, { recursive: true, force: true });
  fs.cpSync(path.join(FIXTURES, 'workspaces', 'seed000-perf-cycle'), ws, { recursive: true });
  fs.cpSync(path.join(FIXTURES, 'workspaces', 'abba-two-files'), path.join(ws, 'abba'), { recursive: true });
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('analysis-memo cache', () => {
  it('after an edit that keeps the summary, only the edited function is analysed again', async () => {
    const cold = await scan();
    assert.equal(cold.result.analysed, cold.result.functions);
    edit('abba/foo_cfg.c', 'return -EINVAL;', 'return -EBUSY;');
    const warm = await scan();
    assert.equal(warm.result.analysed, 1, 'foo_set_cfg');
    assert.equal(report(warm), report(await uncached()));
    assert.deepEqual(
      warm.problems.filter((p) => /memo/.test(p.message)),
      [],
    );
  });

  it('a changed summary sends its callers to be analysed again, and the findings follow', async () => {
    const cold = await scan();
    assert.match(report(cold), /lock-order-cycle/);
    edit(
      'abba/foo_stats.c',
      /mutex_lock\(&d->stats_lock\);\n\td->reconfigs\+\+;\n\tmutex_unlock\(&d->stats_lock\);/,
      'd->reconfigs++;',
    );
    const warm = await scan();
    // Both functions of the edited file, and foo_set_cfg, whose callee no longer takes stats_lock.
    assert.equal(warm.result.analysed, 3);
    const fresh = await uncached();
    assert.equal(report(warm), report(fresh));
    assert.ok(
      !warm.result.diagnostics.some((d) => d.file.includes('abba') && d.rule === 'lock-order-cycle'),
      'the AB-BA cycle is gone',
    );
  });

  it('is not used with other code, settings or types', async () => {
    await scan();
    edit('abba/foo_cfg.c', 'return -EINVAL;', 'return -EBUSY;');
    const otherTool = await scan({ tool: 'test-2' });
    assert.equal(otherTool.result.analysed, otherTool.result.functions, 'another tool version');
    const settings = { ...defaultSettings(), defines: ['CONFIG_FOO'] };
    await scan({ settings });
    edit('abba/foo_cfg.c', 'return -EBUSY;', 'return -EAGAIN;');
    const sameSettings = await scan({ settings });
    assert.equal(sameSettings.result.analysed, 1, 'the memo is kept per settings');
    const otherSettings = await scan();
    assert.equal(otherSettings.result.analysed, otherSettings.result.functions, 'other settings');
    edit('abba/foo_dev.h', /struct foo_dev \{/, 'struct foo_dev {\n\tint added_field;');
    const otherTypes = await scan();
    assert.equal(otherTypes.result.analysed, otherTypes.result.functions, 'a struct changed');
    assert.equal(report(otherTypes), report(await uncached()));
  });

  it('a damaged or hand-made memo is never trusted, and is rebuilt', async () => {
    await scan();
    edit('abba/foo_cfg.c', 'return -EINVAL;', 'return -EBUSY;');
    const file = memoFile();
    const good = fs.readFileSync(file);
    type Stored = { entries: { memo: { summary: { inside: { lock: unknown; chain: unknown[] }[] } } }[] };
    const decode = () =>
      v8.deserialize(good.subarray(good.indexOf(0x0a, good.indexOf(0x0a) + 1) + 1, -1)) as Stored;
    const damages: [string, () => void][] = [
      ...envelopeDamages(file, good),
      ['a checksummed payload that is not V8 data', () => rewritePayload(file, 0)],
      ['a checksummed payload of another shape', () => rewritePayload(file, { typeKey: [], files: 'x' })],
      [
        'a checksummed summary with a lock of an unknown kind',
        () => {
          const stored = decode();
          stored.entries[0].memo.summary.inside.push({
            lock: { cls: 'x', expr: 'x', kind: 'teleport', mode: 'write', recursiveRead: false },
            chain: [],
          });
          rewritePayload(file, stored);
        },
      ],
      [
        'a checksummed summary with a chain step (checked before) where a lock belongs',
        () => {
          const stored = decode();
          const chains = stored.entries.flatMap((e) => e.memo.summary.inside.map((i) => i.chain));
          const step = chains.find((c) => c.length > 0)![0];
          stored.entries[stored.entries.length - 1].memo.summary.inside.push({ lock: step, chain: [] });
          rewritePayload(file, stored);
        },
      ],
    ];
    for (const [i, [what, damage]] of damages.entries()) {
      fs.writeFileSync(file, good);
      damage();
      const o = await scan();
      assert.equal(o.result.analysed, o.result.functions, what);
      assert.ok(report(o) === report(await uncached()), what);
      assert.ok(
        o.problems.some((p) => /damaged analysis memo/.test(p.message)),
        `${what}: ${JSON.stringify(o.problems)}`,
      );
      edit('abba/foo_cfg.c', /return -\w+;/, `return -${100 + i};`);
      const again = await scan();
      assert.equal(again.result.analysed, 1, `${what}: rebuilt`);
    }
  });

  it('a memo over the size budget is not kept, and an older one goes', async () => {
    const cold = await scan();
    const file = memoFile();
    assert.equal(
      writeMemo(
        file,
        memoKey(defaultSettings(), cold.engine.configuration.fingerprint, 'test-1'),
        cold.engine,
        0,
      ),
      undefined,
    );
    assert.ok(!fs.existsSync(file));
    fs.mkdirSync(file);
    assert.equal(
      writeMemo(
        file,
        memoKey(defaultSettings(), cold.engine.configuration.fingerprint, 'test-1'),
        cold.engine,
        0,
      ),
      undefined,
      'a folder there',
    );
    const o = await scan();
    assert.ok(
      o.problems.some((p) => p.file === file && /not a file/.test(p.message)),
      JSON.stringify(o.problems),
    );
    assert.equal(report(o), report(await uncached()));
  });
});
