import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type * as sarif from 'sarif';
import { Engine, type AnalysisResult, type Diagnostic } from '../../server/src/engine/engine';
import { OrderGraph } from '../../server/src/graph/order-graph';
import { escapeHtml, toHtml } from '../../server/src/report/html';
import type { ScanStats } from '../../server/src/report/json';
import type { ReportData } from '../../server/src/report/page-data';
import { pageScript } from '../../server/src/report/page-script';
import { FINGERPRINT_KEY } from '../../server/src/baseline/fingerprint';
import { toSarif } from '../../server/src/report/sarif';
import { RULES } from '../../server/src/rules/registry';

/* A small driver: an AB-BA cycle between foo_set_cfg() and foo_snapshot() across two files
 * (one with `&` in its name, to exercise escaping), and msleep() under a spinlock through a helper. */
const FILES: [string, string][] = [
  [
    'drv/foo.h',
    `struct foo_dev {
	struct mutex cfg_lock;
	struct mutex stats_lock;
	spinlock_t irq_lock;
	int cfg;
};
`,
  ],
  [
    'drv/foo_main.c',
    `#include "foo.h"

static void foo_wait_hw(struct foo_dev *d)
{
	msleep(10);
}

void foo_set_cfg(struct foo_dev *d, int cfg)
{
	mutex_lock(&d->cfg_lock);
	mutex_lock(&d->stats_lock);
	d->cfg = cfg;
	mutex_unlock(&d->stats_lock);
	mutex_unlock(&d->cfg_lock);
}

void foo_irq_work(struct foo_dev *d)
{
	unsigned long flags;

	spin_lock_irqsave(&d->irq_lock, flags);
	foo_wait_hw(d);
	spin_unlock_irqrestore(&d->irq_lock, flags);
}
`,
  ],
  [
    'drv/stats&<x>.c',
    `#include "foo.h"

int foo_snapshot(struct foo_dev *d)
{
	int v;

	mutex_lock(&d->stats_lock);
	mutex_lock(&d->cfg_lock);
	v = d->cfg;
	mutex_unlock(&d->cfg_lock);
	mutex_unlock(&d->stats_lock);
	return v;
}
`,
  ],
];

const STATS: ScanStats = { files: 3, bytes: 1234, functions: 4, parseMs: 1.4, analyzeMs: 2.6 };
const LEVELS = new Set(['none', 'note', 'warning', 'error']);

let result: AnalysisResult;

before(async () => {
  const engine = await Engine.create();
  for (const [file, text] of FILES) {
    const { problem } = engine.setFile(file, text);
    assert.equal(problem, undefined);
  }
  result = engine.analyze();
});

describe('the workspace under test', () => {
  it('has an AB-BA cycle and a sleep-in-atomic through a helper', () => {
    const rules = result.diagnostics.map((d) => `${d.file}:${d.range.line + 1} ${d.rule}`).sort();
    assert.deepEqual(rules, [
      'drv/foo_main.c:11 lock-order-cycle',
      'drv/foo_main.c:22 sleep-in-atomic',
      'drv/stats&<x>.c:8 lock-order-cycle',
    ]);
    assert.deepEqual(
      result.graph.cycles().map((c) => [...c.classes].sort()),
      [['foo_dev.cfg_lock', 'foo_dev.stats_lock']],
    );
  });
});

/* ---- SARIF 2.1.0: structural validation against the schema's requirements ---- */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkMessage(m: unknown, where: string): void {
  assert.ok(isObject(m), `${where}: message object`);
  assert.ok(typeof m.text === 'string' || typeof m.id === 'string', `${where}: message needs text or id`);
}

function checkRegion(r: unknown, where: string): void {
  assert.ok(isObject(r), `${where}: region`);
  for (const k of ['startLine', 'startColumn', 'endLine', 'endColumn']) {
    assert.ok(Number.isInteger(r[k]) && (r[k] as number) >= 1, `${where}: region.${k} is a 1-based integer`);
  }
  const { startLine, startColumn, endLine, endColumn } = r as Required<sarif.Region>;
  assert.ok(
    endLine > startLine || (endLine === startLine && endColumn >= startColumn),
    `${where}: region ends after start`,
  );
}

