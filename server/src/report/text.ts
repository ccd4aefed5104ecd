/**
 * The CLI's text format: `file:line:col: severity [rule] message`, continuation lines of the
 * message and the related locations indented below it, compiler style.
 */
import type { Diagnostic } from '../engine/engine';

export function formatText(diagnostics: Diagnostic[]): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    const [first, ...rest] = d.message.split('\n');
    out.push(`${d.file}:${d.range.line + 1}:${d.range.col + 1}: ${d.severity} [${d.rule}] ${first}`);
    for (const line of rest) out.push(`    ${line}`);
    if (d.confidence !== 'high')
      out.push(
        `    ${d.confidence} confidence: ${d.confidenceReasons?.join('; ') ?? 'see the related locations'}`,
      );
    for (const r of d.related)
      out.push(`    ${r.file}:${r.range.line + 1}:${r.range.col + 1}: note: ${r.message}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export function formatSummary(
  diagnostics: Diagnostic[],
  files: number,
  parseMs: number,
  analyzeMs: number,
): string {
  const counts = new Map<string, number>();
  for (const d of diagnostics) counts.set(d.severity, (counts.get(d.severity) ?? 0) + 1);
  const parts = ['error', 'warning', 'information', 'hint'].map((s) => `${counts.get(s) ?? 0} ${s}`);
  return `${parts.join(', ')} in ${files} files (parse ${Math.round(parseMs)} ms, analysis ${Math.round(analyzeMs)} ms)`;
}
