/**
 * The persistent facts cache: each file's lowered FileFacts, keyed by the sha256 of its text,
 * stored in one pack file per workspace inside the cache folder.
 *
 * Pack layout (text header, raw JSON payloads):
 *
 *   LSCPACK1\n
 *   {"format":1,"tool":"<code fingerprint>","settings":"<lowering settings hash>"}\n
 *   then per entry:  <sha256 of file> <sha256 of payload> <payload bytes>\n<payload JSON>\n
 *
 * Nothing read from a pack is trusted: a header from another tool build or other lowering
 * settings discards the whole pack; a malformed entry header ends the pack there (truncation);
 * a payload whose checksum or shape is wrong is a miss, rebuilt and rewritten. Entries are read
 * lazily with positional reads, so a warm scan touches only what it uses.
 *
 * Writes go to a fresh temporary file in the cache folder (`wx`: never through an existing
 * path or symlink) that is renamed over the pack when complete, so readers see the old pack
 * or the new one, never a mix; an interrupted write leaves a stray temp file that a later open
 * removes. Nothing is written outside the cache folder. No method throws: failures become
 * problems and the scan goes on without the cache.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileFacts } from '../analysis/ir';
import type { Settings } from '../config/settings';
import { grammarsDir } from '../parsing/parser';
import { ENTRY_HEADER_MAX, ENTRY_HEADER_RE } from './entry-file';

const MAGIC = 'LSCPACK1\n';
const PACK_FORMAT = 1;
const TMP_RE = /^ws-[0-9a-f]+\.(?:pack|result|memo|headers)\.\d+\.[0-9a-f]+\.tmp$/;
const PACK_RE = /^ws-[0-9a-f]+\.(?:pack|result|memo|headers)$/;
const STALE_TMP_MS = 10 * 60_000;
/** Packs and results of workspaces not scanned for this long are removed (a use refreshes the mtime). */
const STALE_PACK_MS = 30 * 24 * 3600_000;
const FLUSH_BYTES = 4 << 20;

export interface CacheOptions {
  /** The cache folder (created when missing). */
  dir: string;
  /** Overrides the tool fingerprint (tests; a release could pass its version). */
  toolVersion?: string;
}

export interface CacheStats {
  /** Files whose facts came from the cache. */
  hits: number;
  /** Files lowered because no valid entry existed. */
  misses: number;
  /** Entries found but rejected (checksum, shape, truncation). */
  corrupt: number;
  /** The pack existed but was written by another tool build or other lowering settings. */
  stale: boolean;
  /** Entries in the pack written by this scan (0: the old pack was kept as it was). */
  written: number;
  pack: string;
}

export interface CacheProblem {
  file: string;
  message: string;
}

/**
 * The cache key of a file: the sha256 of its bytes (of a text, its UTF-8 bytes). Equal bytes,
 * equal text, equal facts; hashing the bytes spares decoding files whose facts are cached.
 */
