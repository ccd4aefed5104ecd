/**
 * Suppression for any diagnostic: `/* lockscope-ignore: <rule> TODO: why this is safe *\/` on its
 * own line above, indented like the diagnostic's line. The engine honours a comment on the line
 * or the line above, so when the line above already carries one, the rule joins its list instead:
 * a new line in between would push that comment out of reach of the line it covers.
 */
import type { Fix, FixContext } from './types';

const IGNORE_RE = /lockscope-ignore:\s*([\w-]+(?:\s*,\s*[\w-]+)*)/;
export const SUPPRESS_REASON = 'TODO: why this is safe';

export function suppressFix(ctx: FixContext): Fix | undefined {
  const { diag, lines } = ctx;
  const line = diag.range.line;
  if (line >= lines.lineCount) return undefined;
  const above = line > 0 ? lines.lineText(line - 1) : '';
  // Inside a multi-line macro a line without a trailing backslash would end the definition.
  if (/\\\s*$/.test(above)) return undefined;
  const title = `Suppress ${diag.rule} on this line`;
  const m = IGNORE_RE.exec(above);
  if (m) {
    if (m[1].split(/\s*,\s*/).includes(diag.rule)) return undefined;
    const at = lines.lineStart(line - 1) + m.index + m[0].length;
    return {
      title,
      kind: 'quickfix',
      safe: false,
      edits: [lines.edit(at, at, `, ${diag.rule}`)],
      rule: diag.rule,
    };
  }
  const start = lines.lineStart(line);
  const comment = `${lines.indentOf(line)}/* lockscope-ignore: ${diag.rule} ${SUPPRESS_REASON} */${lines.eol}`;
  return {
    title,
    kind: 'quickfix',
    safe: false,
    edits: [lines.edit(start, start, comment)],
    rule: diag.rule,
  };
}
