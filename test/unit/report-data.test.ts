/**
 * The lock report's data and the functions its page runs on it: cycle ranking, a class's
 * neighbourhood, filters, directories, statistics, and the geometry of the small diagrams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Range } from '../../server/src/analysis/ir';
import type { ChainStep, HeldLock, LockInfo } from '../../server/src/analysis/model';
import type { Diagnostic } from '../../server/src/engine/engine';
import { OrderGraph } from '../../server/src/graph/order-graph';
import { type Box, columnsLayout, overlaps, ringLayout } from '../../server/src/report/geometry';
import {
  type Confidence,
  type Filter,
  type ReportData,
  NO_FILTER,
  adjacency,
  commonDirectory,
  cycleMatches,
  directories,
  findingMatches,
  lowestConfidence,
  neighbourhood,
  shownPath,
} from '../../server/src/report/page-data';
import { confidenceOf, reportData } from '../../server/src/report/report-data';
import type { RuleId, Severity } from '../../server/src/rules/rule';

const STATS = { files: 7, bytes: 12345, functions: 40, parseMs: 12.4, analyzeMs: 30.6 };

const at = (line: number, col = 1): Range => ({
  line: line - 1,
  col: col - 1,
  endLine: line - 1,
  endCol: col,
});
const lock = (cls: string): LockInfo => ({
  cls,
  expr: cls,
  kind: 'mutex',
  mode: 'write',
  recursiveRead: false,
});

/** `from -> to` created in `fn` at file:line, `calls` calls deep. */
function edge(
  graph: OrderGraph,
  from: string,
  to: string,
  file: string,
  line: number,
  fn: string,
  calls = 0,
): void {
  const chain: ChainStep[] = Array.from({ length: calls }, (_, i) => ({
    fn: i ? `${fn}_helper${i}` : fn,
    file,
    range: at(line + i),
    callee: `${fn}_helper${i + 1}`,
  }));
  const held: HeldLock = { ...lock(from), chain: [{ fn, file, range: at(line - 1), callee: 'mutex_lock' }] };
  graph.addStatic(held, lock(to), { file, range: at(line), fn, chain, heldChain: held.chain });
}

function finding(
  rule: RuleId,
  file: string,
  line: number,
  classes: string[],
  extra: { severity?: Severity; confidence?: Confidence; fn?: string; message?: string } = {},
): Diagnostic {
  // Findings from before confidences existed have none: the page ranks and filters both kinds.
  const d: Omit<Diagnostic, 'confidence'> = {
    rule,
    severity: extra.severity ?? 'error',
    file,
    range: at(line),
    function: extra.fn ?? 'f',
    message: extra.message ?? `${rule} at ${file}:${line}`,
    related: [],
    classes,
    fingerprint: `${rule}:${file}:${line}`,
  };
  return (extra.confidence ? { ...d, confidence: extra.confidence } : d) as Diagnostic;
}

/**
 * a <-> b (two classes, one call deep), c -> d -> e -> c (three), f <-> g where g -> f is only
 * the kernel's order, and h -> a, a -> x, x -> y around them.
 */
function sampleGraph(): OrderGraph {
  const g = new OrderGraph();
  edge(g, 'a', 'b', 'drv/core/a.c', 10, 'a_then_b', 1);
  edge(g, 'b', 'a', 'drv/core/b.c', 20, 'b_then_a', 1);
  edge(g, 'c', 'd', 'drv/x/c.c', 5, 'c_then_d');
  edge(g, 'd', 'e', 'drv/x/d.c', 6, 'd_then_e');
  edge(g, 'e', 'c', 'drv/x/e.c', 7, 'e_then_c');
  edge(g, 'f', 'g', 'drv/y/f.c', 8, 'f_then_g');
  g.addExternal('g', 'f', 'baseline', 'kernel_fn');
  edge(g, 'h', 'a', 'drv/core/h.c', 30, 'h_then_a');
  edge(g, 'h', 'a', 'drv/core/h.c', 40, 'h_then_a_again');
  edge(g, 'a', 'x', 'drv/core/a.c', 50, 'a_then_x');
  edge(g, 'x', 'y', 'drv/core/x.c', 60, 'x_then_y');
  return g;
}

/** A cycle's classes from the first by name (a ring has no first class). */
function chainOf(data: ReportData, i: number): string {
  const names = data.cycles[i].classes.map((c) => data.classes[c].name);
  const start = names.indexOf([...names].sort()[0]);
  return [...names.slice(start), ...names.slice(0, start)].join(' ');
}

