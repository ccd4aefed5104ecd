/**
 * Code actions: the quick fixes of the findings under the cursor, and source.fixAll.lockscope
 * (every safe, mechanical fix in the file). The fixes themselves live in fixes/.
 */
import { type CodeAction, CodeActionKind, type CodeActionParams } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../engine/engine';
import { fixAll, fixesFor, type SyntaxSource, type TextEdit } from '../fixes/index';
import type { Knowledge } from '../kb/knowledge';
import { toLspRange } from './convert';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.lockscope`;

export function codeActionsFor(
  doc: TextDocument,
  file: string,
  params: CodeActionParams,
  all: Diagnostic[],
  syntax: SyntaxSource,
  kb: Knowledge,
): CodeAction[] {
  const inFile = all.filter((d) => d.file === file);
  const text = doc.getText();
  const only = params.context.only;
  const wantsFixAll = only?.some((k) => FIX_ALL_KIND === k || FIX_ALL_KIND.startsWith(`${k}.`));
  if (wantsFixAll) {
    const edits = fixAll(inFile, text, syntax, kb);
    return edits.length
      ? [{ title: 'Lockscope: fix all safe findings', kind: FIX_ALL_KIND, edit: workspaceEdit(doc, edits) }]
      : [];
  }
  if (only && !only.some((k) => CodeActionKind.QuickFix.startsWith(k))) return [];
  const actions: CodeAction[] = [];
  for (const d of inFile) {
    if (d.range.line > params.range.end.line || d.range.endLine < params.range.start.line) continue;
    for (const fix of fixesFor(d, text, syntax, kb)) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        isPreferred: fix.isPreferred,
        diagnostics: [
          {
            range: toLspRange(d.range),
            message: d.message.split('\n')[0],
            code: d.rule,
            source: 'lockscope',
          },
        ],
        edit: workspaceEdit(doc, fix.edits),
      });
    }
  }
  return actions;
}

function workspaceEdit(doc: TextDocument, edits: TextEdit[]): CodeAction['edit'] {
  return { changes: { [doc.uri]: edits.map((e) => ({ range: toLspRange(e.range), newText: e.newText })) } };
}
