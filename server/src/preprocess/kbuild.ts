/**
 * Kbuild Makefiles of out-of-tree and vendor drivers, read by a small evaluator (not a make
 * clone, and nothing is ever run): `VAR = value`, `:=`, `?=`, `+=`, `export`/`override`,
 * `ifeq`/`ifneq`/`ifdef`/`ifndef`/`else`/`endif`, `include` of other makefiles of the driver,
 * variable references and the common text functions. `$(shell ...)`, `$(wildcard ...)` and
 * variables the build passes in (KERNELRELEASE is set: this is the Kbuild pass) are unknown;
 * a condition on something unknown takes both branches, and what they set is "maybe".
 *
 * What it gives: the `-D`/`-U` flags of each folder (`ccflags-y`, `EXTRA_CFLAGS`,
 * `subdir-ccflags-y`, `CFLAGS_foo.o`), the C files the object lists (`obj-y`, `obj-m`,
 * `foo-y`, `foo-objs`, subfolders) compile, and what the driver could define at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One word of a variable's value. `maybe`: set under a condition the evaluator could not decide. */
interface Word {
  text: string;
  maybe: boolean;
}

/** Marks what could not be known inside a text (a `$(shell ...)`, a variable passed in). */
const UNKNOWN = '\u0001';

export interface KbuildFolder {
  dir: string;
  /** Definite `-D` (value) and `-U` (null) flags of the folder's files, in order. */
  flags: [string, string | null][];
}

export interface KbuildResult {
  /** The Makefiles evaluated (absolute paths). */
  makefiles: string[];
  folders: KbuildFolder[];
  /** Per object file: extra flags (`CFLAGS_foo.o`), by absolute C path. */
  files: [string, [string, string | null][]][];
  /** C files (absolute) the object lists compile, surely or maybe. */
  compiled: Set<string>;
  /** Folders whose object lists were read whole: a C file below them that no list names is not compiled. */
  complete: string[];
  /** What the driver can define: flags anywhere in its Makefiles, and CONFIG_ variables it sets itself. */
  owned: Map<string, 'defines' | 'maybe'>;
  /**
   * The Makefiles set CONFIG_ variables themselves (`CONFIG_FOO = y`): a driver that configures
   * itself. A Kbuild fragment that sets none takes every CONFIG_ option from a Kconfig elsewhere.
   */
  setsConfig: boolean;
  notes: string[];
  /**
   * The first line the evaluator cannot read as make (`FILE:LINE: why`): an `endif` with no
   * conditional, a conditional never closed, an `ifeq` it cannot split. The result is not used.
   */
  malformed?: string;
}

export interface KbuildOptions {
  /** The kernel configuration's make variables (CONFIG_X -> y, m or a value), when one is known. */
  kconfig?: ReadonlyMap<string, string>;
  /** CONFIG_ options the tree's Kconfig files declare (their make variables come from the kernel). */
  declared: ReadonlySet<string>;
  /** Every CONFIG_ option comes from a Kconfig not in the workspace: all of them are unknown. */
  allDeclared?: boolean;
}

/** Variables the kernel build passes in: unknown here (KERNELRELEASE is set: this is the Kbuild pass). */
const PASSED_IN = new Set([
  'srctree',
  'objtree',
  'KSRC',
  'KDIR',
  'KERNELDIR',
  'KERNEL_SRC',
  'KVER',
  'KVERSION',
  'ARCH',
  'SUBARCH',
  'SRCARCH',
  'CROSS_COMPILE',
  'CC',
  'LD',
  'AR',
  'PWD',
  'CURDIR',
  'PATH',
  'HOME',
  'MAKE',
  'MAKEFLAGS',
  'SHELL',
  'M',
  'O',
  'V',
  'INSTALL_MOD_PATH',
  'MODLIB',
]);
const MAX_INCLUDE_DEPTH = 10;
const NOT_OBJECT_LISTS = /^(?:subdir-)?(?:cc|as|ld)flags-|^(?:host|user|always|extra|targets|clean)/;

