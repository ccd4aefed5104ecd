/**
 * The workspace lock report in a webview: the server renders it (same HTML as
 * `lockscope scan --format html`); clicks on a node, edge or finding open the witness here.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

interface OpenMessage {
  command: 'open';
  file: string;
  line: number;
  col: number;
}

let panel: vscode.WebviewPanel | undefined;

export async function openReport(context: vscode.ExtensionContext, client: LanguageClient): Promise<void> {
  const result = await client.sendRequest<{ html: string } | null>('lockscope/reportHtml');
  if (!result) {
    void vscode.window.showInformationMessage('Lockscope: no analysis yet.');
    return;
  }
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      'lockscope.report',
      'Lockscope: lock report',
      vscode.ViewColumn.Beside,
      {
        enableScripts: true,
        retainContextWhenHidden: true,
      },
    );
    panel.onDidDispose(() => (panel = undefined), undefined, context.subscriptions);
    panel.webview.onDidReceiveMessage(openWitness, undefined, context.subscriptions);
  }
  panel.webview.html = withBridge(result.html);
  panel.reveal();
}

/** Gives the report's scripts a way to ask the editor to open a location. */
function withBridge(html: string): string {
  const bridge =
    '<script>const vscodeApi = acquireVsCodeApi();' +
    "window.lockscopeOpen = (file, line, col) => vscodeApi.postMessage({ command: 'open', file, line, col });</script>";
  return html.includes('<head>') ? html.replace('<head>', `<head>${bridge}`) : bridge + html;
}

async function openWitness(msg: OpenMessage): Promise<void> {
  if (msg?.command !== 'open' || typeof msg.file !== 'string') return;
  const uri = vscode.Uri.file(msg.file);
  const pos = new vscode.Position(Math.max(0, msg.line - 1), Math.max(0, msg.col - 1));
  // Beside the report, never over it: the reader goes back to it for the next edge.
  const column = panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), viewColumn: column });
}
