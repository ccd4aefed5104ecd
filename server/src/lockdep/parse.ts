/**
 * Parser for lockdep reports as they appear in dmesg, serial logs and mailing-list threads.
 *
 * The text is first reduced to printk messages (lines.ts). Reports are then read by a scanner
 * that tolerates everything mail does to them: quoting, wrapped or joined lines, lost
 * whitespace, parts cut out, several reports and copies of one report in a single text. A report
 * starts at its title line, or at the first recognisable section when the title was cut off, and
 * ends at the next title, at a section that cannot belong to it (a second held-locks list, a
 * section out of lockdep's printing order), at a jump in printk time, or after a long run of
 * unrelated lines. Nothing here throws on bad input; what could not be read is in `warnings`.
 */
import { parseLockLine, parseLockRef } from './classes';
import { frameFunctions, parseFrame, sourceFunctionName } from './frames';
import { splitLogLines, type LogLine } from './lines';
import type {
  LockdepFrame,
  LockdepHeldLock,
  LockdepLink,
  LockdepLockRef,
  LockdepReport,
  LockdepReportKind,
} from './types';

export type * from './types';
export { normaliseClassName } from './classes';
export { frameFunctions, isLockdepInternal, parseFrame, sourceFunctionName } from './frames';
export { parseProcLockdep } from './proc';

/** Lines longer than this are prose from a joined mail; lockdep never prints them. */
const MAX_LINE = 4096;
/** Unrelated lines after which a report is considered over (a register dump is about ten). */
const MAX_GAP = 25;
/** "Chain exists of:" text beyond which further lines are not taken as its continuation. */
const MAX_CHAIN_TEXT = 1024;
/** printk seconds between two lines of one report; lockdep prints a report in one go. */
const MAX_TIME_STEP = 60;

export function parseLockdepReports(text: string): LockdepReport[] {
  // Callers hand over whatever they read from disk or a clipboard; a non-string is just no reports.
  if (typeof text !== 'string') return [];
  const scanner = new ReportScanner();
  for (const line of splitLogLines(text)) scanner.feed(line);
  return scanner.finish();
}

/**
 * Keeps one report per (kind, classes): a thread quotes the same splat again and again. Of the
 * copies, the most complete one is kept, at the position of the first.
 */
export function dedupeReports(reports: readonly LockdepReport[]): LockdepReport[] {
  const best = new Map<string, LockdepReport>();
  for (const report of reports) {
    const key = reportKey(report);
    const kept = best.get(key);
    if (!kept || richness(report) > richness(kept)) best.set(key, report);
  }
  return [...best.values()];
}

/** The class a scenario step locks: "lock(&cpuctx_mutex);" -> "&cpuctx_mutex"; undefined for "<Interrupt>". */
export function scenarioClass(step: string): string | undefined {
  return /^(?:lock|rlock|sync)\((.+)\);?$/.exec(step)?.[1];
}

function reportKey(r: LockdepReport): string {
  const classes = r.chain.length > 0 ? r.chain : r.links.map((l) => `${l.from}>${l.to}`);
  const parts = [r.trying?.cls ?? '', r.holding?.cls ?? '', classes.join(',')];
  // Fragments without the identifying lines fall back to what they do have.
  if (parts.join('') === '') {
    parts.push(
      r.title,
      r.held.map((h) => h.cls).join(','),
      frameFunctions(r.backtrace).slice(0, 8).join(','),
    );
  }
  return [r.kind, ...parts].join('|');
}

function richness(r: LockdepReport): number {
  const linkFrames = r.links.reduce((n, l) => n + l.frames.length, 0);
  const scenario = r.scenario ? r.scenario.cpu0.length + r.scenario.cpu1.length : 0;
  return (
    5 * r.links.length +
    linkFrames +
    r.chain.length +
    scenario +
    r.held.length +
    r.backtrace.length +
    (r.trying ? 1 : 0) +
    (r.holding ? 1 : 0) -
    r.warnings.length
  );
}

