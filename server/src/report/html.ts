/**
 * The lock report as one self-contained HTML page: the scan's statistics and the per-rule table
 * as markup, everything else (the ranked cycles drawn as rings, the class explorer, the filtered
 * findings) drawn by the page's own script from one JSON block. Nothing is fetched, so it opens
 * from disk, a CI artifact or the VS Code webview offline; a driver's graph stays a few
 * megabytes because the page draws only what is asked for. Workspace text is escaped here and
 * reaches the DOM through textContent in the script.
 */
import type { Diagnostic } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import type { ScanStats } from './json';
import { type ReportData, SEVERITY_NAMES } from './page-data';
import { pageScript } from './page-script';
import { reportData } from './report-data';

export interface HtmlOptions {
  title?: string;
  toolVersion?: string;
  /** Shown in the header when given (kept out by default so reports are reproducible). */
  generated?: string;
  /** When given, rule ids link to `<docsBaseUri>docs/rules/<id>.md`. */
  docsBaseUri?: string;
  /** What the findings leave out (a baseline's, those outside `--changed-since`), one line each. */
  scope?: readonly string[];
}

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

export function toHtml(
  diagnostics: readonly Diagnostic[],
  graph: OrderGraph,
  stats: ScanStats,
  opts: HtmlOptions = {},
): string {
  const data = reportData(diagnostics, graph, stats);
  const title = opts.title ?? 'Lockscope report';
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
${header(title, data, opts)}
<noscript><p class="note">The cycles, the class explorer and the findings are drawn by this page's script: allow scripts to see them (nothing is fetched). <code>lockscope scan --format json</code> gives the same data.</p></noscript>
${ruleTable(data, opts.docsBaseUri)}
<div id="filter-bar" class="filter-bar" role="search" aria-label="Filters"></div>
<section id="cycles">
<h2>Cycles (${data.cycles.length.toLocaleString('en-US')})</h2>
<p class="legend">Each cycle is a ring of its lock classes; an arrow A → B means B is taken while A is held, labelled with the function that does it. Click an edge for its witness${'\u00a0'}(the calls down to the second lock and where the first was taken), a class to explore it.</p>
<div id="cycles-body"></div>
</section>
<section id="explorer">
<h2>Class explorer</h2>
<p class="legend">A class with the classes held when it is taken (left) and those taken while it is held (right); the number on a class is how many places create that order. <span class="swatch red"></span> on a cycle · <span class="swatch dashed"></span> kernel baseline or lockdep report only.</p>
<div id="explorer-body"></div>
</section>
<section id="findings">
<h2>Findings (${data.findings.length.toLocaleString('en-US')})</h2>
<div id="findings-body"></div>
</section>
${MARKERS}
<script type="application/json" id="lockscope-data">${jsonForScript(data)}</script>
<script>${pageScript()}</script>
</body>
</html>
`;
}

function header(title: string, data: ReportData, opts: HtmlOptions): string {
  const { stats, findings } = data;
  const bySeverity = SEVERITY_NAMES.map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`);
  const rows: [string, string][] = [
    ['Files', stats.files.toLocaleString('en-US')],
    ['Bytes', stats.bytes.toLocaleString('en-US')],
    ['Functions', stats.functions.toLocaleString('en-US')],
    ['Parse', `${stats.parseMs.toLocaleString('en-US')} ms`],
    ['Analysis', `${stats.analyzeMs.toLocaleString('en-US')} ms`],
    ['Findings', `${findings.length.toLocaleString('en-US')} (${bySeverity.join(', ')})`],
    ['Lock classes', data.classes.length.toLocaleString('en-US')],
    ['Order edges', data.edges.length.toLocaleString('en-US')],
    ['Cycles', data.cycles.length.toLocaleString('en-US')],
  ];
  const meta = [
    opts.toolVersion && `Lockscope ${opts.toolVersion}`,
    opts.generated,
    data.root && `paths under ${data.root}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return `<header>
<h1>${esc(title)}</h1>
${meta ? `<p class="meta">${esc(meta)}</p>` : ''}
${(opts.scope ?? []).map((line) => `<p class="note">${esc(line)}</p>`).join('\n')}
<dl class="stats">${rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
<nav><a href="#rules">Rules</a> · <a href="#cycles">Cycles</a> · <a href="#explorer">Class explorer</a> · <a href="#findings">Findings</a></nav>
</header>`;
}

/** Counts per rule and severity; each count shows those findings (the page's script sets the filter). */
function ruleTable(data: ReportData, docsBaseUri: string | undefined): string {
  const rows = data.rules.map((r) => {
    const mine = data.findings.filter((f) => f.rule === r.id);
    const id = docsBaseUri
      ? `<a href="${esc(docsBaseUri.replace(/\/?$/, '/') + `docs/rules/${r.id}.md`)}">${esc(r.id)}</a>`
      : esc(r.id);
    const count = (n: number, severity?: string) =>
      n
        ? `<a href="#findings" data-rule="${esc(r.id)}"${severity ? ` data-severity="${severity}"` : ''} title="Show these findings">${n.toLocaleString('en-US')}</a>`
        : '0';
    const cells = SEVERITY_NAMES.map(
      (s) => `<td class="num">${count(mine.filter((f) => f.severity === s).length, s)}</td>`,
    );
    return `<tr${mine.length ? ' class="hit"' : ''}><td><code>${id}</code></td><td>${esc(r.summary)}</td><td>${esc(
      r.severityText,
    )}</td>${cells.join('')}<td class="num"><strong>${count(mine.length)}</strong></td></tr>`;
  });
  return `<section id="rules">
<h2>Findings per rule</h2>
<table>
<thead><tr><th>Rule</th><th>Meaning</th><th>Default</th>${SEVERITY_NAMES.map((s) => `<th>${s}</th>`).join('')}<th>Total</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

/** JSON that cannot close the script element or be read as markup. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const RED = '#d32f2f';
const GREY = '#6b7280';
const BLUE = '#0969da';

/** Arrowheads every diagram of the page refers to. */
const MARKERS = `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>${[
  ['ls-arrow', GREY],
  ['ls-arrow-cycle', RED],
  ['ls-arrow-sel', BLUE],
]
  .map(
    ([id, fill]) =>
      `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto"><path d="M0,0L10,5L0,10z" fill="${fill}"/></marker>`,
  )
  .join('')}</defs></svg>`;

const CSS = `
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa;--red:${RED};--warn:#9a6700;--note:${BLUE};--grey:${GREY}}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#8d96a0;--line:#30363d;--panel:#161b22;--warn:#d29922;--note:#4493f8}}
body.vscode-light{--fg:#1f2328;--bg:#fff;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa;--warn:#9a6700;--note:${BLUE}}
body.vscode-dark,body.vscode-high-contrast{--fg:#e6edf3;--bg:#0d1117;--muted:#8d96a0;--line:#30363d;--panel:#161b22;--warn:#d29922;--note:#4493f8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:16px 24px;max-width:1500px}
section{scroll-margin-top:90px}h1{margin:0 0 4px;font-size:24px}h2{margin:28px 0 8px;font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:0}h4{margin:10px 0 4px;font-size:14px}
code,pre,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.meta,.legend,.muted,.note{color:var(--muted)}.note{font-weight:600}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 8px}.stats div{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px 10px}
.stats dt{font-size:11px;color:var(--muted);text-transform:uppercase}.stats dd{margin:0;font-weight:600}
nav a,a{color:var(--note)}
table{border-collapse:collapse;width:100%}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}th{background:var(--panel)}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.hit td{font-weight:600}
.filter-bar{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:6px;align-items:center;background:var(--bg);border-bottom:1px solid var(--line);padding:8px 0;margin-top:16px}
.filter-bar select,.filter-bar input,.explorer-controls input{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:3px 6px;max-width:22em}
button{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:3px 10px;cursor:pointer}
button.more{margin:8px 0}
.badges{display:flex;flex-wrap:wrap;gap:4px;align-items:center}
.badge{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 7px;font-size:12px;background:var(--panel)}
.badge.ext{border-style:dashed}.badge.conf-high{border-color:var(--red);color:var(--red)}.badge.conf-medium{border-color:var(--warn);color:var(--warn)}.badge.cycle{border-color:var(--red);color:var(--red);margin-left:4px}
.sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;color:#fff;background:var(--muted)}
.sev.sev-error{background:var(--red)}.sev.sev-warning{background:var(--warn)}.sev.sev-information{background:var(--note)}
.cycle-card{border:1px solid var(--line);border-radius:6px;margin:10px 0;padding:8px 12px;scroll-margin-top:90px}
.cycle-card header{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
.chain-line{color:var(--red);font-weight:600}
.card-body{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;margin-top:6px}
.ring-wrap{flex:none;max-width:100%;overflow:auto}.card-side{flex:1;min-width:320px}
ol.cycle-edges{margin:0;padding-left:20px}ol.cycle-edges li{cursor:pointer;padding:1px 4px;border-radius:4px}
ol.cycle-edges li:hover,ol.cycle-edges li.sel,tr.sel td,tr[data-edge]:hover td,tr[data-class]:hover td{background:var(--panel)}
tr[data-edge],tr[data-class]{cursor:pointer}
.witness{border-left:3px solid var(--line);margin-top:8px;padding:2px 10px;overflow-wrap:anywhere}.witness p{margin:4px 0}
ol.chain{margin:4px 0;padding-left:22px}
svg .node rect{fill:var(--bg);stroke:var(--grey);stroke-width:1.5}svg .node.cycle rect,.ring .node rect{stroke:var(--red);stroke-width:2}svg .node.centre rect{stroke:var(--note);stroke-width:3}
svg text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:var(--fg);text-anchor:middle;dominant-baseline:central}
svg text.start{text-anchor:start}svg text.count{text-anchor:end;fill:var(--muted);font-size:11px}svg text.more{fill:var(--muted)}
svg .node,svg .edge{cursor:pointer;outline:none}
svg .edge .line{fill:none;stroke:var(--grey);stroke-width:1.4}svg .edge.cycle .line,.ring .edge .line{stroke:var(--red);stroke-width:2}
svg .edge.dashed .line{stroke-dasharray:6 4}
svg .edge .hit{fill:none;stroke:transparent;stroke-width:12}
svg .edge .label-bg{fill:var(--bg);stroke:none;opacity:.9}svg .edge text.label{font-size:11px}
svg .edge.sel .line,svg .edge:focus .line{stroke:var(--note)!important;stroke-width:3}svg .node:focus rect{stroke:var(--note)}
.explorer-controls{display:flex;gap:12px;align-items:center;margin-bottom:8px}.explorer-controls input[type=search]{width:28em}
.explorer-body{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.class-list{width:340px;flex:none}.class-list code{word-break:break-all}.neighbourhood{flex:1;min-width:400px;overflow:auto}
.edge-tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
code.on-cycle{color:var(--red)}code.link,.loc.link{cursor:pointer;text-decoration:underline dotted}
.swatch{display:inline-block;width:22px;height:0;vertical-align:middle;border-top:3px solid ${GREY}}.swatch.red{border-color:var(--red)}.swatch.dashed{border-top-style:dashed}
ol.findings{list-style:none;padding:0}li.finding{border-top:1px solid var(--line);padding:6px 0}
li.finding summary{cursor:pointer}li.finding pre{white-space:pre-wrap;margin:4px 0}.msg{margin:2px 0}
ul.related{margin:2px 0;padding-left:18px;color:var(--muted)}
`;
