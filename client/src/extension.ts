/**
 * The VS Code client: starts the Lockscope language server (the same `lockscope lsp` every
 * editor uses), shows its state in a language-status item and an output channel, restarts it
 * a bounded number of times if it dies, and hosts the report and lockdep-explain commands.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  type CloseHandlerResult,
  ErrorAction,
  type ErrorHandler,
  type ErrorHandlerResult,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { serverFlagsHere } from '../../server/src/cli/heap-flags';
import { openReport } from './report';

const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

interface StatusParams {
  state: 'indexing' | 'analysing' | 'ready' | 'error';
  files: number;
  lastAnalysisMs?: number;
  message?: string;
  config?: string;
}

let client: LanguageClient | undefined;

/** Restarts a crashed server at most MAX_RESTARTS times in RESTART_WINDOW_MS, and says so. */
class BoundedRestart implements ErrorHandler {
  private restarts: number[] = [];
  constructor(private readonly output: vscode.LogOutputChannel) {}

  error(): ErrorHandlerResult {
    return { action: ErrorAction.Continue };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      const message = `Lockscope server stopped ${MAX_RESTARTS + 1} times in 3 minutes; not restarting. See the Lockscope output.`;
      void vscode.window.showErrorMessage(message);
      return { action: CloseAction.DoNotRestart, message };
    }
    this.restarts.push(now);
    this.output.appendLine(`Lockscope server stopped; restarting (${this.restarts.length}/${MAX_RESTARTS}).`);
    return { action: CloseAction.Restart, handled: true };
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<{ client: LanguageClient }> {
  const output = vscode.window.createOutputChannel('Lockscope', { log: true });
  const module = context.asAbsolutePath('dist/lockscope.js');
  // An old generation sized for the machine: with Node's 4 GB the index of a whole-kernel
  // workspace stops part way.
  const options = { execArgv: serverFlagsHere() };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, args: ['lsp'], options },
    debug: { module, transport: TransportKind.stdio, args: ['lsp'], options },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
    ],
    synchronize: { configurationSection: 'lockscope' },
    outputChannel: output,
    errorHandler: new BoundedRestart(output),
    initializationOptions: { storagePath: context.storageUri?.fsPath },
  };
  client = new LanguageClient('lockscope', 'Lockscope', serverOptions, clientOptions);

  const status = vscode.languages.createLanguageStatusItem('lockscope.status', [
    { language: 'c' },
    { language: 'cpp' },
  ]);
  status.name = 'Lockscope';
  status.text = 'Lockscope: starting';
  status.command = { title: 'Show lock report', command: 'lockscope.showReport' };
  // The configuration files are read under: "Kconfig: .config, ..." or "default: debug options off".
  const configStatus = vscode.languages.createLanguageStatusItem('lockscope.configuration', [
    { language: 'c' },
    { language: 'cpp' },
  ]);
  configStatus.name = 'Lockscope configuration';
  configStatus.text = 'Configuration: …';
  configStatus.command = { title: 'Show symbols', command: 'lockscope.showConfiguration' };
  context.subscriptions.push(status, configStatus, output);

  context.subscriptions.push(
    vscode.commands.registerCommand('lockscope.showReport', () => client && openReport(context, client)),
    vscode.commands.registerCommand('lockscope.explainLockdep', () => client && explainLockdep(client)),
    vscode.commands.registerCommand('lockscope.showConfiguration', () => client && showConfiguration(client)),
    vscode.commands.registerCommand('lockscope.restart', async () => {
      await client?.restart();
    }),
  );

  await client.start();
  client.onNotification('lockscope/status', (p: StatusParams) => {
    status.busy = p.state === 'indexing' || p.state === 'analysing';
    status.severity =
      p.state === 'error' ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    const last = p.lastAnalysisMs !== undefined ? `, last analysis ${p.lastAnalysisMs} ms` : '';
    status.text = `Lockscope: ${p.state}`;
    status.detail = `${p.files} files indexed${last}${p.message ? ` — ${p.message}` : ''}`;
    if (p.config) configStatus.text = `Configuration: ${p.config}`;
    output.appendLine(`[${new Date().toLocaleTimeString()}] ${p.state}: ${p.files} files${last}`);
  });
  context.subscriptions.push({ dispose: () => void client?.stop() });
  return { client };
}

/** Which symbols the configuration took as on, off or unknown (for the active file, else the workspace). */
async function showConfiguration(lc: LanguageClient): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const uri =
    editor && ['c', 'cpp'].includes(editor.document.languageId) ? editor.document.uri.toString() : undefined;
  const result = await lc.sendRequest<{ text: string } | null>('lockscope/configuration', { uri });
  const doc = await vscode.workspace.openTextDocument({
    content: result?.text ?? 'Lockscope has not indexed the workspace yet.',
    language: 'plaintext',
  });
  await vscode.window.showTextDocument(doc, { preview: false });
}

/** Explains a lockdep report from the clipboard or a file, in a new editor with links. */
async function explainLockdep(lc: LanguageClient): Promise<void> {
  const pick = await vscode.window.showQuickPick(['From clipboard', 'From file…'], {
    title: 'Explain lockdep report',
  });
  if (!pick) return;
  let text: string;
  if (pick === 'From clipboard') text = await vscode.env.clipboard.readText();
  else {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: false,
      title: 'Lockdep report (dmesg)',
    });
    if (!uris?.[0]) return;
    text = Buffer.from(await vscode.workspace.fs.readFile(uris[0])).toString('utf8');
  }
  const result = await lc.sendRequest<{ text: string } | null>('lockscope/explain', { text });
  const doc = await vscode.workspace.openTextDocument({
    content: result?.text ?? 'No lockdep report found.',
    language: 'log',
  });
  await vscode.window.showTextDocument(doc, { preview: false });
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
