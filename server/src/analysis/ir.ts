/**
 * The lowered form of a C file: plain data (no syntax tree), so it can be cached, sent between
 * threads and kept for closed files cheaply.
 */

/** 0-based source range. */
export interface Range {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/**
 * An lvalue-ish expression reduced to a root and a field path: `&mm->i915->mm_lock` is
 * root var `mm`, fields [i915, mm_lock]. Indexes and derefs are dropped: classes ignore them.
 */
export interface AccessPath {
  root: PathRoot;
  fields: string[];
}

export type PathRoot =
  | { kind: 'var'; name: string }
  | { kind: 'call'; fn: string }
  | { kind: 'type'; type: string }
  | { kind: 'unknown' };

export interface Arg {
  /** Normalised source text (whitespace collapsed). */
  text: string;
  /**
   * Absent when the path is what the text reads as (most arguments: facts stay small); `null`
   * when the argument has no path although its text looks like one. Read it with argPath.
   */
  path?: AccessPath | null;
}

export interface CallEvent {
  kind: 'call';
  /**
   * The call's ordinal in its function (0, 1, ...). What analysis derives per call lives in
   * arrays indexed by it: a workspace has millions of calls, and hash maps keyed by millions
   * of objects slow down (V8's identity hashes have 21 bits) and load the garbage collector.
   */
  n: number;
  /** Direct callee name; undefined for calls through pointers. */
  callee?: string;
  /** `obj->ops->bind(...)`: the object path (`obj->ops`) and the called field (`bind`). */
  via?: { object: AccessPath; field: string };
  args: Arg[];
  range: Range;
  /** `ret = mutex_lock_interruptible(...)`: the variable receiving the result. */
  resultVar?: string;
  /** Inserted by lowering (a guard's release at scope exit), not written by the user. */
  synthetic?: boolean;
  /**
   * A copy, on the exit a walk takes when the iterator runs out, of an unlock in its body of
   * an element's lock (`list_for_each_entry(t, ...) spin_unlock(&t->lock)`), and on the exit of
   * a loop around such a walk (a hash table's buckets). It releases what a lock-all walk over
   * earlier elements left held (the `t->lock'` marks) and nothing else: the unlock-all walk
   * runs zero times only when the list is empty, and then the lock-all walk took nothing
   * either. Not a call for rules.
   */
  walkEnd?: true;
  /**
   * Written in the arguments of a macro that neither the workspace nor the knowledge table
   * defines (`CTR6(KTR_DRM, fmt, foo_read(x))`, from a header outside the workspace): whether,
   * and when, the macro evaluates them is unknown. The macro's name.
   */
  inArgsOf?: string;
}

/** An assignment to a variable: forgets what conditions said about it. */
export interface AssignEvent {
  kind: 'assign';
  name: string;
  /** What is assigned, when it is a constant or another variable (`ret = -EINVAL`, `locked = true`). */
  value?: ValueExpr;
}

/**
 * A returned or assigned value as far as the analysis follows values (analysis/values): a
 * constant's range (a bit set), a variable, or the result of the block's event at an index.
 */
export type ValueExpr = { values: number } | { var: string } | { call: number };

export type Event = CallEvent | AssignEvent;

/** The variable an event assigns: an assignment's, or the one a call's result is stored in. */
export function assignedName(e: Event): string | undefined {
  return e.kind === 'assign' ? e.name : e.resultVar;
}

/** What a branch tests, so trylocks and correlated conditions can be followed. */
export interface Condition {
  /** Index (in the block's events) of the call whose result is tested, if any. */
  call?: number;
  /** The variable tested (`if (ret)`), if any. */
  variable?: string;
  /**
   * Text of a condition atom for correlation: a flag test of `variable` (`flags & FOO`), or,
   * without a variable, a predicate call whose answer holds while no variable in it is
   * assigned (`foo_uses_mutex(pool)`).
   */
  atom?: string;
  /**
   * For a test of a call's result or a variable's value: the ranges (analysis/values) for which
   * the test holds (`x < 0`: negative; `IS_ERR(p)`: negative; `p == NULL`: zero). Absent: nonzero.
   */
  trueFor?: number;
  /** The ranges for which it fails, when not all the others (`x == -EDEADLK` fails for any x). */
  falseFor?: number;
  /** Whether the test holds on this edge. */
  truthy: boolean;
  /**
   * A test of a counter's read-modify-write (ApiFact.counter, `atomic_inc_return(&n) == 1`):
   * each call counts anew, so its answer is not correlated with an earlier one, only kept as a
   * path fact under `atom` (replacing the previous call's) for rules to tell which side of
   * the gate a path took.
   */
  gate?: true;
  /**
   * A `switch` on the call's result: the case label this edge takes, or none for the default
   * edge, which takes the values of no other label (`others`).
   */
  case?: { value?: string; others: string[] };
}

export interface Edge {
  to: number;
  cond?: Condition;
}

export interface Block {
  events: Event[];
  succ: Edge[];
  /** Set when the block ends the function: where (the return statement or closing brace). */
  exit?: Range;
  /** What an exit returns, when the analysis can follow it. */
  ret?: ValueExpr;
}

export interface Param {
  name: string;
  type?: string;
}

export interface FunctionIR {
  name: string;
  range: Range;
  nameRange: Range;
  isStatic: boolean;
  params: Param[];
  /** Declared types of locals (scope-insensitive: kernel code rarely shadows). */
  locals: Record<string, string>;
  /**
   * Locals that only ever hold one path of another variable (`tl = ce->timeline`, assigned once,
   * and `ce` not assigned after): a lock reached through them is reached through that path.
   */
  aliases?: Record<string, AccessPath>;
  returnType?: string;
  blocks: Block[];
  /** `__must_hold(x)` and friends: locks held on entry. */
  mustHold: Arg[];
  /** `__acquires(x)` / `__releases(x)`: documented summary facts. */
  acquiresAnnot: Arg[];
  releasesAnnot: Arg[];
  /** The body is calls only, no other work (see analysis/primer.ts): a priming function may be. */
  callsOnly?: true;
}

export interface StructDef {
  name: string;
  /** Field name -> type name (struct tag or typedef, pointers dropped). */
  fields: Record<string, string>;
}

/** A function's address stored somewhere: `.bind = foo_bind` or `ops->bind = foo_bind`. */
export interface FunctionStore {
  /** Struct type holding the field when known from the initializer's declared type. */
  structType?: string;
  /** For assignments inside functions: the object path and the function to type it in. */
  object?: AccessPath;
  inFunction?: string;
  field: string;
  fn: string;
  range: Range;
  /** The initializer (`{ .a = x, .b = y }`, at its position in the file) storing it, if any. */
  table?: string;
}

export interface FileLock {
  name: string;
  kind: string;
  range: Range;
  isStatic: boolean;
}

export interface FileFacts {
  path: string;
  functions: FunctionIR[];
  structs: StructDef[];
  /** typedef name -> underlying struct tag or type name. */
  typedefs: Record<string, string>;
  /** File-scope variables -> type. */
  globals: Record<string, string>;
  fileLocks: FileLock[];
  stores: FunctionStore[];
  /** 0-based lines carrying `lockscope-ignore: rule ...`, with the rule ids. */
  suppressions: Record<number, string[]>;
  /** Count of ERROR nodes the parser produced (surfaced in stats, never fatal). */
  parseErrors: number;
  /** Macros whose value is a bit flag or a mask of them (see analysis/flags), by name. */
  flagMacros?: Record<string, string>;
  /**
   * Conditional arms kept because the configuration did not decide them (0-based lines, from
   * the directive to the next one of its chain): a finding whose witness runs through them
   * depends on a configuration nobody chose.
   */
  unknownArms?: UnknownArm[];
  /** The configuration's answers the file was read under, symbol and answer: the facts hold while these do. */
  configDeps?: [string, string][];
  /** Notes from reading the file under its configuration (0-based lines). */
  configNotes?: { line: number; message: string }[];
  /**
   * The file's `#include` lines (as written) and whether the configuration compiles them: a
   * file included only where the configuration turns the include off is not compiled at all.
   */
  includes?: Include[];
}

export interface Include {
  file: string;
  live: boolean;
  /** `#include <file>` (searched on the include path), not `#include "file"`. */
  angle?: true;
}

export interface UnknownArm {
  line: number;
  endLine: number;
  /** The symbol the configuration did not decide. */
  symbol: string;
  /** The arms did not form whole statements: this one, the first, is the only one analysed. */
  firstOnly?: true;
}
