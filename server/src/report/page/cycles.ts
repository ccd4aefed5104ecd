/**
 * The cycles, most convincing first, a page at a time: each a small ring of its classes with
 * every edge labelled by the function that creates it. Clicking an edge shows its witness (and
 * opens its line in the editor); clicking a class opens it in the class explorer.
 */
import { ringLayout, shorten, MAX_LABEL_CHARS, MAX_NODE_CHARS } from '../geometry';
import { type CycleData, type Filter, type ReportData, cycleMatches } from '../page-data';
import { h, onActivate, pagedList, plural, s } from './dom';
import { edgeLabel, edgeTitle, showWitness } from './witness';

const PAGE = 20;

export interface CyclesView {
  update(filter: Filter): number;
}

export function cyclesSection(
  data: ReportData,
  root: HTMLElement,
  explore: (cls: number) => void,
): CyclesView {
  const pages = pagedList<CycleData>(root, h('div', { class: 'cycle-list' }), PAGE, (c) =>
    card(data, c, data.cycles.indexOf(c) + 1, explore),
  );
  return {
    update(filter) {
      const shown = data.cycles.filter((c) => cycleMatches(data, c, filter));
      pages.summary.textContent = !data.cycles.length
        ? 'No lock-order cycles.'
        : `${shown.length.toLocaleString('en-US')} of ${plural(data.cycles.length, 'cycle')}, most convincing first: ` +
          'by confidence, then those seen entirely in the source, shorter, reported at lines of their own, and with fewer calls between the locks.';
      pages.show(shown);
      return shown.length;
    },
  };
}

function badges(data: ReportData, c: CycleData): HTMLElement {
  const items: HTMLElement[] = [
    h(
      'span',
      { class: `badge conf-${c.confidence ?? 'none'}` },
      c.confidence ? `${c.confidence} confidence` : 'not rated',
    ),
    h('span', { class: 'badge' }, plural(c.classes.length, 'class', 'classes')),
    h(
      'span',
      { class: c.allStatic ? 'badge' : 'badge ext' },
      c.allStatic ? 'all edges in the source' : 'uses kernel or lockdep edges',
    ),
    c.findings.length
      ? h('span', { class: 'badge' }, `reported at ${plural(c.findings.length, 'line')}`)
      : h(
          'span',
          {
            class: 'badge',
            title:
              'Each of its lines reports another cycle (the shortest through it), or its findings are in the baseline.',
          },
          'no finding of its own',
        ),
  ];
  if (c.findings.length) {
    const sev = data.findings[c.findings[0]].severity;
    items.unshift(h('span', { class: `sev sev-${sev}` }, sev));
  }
  return h('div', { class: 'badges' }, ...items);
}

function card(data: ReportData, c: CycleData, rank: number, explore: (cls: number) => void): HTMLElement {
  const names = c.classes.map((i) => data.classes[i].name);
  const witness = h(
    'div',
    { class: 'witness' },
    h('p', { class: 'muted' }, 'Click an edge for its witness.'),
  );
  const ring = ringLayout(
    names,
    c.edges.map((i) => edgeLabel(data, data.edges[i])),
  );
  const edgeNodes: SVGGElement[] = [];
  const rows: HTMLElement[] = [];
  const select = (k: number, open: boolean) => {
    edgeNodes.forEach((g, j) => {
      g.classList.toggle('sel', j === k);
      g.querySelector('.line')?.setAttribute(
        'marker-end',
        j === k ? 'url(#ls-arrow-sel)' : 'url(#ls-arrow-cycle)',
      );
    });
    rows.forEach((r, j) => r.classList.toggle('sel', j === k));
    showWitness(data, c.edges[k], witness, open);
  };
  const svg = s('svg', {
    class: 'ring',
    width: ring.width,
    height: ring.height,
    viewBox: `0 0 ${ring.width} ${ring.height}`,
    role: 'img',
    'aria-label': `Cycle ${rank}: ${names.join(' → ')}`,
  });
  ring.arcs.forEach((a, k) => {
    const e = data.edges[c.edges[k]];
    const d = `M${a.start.x},${a.start.y} Q${a.control.x},${a.control.y} ${a.end.x},${a.end.y}`;
    const label = edgeLabel(data, e);
    const g = s(
      'g',
      { class: e.origin === 'static' ? 'edge' : 'edge dashed', 'data-edge': c.edges[k] },
      s('title', {}, `${edgeTitle(data, e)}\n${label}`),
      s('path', { class: 'hit', d }),
      s('path', { class: 'line', d, 'marker-end': 'url(#ls-arrow-cycle)' }),
      s('rect', {
        class: 'label-bg',
        x: a.label.x,
        y: a.label.y,
        width: a.label.w,
        height: a.label.h,
        rx: 3,
      }),
      s(
        'text',
        { class: 'label', x: a.label.x + a.label.w / 2, y: a.label.y + a.label.h / 2 },
        shorten(label, MAX_LABEL_CHARS),
      ),
    );
    onActivate(g, () => select(k, true));
    edgeNodes.push(g);
    svg.appendChild(g);
  });
  ring.nodes.forEach((b, k) => {
    const cls = c.classes[k];
    const info = data.classes[cls];
    const g = s(
      'g',
      { class: 'node', 'data-class': cls },
      s(
        'title',
        {},
        `${info.name} (${info.kind}, ${plural(info.acquisitions, 'acquisition')}): open in the class explorer`,
      ),
      s('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 5 }),
      s('text', { x: b.x + b.w / 2, y: b.y + b.h / 2 }, shorten(info.name, MAX_NODE_CHARS)),
    );
    onActivate(g, () => explore(cls));
    svg.appendChild(g);
  });
  const edgeList = h(
    'ol',
    { class: 'cycle-edges' },
    ...c.edges.map((id, k) => {
      const e = data.edges[id];
      const row = h(
        'li',
        {},
        h('code', {}, data.classes[e.from].name),
        ' → ',
        h('code', {}, data.classes[e.to].name),
        ' in ',
        h('code', { class: 'fn' }, edgeLabel(data, e)),
      );
      onActivate(row, () => select(k, true));
      rows.push(row);
      return row;
    }),
  );
  return h(
    'article',
    { class: 'cycle-card', 'data-rank': String(rank) },
    h(
      'header',
      {},
      h('h3', {}, `#${rank}`),
      h('code', { class: 'chain-line' }, [...names, names[0]].join(' → ')),
      badges(data, c),
    ),
    h(
      'div',
      { class: 'card-body' },
      h('div', { class: 'ring-wrap' }, svg),
      h('div', { class: 'card-side' }, edgeList, witness),
    ),
  );
}
