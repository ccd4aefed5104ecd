/**
 * One language-server session: settings, the engine, open documents, background indexing
 * with progress, debounced re-analysis on edits, and publishing diagnostics to every open file
 * whose findings changed (a lock order depends on other files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CodeAction,
  type CodeActionParams,
  CodeActionKind,
  CodeActionTriggerKind,
  type Connection,
  DidChangeWatchedFilesNotification,
  type Disposable,
  type Diagnostic as LspDiagnostic,
  type ExecuteCommandParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type TextDocuments,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { parseSettings, type Settings, defaultSettings } from '../config/settings';
import { type AnalysisResult, type AnalysisRun, type Diagnostic, Engine } from '../engine/engine';
import { meetsConfidence } from '../rules/confidence';
import { workspaceCacheFile } from '../engine/cache';
import { memoKey, readMemo, writeMemo } from '../engine/memo-cache';
import { indexFiles } from '../engine/scan';
import { explainReport, formatExplain } from '../lockdep/explain';
import { analyzeWithLockdep } from '../lockdep/load';
import { CParser } from '../parsing/parser';
import { toHtml } from '../report/html';
import { discoverConfiguration } from '../preprocess/discover';
import { formatConfigSymbols } from '../report/config-symbols';
import type { ScanStats } from '../report/json';
import { findFiles, type FoundFile, readText } from '../workspace/files';
import { codeActionsFor } from './actions';
import { fileUri, ruleDocUri, toLspDiagnostic } from './convert';
import { EditorBaseline } from './baseline';
import { hoverAt } from './hover';

/** Edits closer together than this are analysed once (typing); analysis itself is incremental. */
const EDIT_DEBOUNCE_MS = 10;
/** Yield to the event loop every this many files so requests stay answered while indexing. */
const INDEX_BATCH = 20;
/**
 * Analysis runs in slices this long: between them the server reads its messages, and an edit
 * drops the run (a change to a function many others call can take seconds to propagate).
 */
const ANALYSIS_SLICE_MS = 25;

export interface StatusParams {
  state: 'indexing' | 'analysing' | 'ready' | 'error';
  files: number;
  lastAnalysisMs?: number;
  message?: string;
  /** The configuration files are read under, in a few words (preprocess/config describe()). */
  config?: string;
}

