/**
 * The workspace's macros: their definitions (read from `#define` lines in code the
 * configuration keeps), and which of them hide control flow or calls worth seeing.
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

/**
 * Bodies worth expanding at lowering: they change control flow (`return`, `goto`, `break`,
 * `continue`), are statement expressions or loop headers, or call something (a lock, a sleep,
 * a helper): otherwise the invocation reads the same as a call to nothing.
 */
const EXPANDABLE_RE = /\b(?:return|goto|break|continue|for|while|if)\b|\(\{|\b[a-z_]\w*\s*\(/;
/** Bodies that cannot be expressions or statements: declarations, attributes, types, asm. */
const NOT_CODE_RE = /^\s*(?:static|extern|struct|union|enum|typedef|__attribute__|asm)\b|^\s*$/;

export function isExpandable(def: MacroDef): boolean {
  return def.params !== undefined && EXPANDABLE_RE.test(def.body) && !NOT_CODE_RE.test(def.body);
}

/** An object-like macro naming a gfp mask (`#define FOO_GFP (GFP_KERNEL | __GFP_NOWARN)`). */
export function isGfpMask(def: MacroDef): boolean {
  return def.params === undefined && /\b__?GFP_\w+/.test(def.body) && !/[;{}]/.test(def.body);
}
