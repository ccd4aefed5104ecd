/**
 * Calls the analysis knows nothing about: a function with no body in the workspace and no entry
 * in the knowledge table is assumed to neither lock nor sleep. Hovers say so, with the chain of
 * calls that reaches one.
 */
import type { Knowledge } from '../kb/knowledge';
import type { FunctionRef, WorkspaceIndex } from '../workspace/index';
import type { ChainStep } from './model';

const MAX_FUNCTIONS = 256;
/** `WARN_ON`, `GEM_BUG_ON`: upper-case names are macros, not functions a chain ends in. */
export const MACRO_NAME_RE = /^[A-Z][A-Z0-9_]*$/;

/** Whether a direct call's callee is unknown: neither defined in the workspace nor in the table. */
export function isUnknownCallee(name: string, file: string, index: WorkspaceIndex, kb: Knowledge): boolean {
  return !MACRO_NAME_RE.test(name) && kb.fact(name) === undefined && !index.resolveFunction(name, file);
}

/**
 * The shortest chain of direct calls from `start` down to an unknown function (breadth first,
 * over at most MAX_FUNCTIONS workspace functions); calls through pointers are not followed.
 */
export function unknownCallChain(
  start: FunctionRef,
  index: WorkspaceIndex,
  kb: Knowledge,
): ChainStep[] | undefined {
  const seen = new Set([start.fn]);
  let frontier: { ref: FunctionRef; chain: ChainStep[] }[] = [{ ref: start, chain: [] }];
  while (frontier.length && seen.size < MAX_FUNCTIONS) {
    const next: typeof frontier = [];
    for (const { ref, chain } of frontier)
      for (const block of ref.fn.blocks)
        for (const event of block.events) {
          if (
            event.kind !== 'call' ||
            !event.callee ||
            MACRO_NAME_RE.test(event.callee) ||
            kb.fact(event.callee)
          )
            continue;
          const step = { fn: ref.fn.name, file: ref.file, range: event.range, callee: event.callee };
          const def = index.resolveFunction(event.callee, ref.file);
          if (!def) return [...chain, step];
          if (seen.has(def.fn)) continue;
          seen.add(def.fn);
          next.push({ ref: def, chain: [...chain, step] });
        }
    frontier = next;
  }
  return undefined;
}
