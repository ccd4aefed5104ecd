/**
 * `lockscope`: scan (CI), lsp (editors), explain (lockdep reports). Argument parsing only;
 * the work is in the engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { changedLinesSince, gitRevision, type Revision, touchesChange } from '../baseline/changed';
import { type BaselineComparison, compareWithBaseline } from '../baseline/compare';
import { readBaseline } from '../baseline/read';
import { parseSettings, type Settings } from '../config/settings';
import type { Diagnostic } from '../engine/engine';
import { preferThroughput, type ScanOutcome, scanPaths } from '../engine/scan';
import { explainReport, formatExplain } from '../lockdep/explain';
import { parseKernelVersion } from '../preprocess/predefined';
import { analyzeWithLockdep } from '../lockdep/load';
import { toJson } from '../report/json';
import { toHtml } from '../report/html';
import { VERSION } from '../version';
import { toSarif } from '../report/sarif';
import { formatSummary, formatText } from '../report/text';
import { type Confidence, meetsConfidence } from '../rules/confidence';
import type { Severity } from '../rules/rule';
import { startServer } from '../server/server';
import { GitError } from '../vcs/git';
import { findFiles } from '../workspace/files';
import { RELAUNCH_ABOVE_FILES, relaunchForScan } from './heap-flags';

const FAIL_LEVELS: Record<string, number> = { error: 0, warning: 1, information: 2, hint: 3 };
const RANK: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

/** Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or I/O error. */
class UsageError extends Error {}

