/**
 * Precision benchmark (prints a sample for a human audit, checks the audits; not a timed test):
 *
 *   npm run bench:precision -- DIR [--seed N] [--sample 20] [--tree NAME] [--labels FILE] [--config FILE]
 *
 * Scans DIR (paths relative to it), draws a seeded random sample of the errors and warnings the
 * editor shows (confidence at least the minConfidence setting, by default medium) and prints each with its whole explanation (message, related locations, the call chain, the source
 * around each), then checks the audited verdicts in test/precision/labels.json for this tree
 * (NAME, by default DIR's folder name): a finding audited false must stay gone, one audited true
 * must stay. Exit 0 when every label holds, 1 on a regression, 2 on bad arguments or labels.
 * How to audit: test/precision/README.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSettings } from '../server/src/config/settings';
import type { Diagnostic } from '../server/src/engine/engine';
import { preferThroughput, scanPaths } from '../server/src/engine/scan';
import { meetsConfidence } from '../server/src/rules/confidence';
import { formatFinding } from './precision/explain';
import { checkLabels, formatLabelTable, labelOf, loadLabels } from './precision/labels';
import { drawSample } from './precision/sample';

const REPO = path.resolve(__dirname, '..', '..');

export interface PrecisionArgs {
  dir: string;
  seed: number;
  sample: number;
  tree: string;
  labels: string;
  config?: string;
}

export function parsePrecisionArgs(argv: readonly string[]): PrecisionArgs {
  let dir: string | undefined;
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      if (dir !== undefined) throw new Error(`one DIR only (got ${dir} and ${a})`);
      dir = a;
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (!['seed', 'sample', 'tree', 'labels', 'config'].includes(name))
      throw new Error(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    opts.set(name, value);
  }
  if (dir === undefined)
    throw new Error('usage: bench:precision -- DIR [--seed N] [--sample 20] [--tree NAME]');
  const count = (name: string, fallback: number, min: number) => {
    const v = opts.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}`);
    return n;
  };
  return {
    dir: path.resolve(dir),
    seed: count('seed', 1, 0),
    sample: count('sample', 20, 1),
    tree: opts.get('tree') ?? path.basename(path.resolve(dir)),
    labels: path.resolve(opts.get('labels') ?? path.join(REPO, 'test', 'precision', 'labels.json')),
    config: opts.get('config'),
  };
}

/** The whole run: the printout and the exit code (1 when a label regressed). */
export async function runPrecision(a: PrecisionArgs): Promise<{ text: string; code: number }> {
  const loaded = loadLabels(a.labels);
  if (loaded.errors.length) return { text: loaded.errors.map((e) => `labels: ${e}\n`).join(''), code: 2 };
  let raw: unknown = {};
  try {
    if (a.config) raw = JSON.parse(fs.readFileSync(a.config, 'utf8'));
  } catch (e) {
    return { text: `config ${a.config}: ${(e as Error).message}\n`, code: 2 };
  }
  const { settings, errors } = parseSettings(raw);
  if (errors.length) return { text: errors.map((e) => `config: ${e}\n`).join(''), code: 2 };
  if (!fs.statSync(a.dir, { throwIfNoEntry: false })?.isDirectory())
    return { text: `${a.dir}: not a folder\n`, code: 2 };
  const outcome = await scanPaths(['.'], a.dir, settings);
  // What Problems shows and `--fail-on` counts: findings below minConfidence are hover and
  // report material, so they are neither audited nor able to keep an audited one "reported".
  const population = outcome.result.diagnostics.filter(
    (d) =>
      (d.severity === 'error' || d.severity === 'warning') &&
      meetsConfidence(d.confidence, settings.minConfidence),
  );
  const sample = drawSample(population, a.sample, a.seed);
  const out: string[] = [];
  out.push(
    `lockscope precision: tree ${a.tree} (${a.dir}), ${outcome.stats.files} files, ${population.length} errors and warnings of confidence ${settings.minConfidence} or higher; sample of ${sample.length}, seed ${a.seed}\n\n`,
  );
  const sources = new Map<string, string | undefined>();
  const source = (file: string) => {
    if (!sources.has(file)) {
      try {
        sources.set(file, fs.readFileSync(path.resolve(a.dir, file), 'utf8'));
      } catch {
        sources.set(file, undefined);
      }
    }
    return sources.get(file);
  };
  sample.forEach((d: Diagnostic, i) => {
    out.push(formatFinding(d, `#${i + 1}/${sample.length}`, source, labelOf(loaded.labels, a.tree, d)));
  });
  const audited = sample.map((d) => labelOf(loaded.labels, a.tree, d)).filter((l) => l !== undefined);
  const trues = audited.filter((l) => l.verdict === 'true').length;
  out.push(
    `sample: ${sample.length} findings, ${audited.length} audited (${trues} true, ${audited.length - trues} false), ${sample.length - audited.length} not audited\n\n`,
  );
  const { results, otherTrees } = checkLabels(loaded.labels, a.tree, population);
  const failed = results.filter((r) => !r.pass).length;
  out.push(
    `labels (${path.relative(process.cwd(), a.labels) || a.labels}) for tree ${a.tree}: ${results.length}`,
  );
  out.push(otherTrees ? `, ${otherTrees} for other trees not checked\n` : '\n');
  if (results.length) out.push(formatLabelTable(results));
  out.push(
    failed
      ? `FAIL: ${failed} of ${results.length} audited verdicts no longer hold\n`
      : results.length
        ? `pass: every audited verdict holds (${results.length})\n`
        : `no audited verdicts for tree ${a.tree} yet\n`,
  );
  return { text: out.join(''), code: failed ? 1 : 0 };
}

async function main(): Promise<void> {
  let args: PrecisionArgs;
  try {
    args = parsePrecisionArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench:precision: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  preferThroughput();
  const { text, code } = await runPrecision(args);
  (code === 2 ? process.stderr : process.stdout).write(text);
  process.exitCode = code;
}

if (require.main === module) void main();
