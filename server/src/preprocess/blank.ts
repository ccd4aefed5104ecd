/**
 * Reads a file as the compiler would under a configuration: conditional arms the configuration
 * turns off are blanked before parsing (same length, newlines kept, so every position maps 1:1
 * and incremental parsing still works), arms it cannot decide stay for the lowering to follow
 * as alternative paths, and the kconfig tests in C code (`if (IS_ENABLED(CONFIG_X))`) become
 * the constant they are.
 *
 * Where arms that stay do not form whole statements (`foo(a,` / `#else` / `foo(b,` / `#endif`),
 * keeping both would leave the parser unbalanced brackets; only the first is kept then, and a
 * note says so. The file's own `#define`/`#undef` lines count from where they stand; its
 * include guard is taken as not yet defined, as on the first inclusion.
 */
import type { Include, UnknownArm } from '../analysis/ir';
import { answerCode, evaluate, type SymbolLookup, type SymbolState } from './expr';
import { firstToken, isCodeAt, lastCharacter, type LexState, lexRegion, stripComments } from './lex';
import { type MacroDef, type MacroTable, parseDefine } from './macros';

export interface Preprocessed {
  /** The text to parse: inactive arms blanked, decided kconfig tests replaced. */
  text: string;
  unknownArms: UnknownArm[];
  /** The macros the file defines in code it keeps (not in arms turned off). */
  macros: MacroTable;
  /** What the file leaves defined or undefined at its end (its `#define`/`#undef` lines). */
  defines: Map<string, SymbolState>;
  /** Every symbol asked of the configuration, with the answer (see answerCode). */
  deps: Map<string, string>;
  notes: { line: number; message: string }[];
  /** The file's `#include` lines: the file named, whether the line is compiled, `<...>` or `"..."`. */
  includes: Include[];
  /** The include guard's symbol, when the file has one. */
  guard?: string;
  /** Every name the file `#define`s, in any arm (the arms turned off included). */
  definable: Set<string>;
}

type Status = 'active' | 'inactive' | 'unknown';

interface Arm {
  status: Status;
  line: number;
  /** Offsets of the directive (continuation lines included) and of the arm's content. */
  directiveStart: number;
  directiveEnd: number;
  contentStart: number;
  contentEnd: number;
  /** The line of the directive that ends the arm. */
  endLine: number;
  /** The open brackets after the arm (what follows the chain sees when this arm is kept). */
  bracketsAfter: string[];
  /** How to rewrite the directive when it stays: `#elif` heading the kept arms becomes `#if`. */
  keepAs: 'as-is' | 'if' | 'else';
  symbol?: string;
  delta: number;
  first: string;
  last: string;
}

interface Frame {
  arms: Arm[];
  /** An earlier arm is taken for sure: the rest are off. */
  taken: boolean;
  /** An earlier arm is undecided. */
  undecided: boolean;
  /** The include guard: read as the first inclusion. */
  guard: boolean;
  /** The open brackets where the chain starts: each arm starts from them. */
  bracketsAtOpen: string[];
  endifStart?: number;
  endifEnd?: number;
}

const KCONFIG_TEST_RE = /\b(?:IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)[ \t]*\([ \t]*\w+[ \t]*\)/y;
/** First tokens that continue something before the arm: the arm is not whole statements. */
const CONTINUES = new Set(['else', '&&', '||', '|', '^', '?', ':', ',', ')', ']', '}', '=']);
/** Last characters of whole statements, declarations and initializer entries. */
const ENDS_WHOLE = new Set(['', ';', '}', ',', ':']);

const EMPTY: Preprocessed = {
  text: '',
  unknownArms: [],
  macros: new Map(),
  defines: new Map(),
  deps: new Map(),
  notes: [],
  includes: [],
  definable: new Set(),
};

/** Blanks what `lookup` turns off in `text` (see the module comment). */
export function preprocess(text: string, lookup: SymbolLookup): Preprocessed {
  if (!text.includes('#') && !text.includes('IS_')) return { ...EMPTY, text, definable: new Set() };
  return new Pass(text, lookup).run();
}

