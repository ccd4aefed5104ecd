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
import { codeShape, commentStateAfter, isCodeAt, stripComments } from './lex';
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

const KCONFIG_TEST_RE = /\b(?:IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)[ \t]*\([ \t]*\w+[ \t]*\)/g;
const KCONFIG_TEST_HINT_RE = /IS_(?:EN|BU|MO|RE)/;
const DIRECTIVE_RE = /^[ \t]*#[ \t]*([a-z]+)/;
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
};

/** Blanks what `lookup` turns off in `text` (see the module comment). */
export function preprocess(text: string, lookup: SymbolLookup): Preprocessed {
  if (!text.includes('#') && !text.includes('IS_')) return { ...EMPTY, text };
  return new Pass(text, lookup).run();
}

class Pass {
  private readonly stack: Frame[] = [];
  private readonly blanks: [number, number][] = [];
  private readonly replacements: { from: number; to: number; text: string }[] = [];
  private readonly local = new Map<string, SymbolState>();
  private readonly out: Preprocessed;
  private inComment = false;
  private directives = 0;
  /** Frames whose current arm is off (then everything inside is off). */
  private offDepth = 0;
  /** Frames whose current arm is undecided. */
  private unknownDepth = 0;
  private nextSlash = -1;
  /** The next `IS_` at or after the line being read. */
  private nextTest = -1;
  /** The brackets open in the kept code so far. */
  private brackets: string[] = [];

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
    };
  }

  run(): Preprocessed {
    const text = this.text;
    let line = 0;
    let pos = 0;
    while (pos <= text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const startsInComment = this.inComment;
      let first = pos;
      while (first < end && (text.charCodeAt(first) === 0x20 || text.charCodeAt(first) === 0x09)) first++;
      const directive =
        startsInComment || text.charCodeAt(first) !== 0x23
          ? null
          : DIRECTIVE_RE.exec(text.slice(pos, Math.min(end, pos + 64)));
      if (directive) {
        // A directive runs on over backslash-continued lines.
        let last = end;
        let lines = 0;
        while (last < text.length && text[last - 1] === '\\') {
          const next = text.indexOf('\n', last + 1);
          last = next < 0 ? text.length : next;
          lines++;
        }
        this.inComment = commentStateAfter(text, pos, last, false, this.slashAt(pos));
        this.directive(directive[1], pos, last, line, pos + directive[0].length);
        line += lines + 1;
        pos = last + 1;
        continue;
      }
      if (this.offDepth === 0) this.code(pos, end, startsInComment);
      else this.inComment = commentStateAfter(text, pos, end, startsInComment, this.slashAt(pos));
      line++;
      pos = end + 1;
    }
    // Unclosed conditionals (a truncated file): close them at the end.
    while (this.stack.length) this.endif(text.length, text.length, line);
    this.out.text = this.apply();
    return this.out;
  }

  /** The first `/` at or after `pos` (searched ahead once, as lines are read in order). */
  private slashAt(pos: number): number {
    if (this.nextSlash < pos) {
      this.nextSlash = this.text.indexOf('/', pos);
      if (this.nextSlash < 0) this.nextSlash = this.text.length;
    }
    return this.nextSlash;
  }

  private symbol(name: string): SymbolState {
    const mine = this.local.get(name);
    if (mine) return mine;
    const s = this.lookup(name);
    this.out.deps.set(name, answerCode(s));
    return s;
  }

  /** A line of code in a kept region: its shape for the enclosing arms, its kconfig tests. */
  private code(start: number, end: number, inComment: boolean): void {
    const text = this.text;
    const shape = codeShape(text, start, end, inComment, this.brackets);
    this.inComment = shape.inComment;
    if (this.unknownDepth > 0) this.addShape(shape.delta, shape.first, shape.last);
    // Searched once ahead, not from every line: most files have few or none.
    if (this.nextTest < start) {
      this.nextTest = text.indexOf('IS_', start);
      if (this.nextTest < 0) this.nextTest = text.length;
    }
    if (this.nextTest >= end) return;
    const lineText = text.slice(start, end);
    if (!KCONFIG_TEST_HINT_RE.test(lineText)) return;
    for (const m of lineText.matchAll(KCONFIG_TEST_RE)) {
      const at = start + m.index;
      if (!isCodeAt(text, start, at, inComment)) continue;
      const v = evaluate(m[0], (n) => this.symbol(n)).value;
      if (v === undefined) continue;
      const constant = v !== 0n ? '1' : '0';
      this.replacements.push({ from: at, to: at + m[0].length, text: constant.padEnd(m[0].length) });
    }
  }

  private addShape(delta: number, first: string, last: string): void {
    const arm = this.currentArm();
    if (!arm) return;
    arm.delta += delta;
    if (!arm.first) arm.first = first;
    if (last) arm.last = last;
  }

  private currentArm(): Arm | undefined {
    const frame = this.stack[this.stack.length - 1];
    return frame?.arms[frame.arms.length - 1];
  }

  private directive(name: string, start: number, end: number, line: number, argStart: number): void {
    const first = this.directives++ === 0;
    const arg = stripComments(this.text.slice(argStart, end).replace(/\\\n/g, ' ')).trim();
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
          bracketsAtOpen: this.brackets.slice(),
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
    arm.bracketsAfter = this.brackets;
    this.brackets = frame.bracketsAtOpen.slice();
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
    this.brackets = (keep[0]?.bracketsAfter ?? frame.bracketsAtOpen).slice();
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
    this.local.set(
      def.name,
      decided ? { defined: true, value: def.params ? undefined : def.body } : { defined: undefined },
    );
    const before = this.out.macros.get(def.name);
    // Two definitions in arms the configuration leaves open: which one applies is not known.
    this.out.macros.set(
      def.name,
      decided || before === undefined ? def : before && before.body === def.body ? before : null,
    );
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