/** Evaluates the Kbuild Makefile of `dir` (a `Kbuild` file first, as Kbuild does) and the subfolders it lists. */
export function readKbuild(dir: string, opts: KbuildOptions): KbuildResult {
  const result: KbuildResult = {
    makefiles: [],
    folders: [],
    files: [],
    compiled: new Set(),
    complete: [],
    owned: new Map(),
    setsConfig: false,
    notes: [],
  };
  evaluateFolder(dir, [], opts, result, new Set());
  // An in-kernel driver's Kbuild read outside its kernel tree: `obj-$(CONFIG_FOO_USB)` is
  // whatever the user's Kconfig says, not off.
  if (!result.setsConfig && !opts.kconfig && !opts.allDeclared)
    return readKbuild(dir, { ...opts, allDeclared: true });
  return result;
}

/** The folder's Kbuild makefile, if it has one that looks like Kbuild. */
export function kbuildMakefile(dir: string): string | undefined {
  for (const name of ['Kbuild', 'Makefile', 'makefile']) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (/^\s*(?:obj-[ym$]|[\w$()-]+-(?:y|objs)\s*[:+]?=|(?:subdir-)?ccflags-y|EXTRA_CFLAGS)/m.test(text))
      return file;
  }
  return undefined;
}

function evaluateFolder(
  dir: string,
  inherited: [string, string | null][],
  opts: KbuildOptions,
  result: KbuildResult,
  seen: Set<string>,
): void {
  const file = kbuildMakefile(dir);
  if (!file || seen.has(dir)) return;
  seen.add(dir);
  const ev = new Evaluator(dir, opts, result);
  ev.run(file, 0);
  const own = ev.flagsOf(['KBUILD_CFLAGS', 'ccflags-y', 'EXTRA_CFLAGS']);
  const sub = ev.flagsOf(['subdir-ccflags-y']);
  const flags = [...inherited, ...sub, ...own];
  result.folders.push({ dir, flags });
  const lists = ev.objectLists();
  let complete = ev.complete;
  const subdirs: string[] = [];
  for (const w of lists) {
    if (w.text.includes(UNKNOWN)) complete = false;
    else if (w.text.endsWith('/')) subdirs.push(path.resolve(dir, w.text));
    else if (w.text.endsWith('.o')) result.compiled.add(path.resolve(dir, w.text.replace(/\.o$/, '.c')));
  }
  for (const [obj, objFlags] of ev.perObjectFlags())
    result.files.push([path.resolve(dir, obj.replace(/\.o$/, '.c')), objFlags]);
  if (complete && lists.length) result.complete.push(dir);
  for (const sub of subdirs)
    evaluateFolder(sub, [...inherited, ...ev.flagsOf(['subdir-ccflags-y'])], opts, result, seen);
}

interface CondFrame {
  /** This branch is taken: true, false, or undecided. */
  state: boolean | undefined;
  /** A branch of this chain was taken for sure (the rest are off). */
  taken: boolean;
  /** A branch of this chain was undecided (the later ones are at most undecided). */
  undecided: boolean;
  /** Enclosing branches allow this one at all. */
  parentLive: boolean;
}

class Evaluator {
  private readonly vars = new Map<string, Word[]>();
  private readonly stack: CondFrame[] = [];
  complete = true;

  constructor(
    private readonly dir: string,
    private readonly opts: KbuildOptions,
    private readonly result: KbuildResult,
  ) {
    // This is the Kbuild pass: KERNELRELEASE is set (to a release this reading does not need).
    this.vars.set('KERNELRELEASE', [{ text: 'kbuild', maybe: false }]);
    this.vars.set('src', [{ text: dir, maybe: false }]);
    this.vars.set('obj', [{ text: dir, maybe: false }]);
  }

  private get live(): boolean {
    return this.stack.every((f) => f.state !== false);
  }

