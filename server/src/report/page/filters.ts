/**
 * The filter bar: rule, severity, confidence, directory and text. The findings and the cycles
 * follow it (`apply` says how many of each pass); the per-rule table's counts set it.
 */
import {
  CONFIDENCES,
  type Filter,
  NO_FILTER,
  type ReportData,
  SEVERITY_NAMES,
  directories,
} from '../page-data';
import { h, plural } from './dom';

export interface FilterBar {
  set(change: Partial<Filter>): void;
}

export function filterBar(
  data: ReportData,
  root: HTMLElement,
  apply: (f: Filter) => { findings: number; cycles: number },
): FilterBar {
  const count = (test: (f: ReportData['findings'][number]) => boolean) => data.findings.filter(test).length;
  const select = (id: string, label: string, options: [value: string, text: string][]) =>
    h(
      'select',
      { id, 'aria-label': label },
      h('option', { value: '' }, `${label}: all`),
      ...options.map(([value, text]) => h('option', { value }, text)),
    );
  const rule = select(
    'filter-rule',
    'Rule',
    data.rules.map((r) => [r.id, `${r.id} (${count((f) => f.rule === r.id)})`]),
  );
  const severity = select(
    'filter-severity',
    'Severity',
    SEVERITY_NAMES.map((sv) => [sv, `${sv} (${count((f) => f.severity === sv)})`]),
  );
  const unrated = count((f) => !f.confidence);
  const confidence = select('filter-confidence', 'Confidence', [
    ...CONFIDENCES.map((c): [string, string] => [c, `${c} (${count((f) => f.confidence === c)})`]),
    ['none', `not rated (${unrated})`],
  ]);
  if (unrated === data.findings.length) confidence.title = 'These findings carry no confidence.';
  const dir = select(
    'filter-dir',
    'Directory',
    directories(data).map((d) => [
      d.dir,
      `${'\u2003'.repeat(d.dir.split('/').length - 1)}${d.dir.split('/').pop()}/ (${d.findings})`,
    ]),
  );
  const text = h('input', {
    type: 'search',
    id: 'filter-text',
    placeholder: 'Function, path, class or text',
    'aria-label': 'Text',
  });
  const reset = h('button', { type: 'button' }, 'Reset');
  const status = h('span', { class: 'muted', id: 'filter-status' });
  root.append(rule, severity, confidence, dir, text, reset, status);

  const current = (): Filter => ({
    rule: rule.value,
    severity: severity.value,
    confidence: confidence.value,
    dir: dir.value,
    text: text.value.trim(),
  });
  const changed = () => {
    const shown = apply(current());
    status.textContent =
      `Showing ${shown.findings.toLocaleString('en-US')} of ${plural(data.findings.length, 'finding')}, ` +
      `${shown.cycles.toLocaleString('en-US')} of ${plural(data.cycles.length, 'cycle')}.`;
  };
  for (const el of [rule, severity, confidence, dir]) el.addEventListener('change', changed);
  text.addEventListener('input', changed);
  reset.addEventListener('click', () => set(NO_FILTER));
  const set = (change: Partial<Filter>) => {
    const next = { ...current(), ...change };
    rule.value = next.rule;
    severity.value = next.severity;
    confidence.value = next.confidence;
    dir.value = next.dir;
    text.value = next.text;
    changed();
  };
  return { set };
}
