/**
 * Where the configuration comes from, in this order, each optional:
 *  1. compile_commands.json (named by `lockscope.compileCommands`/`--compile-commands`, else at
 *     the workspace root, its kernel tree or one of their build folders): per-file `-D`/`-U`,
 *     and the kernel configuration its `-include` lines bring in;
 *  2. a kernel `.config` or `include/generated/autoconf.h` (named by `lockscope.kernelConfig`/
 *     `--kconfig`, else in the kernel tree around the workspace or an `O=` build folder of it);
 *  3. the Kbuild Makefiles of a driver outside a kernel tree (its own, closed configuration);
 *  4. the workspace's own headers;
 *  5. the defaults (the off-by-default table; everything else undecided).
 * A malformed file gives one message naming it and its line, and is not used. Nothing found
 * in the workspace is ever executed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings } from '../config/settings';
import { parseCompileCommands } from './compile-commands';
import {
  type ConfigData,
  type ConfigSource,
  Configuration,
  type FileFlags,
  settingsConfigData,
} from './config';
import type { SymbolState } from './expr';
import { type HeaderScan, scanHeaders } from './headers';
import { kbuildMakefile, readKbuild } from './kbuild';
import { type KconfigRead, parseKconfigFile, versionCodeOf } from './kconfig';
import { OffPatterns, SELFTEST_FOLDERS, SELFTEST_PROBE } from './off-by-default';
import { parseKernelVersion } from './predefined';

export interface DiscoverOptions {
  /** The scanned folders and files (absolute). */
  roots: readonly string[];
  /** The files of the workspace (absolute paths): its headers are read. */
  files: readonly string[];
  settings: Settings;
  /** Where relative setting paths start (the workspace folder, or the CLI's working folder). */
  base: string;
  /** Where the headers' pass of an earlier discovery is kept (engine/header-cache). */
  headerCache?: HeaderCache;
}

/**
 * A stored headers' pass, found again by `key`: a hash of the configuration read before the
 * headers and of every header's name and text (what the pass depends on, and all it reads).
 */
export interface HeaderCache {
  get(key: string): HeaderScan | undefined;
  put(key: string, scan: HeaderScan): void;
}

export interface Discovery {
  config: Configuration;
  /** Files that could not be used, with why: `file` is "configuration", the message names the file and line. */
  problems: { file: string; message: string }[];
  /** Where the configuration came from, line by line (`scan --verbose`, the output channel). */
  log: string[];
}

const MAX_SOURCE_BYTES = 256 * 1024 * 1024;
const MAX_HEADER_BYTES = 8 * 1024 * 1024;
/** Folders below a root looked at for build outputs (O= folders, CMake-style build folders). */
const MAX_BUILD_DIRS = 64;

