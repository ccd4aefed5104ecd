/**
 * The class explorer: search or pick a lock class and see the classes held when it is taken
 * (left) and those taken while it is held (right), one hop out or two, with how many places
 * create each order and the witness of each edge. Replaces the whole-graph drawing, which is
 * unreadable at a driver's size.
 */
import { columnsLayout, NODE_HEIGHT, shorten } from '../geometry';
import {
  type Adjacency,
  type Neighbourhood,
  type ReportData,
  type RingClass,
  type UsageData,
  compareText,
  neighbourhood,
} from '../page-data';
import { clear, h, location, onActivate, plural, s } from './dom';
import { edgeLabel, showWitness } from './witness';

/** Classes drawn per column; the tables below list them all. */
const COLUMN_MAX = 25;
/** Shorter names than in the rings: up to five columns side by side. */
const NAME_CHARS = 30;
const LIST_MAX = 12;
const TABLE_MAX = 100;

export interface ExplorerView {
  show(cls: number): void;
}

export function explorerSection(data: ReportData, adj: Adjacency, root: HTMLElement): ExplorerView {
  const degree = (c: number) => adj.incoming[c].length + adj.outgoing[c].length;
  const search = h('input', {
    type: 'search',
    id: 'class-search',
    placeholder: `Search ${plural(data.classes.length, 'lock class', 'lock classes')}`,
    'aria-label': 'Search a lock class',
    autocomplete: 'off',
  });
  const twoHops = h('input', { type: 'checkbox', id: 'two-hops' });
  const list = h('div', { class: 'class-list' });
  const view = h('div', { class: 'neighbourhood', id: 'neighbourhood' });
  root.append(
    h('div', { class: 'explorer-controls' }, search, h('label', {}, twoHops, ' two hops')),
    h('div', { class: 'explorer-body' }, list, view),
  );
  let current = -1;

  const renderList = () => {
    const needle = search.value.trim().toLowerCase();
    const hits = data.classes
      .map((c, i) => ({ c, i, at: needle ? c.name.toLowerCase().indexOf(needle) : 0 }))
      .filter((x) => x.at >= 0)
      .sort(
        (a, b) =>
          Number(a.at !== 0) - Number(b.at !== 0) ||
          Number(b.c.onCycle) - Number(a.c.onCycle) ||
          degree(b.i) - degree(a.i) ||
          compareText(a.c.name, b.c.name),
      );
    clear(list);
    const rows = hits.slice(0, LIST_MAX).map(({ c, i }) => {
      const row = h(
        'tr',
        { class: i === current ? 'sel' : undefined, 'data-class': String(i) },
        h(
          'td',
          { title: `${c.kind}, ${plural(c.acquisitions, 'acquisition')}` },
          h('code', { class: c.onCycle ? 'on-cycle' : undefined }, c.name),
        ),
        h('td', { class: 'num', title: 'classes held when it is taken' }, String(adj.incoming[i].length)),
        h('td', { class: 'num', title: 'classes taken while it is held' }, String(adj.outgoing[i].length)),
      );
      onActivate(row, () => show(i));
      return row;
    });
    list.append(
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Class'),
            h('th', { title: 'classes held when it is taken' }, 'In'),
            h('th', { title: 'classes taken while it is held' }, 'Out'),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
      h(
        'p',
        { class: 'muted' },
        hits.length > LIST_MAX
          ? `${hits.length - LIST_MAX} more match; type to narrow.`
          : hits.length
            ? ''
            : 'No class matches.',
      ),
    );
  };

  const show = (cls: number) => {
    current = cls;
    renderList();
    renderNeighbourhood(data, adj, view, neighbourhood(data, adj, cls, twoHops.checked ? 2 : 1), show);
  };

  search.addEventListener('input', renderList);
  search.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const first = list.querySelector('tr[data-class]');
    if (first) show(Number(first.getAttribute('data-class')));
  });
  twoHops.addEventListener('change', () => current >= 0 && show(current));

  const first =
    data.cycles[0]?.classes[0] ?? data.classes.map((_, i) => i).sort((a, b) => degree(b) - degree(a))[0];
  if (first !== undefined && degree(first) > 0) show(first);
  else {
    renderList();
    view.appendChild(h('p', { class: 'muted' }, 'No lock-order edges.'));
  }
  return { show };
}

