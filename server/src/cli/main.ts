/**
 * `lockscope`: scan (CI), lsp (editors), explain (lockdep reports). Argument parsing only;
 * the work is in the engine.
 */
import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseSettings } from '../config/settings';
import { scanPaths } from '../engine/scan';
import { toJson } from '../report/json';
import { formatSummary, formatText } from '../report/text';
import type { Severity } from '../rules/rule';
import { startServer } from '../server/server';

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

async function scan(
  paths: string[],
  opts: { format: string; output?: string; config?: string; failOn: string; baseline: boolean },
): Promise<number> {
  const { settings, errors } = parseSettings(readConfig(opts.config));
  for (const e of errors) process.stderr.write(`lockscope: ${e}\n`);
  if (!opts.baseline) settings.baselineOrder = false;
  const outcome = await scanPaths(paths.length ? paths : ['.'], process.cwd(), settings);
  if (outcome.missing.length) {
    for (const m of outcome.missing) process.stderr.write(`lockscope: ${m}: no such file or folder\n`);
    return 2;
  }
  for (const p of outcome.problems) process.stderr.write(`lockscope: note: ${p.file}: ${p.message}\n`);
  const { diagnostics, graph } = outcome.result;
  let text: string;
  if (opts.format === 'json')
    text = JSON.stringify(toJson(diagnostics, graph, outcome.stats), null, 2) + '\n';
  else {
    const s = outcome.stats;
    text = formatText(diagnostics) + formatSummary(diagnostics, s.files, s.parseMs, s.analyzeMs) + '\n';
  }
  if (opts.output) {
    try {
      fs.writeFileSync(opts.output, text);
    } catch (e) {
      throw new UsageError(`cannot write ${opts.output}: ${(e as Error).message}`);
    }
  } else process.stdout.write(text);
  const limit = FAIL_LEVELS[opts.failOn];
  const failing = limit !== undefined && diagnostics.some((d) => RANK[d.severity] <= limit);
  return failing ? 1 : 0;
}

function program(): Command {
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
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
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
    .option('--no-baseline', 'leave out the shipped kernel baseline lock order')
    .action(async (paths: string[], opts) => {
      process.exitCode = await scan(paths, opts);
    });
  cli
    .command('lsp')
    .description('run the language server on stdio (for Neovim, Emacs, Helix, ...)')
    .option('--stdio', 'use stdio (the default)')
    .action(() => {
      startServer();
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
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

if (require.main === module) void main(process.argv);
