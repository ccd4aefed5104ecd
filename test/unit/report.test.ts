import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type * as sarif from 'sarif';
import type { Range } from '../../server/src/analysis/ir';
import type { ChainStep, HeldLock, LockInfo } from '../../server/src/analysis/model';
import { Engine, type AnalysisResult, type Diagnostic } from '../../server/src/engine/engine';
import { OrderGraph } from '../../server/src/graph/order-graph';
import { escapeHtml, graphLayout, toHtml, type GraphLayout } from '../../server/src/report/html';
import type { ScanStats } from '../../server/src/report/json';
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
    assert.equal(level('hotplug-under-lock'), 'warning');
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

/* ---- layout and HTML ---- */

function checkLayout(layout: GraphLayout): void {
  const finite = (n: number) => Number.isFinite(n);
  for (const n of layout.nodes) {
    assert.ok([n.x, n.y, n.w, n.h].every(finite) && n.w > 0 && n.h > 0, `node ${n.name} positioned`);
    assert.ok(n.x >= 0 && n.y >= 0 && n.x + n.w <= layout.width + 0.5 && n.y + n.h <= layout.height + 0.5);
  }
  const ids = new Set(layout.nodes.map((n) => n.id));
  for (const e of layout.edges) {
    assert.ok(ids.has(e.source) && ids.has(e.target), `edge ${e.id} ends are drawn`);
    assert.ok(
      e.points.length >= 2 && e.points.every((p) => finite(p.x) && finite(p.y)),
      `edge ${e.id} routed`,
    );
  }
}

describe('graphLayout', () => {
  it('positions every class that has an edge and routes every edge', async () => {
    const layout = await graphLayout(result.graph);
    const withEdges = new Set(result.graph.edges().flatMap((e) => [e.from, e.to]));
    assert.deepEqual(new Set(layout.nodes.map((n) => n.name)), withEdges);
    assert.ok(!layout.nodes.some((n) => n.name === 'foo_dev.irq_lock'), 'a class without edges is not drawn');
    assert.equal(layout.edges.length, result.graph.edges().length);
    assert.equal(layout.truncated, false);
    checkLayout(layout);
    const cyc = layout.edges.filter((e) => e.onCycle).map((e) => `${e.from}>${e.to}`);
    assert.deepEqual(cyc.sort(), [
      'foo_dev.cfg_lock>foo_dev.stats_lock',
      'foo_dev.stats_lock>foo_dev.cfg_lock',
    ]);
    const setCfg = layout.edges.find((e) => e.from === 'foo_dev.cfg_lock')!;
    assert.deepEqual(
      [setCfg.witness!.file, setCfg.witness!.line, setCfg.witness!.fn],
      ['drv/foo_main.c', 11, 'foo_set_cfg'],
    );
    assert.ok(layout.edges.filter((e) => e.origin === 'baseline').every((e) => e.dashed && !e.witness));
    assert.doesNotThrow(() => JSON.stringify(layout), 'plain data for the webview');
  });

  it('keeps only cycles and their neighbours above the node limit', async () => {
    const layout = await graphLayout(result.graph, { maxNodes: 1 });
    assert.deepEqual(layout.nodes.map((n) => n.name).sort(), ['foo_dev.cfg_lock', 'foo_dev.stats_lock']);
    assert.ok(layout.truncated && layout.note && /cycles/.test(layout.note));
    checkLayout(layout);
  });

  it('cuts a graph of more than 300 classes down to the cycle and its neighbours', async () => {
    const graph = bigGraph(320);
    const layout = await graphLayout(graph);
    assert.equal(layout.totalNodes, 323);
    assert.deepEqual(layout.nodes.map((n) => n.name).sort(), ['big.a', 'big.b', 'chain0', 'pre']);
    assert.ok(layout.truncated);
    checkLayout(layout);
    const html = await toHtml([], graph, STATS);
    assert.match(html, /more than 300 classes/);
    assert.match(html, /showing only the 2 classes on cycles and 2 of their neighbours/);
  });

  it('keeps dense graphs within the edge budget, cycles first', async () => {
    const graph = bigGraph(40);
    const layout = await graphLayout(graph, { maxEdges: 3 });
    assert.deepEqual(layout.nodes.map((n) => n.name).sort(), ['big.a', 'big.b', 'chain0']);
    assert.ok(layout.edges.length <= 3 && layout.truncated);
    assert.match(layout.note!, /more than 3 edges.*1 of their neighbours \(the closest that fit\), 3 edges/);
    const acyclic = new OrderGraph();
    for (let i = 0; i < 10; i++) addEdge(acyclic, `c${i}`, `c${i + 1}`);
    const flat = await graphLayout(acyclic, { maxEdges: 4 });
    assert.ok(flat.edges.length <= 4 && flat.nodes.length > 0);
    assert.match(flat.note!, /no cycles: showing only the \d+ most connected classes/);
    checkLayout(flat);
  });
});