describe('reportData', () => {
  it('ranks cycles without confidence: all edges in the source first, then shorter', () => {
    const data = reportData([], sampleGraph(), STATS);
    assert.deepEqual(
      data.cycles.map((_, i) => chainOf(data, i)),
      ['a b', 'c d e', 'f g'],
    );
    assert.deepEqual(
      data.cycles.map((c) => c.allStatic),
      [true, true, false],
    );
    assert.equal(data.cycles[0].depth, 2, 'one call under each edge of a <-> b');
  });

  it('ranks by confidence when findings carry it: the weakest finding of a cycle rates it', () => {
    const g = sampleGraph();
    const diagnostics = [
      finding('lock-order-cycle', 'drv/core/a.c', 10, ['a', 'b'], { confidence: 'high' }),
      finding('lock-order-cycle', 'drv/core/b.c', 20, ['b', 'a'], { confidence: 'low' }),
      finding('lock-order-cycle', 'drv/x/c.c', 5, ['d', 'e', 'c'], { confidence: 'medium' }),
      finding('lock-order-cycle', 'drv/y/f.c', 8, ['f', 'g'], { confidence: 'high' }),
    ];
    const data = reportData(diagnostics, g, STATS);
    assert.deepEqual(
      data.cycles.map((c, i) => `${chainOf(data, i)}:${c.confidence}`),
      ['f g:high', 'c d e:medium', 'a b:low'],
    );
    // findings are matched to the cycle whatever the rotation of their classes
    const ab = data.cycles.find((c) => c.classes.length === 2 && c.allStatic)!;
    assert.deepEqual(
      ab.findings.map((i) => `${shownPath(data, data.findings[i].file)}:${data.findings[i].line}`).sort(),
      ['core/a.c:10', 'core/b.c:20'],
    );
  });

  it('a cycle with findings of its own comes before a variant whose lines report others', () => {
    const g = new OrderGraph();
    edge(g, 'p', 'q', 'p.c', 1, 'pq');
    edge(g, 'q', 'p', 'q.c', 2, 'qp');
    edge(g, 'm', 'n', 'm.c', 3, 'mn');
    edge(g, 'n', 'm', 'n.c', 4, 'nm');
    const data = reportData([finding('lock-order-cycle', 'p.c', 1, ['q', 'p'])], g, STATS);
    assert.deepEqual([chainOf(data, 0), chainOf(data, 1)], ['p q', 'm n']);
  });

  it('reads a confidence only when it is one of the three', () => {
    assert.equal(confidenceOf(finding('double-lock', 'a.c', 1, [], { confidence: 'medium' })), 'medium');
    assert.equal(confidenceOf(finding('double-lock', 'a.c', 1, [])), undefined);
    assert.equal(
      confidenceOf(Object.assign(finding('double-lock', 'a.c', 1, []), { confidence: 'sure' })),
      undefined,
    );
    assert.equal(lowestConfidence(['high', undefined, 'medium']), 'medium');
    assert.equal(lowestConfidence([undefined]), undefined);
  });

  it('stores paths and function names once, lines 1-based, witnesses with their chains', () => {
    const data = reportData([finding('sleep-in-atomic', 'drv/core/a.c', 3, [])], sampleGraph(), STATS);
    assert.equal(new Set(data.files).size, data.files.length);
    assert.equal(new Set(data.names).size, data.names.length);
    const ab = data.edges.find((e) => data.classes[e.from].name === 'a' && data.classes[e.to].name === 'b')!;
    const w = ab.witness!;
    assert.deepEqual(
      [data.files[w.file], w.line, w.col, data.names[w.fn]],
      ['drv/core/a.c', 10, 1, 'a_then_b'],
    );
    assert.deepEqual(
      w.chain.map(
        ([fn, file, line, , callee]) =>
          `${data.names[fn]}@${data.files[file]}:${line}->${data.names[callee]}`,
      ),
      ['a_then_b@drv/core/a.c:10->a_then_b_helper1'],
    );
    assert.equal(data.names[w.held[0][0]], 'a_then_b');
    const baseline = data.edges.find((e) => e.origin === 'baseline')!;
    assert.deepEqual([baseline.witness, baseline.source, baseline.onCycle], [undefined, 'kernel_fn', true]);
    assert.equal(data.edges.filter((e) => e.onCycle).length, 7);
    assert.deepEqual(
      data.classes.filter((c) => !c.onCycle).map((c) => c.name),
      ['h', 'x', 'y'],
    );
    assert.equal(data.root, 'drv/');
  });

  it('carries the scan statistics, times rounded to milliseconds', () => {
    const data = reportData([], new OrderGraph(), STATS);
    assert.deepEqual(data.stats, { files: 7, bytes: 12345, functions: 40, parseMs: 12, analyzeMs: 31 });
  });

  it('sorts findings by severity, then rule, file and line', () => {
    const data = reportData(
      [
        finding('lock-imbalance', 'b.c', 9, [], { severity: 'warning' }),
        finding('sleep-in-atomic', 'b.c', 4, []),
        finding('double-lock', 'a.c', 7, []),
        finding('sleep-in-atomic', 'a.c', 2, []),
      ],
      new OrderGraph(),
      STATS,
    );
    assert.deepEqual(
      data.findings.map((f) => `${f.rule}@${data.files[f.file]}:${f.line}`),
      ['double-lock@a.c:7', 'sleep-in-atomic@a.c:2', 'sleep-in-atomic@b.c:4', 'lock-imbalance@b.c:9'],
    );
  });
});

