/**
 * A pool of lowering workers (worker_threads, one parser each). Files go to the least busy
 * worker, at most `perWorker` in flight each so a worker never waits for the main thread.
 *
 * Failure handling: a worker that crashes (wasm abort, out of memory) or runs past the per-file
 * budget is terminated; the file it was on is reported as a problem and never retried, the
 * files queued behind it go to a fresh worker. A worker that cannot start (no worker script,
 * no grammar) breaks the pool: every file then comes back as `fallback`, for the caller to
 * lower in its own thread. Nothing here rejects or throws at the caller.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Settings } from '../config/settings';
import type { FileProblem } from './engine';

export interface WorkerInit {
  settings: Pick<Settings, 'defines' | 'undefines' | 'extraLockFunctions' | 'kernelOrder'>;
}

export interface LowerRequest {
  id: number;
  path: string;
  text: string;
}

export type LowerReply =
  { ready: true } | { id: number; json: string } | { id: number; problem: FileProblem };

export interface LowerOutput {
  /** JSON.stringify of the file's FileFacts. */
  json?: string;
  problem?: FileProblem;
  /** The pool could not run the file (no working worker): lower it in the caller's thread. */
  fallback?: boolean;
}

export interface PoolOptions {
  /** Worker script; default: worker.js next to this module (dist/ or out/server/src/engine/). */
  script?: string;
  /** Parse + lower budget per file before its worker is abandoned. */
  fileTimeoutMs?: number;
  perWorker?: number;
}

export const DEFAULT_FILE_TIMEOUT_MS = 60_000;
/**
 * Files in flight per worker: enough that a worker still has work while the main thread is
 * busy (decoding a big file's facts, a GC pause); i915 indexes ~5% faster with 4 than with 2.
 */
export const FILES_IN_FLIGHT_PER_WORKER = 4;
const STARTUP_TIMEOUT_MS = 30_000;

/** The number of lowering threads worth running here. */
export function defaultJobs(): number {
  return Math.max(
    1,
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
  );
}

/** The worker script beside this module, if it was built. */
export function workerScript(): string | undefined {
  const candidate = path.join(__dirname, 'worker.js');
  return fs.existsSync(candidate) ? candidate : undefined;
}

interface Task {
  id: number;
  path: string;
  text: string;
  resolve: (out: LowerOutput) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  tasks: Task[];
  /** When the first task in `tasks` started being the one the worker works on. */
  headSince: number;
  spawnedAt: number;
}

