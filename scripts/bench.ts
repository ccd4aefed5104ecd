/**
 * Indexing benchmark (prints figures; not a test):
 *
 *   npm run bench -- DIR [--jobs N] [--index-only]
 *
 * Each phase runs in its own child process, so each peak RSS is its own:
 *   parse floor  walk + read once (untimed), then Engine.parseOnly over every file (the floor):
 *                once in one thread, once on N parse-only worker threads fed like the scan's
 *   cold         scanPaths without cache: walk + read + parse + lower (N workers) + analyze
 *   cache fill   the same with an empty cache folder (adds writing the pack and the result)
 *   warm         the same again: nothing changed, so the stored analysis result is reused
 *                (with --index-only: every file's facts come from the cache)
 *   edited       one file changed (a comment appended to the largest): its facts are lowered
 *                again and the analysis starts from the stored memo (not with --index-only)
 * The cached phases run on a copy of DIR in a temporary folder, which the edit changes.
 * `--index-only` leaves analysis out of the scans (the index is what this benchmark is about).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { RELAUNCH_ABOVE_FILES, scanFlagsHere } from '../server/src/cli/heap-flags';
import { defaultSettings } from '../server/src/config/settings';
import { Engine } from '../server/src/engine/engine';
import { defaultJobs, FILES_IN_FLIGHT_PER_WORKER } from '../server/src/engine/pool';
import { preferThroughput, readSource, scanPaths } from '../server/src/engine/scan';
import { findFiles } from '../server/src/workspace/files';

export interface PhaseResult {
  phase: string;
  files: number;
  bytes: number;
  /** Whole phase: for scans, the scanPaths call. */
  wallMs: number;
  /** parse floor: parseOnly loop; scans: the indexing part (stats.parseMs). */
  indexMs: number;
  analyzeMs: number;
  functions: number;
  /** Peak RSS of the child, KB. */
  maxRssKb: number;
  /** CPU time of the child process (all its threads), ms. */
  cpuMs: number;
  hits?: number;
  misses?: number;
  jobs?: number;
  diagnostics?: number;
  /** The stored analysis result was used (no facts loaded, no analysis). */
  reused?: boolean;
  /** Functions analysed (the others' results came from the memo). */
  analysed?: number;
}

async function phase(
  name: string,
  dir: string,
  jobs: number,
  cacheDir: string | undefined,
  analyze: boolean,
): Promise<PhaseResult> {
  const settings = defaultSettings();
  settings.maxFiles = Number.MAX_SAFE_INTEGER;
  if (name === 'parse' || name === 'parse-workers') {
    const walk = findFiles([dir], dir, settings);
    const texts: string[] = [];
    let bytes = 0;
    for (const f of walk.files) {
      const r = readSource(f.abs, f.rel);
      if (r.text !== undefined) {
        texts.push(r.text);
        bytes += r.size;
      }
    }
    const ms = name === 'parse' ? await parseHere(texts) : await parseOnWorkers(texts, jobs);
    return {
      phase: name,
      files: texts.length,
      bytes,
      wallMs: ms,
      indexMs: ms,
      analyzeMs: 0,
      functions: 0,
      ...usage(),
    };
  }
  const start = performance.now();
  const o = await scanPaths([dir], dir, settings, {
    jobs,
    cache: cacheDir ? { dir: cacheDir } : false,
    analyze,
    reuseResult: true, // as the CLI does
  });
  const wallMs = performance.now() - start;
  return {
    phase: name,
    files: o.stats.files,
    bytes: o.stats.bytes,
    wallMs,
    indexMs: o.stats.parseMs,
    analyzeMs: o.stats.analyzeMs,
    functions: o.stats.functions,
    hits: o.cache?.hits,
    misses: o.cache?.misses,
    jobs: o.jobs,
    diagnostics: o.result.diagnostics.length,
    reused: o.reused,
    analysed: o.result.analysed,
    ...usage(),
  };
}

