/**
 * An order edge explained: where it is created (the function holding the first lock and the
 * line of the call), the calls down to the second lock, and where the first lock was taken.
 */
import type { EdgeData, ReportData, StepData } from '../page-data';
import { clear, h, location, openLocation, plural } from './dom';

/** What the diagrams write on an edge: the function that creates it, or where it comes from. */
export function edgeLabel(data: ReportData, e: EdgeData): string {
  if (e.witness) return data.names[e.witness.fn];
  return e.origin === 'baseline' ? `kernel: ${e.source ?? 'baseline'}` : 'lockdep report';
}

export function edgeTitle(data: ReportData, e: EdgeData): string {
  return `${data.classes[e.from].name} → ${data.classes[e.to].name}`;
}

function origin(e: EdgeData): string {
  const parts = [
    e.origin === 'static'
      ? 'seen in the source'
      : e.origin === 'baseline'
        ? 'kernel baseline order'
        : 'lockdep report only',
  ];
  if (e.origin === 'static') parts.push(`created at ${plural(e.count, 'place')}`);
  if (e.runtime && e.origin === 'static') parts.push('also seen by lockdep at run time');
  if (e.onCycle) parts.push('on a cycle');
  return parts.join(' · ');
}

function stepItem(data: ReportData, [fn, file, line, col, callee]: StepData): HTMLElement {
  return h(
    'li',
    {},
    h('code', {}, data.names[fn]),
    ' calls ',
    h('code', {}, data.names[callee]),
    ' at ',
    location(data, file, line, col),
  );
}

/** Replaces `panel`'s content with edge `id`'s witness; in the editor, also opens its line. */
export function showWitness(data: ReportData, id: number, panel: HTMLElement, open: boolean): void {
  const e = data.edges[id];
  clear(panel);
  panel.appendChild(h('h4', {}, edgeTitle(data, e)));
  panel.appendChild(h('p', { class: 'muted' }, origin(e)));
  const w = e.witness;
  if (!w) {
    panel.appendChild(h('p', {}, e.source ? `From ${e.source}.` : 'No witness in the workspace.'));
    return;
  }
  const from = data.classes[e.from].name;
  const to = data.classes[e.to].name;
  panel.appendChild(
    h(
      'p',
      {},
      h('code', {}, data.names[w.fn]),
      ' takes ',
      h('code', {}, to),
      ' while holding ',
      h('code', {}, from),
      ' at ',
      location(data, w.file, w.line, w.col),
    ),
  );
  if (w.chain.length)
    panel.appendChild(h('ol', { class: 'chain' }, ...w.chain.map((st) => stepItem(data, st))));
  const held = w.held[w.held.length - 1];
  if (held)
    panel.appendChild(
      h(
        'p',
        { class: 'muted' },
        h('code', {}, from),
        ' taken at ',
        location(data, held[1], held[2], held[3]),
        ` in ${data.names[held[0]]}`,
        w.heldEntry ? ` (${w.heldEntry})` : '',
      ),
    );
  else if (w.heldEntry)
    panel.appendChild(h('p', { class: 'muted' }, h('code', {}, from), ` held on entry (${w.heldEntry})`));
  if (open) openLocation(data, w.file, w.line, w.col);
}
