/**
 * Quick fixes for Lockscope diagnostics: exact text edits, offered only when their preconditions
 * hold (see each fix's module), so applying one never leaves code that does not build.
 *
 * API (pure; the language server turns the results into LSP code actions):
 *
 *   fixesFor(diagnostic, text, syntax, kb?) -> Fix[]
 *   fixAll(diagnostics, text, syntax, kb?) -> TextEdit[]   // safe fixes only, non-overlapping
 *
 * `text` is the text of the diagnostic's file. `syntax` is either a `CParser` (the text is then
 * masked and parsed here, once per call: `await CParser.create()` once and reuse it) or a tree of
 * that text as the engine parses it (`Engine.setFile(...).tree`, i.e. of `maskAnnotations(text)`;
 * the caller keeps ownership). `kb` should be the engine's knowledge (`engine.knowledge`) so
 * user-defined lock functions count; it defaults to the built-in kernel table.
 */
import type { Diagnostic } from '../engine/engine';
import { Knowledge } from '../kb/knowledge';
import { CParser, type Tree } from '../parsing/parser';
import { maskAnnotations } from '../parsing/preprocess';
import { copyAfterUnlockFix } from './copy-after-unlock';
import { gfpFixes } from './gfp';
import { irqDisableFix } from './irq-disable';
import { preallocateFix } from './preallocate';
import { suppressFix } from './suppress';
import { callAt } from './syntax';
import { LineIndex, overlaps, type TextEdit } from './text';
import type { Fix, FixContext } from './types';

export type { Fix, TextEdit };
export { applyEdits } from './text';

export type SyntaxSource = CParser | Tree;

let defaultKnowledge: Knowledge | undefined;

function withTree<T>(text: string, syntax: SyntaxSource, kb: Knowledge, use: (tree: Tree) => T): T {
  if (!(syntax instanceof CParser)) return use(syntax);
  const tree = syntax.parse(maskAnnotations(text, kb.table.annotationMacros).text);
  try {
    return use(tree);
  } finally {
    tree.delete();
  }
}

/** The rule-specific fix (from the rule's hint), then the suppression that every diagnostic has. */
function fixesIn(tree: Tree, lines: LineIndex, diag: Diagnostic, kb: Knowledge): Fix[] {
  const ctx: FixContext = {
    diag,
    lines,
    root: tree.rootNode,
    kb,
    call: callAt(tree.rootNode, lines, diag.range),
  };
  const out: Fix[] = [];
  const hint = diag.fix;
  if (hint?.kind === 'gfp-atomic' && diag.rule === 'sleep-in-atomic')
    out.push(...gfpFixes(ctx, hint.argText));
  if (hint?.kind === 'preallocate') out.push(...optional(preallocateFix(ctx, hint.lockExprs)));
  if (hint?.kind === 'irq-disable' && diag.rule === 'irq-inversion')
    out.push(...optional(irqDisableFix(ctx, hint.irq)));
  if (hint?.kind === 'copy-after-unlock' && diag.rule === 'fault-under-lock') {
    out.push(...optional(copyAfterUnlockFix(ctx, hint.lockExpr)));
  }
  out.push(...optional(suppressFix(ctx)));
  return out;
}

function optional<T>(x: T | undefined): T[] {
  return x === undefined ? [] : [x];
}

export function fixesFor(diagnostic: Diagnostic, text: string, syntax: SyntaxSource, kb?: Knowledge): Fix[] {
  const k = kb ?? (defaultKnowledge ??= Knowledge.withExtensions());
  return withTree(text, syntax, k, (tree) => fixesIn(tree, new LineIndex(text), diagnostic, k));
}

/**
 * The edits of every safe fix for these diagnostics (all of one file), in text order. A fix that
 * would overlap one already taken is left out whole: half a fix is worse than none. Identical
 * edits (two diagnostics on one call) are taken once.
 */
export function fixAll(
  diagnostics: readonly Diagnostic[],
  text: string,
  syntax: SyntaxSource,
  kb?: Knowledge,
): TextEdit[] {
  const k = kb ?? (defaultKnowledge ??= Knowledge.withExtensions());
  const lines = new LineIndex(text);
  const fixes = withTree(text, syntax, k, (tree) => diagnostics.flatMap((d) => fixesIn(tree, lines, d, k)));
  const taken: TextEdit[] = [];
  const key = (e: TextEdit) => JSON.stringify(e);
  for (const fix of fixes.filter((f) => f.safe)) {
    const fresh = fix.edits.filter((e) => !taken.some((t) => key(t) === key(e)));
    if (fresh.some((e) => taken.some((t) => overlaps(t, e)))) continue;
    taken.push(...fresh);
  }
  return taken.sort((a, b) => a.range.line - b.range.line || a.range.col - b.range.col);
}
