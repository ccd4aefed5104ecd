/**
 * The shapes quick fixes are made of. Plain data with 0-based ranges; the language server turns
 * them into LSP code actions.
 */
import type { Diagnostic } from '../engine/engine';
import type { Knowledge } from '../kb/knowledge';
import type { SyntaxNode } from '../parsing/parser';
import type { RuleId } from '../rules/rule';
import type { LineIndex, TextEdit } from './text';

export type { TextEdit };

export interface Fix {
  title: string;
  kind: 'quickfix';
  isPreferred?: boolean;
  /** Mechanical and behaviour-preserving enough for `source.fixAll.lockscope`. */
  safe: boolean;
  edits: TextEdit[];
  rule: RuleId;
}

/** What every fix builder gets: the diagnostic, the file's text and tree, the kernel API facts. */
export interface FixContext {
  diag: Diagnostic;
  lines: LineIndex;
  root: SyntaxNode;
  kb: Knowledge;
  /** The call the diagnostic points at, when it points at one exactly. */
  call?: SyntaxNode;
}