class Pass {
  private readonly stack: Frame[] = [];
  private readonly blanks: [number, number][] = [];
  private readonly replacements: { from: number; to: number; text: string }[] = [];
  private readonly local = new Map<string, SymbolState>();
  private readonly out: Preprocessed;
  /** Comment and bracket state of the kept code read so far. */
  private state: LexState = { inComment: false, brackets: [], delta: 0 };
  private directives = 0;
  /** The first `IS_` at or after the code being read (or the text's length). */
  private nextTest = -1;
  /** Frames whose current arm is off (then everything inside is off). */
  private offDepth = 0;
  /** Frames whose current arm is undecided. */
  private unknownDepth = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: SymbolLookup,
  ) {
    this.out = {
      text,
      unknownArms: [],
      macros: new Map(),
      defines: this.local,
      deps: new Map(),
      notes: [],
      includes: [],
      definable: new Set(),
    };
  }

  run(): Preprocessed {
    const text = this.text;
    // Only directive lines need looking at one by one: the code between two of them is read as
    // one stretch (lex.ts), and a `#` found inside a block comment is no directive.
    let line = 0;
    let pos = 0;
    let m: { index: number; name: string; nameEnd: number } | undefined;
    while ((m = nextDirective(text, pos))) {
      const at = m.index;
      this.region(pos, at);
      line += newlines(text, pos, at);
      pos = at;
      if (this.state.inComment) {
        // Read on past this line: the comment may close on it.
        pos = lineEnd(text, at);
        this.region(at, pos);
        continue;
      }
      // A directive runs on over backslash-continued lines.
      let end = lineEnd(text, at);
      let lines = 0;
      while (end < text.length && text[end - 1] === '\\') {
        end = lineEnd(text, end + 1);
        lines++;
      }
      this.state.inComment = this.commentAfter(at, end, false);
      this.directive(m.name, at, end, line, m.nameEnd);
      line += lines;
      pos = end;
    }
    this.region(pos, text.length);
    line += newlines(text, pos, text.length);
    // Unclosed conditionals (a truncated file): close them at the end.
    while (this.stack.length) this.endif(text.length, text.length, line);
    this.out.text = this.apply();
    return this.out;
  }

  private symbol(name: string): SymbolState {
    const mine = this.local.get(name);
    if (mine) return mine;
    const s = this.lookup(name);
    this.out.deps.set(name, answerCode(s));
    return s;
  }

  /**
   * Code between two directives. Kept code: its brackets (where the next chain stands), its
   * shape for the undecided arms around it, its kconfig tests. Code turned off: only where
   * comments open and close.
   */
  private region(start: number, end: number): void {
    if (end <= start) return;
    const text = this.text;
    const state = this.state;
    if (this.offDepth > 0) {
      state.inComment = this.commentAfter(start, end);
      return;
    }
    const inComment = state.inComment;
    state.delta = 0;
    lexRegion(text, start, end, state);
    if (this.unknownDepth > 0) {
      const arm = this.currentArm();
      if (arm) {
        arm.delta += state.delta;
        if (!arm.first) arm.first = firstToken(text, start, end, inComment);
        const last = lastCharacter(text, start, end);
        if (last) arm.last = last;
      }
    }
    this.kconfigTests(start, end);
  }

  /** Whether a block comment is open after `text[start, end)` (read without brackets). */
  private commentAfter(start: number, end: number, inComment = this.state.inComment): boolean {
    const s: LexState = { inComment, delta: 0 };
    lexRegion(this.text, start, end, s);
    return s.inComment;
  }

  /** `IS_ENABLED(CONFIG_X)` in kept code becomes the constant the configuration makes it, same length. */
  private kconfigTests(start: number, end: number): void {
    const text = this.text;
    // The next `IS_` is searched once ahead, not from every stretch of code.
    if (this.nextTest < start) this.nextTest = indexOrEnd(text, 'IS_', start);
    for (let i = this.nextTest; i < end; i = this.nextTest = indexOrEnd(text, 'IS_', i + 3)) {
      const next = text.charCodeAt(i + 3);
      // IS_ENABLED, IS_BUILTIN, IS_MODULE, IS_REACHABLE (not IS_ERR, IS_ALIGNED, ...).
      if (next !== 0x45 && next !== 0x42 && next !== 0x4d && next !== 0x52) continue;
      const lineStart = text.lastIndexOf('\n', i) + 1;
      const lineText = text.slice(lineStart, lineEnd(text, i));
      KCONFIG_TEST_RE.lastIndex = i - lineStart;
      const m = KCONFIG_TEST_RE.exec(lineText);
      if (!m || m.index !== i - lineStart || !isCodeAt(text, lineStart, i, false)) continue;
      const v = evaluate(m[0], (n) => this.symbol(n)).value;
      if (v === undefined) continue;
      const constant = v !== 0n ? '1' : '0';
      this.replacements.push({ from: i, to: i + m[0].length, text: constant.padEnd(m[0].length) });
    }
  }

  private currentArm(): Arm | undefined {
    const frame = this.stack[this.stack.length - 1];
    return frame?.arms[frame.arms.length - 1];
  }

  private directive(name: string, start: number, end: number, line: number, argStart: number): void {
    const first = this.directives++ === 0;
    const raw = this.text.slice(argStart, end);
    const arg = stripComments(raw.includes('\\') ? raw.replace(/\\\r?\n/g, ' ') : raw).trim();
    switch (name) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const guard = first && this.isIncludeGuard(name, arg, end);
        if (guard) this.out.guard = /\w+/.exec(arg.replace(/^!\s*defined/, ''))?.[0];
        const frame: Frame = {
          arms: [],
          taken: false,
          undecided: false,
          guard,
          bracketsAtOpen: this.state.brackets!.slice(),
        };
        const live = this.offDepth === 0;
        this.stack.push(frame);
        this.openArm(frame, guard ? true : live ? this.condition(name, arg) : false, start, end, line, live);
        return;
      }
      case 'elif':
      case 'elifdef':
      case 'elifndef':
      case 'else': {
        const frame = this.stack[this.stack.length - 1];
        if (!frame) return; // a stray #else: the compiler stops; nothing to keep apart
        this.closeArm(frame, start, line);
        const live = this.offDepth === 0;
        const value =
          name === 'else' ? { value: true } : live && !frame.taken ? this.condition(name, arg) : false;
        this.openArm(frame, value, start, end, line, live);
        return;
      }
      case 'endif':
        if (this.stack.length) this.endif(start, end, line);
        return;
      case 'define':
      case 'undef':
        if (this.offDepth === 0) this.define(name, arg, line);
        else if (name === 'define') this.out.definable.add(/^\w*/.exec(arg)![0]);
        return;
      case 'include': {
        const m = /^(?:"([^"]+)"|<([^>]+)>)/.exec(arg);
        if (!m) return;
        const include: Include = { file: m[1] ?? m[2], live: this.offDepth === 0 };
        if (m[2] !== undefined) include.angle = true;
        this.out.includes.push(include);
        return;
      }
    }
  }

  /** `#ifndef X` first, `#define X` next: the header's include guard. */
  private isIncludeGuard(name: string, arg: string, end: number): boolean {
    const m = name === 'ifndef' ? /^(\w+)$/.exec(arg) : /^!\s*defined\s*\(?\s*(\w+)\s*\)?$/.exec(arg);
    if (!m) return false;
    const next = /^[ \t]*#[ \t]*define[ \t]+(\w+)/m.exec(this.text.slice(end, end + 4096));
    return next?.[1] === m[1];
  }

  /** The condition of an `#if`-like directive: true, false, or the symbol that left it open. */
  private condition(name: string, arg: string): { value: boolean } | { unknown: string } {
    if (name.endsWith('def')) {
      const sym = /^\w+/.exec(arg)?.[0];
      if (!sym) return { unknown: '' };
      const d = this.symbol(sym).defined;
      if (d === undefined) return { unknown: sym };
      return { value: name.endsWith('ndef') ? !d : d };
    }
    const r = evaluate(arg, (n) => this.symbol(n));
    return r.value === undefined ? { unknown: r.unknownSymbol ?? arg } : { value: r.value !== 0n };
  }

  private openArm(
    frame: Frame,
    cond: { value: boolean } | { unknown: string } | boolean,
    start: number,
    end: number,
    line: number,
    live: boolean,
  ): void {
    let status: Status;
    let symbol: string | undefined;
    if (!live || frame.taken) status = 'inactive';
    else if (typeof cond === 'boolean' || 'value' in cond) {
      const v = typeof cond === 'boolean' ? cond : cond.value;
      status = !v ? 'inactive' : frame.undecided ? 'unknown' : 'active';
      if (v) frame.taken = true;
    } else {
      status = 'unknown';
      symbol = cond.unknown;
    }
    // The first arm kept from an undecided chain heads it (#if); one taken for sure after
    // undecided ones is what remains when they are all false (#else).
    const keepAs: Arm['keepAs'] =
      status !== 'unknown' ? 'as-is' : frame.taken ? 'else' : frame.undecided ? 'as-is' : 'if';
    if (status === 'unknown') {
      frame.undecided = true;
      symbol ??= frame.arms.find((a) => a.symbol)?.symbol;
    }
    const arm: Arm = {
      status,
      line,
      directiveStart: start,
      directiveEnd: end,
      contentStart: Math.min(end + 1, this.text.length),
      contentEnd: this.text.length,
      endLine: line,
      bracketsAfter: frame.bracketsAtOpen,
      keepAs,
      symbol,
      delta: 0,
      first: '',
      last: '',
    };
    frame.arms.push(arm);
    if (status === 'inactive') this.offDepth++;
    if (status === 'unknown') this.unknownDepth++;
  }

  private closeArm(frame: Frame, at: number, line: number): void {
    const arm = frame.arms[frame.arms.length - 1];
    arm.contentEnd = at;
    arm.endLine = line;
    arm.bracketsAfter = this.state.brackets!;
    this.state.brackets = frame.bracketsAtOpen.slice();
    if (arm.status === 'inactive') this.offDepth--;
    if (arm.status === 'unknown') this.unknownDepth--;
  }

  private endif(start: number, end: number, line: number): void {
    const frame = this.stack[this.stack.length - 1];
    this.closeArm(frame, start, line);
    this.stack.pop();
    frame.endifStart = start;
    frame.endifEnd = end;
    this.settle(frame);
  }

  /**
   * Decides what of a finished chain stays: its directives go unless undecided arms remain;
   * undecided arms that are not whole statements leave only the first. What stays adds its
   * shape to the enclosing arm.
   */
  private settle(frame: Frame): void {
    const kept = frame.arms.filter((a) => a.status !== 'inactive');
    const undecided = kept.some((a) => a.status === 'unknown');
    // An undecided chain without #else may also take none of its arms: that empty path counts too.
    // Inside an argument list or a subscript no arm is a whole statement.
    const context = frame.bracketsAtOpen[frame.bracketsAtOpen.length - 1];
    const whole =
      context !== '(' &&
      context !== '[' &&
      kept.every((a) => a.delta === 0 && !CONTINUES.has(a.first) && ENDS_WHOLE.has(a.last));
    let keep = kept;
    if (undecided && !whole) {
      keep = kept.slice(0, 1);
      const first = keep[0];
      this.out.notes.push({
        line: first.line,
        message: `the arms of ${first.symbol ?? 'an undecided condition'} do not form whole statements: only the first is analysed`,
      });
      for (const a of kept.slice(1)) this.blank(a.contentStart, a.contentEnd);
    }
    // Undecided arms that are whole statements stay as alternatives, directives and all.
    const structured = undecided && whole;
    for (const a of frame.arms) {
      if (!keep.includes(a)) {
        if (a.status === 'inactive') this.blank(a.contentStart, a.contentEnd);
        this.blank(a.directiveStart, a.directiveEnd);
      } else if (!structured || frame.guard) this.blank(a.directiveStart, a.directiveEnd);
      else this.rewrite(a);
      if (keep.includes(a) && a.status === 'unknown' && !frame.guard)
        this.out.unknownArms.push({
          line: a.line,
          endLine: a.endLine,
          symbol: a.symbol ?? '',
          ...(structured ? {} : { firstOnly: true as const }),
        });
    }
    if (frame.endifStart !== undefined && (!structured || frame.guard))
      this.blank(frame.endifStart, frame.endifEnd!);
    // What follows sees the brackets the kept arm left (all arms leave the same when they stay).
    this.state.brackets = (keep[0]?.bracketsAfter ?? frame.bracketsAtOpen).slice();
    const parent = this.currentArm();
    if (parent && parent.status !== 'inactive') {
      const shape = keep[0];
      if (shape && !structured) parent.delta += shape.delta;
      if (shape && !parent.first) parent.first = shape.first;
      if (shape?.last) parent.last = structured ? ';' : shape.last;
    }
  }

  /** A kept directive of an undecided chain, rewritten to head it or to close it, same length. */
  private rewrite(arm: Arm): void {
    const text = this.text;
    const hash = text.indexOf('#', arm.directiveStart);
    const nameEnd = /^#[ \t]*[a-z]+/.exec(text.slice(hash, hash + 32));
    if (!nameEnd) return;
    const word = nameEnd[0].replace(/^#[ \t]*/, '');
    const at = hash + nameEnd[0].length - word.length;
    if (arm.keepAs === 'if' && word.startsWith('el')) {
      const renamed = word === 'elif' ? 'if' : word === 'elifdef' ? 'ifdef' : 'ifndef';
      this.replacements.push({ from: at, to: at + word.length, text: renamed.padEnd(word.length) });
    } else if (arm.keepAs === 'else' && word !== 'else') {
      this.replacements.push({ from: at, to: at + word.length, text: 'else'.padEnd(word.length) });
      this.blank(at + word.length, arm.directiveEnd);
    }
  }

  private define(name: string, arg: string, line: number): void {
    const decided = this.unknownDepth === 0;
    if (name === 'undef') {
      const sym = /^\w+/.exec(arg)?.[0];
      if (!sym) return;
      this.local.set(sym, decided ? { defined: false } : { defined: undefined });
      if (decided) this.out.macros.delete(sym);
      return;
    }
    const def: MacroDef | undefined = parseDefine(arg, line);
    if (!def) return;
    this.out.definable.add(def.name);
    this.local.set(
      def.name,
      decided ? { defined: true, value: def.params ? undefined : def.body } : { defined: undefined },
    );
    const before = this.out.macros.get(def.name);
    if (decided || !before || (before.body === def.body && before.params?.join() === def.params?.join())) {
      this.out.macros.set(def.name, decided || before === undefined ? def : before);
      return;
    }
    // Two definitions in arms the configuration leaves open (a lock wrapper per NAPI or
    // kernel-version arm): which applies is not known. The first arm's is expanded, as the
    // first arm is the one read where arms do not form whole statements; a note says so.
    if (before.firstArmOf !== undefined) return;
    const symbol = this.currentArm()?.symbol ?? 'an undecided condition';
    this.out.macros.set(def.name, { ...before, firstArmOf: symbol });
    this.out.notes.push({
      line,
      message: `${def.name} is defined differently in the arms of ${symbol}: the first definition (line ${before.line + 1}) is expanded`,
    });
  }

  private blank(from: number, to: number): void {
    if (to > from) this.blanks.push([from, to]);
  }

  /** The text with blanks (non-newlines become spaces) and same-length replacements applied. */
  private apply(): string {
    if (this.blanks.length === 0 && this.replacements.length === 0) return this.text;
    type Edit = { from: number; to: number; text?: string };
    const edits: Edit[] = [
      ...this.blanks.map(([from, to]): Edit => ({ from, to })),
      ...this.replacements,
    ].sort((a, b) => a.from - b.from || (a.text === undefined ? -1 : 1));
    const text = this.text;
    let out = '';
    let pos = 0;
    for (const e of edits) {
      if (e.to <= pos) continue;
      const start = Math.max(e.from, pos);
      out += text.slice(pos, start);
      // A replacement inside a stretch already blanked is dropped with it.
      out +=
        e.text !== undefined && start === e.from ? e.text : text.slice(start, e.to).replace(/[^\n]/g, ' ');
      pos = e.to;
    }
    return out + text.slice(pos);
  }
}

function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl;
}

function newlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The next line at or after `from` whose first non-blank character is `#`, with the directive
 * name: found by jumping from one `#` to the next, not by looking at every line.
 */
function nextDirective(
  text: string,
  from: number,
): { index: number; name: string; nameEnd: number } | undefined {
  for (let hash = text.indexOf('#', from); hash >= 0; hash = text.indexOf('#', hash + 1)) {
    let start = hash;
    while (start > from && (text.charCodeAt(start - 1) === 0x20 || text.charCodeAt(start - 1) === 0x09))
      start--;
    if (start > 0 && text.charCodeAt(start - 1) !== 0x0a) continue;
    const m = /^#[ \t]*([a-z]+)/.exec(text.slice(hash, hash + 40));
    if (m) return { index: start, name: m[1], nameEnd: hash + m[0].length };
  }
  return undefined;
}

function indexOrEnd(text: string, what: string, from: number): number {
  const i = text.indexOf(what, from);
  return i < 0 ? text.length : i;
}
