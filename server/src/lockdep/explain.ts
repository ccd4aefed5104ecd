/**
 * `lockscope explain`: a lockdep report read against the workspace. For each dependency lockdep
 * reports, the static classes it maps to, the frame that created it, the workspace line behind
 * that frame, and whether static analysis sees the same edge; for the other report kinds, the
 * held locks and backtrace frames with their source lines. Never throws: whatever cannot be
 * read is said, not raised.
 */
import type { Engine } from '../engine/engine';
import type { RuleId } from '../rules/rule';
import { isLockdepInternal, sourceFunctionName } from './frames';
import {
  certainFrames,
  definitionFor,
  locateAt,
  locateStack,
  type LocateHints,
  type SourceSite,
} from './locate';
import { mapReportClasses, mapRuntimeClass, type ClassMapping } from './map-class';
import { reportEdges, uniqueEdges, type RuntimeEdge } from './merge';
import { dedupeReports, parseLockdepReports } from './parse';
import { staticView, type StaticView, type StaticViewOptions } from './static-view';
import type { LockdepFrame, LockdepLockRef, LockdepReport, LockdepReportKind } from './types';

/** Callers shown after the frame that creates an edge. */
const CALLERS_SHOWN = 2;
/** Backtrace frames shown for reports without a dependency chain. */
const BACKTRACE_SHOWN = 24;
/** Parser warnings shown per report. */
const WARNINGS_SHOWN = 4;

export type StaticSeen =
  | { seen: 'static'; file: string; line: number; fn: string }
  | { seen: 'baseline'; source: string }
  /** Both lockdep classes map to one static class: static analysis cannot order them. */
  | { seen: 'same-class' }
  | { seen: 'no' };

export interface ExplainedLink {
  index: number;
  from: ClassMapping;
  to: ClassMapping;
  /** The first frame outside lockdep and the lock primitives, as printed. */
  frame?: string;
  /** Its callers (function names), nearest first. */
  callers: string[];
  site?: SourceSite;
  static: StaticSeen;
}

export interface ExplainedLock {
  /** `#N` of a held lock. */
  index?: number;
  mapping: ClassMapping;
  at?: LockdepFrame;
  site?: SourceSite;
}

export interface ExplainedFrame {
  frame: LockdepFrame;
  site?: SourceSite;
}

/** The static finding a report's lock state is (irq-inversion, wait-context). */
export interface MatchedFinding {
  rule: RuleId;
  file: string;
  /** 1-based. */
  line: number;
  fn: string;
  message: string;
  /** `stack`: the finding's function is on the report's stacks; `class`: only the class matches. */
  how: 'stack' | 'class';
}

export interface ExplainedReport {
  kind: LockdepReportKind;
  title: string;
  task?: string;
  startLine: number;
  endLine: number;
  trying?: ExplainedLock;
  holding?: ExplainedLock;
  /** Circular reports: link #0 first, as lockdep's blocks are numbered. */
  links: ExplainedLink[];
  chain: string[];
  held: ExplainedLock[];
  usageTransition?: string;
  waitContext?: string;
  location?: string;
  preemptionDisabledAt?: ExplainedFrame;
  registeredAt?: { usage: string; frames: ExplainedFrame[] };
  /** Certain frames outside lockdep, innermost first. */
  backtrace: ExplainedFrame[];
  /**
   * Inconsistent lock state / invalid wait context: the static finding for the same class
   * (`null`: none matches, the report shows what static analysis misses).
   */
  finding?: MatchedFinding | null;
  warnings: string[];
}

export interface ExplainResult {
  reports: ExplainedReport[];
  /** The runtime edges of all reports, ready for Engine.analyze(). */
  edges: RuntimeEdge[];
  warnings: string[];
}

export interface ExplainOptions extends StaticViewOptions {
  view?: StaticView;
}