/** The largest C file under `dir` (what the edited phase changes). */
function largestFile(dir: string): string | undefined {
  const settings = defaultSettings();
  settings.maxFiles = Number.MAX_SAFE_INTEGER;
  let best: { abs: string; size: number } | undefined;
  for (const f of findFiles([dir], dir, settings).files) {
    const size = fs.statSync(f.abs).size;
    if (f.abs.endsWith('.c') && (!best || size > best.size)) best = { abs: f.abs, size };
  }
  return best?.abs;
}

/** The single-thread floor: every text parsed once in this thread. */
async function parseHere(texts: string[]): Promise<number> {
  const engine = await Engine.create(defaultSettings());
  const start = performance.now();
  for (const t of texts) engine.parseOnly(t);
  return performance.now() - start;
}

/**
 * The parallel floor: `jobs` threads that only parse, fed the texts as the scan feeds its
 * lowering workers (FILES_IN_FLIGHT_PER_WORKER in flight per thread), timed from the first text sent (threads ready)
 * to the last reply.
 */
async function parseOnWorkers(texts: string[], jobs: number): Promise<number> {
  const workers = await Promise.all(
    Array.from({ length: jobs }, async () => {
      const w = new Worker(__filename, { argv: ['--parse-worker'] });
      await new Promise((resolve) => w.once('message', resolve));
      return w;
    }),
  );
  let next = 0;
  const start = performance.now();
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          let inFlight = 0;
          const send = () => {
            while (inFlight < FILES_IN_FLIGHT_PER_WORKER && next < texts.length) {
              inFlight++;
              w.postMessage(texts[next++]);
            }
            if (inFlight === 0) resolve();
          };
          w.on('message', () => {
            inFlight--;
            send();
          });
          send();
        }),
    ),
  );
  const ms = performance.now() - start;
  await Promise.all(workers.map((w) => w.terminate()));
  return ms;
}

async function parseWorker(): Promise<void> {
  const engine = await Engine.create(defaultSettings());
  parentPort!.on('message', (text: string) => {
    engine.parseOnly(text);
    parentPort!.postMessage(0);
  });
  parentPort!.postMessage('ready');
}

function usage(): { maxRssKb: number; cpuMs: number } {
  const u = process.resourceUsage();
  return { maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 };
}

