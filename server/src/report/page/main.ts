/**
 * The report page's script: reads the data block and fills the cycles, the class explorer and
 * the findings, and keeps them in step with the filter bar and the per-rule table.
 */
import { type Filter, NO_FILTER, type ReportData, adjacency } from '../page-data';
import { cyclesSection } from './cycles';
import { explorerSection } from './explorer';
import { filterBar } from './filters';
import { findingsSection } from './findings';

function start(): void {
  const block = document.getElementById('lockscope-data');
  const need = (id: string) => document.getElementById(id) as HTMLElement;
  if (!block) return;
  const data = JSON.parse(block.textContent ?? '{}') as ReportData;
  const explorer = explorerSection(data, adjacency(data), need('explorer-body'));
  const explore = (cls: number) => {
    explorer.show(cls);
    need('explorer').scrollIntoView({ block: 'start' });
  };
  const cycles = cyclesSection(data, need('cycles-body'), explore);
  const findings = findingsSection(data, need('findings-body'));
  const bar = filterBar(data, need('filter-bar'), (f: Filter) => ({
    findings: findings.update(f),
    cycles: cycles.update(f),
  }));
  bar.set(NO_FILTER);
  // the per-rule table: a count shows those findings
  document.querySelectorAll<HTMLElement>('a[data-rule]').forEach((a) =>
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      bar.set({ ...NO_FILTER, rule: a.dataset.rule ?? '', severity: a.dataset.severity ?? '' });
      need('findings').scrollIntoView({ block: 'start' });
    }),
  );
  document.documentElement.classList.add('ready');
}

start();
