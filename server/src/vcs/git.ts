/**
 * The little of git that `--changed-since` needs: the work tree's top folder, a revision's
 * commit, and files' contents at that commit. Only the `git` program is run, with fixed
 * arguments and no shell, and only commands that read the object store: nothing that
 * applies the repository's own configuration of programs (diff drivers, textconv, clean filters,
 * fsmonitor hooks), so scanning a hostile tree runs none of its code. The line diff against the
 * work tree is ours (baseline/changed.ts).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export class GitError extends Error {}

/** Bigger than any source file the scan reads (MAX_FILE_BYTES) times a few hundred files. */
const MAX_OUTPUT = 1 << 30;

function git(cwd: string, args: string[], input?: string): { ok: boolean; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', ['-c', 'core.fsmonitor=false', ...args], {
    cwd,
    input,
    maxBuffer: MAX_OUTPUT,
    windowsHide: true,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new GitError(
      code === 'ENOENT' ? 'git is not installed (or not on PATH)' : `git: ${r.error.message}`,
    );
  }
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.toString('utf8').trim() };
}

/** The top folder of the git work tree `cwd` is in. */
export function workTreeTop(cwd: string): string {
  const inside = git(cwd, ['rev-parse', '--is-inside-work-tree']);
  if (!inside.ok || inside.stdout.toString('utf8').trim() !== 'true') {
    // git's own words when it has some ("detected dubious ownership", ...): they say what to do.
    const why = inside.stderr.split('\n')[0];
    const said = why && !/not a git repository/i.test(why) ? ` (git: ${why})` : '';
    throw new GitError(`--changed-since needs a git work tree, and ${cwd} is not inside one${said}`);
  }
  const top = git(cwd, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw new GitError(`git rev-parse --show-toplevel failed: ${top.stderr}`);
  return path.resolve(top.stdout.toString('utf8').trim());
}

/** The commit `ref` names (a branch, a tag, `HEAD~1`, a hash). */
export function resolveCommit(cwd: string, ref: string): string {
  // A leading dash would read as an option; no revision starts with one.
  const r = ref.startsWith('-')
    ? undefined
    : git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  const sha = r?.ok ? r.stdout.toString('utf8').trim() : '';
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new GitError(`unknown git revision '${ref}'`);
  return sha;
}

/**
 * The contents at `commit` of files named relative to the work tree's top (`/`-separated).
 * A file that did not exist there (or is not a plain file) maps to undefined.
 */
export function filesAt(
  top: string,
  commit: string,
  files: readonly string[],
): Map<string, Buffer | undefined> {
  const out = new Map<string, Buffer | undefined>();
  const asked = files.filter((f) => !/[\n\r]/.test(f));
  for (const f of files) out.set(f, undefined);
  if (!asked.length) return out;
  const r = git(top, ['cat-file', '--batch'], asked.map((f) => `${commit}:${f}\n`).join(''));
  if (!r.ok) throw new GitError(`git cat-file failed: ${r.stderr}`);
  // Per request: "<oid> <type> <size>\n<content>\n", or "<request> missing\n" (and kin) without content.
  let at = 0;
  for (const f of asked) {
    const eol = r.stdout.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = r.stdout.subarray(at, eol).toString('utf8');
    at = eol + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) continue;
    const size = Number(m[2]);
    if (m[1] === 'blob') out.set(f, r.stdout.subarray(at, at + size));
    at += size + 1;
  }
  return out;
}