export function explainReport(text: string, engine: Engine, options: ExplainOptions = {}): ExplainResult {
  const result: ExplainResult = { reports: [], edges: [], warnings: [] };
  let reports: LockdepReport[];
  try {
    reports = dedupeReports(parseLockdepReports(typeof text === 'string' ? text : ''));
  } catch (e) {
    result.warnings.push(`could not read the text: ${message(e)}`);
    return result;
  }
  if (reports.length === 0) return result;
  let view: StaticView;
  try {
    view = options.view ?? staticView(engine, options);
  } catch (e) {
    result.warnings.push(`static analysis unavailable: ${message(e)}`);
    for (const report of reports) result.reports.push(bare(report, []));
    return result;
  }
  const learned = new Map<string, ClassMapping>();
  const edges: RuntimeEdge[] = [];
  for (const report of reports) {
    try {
      const classes = mapReportClasses(report, view, learned);
      result.reports.push(explainOne(report, classes, view));
      edges.push(...reportEdges(report, view, learned, classes));
    } catch (e) {
      result.reports.push(bare(report, [`could not explain this report: ${message(e)}`]));
    }
  }
  result.edges = uniqueEdges(edges);
  return result;
}

function explainOne(
  report: LockdepReport,
  classes: Map<string, ClassMapping>,
  view: StaticView,
): ExplainedReport {
  const mapped = (cls: string) => classes.get(cls) ?? mapRuntimeClass(cls, { view });
  const lock = (ref: LockdepLockRef, index?: number): ExplainedLock => {
    const mapping = mapped(ref.cls);
    const site = ref.at
      ? locateStack([ref.at], view, { toClass: mapping.cls, lockName: mapping.name })
      : undefined;
    return {
      ...(index !== undefined && { index }),
      mapping,
      ...(ref.at && { at: ref.at }),
      ...(site && { site }),
    };
  };
  const out = bare(report, report.warnings.slice(0, WARNINGS_SHOWN));
  if (report.trying) out.trying = lock(report.trying);
  if (report.holding) out.holding = lock(report.holding);
  out.held = report.held.map((h) => lock(h, h.index));
  out.links = report.links.map((link) => {
    const from = mapped(link.from);
    const to = mapped(link.to);
    const outside = certainFrames(link.frames).filter((f) => !isLockdepInternal(f.fn));
    const site = locateStack(link.frames, view, { toClass: to.cls, lockName: to.name });
    return {
      index: link.index,
      from,
      to,
      ...(outside[0] && { frame: outside[0].raw }),
      callers: outside.slice(1, 1 + CALLERS_SHOWN).map((f) => sourceFunctionName(f.fn)),
      ...(site && { site }),
      static: staticSeen(from.cls, to.cls, view),
    };
  });
  // The innermost workspace frame of these stacks takes the lock being acquired.
  const trying: LocateHints = out.trying
    ? { toClass: out.trying.mapping.cls, lockName: out.trying.mapping.name }
    : {};
  if (report.preemptionDisabledAt)
    out.preemptionDisabledAt = explainFrames([report.preemptionDisabledAt], view)[0];
  if (report.registeredAt) {
    out.registeredAt = {
      usage: report.registeredAt.usage,
      frames: explainFrames(report.registeredAt.frames, view, trying),
    };
  }
  out.backtrace = explainFrames(report.backtrace, view, trying).slice(0, BACKTRACE_SHOWN);
  const rule = FINDING_RULES[report.kind];
  if (rule) out.finding = matchFinding(rule, report, out, view) ?? null;
  return out;
}

/** The rules whose findings are these reports, seen before the code ran. */
const FINDING_RULES: Partial<Record<LockdepReportKind, RuleId>> = {
  inconsistent: 'irq-inversion',
  'invalid-wait': 'wait-context',
};

/**
 * The finding of `rule` about the lock being taken: for an inconsistent state, one of the same
 * interrupt kind; the one whose function is on the report's stacks first.
 */
function matchFinding(
  rule: RuleId,
  report: LockdepReport,
  out: ExplainedReport,
  view: StaticView,
): MatchedFinding | undefined {
  const mapping = out.trying?.mapping;
  if (!mapping || mapping.how === 'unmapped') return undefined;
  const irq = /\b(HARDIRQ|SOFTIRQ)\b/.exec(report.usageTransition ?? '')?.[1];
  const candidates = view.analysis.findings.filter(
    (f) =>
      f.rule === rule &&
      f.classes.includes(mapping.cls) &&
      (!irq || f.message.split('\n')[0].includes(`{IN-${irq}-`) || f.message.startsWith(irq.toLowerCase())),
  );
  const onStack = new Set(
    [...report.backtrace, ...(report.registeredAt?.frames ?? [])].map((f) => sourceFunctionName(f.fn)),
  );
  const best = candidates.find((f) => onStack.has(f.function)) ?? candidates[0];
  if (!best) return undefined;
  return {
    rule,
    file: best.file,
    line: best.range.line + 1,
    fn: best.function,
    message: best.message.split('\n')[0],
    how: onStack.has(best.function) ? 'stack' : 'class',
  };
}

