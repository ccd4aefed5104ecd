/**
 * C files that are not compilation units of their own but are `#include`d by others (i915's
 * `selftests/*.c`, included under `#if IS_ENABLED(CONFIG_DRM_I915_SELFTEST)`): when every line
 * that includes one is turned off by the configuration, or sits in a file that is itself
 * compiled out, the file is not compiled and its functions leave the index.
 */
import * as path from 'node:path';
import type { FileFacts } from '../analysis/ir';

export interface IndexedSource {
  abs: string;
  facts: FileFacts | undefined;
}

/** The absolute paths of the files compiled out (see the module comment). */
export function compiledOutSources(sources: readonly IndexedSource[]): Set<string> {
  const known = new Set(sources.map((s) => s.abs));
  /** Included file -> the files including it, and whether each include line is compiled. */
  const includedBy = new Map<string, { from: string; live: boolean }[]>();
  for (const s of sources) {
    for (const inc of s.facts?.sourceIncludes ?? []) {
      const target = resolveInclude(s.abs, inc.file, known, sources);
      if (!target || target === s.abs) continue;
      const list = includedBy.get(target) ?? [];
      list.push({ from: s.abs, live: inc.live });
      includedBy.set(target, list);
    }
  }
  const out = new Set<string>();
  // A file included only from compiled-out files is compiled out too: repeat until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const [target, sites] of includedBy) {
      if (out.has(target)) continue;
      if (sites.every((site) => !site.live || out.has(site.from))) {
        out.add(target);
        changed = true;
      }
    }
  }
  return out;
}

/** `#include "x.c"` as the compiler finds it: next to the including file, else the one file ending so. */
function resolveInclude(
  from: string,
  file: string,
  known: ReadonlySet<string>,
  sources: readonly IndexedSource[],
): string | undefined {
  const beside = path.resolve(path.dirname(from), file);
  if (known.has(beside)) return beside;
  const suffix = path.sep + path.normalize(file);
  const matches = sources.filter((s) => s.abs.endsWith(suffix));
  return matches.length === 1 ? matches[0].abs : undefined;
}
