/**
 * The findings that pass the filters, a page at a time: severity, rule, confidence, the place
 * and function, the message's first line, and the rest (the chain, the related places) folded.
 */
import { type Filter, type FindingData, type ReportData, findingMatches } from '../page-data';
import { h, location, pagedList, plural } from './dom';

const PAGE = 100;

export interface FindingsView {
  update(filter: Filter): number;
}

export function findingsSection(data: ReportData, root: HTMLElement): FindingsView {
  const pages = pagedList<FindingData>(root, h('ol', { class: 'findings' }), PAGE, (f) => item(data, f));
  return {
    update(filter) {
      const shown = data.findings.filter((f) => findingMatches(data, f, filter));
      pages.summary.textContent = data.findings.length
        ? `${shown.length.toLocaleString('en-US')} of ${plural(data.findings.length, 'finding')}, errors first.`
        : 'No findings.';
      pages.show(shown);
      return shown.length;
    },
  };
}

function item(data: ReportData, f: FindingData): HTMLElement {
  const [first, ...rest] = f.message.split('\n');
  const head = h(
    'div',
    { class: 'finding-head' },
    h('span', { class: `sev sev-${f.severity}` }, f.severity),
    ' ',
    h('code', { class: 'rule' }, f.rule),
    ' ',
    f.confidence ? h('span', { class: `badge conf-${f.confidence}` }, f.confidence) : undefined,
    ' ',
    location(data, f.file, f.line, f.col, true),
    f.fn ? ' in ' : '',
    f.fn ? h('code', {}, f.fn) : undefined,
  );
  const details =
    rest.length || f.related.length
      ? h(
          'details',
          {},
          h('summary', {}, first),
          rest.length ? h('pre', {}, rest.join('\n')) : undefined,
          f.related.length
            ? h(
                'ul',
                { class: 'related' },
                ...f.related.map((r) =>
                  h('li', {}, location(data, r.file, r.line, r.col, true), ' ', r.message),
                ),
              )
            : undefined,
        )
      : h('p', { class: 'msg' }, first);
  return h('li', { class: `finding sev-${f.severity}` }, head, details);
}
