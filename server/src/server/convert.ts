/**
 * Engine findings -> LSP diagnostics. Paths are absolute file paths inside the engine and
 * file URIs on the wire.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Diagnostic as LspDiagnostic,
  DiagnosticSeverity,
  type DiagnosticRelatedInformation,
  type Range as LspRange,
} from 'vscode-languageserver/node';
import type { Range } from '../analysis/ir';
import type { Diagnostic } from '../engine/engine';
import type { Severity } from '../rules/rule';
import { findUp } from '../util/find-up';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspRange(r: Range): LspRange {
  return { start: { line: r.line, character: r.col }, end: { line: r.endLine, character: r.endCol } };
}

export function fileUri(file: string): string {
  return pathToFileURL(file).toString();
}

/** Where the rule pages live: next to the installed extension (or the repo checkout). */
export function ruleDocUri(rule: string): string {
  const dir = findUp(__dirname, path.join('docs', 'rules')) ?? path.resolve(__dirname, '..', 'docs', 'rules');
  return pathToFileURL(path.join(dir, `${rule}.md`)).toString();
}

/**
 * With `relatedInformation` the chain is clickable; clients without it (clangd's approach)
 * get the chain folded into the message.
 */
export function toLspDiagnostic(
  d: Diagnostic,
  relatedSupport: boolean,
  docUri: (rule: string) => string,
): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] = d.related.map((r) => ({
    location: { uri: fileUri(r.file), range: toLspRange(r.range) },
    message: r.message,
  }));
  const folded = relatedSupport
    ? d.message
    : [d.message, ...d.related.map((r) => `${path.basename(r.file)}:${r.range.line + 1}: ${r.message}`)].join(
        '\n',
      );
  return {
    range: toLspRange(d.range),
    severity: SEVERITY[d.severity],
    source: 'lockscope',
    code: d.rule,
    codeDescription: { href: docUri(d.rule) },
    message: folded,
    relatedInformation: relatedSupport && related.length ? related : undefined,
    // The fingerprint lets a client match findings across edits and with a CI baseline.
    data: { rule: d.rule, fix: d.fix, fingerprint: d.fingerprint },
  };
}
