/**
 * The Lockscope language server: any LSP client (VS Code, Neovim, Emacs, Helix) starts it with
 * `lockscope lsp` on stdio. A thin front end over the engine: documents in, diagnostics, hovers
 * and code actions out. It must never crash on input: every handler is guarded and logs.
 */
import {
  CodeActionKind,
  type Connection,
  createConnection,
  type InitializeParams,
  type InitializeResult,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { FIX_ALL_KIND } from './actions';
import { Session } from './session';
import { VERSION } from '../version';

export function startServer(): Connection {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const documents = new TextDocuments(TextDocument);
  let session: Session | undefined;

  const guard =
    <A extends unknown[], R>(name: string, fallback: R, fn: (...args: A) => R | Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (e) {
        connection.console.error(
          `lockscope: ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        return fallback;
      }
    };

  process.on('unhandledRejection', (e) =>
    connection.console.error(`lockscope: unhandled rejection: ${String(e)}`),
  );
  process.on('uncaughtException', (e) =>
    connection.console.error(`lockscope: uncaught exception: ${e.stack ?? e.message}`),
  );

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    session = new Session(connection, documents, params);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        executeCommandProvider: { commands: ['lockscope.reindex'] },
        workspace: { workspaceFolders: { supported: true } },
      },
      serverInfo: { name: 'lockscope', version: VERSION },
    };
  });
  connection.onInitialized(guard('initialized', undefined, () => session?.initialized()));
  connection.onDidChangeConfiguration(guard('configuration', undefined, () => session?.reloadSettings()));
  // Only the baseline file is watched (registered by the session).
  connection.onDidChangeWatchedFiles(guard('watched files', undefined, () => session?.baselineFileChanged()));
  documents.onDidOpen(guard('open', undefined, (e) => session?.documentChanged(e.document, true)));
  documents.onDidChangeContent(
    guard('change', undefined, (e) => session?.documentChanged(e.document, false)),
  );
  documents.onDidClose(guard('close', undefined, (e) => session?.documentClosed(e.document)));
  connection.onHover(guard('hover', null, (p) => session?.hover(p) ?? null));
  connection.onCodeAction(guard('codeAction', [], (p) => session?.codeActions(p) ?? []));
  connection.onExecuteCommand(guard('command', undefined, (p) => session?.executeCommand(p)));
  connection.onRequest(
    'lockscope/reportHtml',
    guard('reportHtml', null, () => session?.reportHtml() ?? null),
  );
  connection.onRequest(
    'lockscope/explain',
    guard('explain', null, (p: { text: string }) => session?.explain(p.text) ?? null),
  );
  connection.onShutdown(() => session?.dispose());
  documents.listen(connection);
  connection.listen();
  return connection;
}