/** A report's own facts, without anything from the workspace. */
function bare(report: LockdepReport, warnings: string[]): ExplainedReport {
  return {
    kind: report.kind,
    title: report.title,
    ...(report.task !== undefined && { task: report.task }),
    startLine: report.startLine,
    endLine: report.endLine,
    links: [],
    chain: [...report.chain],
    held: [],
    ...(report.usageTransition !== undefined && { usageTransition: report.usageTransition }),
    ...(report.waitContext !== undefined && { waitContext: report.waitContext }),
    ...(report.location !== undefined && { location: report.location }),
    backtrace: [],
    warnings,
  };
}

/**
 * Certain frames outside lockdep; each workspace frame located at the call to the frame below
 * it. `innermost` hints the first workspace frame (the one that takes the lock being acquired).
 */
function explainFrames(
  frames: readonly LockdepFrame[],
  view: StaticView,
  innermost: LocateHints = {},
): ExplainedFrame[] {
  const certain = certainFrames(frames);
  const out: ExplainedFrame[] = [];
  let hints = innermost;
  certain.forEach((frame, i) => {
    if (isLockdepInternal(frame.fn)) return;
    const ref = definitionFor(frame, view);
    const site = ref ? locateAt(certain, i, ref, view, hints) : undefined;
    if (ref) hints = {};
    out.push({ frame, ...(site && { site }) });
  });
  return out;
}

function staticSeen(from: string, to: string, view: StaticView): StaticSeen {
  if (from === to) return { seen: 'same-class' };
  const edge = view.staticEdge(from, to);
  if (!edge) return { seen: 'no' };
  if (edge.origin === 'static' && edge.witness) {
    const w = edge.witness;
    return { seen: 'static', file: w.file, line: w.range.line + 1, fn: w.fn };
  }
  return { seen: 'baseline', source: edge.source ?? 'kernel baseline' };
}

// ---------------------------------------------------------------------------------------------
// Text

