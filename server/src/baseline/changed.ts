/**
 * `--changed-since REF`: the findings whose witness touches a line changed since REF. The witness
 * is the finding's own range and every related location (the held locks' acquisitions, the call
 * chain, a cycle's other edges). Changed lines are those of the files as they are now (committed
 * or not) that differ from REF: added or modified lines, and the two lines around a deletion.
 * A file that is not in REF (new, untracked, outside the repository) is changed throughout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffLines } from 'diff';
import type { Diagnostic } from '../engine/engine';
import { filesAt, resolveCommit, workTreeTop } from '../vcs/git';

/** Per file (absolute path): its changed lines, 0-based, or 'all'. */
export type ChangedLines = Map<string, ReadonlySet<number> | 'all'>;

/** A diff that costs more than this is given up: the whole file counts as changed. */
const DIFF_TIMEOUT_MS = 2000;

/** A revision to compare with: the work tree's top folder and the commit. */
export interface Revision {
  ref: string;
  top: string;
  commit: string;
}

/** `ref` in the git work tree `cwd` is in. Throws GitError (not a work tree, unknown revision, no git). */
export function gitRevision(ref: string, cwd: string): Revision {
  const top = workTreeTop(cwd);
  return { ref, top, commit: resolveCommit(cwd, ref) };
}

/** The lines changed since `rev` in the files the diagnostics' witnesses name. Throws GitError. */
export function changedLinesSince(
  { top, commit }: Revision,
  cwd: string,
  diagnostics: readonly Diagnostic[],
): ChangedLines {
  const files = new Set<string>();
  for (const d of diagnostics) {
    files.add(path.resolve(cwd, d.file));
    for (const r of d.related) files.add(path.resolve(cwd, r.file));
  }
  const realTop = realPath(top);
  const inRepo = new Map<string, string>();
  const out: ChangedLines = new Map();
  for (const abs of files) {
    const rel = path.relative(realTop, realPath(abs));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) out.set(abs, 'all');
    else inRepo.set(abs, rel.split(path.sep).join('/'));
  }
  const before = filesAt(top, commit, [...new Set(inRepo.values())]);
  for (const [abs, rel] of inRepo) {
    const old = before.get(rel);
    let now: string | undefined;
    try {
      now = fs.readFileSync(abs, 'utf8');
    } catch {
      now = undefined;
    }
    out.set(abs, old === undefined || now === undefined ? 'all' : changedLines(old.toString('utf8'), now));
  }
  return out;
}

/** The lines of `now` (0-based) that are not in `old`, and those around what `old` had in their place. */
export function changedLines(old: string, now: string): ReadonlySet<number> | 'all' {
  const changes = diffLines(old, now, { ignoreNewlineAtEof: true, timeout: DIFF_TIMEOUT_MS });
  if (!changes) return 'all';
  const lines = new Set<number>();
  let line = 0;
  changes.forEach((c, i) => {
    if (c.added) {
      for (let k = 0; k < c.count; k++) lines.add(line + k);
      line += c.count;
    } else if (c.removed) {
      // A pure deletion leaves a seam between two lines; lines that replaced it are marked above.
      if (changes[i - 1]?.added || changes[i + 1]?.added) return;
      if (line > 0) lines.add(line - 1);
      lines.add(line);
    } else line += c.count;
  });
  return lines;
}

/** Whether the diagnostic's line or one of its related locations is a changed line. */
export function touchesChange(d: Diagnostic, changed: ChangedLines, cwd: string): boolean {
  const hit = (file: string, from: number, to: number): boolean => {
    const lines = changed.get(path.resolve(cwd, file));
    if (lines === 'all') return true;
    if (!lines) return false;
    for (let l = from; l <= to; l++) if (lines.has(l)) return true;
    return false;
  };
  return (
    hit(d.file, d.range.line, Math.max(d.range.line, d.range.endLine)) ||
    d.related.some((r) => hit(r.file, r.range.line, r.range.line))
  );
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
