/**
 * A whole scan: find files, parse and lower each into the engine's index, analyse. Shared by
 * the CLI, the language server's workspace indexing and the benchmarks.
 *
 * Files stream through `indexFiles`: the main thread reads one file at a time (never a FIFO, a
 * device or a folder), looks its text up in the facts cache and otherwise hands it to a
 * lowering worker (or lowers it itself with `jobs: 1`, or for small scans). Only a few texts
 * are in flight at once. Facts and problems are merged in walk order, so results do not
 * depend on which worker finished first. No file is parsed twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileFacts } from '../analysis/ir';
import type { Settings } from '../config/settings';
import { OrderGraph } from '../graph/order-graph';
import type { ScanStats } from '../report/json';
import { errorText, findFiles, type FoundFile } from '../workspace/files';
import { type CacheOptions, type CacheStats, contentKey, FactsCache, loweringSettingsKey } from './cache';
import { type AnalysisResult, checkText, Engine, type FileProblem, MAX_FILE_BYTES } from './engine';
import { defaultJobs, LowerPool, type LowerOutput } from './pool';

export interface ScanOutcome {
  engine: Engine;
  result: AnalysisResult;
  stats: ScanStats;
  problems: FileProblem[];
  missing: string[];
  truncated: boolean;
  /** Lowering threads used (1: this thread). */
  jobs: number;
  /** Present when a cache was used. */
  cache?: CacheStats;
}

export interface IndexOptions {
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
  /** Lowering threads: default one per core; 1 lowers in this thread. */
  jobs?: number;
  /** The persistent facts cache (off when absent or false). */
  cache?: (CacheOptions & { workspace?: string }) | false;
  /** Budget for parsing and lowering one file on a worker before it is abandoned. */
  fileTimeoutMs?: number;
  /** Worker script override (tests). */
  workerScript?: string;
}

export interface ScanOptions extends IndexOptions {
  /** false: index only, no analysis (benchmarks); the result is then empty. */
  analyze?: boolean;
}

export interface IndexOutcome {
  /** Files now in the index. */
  indexed: number;
  bytes: number;
  problems: FileProblem[];
  jobs: number;
  cache?: CacheStats;
  cancelled: boolean;
  ms: number;
}

/** Below this many files, starting workers costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 8;
/** Files to lower (cache misses) before workers are started. */
const MIN_MISSES_FOR_WORKERS = 8;
/** How long the main thread works before letting worker replies in. */
const YIELD_MS = 20;

export async function scanPaths(
  paths: string[],
  base: string,
  settings: Settings,
  opts: ScanOptions = {},
): Promise<ScanOutcome> {
  const walk = findFiles(paths, base, settings);
  const engine = await Engine.create(settings);
  // The pack is named after what is scanned, not where from: facts do not depend on the base
  // (paths are set when entries are loaded), so the CLI and the server can share a pack.
  const workspace = JSON.stringify(paths.map((r) => path.resolve(base, r)).sort());
  const cache = opts.cache ? { workspace, ...opts.cache } : false;
  const index = await indexFiles(engine, walk.files, settings, { ...opts, cache });
  const problems = [...walk.problems, ...index.problems];
  const result: AnalysisResult =
    opts.analyze === false
      ? {
          diagnostics: [],
          graph: new OrderGraph(),
          functions: countFunctions(engine),
          analysed: 0,
          analyzeMs: 0,
        }
      : engine.analyze();
  const stats: ScanStats = {
    files: engine.index.size,
    bytes: index.bytes,
    functions: result.functions,
    parseMs: index.ms,
    analyzeMs: result.analyzeMs,
  };
  if (walk.truncated)
    problems.push({ file: base, message: `stopped after maxFiles=${settings.maxFiles} files` });
  return {
    engine,
    result,
    stats,
    problems,
    missing: walk.missing,
    truncated: walk.truncated,
    jobs: index.jobs,
    cache: index.cache,
  };
}

/**
 * Reads, parses and lowers `files` into `engine`'s index (facts keyed by `rel`), using the
 * cache and worker threads as configured. For the language server's workspace indexing as well
 * as scans. Never throws for file contents, unreadable files or cache trouble: those become
 * problems.
 */