describe('neighbourhood', () => {
  const data = reportData([], sampleGraph(), STATS);
  const adj = adjacency(data);
  const id = (name: string) => data.classes.findIndex((c) => c.name === name);
  const names = (rings: { cls: number; weight: number }[][]) =>
    rings.map((r) => r.map((x) => `${data.classes[x.cls].name}:${x.weight}`));

  it('one hop: the classes held before it and taken after it, heaviest first', () => {
    const n = neighbourhood(data, adj, id('a'), 1);
    assert.deepEqual(names(n.before), [['h:2', 'b:1']]);
    assert.deepEqual(names(n.after), [['b:1', 'x:1']]);
    assert.deepEqual(
      n.edges
        .map((i) => `${data.classes[data.edges[i].from].name}>${data.classes[data.edges[i].to].name}`)
        .sort(),
      ['a>b', 'a>x', 'b>a', 'h>a'],
    );
  });

  it('two hops: the next ring on each side, without the classes already placed', () => {
    const n = neighbourhood(data, adj, id('a'), 2);
    assert.deepEqual(names(n.before), [['h:2', 'b:1']]);
    assert.deepEqual(names(n.after), [['b:1', 'x:1'], ['y:1']]);
    assert.ok(n.edges.some((i) => data.classes[data.edges[i].to].name === 'y'));
    const isolated = neighbourhood(data, adj, id('y'), 2);
    assert.deepEqual([names(isolated.before), names(isolated.after)], [[['x:1'], ['a:1']], []]);
  });
});

describe('filters', () => {
  const diagnostics = [
    finding('lock-order-cycle', 'drv/core/a.c', 10, ['a', 'b'], { confidence: 'high', fn: 'a_then_b' }),
    finding('lock-order-cycle', 'drv/x/c.c', 5, ['c', 'd', 'e'], { confidence: 'low', fn: 'c_then_d' }),
    finding('sleep-in-atomic', 'drv/x/sub/s.c', 3, [], {
      severity: 'error',
      fn: 'sleeper',
      message: 'msleep() may sleep',
    }),
    finding('lock-imbalance', 'drv/y/f.c', 9, [], { severity: 'warning', fn: 'leaky' }),
  ];
  const data = reportData(diagnostics, sampleGraph(), STATS);
  const shown = (f: Partial<Filter>) =>
    data.findings.filter((x) => findingMatches(data, x, { ...NO_FILTER, ...f })).map((x) => x.fn);
  const cycles = (f: Partial<Filter>) =>
    data.cycles.filter((c) => cycleMatches(data, c, { ...NO_FILTER, ...f })).length;

  it('selects findings by rule, severity, confidence, directory and text', () => {
    assert.equal(shown({}).length, 4);
    assert.deepEqual(shown({ rule: 'lock-order-cycle' }), ['a_then_b', 'c_then_d']);
    assert.deepEqual(shown({ severity: 'warning' }), ['leaky']);
    assert.deepEqual(shown({ confidence: 'low' }), ['c_then_d']);
    assert.deepEqual(shown({ confidence: 'none' }).sort(), ['leaky', 'sleeper']);
    assert.deepEqual(shown({ dir: 'x' }), ['c_then_d', 'sleeper']);
    assert.deepEqual(shown({ dir: 'x/sub' }), ['sleeper']);
    assert.deepEqual(shown({ dir: 'x/su' }), [], 'a directory is a whole name');
    assert.deepEqual(shown({ text: 'MSLEEP' }), ['sleeper']);
    assert.deepEqual(shown({ text: 'y/f.c' }), ['leaky']);
    assert.deepEqual(shown({ rule: 'lock-order-cycle', confidence: 'high', dir: 'core' }), ['a_then_b']);
  });

  it('selects cycles by confidence, directory, class name, and the rule and severity of their findings', () => {
    assert.equal(cycles({}), 3);
    assert.equal(cycles({ confidence: 'high' }), 1);
    assert.equal(cycles({ confidence: 'none' }), 1, 'f <-> g has no finding');
    assert.equal(cycles({ dir: 'x' }), 1);
    assert.equal(cycles({ dir: 'y' }), 1, 'f -> g is created in y/');
    assert.equal(cycles({ text: 'E' }), 1);
    assert.equal(cycles({ rule: 'lock-order-cycle' }), 2);
    assert.equal(cycles({ rule: 'sleep-in-atomic' }), 0);
    assert.equal(cycles({ severity: 'warning' }), 0);
  });

  it('lists every directory holding findings with how many are in it or below', () => {
    assert.deepEqual(
      directories(data).map((d) => `${d.dir}:${d.findings}`),
      ['core:1', 'x:2', 'x/sub:1', 'y:1'],
    );
  });

  it('leaves out the directory every path shares, whole names only', () => {
    assert.equal(commonDirectory(['/w/drv/a.c', '/w/drv/x/b.c']), '/w/drv/');
    assert.equal(commonDirectory(['/w/drv1/a.c', '/w/drv2/b.c']), '/w/');
    assert.equal(commonDirectory(['../t/i915/a.c', '../t/i915/gt/b.c']), '../t/i915/');
    assert.equal(commonDirectory(['a.c', 'drv/b.c']), '');
    assert.equal(commonDirectory(['/a/x.c', '/b/y.c']), '', 'never the bare root');
    assert.equal(commonDirectory([]), '');
  });
});