  private get maybe(): boolean {
    return this.stack.some((f) => f.state === undefined);
  }

  run(file: string, depth: number): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      this.complete = false;
      this.result.notes.push(`${file}: cannot read; its flags and objects are unknown`);
      return;
    }
    this.result.makefiles.push(file);
    this.noteOwned(text);
    // Continuations joined, each piece keeps the number of the line it starts on.
    const lines: [string, number][] = [];
    let lineNo = 1;
    for (const piece of text.split(/(?<!\\\r?)\r?\n/)) {
      lines.push([piece.replace(/\\\r?\n/g, ' '), lineNo]);
      lineNo += piece.split('\n').length;
    }
    let inRecipe = false;
    let inDefine = 0;
    const depthBefore = this.stack.length;
    const opened: number[] = [];
    for (const [raw, no] of lines) {
      if (inDefine) {
        if (/^\s*endef\b/.test(raw)) inDefine--;
        else if (/^\s*define\b/.test(raw)) inDefine++;
        continue;
      }
      if (raw.startsWith('\t') && inRecipe) continue;
      const line = stripMakeComment(raw).trim();
      if (!line) continue;
      const conditional = /^(ifeq|ifneq|ifdef|ifndef|else|endif)\b\s*(.*)$/.exec(line);
      if (conditional) {
        const [, kind, arg] = conditional;
        if ((kind === 'else' || kind === 'endif') && this.stack.length === depthBefore)
          this.malformed(file, no, `"${kind}" without a conditional`);
        else if ((kind === 'ifeq' || kind === 'ifneq') && !conditionArgs(arg))
          this.malformed(file, no, `cannot read "${line}"`);
        if (kind.startsWith('if')) opened.push(no);
        else if (kind === 'endif') opened.pop();
        this.conditional(kind, arg);
        continue;
      }
      if (!this.live) continue;
      if (/^define\b/.test(line)) {
        inDefine = 1;
        continue;
      }
      const include = /^(-?include|sinclude)\s+(.*)$/.exec(line);
      if (include) {
        if (depth < MAX_INCLUDE_DEPTH) this.include(include[2], include[1] !== 'include', depth);
        continue;
      }
      const assign = splitAssignment(line);
      if (assign) {
        inRecipe = false;
        this.assign(assign.name, assign.op, assign.value);
      } else if (isRule(line)) inRecipe = true;
    }
    if (this.stack.length > depthBefore)
      this.malformed(file, opened[opened.length - 1] ?? lineNo, 'conditional without "endif"');
    // An unclosed conditional ends with its file.
    this.stack.length = Math.min(this.stack.length, depthBefore);
  }

  /** Keeps the first line that is not make (KbuildResult.malformed). */
  private malformed(file: string, line: number, why: string): void {
    this.result.malformed ??= `${file}:${line}: ${why}`;
  }

  private noteOwned(text: string): void {
    for (const m of text.matchAll(/-[DU]\s*([A-Za-z_]\w*)/g))
      if (!this.result.owned.has(m[1])) this.result.owned.set(m[1], 'defines');
    for (const m of text.matchAll(/^\s*(?:export\s+)?(CONFIG_\w+)\s*[:?+]?=/gm)) {
      this.result.setsConfig = true;
      if (!this.result.owned.has(m[1])) this.result.owned.set(m[1], 'defines');
    }
  }

  private include(arg: string, optional: boolean, depth: number): void {
    for (const w of this.expand(arg).text.split(/\s+/).filter(Boolean)) {
      const file = w.includes(UNKNOWN) ? undefined : path.resolve(this.dir, w);
      if (file && fs.existsSync(file)) this.run(file, depth + 1);
      else if (!optional) {
        this.complete = false;
        this.result.notes.push(
          `${this.dir}: cannot follow "include ${arg}"; some flags and objects may be missing`,
        );
      }
    }
  }

  private conditional(kind: string, arg: string): void {
    if (kind === 'endif') {
      this.stack.pop();
      return;
    }
    if (kind === 'else') {
      const frame = this.stack[this.stack.length - 1];
      if (!frame) return;
      const nested = /^(ifeq|ifneq|ifdef|ifndef)\b\s*(.*)$/.exec(arg);
      const cond = frame.taken || !frame.parentLive ? false : nested ? this.test(nested[1], nested[2]) : true;
      // After an undecided branch, a branch that could be taken is undecided too.
      frame.state = cond === false ? false : frame.undecided ? undefined : cond;
      this.settle(frame);
      return;
    }
    const parentLive = this.live;
    const frame: CondFrame = {
      state: parentLive ? this.test(kind, arg) : false,
      taken: false,
      undecided: false,
      parentLive,
    };
    this.settle(frame);
    this.stack.push(frame);
  }

  private settle(frame: CondFrame): void {
    if (frame.state === true) frame.taken = true;
    if (frame.state === undefined) frame.undecided = true;
  }

  /** A make conditional: true, false, or undefined when it rests on something unknown. */
  private test(kind: string, arg: string): boolean | undefined {
    if (kind === 'ifdef' || kind === 'ifndef') {
      const words = this.vars.get(this.expand(arg.trim()).text);
      const unknown = words?.some((w) => w.maybe || w.text.includes(UNKNOWN));
      const set = this.isSet(arg.trim(), words);
      if (set === undefined || unknown) return undefined;
      return kind === 'ifdef' ? set : !set;
    }
    const pair = conditionArgs(arg);
    if (!pair) return undefined;
    const a = this.expand(pair[0]);
    const b = this.expand(pair[1]);
    if (a.maybe || b.maybe || a.text.includes(UNKNOWN) || b.text.includes(UNKNOWN)) return undefined;
    const equal = a.text.trim() === b.text.trim();
    return kind === 'ifeq' ? equal : !equal;
  }

  private isSet(name: string, words: Word[] | undefined): boolean | undefined {
    if (words) return words.some((w) => w.text.trim() !== '');
    return this.external(name) === undefined ? undefined : this.external(name) !== '';
  }

  private assign(rawName: string, op: string, rawValue: string): void {
    const expanded = this.expand(rawName);
    let name = expanded.text.trim();
    // `$(X)-y` with X not known: a list of an unknown name (selected or not, not known either).
    if (expanded.maybe || /\s/.test(name)) name = UNKNOWN + (/-\w*$/.exec(name)?.[0] ?? '');
    const maybe = this.maybe;
    const old = this.vars.get(name);
    if (op === '?=' && (old || this.external(name) !== '')) return;
    const fresh: Word[] =
      op === '!='
        ? [{ text: UNKNOWN, maybe }]
        : this.words(rawValue).map((w) => ({ ...w, maybe: w.maybe || maybe }));
    if (op === '+=') this.vars.set(name, [...(old ?? this.externalWords(name)), ...fresh]);
    // Set under a condition not decided: either the old value or the new one.
    else if (maybe) this.vars.set(name, [...(old ?? []).map((w) => ({ ...w, maybe: true })), ...fresh]);
    else this.vars.set(name, fresh);
  }

  /** A value's words: a lone `$(VAR)` keeps VAR's words as they are, anything else is expanded. */
  private words(value: string): Word[] {
    const out: Word[] = [];
    for (const token of splitTopLevel(value)) {
      const ref = /^\$[({]([\w.-]+)[)}]$/.exec(token);
      const known = ref ? this.vars.get(ref[1]) : undefined;
      if (known) {
        out.push(...known);
        continue;
      }
      const e = this.expand(token);
      for (const text of e.text.split(/\s+/).filter(Boolean)) out.push({ text, maybe: e.maybe });
    }
    return out;
  }

  /** A variable nothing here sets: a kernel CONFIG_ option, something the build passes in, or empty. */
  private external(name: string): string | undefined {
    if (name.startsWith('CONFIG_')) {
      const k = this.opts.kconfig?.get(name);
      if (k !== undefined) return k;
      if (this.opts.kconfig) return '';
      return this.opts.allDeclared || this.opts.declared.has(name) ? undefined : '';
    }
    return PASSED_IN.has(name) || name.startsWith('KBUILD_') ? undefined : '';
  }

  private externalWords(name: string): Word[] {
    const v = this.external(name);
    return v === undefined ? [{ text: UNKNOWN, maybe: false }] : v ? [{ text: v, maybe: false }] : [];
  }

  /** Expands variable references and functions in a text. */
  expand(text: string, depth = 0): { text: string; maybe: boolean } {
    let maybe = false;
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '$') {
        out += c;
        continue;
      }
      const next = text[i + 1];
      if (next === '$') {
        out += '$';
        i++;
        continue;
      }
      if (next !== '(' && next !== '{') {
        out += UNKNOWN; // $@, $<, $1...: recipe and call variables
        i++;
        continue;
      }
      const close = matchingClose(text, i + 1);
      if (close < 0) {
        out += UNKNOWN;
        break;
      }
      const inner = text.slice(i + 2, close);
      i = close;
      if (depth > 20) {
        out += UNKNOWN;
        continue;
      }
      const r = this.reference(inner, depth + 1);
      out += r.text;
      maybe ||= r.maybe;
    }
    return { text: out, maybe };
  }

  private reference(inner: string, depth: number): { text: string; maybe: boolean } {
    const fn = /^([a-z-]+)\s+([\s\S]*)$/.exec(inner);
    if (fn && MAKE_FUNCTIONS.has(fn[1])) return this.func(fn[1], fn[2], depth);
    // $(VAR:.c=.o): a substitution reference.
    const subst = /^([^:]+):([^=]*)=(.*)$/.exec(inner);
    const name = this.expand(subst ? subst[1] : inner, depth).text.trim();
    const words = this.vars.get(name) ?? this.externalWords(name);
    let text = words.map((w) => w.text).join(' ');
    if (subst) text = text.replace(new RegExp(`${escapeRegExp(subst[2])}(?=\\s|$)`, 'g'), subst[3]);
    return { text, maybe: words.some((w) => w.maybe) };
  }

  private func(name: string, argText: string, depth: number): { text: string; maybe: boolean } {
    const args = splitFunctionArgs(argText).map((a) => this.expand(a, depth));
    const maybe = args.some((a) => a.maybe);
    const t = args.map((a) => a.text);
    // What a function makes of an unknown input is unknown (but `$(if)` needs only its condition).
    if (name !== 'if' && t.some((a) => a.includes(UNKNOWN))) return { text: UNKNOWN, maybe };
    const list = (s: string) => s.split(/\s+/).filter(Boolean);
    const known = (s: string) => ({ text: s, maybe });
    switch (name) {
      case 'strip':
        return known(list(t[0] ?? '').join(' '));
      case 'findstring':
        return known((t[1] ?? '').includes(t[0] ?? '') ? (t[0] ?? '') : '');
      case 'filter':
      case 'filter-out': {
        const pats = list(t[0] ?? '').map(makePattern);
        const keep = (w: string) => pats.some((p) => p.test(w)) === (name === 'filter');
        return known(
          list(t[1] ?? '')
            .filter(keep)
            .join(' '),
        );
      }
      case 'subst':
        return known((t[2] ?? '').split(t[0] ?? '').join(t[1] ?? ''));
      case 'patsubst': {
        const from = makePattern(t[0] ?? '');
        const to = t[1] ?? '';
        return known(
          list(t[2] ?? '')
            .map((w) => {
              const m = from.exec(w);
              return m ? to.replace('%', m[1] ?? '') : w;
            })
            .join(' '),
        );
      }
      case 'addprefix':
        return known(
          list(t[1] ?? '')
            .map((w) => (t[0] ?? '') + w)
            .join(' '),
        );
      case 'addsuffix':
        return known(
          list(t[1] ?? '')
            .map((w) => w + (t[0] ?? ''))
            .join(' '),
        );
      case 'if':
        if ((t[0] ?? '').includes(UNKNOWN)) return { text: UNKNOWN, maybe };
        return known((t[0] ?? '').trim() ? (t[1] ?? '') : (t[2] ?? ''));
      case 'or':
        return known(t.find((a) => a.trim() !== '') ?? '');
      case 'and':
        return known(t.every((a) => a.trim() !== '') ? (t[t.length - 1] ?? '') : '');
      case 'notdir':
        return known(
          list(t[0] ?? '')
            .map((w) => w.replace(/^.*\//, ''))
            .join(' '),
        );
      case 'dir':
        return known(
          list(t[0] ?? '')
            .map((w) => (w.includes('/') ? w.replace(/[^/]*$/, '') : './'))
            .join(' '),
        );
      case 'basename':
        return known(
          list(t[0] ?? '')
            .map((w) => w.replace(/\.[^./]*$/, ''))
            .join(' '),
        );
      case 'firstword':
        return known(list(t[0] ?? '')[0] ?? '');
      case 'sort':
        return known([...new Set(list(t[0] ?? ''))].sort().join(' '));
      case 'info':
      case 'warning':
      case 'error':
        return known('');
      default:
        // shell, wildcard, realpath, abspath, origin, call, eval, foreach...: nothing run, unknown.
        return { text: UNKNOWN, maybe };
    }
  }

  /**
   * The flags of the named variables, in the order given (as Kbuild joins them), their
   * `ccflags-$(X)` spellings included; flags set only maybe are what the driver may define.
   */
  flagsOf(names: string[]): [string, string | null][] {
    const out: [string, string | null][] = [];
    for (const name of names) {
      for (const [varName, words] of this.vars) {
        if (varName.replace(UNKNOWN, 'y') !== name) continue;
        const undecided = varName.includes(UNKNOWN);
        for (const f of flagWords(words)) {
          if (undecided || f.maybe) this.result.owned.set(f.name, 'maybe');
          else out.push([f.name, f.value]);
        }
      }
    }
    return out;
  }

  /** `CFLAGS_foo.o` flags, by object. */
  perObjectFlags(): [string, [string, string | null][]][] {
    const out: [string, [string, string | null][]][] = [];
    for (const [varName, words] of this.vars) {
      const m = /^CFLAGS_(.+\.o)$/.exec(varName);
      if (!m) continue;
      const flags: [string, string | null][] = [];
      for (const f of flagWords(words)) {
        if (f.maybe) this.result.owned.set(f.name, 'maybe');
        else flags.push([f.name, f.value]);
      }
      if (flags.length) out.push([m[1], flags]);
    }
    return out;
  }

  /**
   * The words of every object list the build uses: `obj-y`, `obj-m`, composite objects' `foo-y`
   * and `foo-objs`, and lists whose `-$(CONFIG_X)` suffix is undecided (maybe built).
   */
  objectLists(): Word[] {
    const out: Word[] = [];
    for (const [name, words] of this.vars) {
      if (NOT_OBJECT_LISTS.test(name)) continue;
      const undecided = name.endsWith(`-${UNKNOWN}`);
      const used = name.startsWith('obj-') ? /^obj-[ym]$/.test(name) : /-(?:y|objs)$/.test(name);
      if (!used && !undecided) continue;
      out.push(
        ...words.filter((w) => w.text.endsWith('.o') || w.text.endsWith('/') || w.text.includes(UNKNOWN)),
      );
    }
    return out;
  }
}

const MAKE_FUNCTIONS = new Set([
  'strip',
  'findstring',
  'filter',
  'filter-out',
  'subst',
  'patsubst',
  'addprefix',
  'addsuffix',
  'if',
  'or',
  'and',
  'notdir',
  'dir',
  'basename',
  'firstword',
  'sort',
  'info',
  'warning',
  'error',
  'shell',
  'wildcard',
  'realpath',
  'abspath',
  'origin',
  'call',
  'eval',
  'foreach',
  'word',
  'words',
  'value',
  'flavor',
  'suffix',
  'join',
  'lastword',
  'wordlist',
  'file',
]);

/** `-DNAME`, `-DNAME=value`, `-D NAME`, `-UNAME` among a value's words. */
function flagWords(words: Word[]): { name: string; value: string | null; maybe: boolean }[] {
  const out: { name: string; value: string | null; maybe: boolean }[] = [];
  for (let i = 0; i < words.length; i++) {
    let text = words[i].text;
    const maybe = words[i].maybe || text.includes(UNKNOWN);
    if ((text === '-D' || text === '-U') && words[i + 1]) text += words[++i].text;
    const m = /^-([DU])([A-Za-z_]\w*)(?:=(.*))?$/.exec(text);
    if (!m) continue;
    out.push({ name: m[2], value: m[1] === 'U' ? null : unquote(m[3] ?? '1'), maybe });
  }
  return out;
}

/** What the shell makes of a value written in a Makefile: `\"x\"` -> `"x"`, `'x'` -> `x`. */
function unquote(v: string): string {
  if (/^'.*'$/.test(v)) return v.slice(1, -1);
  return v.replace(/\\(["'\\])/g, '$1');
}

/** `NAME op value` at the top level of the line (`$(...)` may hold `:` and `=`), or undefined. */
function splitAssignment(line: string): { name: string; op: string; value: string } | undefined {
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '$' && (line[i + 1] === '(' || line[i + 1] === '{')) {
      depth++;
      i++;
    } else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (depth === 0) {
      const op = ['::=', ':=', '?=', '+=', '!=', '='].find((o) => line.startsWith(o, i));
      if (op) {
        const name = line
          .slice(0, i)
          .replace(/^\s*(?:override\s+|export\s+)+/, '')
          .trim();
        if (!name || /\s/.test(name)) return undefined;
        return { name, op: op === '::=' ? ':=' : op, value: line.slice(i + op.length).trim() };
      }
      if (c === ':' || c === ';') return undefined;
    }
  }
  return undefined;
}

function isRule(line: string): boolean {
  return /^[^=]*[^:=]:(?!=)/.test(line);
}

function stripMakeComment(line: string): string {
  for (let i = 0; i < line.length; i++) if (line[i] === '#' && line[i - 1] !== '\\') return line.slice(0, i);
  return line;
}

/** `(a,b)`, `"a" "b"` or `'a' 'b'`. */
function conditionArgs(arg: string): [string, string] | undefined {
  const t = arg.trim();
  if (t.startsWith('(') && t.endsWith(')')) {
    const parts = splitFunctionArgs(t.slice(1, -1));
    return parts.length === 2 ? [parts[0], parts[1]] : undefined;
  }
  const q = /^(["'])(.*?)\1\s+(["'])(.*?)\3$/.exec(t);
  return q ? [q[2], q[4]] : undefined;
}

/** Splits at top-level commas (not inside `$(...)`). */
function splitFunctionArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out;
}

/** Splits a value at whitespace outside `$(...)`. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let word = '';
  for (const c of text) {
    if (c === '(' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    if (/\s/.test(c) && depth === 0) {
      if (word) out.push(word);
      word = '';
    } else word += c;
  }
  if (word) out.push(word);
  return out;
}

function matchingClose(text: string, open: number): number {
  const close = text[open] === '(' ? ')' : '}';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === text[open]) depth++;
    else if (text[i] === close && --depth === 0) return i;
  }
  return -1;
}

/** A make pattern (`%` matches any text) as a regular expression capturing the `%` part. */
function makePattern(p: string): RegExp {
  const i = p.indexOf('%');
  if (i < 0) return new RegExp(`^${escapeRegExp(p)}$`);
  return new RegExp(`^${escapeRegExp(p.slice(0, i))}(.*)${escapeRegExp(p.slice(i + 1))}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
