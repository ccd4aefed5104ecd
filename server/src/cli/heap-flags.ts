/**
 * Node heap flags for a CLI scan, and the relaunch that applies them; the old-generation flag
 * the VS Code client starts the language server with.
 *
 * V8 reads its heap sizes when the process starts, and Node's defaults do not fit a big scan:
 * - the old generation stops at about 4 GB, while a whole-kernel tree needs 6-13 GB (the
 *   index stops at 40% of the limit, so the scan would be partial);
 * - the 16 MB young generation fills every few milliseconds with facts and summaries that
 *   all survive, and every scavenge also walks the whole old generation's pages: on the 20k-file
 *   generated tree the main thread spent 15.5 s in 960 scavenges and 2 full collections;
 *   with 64 MB semi-spaces, 8.8 s in 250 and 1.
 * So `lockscope scan` and `explain` of more than RELAUNCH_ABOVE_FILES files run in a child
 * process with these flags, unless the user set the same flags (on the command line or in
 * NODE_OPTIONS), which then win. Smaller scans stay in this process: starting Node and loading
 * the bundle again costs about 0.3 s, more than the flags save on a 10 MB driver. The language
 * server is started with its flags by the client (a relaunch would keep an idle parent of 78 MB).
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as v8 from 'node:v8';

const SEMI_SPACE_MB = 64;
/** About 28 MB of C: where the time saved starts to outweigh the relaunch. */
export const RELAUNCH_ABOVE_FILES = 2000;
/** The share of the machine's memory (or the container's) the old generation may use. */
const OLD_SPACE_SHARE = 0.75;
/** Set in the child, so it does not relaunch again. */
const RELAUNCHED = 'LOCKSCOPE_RELAUNCHED';

/**
 * The flags to add: none that the user already chose, and no limit below Node's default. The
 * language server keeps Node's young generation: 64 MB semi-spaces would cost it about 50 MB of
 * RSS in the i915 workspace, where the budget is 400 MB.
 */
export function nodeHeapFlags(
  userFlags: readonly string[],
  memoryBytes: number,
  defaultLimitBytes: number,
  purpose: 'scan' | 'server',
): string[] {
  // V8 takes its flags with dashes or underscores.
  const chosen = (flag: string) => userFlags.some((f) => f.replace(/_/g, '-').startsWith(flag));
  const flags: string[] = [];
  const oldSpaceMb = Math.floor((memoryBytes * OLD_SPACE_SHARE) / 2 ** 20);
  if (!chosen('--max-old-space-size') && oldSpaceMb * 2 ** 20 > defaultLimitBytes)
    flags.push(`--max-old-space-size=${oldSpaceMb}`);
  if (purpose === 'scan' && !chosen('--max-semi-space-size'))
    flags.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  return flags;
}

/** The flags a scan started from this process gets (the benchmarks run their scans with them too). */
export function scanFlagsHere(): string[] {
  return nodeHeapFlags([...process.execArgv, ...nodeOptions()], machineMemory(), heapLimit(), 'scan');
}

/**
 * The flags the VS Code client starts the language server with. The client forks the server
 * without its own execArgv, but NODE_OPTIONS still reaches it. Other editors start
 * `lockscope lsp` with Node's defaults; the note of a partial index says how to raise them.
 * (VS Code's Electron caps the heap at 4 GB: the flag counts where the server runs on Node,
 * as with Remote-SSH or code-server.)
 */
export function serverFlagsHere(): string[] {
  return nodeHeapFlags(nodeOptions(), machineMemory(), heapLimit(), 'server');
}

function nodeOptions(): string[] {
  return (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
}

/** The machine's memory, or the container's when less. */
function machineMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, os.totalmem()) : os.totalmem();
}

/** This process's heap limit: Node's default unless flags changed it. */
function heapLimit(): number {
  return v8.getHeapStatistics().heap_size_limit;
}

/**
 * For a scan of `countFiles()` files: runs `argv` again in a child process with the scan flags,
 * forwarding signals and stdio, and resolves to its exit code. Undefined, to scan here, when
 * this process is already the child, the scan is small, or there is no flag to add.
 */
export function relaunchForScan(
  countFiles: () => number,
  argv: readonly string[],
): Promise<number> | undefined {
  if (process.env[RELAUNCHED] || countFiles() <= RELAUNCH_ABOVE_FILES) return undefined;
  const flags = scanFlagsHere();
  if (flags.length === 0) return undefined;
  const child = spawn(process.execPath, [...flags, ...process.execArgv, ...argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`lockscope: cannot start node: ${e.message}\n`);
      resolve(2);
    });
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
