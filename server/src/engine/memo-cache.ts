/**
 * The analysis-memo cache: per function, its summary, findings and order edges (what one
 * analysis leaves for the next, interproc.ts AnalysisMemo) stored next to the workspace's facts
 * pack. A scan after a few files changed starts from it: only the changed functions, and the
 * callers of those whose summary changed, are analysed again.
 *
 * Functions are named by file, the file's content key and their position in it: a file whose
 * content key differs now contributes only its functions' old summaries, which tell whether the
 * new ones changed for their callers. The types of every file must be what they were, or the
 * analysis starts from scratch (as it does in one process).
 *
 * The payload is V8's serialization, which keeps shared objects shared: call chains share their
 * steps, so the payload is a fraction of the same data as JSON. Its key covers the code, the
 * V8 version and the analysis settings. A damaged entry (envelope, payload or shape) is
 * reported and replaced; a memo that does not fit the current files is simply not used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { type AnalysisMemo, type FunctionMemo, changeKeyOf } from '../analysis/interproc';
import type { FunctionIR } from '../analysis/ir';
import type { Settings } from '../config/settings';
import { analysisFingerprint } from './cache';
import type { Engine } from './engine';
import { readEntry, writeEntry } from './entry-file';
import { analysisSettingsKey } from './result-cache';
import { all, arrayOf, isFinding, isNum, isObj, isStr, MemoShapes } from './shape-checks';

const MAGIC = 'LSCMEMO1\n';
const MEMO_FORMAT = 1;
/** Far above what the step budget below lets through (i915: 22 MB); a bigger file is not read. */
const MAX_MEMO_BYTES = 256 << 20;
/**
 * Above this many call-chain steps in the summaries the memo is not kept: reading it back costs
 * about as much as the analysis it saves. Measured on this project's test trees: i915 holds
 * 0.8 million (22 MB, read in 0.35 s against 1.7 s of analysis); all of drm-kmod, whose ops
 * tables join the drivers' call graphs, holds 17 million (240 MB, 5 s to read and 4-5 s to
 * write against 12 s of analysis).
 */
const MAX_MEMO_STEPS = 4_000_000;

interface StoredFile {
  path: string;
  key: string;
  /** Function names in order: a check that the facts are the ones the positions refer to. */
  functions: string[];
}

interface StoredEntry {
  /** The function's id in the analysis that made the memo (file, name, position). */
  id: string;
  file: number;
  fn: number;
  memo: FunctionMemo;
}

interface StoredMemo {
  typeKey: string[];
  files: StoredFile[];
  entries: StoredEntry[];
  cycles?: AnalysisMemo['cycles'];
}

/**
 * The key a stored memo must carry: the code, the serializer's version, the settings and the
 * configuration's fingerprint (a function read under another configuration is other code).
 */
export function memoKey(settings: Settings, configuration: string, tool?: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        MEMO_FORMAT,
        tool ?? analysisFingerprint(),
        process.versions.v8,
        analysisSettingsKey(settings),
        configuration,
      ]),
    )
    .digest('hex');
}

/**
 * Stores the memo of `engine`'s last finished analysis: the functions of files read from disk
 * (an editor's unsaved text has no content key). Returns a problem, or undefined.
 */
export function writeMemo(
  file: string,
  key: string,
  engine: Engine,
  maxSteps = MAX_MEMO_STEPS,
): string | undefined {
  const memo = engine.finishedMemo;
  if (!memo) return undefined;
  if (chainSteps(memo) > maxSteps) {
    try {
      fs.rmSync(file, { force: true }); // an older, smaller memo would only be read to be found stale
    } catch {
      // a folder in its place, or no permission: reading it reports that
    }
    return undefined;
  }
  const files: StoredFile[] = [];
  const where = new Map<FunctionIR, [number, number]>();
  for (const facts of engine.index.allFiles()) {
    const contentKey = engine.contentKeyOf(facts);
    if (!contentKey) continue;
    facts.functions.forEach((fn, k) => where.set(fn, [files.length, k]));
    files.push({ path: facts.path, key: contentKey, functions: facts.functions.map((f) => f.name) });
  }
  const idOf = new Map<FunctionMemo, string>();
  for (const [id, m] of memo.byId) idOf.set(m, id);
  const entries: StoredEntry[] = [];
  for (const [fn, m] of memo.functions) {
    const at = where.get(fn);
    const id = idOf.get(m);
    if (!at || !id) continue;
    changeKeyOf(m); // stored with its change key, which the next run compares
    entries.push({ id, file: at[0], fn: at[1], memo: m });
  }
  const stored: StoredMemo = { typeKey: memo.typeKey, files, entries, cycles: memo.cycles };
  let body: Buffer;
  try {
    body = v8.serialize(stored);
  } catch (e) {
    return `cannot store the analysis memo: ${e instanceof Error ? e.message : String(e)}`;
  }
  return writeEntry(file, MAGIC, key, body);
}