describe('toHtml', () => {
  let html: string;
  before(async () => {
    const hostile: Diagnostic = {
      ...result.diagnostics[0],
      message: 'first line <img src=x onerror="alert(1)"> & </script>\nsecond',
    };
    html = await toHtml([...result.diagnostics, hostile], result.graph, STATS, { toolVersion: '0.1.0' });
  });

  it('is one self-contained document', () => {
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /<(img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /@import|url\(\s*['"]?(https?:|\/\/)/i);
    assert.doesNotMatch(html, /\s(src|href)=["']?(https?:)?\/\//i);
    assert.match(html, /<style>/);
    assert.equal((html.match(/<script\b/g) ?? []).length, 2, 'the graph data and the inline script');
  });

  it('has the title, stats and per-rule counts', () => {
    assert.match(html, /<title>Lockscope report<\/title>/);
    assert.match(html, /<dt>Files<\/dt><dd>3<\/dd>/);
    for (const r of RULES) assert.ok(html.includes(`<code>${r.meta.id}</code>`), r.meta.id);
    assert.match(
      html,
      /<code>lock-order-cycle<\/code><\/td><td>[^<]*<\/td><td>error<\/td><td class="num">3<\/td>/,
    );
    assert.match(
      html,
      /<code>sleep-in-atomic<\/code><\/td><td>[^<]*<\/td><td>error<\/td><td class="num">1<\/td>/,
    );
  });

  it('lists the lock classes with kind and acquisitions', () => {
    assert.match(html, /<td><code>foo_dev\.cfg_lock<\/code><\/td><td>mutex<\/td><td class="num">2<\/td>/);
    assert.match(html, /<td><code>foo_dev\.irq_lock<\/code><\/td><td>spinlock<\/td><td class="num">1<\/td>/);
  });

  it('draws the graph as inline SVG with the cycle in red', () => {
    const svg = /<svg id="graph"[\s\S]*?<\/svg>/.exec(html)?.[0];
    assert.ok(svg, 'inline svg');
    for (const name of ['foo_dev.cfg_lock', 'foo_dev.stats_lock', 'fs_reclaim']) {
      assert.ok(svg.includes(`>${name}</text>`), `node ${name}`);
    }
    assert.ok(!svg.includes('>foo_dev.irq_lock</text>'));
    const edges = svg.match(/<g class="edge[^"]*"[\s\S]*?<\/g>/g) ?? [];
    assert.equal(edges.length, result.graph.edges().length);
    const cycle = edges.filter((g) => g.startsWith('<g class="edge cycle'));
    assert.equal(cycle.length, 2);
    for (const g of cycle) assert.match(g, /stroke="#d32f2f"/);
    assert.ok(
      cycle.some((g) =>
        g.includes('<title>foo_dev.cfg_lock → foo_dev.stats_lock\ndrv/foo_main.c:11 foo_set_cfg</title>'),
      ),
      'edge title is the witness',
    );
    assert.ok(
      cycle.some((g) => g.includes('drv/stats&amp;&lt;x&gt;.c:8 foo_snapshot')),
      'escaped witness file',
    );
    const baseline = edges.filter((g) => g.includes('mmap_lock → fs_reclaim'));
    assert.equal(baseline.length, 1);
    assert.match(baseline[0], /class="edge dashed"[\s\S]*stroke-dasharray/);
    assert.match(svg, /<g class="node cycle"[^>]*><title>foo_dev\.stats_lock \(mutex, 2 acquisitions\)/);
    assert.match(svg, /<path class="line" d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"/);
    assert.match(html, /<aside id="details"/);
  });

  it('embeds the graph data safely for the details panel', () => {
    const json = /<script type="application\/json" id="lockscope-graph">([\s\S]*?)<\/script>/.exec(html)?.[1];
    assert.ok(json);
    assert.ok(!json.includes('<'));
    const data = JSON.parse(json) as { edges: Record<string, { from: string; witness?: { file: string } }> };
    const files = Object.values(data.edges).map((e) => e.witness?.file);
    assert.ok(files.includes('drv/stats&<x>.c'));
  });

  /** Runs the report's inline script against a fake DOM built from the HTML. */
  function runScript(opened?: [string, number, number][]) {
    const json = /<script type="application\/json" id="lockscope-graph">([\s\S]*?)<\/script>/.exec(html)![1];
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const panel = new FakeElement('aside');
    const items = [...html.matchAll(/<g class="((?:edge|node)[^"]*)" id="(\w+)" data-id="\w+"/g)].map((m) =>
      new FakeElement('g', m[1]).set('data-id', m[2]),
    );
    const unescape = (t: string) =>
      t.replace(
        /&(amp|lt|gt|quot|#39);/g,
        (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!,
      );
    const locs = [
      ...html.matchAll(/<code class="loc" data-file="([^"]*)" data-line="(\d+)" data-col="(\d+)">/g),
    ].map((m) =>
      new FakeElement('code', 'loc')
        .set('data-file', unescape(m[1]))
        .set('data-line', m[2])
        .set('data-col', m[3]),
    );
    const document = {
      getElementById: (id: string) =>
        id === 'details'
          ? panel
          : id === 'lockscope-graph'
            ? Object.assign(new FakeElement('script'), { textContent: json })
            : null,
      querySelectorAll: (selector: string) => (selector === '[data-file]' ? locs : items),
      createElement: (tag: string) => new FakeElement(tag),
    };
    const window = opened
      ? { lockscopeOpen: (f: string, l: number, c: number) => opened.push([f, l, c]) }
      : {};
    new Function('document', 'window', script)(document, window);
    return { panel, items, locs };
  }

  it('has a details panel script that shows an edge or node witness on click', () => {
    const { panel, items, locs } = runScript();
    const edge = items.find((g) => g.className.startsWith('edge cycle'))!;
    edge.click();
    assert.ok(edge.classList.contains('sel'));
    const text = panel.text();
    assert.match(text, /foo_dev\.(cfg|stats)_lock → foo_dev\.(cfg|stats)_lock/);
    assert.match(text, /on a cycle/);
    assert.match(text, /witness: drv\/(foo_main\.c:11 foo_set_cfg|stats&<x>\.c:8 foo_snapshot)/);
    const node = items.find((g) => g.className === 'node cycle')!;
    node.click();
    assert.ok(!edge.classList.contains('sel') && node.classList.contains('sel'));
    assert.match(panel.text(), /mutex · 2 acquisitions · on a cycle/);
    assert.match(panel.text(), /Taken while holding/);
    assert.ok(!locs.some((l) => l.classList.contains('link')), 'no links outside the editor');
  });

  it('opens locations in the editor when the webview bridge is there', () => {
    const opened: [string, number, number][] = [];
    const { panel, items, locs } = runScript(opened);
    const related = locs.find((l) => l.getAttribute('data-line') === '21')!;
    assert.ok(related.classList.contains('link'));
    related.click();
    assert.deepEqual(opened, [['drv/foo_main.c', 21, 2]]);
    items.find((g) => g.className.startsWith('edge cycle'))!.click();
    const inPanel = panel.find((n) => n.tag === 'code' && n.classList.contains('link'))!;
    inPanel.click();
    assert.equal(opened.length, 2);
    assert.ok(['drv/foo_main.c:11', 'drv/stats&<x>.c:8'].includes(`${opened[1][0]}:${opened[1][1]}`));
  });

  it('shows the cycle chain with each edge witness', () => {
    const section = /<section id="cycles">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.match(section, /Cycles \(1\)/);
    assert.match(section, /foo_dev\.\w+_lock --&gt; foo_dev\.\w+_lock --&gt; foo_dev\.\w+_lock/);
    assert.ok(section.includes('>drv/foo_main.c:11</code> in <code>foo_set_cfg</code>'));
    assert.ok(section.includes('>drv/stats&amp;&lt;x&gt;.c:8</code> in <code>foo_snapshot</code>'));
    assert.ok(section.includes('data-file="drv/stats&amp;&lt;x&gt;.c" data-line="8" data-col="2"'));
  });

  it('lists the diagnostics by file with related lines, all text escaped', () => {
    const section = /<section id="diagnostics">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.match(section, /<summary><code>drv\/foo_main\.c<\/code> <span class="count">3<\/span>/);
    assert.match(section, /<summary><code>drv\/stats&amp;&lt;x&gt;\.c<\/code> <span class="count">1<\/span>/);
    assert.ok(section.includes('drv/foo_main.c:22:2'));
    assert.ok(
      section.includes(
        'data-line="21" data-col="2">drv/foo_main.c:21:2</code> spinlock foo_dev.irq_lock acquired here',
      ),
    );
    assert.ok(
      section.includes('first line &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/script&gt;'),
    );
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('stats&<x>'));
  });

  it('escapes the five special characters', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('handles an empty workspace', async () => {
    const empty = await toHtml([], new OrderGraph(), {
      files: 0,
      bytes: 0,
      functions: 0,
      parseMs: 0,
      analyzeMs: 0,
    });
    assert.match(empty, /No lock-order edges/);
    assert.match(empty, /No diagnostics/);
    assert.doesNotMatch(empty, /<svg/);
  });
});

/** Just enough DOM for the report's script. */
class FakeElement {
  children: FakeElement[] = [];
  textContent = '';
  private readonly classes = new Set<string>();
  private readonly attributes = new Map<string, string>();
  private readonly listeners = new Map<string, ((ev: unknown) => void)[]>();
  readonly classList = {
    add: (c: string) => this.classes.add(c),
    remove: (c: string) => this.classes.delete(c),
    contains: (c: string) => this.classes.has(c),
  };
  constructor(
    readonly tag: string,
    className = '',
  ) {
    this.className = className;
  }
  get className(): string {
    return [...this.classes].join(' ');
  }
  set className(v: string) {
    this.classes.clear();
    for (const c of v.split(/\s+/).filter(Boolean)) this.classes.add(c);
  }
  get firstChild(): FakeElement | undefined {
    return this.children[0];
  }
  set(name: string, value: string): this {
    this.attributes.set(name, value);
    return this;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  appendChild(c: FakeElement): FakeElement {
    this.children.push(c);
    return c;
  }
  removeChild(c: FakeElement): void {
    this.children = this.children.filter((x) => x !== c);
  }
  addEventListener(type: string, fn: (ev: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  click(): void {
    const ev = { stopPropagation: () => undefined, preventDefault: () => undefined };
    for (const fn of this.listeners.get('click') ?? []) fn(ev);
  }
  find(test: (n: FakeElement) => boolean): FakeElement | undefined {
    if (test(this)) return this;
    for (const c of this.children) {
      const hit = c.find(test);
      if (hit) return hit;
    }
    return undefined;
  }
  /** Text as laid out: inline children run on, block children start a line. */
  text(): string {
    let out = this.textContent;
    for (const c of this.children) {
      const t = c.text();
      out += c.tag === 'code' || c.tag === 'span' ? t : (out ? '\n' : '') + t;
    }
    return out;
  }
}

/** One AB-BA cycle (big.a <-> big.b), `pre` -> big.a, and `count` classes in a chain from big.b. */
function bigGraph(count: number): OrderGraph {
  const graph = new OrderGraph();
  addEdge(graph, 'big.a', 'big.b');
  addEdge(graph, 'big.b', 'big.a');
  addEdge(graph, 'big.b', 'chain0');
  for (let i = 0; i + 1 < count; i++) addEdge(graph, `chain${i}`, `chain${i + 1}`);
  addEdge(graph, 'pre', 'big.a');
  return graph;
}

function addEdge(graph: OrderGraph, from: string, to: string): void {
  const range: Range = { line: 0, col: 0, endLine: 0, endCol: 1 };
  const lock = (cls: string): LockInfo => ({
    cls,
    expr: cls,
    kind: 'mutex',
    mode: 'write',
    recursiveRead: false,
  });
  const step: ChainStep = { fn: 'f', file: 'big.c', range, callee: 'mutex_lock' };
  const held: HeldLock = { ...lock(from), chain: [step] };
  graph.addStatic(held, lock(to), { file: 'big.c', range, fn: 'f', chain: [step], heldChain: [step] });
}