export function discoverConfiguration(opts: DiscoverOptions): Discovery {
  const { settings } = opts;
  const data = settingsConfigData(settings);
  const problems: Discovery['problems'] = [];
  const log: string[] = [];
  const add = (s: ConfigSource) => {
    data.sources.push(s);
    log.push(`${s.kind}: ${s.file ? `${s.file}: ` : ''}${s.detail}`);
  };
  const dirs = [...new Set(opts.roots.map((r) => (isDir(r) ? r : path.dirname(r))))];
  const kernelRoot = dirs.map(findKernelTree).find((k) => k !== undefined);
  const searchDirs = [...new Set([...dirs, ...(kernelRoot ? [kernelRoot] : [])])];
  if (kernelRoot) log.push(`kernel tree: ${kernelRoot}`);

  // 1. compile_commands.json
  const ccFile = settings.compileCommands
    ? path.resolve(opts.base, settings.compileCommands)
    : findInBuildDirs(searchDirs, 'compile_commands.json');
  const kconfigIndex = new Map<string, number>();
  const versionFiles = new Set<string>();
  const kconfigOf = (file: string): number | undefined => {
    if (kconfigIndex.has(file)) return kconfigIndex.get(file);
    const read = readKconfig(file);
    if ('error' in read) {
      problems.push({ file: 'configuration', message: read.error });
      kconfigIndex.set(file, -1);
      return undefined;
    }
    data.kconfigs.push(read.symbols);
    kconfigIndex.set(file, data.kconfigs.length - 1);
    return data.kconfigs.length - 1;
  };
  if (ccFile) {
    const text = readText(ccFile, MAX_SOURCE_BYTES);
    const read =
      text === undefined ? { error: `${ccFile}: cannot read` } : parseCompileCommands(ccFile, text);
    if ('error' in read)
      problems.push({ file: 'configuration', message: `${read.error}; using the default` });
    else {
      for (const e of read.entries) {
        const autoconf = autoconfOf(e.includes, e.includeDirs);
        const version = autoconf && path.join(path.dirname(autoconf), 'uapi', 'linux', 'version.h');
        if (version) versionFiles.add(version);
        const kconfig = autoconf ? kconfigOf(autoconf) : undefined;
        const flags: FileFlags = { flags: e.flags };
        if (kconfig !== undefined && kconfig >= 0) flags.kconfig = kconfig;
        data.files.push([e.file, flags]);
      }
      add({ kind: 'compile_commands', file: ccFile, detail: `${count(read.entries.length)} files` });
    }
  }

  // 2. the kernel configuration
  const kconfigFile = settings.kernelConfig
    ? path.resolve(opts.base, settings.kernelConfig)
    : kernelRoot
      ? findKernelConfig(kernelRoot)
      : undefined;
  if (kconfigFile) {
    const index = kconfigOf(kconfigFile);
    if (index !== undefined) {
      data.kconfig = index;
      const dir = path.dirname(kconfigFile);
      const genDir = path.basename(dir) === 'generated' ? dir : path.join(dir, 'include', 'generated');
      versionFiles.add(path.join(genDir, 'uapi', 'linux', 'version.h'));
      add({
        kind: 'kconfig',
        file: kconfigFile,
        detail: `${count(data.kconfigs[index].symbols.length)} options set`,
      });
    }
  }
  if (!settings.kernelVersion) {
    const version =
      [...versionFiles].map(readVersion).find((v) => v !== undefined) ?? makefileVersion(kernelRoot);
    if (version) data.kernelVersion = version;
  }
  log.push(`kernel version: ${data.kernelVersion.text}`);

  // 3. a driver's own Kbuild Makefiles
  if (!kernelRoot) readDriverBuild(dirs, opts.files, data, add, problems, log);

  if (data.mode === 'kernel' && data.kconfig === undefined && data.files.length === 0)
    leaveOutSelftestFolders(opts.files, data, settings.defines, log);

  // 4. the workspace's headers, read under what was found so far
  const preliminary = new Configuration(data);
  const headers = opts.files.filter((f) => f.endsWith('.h') && !preliminary.leavesOut(f));
  if (headers.length) {
    const texts = new Map(headers.map((f) => [f, readText(f, MAX_HEADER_BYTES)]));
    const key = opts.headerCache && headersKey(data, texts);
    let scan = key ? opts.headerCache?.get(key) : undefined;
    if (!scan) {
      scan = scanHeaders(
        headers,
        (f) => texts.get(f),
        (table) => {
          const config = new Configuration({ ...data, headers: [...table] });
          return (f) => config.lookupFor(f);
        },
      );
      if (key) opts.headerCache?.put(key, scan);
    }
    data.headers = [...scan.symbols];
    data.macros = [...scan.macros];
    data.functions = [...scan.functions];
    if (data.mode === 'driver') {
      const owned = new Map(data.owned);
      for (const name of scan.definable) if (!owned.has(name)) owned.set(name, 'defines');
      data.owned = [...owned];
    }
    const decided = [...scan.symbols.values()].filter((s: SymbolState) => s.defined !== undefined).length;
    const firstArm = [...scan.macros.values()].filter((m) => m?.firstArmOf !== undefined).length;
    add({
      kind: 'headers',
      detail:
        `${count(scan.headers)} headers, ${count(decided)} symbols, ${count(scan.macros.size)} macros to expand` +
        (firstArm
          ? ` (${count(firstArm)} defined differently in undecided #if arms: their first arm's)`
          : ''),
    });
  }
  log.push(`mode: ${data.mode === 'driver' ? "the driver's own configuration (closed)" : 'kernel (open)'}`);
  log.push(`off by default: ${data.offPatterns.length} patterns (lockscope.offByDefault)`);
  return { config: new Configuration(data), problems, log };
}

