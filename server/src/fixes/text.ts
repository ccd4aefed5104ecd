/**
 * Plain-text plumbing for fixes: 0-based line/column ranges (UTF-16 columns, as tree-sitter and
 * LSP count them) to string offsets and back, whole-line spans, and applying edits.
 */
import type { Range } from '../analysis/ir';

export interface TextEdit {
  range: Range;
  newText: string;
}

/** Line starts of one text, so positions and offsets convert without rescanning. */
export class LineIndex {
  private readonly starts: number[] = [0];
  /** The file's own line ending: inserted lines use it so CRLF files stay CRLF. */
  readonly eol: string;

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    this.eol = /\r\n/.test(text) ? '\r\n' : '\n';
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineStart(line: number): number {
    return this.starts[Math.min(Math.max(line, 0), this.starts.length - 1)];
  }

  /** Offset of the line's end, before its `\r\n` or `\n`. */
  lineEnd(line: number): number {
    let end = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    if (end > this.lineStart(line) && this.text[end - 1] === '\r') end--;
    return end;
  }

  /** Offset just past the line's terminator (the next line's start, or the end of the text). */
  lineNext(line: number): number {
    return line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }

  /** Leading blanks of a line. */
  indentOf(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))![0];
  }

  offsetAt(line: number, col: number): number {
    return Math.min(this.lineStart(line) + col, this.text.length);
  }

  positionAt(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, col: offset - this.starts[lo] };
  }

  range(start: number, end: number): Range {
    const a = this.positionAt(start);
    const b = this.positionAt(end);
    return { line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  }

  /** An edit replacing text[start, end). */
  edit(start: number, end: number, newText: string): TextEdit {
    return { range: this.range(start, end), newText };
  }
}

/** A comment after a statement that travels with it when the statement's lines move. */
const TRAILER_RE = /^[ \t]*(?:\/\*(?:[^*]|\*(?!\/))*\*\/[ \t]*|\/\/.*)?$/;

/**
 * The span of whole lines holding exactly [start, end) (plus blanks and one trailing comment),
 * from the first line's start to just past the last line's terminator; undefined when anything
 * else shares those lines, because moving them would drag that code along.
 */
export function wholeLines(
  lines: LineIndex,
  start: number,
  end: number,
): { from: number; to: number } | undefined {
  const first = lines.positionAt(start).line;
  const last = lines.positionAt(end).line;
  const before = lines.text.slice(lines.lineStart(first), start);
  const after = lines.text.slice(end, lines.lineEnd(last));
  if (!/^[ \t]*$/.test(before) || !TRAILER_RE.test(after)) return undefined;
  return { from: lines.lineStart(first), to: lines.lineNext(last) };
}

/** Text of a whole-line span, terminated with the file's line ending even at end of file. */
export function spanText(lines: LineIndex, span: { from: number; to: number }): string {
  const text = lines.text.slice(span.from, span.to);
  return /\n$/.test(text) ? text : text + lines.eol;
}

function compare(a: Range, b: Range): number {
  return a.line - b.line || a.col - b.col || a.endLine - b.endLine || a.endCol - b.endCol;
}

/** Whether two edits touch the same text (two insertions at one point count: their order is ambiguous). */
export function overlaps(a: TextEdit, b: TextEdit): boolean {
  const [x, y] = compare(a.range, b.range) <= 0 ? [a, b] : [b, a];
  const xEnd = { line: x.range.endLine, col: x.range.endCol };
  const yStart = { line: y.range.line, col: y.range.col };
  if (xEnd.line !== yStart.line) return xEnd.line > yStart.line;
  if (xEnd.col !== yStart.col) return xEnd.col > yStart.col;
  // Touching ends are fine unless both are insertions at the same point.
  return (
    compare(x.range, y.range) === 0 && x.range.line === x.range.endLine && x.range.col === x.range.endCol
  );
}

/** Applies non-overlapping edits (positions refer to the original text), as an editor would. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = new LineIndex(text);
  const sorted = [...edits].sort((a, b) => compare(a.range, b.range));
  for (let i = 1; i < sorted.length; i++) {
    if (overlaps(sorted[i - 1], sorted[i])) throw new Error('overlapping edits');
  }
  let out = text;
  for (const e of sorted.reverse()) {
    const start = lines.offsetAt(e.range.line, e.range.col);
    const end = lines.offsetAt(e.range.endLine, e.range.endCol);
    out = out.slice(0, start) + e.newText + out.slice(end);
  }
  return out;
}

/**
 * The start of the line after the one where `end` falls, when only blanks or a comment follow
 * `end` on its line: the place to insert a statement that goes right after the one ending there.
 */
export function lineAfter(lines: LineIndex, end: number): number | undefined {
  const line = lines.positionAt(end).line;
  if (!TRAILER_RE.test(lines.text.slice(end, lines.lineEnd(line)))) return undefined;
  return lines.lineNext(line);
}
