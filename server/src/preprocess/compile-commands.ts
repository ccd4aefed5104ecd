/**
 * compile_commands.json (what clangd, clang-tidy and CodeChecker read): per file, the `-D`,
 * `-U`, `-include`/`-imacros` and `-I` arguments of its compiler command. The command is split
 * as a shell would split it and read, never run. A file that is not a JSON array of entries
 * with `directory`, `file` and `arguments` or `command` is malformed: one message, and the
 * caller falls back to the default.
 */
import * as path from 'node:path';

export interface CompileEntry {
  /** Absolute path of the source file. */
  file: string;
  /** `-D` (value, `1` when none) and `-U` (null), in command-line order. */
  flags: [string, string | null][];
  /** Absolute paths of `-include`/`-imacros` files. */
  includes: string[];
  /** Absolute `-I`/`-isystem`/`-iquote` folders. */
  includeDirs: string[];
}

export type CompileCommandsRead = { entries: CompileEntry[] } | { error: string };

export function parseCompileCommands(file: string, text: string): CompileCommandsRead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { error: `${file}:${jsonErrorLine(text, e)}: not valid JSON (${(e as Error).message})` };
  }
  if (!Array.isArray(raw)) return { error: `${file}:1: expected a JSON array of compile commands` };
  const entries: CompileEntry[] = [];
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as Record<string, unknown>;
    const args = Array.isArray(e?.arguments)
      ? (e.arguments as unknown[])
      : typeof e?.command === 'string'
        ? shellWords(e.command)
        : undefined;
    if (
      !e ||
      typeof e !== 'object' ||
      typeof e.directory !== 'string' ||
      typeof e.file !== 'string' ||
      !args ||
      !args.every((a) => typeof a === 'string')
    )
      return {
        error: `${file}: entry ${i + 1}: expected "directory", "file" and "arguments" (or "command") strings`,
      };
    // A relative "directory" starts where the database is (as clangd reads it).
    entries.push(readCommand(path.resolve(path.dirname(file), e.directory), e.file, args as string[]));
  }
  return { entries };
}

function readCommand(directory: string, file: string, args: string[]): CompileEntry {
  const abs = (p: string) => path.resolve(directory, p);
  const out: CompileEntry = { file: abs(file), flags: [], includes: [], includeDirs: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => args[++i] ?? '';
    if (a === '-D' || a === '-U') symbolFlag(out, a, next());
    else if (a.startsWith('-D') || a.startsWith('-U')) symbolFlag(out, a.slice(0, 2), a.slice(2));
    else if (a === '-include' || a === '-imacros') out.includes.push(abs(next()));
    else if (a === '-I' || a === '-isystem' || a === '-iquote' || a === '-idirafter')
      out.includeDirs.push(abs(next()));
    else if (a.startsWith('-I')) out.includeDirs.push(abs(a.slice(2)));
  }
  return out;
}

function symbolFlag(out: CompileEntry, kind: string, text: string): void {
  if (kind === '-U') {
    out.flags.push([text, null]);
    return;
  }
  const eq = text.indexOf('=');
  out.flags.push(eq < 0 ? [text, '1'] : [text.slice(0, eq), text.slice(eq + 1)]);
}

/** Splits a command line as sh does: quotes group, backslashes escape; nothing is expanded. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]))
        word += command[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The line of a JSON.parse error, from the position V8 names in its message. */
function jsonErrorLine(text: string, e: unknown): number {
  const m = /position (\d+)/.exec(e instanceof Error ? e.message : '');
  if (!m) return 1;
  return text.slice(0, Number(m[1])).split('\n').length;
}
