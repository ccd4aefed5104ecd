/**
 * A finding as an auditor reads it: its header, the whole message, then the source around the
 * finding's line and around each related location (held locks' acquisitions, the steps of the
 * call chain, a cycle's other edges), down to the line that decides the verdict.
 */
import type { Range } from '../../server/src/analysis/ir';
import type { Diagnostic } from '../../server/src/engine/engine';
import type { Label } from './labels';

/** Lines of source shown above and below each place. */
export const CONTEXT_LINES = 3;

/** The text of a file of the tree (undefined when it cannot be read). */
export type SourceOf = (file: string) => string | undefined;

export function formatFinding(
  d: Diagnostic,
  position: string,
  source: SourceOf,
  label: Label | undefined,
): string {
  const out: string[] = [];
  out.push(
    `=== ${position}  ${d.severity} [${d.rule}]  ${d.file}:${d.range.line + 1}:${d.range.col + 1}  ${d.function}()`,
  );
  out.push(`    fingerprint ${d.fingerprint}`);
  out.push(
    label
      ? `    audited ${label.verdict}: ${label.reason} (decisive: ${label.decisiveLine})`
      : '    not audited yet',
  );
  out.push('', ...d.message.split('\n').map((l) => `    ${l}`), '');
  out.push(...excerpt(d.file, d.range, 'the finding', source));
  d.related.forEach((r, i) => {
    out.push(...excerpt(r.file, r.range, `${i + 1}/${d.related.length}: ${r.message}`, source));
  });
  return out.join('\n') + '\n';
}

/** `CONTEXT_LINES` around the range's first line, numbered, the line itself marked. */
function excerpt(file: string, range: Range, title: string, source: SourceOf): string[] {
  const out = [`  --- ${file}:${range.line + 1}  ${title}`];
  const text = source(file);
  if (text === undefined) return [...out, '      (source not readable)', ''];
  const lines = text.split('\n');
  const from = Math.max(0, range.line - CONTEXT_LINES);
  const to = Math.min(lines.length - 1, range.line + CONTEXT_LINES);
  const width = String(to + 1).length;
  for (let l = from; l <= to; l++) {
    const mark = l === range.line ? '>' : ' ';
    out.push(`  ${mark} ${String(l + 1).padStart(width)} | ${lines[l].replace(/\t/g, '    ')}`);
  }
  out.push('');
  return out;
}
