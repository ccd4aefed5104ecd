/**
 * Audited verdicts (test/precision/labels.json) and the check that keeps them: a finding audited
 * false must stay gone, one audited true must stay. A label finds its finding by fingerprint
 * when the fingerprint is still there, else by (file, function, rule).
 */
import * as fs from 'node:fs';

export type Verdict = 'true' | 'false';

export interface Label {
  /** The tree the finding is in (`--tree`, by default the scanned folder's name). */
  tree: string;
  /** Relative to the tree's root, as the scan prints it. */
  file: string;
  function: string;
  rule: string;
  fingerprint?: string;
  verdict: Verdict;
  /** Why: what the code does on the path the finding names. */
  reason: string;
  /** The line that decides the verdict, as `file:line: code`. */
  decisiveLine: string;
}

/** What a label is checked against: one error or warning of the scan. */
export interface Reported {
  file: string;
  function: string;
  rule: string;
  fingerprint: string;
}

export interface LabelResult {
  label: Label;
  /** How the finding was found again, or undefined when it is not reported. */
  match?: 'fingerprint' | 'file/function/rule';
  pass: boolean;
}

const FIELDS = ['tree', 'file', 'function', 'rule', 'reason', 'decisiveLine'] as const;

/** Labels from parsed JSON (`{ "labels": [...] }`), with one error per misshapen label. */
export function parseLabels(value: unknown): { labels: Label[]; errors: string[] } {
  const errors: string[] = [];
  const list = isObj(value) ? value.labels : undefined;
  if (!Array.isArray(list)) return { labels: [], errors: ['expected { "labels": [ ... ] }'] };
  const labels: Label[] = [];
  list.forEach((v, i) => {
    const problem = labelProblem(v);
    if (problem) errors.push(`label ${i + 1}: ${problem}`);
    else labels.push(v as Label);
  });
  return { labels, errors };
}

function labelProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  for (const f of FIELDS) if (typeof v[f] !== 'string' || !v[f]) return `"${f}" must be a non-empty string`;
  if (v.verdict !== 'true' && v.verdict !== 'false') return '"verdict" must be "true" or "false"';
  if (v.fingerprint !== undefined && typeof v.fingerprint !== 'string')
    return '"fingerprint" must be a string';
  return undefined;
}

export function loadLabels(file: string): { labels: Label[]; errors: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { labels: [], errors: [`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`] };
  }
  try {
    return parseLabels(JSON.parse(text));
  } catch (e) {
    return { labels: [], errors: [`${file} is not valid JSON: ${(e as Error).message}`] };
  }
}

/** The labels of `tree` against the scan's errors and warnings; the other trees' are counted. */
export function checkLabels(
  labels: readonly Label[],
  tree: string,
  reported: readonly Reported[],
): { results: LabelResult[]; otherTrees: number } {
  const prints = new Set(reported.map((r) => r.fingerprint));
  const places = new Set(reported.map(placeKey));
  const results: LabelResult[] = [];
  let otherTrees = 0;
  for (const label of labels) {
    if (label.tree !== tree) {
      otherTrees++;
      continue;
    }
    const match =
      label.fingerprint && prints.has(label.fingerprint)
        ? 'fingerprint'
        : places.has(placeKey(label))
          ? 'file/function/rule'
          : undefined;
    results.push({
      label,
      match,
      pass: label.verdict === 'true' ? match !== undefined : match === undefined,
    });
  }
  return { results, otherTrees };
}

/** The label of a reported finding, if one was audited (for the audit printout). */
export function labelOf(labels: readonly Label[], tree: string, r: Reported): Label | undefined {
  const mine = labels.filter((l) => l.tree === tree);
  return mine.find((l) => l.fingerprint === r.fingerprint) ?? mine.find((l) => placeKey(l) === placeKey(r));
}

/** The pass/fail table: one row per label. */
export function formatLabelTable(results: readonly LabelResult[]): string {
  const rows = results.map((r) => [
    r.pass ? 'pass' : 'FAIL',
    r.label.verdict === 'true' ? 'true (must stay)' : 'false (must stay gone)',
    r.match ? `reported (${r.match})` : 'not reported',
    r.label.rule,
    `${r.label.file} ${r.label.function}()`,
  ]);
  const head = ['result', 'verdict', 'now', 'rule', 'where'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

function placeKey(r: { file: string; function: string; rule: string }): string {
  return `${r.file}\u0000${r.function}\u0000${r.rule}`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