export function formatExplain(result: ExplainResult): string {
  const lines: string[] = [];
  try {
    if (result.reports.length === 0) {
      lines.push('no lockdep report found');
    }
    result.reports.forEach((report, i) => {
      if (i > 0) lines.push('');
      formatReport(report, lines);
    });
    for (const w of result.warnings) lines.push(`note: ${w}`);
  } catch (e) {
    lines.push(`could not format the explanation: ${message(e)}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatReport(r: ExplainedReport, lines: string[]): void {
  const where = r.startLine === r.endLine ? `line ${r.startLine}` : `lines ${r.startLine}-${r.endLine}`;
  lines.push(`${r.title || `(title missing) ${r.kind} report`}  [input ${where}]`);
  if (r.kind === 'circular' || r.links.length > 0) formatCircular(r, lines);
  else formatOther(r, lines);
  for (const w of r.warnings) lines.push(`note: ${w}`);
}

function formatCircular(r: ExplainedReport, lines: string[]): void {
  if (r.trying || r.holding) {
    const task = r.task ?? 'the task';
    const parts = [
      r.trying && `${task} is trying to acquire ${className(r.trying.mapping)}`,
      r.holding && `while holding ${className(r.holding.mapping)}`,
    ].filter((p): p is string => p !== undefined);
    lines.push(parts.join(' '));
  }
  if (r.links.length === 0) {
    lines.push('no dependency chain in the report');
    return;
  }
  lines.push('dependency chain (link #0 is the new dependency):');
  for (const link of r.links) {
    lines.push(`#${link.index}  ${link.from.lockdep} --> ${link.to.lockdep}`);
    lines.push(`    classes: ${mappingText(link.from)} --> ${mappingText(link.to)}`);
    const frame = link.frame ? [link.frame, ...link.callers].join(' ← ') : '(no stack saved)';
    lines.push(`    frame:   ${frame}`);
    lines.push(`    source:  ${siteText(link.site)}`);
    lines.push(`    static:  ${seenText(link.static)}`);
  }
  const seen = r.links.filter((l) => l.static.seen === 'static' || l.static.seen === 'baseline');
  const missing = r.links.filter((l) => l.static.seen === 'no');
  lines.push(
    `static analysis sees ${seen.length} of ${r.links.length} dependencies` +
      (missing.length
        ? `; lockdep adds ${missing.map((l) => `#${l.index} ${l.from.cls} --> ${l.to.cls}`).join(', ')}`
        : ''),
  );
}

function formatOther(r: ExplainedReport, lines: string[]): void {
  if (r.task) lines.push(`task: ${r.task}`);
  if (r.location) lines.push(`at: ${r.location}`);
  if (r.usageTransition) lines.push(`usage: ${r.usageTransition}`);
  if (r.waitContext) lines.push(`context: {${r.waitContext}}`);
  if (r.trying) formatLock('trying to acquire', r.trying, lines);
  if (r.holding) formatLock('already holding', r.holding, lines);
  if (r.held.length === 0) lines.push('held locks: none listed');
  else {
    lines.push('held locks:');
    for (const h of r.held) formatLock(`#${h.index ?? '?'}`, h, lines);
  }
  if (r.preemptionDisabledAt) {
    lines.push('preemption disabled at:');
    formatFrame(r.preemptionDisabledAt, lines);
  }
  if (r.registeredAt) {
    lines.push(`${r.registeredAt.usage} state was registered at:`);
    for (const f of r.registeredAt.frames) formatFrame(f, lines);
  }
  if (r.finding !== undefined) lines.push(`static: ${findingText(r)}`);
  if (r.backtrace.length === 0) lines.push('backtrace: none');
  else {
    lines.push('backtrace:');
    for (const f of r.backtrace) formatFrame(f, lines);
  }
}

function formatLock(label: string, lock: ExplainedLock, lines: string[]): void {
  const at = lock.at ? ` at ${lock.at.raw}` : '';
  lines.push(`  ${label}: ${lock.mapping.lockdep} [${mappingText(lock.mapping)}]${at}`);
  if (lock.site) lines.push(`      source: ${siteText(lock.site)}`);
}

function formatFrame(f: ExplainedFrame, lines: string[]): void {
  lines.push(`  ${f.frame.raw}`);
  if (f.site) lines.push(`      source: ${siteText(f.site)}`);
}

function className(m: ClassMapping): string {
  return m.cls === m.name ? m.lockdep : `${m.lockdep} (${m.cls})`;
}

function mappingText(m: ClassMapping): string {
  switch (m.how) {
    case 'exact':
      return m.detail ? `${m.cls} (${m.detail})` : m.cls;
    case 'pseudo':
      return `${m.cls} (pseudo-lock)`;
    case 'frames':
      return `${m.cls} (from the stack: ${m.detail ?? 'taken there'})`;
    case 'field':
      return `${m.cls} (by field name)`;
    case 'unmapped':
      return `${m.cls} (not in the workspace${m.detail ? `; ${m.detail}` : ''})`;
  }
}

function siteText(site: SourceSite | undefined): string {
  if (!site) return 'not in the workspace';
  const loc = `${site.file}:${site.range.line + 1}`;
  const how = site.how === 'definition' ? ` (definition of ${site.fn})` : '';
  return site.text !== undefined ? `${loc}: ${site.text}${how}` : `${loc} (${site.fn})`;
}

function findingText(r: ExplainedReport): string {
  const f = r.finding;
  const rule = FINDING_RULES[r.kind];
  if (!f) return `no ${rule} finding for ${r.trying ? className(r.trying.mapping) : 'this lock'}`;
  const how = f.how === 'stack' ? `${f.fn}() is on the report's stack` : 'same class';
  return `${f.rule} at ${f.file}:${f.line} (${how}): ${f.message}`;
}

function seenText(s: StaticSeen): string {
  switch (s.seen) {
    case 'static':
      return `yes (${s.file}:${s.line} ${s.fn})`;
    case 'baseline':
      return `kernel baseline only (${s.source})`;
    case 'same-class':
      return 'no (both are one static class)';
    case 'no':
      return 'no';
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