// ---------------------------------------------------------------------------------------------
// Title lines

interface Title {
  kind: LockdepReportKind;
  text: string;
  location?: string;
}

const TITLES: [RegExp, LockdepReportKind][] = [
  [/^possible circular locking dependency detected$/i, 'circular'],
  [/^inconsistent lock state$/i, 'inconsistent'],
  [/^invalid wait context$/i, 'invalid-wait'],
  [/^sleeping function called from invalid context(?: at (\S+))?$/i, 'sleep-in-atomic'],
  [/^possible recursive locking detected$/i, 'recursive'],
  [
    /^(?:possible irq lock inversion dependency detected|(?:hard|soft)irq-safe -> (?:hard|soft)irq-unsafe lock order detected|bad unlock balance detected|suspicious rcu usage|lock held when returning to user space|held lock freed|bad contention detected|lock held at task exit time)$/i,
    'unknown',
  ],
];

function matchTitle(text: string): Title | undefined {
  if (text.length > 200) return undefined;
  // "WARNING: x", "BUG: x", and the pre-4.10 "[ INFO: x ]" are the same report.
  const core = text
    .replace(/^\[ ?(.*?) ?\]$/, '$1')
    .replace(/^(?:WARNING|INFO|BUG): /, '')
    .replace(/[.!]$/, '');
  for (const [re, kind] of TITLES) {
    const m = re.exec(core);
    if (m) return { kind, text, ...(m[1] !== undefined && { location: m[1] }) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Section markers

type Marker =
  | { type: 'trying'; task?: string; rest: string }
  | { type: 'holding'; rest: string }
  | { type: 'registered'; usage: string; rest: string }
  | { type: 'depsHeader' }
  | { type: 'block'; index: number; desc: string }
  | { type: 'chain'; rest: string }
  | { type: 'scenario' }
  | { type: 'cpuHeader'; cpu0: number; cpu1?: number }
  | { type: 'held'; count: number; task: string; rest: string }
  | { type: 'preempt'; rest: string }
  | { type: 'stackBacktrace'; rest: string }
  | { type: 'callTrace'; rest: string };

type MarkerType = Marker['type'];

/**
 * `stage` is lockdep's printing order; a marker from an earlier stage than one already seen
 * starts a new report. `once` sections cannot repeat within a report. `opens` markers are
 * distinctive enough to start a report whose title was lost.
 */
const MARKER_RULES: Record<MarkerType, { stage: number; once: boolean; opens: boolean }> = {
  trying: { stage: 1, once: true, opens: true },
  holding: { stage: 2, once: true, opens: true },
  registered: { stage: 2, once: true, opens: true },
  depsHeader: { stage: 3, once: true, opens: true },
  block: { stage: 3, once: false, opens: true },
  chain: { stage: 5, once: true, opens: true },
  scenario: { stage: 6, once: true, opens: true },
  cpuHeader: { stage: 6, once: true, opens: false },
  held: { stage: 7, once: true, opens: true },
  preempt: { stage: 8, once: true, opens: false },
  stackBacktrace: { stage: 9, once: true, opens: false },
  callTrace: { stage: 9, once: false, opens: false },
};

function matchMarker(line: LogLine): Marker | undefined {
  const t = line.text;
  let m: RegExpExecArray | null;
  // Real chains are a few dozen links at most; a huge index is garbage (and would be walked in buildLinks).
  if ((m = /^-> #(\d{1,4}):? (.*)$/.exec(t))) return { type: 'block', index: Number(m[1]), desc: m[2] };
  if (t.includes('is trying to') && (m = /^(.*?) ?is trying to (?:acquire|lock)(?: lock)?:(.*)$/.exec(t))) {
    return { type: 'trying', task: taskName(m[1]), rest: m[2] };
  }
  // Inconsistent lock state: "swapper/0/0 [HC1[1]:SC0[0]:HE0:SE1] takes:".
  if (t.includes('] takes:') && (m = /^(.*?) ?\[[^ ]*\] takes:(.*)$/.exec(t))) {
    return { type: 'trying', task: taskName(m[1]), rest: m[2] };
  }
  if ((m = /^(?:but task is|and this task is) already holding(?: lock)?:(.*)$/.exec(t))) {
    return { type: 'holding', rest: m[1] };
  }
  if ((m = /^(\{[^{}]*\}) state was registered at:(.*)$/.exec(t))) {
    return { type: 'registered', usage: m[1], rest: m[2] };
  }
  if (t.startsWith('the existing dependency chain (in reverse order) is:')) return { type: 'depsHeader' };
  if ((m = /^Chain exists of:(.*)$/.exec(t))) return { type: 'chain', rest: m[1] };
  if (/^Possible (?:interrupt )?unsafe locking scenario(?: by crosslock)?:$/.test(t))
    return { type: 'scenario' };
  if (/^CPU0(?: CPU1)?$/.test(t)) {
    const cpu1 = line.raw.indexOf('CPU1');
    return { type: 'cpuHeader', cpu0: line.raw.indexOf('CPU0'), ...(cpu1 >= 0 && { cpu1 }) };
  }
  if (t.includes(' held by ') && (m = /^(\d+|no) locks? held by (.+?)[:.](?= |$)(.*)$/.exec(t))) {
    return { type: 'held', count: m[1] === 'no' ? 0 : Number(m[1]), task: m[2], rest: m[3] };
  }
  if ((m = /^Preemption disabled at:(.*)$/.exec(t))) return { type: 'preempt', rest: m[1] };
  if ((m = /^stack backtrace:(.*)$/.exec(t))) return { type: 'stackBacktrace', rest: m[1] };
  if ((m = /^Call [Tt]race:(.*)$/.exec(t))) return { type: 'callTrace', rest: m[1] };
  return undefined;
}

/** "perf/19761" from "perf/19761" or "swapper/0/0 [HC1[1]:…]"; undefined if it is not a comm/pid. */
function taskName(text: string): string | undefined {
  const task = text.replace(/ \[.*\]$/, '').trim();
  return /\/\d+$/.test(task) ? task : undefined;
}

// ---------------------------------------------------------------------------------------------
// Lines that belong to reports but carry nothing we keep

const NOISE: RegExp[] = [
  /^[=-]{4,}(?: [=-]{4,})?$/,
  /^\S+ #\d+(?: \S+)* (?:Not tainted|Tainted: .*)$/,
  /^which lock already depends on the new lock\.$/,
  /^other info that might help us debug this:$/,
  /^\*\*\* DEADLOCK \*\*\*$/,
  /^May be due to missing lock nesting notation$/,
  /^(?:irq event stamp|(?:hard|soft)irqs last (?:en|dis)abled at)/,
  /^(?:preempt_count|RCU nest depth): /,
  /^(?:Hardware name|Workqueue|Modules linked in): /,
  /^(?:RIP|RSP|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R\d\d?|FS|GS|CS|DS|ES|CR\d|DR\d|Code|EFLAGS|ORIG_RAX): /,
  /^INFO: lockdep is turned off\.$/,
  /^turning off the locking correctness validator\.$/,
  /^<\/?(?:TASK|IRQ|NMI|SOFTIRQ|EOI)>$/,
];

/** Lines inside a backtrace that are not frames but do not end it. */
const BACKTRACE_FURNITURE = /^(?:CPU: \d+ |Hardware name: |Workqueue: |<\/?(?:TASK|IRQ|NMI|SOFTIRQ|EOI)>$)/;
const SCENARIO_STEP = /^(?:[a-z_]+\(.*\);?|<Interrupt>)$/;
/** A chain line cut after (part of) an arrow continues on the next line. */
const OPEN_ARROW = /-+>?$/;

// ---------------------------------------------------------------------------------------------
// The scanner

interface Block {
  index: number;
  cls: string;
  usage?: string;
  waitType?: string;
  frames: LockdepFrame[];
}

type Section =
  | { type: 'none' }
  | { type: 'lock'; role: 'trying' | 'holding' }
  /** The previous lock line ended in "at:"; its frame was wrapped onto this line. */
  | { type: 'at'; target: LockdepLockRef; resume: Section }
  | { type: 'frames'; frames: LockdepFrame[]; backtrace: boolean }
  | { type: 'chain' }
  | { type: 'scenario' }
  | { type: 'held' }
  | { type: 'preempt' };

const NO_SECTION: Section = { type: 'none' };

interface Draft {
  report: LockdepReport;
  titled: boolean;
  stage: number;
  seen: Set<MarkerType>;
  blocks: Map<number, Block>;
  lastBlock?: number;
  heldExpected?: number;
  chainText: string;
  scenarioSteps: { text: string; indent: number }[];
  cpuColumns?: { cpu0: number; cpu1?: number };
  section: Section;
  lastTime?: number;
  gap: number;
  /** Per-line warnings beyond MAX_LINE_WARNINGS, counted instead of kept. */
  suppressed: number;
}

/** Per-line problems are reported individually only up to this many per report. */
const MAX_LINE_WARNINGS = 50;

function lineWarning(d: Draft, message: string): void {
  if (d.report.warnings.length < MAX_LINE_WARNINGS) d.report.warnings.push(message);
  else d.suppressed++;
}

class ReportScanner {
  private readonly reports: LockdepReport[] = [];
  private draft: Draft | undefined;

  feed(line: LogLine): void {
    if (this.draft && this.isTimeBreak(this.draft, line)) this.close();
    if (line.text.length > MAX_LINE) {
      if (this.draft) this.unrelated(this.draft);
      return;
    }
    const title = matchTitle(line.text);
    if (title) {
      this.close();
      this.open(line, title);
      return;
    }
    const marker = matchMarker(line);
    if (marker) this.onMarker(marker, line);
    else if (this.draft) this.onLine(this.draft, line);
  }

  finish(): LockdepReport[] {
    this.close();
    return this.reports;
  }

  private isTimeBreak(d: Draft, line: LogLine): boolean {
    if (line.time === undefined || d.lastTime === undefined) return false;
    return line.time < d.lastTime || line.time - d.lastTime > MAX_TIME_STEP;
  }

  private open(line: LogLine, title: Title | undefined): Draft {
    const report: LockdepReport = {
      kind: title?.kind ?? 'unknown',
      title: title?.text ?? '',
      links: [],
      chain: [],
      scenario: undefined,
      held: [],
      backtrace: [],
      startLine: line.lineNo,
      endLine: line.lineNo,
      warnings: [],
      ...(title?.location !== undefined && { location: title.location }),
    };
    this.draft = {
      report,
      titled: title !== undefined,
      stage: 0,
      seen: new Set(),
      blocks: new Map(),
      chainText: '',
      scenarioSteps: [],
      section: NO_SECTION,
      lastTime: line.time,
      gap: 0,
      suppressed: 0,
    };
    return this.draft;
  }

  private close(): void {
    if (this.draft) this.reports.push(finalise(this.draft));
    this.draft = undefined;
  }

  /** The line was used: the report goes on at least this far. */
  private touch(d: Draft, line: LogLine): void {
    d.gap = 0;
    d.report.endLine = line.lineNo;
    if (line.time !== undefined) d.lastTime = line.time;
  }

  private unrelated(d: Draft): void {
    d.section = NO_SECTION;
    if (++d.gap >= MAX_GAP) this.close();
  }

  private onMarker(marker: Marker, line: LogLine): void {
    const rule = MARKER_RULES[marker.type];
    let d = this.draft;
    if (d && this.conflicts(d, marker)) {
      this.close();
      d = undefined;
    }
    if (!d) {
      if (!rule.opens) return;
      d = this.open(line, undefined);
    }
    this.touch(d, line);
    if (d.section.type === 'lock') lineWarning(d, `no lock description after the "${d.section.role}" line`);
    d.stage = Math.max(d.stage, rule.stage);
    d.seen.add(marker.type);
    this.applyMarker(d, marker, line);
  }

  private conflicts(d: Draft, marker: Marker): boolean {
    const rule = MARKER_RULES[marker.type];
    if (rule.stage < d.stage || (rule.once && d.seen.has(marker.type))) return true;
    // Dependency blocks count down to #0; a repeated or larger index is another report's chain.
    if (marker.type === 'block') return d.lastBlock !== undefined && marker.index >= d.lastBlock;
    return false;
  }

  private applyMarker(d: Draft, marker: Marker, line: LogLine): void {
    const report = d.report;
    switch (marker.type) {
      case 'trying':
        if (marker.task !== undefined) report.task = marker.task;
        d.section = { type: 'lock', role: 'trying' };
        break;
      case 'holding':
        d.section = { type: 'lock', role: 'holding' };
        break;
      case 'registered':
        report.registeredAt = { usage: marker.usage, frames: [] };
        d.section = { type: 'frames', frames: report.registeredAt.frames, backtrace: false };
        break;
      case 'depsHeader':
        d.section = NO_SECTION;
        break;
      case 'block':
        d.section = {
          type: 'frames',
          frames: this.openBlock(d, marker.index, marker.desc),
          backtrace: false,
        };
        break;
      case 'chain':
        d.section = { type: 'chain' };
        break;
      case 'scenario':
        d.section = { type: 'scenario' };
        break;
      case 'cpuHeader':
        d.cpuColumns = { cpu0: marker.cpu0, ...(marker.cpu1 !== undefined && { cpu1: marker.cpu1 }) };
        d.section = { type: 'scenario' };
        break;
      case 'held':
        d.heldExpected = marker.count;
        report.task ??= marker.task;
        d.section = { type: 'held' };
        break;
      case 'preempt':
        d.section = { type: 'preempt' };
        break;
      case 'stackBacktrace':
      case 'callTrace':
        d.section = { type: 'frames', frames: report.backtrace, backtrace: true };
        break;
    }
    // Without timestamps, a joined mail line can carry the section's first line after the colon.
    const rest = 'rest' in marker ? marker.rest.trim() : '';
    if (rest !== '') this.onLine(d, { ...line, text: rest, raw: rest, indent: 0 });
  }

  /** Registers "-> #N (class){usage}-{w:w}:" and returns where its frames go. */
  private openBlock(d: Draft, index: number, desc: string): LockdepFrame[] {
    d.lastBlock = index;
    const ref = parseLockRef(desc, 0);
    if (!ref) {
      lineWarning(d, `dependency #${index}: unreadable class "${desc}"`);
      return [];
    }
    const block: Block = { index, cls: ref.cls, frames: [] };
    if (ref.usage !== undefined) block.usage = ref.usage;
    if (ref.waitType !== undefined) block.waitType = ref.waitType;
    d.blocks.set(index, block);
    return block.frames;
  }

  private onLine(d: Draft, line: LogLine): void {
    if (line.text === '') {
      // A blank line ends a chain; elsewhere lockdep and mail both add blank lines freely.
      if (d.section.type === 'chain' && d.chainText !== '') d.section = NO_SECTION;
      return;
    }
    if (this.consumeInSection(d, line)) {
      this.touch(d, line);
      return;
    }
    d.section = NO_SECTION;
    if (this.consumeInfo(d, line)) this.touch(d, line);
    else this.unrelated(d);
  }

  private consumeInSection(d: Draft, line: LogLine): boolean {
    const section = d.section;
    switch (section.type) {
      case 'none':
        return false;
      case 'lock':
        return this.consumeLock(d, section.role, line.text);
      case 'at': {
        d.section = section.resume;
        const frame = parseFrame(line.text);
        if (frame) section.target.at = frame;
        return frame !== undefined || this.consumeInSection(d, line);
      }
      case 'frames':
        return this.consumeFrame(d, section.frames, section.backtrace, line);
      case 'chain':
        return this.consumeChain(d, line.text);
      case 'scenario':
        return this.consumeScenario(d, line);
      case 'held':
        return this.consumeHeld(d, line.text);
      case 'preempt': {
        const frame = parseFrame(line.text);
        if (frame) d.report.preemptionDisabledAt = frame;
        d.section = NO_SECTION;
        return frame !== undefined;
      }
    }
  }

  private consumeLock(d: Draft, role: 'trying' | 'holding', text: string): boolean {
    const lock = parseLockLine(text);
    d.section = NO_SECTION;
    if (!lock) {
      lineWarning(d, `no lock description after the "${role}" line`);
      return false;
    }
    const ref = lockRef(lock);
    d.report[role] = ref;
    if (lock.atPending) d.section = { type: 'at', target: ref, resume: NO_SECTION };
    return true;
  }

  private consumeFrame(d: Draft, frames: LockdepFrame[], backtrace: boolean, line: LogLine): boolean {
    const frame = parseFrame(line.text);
    if (frame) {
      frames.push(frame);
      return true;
    }
    // A module tag wrapped onto its own line by a mailer: "ggtt_bind_vma+0x43/0x60" / "[i915]".
    const module = /^\[([\w-]+)\]$/.exec(line.text);
    const last = frames.at(-1);
    if (module && last && last.module === undefined) {
      last.module = module[1];
      last.raw += ` ${line.text}`;
      return true;
    }
    if (!backtrace || !BACKTRACE_FURNITURE.test(line.text)) return false;
    this.consumeInfo(d, line);
    return true;
  }

  /** "Chain exists of:" is followed by "a --> b --> c", which mailers wrap at any space. */
  private consumeChain(d: Draft, text: string): boolean {
    const continues =
      d.chainText === ''
        ? text.includes('-->') || !text.includes(' ')
        : OPEN_ARROW.test(d.chainText) || text.startsWith('-');
    // Three class names fit in a few hundred characters; more is garbage, not a longer chain.
    if (!continues || d.chainText.length > MAX_CHAIN_TEXT) return false;
    d.chainText = d.chainText === '' ? text : `${d.chainText} ${text}`;
    // lockdep prints exactly three classes; once they are there the chain is complete.
    if (splitChain(d.chainText).length >= 3 && !OPEN_ARROW.test(d.chainText)) d.section = NO_SECTION;
    return true;
  }

  private consumeScenario(d: Draft, line: LogLine): boolean {
    if (/^-{4}(?: -{4})?$/.test(line.text)) return true;
    if (!SCENARIO_STEP.test(line.text)) return false;
    d.scenarioSteps.push({ text: line.text, indent: line.indent });
    return true;
  }

  private consumeHeld(d: Draft, text: string): boolean {
    const m = /^#(\d+): ?(.*)$/.exec(text);
    if (!m) return false;
    const lock = parseLockLine(m[2]);
    if (!lock) {
      lineWarning(d, `unreadable held lock line "${text}"`);
      return true;
    }
    const held: LockdepHeldLock = { index: Number(m[1]), ...lockRef(lock) };
    d.report.held.push(held);
    if (lock.atPending) d.section = { type: 'at', target: held, resume: d.section };
    return true;
  }

  /** Lines outside any section that still belong to a report. */
  private consumeInfo(d: Draft, line: LogLine): boolean {
    const t = line.text;
    const report = d.report;
    let m: RegExpExecArray | null;
    if ((m = /^inconsistent (\{[^{}]*\}) -> (\{[^{}]*\}) usage\.?$/.exec(t))) {
      report.usageTransition = `${m[1]} -> ${m[2]}`;
    } else if (t.startsWith('in_atomic()') && (m = /pid: (\d+), name: (.+)$/.exec(t))) {
      report.task ??= `${m[2]}/${m[1]}`;
    } else if ((m = /^context-\{([^{}]*)\}$/.exec(t))) {
      report.waitContext = m[1];
    } else if ((m = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/.exec(t))) {
      report.task ??= `${m[2]}/${m[1]}`;
    } else if (!NOISE.some((re) => re.test(t)) && !parseFrame(t) && !parseLockLine(t)) {
      return false;
    }
    return true;
  }
}

function lockRef(lock: LockdepLockRef): LockdepLockRef {
  const ref: LockdepLockRef = { cls: lock.cls };
  if (lock.at) ref.at = lock.at;
  if (lock.usage !== undefined) ref.usage = lock.usage;
  if (lock.waitType !== undefined) ref.waitType = lock.waitType;
  return ref;
}

function splitChain(text: string): string[] {
  return text
    .split(/\s*--+>\s*|\s+--+\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

// ---------------------------------------------------------------------------------------------
// Finishing a report

function finalise(d: Draft): LockdepReport {
  const report = d.report;
  if (!d.titled) inferKind(d);
  report.links = buildLinks(d);
  if (d.seen.has('chain')) {
    report.chain = splitChain(d.chainText);
    if (report.chain.length < 2) report.warnings.push('"Chain exists of:" without its classes');
  }
  if (d.seen.has('scenario') || d.seen.has('cpuHeader')) report.scenario = assignScenario(d);
  if (d.heldExpected !== undefined && d.heldExpected !== report.held.length) {
    report.warnings.push(`${d.heldExpected} held lock(s) announced, ${report.held.length} found`);
  }
  checkCompleteness(d);
  if (d.suppressed > 0) report.warnings.push(`${d.suppressed} more unreadable line(s)`);
  return report;
}

/** lockdep's reporting function at the top of the backtrace names the report type. */
const REPORTERS = new Map<string, LockdepReportKind>([
  ['print_circular_bug', 'circular'],
  ['print_usage_bug', 'inconsistent'],
  ['print_deadlock_bug', 'recursive'],
  ['print_lock_invalid_wait_context', 'invalid-wait'],
  ['___might_sleep', 'sleep-in-atomic'],
  ['__might_resched', 'sleep-in-atomic'],
]);

function inferKind(d: Draft): void {
  const report = d.report;
  report.warnings.push('title line missing: report starts mid-way');
  const reporter = report.backtrace
    .filter((f) => !f.uncertain)
    .map((f) => REPORTERS.get(sourceFunctionName(f.fn)))
    .find((kind) => kind !== undefined);
  if (reporter) {
    report.kind = reporter;
    report.warnings.push(`kind "${reporter}" inferred from the backtrace`);
  } else if (d.blocks.size > 0) {
    report.kind = 'circular';
    report.warnings.push('kind "circular" inferred from the dependency chain');
  }
}

/**
 * Block #0's stack is where class #0 (the lock being acquired) was taken while holding the
 * report's held lock, which is also the last block's class; block #k is where class #k was
 * taken while holding class #k-1.
 */
function buildLinks(d: Draft): LockdepLink[] {
  const report = d.report;
  const blocks = [...d.blocks.values()].sort((a, b) => a.index - b.index);
  const last = blocks.at(-1);
  if (!last) return [];
  const missing: number[] = [];
  for (let i = 0; i < last.index; i++) if (!d.blocks.has(i)) missing.push(i);
  if (missing.length > 0) {
    report.warnings.push(`dependency block(s) missing: ${missing.map((i) => `#${i}`).join(', ')}`);
  }
  const heldClass = report.holding?.cls ?? (last.index > 0 ? last.cls : undefined);
  const block0 = d.blocks.get(0);
  if (report.trying && block0 && report.trying.cls !== block0.cls) {
    report.warnings.push(
      `dependency #0 is ${block0.cls}, not the lock being acquired (${report.trying.cls})`,
    );
  }
  const links: LockdepLink[] = [];
  for (const block of blocks) {
    const from = block.index === 0 ? heldClass : d.blocks.get(block.index - 1)?.cls;
    if (from === undefined) {
      if (block.index === 0) report.warnings.push('dependency #0: the held lock it depends on is unknown');
      continue;
    }
    const link: LockdepLink = { index: block.index, from, to: block.cls, frames: block.frames };
    if (block.usage !== undefined) link.usage = block.usage;
    if (block.waitType !== undefined) link.waitType = block.waitType;
    links.push(link);
  }
  return links;
}

/**
 * Splits the scenario steps into the CPU0 and CPU1 columns. The columns exist only as
 * indentation; when a mail archive collapsed it, lockdep's fixed layouts decide instead.
 */
function assignScenario(d: Draft): { cpu0: string[]; cpu1: string[] } {
  const steps = d.scenarioSteps;
  const texts = (list: typeof steps) => list.map((s) => s.text);
  const cols = d.cpuColumns;
  const twoCpus =
    cols !== undefined
      ? cols.cpu1 !== undefined
      : d.report.kind === 'circular' || steps.some((s) => s.text.startsWith('local_irq_disable'));
  if (steps.length === 0) d.report.warnings.push('unsafe locking scenario without steps');
  if (!twoCpus) return { cpu0: texts(steps), cpu1: [] };
  const threshold = columnThreshold(d);
  if (threshold !== undefined) {
    const cpu0 = steps.filter((s) => s.indent < threshold);
    const cpu1 = steps.filter((s) => s.indent >= threshold);
    if (cpu0.length > 0 && cpu1.length > 0) return { cpu0: texts(cpu0), cpu1: texts(cpu1) };
  }
  return byLockdepLayout(steps.map((s) => s.text));
}

/** The indentation separating the columns, if the log kept its whitespace. */
function columnThreshold(d: Draft): number | undefined {
  const cols = d.cpuColumns;
  if (cols?.cpu1 !== undefined && cols.cpu1 - cols.cpu0 >= 8) return (cols.cpu0 + cols.cpu1) / 2;
  // reduce, not Math.min(...): a mangled log can hold more steps than a call has arguments.
  const min = d.scenarioSteps.reduce((m, s) => Math.min(m, s.indent), Infinity);
  const max = d.scenarioSteps.reduce((m, s) => Math.max(m, s.indent), -Infinity);
  return max - min >= 8 ? (min + max) / 2 : undefined;
}

/**
 * Every two-CPU scenario lockdep prints starts with one CPU0 step, continues on CPU1, and comes
 * back to CPU0 for the last step (circular: 1 + 2 + 1) or from "<Interrupt>" on (irq: 1 + 3 + 2).
 */
function byLockdepLayout(steps: string[]): { cpu0: string[]; cpu1: string[] } {
  const interrupt = steps.indexOf('<Interrupt>', 1);
  // A cut-off table (fewer than four steps) has not come back to CPU0 yet.
  const back = interrupt > 0 ? interrupt : steps.length >= 4 ? steps.length - 1 : steps.length;
  return { cpu0: [...steps.slice(0, 1), ...steps.slice(back)], cpu1: steps.slice(1, back) };
}

const NEEDS_LOCKS: Partial<Record<LockdepReportKind, ('trying' | 'holding')[]>> = {
  circular: ['trying', 'holding'],
  recursive: ['trying', 'holding'],
  inconsistent: ['trying'],
  'invalid-wait': ['trying'],
};

function checkCompleteness(d: Draft): void {
  const report = d.report;
  for (const role of NEEDS_LOCKS[report.kind] ?? []) {
    if (!report[role]) report.warnings.push(`no "${role}" lock`);
  }
  if (report.kind === 'circular' && d.blocks.size === 0) report.warnings.push('no dependency chain');
  if (report.kind !== 'unknown') {
    if (!d.seen.has('held')) report.warnings.push('no held-locks list');
    if (report.backtrace.length === 0) report.warnings.push('no stack backtrace');
  }
}
