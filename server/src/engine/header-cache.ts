/**
 * The headers'-pass cache: the configuration discovery's reading of the workspace's headers
 * (preprocess/headers: their symbols, the macros worth expanding, the functions they declare),
 * stored next to the workspace's facts pack. The pass preprocesses every header, up to three
 * times, on every scan (i915: 400 headers, a third of a second), warm scans included; its
 * result depends only on the configuration read before it and on the headers' names and texts,
 * which the discovery hashes into the key (preprocess/discover HeaderCache). The code is in the
 * key too (toolFingerprint).
 *
 * One entry (the last scan's) in the format of entry-file.ts, its payload JSON. As with the
 * other caches nothing read is trusted: another key is a miss; damage (envelope, JSON or shape)
 * is reported and the pass runs again, its result replacing the entry. Nothing throws.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SymbolState } from '../preprocess/expr';
import type { HeaderCache } from '../preprocess/discover';
import type { MacroDef } from '../preprocess/macros';
import { toolFingerprint } from './cache';
import { readEntry, writeEntry } from './entry-file';
import { arrayOf, isNum, isObj, isStr } from './shape-checks';

const MAGIC = 'LSCHEADERS1\n';
const HEADERS_FORMAT = 1;
/** Far above a real workspace's (i915: 0.5 MB); a bigger file is not read into memory. */
const MAX_HEADERS_BYTES = 256 << 20;

interface Payload {
  symbols: [string, SymbolState][];
  macros: [string, MacroDef | null][];
  definable: string[];
  functions: string[];
  headers: number;
}

/** The cache kept in `file`; what goes wrong reading or writing it is passed to `problem`. */
export function headerCacheIn(file: string, problem: (message: string) => void, tool?: string): HeaderCache {
  const fullKey = (key: string) =>
    createHash('sha256')
      .update(JSON.stringify([HEADERS_FORMAT, tool ?? toolFingerprint(), key]))
      .digest('hex');
  return {
    get(key) {
      const read = readEntry(file, MAGIC, fullKey(key), MAX_HEADERS_BYTES);
      const damaged = (): undefined => {
        problem(`damaged headers' pass ${file} ignored and rebuilt`);
        return undefined;
      };
      if (read.damaged) return damaged();
      if (read.problem) problem(read.problem);
      if (!read.payload) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(read.payload.toString('utf8'));
      } catch {
        return damaged();
      }
      if (!isPayload(value)) return damaged();
      return {
        symbols: new Map(value.symbols),
        macros: new Map(value.macros),
        definable: new Set(value.definable),
        functions: new Set(value.functions),
        headers: value.headers,
      };
    },
    put(key, scan) {
      const payload: Payload = {
        symbols: [...scan.symbols],
        macros: [...scan.macros],
        definable: [...scan.definable],
        functions: [...scan.functions],
        headers: scan.headers,
      };
      // The scan opens the cache folder (creating it) only after the discovery.
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
      } catch (e) {
        problem(
          `cannot use cache folder ${path.dirname(file)}: ${e instanceof Error ? e.message : String(e)}`,
        );
        return;
      }
      const failed = writeEntry(file, MAGIC, fullKey(key), Buffer.from(JSON.stringify(payload), 'utf8'));
      if (failed) problem(failed);
    },
  };
}

const isPair =
  <T>(item: (x: unknown) => x is T) =>
  (v: unknown): v is [string, T] =>
    Array.isArray(v) && v.length === 2 && isStr(v[0]) && item(v[1]);

function isSymbolState(v: unknown): v is SymbolState {
  return (
    isObj(v) &&
    (v.defined === undefined || typeof v.defined === 'boolean') &&
    (v.value === undefined || isStr(v.value))
  );
}

function isMacro(v: unknown): v is MacroDef | null {
  return (
    v === null ||
    (isObj(v) &&
      isStr(v.name) &&
      isStr(v.body) &&
      isNum(v.line) &&
      (v.params === undefined || arrayOf(v.params, isStr)))
  );
}

function isPayload(v: unknown): v is Payload {
  return (
    isObj(v) &&
    isNum(v.headers) &&
    arrayOf(v.symbols, isPair(isSymbolState)) &&
    arrayOf(v.macros, isPair(isMacro)) &&
    arrayOf(v.definable, isStr) &&
    arrayOf(v.functions, isStr)
  );
}
