/**
 * A self-contained HTML report: one file, inline CSS and script, the lock-order graph as inline
 * SVG laid out here (ELK in Node), so it opens from disk, a CI artifact or a mail attachment
 * without fetching anything. Every piece of text from the workspace is escaped.
 */
import type { Range } from '../analysis/ir';
import type { Diagnostic } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import { RULES } from '../rules/registry';
import type { Severity } from '../rules/rule';
import type { ScanStats } from './json';
import { graphLayout, nodeLabel, type GraphLayout, type LayoutEdge, type LayoutNode } from './layout';

export { graphLayout } from './layout';
export type {
  GraphLayout,
  GraphLayoutOptions,
  LayoutEdge,
  LayoutNode,
  LayoutPoint,
  LayoutWitness,
} from './layout';

export interface HtmlOptions {
  title?: string;
  toolVersion?: string;
  /** Shown in the header when given (kept out by default so reports are reproducible). */
  generated?: string;
  /** Passed to the layout: above this many classes only cycles and their neighbours are drawn. */
  maxNodes?: number;
  /** When given, rule ids link to `<docsBaseUri>docs/rules/<id>.md`. */
  docsBaseUri?: string;
}

const SEVERITIES: Severity[] = ['error', 'warning', 'information', 'hint'];
const RED = '#d32f2f';
const GREY = '#6b7280';

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const esc = escapeHtml;