describe('diagram geometry', () => {
  const long = (i: number) => `some_driver_private_structure_${i}.a_rather_long_lock_name`;

  function separate(boxes: Box[], what: string): void {
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++)
        assert.ok(
          !overlaps(boxes[i], boxes[j]),
          `${what} ${i} and ${j} overlap: ${JSON.stringify([boxes[i], boxes[j]])}`,
        );
  }

  function inside(b: Box, width: number, height: number): boolean {
    return b.x >= 0 && b.y >= 0 && b.x + b.w <= width + 0.5 && b.y + b.h <= height + 0.5;
  }

  /** Distance from p to the nearest point of the box's outline. */
  function offOutline(b: Box, p: { x: number; y: number }): number {
    const dx = Math.max(b.x - p.x, 0, p.x - (b.x + b.w));
    const dy = Math.max(b.y - p.y, 0, p.y - (b.y + b.h));
    const outside = Math.hypot(dx, dy);
    const inX = Math.min(p.x - b.x, b.x + b.w - p.x);
    const inY = Math.min(p.y - b.y, b.y + b.h - p.y);
    return outside > 0 ? outside : Math.min(inX, inY);
  }

  it('puts every cycle length on a ring where no class or label touches another', () => {
    for (let n = 2; n <= 8; n++) {
      for (const labels of [
        Array.from({ length: n }, (_, i) => `c${i}`),
        Array.from({ length: n }, (_, i) => long(i)),
      ]) {
        const ring = ringLayout(
          labels,
          labels.map((_, i) => `function_creating_edge_number_${i}`),
        );
        assert.equal(ring.nodes.length, n);
        assert.equal(ring.arcs.length, n);
        separate([...ring.nodes, ...ring.arcs.map((a) => a.label)], `n=${n}: box`);
        for (const b of [...ring.nodes, ...ring.arcs.map((a) => a.label)])
          assert.ok(inside(b, ring.width, ring.height), `n=${n}: ${JSON.stringify(b)} outside`);
        ring.arcs.forEach((a, i) => {
          assert.ok(offOutline(ring.nodes[i], a.start) < 0.2, `n=${n}: arc ${i} starts on its class`);
          assert.ok(
            offOutline(ring.nodes[(i + 1) % n], a.end) < 0.2,
            `n=${n}: arc ${i} ends on the next class`,
          );
        });
      }
    }
  });

  it('draws the two edges of an AB-BA cycle on opposite sides', () => {
    const ring = ringLayout(['a.lock', 'b.lock'], ['a_then_b', 'b_then_a']);
    const [ab, ba] = ring.arcs;
    const midY = ring.nodes[0].y + ring.nodes[0].h / 2;
    assert.ok(ab.control.y < midY && ba.control.y > midY, JSON.stringify(ring.arcs));
    assert.ok(ring.nodes[0].x < ring.nodes[1].x, 'side by side, the first on the left');
  });

  it('lays out columns left to right without overlaps', () => {
    const layout = columnsLayout([['h', long(1)], ['a'], ['b', 'x', long(2)]]);
    const all = layout.columns.flat();
    separate(all, 'class');
    for (const b of all) assert.ok(inside(b, layout.width, layout.height));
    for (let i = 0; i + 1 < layout.columns.length; i++)
      assert.ok(
        Math.max(...layout.columns[i].map((b) => b.x + b.w)) <
          Math.min(...layout.columns[i + 1].map((b) => b.x)),
        `column ${i} is left of column ${i + 1}`,
      );
  });
});