export class LowerPool {
  private readonly slots: Slot[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private nextId = 1;
  private broken = false;
  private closed = false;
  private readonly script: string | undefined;
  private readonly fileTimeoutMs: number;
  private readonly perWorker: number;
  /** Workers started (including replacements). */
  started = 0;
  /** Why the pool broke (a worker that could not start), when it did. */
  brokenReason: string | undefined;

  constructor(
    private readonly size: number,
    private readonly init: WorkerInit,
    opts: PoolOptions = {},
  ) {
    this.script = opts.script ?? workerScript();
    this.fileTimeoutMs = opts.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
    this.perWorker = opts.perWorker ?? FILES_IN_FLIGHT_PER_WORKER;
    this.broken = !this.script;
    if (!this.script) this.brokenReason = 'no worker script next to the engine';
    this.timer = setInterval(() => this.watchdog(), Math.min(1000, Math.max(50, this.fileTimeoutMs / 4)));
    this.timer.unref();
  }

  /** True when workers cannot run; callers lower in their own thread. */
  get isBroken(): boolean {
    return this.broken;
  }

  private get inFlight(): number {
    let n = 0;
    for (const s of this.slots) n += s.tasks.length;
    return n;
  }

  /** Resolves when another file can be submitted without queueing behind busy workers. */
  whenFree(): Promise<void> {
    if (this.broken || this.closed || this.inFlight < this.size * this.perWorker) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Lowers one file on a worker. Always resolves. */
  lower(file: string, text: string): Promise<LowerOutput> {
    if (this.broken || this.closed) return Promise.resolve({ fallback: true });
    return new Promise((resolve) => this.dispatch({ id: this.nextId++, path: file, text, resolve }));
  }

  /** Stops the workers; files still in flight come back as `fallback`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const slots = this.slots.splice(0);
    for (const s of slots) {
      s.dead = true;
      for (const t of s.tasks.splice(0)) t.resolve({ fallback: true });
    }
    this.wake();
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => 0)));
  }

  private dispatch(task: Task): void {
    if (this.broken || this.closed) {
      task.resolve({ fallback: true });
      return;
    }
    let slot: Slot | undefined;
    for (const s of this.slots) if (!slot || s.tasks.length < slot.tasks.length) slot = s;
    if (!slot || (slot.tasks.length > 0 && this.slots.length < this.size)) slot = this.spawn();
    if (!slot) {
      task.resolve({ fallback: true });
      return;
    }
    if (slot.tasks.length === 0) slot.headSince = Date.now();
    slot.tasks.push(task);
    slot.worker.postMessage({ id: task.id, path: task.path, text: task.text } satisfies LowerRequest);
  }

  private spawn(): Slot | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.script!, {
        workerData: this.init,
        // A runaway file takes its worker down, not the process.
        resourceLimits: { maxOldGenerationSizeMb: 2048, stackSizeMb: 8 },
      });
    } catch (e) {
      this.breakPool(e instanceof Error ? e.message : String(e));
      return undefined;
    }
    this.started++;
    const now = Date.now();
    const slot: Slot = { worker, ready: false, dead: false, tasks: [], headSince: now, spawnedAt: now };
    worker.on('message', (msg: LowerReply) => this.onReply(slot, msg));
    let error = '';
    worker.on('error', (e) => (error = e instanceof Error ? e.message : String(e))); // 'exit' follows
    worker.on('exit', (code) =>
      this.onExit(slot, error ? `the worker failed (${error})` : `the worker stopped (exit ${code})`),
    );
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, msg: LowerReply): void {
    if (slot.dead) return;
    if ('ready' in msg) {
      slot.ready = true;
      slot.headSince = Date.now(); // the start-up does not count against the first file
      return;
    }
    const task = slot.tasks[0];
    if (!task || task.id !== msg.id) return;
    slot.tasks.shift();
    slot.headSince = Date.now();
    task.resolve('problem' in msg ? { problem: msg.problem } : { json: msg.json });
    this.wake();
  }

  /** A worker ended on its own: a crash while on `tasks[0]`, or a failed start. */
  private onExit(slot: Slot, why: string): void {
    if (slot.dead) return;
    this.retire(slot);
    if (!slot.ready) {
      // Never started: this is the setup, not a file. Hand everything back to the caller.
      this.breakPool(why);
      for (const t of slot.tasks) t.resolve({ fallback: true });
      return;
    }
    const [head, ...rest] = slot.tasks;
    head?.resolve({ problem: { file: head.path, message: `${why} while lowering this file; skipped` } });
    for (const t of rest) this.dispatch(t);
    this.wake();
  }

  private watchdog(): void {
    const now = Date.now();
    for (const slot of [...this.slots]) {
      if (slot.dead) continue;
      if (!slot.ready) {
        if (now - slot.spawnedAt > Math.max(STARTUP_TIMEOUT_MS, this.fileTimeoutMs))
          this.breakPool('a worker did not start');
        continue;
      }
      if (slot.tasks.length === 0) continue;
      if (now - slot.headSince <= this.fileTimeoutMs) continue;
      const budget = this.fileTimeoutMs;
      this.retire(slot);
      void slot.worker.terminate().catch(() => 0);
      const [head, ...rest] = slot.tasks;
      head.resolve({
        problem: { file: head.path, message: `parsing and lowering took longer than ${budget} ms; skipped` },
      });
      for (const t of rest) this.dispatch(t);
      this.wake();
    }
  }

  private retire(slot: Slot): void {
    slot.dead = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private breakPool(reason: string): void {
    this.broken = true;
    this.brokenReason ??= reason;
    for (const s of this.slots.splice(0)) {
      s.dead = true;
      void s.worker.terminate().catch(() => 0);
      for (const t of s.tasks.splice(0)) t.resolve({ fallback: true });
    }
    this.wake();
  }

  private wake(): void {
    let free = this.broken || this.closed ? Infinity : this.size * this.perWorker - this.inFlight;
    while (this.waiters.length && free-- > 0) this.waiters.shift()!();
  }
}
