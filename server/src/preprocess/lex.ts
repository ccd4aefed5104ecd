/**
 * The little C lexing the preprocessor passes need: where comments and literals are, the
 * bracket balance of a stretch of code and its first and last significant characters. Works
 * on one line (or part of one) at a time, carrying whether a block comment is open.
 */

export interface CodeShape {
  /** Open minus closed brackets ((, [, {) outside comments and literals. */
  delta: number;
  /** The first significant token (a word, or one character), '' when none. */
  first: string;
  /** The last significant character, '' when none. */
  last: string;
  /** Whether a block comment is still open at the end. */
  inComment: boolean;
}

/**
 * Reads `text[start, end)` as code, starting inside a block comment when `inComment`; the
 * brackets it opens and closes are pushed to and popped from `stack`.
 */
export function codeShape(
  text: string,
  start: number,
  end: number,
  inComment: boolean,
  stack: string[],
): CodeShape {
  let delta = 0;
  let first = '';
  /** Offset of the last significant character (-1: none yet). */
  let last = -1;
  let i = start;
  let comment = inComment;
  const shape = (open: boolean): CodeShape => ({
    delta,
    first,
    last: last < 0 ? '' : text[last],
    inComment: open,
  });
  while (i < end) {
    if (comment) {
      const close = text.indexOf('*/', i);
      if (close < 0 || close + 2 > end) return shape(true);
      i = close + 2;
      comment = false;
      continue;
    }
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x20: // space
      case 0x09: // tab
      case 0x0d: // CR
      case 0x0a: // LF
      case 0x5c: // backslash
        i++;
        continue;
      case 0x2f: // '/'
        if (text[i + 1] === '*') {
          comment = true;
          i += 2;
          continue;
        }
        if (text[i + 1] === '/') return shape(false);
        break;
      case 0x22: // '"'
      case 0x27: // "'"
        if (!first) first = text[i];
        last = i;
        i = literalEnd(text, i, end) + 1;
        continue;
      case 0x28: // (
      case 0x5b: // [
      case 0x7b: // {
        delta++;
        stack.push(text[i]);
        break;
      case 0x29: // )
      case 0x5d: // ]
      case 0x7d: // }
        delta--;
        stack.pop();
        break;
    }
    if (!first) {
      const word = /^[A-Za-z_]\w*/.exec(text.slice(i, Math.min(end, i + 64)));
      first = word
        ? word[0]
        : text.startsWith('&&', i) || text.startsWith('||', i)
          ? text.slice(i, i + 2)
          : text[i];
    }
    last = i;
    i++;
  }
  return shape(comment);
}

/**
 * Whether offset `at` (in `[start, end)`, one line) is code: not inside a comment or a
 * string or character literal.
 */
export function isCodeAt(text: string, start: number, at: number, inComment: boolean): boolean {
  let i = start;
  let comment = inComment;
  while (i < at) {
    if (comment) {
      const close = text.indexOf('*/', i);
      if (close < 0 || close + 2 > at) return false;
      i = close + 2;
      comment = false;
      continue;
    }
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      comment = true;
      i += 2;
    } else if (c === '/' && text[i + 1] === '/') return false;
    else if (c === '"' || c === "'") {
      const close = literalEnd(text, i, text.length);
      if (close >= at) return false;
      i = close + 1;
    } else i++;
  }
  return !comment;
}

/** The offset of the quote closing the literal opened at `start`, or the line's end. */
function literalEnd(text: string, start: number, end: number): number {
  const quote = text[start];
  for (let i = start + 1; i < end; i++) {
    const c = text[i];
    if (c === quote || c === '\n') return i;
    if (c === '\\') i++;
  }
  return end;
}

/** The text without its comments (for directive arguments and macro bodies). */
export function stripComments(text: string): string {
  if (!text.includes('/')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      out += ' ';
      i = close < 0 ? text.length : close + 2;
    } else if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '"' || c === "'") {
      const close = literalEnd(text, i, text.length);
      out += text.slice(i, close + 1);
      i = close + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** What reading a stretch of code carries to the next: an open block comment, the open brackets. */
export interface LexState {
  inComment: boolean;
  /** Open brackets, innermost last; undefined when they are not tracked (only comments are). */
  brackets?: string[];
  /** Open minus closed brackets read so far. */
  delta: number;
}

const TOKENS_RE = /\/\*|\/\/|["'()[\]{}]/g;
const COMMENT_TOKENS_RE = /\/\*|\/\/|["']/g;

/**
 * Reads `text[start, end)` (any number of lines) as code, jumping from one comment, literal or
 * bracket to the next (the regular expression engine finds them; nothing else is looked at).
 */
export function lexRegion(text: string, start: number, end: number, state: LexState): void {
  const re = state.brackets ? TOKENS_RE : COMMENT_TOKENS_RE;
  let i = start;
  while (i < end) {
    if (state.inComment) {
      const close = text.indexOf('*/', i);
      if (close < 0 || close + 2 > end) return;
      state.inComment = false;
      i = close + 2;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || m.index >= end) return;
    const t = m[0];
    i = m.index + t.length;
    switch (t) {
      case '/*':
        state.inComment = true;
        break;
      case '//': {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? end : nl;
        break;
      }
      case '"':
      case "'":
        i = literalEnd(text, m.index, end) + 1;
        break;
      case '(':
      case '[':
      case '{':
        state.brackets!.push(t);
        state.delta++;
        break;
      default:
        state.brackets!.pop();
        state.delta--;
    }
  }
}

/** The first significant token of `text[start, end)` (a word, `&&`/`||`, or a character), '' when none. */
export function firstToken(text: string, start: number, end: number, inComment: boolean): string {
  let lineStart = start;
  let comment = inComment;
  while (lineStart < end) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    const shape = codeShape(text, lineStart, lineEnd, comment, []);
    if (shape.first) return shape.first;
    comment = shape.inComment;
    lineStart = lineEnd + 1;
  }
  return '';
}

/** The last significant character of `text[start, end)`, '' when none (comments are skipped). */
export function lastCharacter(text: string, start: number, end: number): string {
  let lineEnd = end;
  while (lineEnd > start) {
    const lineStart = Math.max(start, text.lastIndexOf('\n', lineEnd - 1) + 1);
    const line = text.slice(lineStart, lineEnd);
    if (line.trim() !== '') {
      // A line inside a block comment that ends here reads as nothing.
      const close = line.lastIndexOf('*/');
      const open = close < 0 ? -1 : text.lastIndexOf('/*', lineStart + close);
      if (close >= 0 && open >= start && open < lineStart + close && line.slice(close + 2).trim() === '') {
        lineEnd = open;
        continue;
      }
      const shape = codeShape(text, lineStart, lineEnd, false, []);
      if (shape.last) return shape.last;
    }
    lineEnd = lineStart - 1;
  }
  return '';
}
