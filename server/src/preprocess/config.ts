/**
 * The configuration a workspace is read under, and the answer it gives for one symbol in one
 * file. Plain data (`ConfigData`) travels to the lowering workers; `Configuration` answers.
 *
 * A symbol is looked up in this order; the first that knows it answers:
 *  1. the user's `lockscope.defines` / `lockscope.undefines` (an explicit choice wins);
 *  2. the file's own build flags, last one first (`-D`/`-U` from compile_commands.json or from
 *     its Kbuild Makefile);
 *  3. the kernel configuration of the file (`-include autoconf.h`) or of the workspace
 *     (`.config`, autoconf.h): a CONFIG_ symbol it does not list is off;
 *  4. the workspace's own headers (their `#define`s, as the configuration evaluates them);
 *  5. what every build knows: LINUX_VERSION_CODE, macros no kernel compilation has, and that
 *     one operating system's macro excludes the others';
 *  6. the off-by-default table (debug, self-test, fault-injection, KUnit options);
 *  7. a driver's own configuration (its Makefile, no kernel tree around it) is closed: a symbol
 *     nothing in the driver can define is off, except the kernel's CONFIG_ options it never
 *     mentions and names reserved to the compiler and the kernel headers (`__x`, `_X`);
 *  8. otherwise unknown: both arms are read.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Settings } from '../config/settings';
import { answerCode, type SymbolLookup, type SymbolState } from './expr';
import type { MacroDef } from './macros';
import { OffPatterns } from './off-by-default';
import { NEVER_IN_KERNEL_C, NEWEST_KERNEL, parseKernelVersion, TARGET_OS_MACROS } from './predefined';

export interface ConfigSource {
  kind: 'compile_commands' | 'kconfig' | 'kbuild' | 'headers' | 'settings' | 'default';
  /** The file read, when there is one. */
  file?: string;
  /** What it gave: "3,412 files", "4,211 symbols", ... */
  detail: string;
}

/** A kernel configuration read from a `.config` or an autoconf.h: the options set, with values. */
export interface KconfigSymbols {
  file: string;
  symbols: [string, string][];
}

/** A file's own build flags: `-D` (value) and `-U` (null), in command-line order. */
export interface FileFlags {
  flags: [string, string | null][];
  /** Index in ConfigData.kconfigs of the configuration its command line includes. */
  kconfig?: number;
}

export interface ConfigData {
  /** `driver`: the configuration is the driver's own and closed (rule 7); `kernel`: open. */
  mode: 'kernel' | 'driver';
  sources: ConfigSource[];
  /** Symbols from the user's settings: value when defined, null when undefined. */
  user: [string, string | null][];
  kconfigs: KconfigSymbols[];
  /** Index in kconfigs of the workspace's configuration, for files without their own. */
  kconfig?: number;
  /** The workspace headers' symbols. */
  headers: [string, SymbolState][];
  /** Driver mode: what the driver itself can define (`maybe`: only under undecided conditions). */
  owned: [string, 'defines' | 'maybe'][];
  offPatterns: string[];
  /** LINUX_VERSION_CODE, and the version as the user gave it (or "newest"). */
  kernelVersion: { code: number; text: string };
  /** Build flags by absolute path. */
  files: [string, FileFlags][];
  /** Build flags of every file below a folder (a Kbuild Makefile's), by absolute path. */
  dirs: [string, FileFlags][];
  /** Absolute paths of files the build leaves out (a Makefile that does not compile them). */
  excluded: string[];
  /** The workspace's macros worth expanding at lowering, by name (null: ambiguous). */
  macros: [string, MacroDef | null][];
  /** The functions the workspace's headers declare or define (a macro calling one is worth expanding). */
  functions: string[];
}

/** A symbol's answer, and the rule that gave it (for "Show configuration symbols"). */
export interface Answer {
  state: SymbolState;
  reason: string;
}

const UNKNOWN: SymbolState = { defined: undefined };
const OFF: SymbolState = { defined: false };
const RESERVED_RE = /^_[_A-Z]/;

export type ConfigSettings = Pick<Settings, 'defines' | 'undefines' | 'offByDefault' | 'kernelVersion'>;