export async function indexFiles(
  engine: Engine,
  files: readonly FoundFile[],
  settings: Settings,
  opts: IndexOptions = {},
): Promise<IndexOutcome> {
  const start = performance.now();
  const cache = opts.cache ? openCache(opts.cache, settings) : undefined;
  const problems: FileProblem[] = cache ? cache.problems.splice(0) : [];

  const jobs = files.length < MIN_FILES_FOR_WORKERS ? 1 : Math.max(1, Math.floor(opts.jobs ?? defaultJobs()));
  let pool: LowerPool | undefined;
  const getPool = () =>
    (pool ??= new LowerPool(
      jobs,
      {
        settings: {
          defines: settings.defines,
          undefines: settings.undefines,
          extraLockFunctions: settings.extraLockFunctions,
          baselineOrder: settings.baselineOrder,
        },
      },
      { script: opts.workerScript, fileTimeoutMs: opts.fileTimeoutMs },
    ));

  const results: (FileFacts | undefined)[] = new Array(files.length);
  /** At most one problem per file, reported in walk order whichever thread finished first. */
  const fileProblems: (FileProblem | undefined)[] = new Array(files.length);
  let bytes = 0;
  let done = 0;
  const finished = () => opts.onProgress?.(++done, files.length);

  /** Lowering in this thread: the engine's own path (jobs 1, or when workers cannot run). */
  const lowerHere = (i: number, text: string, key: string | undefined) => {
    const rel = files[i].rel;
    const res = engine.setFile(rel, text);
    res.tree?.delete();
    engine.removeFile(rel); // merged in walk order below
    if (res.problem) fileProblems[i] = res.problem;
    if (res.facts) {
      results[i] = res.facts;
      if (cache && key) cache.put(key, JSON.stringify(res.facts));
    }
  };

  const fromWorker = (i: number, text: string, key: string | undefined, out: LowerOutput) => {
    const rel = files[i].rel;
    try {
      if (out.fallback) lowerHere(i, text, key);
      else if (out.problem) fileProblems[i] = out.problem;
      else if (out.payload) {
        const json = Buffer.from(out.payload.buffer, out.payload.byteOffset, out.payload.byteLength);
        const facts = JSON.parse(json.toString('utf8')) as FileFacts;
        facts.path = rel;
        results[i] = facts;
        if (cache && key) cache.put(key, json, out.sum);
      }
    } catch (e) {
      fileProblems[i] = { file: rel, message: `cannot index: ${errorText(e)}` };
    }
    finished();
  };

  const pending = new Set<Promise<void>>();
  const deferred: { i: number; text: string; key: string | undefined }[] = [];
  const submitDeferred = async () => {
    const p = getPool();
    for (let d = deferred.shift(); d; d = deferred.shift()) {
      const { i, text, key } = d;
      await p.whenFree();
      const job = p.lower(files[i].rel, text).then((out) => fromWorker(i, text, key, out));
      pending.add(job);
      void job.finally(() => pending.delete(job));
    }
  };
  let cancelled = false;
  let lastYield = performance.now();
  try {
    for (let i = 0; i < files.length; i++) {
      if (opts.isCancelled?.()) {
        cancelled = true;
        break;
      }
      if (performance.now() - lastYield > YIELD_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      const f = files[i];
      const read = readSource(f.abs, f.rel);
      const text = read.text;
      const bad = read.problem ?? (text === undefined ? undefined : checkText(f.rel, text));
      if (bad || text === undefined) {
        fileProblems[i] = bad;
        finished();
        continue;
      }
      bytes += read.size;
      const key = cache?.enabled ? contentKey(text) : undefined;
      const hit = key ? cache!.get(key, f.rel) : undefined;
      if (hit) {
        results[i] = hit;
        finished();
      } else if (jobs > 1 && !pool?.isBroken) {
        // Workers start once there is enough to do: a warm scan with a few edited files
        // lowers them here rather than paying for starting threads.
        deferred.push({ i, text, key });
        if (pool || deferred.length >= MIN_MISSES_FOR_WORKERS) await submitDeferred();
      } else {
        lowerHere(i, text, key);
        finished();
      }
    }
    if (pool) await submitDeferred();
    for (const d of deferred.splice(0)) {
      lowerHere(d.i, d.text, d.key);
      finished();
    }
    while (pending.size) await Promise.all([...pending]);
  } finally {
    await pool?.close();
    while (pending.size) await Promise.all([...pending]); // files handed back by close() run here
  }

  if (pool?.isBroken && pool.brokenReason) {
    problems.push({ file: '(workers)', message: `indexing in one thread: ${pool.brokenReason}` });
  }
  for (const p of fileProblems) if (p) problems.push(p);
  if (cache) {
    if (cancelled) cache.abort();
    else cache.commit();
    problems.push(...cache.problems);
    const { corrupt } = cache.stats;
    if (corrupt)
      problems.push({ file: cache.dir, message: `cache: ${corrupt} damaged entries ignored and rebuilt` });
  }
  let indexed = 0;
  results.forEach((facts, i) => {
    if (facts) {
      engine.setFacts(facts);
      indexed++;
    } else if (fileProblems[i]) engine.removeFile(files[i].rel); // stale facts of a file now skipped
  });
  return {
    indexed,
    bytes,
    problems,
    jobs: pool && pool.started > 0 && !pool.isBroken ? jobs : 1,
    cache: cache?.stats,
    cancelled,
    ms: performance.now() - start,
  };
}

function countFunctions(engine: Engine): number {
  let n = 0;
  for (const f of engine.index.allFiles()) n += f.functions.length;
  return n;
}

function openCache(opts: CacheOptions & { workspace?: string }, settings: Settings): FactsCache {
  return FactsCache.open(opts, opts.workspace ?? 'default', loweringSettingsKey(settings));
}

/**
 * Reads a source file without ever blocking on something that is not one: opened non-blocking
 * and checked with fstat on the open descriptor (no window between check and read), so a FIFO,
 * socket, device or folder put where a file was listed is skipped with a note.
 */
export function readSource(abs: string, rel: string): { text?: string; size: number; problem?: FileProblem } {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return { size: 0, problem: { file: rel, message: `cannot read: ${errorText(e)}` } };
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory())
      return { size: 0, problem: { file: rel, message: 'is a folder, not a file; skipped' } };
    if (!st.isFile()) return { size: 0, problem: { file: rel, message: 'not a regular file; skipped' } };
    if (st.size > MAX_FILE_BYTES) {
      return {
        size: 0,
        problem: { file: rel, message: `file is larger than ${MAX_FILE_BYTES >> 20} MB; skipped` },
      };
    }
    const buf = fs.readFileSync(fd);
    return { text: buf.toString('utf8'), size: buf.length };
  } catch (e) {
    return { size: 0, problem: { file: rel, message: `cannot read: ${errorText(e)}` } };
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // closing a descriptor we opened cannot meaningfully fail here
    }
  }
}