function checkPhysical(loc: unknown, where: string): sarif.PhysicalLocation {
  assert.ok(isObject(loc), `${where}: location`);
  const p = loc.physicalLocation;
  assert.ok(isObject(p), `${where}: physicalLocation`);
  const a = p.artifactLocation;
  assert.ok(isObject(a), `${where}: artifactLocation`);
  assert.equal(typeof a.uri, 'string', `${where}: artifactLocation.uri`);
  assert.ok(
    !/^[a-z]+:/i.test(a.uri as string) && !(a.uri as string).startsWith('/'),
    `${where}: uri is relative`,
  );
  assert.doesNotThrow(
    () => new URL(a.uri as string, 'file:///src/'),
    `${where}: uri is a valid URI reference`,
  );
  assert.ok(!/[\s<>&"\\]/.test(a.uri as string), `${where}: uri is percent-encoded: ${String(a.uri)}`);
  assert.equal(a.uriBaseId, '%SRCROOT%', `${where}: uriBaseId`);
  checkRegion(p.region, where);
  return p as sarif.PhysicalLocation;
}

/** The constraints of the SARIF 2.1.0 schema (required properties, enums, minimums, uniqueness). */
function validateSarif(log: unknown): void {
  const json: unknown = JSON.parse(JSON.stringify(log)); // what a consumer sees
  assert.ok(isObject(json));
  assert.equal(json.version, '2.1.0');
  assert.equal(typeof json.$schema, 'string');
  assert.ok(Array.isArray(json.runs) && json.runs.length === 1, 'one run');
  const run = json.runs[0] as Record<string, unknown>;
  assert.ok(isObject(run.tool) && isObject(run.tool.driver), 'tool.driver');
  const driver = run.tool.driver as Record<string, unknown>;
  assert.equal(typeof driver.name, 'string');
  assert.doesNotThrow(() => new URL(driver.informationUri as string), 'informationUri is absolute');
  assert.ok(Array.isArray(driver.rules));
  const rules = driver.rules as Record<string, unknown>[];
  const ids = new Set<string>();
  for (const [i, r] of rules.entries()) {
    assert.equal(typeof r.id, 'string', `rules[${i}].id`);
    assert.ok(!ids.has(r.id as string), `rules[${i}].id unique`);
    ids.add(r.id as string);
    checkMessage(r.shortDescription, `rules[${i}].shortDescription`);
    assert.doesNotThrow(() => new URL(r.helpUri as string), `rules[${i}].helpUri is a URI`);
    assert.ok(isObject(r.defaultConfiguration) && LEVELS.has(r.defaultConfiguration.level as string));
  }
  assert.ok(Array.isArray(run.results));
  for (const [i, res] of (run.results as Record<string, unknown>[]).entries()) {
    const where = `results[${i}]`;
    checkMessage(res.message, where);
    assert.ok(LEVELS.has(res.level as string), `${where}.level`);
    assert.equal(typeof res.ruleId, 'string');
    assert.ok(Number.isInteger(res.ruleIndex) && (res.ruleIndex as number) >= 0, `${where}.ruleIndex`);
    assert.equal(rules[res.ruleIndex as number]?.id, res.ruleId, `${where}: ruleIndex points at ruleId`);
    assert.ok(Array.isArray(res.locations) && res.locations.length >= 1, `${where}.locations`);
    for (const loc of res.locations) checkPhysical(loc, `${where}.locations`);
    const related = (res.relatedLocations ?? []) as Record<string, unknown>[];
    const relatedIds = new Set<number>();
    for (const [j, loc] of related.entries()) {
      assert.ok(Number.isInteger(loc.id) && (loc.id as number) >= 0, `${where}.relatedLocations[${j}].id`);
      assert.ok(!relatedIds.has(loc.id as number), 'related ids unique');
      relatedIds.add(loc.id as number);
      checkMessage(loc.message, `${where}.relatedLocations[${j}]`);
      checkPhysical(loc, `${where}.relatedLocations[${j}]`);
    }
    for (const flow of (res.codeFlows ?? []) as Record<string, unknown>[]) {
      assert.ok(Array.isArray(flow.threadFlows) && flow.threadFlows.length >= 1, 'codeFlow.threadFlows');
      for (const tf of flow.threadFlows as Record<string, unknown>[]) {
        assert.ok(Array.isArray(tf.locations) && tf.locations.length >= 1, 'threadFlow.locations');
        for (const tfl of tf.locations as Record<string, unknown>[]) {
          checkPhysical(tfl.location, `${where} threadFlow`);
          if (tfl.importance !== undefined)
            assert.ok(['important', 'essential', 'unimportant'].includes(tfl.importance as string));
          if (tfl.executionOrder !== undefined)
            assert.ok(Number.isInteger(tfl.executionOrder) && (tfl.executionOrder as number) >= -1);
        }
      }
    }
    if (res.partialFingerprints !== undefined) {
      assert.ok(isObject(res.partialFingerprints));
      for (const v of Object.values(res.partialFingerprints)) assert.equal(typeof v, 'string');
    }
  }
  for (const g of (run.graphs ?? []) as Record<string, unknown>[]) {
    const nodeIds = new Set(((g.nodes ?? []) as { id: unknown }[]).map((n) => n.id));
    for (const n of nodeIds) assert.equal(typeof n, 'string', 'graph node id');
    for (const e of (g.edges ?? []) as Record<string, unknown>[]) {
      assert.equal(typeof e.id, 'string');
      assert.ok(nodeIds.has(e.sourceNodeId) && nodeIds.has(e.targetNodeId), 'graph edge ends are nodes');
    }
  }
}

function flowFiles(r: sarif.Result): string[] {
  return r.codeFlows![0].threadFlows[0].locations.map((l) => {
    const p = l.location!.physicalLocation!;
    return `${p.artifactLocation!.uri}:${p.region!.startLine}`;
  });
}

describe('toSarif', () => {
  let log: sarif.Log;
  before(() => {
    log = toSarif(result.diagnostics, result.graph, { toolVersion: '0.1.0', baseUri: '/home/me/linux' });
  });

  it('is valid SARIF 2.1.0', () => validateSarif(log));

  it('describes the tool and every rule with its level and docs page', () => {
    const driver = log.runs[0].tool.driver;
    assert.equal(driver.name, 'Lockscope');
    assert.equal(driver.version, '0.1.0');
    assert.deepEqual(
      driver.rules!.map((r) => r.id),
      RULES.map((r) => r.meta.id),
    );
    const level = (id: string) => driver.rules!.find((r) => r.id === id)!.defaultConfiguration!.level;
    assert.equal(level('sleep-in-atomic'), 'error');
    // A dependency rule's level is its cycle's; an edge no cycle closes is a note.
    assert.equal(level('hotplug-under-lock'), 'error');
    for (const r of driver.rules!) {
      assert.ok(r.helpUri!.endsWith(`docs/rules/${r.id}.md`), r.helpUri);
      assert.ok(r.shortDescription!.text.length > 0);
    }
    assert.equal(log.runs[0].originalUriBaseIds!['%SRCROOT%'].uri, 'file:///home/me/linux/');
  });

  it('maps severities to levels (information and hint become note)', () => {
    const one = (severity: Diagnostic['severity']) =>
      toSarif([{ ...result.diagnostics[0], severity }], result.graph, { toolVersion: '0' }).runs[0]
        .results![0].level;
    assert.equal(one('error'), 'error');
    assert.equal(one('warning'), 'warning');
    assert.equal(one('information'), 'note');
    assert.equal(one('hint'), 'note');
  });

  it('gives each result its rule, 1-based region, related locations and a code flow', () => {
    const results = log.runs[0].results!;
    assert.equal(results.length, result.diagnostics.length);
    for (const [i, r] of results.entries()) {
      const d = result.diagnostics[i];
      assert.equal(r.ruleId, d.rule);
      assert.equal(r.message.text, d.message);
      const region = r.locations![0].physicalLocation!.region!;
      assert.deepEqual(region, {
        startLine: d.range.line + 1,
        startColumn: d.range.col + 1,
        endLine: d.range.endLine + 1,
        endColumn: d.range.endCol + 1,
      });
      assert.equal(r.relatedLocations!.length, d.related.length);
      r.relatedLocations!.forEach((rl, j) => {
        assert.equal(rl.message!.text, d.related[j].message);
        assert.equal(rl.physicalLocation!.region!.startLine, d.related[j].range.line + 1);
      });
      assert.equal(r.codeFlows!.length, 1);
      const steps = r.codeFlows![0].threadFlows[0].locations;
      assert.ok(steps.every((s) => s.location!.message!.text));
      const last = steps[steps.length - 1].location!.physicalLocation!;
      assert.equal(last.region!.startLine, d.range.line + 1, 'the flow ends at the diagnostic');
      assert.equal(r.locations![0].logicalLocations![0].name, d.function);
    }

    const sleep = results.find((r) => r.ruleId === 'sleep-in-atomic')!;
    assert.equal(sleep.level, 'error');
    assert.equal(sleep.locations![0].physicalLocation!.artifactLocation!.uri, 'drv/foo_main.c');
    // spinlock taken (line 21) -> msleep in the helper (line 5) -> the call under the lock (line 22)
    assert.deepEqual(flowFiles(sleep), ['drv/foo_main.c:21', 'drv/foo_main.c:5', 'drv/foo_main.c:22']);

    const cycles = results.filter((r) => r.ruleId === 'lock-order-cycle');
    assert.equal(cycles.length, 2);
    const uris = cycles.map((r) => r.locations![0].physicalLocation!.artifactLocation!.uri).sort();
    assert.deepEqual(uris, ['drv/foo_main.c', 'drv/stats%26%3Cx%3E.c']);
    for (const r of cycles) {
      assert.equal(r.relatedLocations!.length, 2, 'one related location per edge of the cycle');
      const files = flowFiles(r);
      assert.ok(
        files.includes('drv/foo_main.c:11') && files.includes('drv/stats%26%3Cx%3E.c:8'),
        files.join(),
      );
    }
  });

  it('has stable, distinct fingerprints', () => {
    const again = toSarif(result.diagnostics, result.graph, { toolVersion: '0.2.0' });
    const prints = (l: sarif.Log) => l.runs[0].results!.map((r) => r.partialFingerprints![FINGERPRINT_KEY]);
    assert.deepEqual(prints(again), prints(log));
    assert.equal(new Set(prints(log)).size, prints(log).length);
  });

  it('carries the lock-order graph', () => {
    const g = log.runs[0].graphs![0];
    const labels = new Set(g.nodes!.map((n) => n.label!.text));
    assert.ok(labels.has('foo_dev.cfg_lock') && labels.has('foo_dev.stats_lock'));
    assert.ok(g.edges!.some((e) => e.label!.text === 'drv/foo_main.c:11 foo_set_cfg'));
  });

  it('omits codeFlows when there is nothing to step through', () => {
    const bare = { ...result.diagnostics[0], related: [] };
    const r = toSarif([bare], new OrderGraph(), { toolVersion: '0' });
    validateSarif(r);
    assert.equal(r.runs[0].results![0].codeFlows, undefined);
    assert.equal(r.runs[0].graphs, undefined);
  });
});

/* ---- HTML ---- */

describe('toHtml', () => {
  let html: string;
  before(() => {
    const hostile: Diagnostic = {
      ...result.diagnostics[0],
      message: 'first line <img src=x onerror="alert(1)"> & </script>\nsecond',
    };
    html = toHtml([...result.diagnostics, hostile], result.graph, STATS, { toolVersion: '0.1.0' });
  });

  const dataBlock = (page: string) =>
    /<script type="application\/json" id="lockscope-data">([\s\S]*?)<\/script>/.exec(page)?.[1];

  it('is one self-contained document: its script inline, nothing fetched', () => {
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /<(img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /@import|url\(\s*['"]?(https?:|\/\/)/i);
    assert.doesNotMatch(html, /\s(src|href)=["']?(https?:)?\/\//i);
    assert.match(html, /<style>/);
    assert.equal((html.match(/<script\b/g) ?? []).length, 2, 'the data and the inline script');
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    assert.equal(script, pageScript());
    assert.ok(script.length > 1000, 'the bundled page script');
    assert.doesNotThrow(() => new Function(script), 'the script parses');
    assert.doesNotMatch(script, /fetch\(|XMLHttpRequest|import\(/, 'the script loads nothing');
  });

  it('has the title and the scan statistics', () => {
    assert.match(html, /<title>Lockscope report<\/title>/);
    for (const [k, v] of [
      ['Files', '3'],
      ['Bytes', '1,234'],
      ['Functions', '4'],
      ['Parse', '1 ms'],
      ['Analysis', '3 ms'],
      ['Findings', '4 (4 error, 0 warning, 0 information, 0 hint)'],
      ['Cycles', '1'],
    ])
      assert.ok(html.includes(`<dt>${k}</dt><dd>${v}</dd>`), `${k}: ${v}`);
    assert.match(html, /paths under drv\//);
  });

  it('counts findings per rule and severity, each count a link to those findings', () => {
    for (const r of RULES) assert.ok(html.includes(`<code>${r.meta.id}</code>`), r.meta.id);
    const row = (id: string) =>
      new RegExp(`<tr[^>]*><td><code>${id}</code></td>.*?</tr>`).exec(html)?.[0] ?? '';
    assert.match(
      row('lock-order-cycle'),
      /<td class="num"><a href="#findings" data-rule="lock-order-cycle" data-severity="error" title="Show these findings">3<\/a><\/td>/,
    );
    assert.match(
      row('lock-order-cycle'),
      /<strong><a href="#findings" data-rule="lock-order-cycle" title="Show these findings">3<\/a><\/strong>/,
    );
    assert.match(row('sleep-in-atomic'), /data-rule="sleep-in-atomic" data-severity="error"[^>]*>1<\/a>/);
    assert.doesNotMatch(row('double-lock'), /<a /, 'no link to nothing');
    for (const id of ['cycles-body', 'explorer-body', 'findings-body', 'filter-bar', 'findings'])
      assert.ok(html.includes(`id="${id}"`), id);
  });

  it('embeds the report data safely, every finding and edge with its witness', () => {
    const json = dataBlock(html);
    assert.ok(json);
    assert.ok(!json.includes('<') && !json.includes('>') && !json.includes('&'));
    const data = JSON.parse(json) as ReportData;
    assert.equal(data.findings.length, 4);
    assert.ok(
      data.findings.some((f) =>
        f.message.startsWith('first line <img src=x onerror="alert(1)"> & </script>'),
      ),
    );
    assert.ok(data.files.includes('drv/stats&<x>.c'));
    assert.equal(data.edges.length, result.graph.edges().length);
    assert.equal(data.cycles.length, 1);
    const names = data.cycles[0].classes.map((c) => data.classes[c].name).sort();
    assert.deepEqual(names, ['foo_dev.cfg_lock', 'foo_dev.stats_lock']);
    assert.equal(data.cycles[0].findings.length, 3, 'the two cycle findings and the copy');
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('stats&<x>'));
  });

  it('says what the findings leave out (a baseline, --changed-since)', () => {
    const scoped = toHtml(result.diagnostics, result.graph, STATS, {
      scope: ['baseline b.json: 1 new, 2 unchanged (not shown), 0 gone', 'only <changed> lines'],
    });
    assert.ok(scoped.includes('<p class="note">baseline b.json: 1 new, 2 unchanged (not shown), 0 gone</p>'));
    assert.ok(scoped.includes('<p class="note">only &lt;changed&gt; lines</p>'));
    assert.doesNotMatch(
      /<header>[\s\S]*?<\/header>/.exec(html)![0],
      /class="note"/,
      'nothing left out, no note',
    );
  });

  it('escapes the five special characters', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('handles an empty workspace', () => {
    const empty = toHtml([], new OrderGraph(), {
      files: 0,
      bytes: 0,
      functions: 0,
      parseMs: 0,
      analyzeMs: 0,
    });
    assert.match(empty, /<h2>Cycles \(0\)<\/h2>/);
    assert.match(empty, /<h2>Findings \(0\)<\/h2>/);
    const data = JSON.parse(dataBlock(empty)!) as ReportData;
    assert.deepEqual([data.findings, data.cycles, data.edges, data.root], [[], [], [], '']);
  });
});
