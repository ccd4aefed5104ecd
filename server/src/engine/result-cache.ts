/**
 * The analysis-result cache: a scan's AnalysisResult (diagnostics, lock-order graph, function
 * count) stored next to the workspace's facts pack and reused while nothing that decides it
 * changed: the name and content key of every file, the code (analysisFingerprint) and the
 * settings that change analysis or reporting. A scan that reuses it neither loads facts nor
 * analyses.
 *
 * File layout (one entry, the last scan's):
 *
 *   LSCRESULT1\n
 *   <result key> <sha256 of payload> <payload bytes>\n
 *   <payload JSON, ASCII>\n
 *
 * The payload escapes every non-ASCII character (`→` in messages): it then decodes as latin1
 * into a one-byte string, three times faster than UTF-8 into a two-byte one, and parses faster.
 *
 * As with the pack, nothing read is trusted: another key is a miss; a wrong size, checksum or
 * shape is a damaged entry, reported, and replaced by the fresh result. Writes go to a fresh
 * temporary file in the cache folder (`wx`) renamed over the old one. Nothing throws.
 */
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings';
import { OrderGraph, type OrderGraphData } from '../graph/order-graph';
import { analysisFingerprint, loweringSettingsKey, stableJson } from './cache';
import type { Diagnostic } from './engine';
import { readEntry, writeEntry } from './entry-file';
import { arrayOf, isClass, isDiagnostic, isEdge, isNum, isObj } from './shape-checks';

const MAGIC = 'LSCRESULT1\n';
const RESULT_FORMAT = 1;
/** Larger than any real workspace's result; a bigger file is not read into memory. */
const MAX_RESULT_BYTES = 1 << 30;

/** What a scan reuses: the analysis result without its timings. */
export interface StoredResult {
  diagnostics: Diagnostic[];
  graph: OrderGraph;
  functions: number;
}

interface Payload {
  diagnostics: Diagnostic[];
  graph: OrderGraphData;
  functions: number;
}

/** Hash of the settings that change what analysis finds or how it is reported (not the globs). */
export function analysisSettingsKey(
  settings: Pick<Settings, 'defines' | 'undefines' | 'extraLockFunctions' | 'severity' | 'kernelOrder'>,
): string {
  const canonical = stableJson({
    lowering: loweringSettingsKey(settings),
    severity: settings.severity,
    kernelOrder: settings.kernelOrder,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The key a stored result must carry to be reused: `inputs` (indexFiles' hash of every file's
 * name and content key), the settings and the code. `tool` overrides the code fingerprint (tests).
 */
export function resultKey(inputs: string, settings: Settings, tool?: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([RESULT_FORMAT, tool ?? analysisFingerprint(), analysisSettingsKey(settings), inputs]),
    )
    .digest('hex');
}

/**
 * The result stored in `file` under `key`. `problem` says why an entry that was there could not
 * be used (damage); a missing file or another key is a plain miss.
 */
export function readResult(file: string, key: string): { result?: StoredResult; problem?: string } {
  const read = readEntry(file, MAGIC, key, MAX_RESULT_BYTES);
  const damaged = { problem: `damaged analysis result ${file} ignored and rebuilt` };
  if (read.damaged) return damaged;
  if (!read.payload) return { problem: read.problem };
  let value: unknown;
  try {
    value = JSON.parse(read.payload.toString('latin1'));
  } catch {
    return damaged;
  }
  if (!isPayload(value)) return damaged;
  return {
    result: {
      diagnostics: value.diagnostics,
      graph: OrderGraph.fromData(value.graph),
      functions: value.functions,
    },
  };
}

/** Stores `result` under `key`, replacing the file atomically. Returns a problem, or undefined. */
export function writeResult(file: string, key: string, result: StoredResult): string | undefined {
  let body: Buffer;
  try {
    const payload: Payload = {
      diagnostics: result.diagnostics,
      graph: result.graph.toData(),
      functions: result.functions,
    };
    const json = JSON.stringify(payload).replace(
      /[^\0-\x7f]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    body = Buffer.from(json, 'latin1');
  } catch (e) {
    // A result too large for one string: the next scan analyses again.
    return `cannot store the analysis result: ${e instanceof Error ? e.message : String(e)}`;
  }
  return writeEntry(file, MAGIC, key, body);
}

function isPayload(v: unknown): v is Payload {
  return (
    isObj(v) &&
    isNum(v.functions) &&
    arrayOf(v.diagnostics, isDiagnostic) &&
    isObj(v.graph) &&
    arrayOf(v.graph.classes, isClass) &&
    arrayOf(v.graph.edges, isEdge)
  );
}