function renderNeighbourhood(
  data: ReportData,
  adj: Adjacency,
  view: HTMLElement,
  n: Neighbourhood,
  show: (cls: number) => void,
): void {
  clear(view);
  const c = data.classes[n.center];
  const witness = h(
    'div',
    { class: 'witness' },
    h('p', { class: 'muted' }, 'Click an edge or a table row for its witness.'),
  );
  const edgeNodes = new Map<number, SVGGElement>();
  const rows = new Map<number, HTMLElement>();
  const select = (id: number) => {
    for (const [k, g] of edgeNodes) {
      g.classList.toggle('sel', k === id);
      g.querySelector('.line')?.setAttribute(
        'marker-end',
        k === id ? 'url(#ls-arrow-sel)' : data.edges[k].onCycle ? 'url(#ls-arrow-cycle)' : 'url(#ls-arrow)',
      );
    }
    for (const [k, r] of rows) r.classList.toggle('sel', k === id);
    // the witness only: the explorer is for browsing, its location links open the editor
    showWitness(data, id, witness, false);
  };
  view.append(
    h('h3', {}, h('code', { class: c.onCycle ? 'on-cycle' : undefined }, c.name)),
    h(
      'p',
      { class: 'muted' },
      `${c.kind} · ${plural(c.acquisitions, 'acquisition')} · held when ${plural(adj.incoming[n.center].length, 'class', 'classes')} ` +
        `${adj.incoming[n.center].length === 1 ? 'is' : 'are'} taken before it · ${plural(adj.outgoing[n.center].length, 'class', 'classes')} taken while it is held` +
        (c.onCycle ? ' · on a cycle' : ''),
    ),
    ...usageList(data, n.center),
    diagram(data, n, select, show, edgeNodes),
    h(
      'div',
      { class: 'edge-tables' },
      edgeTable(
        data,
        `Held when it is taken (${adj.incoming[n.center].length})`,
        adj.incoming[n.center],
        'from',
        select,
        show,
        rows,
      ),
      edgeTable(
        data,
        `Taken while it is held (${adj.outgoing[n.center].length})`,
        adj.outgoing[n.center],
        'to',
        select,
        show,
        rows,
      ),
    ),
    witness,
  );
}

/**
 * Lockdep's usage states of the class: per state, the roots it is reached from ("taken in
 * hardirq: foo_isr"), each with its chain down to the lock call (which opens the line).
 */
function usageList(data: ReportData, cls: number): HTMLElement[] {
  const usage = data.classes[cls].usage;
  if (!usage?.length) return [];
  const byState = new Map<string, UsageData[]>();
  for (const u of usage) byState.set(u.text, [...(byState.get(u.text) ?? []), u]);
  return [
    h(
      'ul',
      { class: 'usage' },
      ...[...byState].map(([text, uses]) =>
        h(
          'li',
          {},
          `${text} {${[...new Set(uses.map((u) => u.label))].join(', ')}}: `,
          ...uses.flatMap((u, i) => {
            const [, file, line, col] = u.chain[u.chain.length - 1];
            const steps = u.chain.map(([fn, , , , callee]) => `${data.names[fn]} → ${data.names[callee]}`);
            return [
              ...(i ? [', '] : []),
              h('code', { title: steps.join('\n') }, data.names[u.root]),
              ' (',
              location(data, file, line, col),
              ')',
            ];
          }),
        ),
      ),
    ),
  ];
}

