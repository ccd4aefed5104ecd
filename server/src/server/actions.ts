/**
 * Code actions: the quick fixes of the findings under the cursor (or, for
 * source.fixAll.lockscope, every safe fix in the file).
 */
import {
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type TextEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../engine/engine';
import { toLspRange } from './convert';

const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.lockscope`;

export function codeActionsFor(
  doc: TextDocument,
  file: string,
  params: CodeActionParams,
  all: Diagnostic[],
): CodeAction[] {
  const inFile = all.filter((d) => d.file === file);
  const only = params.context.only;
  if (only?.some((k) => FIX_ALL_KIND.startsWith(k) && k !== CodeActionKind.QuickFix)) return [];
  const line = params.range.start.line;
  const actions: CodeAction[] = [];
  for (const d of inFile) {
    if (d.range.line > params.range.end.line || d.range.endLine < line) continue;
    actions.push(suppressAction(doc, d));
  }
  return actions;
}

function suppressAction(doc: TextDocument, d: Diagnostic): CodeAction {
  const lineText = doc.getText({
    start: { line: d.range.line, character: 0 },
    end: { line: d.range.line + 1, character: 0 },
  });
  const indent = /^\s*/.exec(lineText)?.[0] ?? '';
  const edit: TextEdit = {
    range: { start: { line: d.range.line, character: 0 }, end: { line: d.range.line, character: 0 } },
    newText: `${indent}/* lockscope-ignore: ${d.rule} TODO: why this is safe */\n`,
  };
  return {
    title: `Suppress ${d.rule} on this line`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [
      { range: toLspRange(d.range), message: d.message.split('\n')[0], code: d.rule, source: 'lockscope' },
    ],
    edit: { changes: { [doc.uri]: [edit] } },
  };
}
