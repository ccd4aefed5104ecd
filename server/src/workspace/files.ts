/**
 * Finds the C files to index: walks folders (streaming, no whole-tree listing in memory beyond
 * the paths), honours include/exclude globs and .gitignore files, survives symlink loops,
 * unreadable folders and files that vanish mid-walk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { FileProblem } from '../engine/engine';

export interface WalkOptions {
  include: string[];
  exclude: string[];
  maxFiles: number;
}

export interface FoundFile {
  /** Absolute path. */
  abs: string;
  /** Path relative to the walk's base (what reports show). */
  rel: string;
}

export interface WalkResult {
  files: FoundFile[];
  problems: FileProblem[];
  /** Paths given by the user that do not exist (a usage error for the CLI). */
  missing: string[];
  truncated: boolean;
}

export function findFiles(roots: string[], base: string, opts: WalkOptions): WalkResult {
  const result: WalkResult = { files: [], problems: [], missing: [], truncated: false };
  const included = picomatch(opts.include, { dot: false });
  const excluded = opts.exclude.length ? picomatch(opts.exclude, { dot: true }) : () => false;
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const relOf = (abs: string) => path.relative(base, abs).split(path.sep).join('/') || path.basename(abs);
  /** A folder's path below the base ('' for the base itself); undefined when it is not below it. */
  const below = (dir: string): string | undefined => {
    const r = path.relative(base, dir);
    return r === '..' || r.startsWith(`..${path.sep}`) || path.isAbsolute(r) ? undefined : toSlashes(r);
  };

  /** `real`: the resolved path when known without asking (a plain file in a resolved folder). */
  const addFile = (abs: string, rel: string, explicit: boolean, real?: string) => {
    if (result.files.length >= opts.maxFiles) {
      result.truncated = true;
      return;
    }
    try {
      real ??= fs.realpathSync.native(abs);
    } catch {
      return; // vanished between listing and now
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    if (explicit || included(rel) || included(path.basename(rel))) result.files.push({ abs, rel });
  };

  /**
   * `dirRel`: below(dir), passed down so that names below the base are joined, not computed
   * with path.relative for every entry (a third of a warm scan's walk).
   */
  const walkDir = (dir: string, dirRel: string | undefined, rules: { root: string; ig: Ignore }[]) => {
    let real: string;
    try {
      real = fs.realpathSync.native(dir); // one realpath(3), not an lstat per path component
    } catch (e) {
      result.problems.push({ file: relOf(dir), message: errorText(e) });
      return;
    }
    if (seenDirs.has(real)) return; // symlink loop or second route to the same folder
    seenDirs.add(real);
    const local = readGitignore(dir);
    const active = local ? [...rules, { root: dir, ig: local }] : rules;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      result.problems.push({ file: relOf(dir), message: `cannot read folder: ${errorText(e)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (result.truncated) return;
      const abs = path.join(dir, entry.name);
      const rel = dirRel === undefined ? relOf(abs) : dirRel ? `${dirRel}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = fs.statSync(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (excluded(rel) || excluded(rel + '/') || ignoredBy(active, abs, isDir)) continue;
      if (isDir) {
        if (entry.name === '.git') continue;
        walkDir(abs, dirRel === undefined ? undefined : rel, active);
      } else if (isFile && /\.[ch]$/.test(entry.name)) {
        // Resolving every file was a third of a warm scan's walk; only links need it.
        addFile(abs, rel, false, entry.isSymbolicLink() ? undefined : path.join(real, entry.name));
      }
    }
  };

  for (const root of roots) {
    const abs = path.resolve(base, root);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      result.missing.push(root);
      continue;
    }
    if (st.isDirectory()) walkDir(abs, below(abs), []);
    else addFile(abs, relOf(abs), true);
  }
  return result;
}

function readGitignore(dir: string): Ignore | undefined {
  try {
    return ignore().add(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8'));
  } catch {
    return undefined;
  }
}

function ignoredBy(rules: { root: string; ig: Ignore }[], abs: string, isDir: boolean): boolean {
  for (const { root, ig } of rules) {
    // The rules' folders are the ones walked down to `abs`: its path starts with theirs.
    const rel = toSlashes(
      abs.startsWith(root + path.sep) ? abs.slice(root.length + 1) : path.relative(root, abs),
    );
    if (rel && !rel.startsWith('..') && ig.ignores(isDir ? rel + '/' : rel)) return true;
  }
  return false;
}

function toSlashes(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) {
    const code = (e as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOENT') return 'no such file or folder';
    if (code === 'EISDIR') return 'is a folder';
  }
  return e instanceof Error ? e.message : String(e);
}

/** Reads a file as text; undefined + problem for unreadable files. Non-UTF-8 bytes decode lossily. */
export function readText(abs: string, rel: string): { text?: string; problem?: FileProblem } {
  try {
    return { text: fs.readFileSync(abs, 'utf8') };
  } catch (e) {
    return { problem: { file: rel, message: `cannot read: ${errorText(e)}` } };
  }
}