export class Session {
  private engine: Engine | undefined;
  private enginePromise: Promise<Engine> | undefined;
  private parser: CParser | undefined;
  private settings: Settings = defaultSettings();
  private baseline = new EditorBaseline('', [], () => undefined);
  private readonly relatedSupport: boolean;
  private readonly progressSupport: boolean;
  private readonly configSupport: boolean;
  private readonly watchSupport: boolean;
  /** The file watcher registered for the baseline setting's file (replaced when it changes). */
  private baselineWatch: Promise<Disposable> | undefined;
  private readonly folders: string[];
  /** The extension's workspace storage (VS Code): where the facts cache and the analysis memo live. */
  private readonly storagePath: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private indexing: Promise<void> | undefined;
  private indexGeneration = 0;
  private last: AnalysisResult | undefined;
  /** How long the last workspace indexing took (reading, parsing, lowering): the report's "parse". */
  private indexMs = 0;
  /** The analysis in progress, advanced one slice per turn of the event loop. */
  private running: AnalysisRun | undefined;
  /** The first analysis after indexing stores its memo (memo-cache.ts) for the next session. */
  private memoToStore = false;
  private readonly published = new Set<string>();
  /** Document version each open file's diagnostics were last published for. */
  private readonly publishedVersion = new Map<string, number>();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    params: InitializeParams,
  ) {
    const caps = params.capabilities;
    this.relatedSupport = !!caps.textDocument?.publishDiagnostics?.relatedInformation;
    this.progressSupport = !!caps.window?.workDoneProgress;
    this.configSupport = !!caps.workspace?.configuration;
    this.watchSupport = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    const options = params.initializationOptions as { storagePath?: unknown } | undefined;
    this.storagePath = typeof options?.storagePath === 'string' ? options.storagePath : undefined;
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    this.folders = folders.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
  }

  /** One engine per session, even when startup, settings and the first open race for it. */
  private getEngine(): Promise<Engine> {
    this.enginePromise ??= Engine.create(this.settings).then((e) => (this.engine = e));
    return this.enginePromise;
  }

  async initialized(): Promise<void> {
    await this.reloadSettings();
  }

  /**
   * Pulls `lockscope.*` settings; invalid values give one message and fall back to defaults,
   * old names a note in the output channel. Only a change that can change the findings indexes
   * again: a new baseline just filters the last result again.
   */
  async reloadSettings(): Promise<void> {
    let raw: unknown = {};
    if (this.configSupport) raw = await this.connection.workspace.getConfiguration('lockscope');
    const { settings, errors, notes } = parseSettings(raw);
    if (errors.length)
      void this.connection.window.showWarningMessage(`Lockscope settings: ${errors.join('; ')}`);
    for (const n of notes) this.connection.console.warn(`lockscope: ${n}`);
    const reindex = !this.indexing || analysisPart(settings) !== analysisPart(this.settings);
    this.settings = settings;
    this.baseline = new EditorBaseline(settings.baseline, this.folders, (m) => {
      this.connection.console.warn(m);
      void this.connection.window.showWarningMessage(m);
    });
    this.watchBaseline(settings.baseline);
    if (reindex) {
      (await this.getEngine()).configure(settings);
      this.startIndexing();
    } else if (this.last) this.publish(this.last);
  }

  /** Asks the client to say when the baseline file is written (a new `--write-baseline`). */
  private watchBaseline(setting: string): void {
    const previous = this.baselineWatch;
    this.baselineWatch = undefined;
    void previous?.then(
      (d) => d.dispose(),
      () => undefined, // never registered: nothing to undo
    );
    if (!setting || !this.watchSupport) return;
    const globPattern = path.isAbsolute(setting)
      ? setting
      : `**/${setting.replace(/\\/g, '/').replace(/^\.\//, '')}`;
    this.baselineWatch = this.connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: [{ globPattern }],
    });
    this.baselineWatch.catch((e) =>
      this.connection.console.warn(`lockscope: cannot watch ${setting}: ${String(e)}`),
    );
  }

  /** A watched file changed: the baseline is read again (if it changed) and the findings re-filtered. */
  baselineFileChanged(): void {
    if (this.last) this.publish(this.last);
  }

  private status(p: StatusParams): void {
    const config = this.engine?.configuration.describe();
    void this.connection.sendNotification('lockscope/status', config ? { ...p, config } : p);
  }

  private startIndexing(): void {
    const generation = ++this.indexGeneration;
    this.indexing = this.indexWorkspace(generation).catch((e) => {
      this.connection.console.error(
        `lockscope: indexing failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      this.status({ state: 'error', files: this.engine?.index.size ?? 0, message: String(e) });
    });
  }

  /** Indexes every workspace folder in the background, with a cancellable percentage. */
  private async indexWorkspace(generation: number): Promise<void> {
    const engine = await this.getEngine();
    const started = performance.now();
    const files = this.folders.flatMap((folder) => {
      const walk = findFiles([folder], folder, this.settings);
      for (const p of walk.problems) this.connection.console.warn(`lockscope: ${p.file}: ${p.message}`);
      if (walk.truncated)
        this.connection.console.warn(
          `lockscope: ${folder}: stopped after maxFiles=${this.settings.maxFiles}`,
        );
      return walk.files;
    });
    this.configure(engine, files);
    let progress: WorkDoneProgressServerReporter | undefined;
    if (this.progressSupport && files.length) {
      progress = await this.connection.window.createWorkDoneProgress();
      progress.begin('Lockscope: indexing', 0, `${files.length} files`, true);
    }
    this.status({ state: 'indexing', files: 0 });
    // Open documents are the editor's text, not the disk's: they come from documentChanged.
    const closed = files
      .filter((f) => !this.documents.get(fileUri(f.abs)))
      .map((f) => ({ abs: f.abs, rel: f.abs }));
    const outcome = await indexFiles(engine, closed, this.settings, {
      // Parsed facts persist in the extension's workspace storage: reopening skips unchanged files.
      cache: this.storagePath ? { dir: this.storagePath, workspace: this.folders.join('\n') } : false,
      isCancelled: () => generation !== this.indexGeneration || !!progress?.token.isCancellationRequested,
      onProgress: (done, total) => {
        if (done % INDEX_BATCH === 0 || done === total) {
          progress?.report(Math.round((done * 100) / Math.max(1, total)), `${done}/${total} files`);
        }
      },
    });
    for (const p of outcome.problems) this.connection.console.warn(`lockscope: ${p.file}: ${p.message}`);
    progress?.done();
    if (generation === this.indexGeneration) this.indexMs = outcome.ms;
    const cache = outcome.cache ? `, ${outcome.cache.hits} from the cache` : '';
    this.connection.console.info(
      `lockscope: indexed ${outcome.indexed} files in ${Math.round(performance.now() - started)} ms (${outcome.jobs} threads${cache})`,
    );
    if (generation === this.indexGeneration) {
      this.readMemo(engine);
      this.memoToStore = true;
      this.analyzeNow();
    }
  }

  /**
   * Finds the workspace's configuration (compile_commands.json, .config, Kbuild Makefiles, its
   * headers) and reads files under it from now on; says where it came from in the output channel,
   * and what could not be used in one message.
   */
  private configure(engine: Engine, files: readonly FoundFile[]): void {
    const discovery = discoverConfiguration({
      roots: this.folders,
      files: files.map((f) => f.abs),
      settings: this.settings,
      base: this.folders[0] ?? process.cwd(),
    });
    engine.setConfiguration(discovery.config);
    this.connection.console.info(`lockscope: configuration: ${discovery.config.describe()}`);
    for (const line of discovery.log) this.connection.console.info(`lockscope: configuration: ${line}`);
    for (const p of discovery.problems)
      this.connection.console.warn(`lockscope: configuration: ${p.message}`);
    if (discovery.problems.length)
      void this.connection.window.showWarningMessage(
        `Lockscope configuration: ${discovery.problems.map((p) => p.message).join('; ')}`,
      );
    // Open documents were read under the previous configuration.
    for (const doc of this.documents.all()) {
      const file = pathOf(doc.uri);
      if (file) {
        engine.closeOpenFile(file);
        engine.updateOpenFile(file, doc.getText());
      }
    }
  }

  /** "Lockscope: Show configuration symbols": the configuration and each symbol's answer. */
  async configurationSymbols(uri?: string): Promise<{ text: string } | null> {
    await this.indexing;
    const engine = this.engine;
    if (!engine) return null;
    const only = uri ? pathOf(uri) : undefined;
    const text = formatConfigSymbols(engine.configuration, engine.index.allFiles(), (p) => p, only);
    return { text };
  }

  /** Where the analysis memo of these folders is kept (beside the facts pack). */
  private get memoFile(): string | undefined {
    return this.storagePath
      ? workspaceCacheFile(this.storagePath, this.folders.join('\n'), 'memo')
      : undefined;
  }

  /** Summaries of the last session: only what changed since is analysed again. */
  private readMemo(engine: Engine): void {
    const file = this.memoFile;
    if (!file || engine.finishedMemo) return; // a re-index: this session's own memo is newer
    const read = readMemo(file, memoKey(this.settings, engine.configuration.fingerprint), engine);
    if (read.problem) this.connection.console.warn(`lockscope: ${file}: ${read.problem}`);
    if (read.adopted)
      this.connection.console.info(`lockscope: ${read.adopted} function summaries from the cache`);
  }

  async documentChanged(doc: TextDocument, opened: boolean): Promise<void> {
    const file = pathOf(doc.uri);
    if (!file) return;
    const engine = await this.getEngine();
    const res = engine.updateOpenFile(file, doc.getText());
    if (res.problem) this.connection.console.warn(`lockscope: ${res.problem.file}: ${res.problem.message}`);
    this.schedule(opened ? 0 : EDIT_DEBOUNCE_MS);
  }

  documentClosed(doc: TextDocument): void {
    const file = pathOf(doc.uri);
    if (!file) return;
    this.engine?.closeOpenFile(file);
    // Back to the on-disk text (an unsaved edit is gone), or out of the index if it was never on disk.
    const text = fs.existsSync(file) ? readText(file, file).text : undefined;
    if (text !== undefined) this.engine?.setFile(file, text).tree?.delete();
    else this.engine?.removeFile(file);
    void this.connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] });
    this.published.delete(doc.uri);
    this.publishedVersion.delete(doc.uri);
    this.schedule(EDIT_DEBOUNCE_MS);
  }

  /** Debounced: a newer edit replaces a pending analysis. */
  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.analyzeNow();
    }, delay);
  }

  private analyzeNow(): void {
    const engine = this.engine;
    if (!engine) return;
    this.status({ state: 'analysing', files: engine.index.size });
    const reports = this.settings.lockdepReports;
    if (reports.length) {
      // Mapping lockdep's reports needs a finished static analysis: one pass without slices.
      const merged = analyzeWithLockdep(engine, reports);
      for (const p of merged.problems) this.connection.console.warn(`lockscope: ${p.file}: ${p.message}`);
      this.analysed(merged.result);
      return;
    }
    this.running = engine.startAnalysis();
    this.continueAnalysis(this.running);
  }

  /** One slice; the next waits behind the messages that arrived meanwhile. */
  private continueAnalysis(run: AnalysisRun): void {
    if (run !== this.running) return;
    const result = run.advance(ANALYSIS_SLICE_MS);
    if (result) this.analysed(result);
    else if (run.dropped)
      this.running = undefined; // whatever changed the index scheduled a new run
    else setImmediate(() => this.continueAnalysis(run));
  }

  private analysed(result: AnalysisResult): void {
    const engine = this.engine!;
    this.running = undefined;
    this.last = result;
    this.publish(result);
    const memoFile = this.memoFile;
    if (this.memoToStore && memoFile) {
      // Once per indexing, after publishing (it takes a few hundred ms on a big driver): the
      // files read from disk are then what the next session starts from.
      const problem = writeMemo(memoFile, memoKey(this.settings, engine.configuration.fingerprint), engine);
      if (problem) this.connection.console.warn(`lockscope: ${memoFile}: ${problem}`);
    }
    this.memoToStore = false;
    this.status({ state: 'ready', files: engine.index.size, lastAnalysisMs: Math.round(result.analyzeMs) });
    this.connection.console.log(
      `lockscope: analysed ${engine.index.size} files in ${Math.round(result.analyzeMs)} ms: ` +
        `${result.analysed} of ${result.functions} functions (the others had not changed)`,
    );
  }

  private publish(result: AnalysisResult): void {
    const byUri = new Map<string, LspDiagnostic[]>();
    for (const doc of this.documents.all()) byUri.set(doc.uri, []);
    for (const d of this.shown(result.diagnostics)) {
      const list = byUri.get(fileUri(d.file));
      if (list) list.push(toLspDiagnostic(d, this.relatedSupport, ruleDocUri));
    }
    for (const [uri, diagnostics] of byUri) {
      const version = this.documents.get(uri)?.version;
      // Always answer a new version of an open file (even "no findings"); else only changes.
      const fresh = version !== undefined && this.publishedVersion.get(uri) !== version;
      if (diagnostics.length === 0 && !this.published.has(uri) && !fresh) continue;
      if (version !== undefined) this.publishedVersion.set(uri, version);
      void this.connection.sendDiagnostics({ uri, version, diagnostics });
      if (diagnostics.length) this.published.add(uri);
      else this.published.delete(uri);
    }
  }

  /** Waits for indexing and pending analysis (tests and commands that need fresh results). */
  async settled(): Promise<AnalysisResult | undefined> {
    await this.indexing;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.analyzeNow();
    }
    // The request needs the answer now: the run in progress finishes without pause.
    const result = this.running?.advance(Infinity);
    if (result) this.analysed(result);
    return this.last;
  }

  async hover(params: HoverParams): Promise<Hover | null> {
    const file = pathOf(params.textDocument.uri);
    const engine = this.engine;
    if (!file || !engine) return null;
    await this.settled();
    return hoverAt(engine, file, params.position, this.last?.diagnostics ?? []);
  }

  async codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const doc = this.documents.get(params.textDocument.uri);
    const file = pathOf(params.textDocument.uri);
    if (!doc || !file) return [];
    // Editors ask on their own at every cursor move (VS Code's lightbulb): finishing the analysis
    // for each would undo the debounce and the slices. Those get the fixes of the diagnostics
    // published for this very text, or none until they are. Source actions (fix all on save,
    // also sent as automatic) and explicit requests (Ctrl+.) wait for fresh results.
    const lightbulb =
      params.context.triggerKind === CodeActionTriggerKind.Automatic &&
      !params.context.only?.some((k) => k.startsWith(CodeActionKind.Source));
    if (lightbulb) {
      if (this.publishedVersion.get(doc.uri) !== doc.version) return [];
    } else await this.settled();
    const engine = await this.getEngine();
    // The open document's own syntax tree when the engine keeps one, else a parse of the text.
    const syntax = engine.openTree(file) ?? (this.parser ??= await CParser.create());
    // Only the findings shown: a finding hidden by the baseline gets no fix, not even on save.
    const shown = this.shown(this.last?.diagnostics ?? []);
    return codeActionsFor(doc, file, params, shown, syntax, engine.knowledge);
  }

  /** The findings Problems shows: not in the findings baseline, and at least `minConfidence`. */
  private shown(diagnostics: Diagnostic[]): Diagnostic[] {
    const min = this.settings.minConfidence;
    return this.baseline.filter(diagnostics).filter((d) => meetsConfidence(d.confidence, min));
  }

  async executeCommand(params: ExecuteCommandParams): Promise<{ text: string } | null | undefined> {
    if (params.command === 'lockscope.reindex') this.startIndexing();
    if (params.command === 'lockscope.configurationSymbols') {
      const uri = params.arguments?.[0];
      return this.configurationSymbols(typeof uri === 'string' ? uri : undefined);
    }
    return undefined;
  }

  /** The lock report as one HTML page (the webview shows it; `scan --format html` writes it). */
  async reportHtml(): Promise<{ html: string } | null> {
    const result = await this.settled();
    if (!result) return null;
    // the findings the editor shows: without those of the baseline (lockscope.baseline)
    const shown = this.baseline.filter(result.diagnostics);
    const hidden = result.diagnostics.length - shown.length;
    const scope = hidden ? [`lockscope.baseline: ${hidden} findings in the baseline not shown`] : [];
    return { html: toHtml(shown, result.graph, this.scanStats(result), { scope }) };
  }

  /**
   * The scan's figures as the CLI gives them: the files indexed now and their size (an open
   * file's text as edited, the others as on disk), the indexing time, and the last analysis.
   */
  private scanStats(result: AnalysisResult): ScanStats {
    const files = this.engine?.index.allFiles() ?? [];
    let bytes = 0;
    for (const { path: file } of files) {
      const open = this.documents.get(fileUri(file));
      if (open) bytes += Buffer.byteLength(open.getText());
      else
        try {
          bytes += fs.statSync(file).size;
        } catch {
          // removed since it was indexed: it no longer counts
        }
    }
    return {
      files: files.length,
      bytes,
      functions: result.functions,
      parseMs: this.indexMs,
      analyzeMs: result.analyzeMs,
    };
  }

  /** "Lockscope: Explain lockdep report": each link of the report with its source line. */
  async explain(text: string): Promise<{ text: string } | null> {
    await this.settled();
    const engine = this.engine;
    return engine ? { text: formatExplain(explainReport(text, engine)) } : null;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.running = undefined;
    this.indexGeneration++;
  }
}

/** The settings that decide what analysis finds (all but what filters findings), comparable. */
function analysisPart(settings: Settings): string {
  return JSON.stringify({ ...settings, baseline: undefined, minConfidence: undefined });
}

function pathOf(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}
