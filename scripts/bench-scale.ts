/**
 * Scaling benchmark (prints figures; not a test):
 *
 *   node out/scripts/bench-scale.js [--sizes 1000,2000,5000,10000,20000] [--jobs N]
 *                                   [--index-only] [--seed S] [--timeout-min M]
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
import { generateTree } from './gen-tree';

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

function ensureTree(files: number, seed: number): string {
  const dir = path.join(os.tmpdir(), `lockscope-scale-${files}-s${seed}`);
  const stamp = path.join(dir, '.generated');
  const want = `gen-tree v1 files=${files} seed=${seed}`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const start = performance.now();
  const res = generateTree(dir, files, seed);
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
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--sizes') sizes = argv[++i].split(',').map(Number);
    else if (x === '--jobs') jobs = Math.max(1, Number(argv[++i]) || 1);
    else if (x === '--index-only') analyze = false;
    else if (x === '--seed') seed = Number(argv[++i]);
    else if (x === '--timeout-min') timeoutMin = Number(argv[++i]);
    else throw new Error(`unknown argument ${x}`);
  }
  console.log(
    `lockscope bench-scale: ${jobs} jobs, ${analyze ? 'index + analysis' : 'index only'}, load ${os.loadavg()[0].toFixed(1)}`,
  );
  const rows: PhaseResult[] = [];
  console.log('   files       MB    wall ms   index ms  analyze ms    CPU ms  peak RSS MB  load');
  for (const n of sizes) {
    const dir = ensureTree(n, seed);
    const r = runChild('scan', dir, {
      jobs,
      analyze,
      nodeFlags: ['--max-old-space-size=16384'],
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
  const xs = rows.map((r) => r.bytes / 1048576);
  const wall = fit(
    xs,
    rows.map((r) => r.wallMs),
  );
  const rss = fit(
    xs,
    rows.map((r) => r.maxRssKb / 1024),
  );
  const cpu = fit(
    xs,
    rows.map((r) => r.cpuMs),
  );
  console.log(`wall ms ≈ ${wall.a.toFixed(0)} + ${wall.b.toFixed(1)} × MB   (r² ${wall.r2.toFixed(3)})`);
  console.log(
    `CPU ms  ≈ ${cpu.a.toFixed(0)} + ${cpu.b.toFixed(1)} × MB   (r² ${cpu.r2.toFixed(3)}; all threads)`,
  );
  console.log(`RSS MB  ≈ ${rss.a.toFixed(0)} + ${rss.b.toFixed(2)} × MB   (r² ${rss.r2.toFixed(3)})`);
  const pw = wall.a + wall.b * TARGET_MB;
  const pr = rss.a + rss.b * TARGET_MB;
  console.log(
    `projection for ${TARGET_MB.toFixed(0)} MB of C: ${(pw / 60_000).toFixed(1)} min, ${(pr / 1024).toFixed(1)} GB peak RSS`,
  );
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
}
