/**
 * The CLI's JSON shape (DESIGN.md, stable): 1-based lines and columns.
 */
import type { Diagnostic } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import type { ConfigStats } from '../preprocess/config';
import { usageLabel } from '../rules/usage-describe';

export interface ScanStats {
  files: number;
  bytes: number;
  functions: number;
  parseMs: number;
  analyzeMs: number;
  /** The configuration the files were read under (preprocess/config). */
  config?: ConfigStats;
}

/** How a scan against a baseline went (`--baseline`): `diagnostics` then lists the new findings only. */
export interface BaselineCounts {
  file: string;
  new: number;
  unchanged: number;
  absent: number;
}

export function toJson(
  diagnostics: Diagnostic[],
  graph: OrderGraph,
  stats: ScanStats,
  extra: { baseline?: BaselineCounts; changedSince?: string } = {},
): object {
  return {
    version: 1,
    stats: {
      files: stats.files,
      bytes: stats.bytes,
      functions: stats.functions,
      parseMs: Math.round(stats.parseMs),
      analyzeMs: Math.round(stats.analyzeMs),
      ...(stats.config ? { config: stats.config } : {}),
    },
    diagnostics: diagnostics.map((d) => ({
      rule: d.rule,
      severity: d.severity,
      file: d.file,
      line: d.range.line + 1,
      column: d.range.col + 1,
      endLine: d.range.endLine + 1,
      endColumn: d.range.endCol + 1,
      function: d.function,
      message: d.message,
      confidence: d.confidence,
      ...(d.confidenceReasons ? { confidenceReasons: d.confidenceReasons } : {}),
      fingerprint: d.fingerprint,
      related: d.related.map((r) => ({
        file: r.file,
        line: r.range.line + 1,
        column: r.range.col + 1,
        message: r.message,
      })),
    })),
    lockClasses: graph.lockClasses().map((c) => ({
      name: c.name,
      kind: c.kind,
      acquisitions: c.acquisitions,
      ...(c.usage?.length ? { usage: [...new Set(c.usage.map(usageLabel))] } : {}),
    })),
    edges: graph.edges().map((e) => ({
      from: e.from,
      to: e.to,
      file: e.witness?.file ?? '',
      line: e.witness ? e.witness.range.line + 1 : 0,
      function: e.witness?.fn ?? e.source ?? '',
    })),
    cycles: graph.cycles().map((c) => ({ classes: c.classes })),
    ...(extra.baseline ? { baseline: extra.baseline } : {}),
    ...(extra.changedSince ? { changedSince: extra.changedSince } : {}),
  };
}