/**
 * Reads the stored memo and gives it to `engine` for its next analysis. `adopted`: functions
 * whose memo applies as it is (their file is unchanged).
 */
export function readMemo(file: string, key: string, engine: Engine): { adopted: number; problem?: string } {
  const read = readEntry(file, MAGIC, key, MAX_MEMO_BYTES);
  const damaged = { adopted: 0, problem: `damaged analysis memo ${file} ignored and rebuilt` };
  if (read.damaged) return damaged;
  if (!read.payload) return { adopted: 0, problem: read.problem };
  let value: unknown;
  try {
    value = v8.deserialize(read.payload);
  } catch {
    return damaged;
  }
  if (!isStoredMemo(value)) return damaged;
  const current = value.files.map((f) => {
    const facts = engine.index.get(f.path);
    const same =
      facts &&
      engine.contentKeyOf(facts) === f.key &&
      facts.functions.length === f.functions.length &&
      facts.functions.every((fn, k) => fn.name === f.functions[k]);
    return same ? facts.functions : undefined;
  });
  const memo: AnalysisMemo = {
    typeKey: value.typeKey,
    functions: new Map(),
    functionShapes: new WeakMap(),
    registrationKey: '',
    callees: new WeakMap(),
    byId: new Map(),
    components: { ids: [], calleeKeys: [], sccs: [] },
    cycles: value.cycles,
  };
  for (const e of value.entries) {
    memo.byId.set(e.id, e.memo);
    const fn = current[e.file]?.[e.fn];
    if (fn) memo.functions.set(fn, e.memo);
  }
  return { adopted: engine.adoptMemo(memo) ? memo.functions.size : 0 };
}

function chainSteps(memo: AnalysisMemo): number {
  let n = 0;
  for (const { summary: s } of memo.functions.values()) {
    for (const list of [s.acquires, s.releases, s.inside, s.reclaimIfParam, s.flushes, s.irqsOn])
      for (const x of list) n += x.chain.length;
    for (const chain of Object.values(s.effects)) n += chain?.length ?? 0;
  }
  return n;
}

function isStoredMemo(v: unknown): v is StoredMemo {
  if (!isObj(v) || !arrayOf(v.typeKey, isStr)) return false;
  const files = v.files;
  if (!all(files, (f) => isStr(f.path) && isStr(f.key) && arrayOf(f.functions, isStr))) return false;
  const count = (files as StoredFile[]).map((f) => f.functions.length);
  const shapes = new MemoShapes();
  const isMemo = (m: unknown) =>
    isObj(m) &&
    shapes.summary(m.summary) &&
    isStr(m.key) &&
    isStr(m.calleeKey) &&
    isStr(m.contextKey) &&
    arrayOf(m.findings, isFinding) &&
    all(m.edges, (e) => shapes.edge(e)) &&
    all(m.acquisitions, (a) => shapes.lockInfo(a));
  return (
    all(
      v.entries,
      (e) =>
        isStr(e.id) &&
        isNum(e.file) &&
        isNum(e.fn) &&
        e.fn >= 0 &&
        e.fn < (count[e.file] ?? 0) &&
        isMemo(e.memo),
    ) &&
    (v.cycles === undefined ||
      (isObj(v.cycles) &&
        isStr(v.cycles.shape) &&
        arrayOf(v.cycles.classes, (c): c is string[] => arrayOf(c, isStr))))
  );
}
