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
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { Range } from '../analysis/ir';
import type { ChainStep } from '../analysis/model';
import type { Settings } from '../config/settings';
import {
  type EdgeWitness,
  type LockClassInfo,
  type OrderEdge,
  OrderGraph,
  type OrderGraphData,
} from '../graph/order-graph';
import { RULE_IDS } from '../rules/registry';
import type { FixHint, Related } from '../rules/rule';
import { analysisFingerprint, loweringSettingsKey, stableJson } from './cache';
import type { Diagnostic } from './engine';

const MAGIC = 'LSCRESULT1\n';
const RESULT_FORMAT = 1;
const HEADER_RE = /^([0-9a-f]{64}) ([0-9a-f]{64}) (\d{1,10})$/;
const HEADER_MAX = 160;
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
  settings: Pick<Settings, 'defines' | 'undefines' | 'extraLockFunctions' | 'severity' | 'baselineOrder'>,
): string {
  const canonical = stableJson({
    lowering: loweringSettingsKey(settings),
    severity: settings.severity,
    baselineOrder: settings.baselineOrder,
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
  let buf: Buffer;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return {};
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { problem: `${file} is not a file` };
    if (st.size > MAX_RESULT_BYTES) return { problem: `${file} is too large` };
    buf = fs.readFileSync(fd);
  } catch (e) {
    return { problem: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // closing a descriptor we opened cannot meaningfully fail here
    }
  }
  const damaged = { problem: `damaged analysis result ${file} ignored and rebuilt` };
  if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return damaged;
  const nl = buf.subarray(MAGIC.length, MAGIC.length + HEADER_MAX).indexOf(0x0a);
  const m = nl > 0 ? HEADER_RE.exec(buf.toString('latin1', MAGIC.length, MAGIC.length + nl)) : null;
  if (!m) return damaged;
  if (m[1] !== key) return {};
  const start = MAGIC.length + nl + 1;
  const bytes = Number(m[3]);
  if (start + bytes + 1 !== buf.length || buf[start + bytes] !== 0x0a) return damaged;
  const payload = buf.subarray(start, start + bytes);
  if (createHash('sha256').update(payload).digest('hex') !== m[2]) return damaged;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('latin1'));
  } catch {
    return damaged;
  }
  if (!isPayload(value)) return damaged;
  const now = new Date();
  try {
    fs.utimesSync(file, now, now); // in use: keep it through the cache sweep
  } catch {
    // replaced or removed meanwhile: the result read is still good
  }
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
  const sum = createHash('sha256').update(body).digest('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (const b of [
      Buffer.from(`${MAGIC}${key} ${sum} ${body.length}\n`, 'latin1'),
      body,
      Buffer.from('\n'),
    ]) {
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
    }
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
    return undefined;
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // ignore: the file is removed next
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created
    }
    return `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

// Shape checks: a checksummed entry of this key was written by this code, but the reports and
// the quick fixes must not trip over one that is not (a hand edit with a recomputed checksum).

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint']);
const ORIGINS = new Set(['static', 'baseline', 'runtime']);
const RULES = new Set<string>(RULE_IDS);

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const arrayOf = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(item);
const optional = <T>(v: unknown, item: (x: unknown) => x is T): boolean => v === undefined || item(v);

function isRange(v: unknown): v is Range {
  return isObj(v) && isNum(v.line) && isNum(v.col) && isNum(v.endLine) && isNum(v.endCol);
}

function isStep(v: unknown): v is ChainStep {
  return isObj(v) && isStr(v.fn) && isStr(v.file) && isRange(v.range) && isStr(v.callee);
}

function isRelated(v: unknown): v is Related {
  return isObj(v) && isStr(v.file) && isRange(v.range) && isStr(v.message);
}

function isFix(v: unknown): v is FixHint {
  if (!isObj(v)) return false;
  switch (v.kind) {
    case 'gfp-atomic':
      return isStr(v.argText) && optional(v.argRange, isRange);
    case 'copy-after-unlock':
      return isStr(v.lockExpr);
    case 'preallocate':
      return arrayOf(v.lockExprs, isStr);
    default:
      return false;
  }
}

function isDiagnostic(v: unknown): v is Diagnostic {
  return (
    isObj(v) &&
    isStr(v.rule) &&
    RULES.has(v.rule) &&
    isStr(v.severity) &&
    SEVERITIES.has(v.severity) &&
    isStr(v.file) &&
    isRange(v.range) &&
    isStr(v.function) &&
    isStr(v.message) &&
    arrayOf(v.related, isRelated) &&
    arrayOf(v.classes, isStr) &&
    optional(v.fix, isFix)
  );
}

function isWitness(v: unknown): v is EdgeWitness {
  return (
    isObj(v) &&
    isStr(v.file) &&
    isRange(v.range) &&
    isStr(v.fn) &&
    arrayOf(v.chain, isStep) &&
    arrayOf(v.heldChain, isStep) &&
    optional(v.heldEntry, isStr)
  );
}

function isEdge(v: unknown): v is OrderEdge {
  return (
    isObj(v) &&
    isStr(v.from) &&
    isStr(v.to) &&
    isStr(v.origin) &&
    ORIGINS.has(v.origin) &&
    optional(v.witness, isWitness) &&
    optional(v.source, isStr) &&
    isNum(v.count) &&
    isBool(v.exclusiveHeld) &&
    isBool(v.nonRecursive) &&
    isBool(v.runtime)
  );
}

function isClass(v: unknown): v is LockClassInfo {
  return isObj(v) && isStr(v.name) && isStr(v.kind) && isNum(v.acquisitions);
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