/** The configuration the settings alone give (no file read): the start of every discovery. */
export function settingsConfigData(settings: ConfigSettings): ConfigData {
  const version = parseKernelVersion(settings.kernelVersion);
  return {
    mode: 'kernel',
    sources: [],
    user: userSymbols(settings.defines, settings.undefines),
    kconfigs: [],
    headers: [],
    owned: [],
    offPatterns: [...settings.offByDefault],
    kernelVersion: version === undefined ? NEWEST_KERNEL : { code: version, text: settings.kernelVersion },
    files: [],
    dirs: [],
    excluded: [],
    macros: [],
    functions: [],
  };
}

export class Configuration {
  private readonly user: Map<string, SymbolState>;
  private readonly kconfigs: Map<string, string>[];
  private readonly headers: Map<string, SymbolState>;
  private readonly owned: Map<string, 'defines' | 'maybe'>;
  private readonly off: OffPatterns;
  private readonly files: Map<string, FileFlags>;
  private readonly dirs: Map<string, FileFlags>;
  private readonly excludedFiles: Set<string>;
  readonly macros: Map<string, MacroDef | null>;
  readonly functions: ReadonlySet<string>;
  private print: string | undefined;

  constructor(readonly data: ConfigData) {
    this.user = new Map(data.user.map(([k, v]) => [k, v === null ? OFF : { defined: true, value: v }]));
    this.kconfigs = data.kconfigs.map((k) => new Map(k.symbols));
    this.headers = new Map(data.headers);
    this.owned = new Map(data.owned);
    this.off = new OffPatterns(data.offPatterns);
    this.files = new Map(data.files);
    this.dirs = new Map(data.dirs);
    this.excludedFiles = new Set(data.excluded);
    this.macros = new Map(data.macros);
    this.functions = new Set(data.functions);
  }

  /** A hash of everything answers depend on: caches of analysis results key on it. */
  get fingerprint(): string {
    this.print ??= createHash('sha256')
      .update(JSON.stringify({ ...this.data, sources: undefined }))
      .digest('hex')
      .slice(0, 32);
    return this.print;
  }

  /** Whether the build leaves this file out (a Makefile whose object lists do not name it). */
  leavesOut(absPath: string): boolean {
    return this.excludedFiles.has(absPath);
  }

  /** The build flags of one file: its folder's (the nearest with any), then its own. */
  private flagsOf(absPath: string): FileFlags | undefined {
    const own = this.files.get(absPath);
    let folder: FileFlags | undefined;
    if (this.dirs.size) {
      for (let dir = path.dirname(absPath); !folder; dir = path.dirname(dir)) {
        folder = this.dirs.get(dir);
        if (dir === path.dirname(dir)) break;
      }
    }
    if (!folder) return own;
    if (!own) return folder;
    return { flags: [...folder.flags, ...own.flags], kconfig: own.kconfig ?? folder.kconfig };
  }

  /** The lookup for one file (its build flags by absolute path, when the build has any). */
  lookupFor(absPath: string | undefined): SymbolLookup {
    const explain = this.explainerFor(absPath);
    return (name) => explain(name).state;
  }