/** The key of a headers' pass (HeaderCache): what answers before the headers, and each header read. */
function headersKey(data: ConfigData, texts: ReadonlyMap<string, string | undefined>): string {
  const h = createHash('sha256').update(JSON.stringify({ ...data, sources: undefined }));
  for (const [file, text] of texts) {
    h.update(`\0${file}\0`);
    h.update(text === undefined ? '-' : `${Buffer.byteLength(text)}\0${text}`);
  }
  return h.digest('hex');
}

function readDriverBuild(
  dirs: readonly string[],
  files: readonly string[],
  data: ConfigData,
  add: (s: ConfigSource) => void,
  problems: Discovery['problems'],
  log: string[],
): void {
  const owned = new Map<string, 'defines' | 'maybe'>();
  const left = new Set<string>();
  let selfConfigured = false;
  for (const dir of dirs) {
    const makefile = kbuildMakefile(dir);
    if (!makefile) continue;
    const build = readKbuild(dir, { declared: kconfigDeclared(dir) });
    selfConfigured ||= build.setsConfig;
    if (build.malformed) {
      problems.push({
        file: 'configuration',
        message: `${build.malformed}; the Makefiles are not used (the default applies)`,
      });
      continue;
    }
    for (const note of build.notes) problems.push({ file: 'configuration', message: note });
    for (const f of build.folders) if (f.flags.length) data.dirs.push([f.dir, { flags: f.flags }]);
    for (const [file, flags] of build.files) data.files.push([file, { flags }]);
    for (const [name, how] of build.owned) if (owned.get(name) !== 'maybe') owned.set(name, how);
    // A C file below a folder whose object lists were read whole, and that none names, is not built.
    const complete = build.complete;
    for (const f of files) {
      if (!f.endsWith('.c') || build.compiled.has(f)) continue;
      const responsible = nearest(f, [...build.folders.map((x) => x.dir)]);
      if (responsible && complete.includes(responsible)) left.add(f);
    }
    const flagCount = build.folders.reduce((n, f) => n + f.flags.length, 0);
    const notBuilt = files.filter((f) => left.has(f)).length;
    add({
      kind: 'kbuild',
      file: makefile,
      detail: `${count(flagCount)} flags, ${count(build.compiled.size)} objects, ${count(notBuilt)} C files not built`,
    });
    log.push(`kbuild: ${build.makefiles.length} makefiles read: ${build.makefiles.join(', ')}`);
  }
  if (!data.sources.some((s) => s.kind === 'kbuild')) return;
  data.excluded = [...left];
  // A Kbuild fragment that sets no CONFIG_ variable belongs in a kernel tree: its options are
  // the kernel's, unknown here, so the configuration stays open.
  if (!selfConfigured) return;
  data.mode = 'driver';
  data.owned = [...owned];
}

/**
 * Self-test folders' C files, when nothing says which files are built (SELFTEST_FOLDERS), unless
 * the self-test options are on: the pattern table does not turn them off, or a define names one.
 */
function leaveOutSelftestFolders(
  files: readonly string[],
  data: ConfigData,
  defines: readonly string[],
  log: string[],
): void {
  if (!new OffPatterns(data.offPatterns).isOff(SELFTEST_PROBE)) return;
  if (defines.some((d) => d.split('=')[0].includes('SELFTEST'))) return;
  const left = files.filter(
    (f) =>
      f.endsWith('.c') &&
      path
        .dirname(f)
        .split(path.sep)
        .some((seg) => SELFTEST_FOLDERS.includes(seg)),
  );
  if (!left.length) return;
  data.excluded = [...data.excluded, ...left];
  log.push(`self-test folders: ${count(left.length)} C files built only with self-tests, left out`);
}

