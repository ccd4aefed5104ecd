/**
 * The workspace's macros: their definitions, read from `#define` lines in code the
 * configuration keeps.
 */

export interface MacroDef {
  name: string;
  /** Parameter names of a function-like macro (`...` as `__VA_ARGS__`); absent: object-like. */
  params?: string[];
  body: string;
  /** 0-based line of the definition. */
  line: number;
}

/** Macros by name; `null`: defined differently in arms the configuration leaves open (not expanded). */
export type MacroTable = Map<string, MacroDef | null>;

const DEFINE_RE = /^([A-Za-z_]\w*)(\(([^)]*)\))?/;

/** Parses the argument of a `#define` (comments already removed). */
export function parseDefine(arg: string, line: number): MacroDef | undefined {
  const m = DEFINE_RE.exec(arg);
  if (!m) return undefined;
  const body = arg.slice(m[0].length).trim();
  if (m[2] === undefined) return { name: m[1], body, line };
  const params = m[3]
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => (p === '...' ? '__VA_ARGS__' : p.replace(/\.\.\.$/, '')));
  return { name: m[1], params, body, line };
}
