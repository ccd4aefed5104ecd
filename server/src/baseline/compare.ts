/**
 * A scan against a findings baseline: which findings are new, which the baseline already had,
 * and which of the baseline's are gone. Findings match by fingerprint (baseline/fingerprint.ts),
 * each baseline finding matching at most one current finding.
 */
import type { Diagnostic } from '../engine/engine';
import type { ResultSource } from '../report/sarif';
import type { Baseline } from './read';

export interface BaselineComparison {
  file: string;
  /** Not in the baseline: what a CI job reports and fails on. */
  fresh: Diagnostic[];
  unchanged: Diagnostic[];
  /** In the baseline, not found any more. */
  absent: ResultSource[];
}

export function compareWithBaseline(current: readonly Diagnostic[], baseline: Baseline): BaselineComparison {
  const left = countPrints(baseline.findings);
  const fresh: Diagnostic[] = [];
  const unchanged: Diagnostic[] = [];
  for (const d of current) {
    const n = left.get(d.fingerprint) ?? 0;
    if (n > 0) {
      left.set(d.fingerprint, n - 1);
      unchanged.push(d);
    } else fresh.push(d);
  }
  const absent = baseline.findings.filter((b) => {
    const n = left.get(b.fingerprint) ?? 0;
    if (n === 0) return false;
    left.set(b.fingerprint, n - 1);
    return true;
  });
  return { file: baseline.file, fresh, unchanged, absent };
}

function countPrints(findings: readonly { fingerprint: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.fingerprint, (counts.get(f.fingerprint) ?? 0) + 1);
  return counts;
}