export function contentKey(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash of the settings that change what lowering produces (not severities, not globs). */
export function loweringSettingsKey(
  settings: Pick<Settings, 'defines' | 'undefines' | 'extraLockFunctions'>,
): string {
  const canonical = stableJson({
    defines: [...new Set(settings.defines)].sort(),
    undefines: [...new Set(settings.undefines)].sort(),
    extraLockFunctions: settings.extraLockFunctions,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The compiled folders lowering runs (the facts depend on them). */
const FACTS_CODE = ['analysis', 'kb', 'parsing', 'preprocess', 'engine', 'config'];
/** What analysis results depend on besides: the rules, the order graph, the workspace index. */
const ANALYSIS_CODE = ['graph', 'rules', 'workspace', 'util'];
const bundled = path.basename(__dirname) !== 'engine';
let toolPrint: string | undefined;
let analysisPrint: string | undefined;

/**
 * Identifies the code that produces facts: a hash of the lowering code as it runs (the bundle
 * and its worker, or the compiled modules under the analysis/kb/parsing/engine folders) and of
 * the grammar wasm. Rebuilding the tool after changing lowering invalidates caches by itself;
 * nobody has to remember to bump a version.
 */
export function toolFingerprint(): string {
  if (toolPrint) return toolPrint;
  const h = createHash('sha256').update(`lockscope-pack-${PACK_FORMAT}\n`);
  const files = bundled ? [__filename, path.join(__dirname, 'worker.js')] : moduleFiles(FACTS_CODE, h);
  try {
    const grammars = grammarsDir();
    files.push(path.join(grammars, 'tree-sitter-c.wasm'), path.join(grammars, 'web-tree-sitter.wasm'));
  } catch {
    h.update('no grammars\n');
  }
  toolPrint = hashFiles(h, files);
  return toolPrint;
}

/**
 * The same for the analysis-result cache: the facts' code and the code that analyses them
 * (in the bundle, the same file: nothing is read twice).
 */
export function analysisFingerprint(): string {
  if (analysisPrint) return analysisPrint;
  const h = createHash('sha256').update(`lockscope-analysis\n${toolFingerprint()}\n`);
  analysisPrint = hashFiles(h, bundled ? [] : moduleFiles(ANALYSIS_CODE, h));
  return analysisPrint;
}

/** The compiled modules of these folders (next to this one); a missing folder is hashed as such. */
function moduleFiles(folders: readonly string[], h: Hash): string[] {
  const root = path.resolve(__dirname, '..');
  const files: string[] = [];
  for (const sub of folders) {
    try {
      for (const f of fs.readdirSync(path.join(root, sub)).sort())
        if (f.endsWith('.js')) files.push(path.join(root, sub, f));
    } catch {
      h.update(`no ${sub}\n`);
    }
  }
  return files;
}

function hashFiles(h: Hash, files: readonly string[]): string {
  for (const f of files) {
    h.update(path.basename(f) + '\n');
    try {
      h.update(fs.readFileSync(f));
    } catch {
      h.update('missing\n');
    }
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * The cache file of one workspace (any string naming the scan: base folder and roots) with
 * this extension: the facts pack, the analysis result and the analysis memo sit side by side.
 */
export function workspaceCacheFile(
  dir: string,
  workspaceId: string,
  ext: 'pack' | 'result' | 'memo' | 'headers',
): string {
  return path.join(dir, `ws-${createHash('sha256').update(workspaceId).digest('hex').slice(0, 20)}.${ext}`);
}

interface EntryLoc {
  key: string;
  /** Offset of the payload in the pack. */
  start: number;
  bytes: number;
  sum: string;
}

/** One scan's view of a workspace's pack: lookups from the old pack, writes to the new one. */
export class FactsCache {
  readonly stats: CacheStats;
  readonly problems: CacheProblem[] = [];
  private fd: number | undefined;
  private readonly index = new Map<string, EntryLoc>();
  /** Keys (old-pack entries used, new entries put) the new pack will hold, in order. */
  private readonly keep = new Map<string, EntryLoc | undefined>();
  private writer: PackWriter | undefined;
  private disabled = false;
  private readonly header: string;

  private constructor(
    readonly dir: string,
    readonly packPath: string,
    tool: string,
    settingsKey: string,
  ) {
    this.header = JSON.stringify({ format: PACK_FORMAT, tool, settings: settingsKey }) + '\n';
    this.stats = { hits: 0, misses: 0, corrupt: 0, stale: false, written: 0, pack: packPath };
  }

  /**
   * Opens (or prepares to create) the pack of the workspace `workspaceId` (any string naming
   * the scan: base folder and roots). Never throws; a cache that cannot be used is disabled and
   * says why in `problems`.
   */
  static open(opts: CacheOptions, workspaceId: string, settingsKey: string): FactsCache {
    const dir = path.resolve(opts.dir);
    const cache = new FactsCache(
      dir,
      workspaceCacheFile(dir, workspaceId, 'pack'),
      opts.toolVersion ?? toolFingerprint(),
      settingsKey,
    );
    cache.load();
    return cache;
  }

  get enabled(): boolean {
    return !this.disabled;
  }

  /** Whether the pack has an entry for `key` (not yet verified: `get` may still reject it). */
  has(key: string): boolean {
    return this.fd !== undefined && this.index.has(key);
  }

  /**
   * The facts stored for `key`, with `path` set to `file`; undefined (a miss) otherwise, also
   * when `accept` turns them down (read under another configuration: the entry is replaced).
   */
  get(key: string, file: string, accept?: (facts: FileFacts) => boolean): FileFacts | undefined {
    const loc = this.index.get(key);
    if (!loc || this.fd === undefined) return undefined;
    const buf = Buffer.allocUnsafe(loc.bytes + 1);
    let facts: FileFacts | undefined;
    try {
      const n = fs.readSync(this.fd, buf, 0, loc.bytes + 1, loc.start);
      if (n === loc.bytes + 1 && buf[loc.bytes] === 0x0a) {
        const payload = buf.subarray(0, loc.bytes);
        if (createHash('sha256').update(payload).digest('hex') === loc.sum) {
          const value: unknown = JSON.parse(payload.toString('utf8'));
          if (isFileFacts(value)) facts = value;
        }
      }
    } catch {
      facts = undefined;
    }
    if (!facts) {
      this.index.delete(key);
      this.stats.corrupt++;
      return undefined;
    }
    if (accept && !accept(facts)) {
      this.index.delete(key);
      return undefined;
    }
    facts.path = file;
    this.stats.hits++;
    if (!this.keep.has(key)) {
      this.keep.set(key, loc);
      this.writer?.addRaw(loc, buf);
    }
    return facts;
  }

  /**
   * Keeps the entry for `key` in the pack without reading it: its facts were not needed this
   * time (a stored analysis result was), but they still describe a file of the workspace.
   */
  retain(key: string): void {
    const loc = this.index.get(key);
    if (!loc || this.keep.has(key)) return;
    this.keep.set(key, loc);
    if (this.fd !== undefined) this.writer?.copy(this.fd, loc);
  }

  /** Keeps every entry of the pack: a partial scan cannot tell which files are gone. */
  retainAll(): void {
    for (const key of this.index.keys()) this.retain(key);
  }

  /** Records newly lowered facts: JSON.stringify(facts). */
  put(key: string, payload: string): void {
    this.stats.misses++;
    if (this.disabled || this.keep.has(key)) return;
    this.keep.set(key, undefined);
    const w = this.startWriter();
    if (!w) return;
    const bytes = Buffer.from(payload, 'utf8');
    w.add(key, bytes, createHash('sha256').update(bytes).digest('hex'));
  }

  /**
   * Makes the new pack current when anything changed (new entries, or old entries no longer
   * used); leaves the old pack alone otherwise. Safe to call once; never throws.
   */
  commit(): void {
    if (!this.disabled && !this.writer && this.keep.size !== this.index.size) this.startWriter();
    const w = this.writer;
    this.writer = undefined;
    if (w) {
      const ok = w.finish(this.packPath);
      if (ok) this.stats.written = w.count;
      else
        this.problems.push({ file: this.dir, message: `cache: cannot write ${this.packPath}: ${w.error}` });
    } else if (this.keep.size > 0) {
      try {
        const now = new Date();
        fs.utimesSync(this.packPath, now, now); // in use: keep it through the sweep
      } catch {
        // replaced or removed meanwhile: nothing to keep
      }
    }
    this.close();
  }

  /** Drops the new pack (cancelled scans); the old one stays. */
  abort(): void {
    this.writer?.discard();
    this.writer = undefined;
    this.close();
  }

  private close(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
  }

  private load(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      if (!fs.statSync(this.dir).isDirectory()) throw new Error('not a folder');
    } catch (e) {
      this.disable(`cannot use cache folder ${this.dir}: ${errorMessage(e)}`);
      return;
    }
    this.sweep();
    writeTag(this.dir);
    let fd: number;
    try {
      fd = fs.openSync(this.packPath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT')
        this.problems.push({ file: this.dir, message: `cache: ${errorMessage(e)}` });
      return;
    }
    this.fd = fd;
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error(`${this.packPath} is not a file`);
      this.indexPack(fd, st.size);
    } catch (e) {
      this.index.clear();
      this.problems.push({ file: this.dir, message: `cache: ignoring ${this.packPath}: ${errorMessage(e)}` });
    }
  }

  /** Reads the pack header and walks the entry headers, skipping payloads. */
  private indexPack(fd: number, size: number): void {
    const head = Buffer.alloc(Math.min(size, MAGIC.length + this.header.length));
    fs.readSync(fd, head, 0, head.length, 0);
    if (head.toString('utf8') !== MAGIC + this.header) {
      this.stats.stale = true;
      return;
    }
    let pos = head.length;
    const buf = Buffer.alloc(ENTRY_HEADER_MAX);
    while (pos < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(ENTRY_HEADER_MAX, size - pos), pos);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      const m = nl > 0 ? ENTRY_HEADER_RE.exec(buf.toString('latin1', 0, nl)) : null;
      const bytes = m ? Number(m[3]) : -1;
      const start = pos + nl + 1;
      if (!m || start + bytes + 1 > size) {
        this.stats.corrupt++; // truncated or garbled: what follows cannot be located
        return;
      }
      if (!this.index.has(m[1])) this.index.set(m[1], { key: m[1], start, bytes, sum: m[2] });
      pos = start + bytes + 1;
    }
  }

  private startWriter(): PackWriter | undefined {
    if (this.writer || this.disabled) return this.writer;
    const w = PackWriter.create(this.packPath, MAGIC + this.header);
    if (!w) {
      this.disable(`cannot write in cache folder ${this.dir}`);
      return undefined;
    }
    this.writer = w;
    // Entries taken from the old pack before the first change go into the new pack too.
    for (const loc of this.keep.values()) if (loc && this.fd !== undefined) w.copy(this.fd, loc);
    return w;
  }

  private disable(message: string): void {
    this.disabled = true;
    this.problems.push({ file: this.dir, message: `cache: ${message}; scanning without it` });
  }

  /**
   * Removes temporary files left by interrupted writes, and packs and results of workspaces
   * unused for a month: ours only, by name and age.
   */
  private sweep(): void {
    try {
      const now = Date.now();
      for (const name of fs.readdirSync(this.dir)) {
        const limit = TMP_RE.test(name) ? STALE_TMP_MS : PACK_RE.test(name) ? STALE_PACK_MS : undefined;
        if (limit === undefined) continue;
        const p = path.join(this.dir, name);
        const st = fs.lstatSync(p);
        if (st.isFile() && now - st.mtimeMs > limit) fs.unlinkSync(p);
      }
    } catch {
      // best effort
    }
  }
}

/** Streams a new pack into a temporary file next to the pack. */
class PackWriter {
  count = 0;
  error = '';
  private chunks: (string | Buffer)[] = [];
  private pending = 0;
  private readonly written = new Set<string>();

  private constructor(
    private fd: number | undefined,
    private readonly tmp: string,
  ) {}

  static create(pack: string, header: string): PackWriter | undefined {
    const tmp = `${pack}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'wx', 0o644);
      const w = new PackWriter(fd, tmp);
      w.push(header);
      return w;
    } catch {
      return undefined;
    }
  }

  add(key: string, payload: Buffer, sum: string): void {
    if (this.written.has(key)) return;
    this.written.add(key);
    this.push(`${key} ${sum} ${payload.length}\n`);
    this.push(payload);
    this.push('\n');
    this.count++;
  }

  /** Copies an entry from the old pack. */
  copy(fd: number, loc: EntryLoc): void {
    if (this.written.has(loc.key)) return;
    const buf = Buffer.allocUnsafe(loc.bytes + 1);
    try {
      if (fs.readSync(fd, buf, 0, loc.bytes + 1, loc.start) !== loc.bytes + 1) return;
    } catch {
      return;
    }
    this.addRaw(loc, buf);
  }

  /** Adds an entry from its verified payload bytes (with the trailing newline). */
  addRaw(loc: EntryLoc, payloadAndNewline: Buffer): void {
    if (this.written.has(loc.key)) return;
    this.written.add(loc.key);
    this.push(`${loc.key} ${loc.sum} ${loc.bytes}\n`);
    this.push(payloadAndNewline);
    this.count++;
  }

  finish(pack: string): boolean {
    if (!this.flush() || this.fd === undefined) {
      this.discard();
      return false;
    }
    try {
      fs.closeSync(this.fd);
      this.fd = undefined;
      fs.renameSync(this.tmp, pack);
      return true;
    } catch (e) {
      this.error = errorMessage(e);
      this.discard();
      return false;
    }
  }

  discard(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // ignore
      }
      this.fd = undefined;
    }
    try {
      fs.unlinkSync(this.tmp);
    } catch {
      // never created or already gone
    }
  }

  private push(data: string | Buffer): void {
    this.chunks.push(data);
    this.pending += data.length;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }

  private flush(): boolean {
    if (this.fd === undefined) return false;
    try {
      const bufs = this.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
      this.chunks = [];
      this.pending = 0;
      for (const b of bufs) {
        let off = 0;
        while (off < b.length) off += fs.writeSync(this.fd, b, off, b.length - off);
      }
      return true;
    } catch (e) {
      this.error = errorMessage(e);
      this.discard();
      return false;
    }
  }
}

/** Marks the folder as a cache for backup tools (https://bford.info/cachedir/). */
function writeTag(dir: string): void {
  const tag = path.join(dir, 'CACHEDIR.TAG');
  if (fs.existsSync(tag)) return;
  const tmp = `${tag}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, 'Signature: 8a477f597d28d172789f06886806bc55\n# Lockscope facts cache.\n', {
      flag: 'wx',
    });
    fs.renameSync(tmp, tag);
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
  }
}

/** Enough of the FileFacts shape that analysis cannot trip over a well-formed but foreign entry. */
function isFileFacts(v: unknown): v is FileFacts {
  if (!v || typeof v !== 'object') return false;
  const f = v as Record<string, unknown>;
  const isRecord = (x: unknown) => !!x && typeof x === 'object' && !Array.isArray(x);
  return (
    typeof f.path === 'string' &&
    Array.isArray(f.functions) &&
    Array.isArray(f.structs) &&
    Array.isArray(f.fileLocks) &&
    Array.isArray(f.stores) &&
    isRecord(f.typedefs) &&
    isRecord(f.globals) &&
    isRecord(f.suppressions) &&
    typeof f.parseErrors === 'number' &&
    (f.flagMacros === undefined ||
      (isRecord(f.flagMacros) &&
        Object.values(f.flagMacros as object).every((x) => typeof x === 'string'))) &&
    f.functions.every((fn: unknown) => isRecord(fn) && Array.isArray((fn as { blocks?: unknown }).blocks))
  );
}

/** JSON with object keys sorted: equal values give equal text (settings hashes). */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
