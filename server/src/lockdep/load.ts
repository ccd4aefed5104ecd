/**
 * Runtime truth for a scan: read lockdep reports and /proc/lockdep dumps from files and analyse
 * again with their edges in the graph (mapping them needs the static summaries first).
 */
import type { AnalysisResult, Engine, FileProblem } from '../engine/engine';
import { readText } from '../workspace/files';
import { runtimeEdgesFromTexts } from './merge';

export function analyzeWithLockdep(
  engine: Engine,
  files: readonly string[],
): { result: AnalysisResult; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const texts: string[] = [];
  for (const file of files) {
    const { text, problem } = readText(file, file);
    if (problem) problems.push(problem);
    if (text !== undefined) texts.push(text);
  }
  return { result: engine.analyze(runtimeEdgesFromTexts(texts, engine)), problems };
}
