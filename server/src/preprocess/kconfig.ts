/**
 * Kernel configuration files: a `.config` (`CONFIG_X=y`, `=m`, a number or a string,
 * `# CONFIG_X is not set`), the `include/generated/autoconf.h` made from it (`#define CONFIG_X 1`,
 * `#define CONFIG_X_MODULE 1`), and `include/generated/uapi/linux/version.h` for
 * LINUX_VERSION_CODE. Read as text, never run; a line that is none of these makes the file
 * malformed (one message naming the line), and the caller falls back to the default.
 */
import type { KconfigSymbols } from './config';

export type KconfigRead = { symbols: KconfigSymbols } | { error: string };

const CONFIG_LINE_RE = /^(CONFIG_\w+)=(.*)$/;
const NOT_SET_RE = /^#\s*CONFIG_\w+ is not set\s*$/;
const DEFINE_RE = /^#define\s+(\w+)\s+(.*?)\s*$/;

/** A `.config` file: `y` is CONFIG_X as 1, `m` is CONFIG_X_MODULE as 1 (as autoconf.h has them). */
export function parseDotConfig(file: string, text: string): KconfigRead {
  const symbols: [string, string][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || NOT_SET_RE.test(line) || line.startsWith('#')) continue;
    const m = CONFIG_LINE_RE.exec(line);
    if (!m) return { error: `${file}:${i + 1}: not a .config line: ${clip(line)}` };
    const [, name, value] = m;
    if (value === 'y') symbols.push([name, '1']);
    else if (value === 'm') symbols.push([`${name}_MODULE`, '1']);
    else if (value !== 'n') symbols.push([name, value]);
  }
  return { symbols: { file, symbols } };
}

/** An autoconf.h: its `#define` lines, comments and blank lines. */
export function parseAutoconf(file: string, text: string): KconfigRead {
  const symbols: [string, string][] = [];
  let inComment = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (inComment) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      inComment = false;
      line = line.slice(end + 2).trim();
    }
    if (line.startsWith('/*')) {
      if (!line.includes('*/')) inComment = true;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    const m = DEFINE_RE.exec(line);
    if (!m) return { error: `${file}:${i + 1}: not an autoconf.h line: ${clip(line)}` };
    symbols.push([m[1], m[2]]);
  }
  return { symbols: { file, symbols } };
}

/** LINUX_VERSION_CODE from a generated version.h, when it has one. */
export function versionCodeOf(text: string): number | undefined {
  const m = /^#define\s+LINUX_VERSION_CODE\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** `.config` or autoconf.h, told apart by their content. */
export function parseKconfigFile(file: string, text: string): KconfigRead {
  return /^\s*(#define|\/\*)/.test(text) ? parseAutoconf(file, text) : parseDotConfig(file, text);
}

function clip(line: string): string {
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
