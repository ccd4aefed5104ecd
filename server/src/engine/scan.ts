/**
 * A whole scan: find files, parse and lower each into the engine's index, analyse. Shared by
 * the CLI, the language server's workspace indexing and the benchmarks.
 */
import type { Settings } from '../config/settings';
import type { ScanStats } from '../report/json';
import { findFiles, readText } from '../workspace/files';
import { type AnalysisResult, Engine, type FileProblem } from './engine';

export interface ScanOutcome {
  engine: Engine;
  result: AnalysisResult;
  stats: ScanStats;
  problems: FileProblem[];
  missing: string[];
  truncated: boolean;
}

export interface ScanOptions {
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
}

export async function scanPaths(paths: string[], base: string, settings: Settings, opts: ScanOptions = {}): Promise<ScanOutcome> {
  const walk = findFiles(paths, base, settings);
  const engine = await Engine.create(settings);
  const problems = [...walk.problems];
  let bytes = 0;
  const parseStart = performance.now();
  for (const [i, f] of walk.files.entries()) {
    if (opts.isCancelled?.()) break;
    const { text, problem } = readText(f.abs, f.rel);
    if (problem) problems.push(problem);
    if (text !== undefined) {
      bytes += Buffer.byteLength(text);
      const res = engine.setFile(f.rel, text);
      res.tree?.delete();
      if (res.problem) problems.push(res.problem);
    }
    opts.onProgress?.(i + 1, walk.files.length);
  }
  const parseMs = performance.now() - parseStart;
  const result = engine.analyze();
  const stats: ScanStats = { files: engine.index.size, bytes, functions: result.functions, parseMs, analyzeMs: result.analyzeMs };
  if (walk.truncated) problems.push({ file: base, message: `stopped after maxFiles=${settings.maxFiles} files` });
  return { engine, result, stats, problems, missing: walk.missing, truncated: walk.truncated };
}