  /** The answer for each symbol in one file, and which rule gave it (see the module comment). */
  explainerFor(absPath: string | undefined): (name: string) => Answer {
    const flags = absPath === undefined ? undefined : this.flagsOf(absPath);
    const kconfigIndex = flags?.kconfig ?? this.data.kconfig;
    const kconfig = kconfigIndex === undefined ? undefined : this.kconfigs[kconfigIndex];
    const kconfigFile = kconfigIndex === undefined ? '' : this.data.kconfigs[kconfigIndex].file;
    const own = flags && flags.flags.length ? new Map(flags.flags) : undefined;
    const base = (name: string): Answer | undefined => {
      const user = this.user.get(name);
      if (user) return { state: user, reason: 'settings (lockscope.defines/undefines)' };
      // The kernel's own macro: a driver header's definition is a shim for other systems.
      if (name === 'LINUX_VERSION_CODE')
        return {
          state: { defined: true, value: String(this.data.kernelVersion.code) },
          reason: `kernel version ${this.data.kernelVersion.text}`,
        };
      if (own?.has(name)) {
        const v = own.get(name)!;
        return { state: v === null ? OFF : { defined: true, value: v }, reason: 'build flags' };
      }
      if (kconfig && name.startsWith('CONFIG_')) {
        const v = kconfig.get(name);
        return { state: v === undefined ? OFF : { defined: true, value: v }, reason: kconfigFile };
      }
      const header = this.headers.get(name);
      return header && { state: header, reason: "the workspace's headers" };
    };
    // The system the build targets: its macros answer as the configuration says, other systems' are off.
    const target = TARGET_OS_MACROS.find((group) => base(group[0])?.state.defined === true);
    return (name: string): Answer => {
      const known = base(name);
      if (known) return known;
      if (NEVER_IN_KERNEL_C.includes(name)) return { state: OFF, reason: 'never set in kernel C' };
      if (target && !target.includes(name) && TARGET_OS_MACROS.some((group) => group.includes(name)))
        return { state: OFF, reason: `another system than ${target[0]}` };
      // A user's CONFIG_X decides its `m` twin CONFIG_X_MODULE too.
      if (name.endsWith('_MODULE') && this.user.has(name.slice(0, -'_MODULE'.length)))
        return { state: OFF, reason: 'settings (lockscope.defines/undefines)' };
      if (this.off.isOff(name)) return { state: OFF, reason: 'off by default (lockscope.offByDefault)' };
      if (this.data.mode === 'driver') return this.closedWorld(name);
      return { state: UNKNOWN, reason: 'no configuration sets it' };
    };
  }

  private closedWorld(name: string): Answer {
    const owned = this.owned.get(name);
    if (owned === 'maybe') return { state: UNKNOWN, reason: 'set only under conditions left open' };
    if (owned === 'defines') return { state: OFF, reason: "the driver's configuration does not set it" };
    if (name.startsWith('CONFIG_') || RESERVED_RE.test(name))
      return { state: UNKNOWN, reason: "the kernel's, which no configuration gives" };
    return { state: OFF, reason: 'nothing in the driver defines it' };
  }

  /**
   * Whether facts read under `deps` (FileFacts.configDeps) still hold for the file at
   * `absPath`: every symbol it asked about gets the same answer now.
   */
  holds(deps: readonly [string, string][] | undefined, absPath: string): boolean {
    if (!deps || deps.length === 0) return true;
    const lookup = this.lookupFor(absPath);
    return deps.every(([name, code]) => answerCode(lookup(name)) === code);
  }

  /**
   * A short description for the status item and logs: the files the configuration came from,
   * or "default: debug options off" when there is none (the headers alone are no configuration).
   */
  describe(): string {
    const files = this.data.sources.filter((s) => s.kind !== 'headers' && s.kind !== 'settings');
    return files.length ? files.map((s) => describeSource(s)).join(', ') : 'default: debug options off';
  }
}

export interface ConfigStats {
  /** One line: "compile_commands.json (3,412 files), .config (4,211 options set)" or "default: debug options off". */
  description: string;
  sources: { kind: string; file?: string; detail: string }[];
  /** `driver`: a driver's own, closed configuration; `kernel`: symbols nothing decides keep both arms. */
  mode: 'kernel' | 'driver';
  kernelVersion: string;
}

/** The configuration as the JSON report's `stats.config` gives it. */
export function configStats(config: Configuration): ConfigStats {
  return {
    description: config.describe(),
    sources: config.data.sources,
    mode: config.data.mode,
    kernelVersion: config.data.kernelVersion.text,
  };
}

export function describeSource(s: ConfigSource): string {
  const name = s.file ? s.file.replace(/^.*[\\/]/, '') : s.kind;
  return s.detail ? `${name} (${s.detail})` : name;
}

/** The settings' symbols: `defines` (as 1, or NAME=value) and `undefines`. */
export function userSymbols(
  defines: readonly string[],
  undefines: readonly string[],
): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const d of defines) {
    const eq = d.indexOf('=');
    out.push(eq < 0 ? [d, '1'] : [d.slice(0, eq), d.slice(eq + 1)]);
  }
  for (const u of undefines) out.push([u, null]);
  return out;
}
