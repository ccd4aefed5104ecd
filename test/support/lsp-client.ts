/**
 * A minimal LSP client over stdio for tests: spawns `lockscope lsp`, answers the server's
 * requests (configuration, progress creation) and collects its notifications.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';

export const REPO = path.resolve(__dirname, '../../..');

export interface Published {
  uri: string;
  version?: number;
  diagnostics: {
    range: { start: { line: number } };
    code?: string | number;
    message: string;
    relatedInformation?: unknown[];
    codeDescription?: { href: string };
    data?: { rule?: string; fingerprint?: string };
  }[];
}

export interface Registration {
  id: string;
  method: string;
  registerOptions?: { watchers?: { globPattern: string }[] };
}

export class TestLspClient {
  readonly published: Published[] = [];
  readonly progress: { token: unknown; value: { kind: string; percentage?: number } }[] = [];
  readonly status: { state: string; files: number }[] = [];
  readonly logs: string[] = [];
  readonly registrations: Registration[] = [];
  private readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  stderr = '';

  /** What the client answers `workspace/configuration` with (change it, then notify). */
  constructor(public settings: unknown = {}) {
    this.proc = spawn(process.execPath, [path.join(REPO, 'bin', 'lockscope'), 'lsp'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr!.on('data', (d) => (this.stderr += String(d)));
    this.conn = createMessageConnection(
      new StreamMessageReader(this.proc.stdout!),
      new StreamMessageWriter(this.proc.stdin!),
    );
    this.conn.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.push(p);
    });
    this.conn.onNotification(
      '$/progress',
      (p: { token: unknown; value: { kind: string; percentage?: number } }) => {
        this.progress.push(p);
      },
    );
    this.conn.onNotification('lockscope/status', (p: { state: string; files: number }) => {
      this.status.push(p);
    });
    this.conn.onRequest('workspace/configuration', (p: { items: unknown[] }) =>
      p.items.map(() => this.settings),
    );
    this.conn.onRequest('window/workDoneProgress/create', () => null);
    this.conn.onRequest('client/registerCapability', (p: { registrations: Registration[] }) => {
      this.registrations.push(...p.registrations);
      return null;
    });
    this.conn.onRequest('client/unregisterCapability', () => null);
    this.conn.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.conn.listen();
  }

  async initialize(
    rootUri: string | null,
    relatedInformation = true,
    initializationOptions?: unknown,
  ): Promise<unknown> {
    const result = await this.conn.sendRequest('initialize', {
      processId: process.pid,
      initializationOptions,
      rootUri,
      workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
      capabilities: {
        textDocument: { publishDiagnostics: { relatedInformation }, hover: { contentFormat: ['markdown'] } },
        window: { workDoneProgress: true },
        workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } },
      },
    });
    await this.conn.sendNotification('initialized', {});
    return result;
  }

  /** Resolves once the server reports an analysis finished (or rejects after `ms`). */
  async waitReady(ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.status.some((s) => s.state === 'ready')) {
      if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(this.status)}; ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves with the first publication for `uri` matching `pred` (or rejects after `ms`). */
  waitFor(uri: string, pred: (p: Published) => boolean, ms = 20_000): Promise<Published> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        const hit = this.published.find((p) => p.uri === uri && pred(p));
        if (hit) return resolve(hit);
        if (Date.now() - started > ms)
          return reject(new Error(`no matching diagnostics for ${uri}; stderr: ${this.stderr}`));
        setTimeout(tick, 20);
      };
      tick();
    });
  }

  async close(): Promise<void> {
    try {
      await this.conn.sendRequest('shutdown');
      await this.conn.sendNotification('exit');
    } finally {
      this.conn.dispose();
      this.proc.kill();
    }
  }
}