/** Columns: two hops before, one hop before, the class, one hop after, two hops after. */
function diagram(
  data: ReportData,
  n: Neighbourhood,
  select: (edge: number) => void,
  show: (cls: number) => void,
  edgeNodes: Map<number, SVGGElement>,
): SVGSVGElement {
  const rings: RingClass[][] = [...[...n.before].reverse(), [{ cls: n.center, weight: 0 }], ...n.after];
  const centreColumn = n.before.length;
  const columns = rings.map((r) => r.slice(0, COLUMN_MAX));
  const labels = columns.map((col) => col.map((r) => shorten(data.classes[r.cls].name, NAME_CHARS)));
  const layout = columnsLayout(labels, 6);
  const hidden = rings.map((r) => r.length - COLUMN_MAX);
  const extra = hidden.some((k) => k > 0) ? NODE_HEIGHT : 0;
  const svg = s('svg', {
    class: 'columns',
    width: layout.width,
    height: layout.height + extra,
    viewBox: `0 0 ${layout.width} ${layout.height + extra}`,
    role: 'img',
    'aria-label': `Neighbourhood of ${data.classes[n.center].name}`,
  });
  // Where each drawn class is, per column (a class on both sides is drawn twice). Every edge
  // goes from a column to the next on the right: towards the centre, then away from it.
  const at = columns.map((col, i) => new Map(col.map((r, j) => [r.cls, layout.columns[i][j]])));
  for (const id of n.edges) {
    const e = data.edges[id];
    for (let i = 0; i + 1 < columns.length; i++) {
      const a = at[i].get(e.from);
      const b = at[i + 1].get(e.to);
      if (!a || !b) continue;
      const x1 = a.x + a.w;
      const y1 = a.y + a.h / 2;
      const x2 = b.x;
      const y2 = b.y + b.h / 2;
      const mx = (x1 + x2) / 2;
      const d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      const g = s(
        'g',
        {
          class: ['edge', e.onCycle ? 'cycle' : '', e.origin === 'static' ? '' : 'dashed']
            .filter(Boolean)
            .join(' '),
          'data-edge': id,
        },
        s(
          'title',
          {},
          `${data.classes[e.from].name} → ${data.classes[e.to].name}\n${edgeLabel(data, e)} · ${plural(e.count, 'place')}`,
        ),
        s('path', { class: 'hit', d }),
        s('path', { class: 'line', d, 'marker-end': e.onCycle ? 'url(#ls-arrow-cycle)' : 'url(#ls-arrow)' }),
      );
      onActivate(g, () => select(id));
      edgeNodes.set(id, g);
      svg.appendChild(g);
    }
  }
  columns.forEach((col, i) =>
    col.forEach((r, j) => {
      const b = layout.columns[i][j];
      const info = data.classes[r.cls];
      const centre = i === centreColumn;
      const g = s(
        'g',
        {
          class: ['node', info.onCycle ? 'cycle' : '', centre ? 'centre' : ''].filter(Boolean).join(' '),
          'data-class': r.cls,
        },
        s(
          'title',
          {},
          centre
            ? `${info.name} (${info.kind})`
            : `${info.name} (${info.kind}): ${plural(r.weight, 'place')} order it; click to explore it`,
        ),
        s('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 5 }),
        s('text', { x: b.x + 10, y: b.y + b.h / 2, class: 'start' }, labels[i][j]),
        centre
          ? undefined
          : s('text', { x: b.x + b.w - 8, y: b.y + b.h / 2, class: 'count' }, String(r.weight)),
      );
      if (!centre) onActivate(g, () => show(r.cls));
      svg.appendChild(g);
    }),
  );
  hidden.forEach((k, i) => {
    if (k <= 0) return;
    const last = layout.columns[i][layout.columns[i].length - 1];
    svg.appendChild(
      s('text', { x: last.x + 10, y: last.y + last.h + 18, class: 'start more' }, `+ ${k} more`),
    );
  });
  return svg;
}

function edgeTable(
  data: ReportData,
  title: string,
  ids: number[],
  side: 'from' | 'to',
  select: (edge: number) => void,
  show: (cls: number) => void,
  rows: Map<number, HTMLElement>,
): HTMLElement {
  const sorted = [...ids].sort(
    (a, b) =>
      data.edges[b].count - data.edges[a].count ||
      compareText(data.classes[data.edges[a][side]].name, data.classes[data.edges[b][side]].name),
  );
  const body = sorted.slice(0, TABLE_MAX).map((id) => {
    const e = data.edges[id];
    const other = e[side];
    const name = h(
      'code',
      { class: data.classes[other].onCycle ? 'on-cycle link' : 'link', title: 'Explore this class' },
      data.classes[other].name,
    );
    name.addEventListener('click', (ev) => {
      ev.stopPropagation();
      show(other);
    });
    const w = e.witness;
    const row = h(
      'tr',
      { 'data-edge': String(id) },
      h('td', {}, name, e.onCycle ? h('span', { class: 'badge cycle' }, 'cycle') : undefined),
      h('td', { class: 'num' }, String(e.count)),
      h('td', {}, h('code', { class: 'fn' }, edgeLabel(data, e))),
      h('td', {}, w ? location(data, w.file, w.line, w.col) : e.origin),
    );
    onActivate(row, () => select(id));
    rows.set(id, row);
    return row;
  });
  return h(
    'div',
    {},
    h('h4', {}, title),
    ids.length
      ? h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Class'),
              h('th', { title: 'places that create this order' }, 'Count'),
              h('th', {}, 'Created in'),
              h('th', {}, 'Witness'),
            ),
          ),
          h('tbody', {}, ...body),
        )
      : h('p', { class: 'muted' }, 'None.'),
    sorted.length > TABLE_MAX
      ? h('p', { class: 'muted' }, `${sorted.length - TABLE_MAX} more not listed.`)
      : undefined,
  );
}
