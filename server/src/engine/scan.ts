/**
 * A whole scan: find files, parse and lower each into the engine's index, analyse. Shared by
 * the CLI, the language server's workspace indexing and the benchmarks.
 *
 * Files stream through `indexFiles`: the main thread reads one file at a time (never a FIFO, a
 * device or a folder), looks its text up in the facts cache and otherwise hands it to a
 * lowering worker (or lowers it itself with `jobs: 1`, or for small scans). Only a few texts
 * are in flight at once. Facts and problems are merged in walk order, so results do not
 * depend on which worker finished first. No file is parsed twice.
 *
 * With `reuseResult`, the facts found in the cache are not loaded until every file is hashed:
 * when the stored analysis result matches the inputs, the scan returns it and loads nothing.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import type { FileFacts } from '../analysis/ir';
import type { Settings } from '../config/settings';
import { OrderGraph } from '../graph/order-graph';
import type { ScanStats } from '../report/json';
import { errorText, findFiles, type FoundFile } from '../workspace/files';
import {
  type CacheOptions,
  type CacheStats,
  contentKey,
  FactsCache,
  loweringSettingsKey,
  workspaceCacheFile,
} from './cache';
import { type AnalysisResult, checkText, Engine, type FileProblem, MAX_FILE_BYTES } from './engine';
import { defaultJobs, LowerPool, type LowerOutput } from './pool';
import { compiledOutSources } from '../preprocess/compiled-out';
import { configStats } from '../preprocess/config';
import { discoverConfiguration } from '../preprocess/discover';
import { headerCacheIn } from './header-cache';
import { memoKey, readMemo, writeMemo } from './memo-cache';
import { readResult, resultKey, type StoredResult, writeResult } from './result-cache';

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
  /** The result is the stored one (reuseResult): the engine holds no facts. */
  reused: boolean;
  /** Where the configuration came from, line by line (`--verbose`). */
  configLog: string[];
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
  /**
   * Called once every file is read and hashed and the misses are lowered, before the facts
   * found in the cache are loaded, with the scan's inputs key (see IndexOutcome.inputs).
   * Returning true skips loading them: the caller has what it needs without the facts, and
   * the engine's index is left as it was.
   */
  skipFacts?: (inputs: string) => boolean;
  /**
   * Stop reading files once the heap holds this many bytes (default: a share of the heap
   * limit): a tree too big for memory is indexed in part, with a note, instead of crashing.
   */
  heapBudgetBytes?: number;
}

export interface ScanOptions extends IndexOptions {
  /** false: index only, no analysis (benchmarks); the result is then empty. */
  analyze?: boolean;
  /**
   * With a cache: also keep the analysis result there and reuse it instead of loading facts
   * and analysing while no input changed. `engine` then holds no facts, so this is for
   * callers that need only the result (the CLI without lockdep reports).
   */
  reuseResult?: boolean;
}

export interface IndexOutcome {
  /**
   * Files read and lowered (or found in the cache), those then compiled out included; when
   * factsSkipped, the files whose facts are in the cache.
   */
  indexed: number;
  bytes: number;
  problems: FileProblem[];
  jobs: number;
  cache?: CacheStats;
  cancelled: boolean;
  ms: number;
  /**
   * With a cache, when every readable file was indexed (none cancelled or failed to lower): a
   * hash of each file's name and content key in walk order. Equal inputs, equal facts.
   */
  inputs?: string;
  /** skipFacts returned true: the cached facts were not loaded. */
  factsSkipped: boolean;
  /** Files the build leaves out (its Makefile) or compiles out (included only where the configuration turns the include off). */
  compiledOut: number;
}

/** The share of the heap limit facts may fill: the analysis needs about as much again. */
const HEAP_SHARE_FOR_FACTS = 0.4;
/** Files between two looks at the heap. */
const HEAP_CHECK_EVERY = 16;

/** Below this many files, starting workers costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 8;
/** Files to lower (cache misses) before workers are started. */
const MIN_MISSES_FOR_WORKERS = 8;
/** How long the main thread works before letting worker replies in. */
const YIELD_MS = 20;

/**
 * A batch scan wants throughput, not short pauses. V8 starts incremental marking once the heap
 * passes its limit; while it runs, every allocation and scavenge costs more, and on a big tree
 * it runs through the whole analysis (generated 20k-file tree: analysis 33 -> 24 s without it).
 * The CLI and the benchmarks turn it off for their process; the language server keeps it, as
 * its pauses must stay short.
 */