/** Runs one phase in a child process (node flags: e.g. a bigger heap for huge trees). */
export function runChild(
  name: string,
  dir: string,
  opts: { jobs: number; cacheDir?: string; analyze: boolean; timeoutMs?: number },
): PhaseResult | { phase: string; error: string } {
  // With the heap flags `lockscope scan` would relaunch itself with for this tree.
  const big = findFiles([dir], dir, defaultSettings()).files.length > RELAUNCH_ABOVE_FILES;
  const args = [
    ...(big ? scanFlagsHere() : []),
    __filename,
    '--phase',
    name,
    dir,
    '--jobs',
    String(opts.jobs),
  ];
  if (opts.cacheDir) args.push('--cache', opts.cacheDir);
  if (!opts.analyze) args.push('--index-only');
  const res = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs,
    maxBuffer: 64 << 20,
  });
  const last = res.stdout?.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as PhaseResult;
  } catch {
    const why = res.error?.message ?? (res.signal ? `killed by ${res.signal}` : `exit ${res.status}`);
    return { phase: name, error: `${why}: ${(res.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  }
}

const mb = (bytes: number) => bytes / 1048576;
const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '-' : n.toFixed(digits));

interface Args {
  dir?: string;
  jobs: number;
  phase?: string;
  cache?: string;
  analyze: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { jobs: defaultJobs(), analyze: true };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--jobs') a.jobs = Math.max(1, Number(argv[++i]) || 1);
    else if (x === '--phase') a.phase = argv[++i];
    else if (x === '--cache') a.cache = argv[++i];
    else if (x === '--index-only') a.analyze = false;
    else if (!x.startsWith('-') && !a.dir) a.dir = x;
    else throw new Error(`unknown argument ${x}`);
  }
  return a;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (!a.dir) throw new Error('usage: bench DIR [--jobs N] [--index-only]');
  const dir = path.resolve(a.dir);
  if (a.phase) {
    preferThroughput(); // as `lockscope scan` runs
    process.stdout.write(JSON.stringify(await phase(a.phase, dir, a.jobs, a.cache, a.analyze)) + '\n');
    return;
  }
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-bench-cache-'));
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-bench-tree-'));
  const results: (PhaseResult | { phase: string; error: string })[] = [];
  try {
    const run = (name: string, label: string, tree: string, cache?: string) => {
      const r = runChild(name, tree, { jobs: a.jobs, cacheDir: cache, analyze: a.analyze });
      results.push({ ...r, phase: label });
      return r;
    };
    console.log(
      `lockscope bench: ${dir}, ${a.jobs} jobs, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
    );
    run('parse', 'parse floor (1 thread)', dir);
    run('parse-workers', `parse floor (${a.jobs} jobs)`, dir);
    run('scan', `cold (${a.jobs} jobs)`, dir);
    fs.cpSync(dir, copy, { recursive: true });
    run('scan', 'cold + cache fill', copy, cacheDir);
    run('scan', 'warm (cached)', copy, cacheDir);
    if (a.analyze) {
      const largest = largestFile(copy);
      if (largest) {
        fs.appendFileSync(largest, '\n/* lockscope bench: edited */\n');
        run('scan', 'one file edited', copy, cacheDir);
      }
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(copy, { recursive: true, force: true });
  }
  const ok = results.filter((r): r is PhaseResult => !('error' in r));
  const first = ok[0];
  if (first) console.log(`files ${first.files}, ${fmt(mb(first.bytes), 1)} MB`);
  console.log(
    'phase                 wall ms   index ms  analyze ms   CPU ms  peak RSS MB  cache hits/misses',
  );
  for (const r of results) {
    if ('error' in r) {
      console.log(`${r.phase.padEnd(20)}  failed: ${r.error}`);
      continue;
    }
    const cache = r.hits === undefined ? '' : `${r.hits}/${r.misses}${r.reused ? ', result reused' : ''}`;
    console.log(
      `${r.phase.padEnd(20)} ${fmt(r.wallMs).padStart(8)} ${fmt(r.indexMs).padStart(10)} ${fmt(r.analyzeMs).padStart(11)} ${fmt(r.cpuMs).padStart(8)} ${fmt(r.maxRssKb / 1024).padStart(12)}  ${cache}`,
    );
  }
  const cold = ok.find((r) => r.phase.startsWith('cold ('));
  const warm = ok.find((r) => r.phase.startsWith('warm'));
  for (const floor of ok.filter((r) => r.phase.startsWith('parse floor'))) {
    if (!cold) break;
    const which = floor.phase.slice('parse floor '.length);
    console.log(`ratio cold total / parse floor ${which}: ${(cold.wallMs / floor.indexMs).toFixed(2)}`);
    console.log(`ratio cold index / parse floor ${which}: ${(cold.indexMs / floor.indexMs).toFixed(2)}`);
  }
  const edited = ok.find((r) => r.phase === 'one file edited');
  if (edited)
    console.log(
      `one file edited: ${fmt(edited.wallMs)} ms, ${edited.analysed} of ${edited.functions} functions analysed`,
    );
  if (warm?.reused)
    console.log(`warm: ${fmt(warm.wallMs)} ms, nothing changed: the stored analysis result was reused`);
  else if (warm) console.log(`warm index: ${fmt(warm.indexMs)} ms (${warm.hits} files from the cache)`);
}

if (!isMainThread && process.argv.includes('--parse-worker')) void parseWorker();
else if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  });
}
