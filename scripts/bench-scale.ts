/**
 * Scaling benchmark (prints figures; not a test):
 *
 *   node out/scripts/bench-scale.js [--sizes 1000,2000,5000,10000,20000] [--jobs N]
 *                                   [--index-only] [--seed S] [--timeout-min M] [--lock-share F]
 *
 * Generates kernel-style trees (scripts/gen-tree) under the temp folder (kept between runs,
 * regenerated when the generator's arguments change), scans each in a fresh child process
 * (cold, no cache) and prints files, MB, wall time, peak RSS, least-squares lines through
 * them and the projection for 1.1 GB of C.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultJobs } from '../server/src/engine/pool';
import { type PhaseResult, runChild } from './bench';
import { DEFAULT_LOCK_SHARE, generateTree } from './gen-tree';

const TARGET_MB = 1.1 * 1024;

function fit(xs: number[], ys: number[]): { a: number; b: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const b = sxx ? sxy / sxx : 0;
  const a = my - b * mx;
  return { a, b, r2: sxx && syy ? (sxy * sxy) / (sxx * syy) : 1 };
}

function ensureTree(files: number, seed: number, lockShare: number): string {
  const dir = path.join(os.tmpdir(), `lockscope-scale-${files}-s${seed}-l${lockShare}`);
  const stamp = path.join(dir, '.generated');
  const want = `gen-tree v3 files=${files} seed=${seed} lock-share=${lockShare}`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const start = performance.now();
  const res = generateTree(dir, files, seed, undefined, lockShare);
  fs.writeFileSync(stamp, want);
  console.log(
    `  generated ${res.files} files, ${(res.bytes / 1048576).toFixed(1)} MB in ${Math.round(performance.now() - start)} ms`,
  );
  return dir;
}

function main(): void {
  let sizes = [1000, 2000, 5000, 10000, 20000];
  let jobs = defaultJobs();
  let analyze = true;
  let seed = 1;
  let timeoutMin = 30;
  let lockShare = DEFAULT_LOCK_SHARE;
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--sizes') sizes = argv[++i].split(',').map(Number);
    else if (x === '--jobs') jobs = Math.max(1, Number(argv[++i]) || 1);
    else if (x === '--index-only') analyze = false;
    else if (x === '--seed') seed = Number(argv[++i]);
    else if (x === '--timeout-min') timeoutMin = Number(argv[++i]);
    else if (x === '--lock-share') lockShare = Number(argv[++i]);
    else throw new Error(`unknown argument ${x}`);
  }
  console.log(
    `lockscope bench-scale: ${jobs} jobs, ${analyze ? 'index + analysis' : 'index only'}, lock share ${lockShare}, load ${os.loadavg()[0].toFixed(1)}`,
  );
  const rows: PhaseResult[] = [];
  console.log('   files       MB    wall ms   index ms  analyze ms    CPU ms  peak RSS MB  load');
  for (const n of sizes) {
    const dir = ensureTree(n, seed, lockShare);
    const r = runChild('scan', dir, {
      jobs,
      analyze,
      timeoutMs: timeoutMin * 60_000,
    });
    if ('error' in r) {
      console.log(`${String(n).padStart(8)}  failed: ${r.error}`);
      continue;
    }
    rows.push(r);
    const cells = [
      String(r.files).padStart(8),
      (r.bytes / 1048576).toFixed(1).padStart(8),
      r.wallMs.toFixed(0).padStart(10),
      r.indexMs.toFixed(0).padStart(10),
      r.analyzeMs.toFixed(0).padStart(11),
      r.cpuMs.toFixed(0).padStart(9),
      (r.maxRssKb / 1024).toFixed(0).padStart(12),
      os.loadavg()[0].toFixed(1).padStart(5),
    ];
    console.log(cells.join(' '));
  }
  if (rows.length < 2) return;
  report(rows);
}

/** Least-squares lines per measure, the growth exponent between the two largest trees, projections. */
export function report(rows: PhaseResult[]): void {
  const xs = rows.map((r) => r.bytes / 1048576);
  const measures: [string, string, (r: PhaseResult) => number][] = [
    ['wall', 'ms', (r) => r.wallMs],
    ['index', 'ms', (r) => r.indexMs],
    ['analysis', 'ms', (r) => r.analyzeMs],
    ['CPU', 'ms', (r) => r.cpuMs],
    ['peak RSS', 'MB', (r) => r.maxRssKb / 1024],
  ];
  const [x1, x2] = [xs[xs.length - 2], xs[xs.length - 1]];
  console.log(`fits over ${rows.length} trees (x = MB of C); exponent k from the two largest: y ∝ MB^k`);
  for (const [name, unit, get] of measures) {
    const ys = rows.map(get);
    if (ys.every((y) => y === 0)) continue; // e.g. analysis with --index-only
    const f = fit(xs, ys);
    const [y1, y2] = [ys[ys.length - 2], ys[ys.length - 1]];
    const k = y1 > 0 && y2 > 0 ? Math.log(y2 / y1) / Math.log(x2 / x1) : NaN;
    const linear = f.a + f.b * TARGET_MB;
    const power = y2 * (TARGET_MB / x2) ** k;
    const show = (v: number) =>
      unit === 'ms' ? `${(v / 60_000).toFixed(1)} min` : `${(v / 1024).toFixed(1)} GB`;
    console.log(
      `  ${name.padEnd(9)} ≈ ${f.a.toFixed(0)} + ${f.b.toFixed(2)} × MB ${unit} (r² ${f.r2.toFixed(3)}), k ${k.toFixed(2)}; ` +
        `${TARGET_MB.toFixed(0)} MB: ${show(linear)} linear, ${Number.isFinite(power) ? show(power) : '-'} by the exponent`,
    );
  }
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  }
}