export function preferThroughput(): void {
  v8.setFlagsFromString('--no-incremental-marking');
}

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
  const resultProblems: FileProblem[] = [];
  const headersFile = cache
    ? workspaceCacheFile(path.resolve(cache.dir), cache.workspace, 'headers')
    : undefined;
  const discovery = discoverConfiguration({
    roots: paths.map((p) => path.resolve(base, p)),
    files: walk.files.map((f) => f.abs),
    settings,
    base,
    headerCache:
      cache && headersFile
        ? headerCacheIn(
            headersFile,
            (message) => resultProblems.push({ file: headersFile, message: `cache: ${message}` }),
            cache.toolVersion,
          )
        : undefined,
  });
  engine.setConfiguration(discovery.config);
  // The stored analysis result sits next to the pack; it is read once the files are hashed.
  const resultFile =
    cache && opts.reuseResult && opts.analyze !== false
      ? workspaceCacheFile(path.resolve(cache.dir), cache.workspace, 'result')
      : undefined;
  const keyOf = (inputs: string) =>
    resultKey(inputs, settings, engine.configuration.fingerprint, cache ? cache.toolVersion : undefined);
  let stored: StoredResult | undefined;
  let loadMs = 0;
  const skipFacts = resultFile
    ? (inputs: string): boolean => {
        const loadStart = performance.now();
        const read = readResult(resultFile, keyOf(inputs));
        if (read.problem) resultProblems.push({ file: resultFile, message: `cache: ${read.problem}` });
        stored = read.result;
        loadMs = performance.now() - loadStart;
        return !!stored;
      }
    : undefined;
  const index = await indexFiles(engine, walk.files, settings, { ...opts, cache, skipFacts });
  let result: AnalysisResult;
  if (stored) result = { ...stored, analysed: 0, analyzeMs: loadMs };
  else if (opts.analyze === false)
    result = {
      diagnostics: [],
      graph: new OrderGraph(),
      functions: countFunctions(engine),
      analysed: 0,
      analyzeMs: 0,
    };
  else {
    const memo = cache && {
      file: workspaceCacheFile(path.resolve(cache.dir), cache.workspace, 'memo'),
      key: memoKey(settings, engine.configuration.fingerprint, cache.toolVersion),
    };
    const note = (file: string, problem: string | undefined) => {
      if (problem) resultProblems.push({ file, message: `cache: ${problem}` });
    };
    if (memo) note(memo.file, readMemo(memo.file, memo.key, engine).problem);
    result = engine.analyze();
    if (resultFile && index.inputs) note(resultFile, writeResult(resultFile, keyOf(index.inputs), result));
    if (memo && result.analysed > 0) note(memo.file, writeMemo(memo.file, memo.key, engine));
  }
  const problems = [...walk.problems, ...discovery.problems, ...index.problems, ...resultProblems];
  const stats: ScanStats = {
    files: index.indexed,
    bytes: index.bytes,
    functions: result.functions,
    parseMs: stored ? index.ms - loadMs : index.ms, // loading the result counts as its analysis
    analyzeMs: result.analyzeMs,
    config: configStats(discovery.config),
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
    reused: !!stored,
    configLog: index.factsSkipped
      ? discovery.log
      : [...discovery.log, `${index.compiledOut} files not compiled under this configuration`],
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
  const config = engine.configuration;
  const cache = opts.cache ? openCache(opts.cache, settings) : undefined;
  /** Facts read under other answers of the configuration than the file gets now are stale. */
  const holds = (i: number) => (facts: FileFacts) => config.holds(facts.configDeps, files[i].abs);
  const problems: FileProblem[] = cache ? cache.problems.splice(0) : [];

  const jobs = files.length < MIN_FILES_FOR_WORKERS ? 1 : Math.max(1, Math.floor(opts.jobs ?? defaultJobs()));
  let pool: LowerPool | undefined;
  const getPool = () =>
    (pool ??= new LowerPool(
      jobs,
      {
        settings: { extraLockFunctions: settings.extraLockFunctions, kernelOrder: settings.kernelOrder },
        config: config.data,
      },
      { script: opts.workerScript, fileTimeoutMs: opts.fileTimeoutMs },
    ));

  const results: (FileFacts | undefined)[] = new Array(files.length);
  /** At most one problem per file, reported in walk order whichever thread finished first. */
  const fileProblems: (FileProblem | undefined)[] = new Array(files.length);
  /** Content keys of the readable files (while the cache is usable). */
  const keys: (string | undefined)[] = new Array(files.length);
  /**
   * With skipFacts, files whose facts are in the pack wait here, not loaded, until every file
   * is hashed and the caller has said whether it needs them.
   */
  const cached: number[] = [];
  let bytes = 0;
  let done = 0;
  const finished = () => opts.onProgress?.(++done, files.length);

  /** Lowering in this thread: the engine's own path (jobs 1, or when workers cannot run). */
  const lowerHere = (i: number, text: string, key: string | undefined) => {
    const rel = files[i].rel;
    const res = engine.setFile(rel, text, files[i].abs);
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
      else if (out.json !== undefined) {
        const facts = JSON.parse(out.json) as FileFacts;
        facts.path = rel;
        results[i] = facts;
        if (cache && key) cache.put(key, out.json);
      }
    } catch (e) {
      fileProblems[i] = { file: rel, message: `cannot index: ${errorText(e)}` };
    }
    finished();
  };

  /**
   * Loads a file's facts from the pack; a damaged entry is lowered again from the file, read
   * again (its text was not kept). False when what was indexed no longer matches its key.
   */
  const loadCached = (i: number): boolean => {
    const f = files[i];
    const key = keys[i]!;
    const hit = cache!.get(key, f.rel, holds(i));
    if (hit) {
      results[i] = hit;
      return true;
    }
    const read = readBytes(f.abs, f.rel);
    const text = read.data?.toString('utf8');
    const bad = read.problem ?? (text === undefined ? undefined : checkText(f.rel, text));
    if (bad || !read.data || text === undefined) {
      fileProblems[i] = bad;
      return false;
    }
    const now = contentKey(read.data);
    lowerHere(i, text, now);
    keys[i] = now; // what the facts now in results[i] were lowered from
    return now === key && results[i] !== undefined;
  };

  const pending = new Set<Promise<void>>();
  const deferred: { i: number; text: string; key: string | undefined }[] = [];
  const submitDeferred = async () => {
    const p = getPool();
    for (let d = deferred.shift(); d; d = deferred.shift()) {
      const { i, text, key } = d;
      await p.whenFree();
      const job = p.lower(files[i].rel, files[i].abs, text).then((out) => fromWorker(i, text, key, out));
      pending.add(job);
      void job.finally(() => pending.delete(job));
    }
  };
  let cancelled = false;
  let overBudget = false;
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const heapBudget = opts.heapBudgetBytes ?? heapLimit * HEAP_SHARE_FOR_FACTS;
  const heapFull = (n: number) =>
    n % HEAP_CHECK_EVERY === 0 && v8.getHeapStatistics().used_heap_size > heapBudget;
  let lastYield = performance.now();
  try {
    for (let i = 0; i < files.length; i++) {
      if (opts.isCancelled?.()) {
        cancelled = true;
        break;
      }
      if (heapFull(i)) {
        overBudget = true;
        break;
      }
      if (performance.now() - lastYield > YIELD_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      const f = files[i];
      const read = readBytes(f.abs, f.rel);
      if (!read.data) {
        fileProblems[i] = read.problem;
        finished();
        continue;
      }
      const key = cache?.enabled ? contentKey(read.data) : undefined;
      // Facts in the pack were lowered from these very bytes, which passed checkText then:
      // only files to lower are decoded and checked.
      const later = key !== undefined && !!opts.skipFacts && cache!.has(key);
      const hit = key !== undefined && !later ? cache!.get(key, f.rel, holds(i)) : undefined;
      const text = later || hit ? undefined : read.data.toString('utf8');
      const bad = text === undefined ? undefined : checkText(f.rel, text);
      if (bad) {
        fileProblems[i] = bad;
        finished();
        continue;
      }
      keys[i] = key;
      bytes += read.data.length;
      if (text === undefined) {
        if (hit) {
          results[i] = hit;
          finished();
        } else cached.push(i);
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

  let inputs =
    cache?.enabled && !cancelled && !overBudget ? inputsOf(files, keys, results, cached) : undefined;
  const factsSkipped = inputs !== undefined && !!opts.skipFacts?.(inputs);
  for (const [n, i] of cached.entries()) {
    if (factsSkipped) cache!.retain(keys[i]!);
    else if (overBudget || heapFull(n)) {
      overBudget = true;
      inputs = undefined;
      continue;
    } else if (!loadCached(i)) inputs = undefined;
    finished();
  }

  if (pool?.isBroken && pool.brokenReason) {
    problems.push({ file: '(workers)', message: `indexing in one thread: ${pool.brokenReason}` });
  }
  for (const p of fileProblems) if (p) problems.push(p);

  if (cache) {
    if (cancelled) cache.abort();
    else {
      if (overBudget) cache.retainAll(); // what was not read this time is still valid
      cache.commit();
    }
    problems.push(...cache.problems);
    const { corrupt } = cache.stats;
    if (corrupt)
      problems.push({ file: cache.dir, message: `cache: ${corrupt} damaged entries ignored and rebuilt` });
  }
  let indexed = 0;
  const compiledOut = factsSkipped
    ? new Set<string>()
    : compiledOutSources(
        files.map((f, i) => ({ abs: f.abs, includes: results[i]?.includes })),
        (abs) => config.leavesOut(abs),
      );
  if (factsSkipped) indexed = keys.filter((k) => k !== undefined).length;
  else
    results.forEach((facts, i) => {
      if (facts) indexed++;
      if (facts && compiledOut.has(files[i].abs)) engine.removeFile(files[i].rel);
      else if (facts) engine.setFacts(facts, keys[i]);
      else if (fileProblems[i]) engine.removeFile(files[i].rel); // stale facts of a file now skipped
    });
  if (overBudget) {
    const mb = (n: number) => Math.round(n / 1048576);
    problems.push({
      file: '(index)',
      message:
        `indexed ${indexed} of ${files.length} files: the heap passed ${mb(heapBudget)} MB of its ` +
        `${mb(heapLimit)} MB limit, and the analysis needs about as much again as the facts; narrow ` +
        'lockscope.include or raise the limit (NODE_OPTIONS=--max-old-space-size=MB)',
    });
  }
  return {
    indexed,
    bytes,
    problems,
    jobs: pool && pool.started > 0 && !pool.isBroken ? jobs : 1,
    cache: cache?.stats,
    cancelled,
    ms: performance.now() - start,
    inputs,
    factsSkipped,
    compiledOut: compiledOut.size,
  };
}

/**
 * The inputs key: every readable file's name and content key in walk order; undefined when
 * some readable file has no facts (lowering failed), as its facts would not be reproduced.
 */
function inputsOf(
  files: readonly FoundFile[],
  keys: readonly (string | undefined)[],
  results: readonly (FileFacts | undefined)[],
  cached: readonly number[],
): string | undefined {
  const waiting = new Set(cached);
  const h = createHash('sha256');
  for (let i = 0; i < files.length; i++) {
    const key = keys[i];
    if (key === undefined) continue;
    if (!results[i] && !waiting.has(i)) return undefined;
    h.update(`${files[i].rel}\0${key}\n`);
  }
  return h.digest('hex');
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
 * Reused by readBytes: a warm scan only hashes most files, and a fresh buffer per file cost
 * allocation and garbage collection (external memory pressure) for nothing.
 */
let scratch = Buffer.allocUnsafe(1 << 20);

/** Reads a source file as text (readBytes, decoded as UTF-8). */
export function readSource(abs: string, rel: string): { text?: string; size: number; problem?: FileProblem } {
  const read = readBytes(abs, rel);
  return read.data
    ? { text: read.data.toString('utf8'), size: read.data.length }
    : { size: 0, problem: read.problem };
}

/**
 * Reads a source file without ever blocking on something that is not one: opened non-blocking
 * and checked with fstat on the open descriptor (no window between check and read), so a FIFO,
 * socket, device or folder put where a file was listed is skipped with a note. `data` is a view
 * of a shared buffer, valid until the next call: hash or decode it before reading another file.
 */
function readBytes(abs: string, rel: string): { data?: Buffer; problem?: FileProblem } {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return { problem: { file: rel, message: `cannot read: ${errorText(e)}` } };
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return { problem: { file: rel, message: 'is a folder, not a file; skipped' } };
    if (!st.isFile()) return { problem: { file: rel, message: 'not a regular file; skipped' } };
    if (st.size > MAX_FILE_BYTES)
      return { problem: { file: rel, message: `file is larger than ${MAX_FILE_BYTES >> 20} MB; skipped` } };
    if (st.size === 0) return { data: fs.readFileSync(fd) }; // size unknown (procfs-like): read to the end
    if (scratch.length < st.size) scratch = Buffer.allocUnsafe(Math.max(st.size, scratch.length * 2));
    let n = 0;
    while (n < st.size) {
      const r = fs.readSync(fd, scratch, n, st.size - n, n);
      if (r === 0) break; // shortened meanwhile: what is there
      n += r;
    }
    return { data: scratch.subarray(0, n) };
  } catch (e) {
    return { problem: { file: rel, message: `cannot read: ${errorText(e)}` } };
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // closing a descriptor we opened cannot meaningfully fail here
    }
  }
}
