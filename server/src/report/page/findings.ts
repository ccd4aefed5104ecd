/**
 * The findings that pass the filters, a page at a time: severity, rule, confidence, the place
 * and function, the message's first line, and the rest (the chain, the related places) folded.
 */
import { type Filter, type FindingData, type ReportData, findingMatches } from '../page-data';
import { clear, h, location, plural } from './dom';

const PAGE = 100;

export interface FindingsView {
  update(filter: Filter): number;
}

export function findingsSection(data: ReportData, root: HTMLElement): FindingsView {
  const summary = h('p', { class: 'muted' });
  const list = h('ol', { class: 'findings' });
  const more = h('button', { type: 'button', class: 'more' });
  root.append(summary, list, more);
  let shown: FindingData[] = [];
  let count = 0;
  const showMore = () => {
    const next = shown.slice(count, count + PAGE);
    for (const f of next) list.appendChild(item(data, f));
    count += next.length;
    more.hidden = count >= shown.length;
    more.textContent = `Show ${Math.min(PAGE, shown.length - count)} more of ${(shown.length - count).toLocaleString('en-US')}`;
  };
  more.addEventListener('click', showMore);
  return {
    update(filter) {
      shown = data.findings.filter((f) => findingMatches(data, f, filter));
      count = 0;
      clear(list);
      summary.textContent = data.findings.length
        ? `${shown.length.toLocaleString('en-US')} of ${plural(data.findings.length, 'finding')}, errors first.`
        : 'No findings.';
      showMore();
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
