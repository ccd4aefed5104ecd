/**
 * From lockdep stack frames to workspace source. A frame names a function and an offset into
 * its machine code; the offset says nothing reliable about the source line, so the line is the
 * call in that function that leads to the frame below it, or the call that takes the lock
 * being explained, or else the function's name.
 */
import type { CallEvent, Range } from '../analysis/ir';
import { lockOps } from '../kb/types';
import type { FunctionRef } from '../workspace/index';
import { isLockdepInternal, sourceFunctionName } from './frames';
import { callEvents, lastField, sameRange, type StaticView } from './static-view';
import type { LockdepFrame } from './types';

export type SiteHow =
  /** The log was decoded: the frame carries file:line. */
  | 'decoded'
  /** The call in the function whose callee is a frame further down the stack. */
  | 'call'
  /** The call through which the function takes the class being explained. */
  | 'acquisition'
  /** Nothing better: the function's name in its definition. */
  | 'definition';

export interface SourceSite {
  file: string;
  /** 0-based. */
  range: Range;
  /** The workspace function the frame names. */
  fn: string;
  how: SiteHow;
  /** The frame, as printed, that names `fn`. */
  frame: LockdepFrame;
  /** The source line, trimmed, when the file could be read. */
  text?: string;
}

export interface LocateHints {
  /** The static class the stack acquires: picks the call that takes it. */
  toClass?: string;
  /** The lockdep class name (normalised): its last field picks among calls by their arguments. */
  lockName?: string;
}

/** Frames a source-level reader can trust: printed as callers (no `? `) and with a symbol. */
export function certainFrames(frames: readonly LockdepFrame[]): LockdepFrame[] {
  return frames.filter((f) => !f.uncertain && f.fn !== '');
}

/** The first frame outside lockdep and the lock primitives whose function is defined in the workspace. */
export function firstWorkspaceFrame(
  frames: readonly LockdepFrame[],
  view: StaticView,
): { ref: FunctionRef; index: number; frames: LockdepFrame[] } | undefined {
  const certain = certainFrames(frames);
  for (let i = 0; i < certain.length; i++) {
    if (isLockdepInternal(certain[i].fn)) continue;
    const ref = definitionFor(certain[i], view);
    if (ref) return { ref, index: i, frames: certain };
  }
  return undefined;
}

/** Where the stack's first workspace frame is in the source. */
export function locateStack(
  frames: readonly LockdepFrame[],
  view: StaticView,
  hints: LocateHints = {},
): SourceSite | undefined {
  const found = firstWorkspaceFrame(frames, view);
  return found ? locateAt(found.frames, found.index, found.ref, view, hints) : undefined;
}

/** Where certain frame `index` (defined by `ref`) is in the source; `frames` innermost first. */
export function locateAt(
  frames: readonly LockdepFrame[],
  index: number,
  ref: FunctionRef,
  view: StaticView,
  hints: LocateHints = {},
): SourceSite {
  const frame = frames[index];
  const site = (range: Range, how: SiteHow): SourceSite => {
    const text = view.lineText(ref.file, range.line);
    return { file: ref.file, range, fn: ref.fn.name, how, frame, ...(text !== undefined && { text }) };
  };
  if (
    frame.file !== undefined &&
    frame.line !== undefined &&
    frame.line > 0 &&
    sameFile(ref.file, frame.file)
  ) {
    return site({ line: frame.line - 1, col: 0, endLine: frame.line - 1, endCol: 0 }, 'decoded');
  }
  const calls = callEvents(ref.fn).filter((c) => !c.synthetic);
  const acquisition = hints.toClass ? acquisitionSite(ref, calls, hints.toClass, view) : undefined;
  // Nearest frame below first: inlined helpers leave gaps, lockdep's own frames never match.
  for (let k = index - 1; k >= 0; k--) {
    const below = sourceFunctionName(frames[k].fn);
    const matches = calls.filter((c) => callReaches(c, below, view));
    if (matches.length === 0) continue;
    const best = pickCall(matches, acquisition, hints.lockName);
    return site(best.range, 'call');
  }
  if (acquisition) return site(acquisition, 'acquisition');
  return site(ref.fn.nameRange, 'definition');
}

/**
 * The call in `ref` that takes `cls`: from the function's summary (its own locks, its callees'
 * and the pseudo-locks of its effects), else a direct call of a fixed-class API (`rcu_read_lock()`,
 * whose classes the order graph leaves out).
 */
function acquisitionSite(
  ref: FunctionRef,
  calls: CallEvent[],
  cls: string,
  view: StaticView,
): Range | undefined {
  const summarised = view.acquisitions(ref).find((a) => a.cls === cls)?.site;
  if (summarised) return summarised.range;
  return calls.find(
    (c) => c.callee !== undefined && lockOps(view.kb.fact(c.callee), 'acquire').some((op) => op.cls === cls),
  )?.range;
}

/** The definition a frame names; with a decoded file, the one in that file. */
export function definitionFor(frame: LockdepFrame, view: StaticView): FunctionRef | undefined {
  const defs = view.functions(sourceFunctionName(frame.fn));
  if (defs.length <= 1 || frame.file === undefined) return defs[0];
  return defs.find((d) => sameFile(d.file, frame.file!)) ?? defs[0];
}

/**
 * Whether a call may be the frame `name`: the same function, the lockdep-instrumented name of
 * a lock primitive (`mutex_lock` is `mutex_lock_nested`, `spin_lock` is `_raw_spin_lock`), or a
 * function pointer whose field stores `name` somewhere in the workspace.
 */
function callReaches(call: CallEvent, name: string, view: StaticView): boolean {
  if (call.callee !== undefined) {
    return call.callee === name || primitiveName(call.callee) === primitiveName(name);
  }
  if (call.via) return view.index.storesForField(call.via.field).some((s) => s.fn === name);
  return false;
}

function primitiveName(name: string): string {
  return sourceFunctionName(name)
    .replace(/^_+/, '')
    .replace(/^raw_/, '')
    .replace(/_nested$/, '');
}

/** Among calls to the same function: the one that takes the class, else the one naming the lock, else the first. */
function pickCall(
  calls: CallEvent[],
  acquisition: Range | undefined,
  lockName: string | undefined,
): CallEvent {
  const field = lockName !== undefined ? lastField(lockName) : undefined;
  const score = (c: CallEvent) =>
    (acquisition && sameRange(c.range, acquisition) ? 4 : 0) +
    (field && c.args.some((a) => new RegExp(`\\b${escapeRe(field)}\\b`).test(a.text)) ? 2 : 0);
  const sorted = [...calls].sort((a, b) => a.range.line - b.range.line || a.range.col - b.range.col);
  return sorted.reduce((best, c) => (score(c) > score(best) ? c : best), sorted[0]);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Workspace path and decoded path name the same file: one ends with the other. */
function sameFile(workspacePath: string, framePath: string): boolean {
  const a = workspacePath.replace(/\\/g, '/').replace(/^\.\//, '');
  const b = framePath.replace(/\\/g, '/').replace(/^\.\//, '');
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}
