/**
 * Files the configuration does not compile, whose functions leave the index:
 * - C files the build leaves out (a Makefile whose object lists do not name them);
 * - files that are `#include`d by others (i915's `selftests/*.c`, included under
 *   `#if IS_ENABLED(CONFIG_DRM_I915_SELFTEST)`; a vendor driver's `osdep_service_bsd.h`,
 *   included under `#ifdef PLATFORM_FREEBSD`) when every line that includes one is turned off
 *   or sits in a file that is itself compiled out. A file some compiled line includes is
 *   compiled, whatever the Makefile says; a header nothing includes stays.
 */
import * as path from 'node:path';
import type { Include } from '../analysis/ir';

export interface IndexedSource {
  abs: string;
  /** Its include lines (FileFacts.includes); undefined when the file was not read. */
  includes: readonly Include[] | undefined;
}

/** The absolute paths of the files compiled out (see the module comment). */
export function compiledOutSources(
  sources: readonly IndexedSource[],
  leftOutByBuild: (abs: string) => boolean = () => false,
): Set<string> {
  const byName = new Map<string, string[]>();
  for (const s of sources) {
    const name = path.basename(s.abs);
    const list = byName.get(name);
    if (list) list.push(s.abs);
    else byName.set(name, [s.abs]);
  }
  /** Included file -> the files including it, and whether each include line is compiled. */
  const includedBy = new Map<string, { from: string; live: boolean }[]>();
  for (const s of sources) {
    for (const inc of s.includes ?? []) {
      const target = resolveInclude(s.abs, inc, byName);
      if (!target || target === s.abs) continue;
      const list = includedBy.get(target) ?? [];
      list.push({ from: s.abs, live: inc.live });
      includedBy.set(target, list);
    }
  }
  const out = new Set<string>();
  for (const s of sources) if (!includedBy.has(s.abs) && leftOutByBuild(s.abs)) out.add(s.abs);
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

/**
 * The workspace file an include names: `"x"` next to the including file first; else the one
 * file whose path ends so (an include path the workspace does not say).
 */
function resolveInclude(
  from: string,
  inc: Include,
  byName: ReadonlyMap<string, string[]>,
): string | undefined {
  const candidates = byName.get(path.basename(inc.file));
  if (!candidates) return undefined;
  if (!inc.angle) {
    const beside = path.resolve(path.dirname(from), inc.file);
    if (candidates.includes(beside)) return beside;
  }
  const suffix = path.sep + path.normalize(inc.file);
  const matches = candidates.filter((c) => c.endsWith(suffix));
  return matches.length === 1 ? matches[0] : undefined;
}