export async function toHtml(
  diagnostics: Diagnostic[],
  graph: OrderGraph,
  stats: ScanStats,
  opts: HtmlOptions = {},
): Promise<string> {
  const layout = await graphLayout(graph, { maxNodes: opts.maxNodes });
  const title = opts.title ?? 'Lockscope report';
  const body = [
    header(title, diagnostics, graph, stats, opts),
    ruleTable(diagnostics, opts.docsBaseUri),
    classTable(graph),
    graphSection(layout),
    cycleSection(graph),
    diagnosticSection(diagnostics),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Lockscope${opts.toolVersion ? ' ' + esc(opts.toolVersion) : ''}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script type="application/json" id="lockscope-graph">${jsonForScript(graphData(layout))}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function header(
  title: string,
  diagnostics: Diagnostic[],
  graph: OrderGraph,
  stats: ScanStats,
  opts: HtmlOptions,
): string {
  const bySeverity = SEVERITIES.map((s) => [s, diagnostics.filter((d) => d.severity === s).length] as const);
  const rows: [string, string][] = [
    ['Files', String(stats.files)],
    ['Bytes', stats.bytes.toLocaleString('en-US')],
    ['Functions', String(stats.functions)],
    ['Parse', `${Math.round(stats.parseMs)} ms`],
    ['Analysis', `${Math.round(stats.analyzeMs)} ms`],
    ['Diagnostics', `${diagnostics.length} (${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})`],
    ['Lock classes', String(graph.lockClasses().length)],
    ['Order edges', String(graph.edges().length)],
    ['Cycles', String(graph.cycles().length)],
  ];
  const meta = [opts.toolVersion && `Lockscope ${opts.toolVersion}`, opts.generated]
    .filter(Boolean)
    .join(' · ');
  return `<header>
<h1>${esc(title)}</h1>
${meta ? `<p class="meta">${esc(meta)}</p>` : ''}
<dl class="stats">${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>`;
}

function ruleTable(diagnostics: Diagnostic[], docsBaseUri: string | undefined): string {
  const rows = RULES.map((r) => {
    const mine = diagnostics.filter((d) => d.rule === r.meta.id);
    const id = docsBaseUri
      ? `<a href="${esc(docsBaseUri.replace(/\/?$/, '/') + `docs/rules/${r.meta.id}.md`)}">${esc(r.meta.id)}</a>`
      : esc(r.meta.id);
    const cells = SEVERITIES.map(
      (s) => `<td class="num">${mine.filter((d) => d.severity === s).length}</td>`,
    );
    return `<tr${mine.length ? ' class="hit"' : ''}><td><code>${id}</code></td><td>${esc(r.meta.summary)}</td><td>${esc(
      r.meta.defaultSeverity,
    )}</td>${cells.join('')}<td class="num"><strong>${mine.length}</strong></td></tr>`;
  });
  return `<section id="rules">
<h2>Findings per rule</h2>
<table>
<thead><tr><th>Rule</th><th>Meaning</th><th>Default</th>${SEVERITIES.map((s) => `<th>${s}</th>`).join('')}<th>Total</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function classTable(graph: OrderGraph): string {
  const classes = graph.lockClasses();
  const onCycle = graph.classesOnCycles();
  const outDeg = new Map<string, number>();
  const inDeg = new Map<string, number>();
  for (const e of graph.edges()) {
    outDeg.set(e.from, (outDeg.get(e.from) ?? 0) + 1);
    inDeg.set(e.to, (inDeg.get(e.to) ?? 0) + 1);
  }
  const rows = classes.map(
    (c) =>
      `<tr${onCycle.has(c.name) ? ' class="cycle"' : ''}><td><code>${esc(c.name)}</code></td><td>${esc(c.kind)}</td>` +
      `<td class="num">${c.acquisitions}</td><td class="num">${inDeg.get(c.name) ?? 0}</td>` +
      `<td class="num">${outDeg.get(c.name) ?? 0}</td><td>${onCycle.has(c.name) ? 'yes' : ''}</td></tr>`,
  );
  // a long table is folded so the graph and the findings stay near the top
  return `<section id="classes">
<h2>Lock classes (${classes.length})</h2>
${
  classes.length
    ? `<details${classes.length <= 40 ? ' open' : ''}><summary>${classes.length} classes, ${onCycle.size} on cycles</summary>
<table>
<thead><tr><th>Class</th><th>Kind</th><th>Acquisitions</th><th>Ordered after</th><th>Ordered before</th><th>On a cycle</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</details>`
    : '<p class="empty">No locks seen.</p>'
}
</section>`;
}

function graphSection(layout: GraphLayout): string {
  const note = layout.note ? `<p class="note">${esc(layout.note)}</p>` : '';
  if (!layout.nodes.length) {
    return `<section id="graph-section">
<h2>Lock-order graph</h2>
${note || '<p class="empty">No lock-order edges.</p>'}
</section>`;
  }
  return `<section id="graph-section">
<h2>Lock-order graph</h2>
<p class="legend">An edge A → B means B was acquired while A was held. <span class="swatch red"></span> on a cycle
· <span class="swatch dashed"></span> kernel baseline / lockdep report (not seen in the workspace). Click an edge or
a class for its witness.</p>
${note}
<div class="graph-wrap">
<div class="graph-scroll">${svg(layout)}</div>
<aside id="details" aria-live="polite"><p class="empty">Click an edge or a lock class to see where the order comes from.</p></aside>
</div>
</section>`;
}

function svg(layout: GraphLayout): string {
  const nodes = layout.nodes.map(svgNode).join('\n');
  // cycle edges last, so they are drawn on top
  const ordered = [...layout.edges.filter((e) => !e.onCycle), ...layout.edges.filter((e) => e.onCycle)];
  const edges = ordered.map(svgEdge).join('\n');
  return `<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="Lock-order graph">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="${GREY}"/></marker>
<marker id="arrow-cycle" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="${RED}"/></marker>
</defs>
<g class="edges">
${edges}
</g>
<g class="nodes">
${nodes}
</g>
</svg>`;
}

function svgNode(n: LayoutNode): string {
  const cls = `node${n.onCycle ? ' cycle' : ''}`;
  const stroke = n.onCycle ? RED : GREY;
  const tip = `${n.name} (${n.kind}, ${n.acquisitions} acquisition${n.acquisitions === 1 ? '' : 's'})`;
  return `<g class="${cls}" id="${n.id}" data-id="${n.id}" tabindex="0"><title>${esc(tip)}</title><rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="5" fill="#fff" stroke="${stroke}"/><text x="${round(n.x + n.w / 2)}" y="${round(n.y + n.h / 2)}" text-anchor="middle" dominant-baseline="central" font-family="monospace" font-size="12">${esc(nodeLabel(n.name))}</text></g>`;
}

function svgEdge(e: LayoutEdge): string {
  const cls = ['edge', e.onCycle ? 'cycle' : '', e.dashed ? 'dashed' : ''].filter(Boolean).join(' ');
  const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
  const stroke = e.onCycle ? RED : GREY;
  const dash = e.dashed ? ' stroke-dasharray="6 4"' : '';
  return `<g class="${cls}" id="${e.id}" data-id="${e.id}" tabindex="0"><title>${esc(edgeTitle(e))}</title><path class="hit" d="${d}" fill="none" stroke="transparent" stroke-width="12"/><path class="line" d="${d}" fill="none" stroke="${stroke}" stroke-width="${e.onCycle ? 2.5 : 1.5}"${dash} marker-end="url(#${e.onCycle ? 'arrow-cycle' : 'arrow'})"/></g>`;
}

function edgeTitle(e: LayoutEdge): string {
  const where = e.witness
    ? `${e.witness.file}:${e.witness.line} ${e.witness.fn}`
    : `${e.origin}${e.sourceNote ? ': ' + e.sourceNote : ''}`;
  return `${e.from} → ${e.to}\n${where}`;
}

/**
 * A source location (1-based in the text). `data-*` carry it for the editor: inside the VS Code
 * webview, `window.lockscopeOpen(file, line, col)` exists and a click opens the place.
 */
function loc(file: string, range: Range, withColumn: boolean): string {
  const line = range.line + 1;
  const col = range.col + 1;
  const text = withColumn ? `${file}:${line}:${col}` : `${file}:${line}`;
  return `<code class="loc" data-file="${esc(file)}" data-line="${line}" data-col="${col}">${esc(text)}</code>`;
}

function cycleSection(graph: OrderGraph): string {
  const cycles = graph.cycles();
  const items = cycles.map((c, i) => {
    const chain = [...c.classes, c.classes[0]].join(' --> ');
    const rows = c.edges.map((e) => {
      const w = e.witness;
      const where = w
        ? `${loc(w.file, w.range, false)} in <code>${esc(w.fn)}</code>`
        : `${esc(e.origin)}${e.source ? `: ${esc(e.source)}` : ''}`;
      const via = w?.chain.length
        ? `<ol class="chain">${w.chain
            .map(
              (s) =>
                `<li><code>${esc(s.fn)}</code> → <code>${esc(s.callee)}</code> ${loc(s.file, s.range, false)}</li>`,
            )
            .join('')}</ol>`
        : '';
      const held = w?.heldChain.length
        ? `<div class="held">${esc(e.from)} taken at ${loc(
            w.heldChain[w.heldChain.length - 1].file,
            w.heldChain[w.heldChain.length - 1].range,
            false,
          )}${w.heldEntry ? ` (${esc(w.heldEntry)})` : ''}</div>`
        : w?.heldEntry
          ? `<div class="held">${esc(e.from)} held on entry (${esc(w.heldEntry)})</div>`
          : '';
      return `<tr><td><code>${esc(e.from)}</code> → <code>${esc(e.to)}</code></td><td>${where}${held}${via}</td></tr>`;
    });
    return `<div class="cycle-item">
<h3>Cycle ${i + 1}</h3>
<pre class="chain-line">${esc(chain)}</pre>
<table><thead><tr><th>Edge</th><th>Witness</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
</div>`;
  });
  return `<section id="cycles">
<h2>Cycles (${cycles.length})</h2>
${items.length ? items.join('\n') : '<p class="empty">No lock-order cycles.</p>'}
</section>`;
}

function diagnosticSection(diagnostics: Diagnostic[]): string {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    let list = byFile.get(d.file);
    if (!list) byFile.set(d.file, (list = []));
    list.push(d);
  }
  const files = [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const groups = files.map(([file, list]) => {
    const items = list
      .sort((a, b) => a.range.line - b.range.line || a.range.col - b.range.col)
      .map((d) => {
        const related = d.related.length
          ? `<ul class="related">${d.related
              .map((r) => `<li>${loc(r.file, r.range, true)} ${esc(r.message)}</li>`)
              .join('')}</ul>`
          : '';
        return `<li class="diag sev-${d.severity}">
<div class="diag-head"><span class="sev">${esc(d.severity)}</span> ${loc(d.file, d.range, true)} <code class="rule">[${esc(d.rule)}]</code>${d.function ? ` in <code>${esc(d.function)}</code>` : ''} <span class="confidence" title="${esc(d.confidenceReasons?.join('; ') ?? '')}">${esc(d.confidence)} confidence</span></div>
<pre class="msg">${esc(d.message)}</pre>
${related}
</li>`;
      });
    return `<details open class="file">
<summary><code>${esc(file)}</code> <span class="count">${list.length}</span></summary>
<ul class="diags">
${items.join('\n')}
</ul>
</details>`;
  });
  return `<section id="diagnostics">
<h2>Diagnostics (${diagnostics.length})</h2>
${groups.length ? groups.join('\n') : '<p class="empty">No diagnostics.</p>'}
</section>`;
}

interface GraphData {
  nodes: Record<string, { name: string; kind: string; acquisitions: number; onCycle: boolean }>;
  edges: Record<string, Omit<LayoutEdge, 'points' | 'id'>>;
}

function graphData(layout: GraphLayout): GraphData {
  const data: GraphData = { nodes: {}, edges: {} };
  for (const n of layout.nodes)
    data.nodes[n.id] = { name: n.name, kind: n.kind, acquisitions: n.acquisitions, onCycle: n.onCycle };
  for (const e of layout.edges) {
    data.edges[e.id] = {
      from: e.from,
      to: e.to,
      source: e.source,
      target: e.target,
      onCycle: e.onCycle,
      origin: e.origin,
      runtime: e.runtime,
      dashed: e.dashed,
      count: e.count,
      ...(e.witness ? { witness: e.witness } : {}),
      ...(e.sourceNote ? { sourceNote: e.sourceNote } : {}),
    };
  }
  return data;
}

/** JSON that cannot close the script element or be read as markup. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

const CSS = `
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa;--red:${RED};--warn:#9a6700;--note:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#8d96a0;--line:#30363d;--panel:#161b22;--warn:#d29922;--note:#4493f8}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:16px 24px;max-width:1400px}
h1{margin:0 0 4px;font-size:24px}h2{margin:28px 0 8px;font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
code,pre,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.meta,.empty,.legend,.note{color:var(--muted)}.note{font-weight:600}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 0}.stats div{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px 10px}
.stats dt{font-size:11px;color:var(--muted);text-transform:uppercase}.stats dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{background:var(--panel)}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.hit td{font-weight:600}tr.cycle td:first-child code{color:var(--red)}
.graph-wrap{display:flex;gap:12px;align-items:flex-start}
.graph-scroll{flex:1;overflow:auto;max-height:80vh;border:1px solid var(--line);border-radius:6px;background:var(--panel)}
#details{width:340px;flex:none;border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:var(--panel);position:sticky;top:8px;overflow-wrap:anywhere}
#details h4{margin:4px 0}#details ul{padding-left:18px;margin:4px 0}
#graph .node rect{fill:var(--bg);stroke-width:1.5}#graph .node.cycle rect{stroke-width:2.5}
#graph .node text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:var(--fg);text-anchor:middle;dominant-baseline:central}
#graph .node,#graph .edge{cursor:pointer;outline:none}
#graph .edge .line{fill:none;stroke-width:1.5}#graph .edge.cycle .line{stroke-width:2.5}
#graph .edge .hit{fill:none;stroke:transparent;stroke-width:12}
#graph .sel rect,#graph .sel .line,#graph .node:focus rect,#graph .edge:focus .line{stroke:var(--note)!important;stroke-width:3.5}
.swatch{display:inline-block;width:22px;height:0;vertical-align:middle;border-top:3px solid ${GREY}}.swatch.red{border-color:var(--red)}.swatch.dashed{border-top-style:dashed}
pre{white-space:pre-wrap;margin:4px 0}.chain-line{color:var(--red);font-weight:600}
ol.chain{margin:4px 0;padding-left:20px}.held{color:var(--muted)}
details.file{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px 10px}details.file summary{cursor:pointer;font-weight:600}
.count{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:0 7px;font-size:12px}
ul.diags{list-style:none;padding:0}li.diag{border-top:1px solid var(--line);padding:6px 0}
code.link{cursor:pointer;text-decoration:underline dotted}
.sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;color:#fff;background:var(--muted)}
.sev-error .sev{background:var(--red)}.sev-warning .sev{background:var(--warn)}.sev-information .sev{background:var(--note)}
ul.related{margin:2px 0;padding-left:18px;color:var(--muted)}
.confidence{font-size:12px;color:var(--muted)}
`;

/* Runs in the report; reads the JSON block above and writes with textContent only. */
const SCRIPT = `
(function () {
  function clear() { while (panel.firstChild) panel.removeChild(panel.firstChild); }
  function add(parent, tag, text, cls) {
    var n = document.createElement(tag);
    if (text) n.textContent = text;
    if (cls) n.className = cls;
    parent.appendChild(n);
    return n;
  }
  var open = typeof window !== 'undefined' && typeof window.lockscopeOpen === 'function' ? window.lockscopeOpen : null;
  function linkTo(n, file, line, col) {
    if (!open) return;
    n.className = (n.className ? n.className + ' ' : '') + 'link';
    n.setAttribute('title', 'Open in the editor');
    n.addEventListener('click', function (ev) { ev.stopPropagation(); open(file, line, col); });
  }
  var locs = open ? document.querySelectorAll('[data-file]') : [];
  for (var j = 0; j < locs.length; j++) {
    (function (n) {
      linkTo(n, n.getAttribute('data-file'), Number(n.getAttribute('data-line')), Number(n.getAttribute('data-col')));
    })(locs[j]);
  }
  var el = document.getElementById('lockscope-graph');
  var panel = document.getElementById('details');
  if (!el || !panel) return;
  var data = JSON.parse(el.textContent || '{}');
  function loc(s) { return s.file + ':' + s.line; }
  function addLoc(parent, s) {
    var n = add(parent, 'code', loc(s), 'loc');
    linkTo(n, s.file, s.line, s.column);
    return n;
  }
  function describeEdge(parent, e) {
    if (e.witness) {
      var w = e.witness;
      var wd = add(parent, 'div', 'witness: ');
      addLoc(wd, w);
      add(wd, 'span', ' ' + w.fn);
      if (w.chain.length) {
        var ol = add(parent, 'ol');
        w.chain.forEach(function (s) {
          var li = add(ol, 'li', s.fn + ' \\u2192 ' + s.callee + '  ');
          addLoc(li, s);
        });
      }
      if (w.held.length) {
        var h = w.held[w.held.length - 1];
        var hd = add(parent, 'div', e.from + ' taken at ');
        addLoc(hd, h);
        add(hd, 'span', ' in ' + h.fn + (w.heldEntry ? ' (' + w.heldEntry + ')' : ''));
      } else if (w.heldEntry) add(parent, 'div', e.from + ' held on entry (' + w.heldEntry + ')');
    } else {
      add(parent, 'div', (e.origin === 'baseline' ? 'kernel baseline' : e.origin) + (e.sourceNote ? ': ' + e.sourceNote : ''));
    }
  }
  function showEdge(id) {
    var e = data.edges[id];
    if (!e) return;
    clear();
    add(panel, 'h4', e.from + ' \\u2192 ' + e.to);
    add(panel, 'div', (e.onCycle ? 'on a cycle \\u00b7 ' : '') + e.origin + (e.runtime ? ' \\u00b7 seen at run time' : '') +
      (e.count ? ' \\u00b7 ' + e.count + ' witness' + (e.count === 1 ? '' : 'es') : ''));
    describeEdge(panel, e);
  }
  function showNode(id) {
    var n = data.nodes[id];
    if (!n) return;
    clear();
    add(panel, 'h4', n.name);
    add(panel, 'div', n.kind + ' \\u00b7 ' + n.acquisitions + ' acquisitions' + (n.onCycle ? ' \\u00b7 on a cycle' : ''));
    var ids = Object.keys(data.edges);
    [['Taken while holding', 'target'], ['Held while taking', 'source']].forEach(function (pair) {
      var list = ids.filter(function (k) { return data.edges[k][pair[1]] === id; });
      if (!list.length) return;
      add(panel, 'h4', pair[0]);
      var ul = add(panel, 'ul');
      list.forEach(function (k) {
        var e = data.edges[k];
        var li = add(ul, 'li', pair[1] === 'target' ? e.from : e.to, e.onCycle ? 'cycle' : '');
        describeEdge(li, e);
      });
    });
  }
  var selected = null;
  function pick(g) {
    if (selected) selected.classList.remove('sel');
    selected = g;
    g.classList.add('sel');
    var id = g.getAttribute('data-id');
    if (g.classList.contains('edge')) showEdge(id); else showNode(id);
  }
  var items = document.querySelectorAll('#graph .edge, #graph .node');
  for (var i = 0; i < items.length; i++) {
    (function (g) {
      g.addEventListener('click', function () { pick(g); });
      g.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(g); }
      });
    })(items[i]);
  }
})();
`;
