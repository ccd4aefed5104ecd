/**
 * The workspace's own headers as part of the configuration: what they `#define` and `#undef`
 * in the code the configuration keeps (a driver's config header defining PLATFORM_LINUX, its
 * feature switches), and the macros worth expanding at lowering. Each header is read as on its
 * first inclusion under the configuration found so far; a symbol defined differently by two
 * headers, or only under a condition left undecided, is unknown. Headers can depend on one
 * another (`#ifdef CONFIG_X` in one, `#define CONFIG_X` in another): those whose answers change
 * once the others are known are read again, a bounded number of times.
 */
import { preprocess, type Preprocessed } from './blank';
import { compiledOutSources } from './compiled-out';
import { answerCode, type SymbolLookup, type SymbolState } from './expr';
import {
  declaredFunctions,
  isAlias,
  isConstantSwitch,
  isExpandable,
  isGfpMask,
  type MacroDef,
} from './macros';

export interface HeaderScan {
  symbols: Map<string, SymbolState>;
  /** Workspace macros worth expanding (function-like with calls or control flow, gfp masks, constant switches); null: ambiguous. */
  macros: Map<string, MacroDef | null>;
  /** Every name some header `#define`s, in any arm: what the workspace can define at all. */
  definable: Set<string>;
  /** The functions the headers declare or define (in the code kept): the workspace's API. */
  functions: Set<string>;
  headers: number;
}

const ROUNDS = 3;

/**
 * Reads the headers (`read` gives a header's text, or undefined when it cannot be read) under
 * `configWith(table)`: the configuration with `table` as the headers' symbols so far, which
 * gives each header's lookup.
 */
export function scanHeaders(
  headers: readonly string[],
  read: (file: string) => string | undefined,
  configWith: (table: ReadonlyMap<string, SymbolState>) => (file: string) => SymbolLookup,
): HeaderScan {
  const definable = new Set<string>();
  const results = new Map<string, Preprocessed>();
  let table = new Map<string, SymbolState>();
  let pending = [...headers];
  for (let round = 0; round < ROUNDS && pending.length; round++) {
    const lookupFor = configWith(table);
    for (const file of pending) {
      const text = read(file);
      if (text === undefined) continue;
      const r = preprocess(text, lookupFor(file));
      if (round === 0) for (const name of r.definable) definable.add(name);
      results.set(file, r);
    }
    table = merge(usedHeaders(results));
    // Read again the headers that asked about a symbol whose answer the headers changed.
    const current = table;
    pending = [...results]
      .filter(([, r]) => [...r.deps].some(([name, code]) => changed(current, name, code)))
      .map(([f]) => f);
  }
  const used = usedHeaders(results);
  const functions = new Set<string>();
  for (const r of used) for (const name of declaredFunctions(r.text)) functions.add(name);
  return { symbols: table, macros: macrosOf(used), definable, functions, headers: used.length };
}

/**
 * The headers that count: not those the others include only from lines the configuration turns
 * off (another system's compatibility header says nothing about this build).
 */
function usedHeaders(results: ReadonlyMap<string, Preprocessed>): Preprocessed[] {
  const dead = compiledOutSources([...results].map(([abs, r]) => ({ abs, includes: r.includes })));
  return [...results].filter(([f]) => !dead.has(f)).map(([, r]) => r);
}

function changed(table: ReadonlyMap<string, SymbolState>, name: string, code: string): boolean {
  const now = table.get(name);
  return now !== undefined && answerCode(now) !== code;
}

/** The headers' symbols: each as every header that sets it agrees, else unknown. Guards are no configuration. */
function merge(results: Iterable<Preprocessed>): Map<string, SymbolState> {
  const out = new Map<string, SymbolState>();
  for (const r of results) {
    for (const [name, state] of r.defines) {
      if (name === r.guard) continue;
      const before = out.get(name);
      if (!before) out.set(name, state);
      else if (answerCode(before) !== answerCode(state)) out.set(name, { defined: undefined });
    }
  }
  return out;
}

function macrosOf(results: Iterable<Preprocessed>): Map<string, MacroDef | null> {
  const out = new Map<string, MacroDef | null>();
  for (const r of results) {
    for (const [name, def] of r.macros) {
      if (def && !isExpandable(def) && !isGfpMask(def) && !isConstantSwitch(def) && !isAlias(def)) continue;
      const before = out.get(name);
      if (before === undefined) out.set(name, def);
      else if (before && (!def || before.body !== def.body || before.params?.join() !== def.params?.join()))
        out.set(name, null);
    }
  }
  return out;
}