function readConfig(file: string | undefined): unknown {
  if (!file) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read config file ${file}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The files `paths` name, counted as the scan will find them; the walk stops once past the relaunch bound. */
function fileCount(paths: string[], settings: Settings): () => number {
  const maxFiles = Math.min(settings.maxFiles, RELAUNCH_ABOVE_FILES + 1);
  return () => findFiles(paths, process.cwd(), { ...settings, maxFiles }).files.length;
}

interface ScanOptions {
  format: string;
  output?: string;
  config?: string;
  failOn: string;
  minConfidence?: Confidence;
  /** `--baseline FILE`; false from the deprecated `--no-baseline` (the kernel order). */
  baseline?: string | false;
  writeBaseline?: string;
  changedSince?: string;
  kernelOrder: boolean;
  cache?: string | false;
  jobs?: number;
  lockdep?: string[];
  kconfig?: string;
  compileCommands?: string;
  kernelVersion?: string;
  verbose?: boolean;
}

/** What a scan reports after the baseline and `--changed-since` have had their say. */
interface Reported {
  /** Listed in text, JSON and HTML, and counted for --fail-on. */
  shown: Diagnostic[];
  /** Every current finding in scope: SARIF lists them all with their baselineState. */
  inScope: Diagnostic[];
  comparison?: BaselineComparison;
  changedSince?: string;
}

async function scan(argv: readonly string[], paths: string[], opts: ScanOptions): Promise<number> {
  const { settings, errors, notes } = parseSettings(readConfig(opts.config));
  // The flags name files from where the command runs; they win over the config file's settings.
  if (opts.kconfig) settings.kernelConfig = path.resolve(opts.kconfig);
  if (opts.compileCommands) settings.compileCommands = path.resolve(opts.compileCommands);
  if (opts.kernelVersion !== undefined) settings.kernelVersion = opts.kernelVersion;
  const roots = paths.length ? paths : ['.'];
  const relaunched = relaunchForScan(fileCount(roots, settings), argv);
  if (relaunched) return relaunched;
  preferThroughput();
  for (const e of errors) process.stderr.write(`lockscope: ${e}\n`);
  for (const n of notes) process.stderr.write(`lockscope: note: ${n}\n`);
  if (opts.baseline === false) {
    process.stderr.write(
      "lockscope: note: --no-baseline is deprecated: use --no-kernel-order (it leaves out the kernel's known lock order)\n",
    );
    settings.kernelOrder = false;
  }
  if (!opts.kernelOrder) settings.kernelOrder = false;
  const cwd = process.cwd();
  // Bad input fails before the scan, not after minutes of it.
  const baselineFile = typeof opts.baseline === 'string' ? opts.baseline : settings.baseline || undefined;
  const baseline = baselineFile === undefined ? undefined : readBaseline(baselineFile, cwd);
  if (baseline?.error) throw new UsageError(baseline.error);
  const revision = opts.changedSince === undefined ? undefined : openRevision(opts.changedSince, roots[0]);
  const reports = [...settings.lockdepReports, ...(opts.lockdep ?? [])];
  const outcome = await scanPaths(roots, cwd, settings, {
    jobs: opts.jobs,
    cache: typeof opts.cache === 'string' ? { dir: path.resolve(opts.cache) } : false,
    // Mapping lockdep's edges needs the facts, and the reports are not part of the result's key.
    reuseResult: reports.length === 0,
  });
  if (outcome.missing.length) {
    for (const m of outcome.missing) process.stderr.write(`lockscope: ${m}: no such file or folder\n`);
    return 2;
  }
  if (reports.length) {
    const merged = analyzeWithLockdep(outcome.engine, reports);
    outcome.result = merged.result;
    outcome.problems.push(...merged.problems);
  }
  if (opts.verbose) {
    process.stderr.write(`lockscope: configuration: ${outcome.stats.config?.description ?? 'default'}\n`);
    for (const line of outcome.configLog) process.stderr.write(`lockscope: configuration: ${line}\n`);
  }
  for (const p of outcome.problems) process.stderr.write(`lockscope: note: ${p.file}: ${p.message}\n`);
  const all = outcome.result.diagnostics;
  if (opts.writeBaseline) {
    const { graph } = outcome.result;
    writeFile(opts.writeBaseline, JSON.stringify(toJson(all, graph, outcome.stats), null, 2) + '\n');
  }
  let scope = (ds: Diagnostic[]) => ds;
  if (revision) {
    const changed = changedLinesSince(revision, cwd, all);
    scope = (ds) => ds.filter((d) => touchesChange(d, changed, cwd));
  }
  // Against the whole scan: a baseline finding outside the changed lines is not gone.
  const whole = baseline?.baseline && compareWithBaseline(all, baseline.baseline);
  const comparison = whole && { ...whole, fresh: scope(whole.fresh), unchanged: scope(whole.unchanged) };
  const reported: Reported = {
    shown: comparison?.fresh ?? scope(all),
    inScope: scope(all),
    comparison,
    changedSince: opts.changedSince,
  };
  const text = await render(opts.format, outcome, reported);
  if (opts.output) writeFile(opts.output, text);
  else process.stdout.write(text);
  const limit = FAIL_LEVELS[opts.failOn];
  const min = opts.minConfidence ?? settings.minConfidence;
  const failing =
    limit !== undefined &&
    reported.shown.some((d) => RANK[d.severity] <= limit && meetsConfidence(d.confidence, min));
  return failing ? 1 : 0;
}

/** `ref` in the git work tree of the first scanned path. */
function openRevision(ref: string, root: string): Revision {
  const abs = path.resolve(root);
  const dir = fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory() ? abs : path.dirname(abs);
  try {
    return gitRevision(ref, dir);
  } catch (e) {
    if (e instanceof GitError) throw new UsageError(e.message);
    throw e;
  }
}

function writeFile(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

/** The report in the requested format (DESIGN.md's JSON, SARIF 2.1.0, one HTML page or text). */
async function render(format: string, outcome: ScanOutcome, r: Reported): Promise<string> {
  const { graph } = outcome.result;
  const s = outcome.stats;
  const counts = r.comparison && {
    file: r.comparison.file,
    new: r.comparison.fresh.length,
    unchanged: r.comparison.unchanged.length,
    absent: r.comparison.absent.length,
  };
  // what the report leaves out, for the formats read by people
  const scope = [
    r.changedSince && `only findings touching lines changed since ${r.changedSince}`,
    counts &&
      `baseline ${counts.file}: ${counts.new} new, ${counts.unchanged} unchanged (not shown), ${counts.absent} gone`,
  ].filter((l): l is string => !!l);
  switch (format) {
    case 'json':
      return (
        JSON.stringify(
          toJson(r.shown, graph, s, { baseline: counts, changedSince: r.changedSince }),
          null,
          2,
        ) + '\n'
      );
    case 'sarif':
      return (
        JSON.stringify(
          toSarif(r.inScope, graph, { toolVersion: VERSION, baseUri: process.cwd(), baseline: r.comparison }),
          null,
          2,
        ) + '\n'
      );
    case 'html':
      return toHtml(r.shown, graph, s, { toolVersion: VERSION, scope });
    default: {
      return (
        formatText(r.shown) +
        formatSummary(r.shown, s.files, s.parseMs, s.analyzeMs) +
        scope.map((l) => `\n${l}`).join('') +
        '\n'
      );
    }
  }
}

async function explain(argv: readonly string[], report: string, paths: string[]): Promise<number> {
  let text: string;
  try {
    text = fs.readFileSync(report, 'utf8');
  } catch {
    throw new UsageError(`cannot read lockdep report ${report}`);
  }
  const { settings } = parseSettings({});
  const roots = paths.length ? paths : ['.'];
  const relaunched = relaunchForScan(fileCount(roots, settings), argv);
  if (relaunched) return relaunched;
  preferThroughput();
  const outcome = await scanPaths(roots, process.cwd(), settings);
  if (outcome.missing.length) {
    for (const m of outcome.missing) process.stderr.write(`lockscope: ${m}: no such file or folder\n`);
    return 2;
  }
  process.stdout.write(formatExplain(explainReport(text, outcome.engine)));
  return 0;
}

function kernelVersion(value: string): string {
  if (parseKernelVersion(value) === undefined)
    throw new InvalidArgumentError('expected a kernel version like 6.8 or 6.8.12');
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

function program(argv: readonly string[]): Command {
  const cli = new Command('lockscope')
    .description(
      'Static lockdep for kernel C: lock-order cycles, sleeping in atomic context, lock dependencies.',
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cli
    .command('scan')
    .description('scan files and folders (default: .) and print the findings')
    .argument('[paths...]', 'C files or folders to scan')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json', 'sarif', 'html'])
        .default('text'),
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option(
      '-c, --config <file>',
      'JSON settings file (same keys as the editor settings, without "lockscope.")',
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity')
        .choices(['error', 'warning', 'information', 'hint', 'none'])
        .default('warning'),
    )
    .addOption(
      new Option(
        '--min-confidence <level>',
        'count only findings at least this confident for --fail-on (default: the minConfidence setting, medium); all are listed',
      ).choices(['high', 'medium', 'low']),
    )
    .option(
      '--baseline <file>',
      'JSON or SARIF output of an earlier scan: report (and fail on) only the findings not in it',
    )
    .option('--write-baseline <file>', 'also write every finding of this scan to a file, as a baseline')
    .option(
      '--changed-since <ref>',
      'report only findings whose line or related locations changed since this git revision (uncommitted changes count)',
    )
    .option('--no-kernel-order', "leave out the core kernel's known lock order")
    .addOption(new Option('--no-baseline', 'deprecated: use --no-kernel-order'))
    .option('--lockdep <file...>', 'merge the lock-order edges of lockdep reports or /proc/lockdep dumps')
    .option(
      '--cache <dir>',
      'keep parsed facts and the last result in this folder; unchanged files are not parsed again',
    )
    .option('--no-cache', 'do not use a facts cache (the default)')
    .option('-j, --jobs <n>', 'parser threads (default: one per core; 1: no worker threads)', positiveInt)
    .option(
      '--kconfig <file>',
      'kernel .config or include/generated/autoconf.h to read #if and IS_ENABLED() with',
    )
    .option(
      '--compile-commands <file>',
      'compile_commands.json to read per-file -D, -U and -include flags from',
    )
    .option(
      '--kernel-version <x.y.z>',
      "kernel version for LINUX_VERSION_CODE arms (default: the tree's own, else the newest arm)",
      kernelVersion,
    )
    .option('-v, --verbose', 'print where the configuration came from (on stderr)')
    .action(async (paths: string[], opts) => {
      process.exitCode = await scan(argv, paths, opts);
    });
  cli
    .command('explain')
    .description(
      'explain a lockdep report (dmesg) against the source: each link, its line, and whether static analysis sees it',
    )
    .argument('<report>', 'a file with the lockdep report')
    .argument('[paths...]', 'C files or folders of the workspace (default: .)')
    .action(async (report: string, paths: string[]) => {
      process.exitCode = await explain(argv, report, paths);
    });
  cli
    .command('lsp')
    .description('run the language server on stdio (for Neovim, Emacs, Helix, ...)')
    .option('--stdio', 'use stdio (the default)')
    // vscode-languageclient adds --clientProcessId=<pid>; other clients add their own flags.
    .option('--clientProcessId <pid>', 'the editor process (set by vscode-languageclient; unused)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      startServer();
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program(argv).parseAsync(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidArgumentError) {
      process.stderr.write(`lockscope: ${e.message}\n`);
      process.exitCode = 2;
    } else if (e && typeof e === 'object' && 'exitCode' in e) {
      // commander: --help exits 0, unknown options and missing arguments exit 2
      const code = (e as { exitCode: number }).exitCode;
      process.exitCode = code === 0 ? 0 : 2;
    } else {
      process.stderr.write(
        `lockscope: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 2;
    }
  }
}

/** The program, as `bin/lockscope` runs it. */
export async function run(argv: string[]): Promise<void> {
  // `lockscope scan | head`: a reader that stops reading ends the output quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit();
  });
  await main(argv);
}

if (require.main === module) void run(process.argv);