/** The folder among `dirs` that holds `file` most closely. */
function nearest(file: string, dirs: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const d of dirs) if (file.startsWith(d + path.sep) && (!best || d.length > best.length)) best = d;
  return best;
}

/** CONFIG_ options the driver's Kconfig files declare (their values are the kernel's). */
function kconfigDeclared(dir: string): Set<string> {
  const out = new Set<string>();
  for (const name of ['Kconfig', 'Kconfig.debug']) {
    const text = readText(path.join(dir, name), MAX_HEADER_BYTES);
    for (const m of text?.matchAll(/^\s*(?:menu)?config\s+(\w+)/gm) ?? []) out.add(`CONFIG_${m[1]}`);
  }
  return out;
}

/**
 * The top of a kernel source tree holding `dir`: Kbuild's own rules (scripts/Makefile.build),
 * the top Kconfig and include/linux. A driver's Kconfig or include/linux folder is not one.
 */
function findKernelTree(dir: string): string | undefined {
  for (let d = dir, i = 0; i < 12; d = path.dirname(d), i++) {
    if (
      isFile(path.join(d, 'scripts', 'Makefile.build')) &&
      isFile(path.join(d, 'Kconfig')) &&
      isDir(path.join(d, 'include', 'linux'))
    )
      return d;
    if (d === path.dirname(d)) break;
  }
  return undefined;
}

/** The kernel tree's configuration: its own, else an O= build folder's. */
function findKernelConfig(root: string): string | undefined {
  const candidates = [
    path.join(root, '.config'),
    path.join(root, 'include', 'generated', 'autoconf.h'),
    ...subdirs(root).flatMap((d) => [
      path.join(d, '.config'),
      path.join(d, 'include', 'generated', 'autoconf.h'),
    ]),
  ];
  return candidates.find(isFile);
}

function findInBuildDirs(dirs: readonly string[], name: string): string | undefined {
  for (const dir of dirs) {
    const found = [path.join(dir, name), ...subdirs(dir).map((d) => path.join(d, name))].find(isFile);
    if (found) return found;
  }
  return undefined;
}

/** The autoconf.h a compile command brings in: directly, or through kconfig.h and its -I folders. */
function autoconfOf(includes: readonly string[], includeDirs: readonly string[]): string | undefined {
  const direct = includes.find((f) => path.basename(f) === 'autoconf.h');
  if (direct) return direct;
  if (!includes.some((f) => path.basename(f) === 'kconfig.h')) return undefined;
  return includeDirs.map((d) => path.join(d, 'generated', 'autoconf.h')).find(isFile);
}

function readKconfig(file: string): KconfigRead {
  const text = readText(file, MAX_SOURCE_BYTES);
  if (text === undefined) return { error: `${file}: cannot read` };
  const read = parseKconfigFile(file, text);
  return 'error' in read ? { error: `${read.error}; using the default` } : read;
}

function readVersion(file: string): { code: number; text: string } | undefined {
  const text = readText(file, MAX_HEADER_BYTES);
  const code = text === undefined ? undefined : versionCodeOf(text);
  if (code === undefined) return undefined;
  return { code, text: `${code >> 16}.${(code >> 8) & 255}.${code & 255} (${file})` };
}

/** VERSION, PATCHLEVEL and SUBLEVEL of the kernel tree's top Makefile. */
function makefileVersion(root: string | undefined): { code: number; text: string } | undefined {
  const text = root && readText(path.join(root, 'Makefile'), MAX_HEADER_BYTES);
  if (!text) return undefined;
  const field = (name: string) => new RegExp(`^${name}\\s*=\\s*(\\d+)`, 'm').exec(text)?.[1];
  const [v, p, s] = [field('VERSION'), field('PATCHLEVEL'), field('SUBLEVEL') ?? '0'];
  const version = v && p ? `${v}.${p}.${s}` : undefined;
  const code = version ? parseKernelVersion(version) : undefined;
  return code === undefined ? undefined : { code, text: `${version} (kernel Makefile)` };
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .slice(0, MAX_BUILD_DIRS)
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

function readText(file: string, maxBytes: number): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
