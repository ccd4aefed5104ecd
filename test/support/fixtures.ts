/**
 * Fixture support: kernel-style C files with inline expectations, `/* expect: rule-id *\/` on
 * the line where a diagnostic must appear (`rule-id@severity` when its severity matters too).
 * Checked both ways: every expectation met, nothing unexpected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSettings } from '../../server/src/config/settings';
import { Engine, type AnalysisResult } from '../../server/src/engine/engine';
import { scanPaths } from '../../server/src/engine/scan';

export const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');

const EXPECT_RE = /expect:\s*([\w@-]+(?:\s*,\s*[\w@-]+)*)/g;
const CONFIG_RE = /lockscope-config:\s*(\{.*?\})\s*\*\//;

export interface FixtureOutcome {
  missing: string[];
  unexpected: string[];
  result: AnalysisResult;
}

/** `file:line rule` (or `file:line rule@severity`) strings for every expectation in the files. */
export function expectations(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(EXPECT_RE)) {
        for (const rule of m[1].split(/\s*,\s*/)) out.push(`${file}:${i + 1} ${rule}`);
      }
    });
  }
  return out.sort();
}

/**
 * A fixture's files by name: a file by its base name, a workspace folder's files by their path
 * inside it (`core/bus.c`: workspaces may have driver folders).
 */
export function readFixture(target: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.statSync(target).isDirectory()) {
    files.set(path.basename(target), fs.readFileSync(target, 'utf8'));
    return files;
  }
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else if (/\.[ch]$/.test(entry.name)) files.set(`${prefix}${entry.name}`, fs.readFileSync(full, 'utf8'));
    }
  };
  walk(target, '');
  return files;
}

/**
 * Runs the files through the engine; a workspace folder (`dir`) is scanned as the CLI scans it,
 * so that the configuration it holds (Makefile, .config, compile_commands.json) is read.
 */
export async function runFixture(files: Map<string, string>, dir?: string): Promise<FixtureOutcome> {
  const configText = [...files.values()].map((t) => CONFIG_RE.exec(t)?.[1]).find((c) => c !== undefined);
  const { settings, errors } = parseSettings(configText ? JSON.parse(configText) : {});
  if (errors.length) throw new Error(`bad fixture config: ${errors.join('; ')}`);
  let result: AnalysisResult;
  if (dir) {
    const outcome = await scanPaths(['.'], dir, settings, { jobs: 1 });
    const bad = outcome.problems.find((p) => p.file !== 'configuration');
    if (bad) throw new Error(`${bad.file}: ${bad.message}`);
    result = outcome.result;
  } else {
    const engine = await Engine.create(settings);
    for (const [file, text] of files) {
      const { problem } = engine.setFile(file, text);
      if (problem) throw new Error(`${file}: ${problem.message}`);
    }
    result = engine.analyze();
  }
  const actual = result.diagnostics
    .map((d) => `${d.file}:${d.range.line + 1} ${d.rule}@${d.severity}`)
    .sort();
  // Expectations that name a severity match it; the others match any.
  const expected = expectations(files);
  const exact = expected.filter((e) => e.includes('@'));
  const loose = expected.filter((e) => !e.includes('@'));
  const afterExact = multisetMinus(actual, exact);
  const bare = (a: string) => a.slice(0, a.lastIndexOf('@'));
  return {
    missing: [...multisetMinus(exact, actual), ...multisetMinus(loose, afterExact.map(bare))],
    unexpected: multisetMinus(afterExact.map(bare), loose),
    result,
  };
}

function multisetMinus(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else out.push(x);
  }
  return out;
}
