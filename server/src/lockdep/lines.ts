/**
 * Turns pasted kernel log text into clean logical lines. Reports reach us through dmesg, syslog,
 * serial consoles and mail archives, so the same report line can carry printk timestamps, log
 * levels, syslog prefixes and any depth of `> ` quoting, and web archives sometimes join a whole
 * mail into one line. Everything after this module sees only the printk message text.
 */

export interface LogLine {
  /** Message text, trimmed, whitespace runs collapsed, stray quote markers dropped; '' if blank. */
  text: string;
  /** The message before trimming and collapsing: its columns carry the CPU0/CPU1 layout. */
  raw: string;
  /** Leading whitespace width of `raw`. */
  indent: number;
  /** printk timestamp in seconds, when the line had one. */
  time?: number;
  /** 1-based line of the input. */
  lineNo: number;
}

/**
 * Where a printk record starts inside a physical line. Archives that join mails into one line
 * keep the timestamps, so they are the only reliable record separators left.
 */
const RECORD_START = /(?:<\d{1,3}>)?\[\s*\d{1,8}\.\d{1,9}\]/g;

const QUOTE_PREFIX = /^(?:[ \t]*>)+ ?/;
const LOG_LEVEL = /^ *<\d{1,3}>/;
const SYSLOG_PREFIX =
  /^ *(?:(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?) +\S+ +)?kernel: ?/;
const DMESG_FACILITY = /^ *kern *: *[a-z]+ *: ?/;
/** `[  648.247718] `, optionally followed by a caller id `[ T1234]`; the space after belongs to the prefix. */
const TIMESTAMP = /^ *\[\s*(\d{1,8}\.\d{1,9})\](?:\[ *[TC]\d+\])? ?/;
/** `dmesg -T`: `[Thu Nov 19 00:04:56 2020] `. */
const HUMAN_TIMESTAMP = /^ *\[[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \d{4}\] ?/;
/** A whitespace-delimited run of '>' is a quote marker left inside a joined line, never lockdep text. */
const STRAY_QUOTE = /(^|\s)>+(?=\s|$)/g;

/** `dmesg --color=always` wraps timestamps and titles in SGR escapes. */
const ANSI_ESCAPE = /\u001b\[[\d;]*[A-Za-z]/g;
/** Control characters, but not tab or newline; binary junk must not reach the line regexes. */
const CONTROL = /\p{Cc}/gu;
const ODD_SPACE = /[\u00a0\u2007\u202f]/g;

export function splitLogLines(text: string): LogLine[] {
  const clean = text
    .replace(/\r\n?/g, '\n')
    .replace(ANSI_ESCAPE, '')
    .replace(/\t/g, '        ')
    .replace(ODD_SPACE, ' ')
    .replace(CONTROL, (c) => (c === '\n' ? c : ''));
  const out: LogLine[] = [];
  clean.split('\n').forEach((physical, i) => {
    const segments = splitRecords(physical);
    segments.forEach((segment, k) => {
      const line = cleanSegment(segment, i + 1);
      // Text before the first record of a joined line is only kept when it says something:
      // a bare "> " or "kernel:" there would otherwise become a spurious blank line.
      if (k > 0 || segments.length === 1 || line.text !== '') out.push(line);
    });
  });
  return out;
}

/** The physical line cut before each printk record; the first part is whatever precedes the first. */
function splitRecords(physical: string): string[] {
  const starts = [...physical.matchAll(RECORD_START)].map((m) => m.index);
  if (starts.length === 0) return [physical];
  return [physical.slice(0, starts[0]), ...starts.map((start, k) => physical.slice(start, starts[k + 1]))];
}

function cleanSegment(segment: string, lineNo: number): LogLine {
  let rest = segment;
  let time: number | undefined;
  // Prefixes nest in any order ("> [ts] > > text" in joined quoted mails), so strip until stable.
  for (let changed = true; changed;) {
    const before = rest;
    rest = rest.replace(QUOTE_PREFIX, '').replace(LOG_LEVEL, '');
    rest = rest.replace(SYSLOG_PREFIX, '').replace(DMESG_FACILITY, '').replace(HUMAN_TIMESTAMP, '');
    const ts = TIMESTAMP.exec(rest);
    if (ts) {
      time = Number(ts[1]);
      rest = rest.slice(ts[0].length);
    }
    changed = rest !== before;
  }
  const raw = stripTrailingQuotes(rest);
  const text = raw.replace(STRAY_QUOTE, '$1').replace(/\s+/g, ' ').trim();
  return { text, raw, indent: raw.length - raw.trimStart().length, time, lineNo };
}

/** Drops quote markers left at the end of a record by joined mails ("… [i915] > > > "). */
function stripTrailingQuotes(s: string): string {
  let end = skipSpacesBack(s, s.length);
  while (end > 0 && s[end - 1] === '>') {
    let start = end;
    while (start > 0 && s[start - 1] === '>') start--;
    // "-->" or "foo>" is text, not a quote marker.
    if (start > 0 && !/\s/.test(s[start - 1])) break;
    end = skipSpacesBack(s, start);
  }
  return s.slice(0, end);
}

function skipSpacesBack(s: string, end: number): number {
  let i = end;
  while (i > 0 && /\s/.test(s[i - 1])) i--;
  return i;
}
