/**
 * Conditions on parameters (guards): what a function's paths know of its parameters where an
 * effect happens or where it returns, and how a call site's arguments decide them. A guard is
 * a conjunction of parameter tests; several occurrences of an effect keep only the tests they
 * share (the weaker condition). At a call, a constant argument decides a test, an argument that
 * is one of the caller's variables turns it into a test of that variable (which the caller's
 * paths decide, or pass on to the caller's own callers when it is a parameter), and any other
 * argument leaves the test undecided.
 */
import { assignedName, type Event, type FunctionIR } from './ir';
import { CONSTANT_NAME_RE, splitFlagAtom, splitNamesAtom } from './path-facts';
import type { CallerTest, Guard, LockState, ParamTest } from './model';
import { ANY_VALUE, constantValues } from './values';

/** Tests kept per guard. */
const MAX_TESTS = 3;

/** Parameters the function never assigns: tests of them are tests of what the caller passed. */
export function unassignedParams(fn: FunctionIR): Set<string> {
  const names = new Set(fn.params.map((p) => p.name));
  for (const b of fn.blocks)
    for (const e of b.events) {
      const name = assignedName(e);
      if (name) names.delete(name);
    }
  return names;
}

/**
 * Per event, the parameters no path to it has assigned yet: there, tests of them are still tests
 * of what the caller passed (`flush(gt, timeout)` before a later `timeout = wait(...)`).
 * `stable`: the parameters never assigned (unassignedParams).
 */
export function paramsUnassignedAt(
  fn: FunctionIR,
  stable: ReadonlySet<string>,
): (event: Event) => ReadonlySet<string> {
  const all = new Set(fn.params.map((p) => p.name));
  if (stable.size === all.size) return () => stable;
  const assignedAfter = new Map<Event, Set<string>>();
  const mark = (e: Event, name: string) => {
    let s = assignedAfter.get(e);
    if (!s) assignedAfter.set(e, (s = new Set()));
    s.add(name);
  };
  for (const name of all) {
    if (stable.has(name)) continue;
    // Blocks reached after an assignment: every event there may see the new value.
    const reached = new Set<number>();
    const queue: number[] = [];
    fn.blocks.forEach((b) =>
      b.events.forEach((e, i) => {
        const assigns = assignedName(e) === name;
        if (!assigns) return;
        for (const later of b.events.slice(i + 1)) mark(later, name);
        for (const edge of b.succ) queue.push(edge.to);
      }),
    );
    while (queue.length) {
      const b = queue.pop()!;
      if (reached.has(b)) continue;
      reached.add(b);
      for (const e of fn.blocks[b].events) mark(e, name);
      for (const edge of fn.blocks[b].succ) queue.push(edge.to);
    }
  }
  const cache = new Map<Event, ReadonlySet<string>>();
  return (event) => {
    const assigned = assignedAfter.get(event);
    if (!assigned) return all;
    let s = cache.get(event);
    if (!s) cache.set(event, (s = new Set([...all].filter((n) => !assigned.has(n)))));
    return s;
  };
}

/**
 * Where a function assigns a parameter only on paths that tested it (`if (timeout > 0) timeout =
 * wait(timeout);`), a test of its later value still says something of what the caller passed:
 * on a path that assigned it, the value passed lay in the range known at the assignment (each
 * assignment sees either the value passed or one an earlier assignment made, under the same
 * reasoning). So `flush(gt, timeout)` after that assignment runs for `timeout != 0` only if it
 * was non-zero on entry, and a caller passing 0 rules it out.
 */
export class AssignedParams {
  /** Per parameter assigned somewhere: assignments not seen yet. */
  private readonly pending = new Map<string, number>();
  /** Per parameter: the union of the ranges its value lay in at the assignments seen. */
  private readonly ranges = new Map<string, number>();

  constructor(fn: FunctionIR, stable: ReadonlySet<string>) {
    const names = new Set(fn.params.map((p) => p.name));
    for (const b of fn.blocks)
      for (const e of b.events) {
        const name = assignedName(e);
        if (name === undefined || !names.has(name) || stable.has(name)) continue;
        this.pending.set(name, (this.pending.get(name) ?? 0) + 1);
        this.ranges.set(name, 0);
      }
  }

  /** Whether assignments to `name` are followed. */
  watches(name: string): boolean {
    return this.pending.has(name);
  }

  /** An assignment to `name` where the paths know its value lies in `range`. */
  observe(name: string, range: number): void {
    const left = this.pending.get(name);
    if (left === undefined) return;
    this.pending.set(name, left - 1);
    this.ranges.set(name, this.ranges.get(name)! | range);
  }

  /** The range of the value passed, on the paths that assigned `name` (ANY_VALUE: unknown). */
  entryRange(name: string): number {
    return this.pending.get(name) === 0 ? this.ranges.get(name)! : ANY_VALUE;
  }
}

/** What a path knows of the parameters: their values' ranges and flags tested in them. */
export function paramTests(fn: FunctionIR, stable: ReadonlySet<string>, s: LockState): ParamTest[] {
  const out: ParamTest[] = [];
  for (const [name, values] of s.vals) {
    if (out.length >= MAX_TESTS || !stable.has(name)) continue;
    out.push({ index: fn.params.findIndex((p) => p.name === name), values });
  }
  for (const [atom, set] of s.facts) {
    if (out.length >= MAX_TESTS) break;
    const flag = splitFlagAtom(atom);
    if (flag && stable.has(flag[0])) out.push({ index: paramIndex(fn, flag[0]), flag: flag[1], set });
    const named = flag ? undefined : splitNamesAtom(atom);
    if (!named || !stable.has(named[0])) continue;
    const test: ParamTest = { index: paramIndex(fn, named[0]), names: named[1], in: set };
    const at = out.findIndex((t) => sameKind(t, test));
    if (at < 0) out.push(test);
    else out[at] = bothNames(out[at], test);
  }
  return out;
}

/** Both tests of named constants: one of what both allow, or none of what either excludes. */
function bothNames(t: ParamTest, u: ParamTest): ParamTest {
  if (!t.in && !u.in)
    return {
      index: t.index,
      names: [...t.names!, ...u.names!.filter((n) => !t.names!.includes(n))],
      in: false,
    };
  const [allowed, other] = t.in ? [t, u] : [u, t];
  const names = allowed.names!.filter((n) => other.names!.includes(n) === !!other.in);
  return { index: t.index, names, in: true };
}

function paramIndex(fn: FunctionIR, name: string): number {
  return fn.params.findIndex((p) => p.name === name);
}

/** Whether two tests are of one parameter and of one kind (its range, one flag, named constants). */
function sameKind(t: ParamTest, u: ParamTest): boolean {
  return u.index === t.index && u.flag === t.flag && !u.names === !t.names;
}

/**
 * Either test of named constants (`x` one of A, or none of B): one of both lists, none of what
 * both exclude, or none of what one excludes and the other does not allow; undefined when that
 * says nothing.
 */
function eitherNames(t: ParamTest, u: ParamTest): ParamTest | undefined {
  const a = t.names!;
  const b = u.names!;
  const names =
    t.in && u.in
      ? [...a, ...b.filter((n) => !a.includes(n))]
      : !t.in && !u.in
        ? a.filter((n) => b.includes(n))
        : t.in
          ? b.filter((n) => !a.includes(n))
          : a.filter((n) => !b.includes(n));
  if (names.length === 0) return undefined;
  return { index: t.index, names, in: !!(t.in && u.in) };
}

/** The parameter tests every path agrees on (their values in the union of the paths' ranges). */
export function guardOf(fn: FunctionIR, stable: ReadonlySet<string>, states: readonly LockState[]): Guard {
  if (states.length === 0 || stable.size === 0) return [];
  let tests = paramTests(fn, stable, states[0]);
  for (let i = 1; i < states.length && tests.length; i++)
    tests = commonTests(tests, paramTests(fn, stable, states[i]));
  return tests;
}

/** The tests that hold on the paths of both lists (a weaker condition: their disjunction's). */
export function commonTests(a: readonly ParamTest[], b: readonly ParamTest[]): ParamTest[] {
  const out: ParamTest[] = [];
  for (const t of a) {
    const u = b.find((x) => sameKind(t, x));
    if (!u) continue;
    if (t.names) {
      const either = eitherNames(t, u);
      if (either) out.push(either);
    } else if (t.flag !== undefined) {
      if (t.set === u.set) out.push(t);
    } else {
      const values = (t.values ?? ANY_VALUE) | (u.values ?? ANY_VALUE);
      if (values !== ANY_VALUE) out.push(values === t.values ? t : { index: t.index, values });
    }
  }
  return out;
}

/** Both lists: the tests of either (at most MAX_TESTS; a contradiction keeps both, harmlessly). */
export function allTests(a: readonly ParamTest[], b: readonly ParamTest[]): ParamTest[] {
  if (b.length === 0) return a as ParamTest[];
  const out = a.slice();
  for (const t of b) if (out.length < MAX_TESTS && !out.some((x) => sameKind(t, x))) out.push(t);
  return out;
}

/** Whether no path can satisfy both lists of tests. */
export function exclusive(a: readonly ParamTest[], b: readonly ParamTest[]): boolean {
  return a.some((t) =>
    b.some(
      (u) =>
        sameKind(t, u) &&
        (t.names
          ? disjointNames(t, u)
          : t.flag !== undefined
            ? t.set !== u.set
            : ((t.values ?? ANY_VALUE) & (u.values ?? ANY_VALUE)) === 0),
    ),
  );
}

/** Whether no value is both one `t` allows and one `u` allows. */
function disjointNames(t: ParamTest, u: ParamTest): boolean {
  if (t.in && u.in) return !t.names!.some((n) => u.names!.includes(n));
  if (t.in) return t.names!.every((n) => u.names!.includes(n));
  if (u.in) return u.names!.every((n) => t.names!.includes(n));
  return false;
}

export interface Instantiated {
  /** A constant argument contradicts a test: the guarded thing does not happen at this call. */
  ruledOut: boolean;
  /** Tests of the caller's variables that stand for the remaining tests. */
  when: CallerTest[];
  /** Some test's argument is neither a constant nor a variable: it stays undecided. */
  undecided: boolean;
}

const NOTHING: Instantiated = Object.freeze({ ruledOut: false, when: [], undecided: false }) as Instantiated;

/** A callee's guard at a call (see the module comment). */
export function instantiate(
  guard: Guard | undefined,
  args: readonly { text: string }[],
  flagSet: (text: string, flag: string) => boolean | undefined,
): Instantiated {
  if (!guard || guard.length === 0) return NOTHING;
  const when: CallerTest[] = [];
  let undecided = false;
  for (const t of guard) {
    const outcome = argumentTest(t, args[t.index]?.text, flagSet);
    if (outcome === false) return { ruledOut: true, when: [], undecided: false };
    if (outcome === undefined) undecided = true;
    else if (outcome !== true) when.push(outcome);
  }
  return { ruledOut: false, when, undecided };
}

/**
 * A parameter test at a call: true or false when the argument is a constant that decides it,
 * a test of the caller's variable when the argument is one, undefined otherwise.
 */
export function argumentTest(
  t: ParamTest,
  text: string | undefined,
  flagSet: (text: string, flag: string) => boolean | undefined,
): boolean | CallerTest | undefined {
  if (text === undefined) return undefined;
  if (t.names) {
    // A named constant other than those listed is another value (enumerators, register blocks).
    if (t.names.includes(text) || CONSTANT_NAME_RE.test(text)) return t.names.includes(text) === !!t.in;
    return IDENTIFIER_RE.test(text) ? { name: text, names: t.names, in: !!t.in } : undefined;
  }
  if (t.flag !== undefined) {
    const set = flagSet(text, t.flag);
    if (set !== undefined) return set === !!t.set;
    return IDENTIFIER_RE.test(text) ? { name: text, flag: t.flag, set: !!t.set } : undefined;
  }
  if (t.values === undefined) return undefined;
  const values = constantValues(text);
  if (values !== undefined) return (values & t.values) !== 0;
  return IDENTIFIER_RE.test(text) ? { name: text, values: t.values } : undefined;
}

const IDENTIFIER_RE = /^[A-Za-z_]\w*$/;

/**
 * A caller's tests as tests of its own parameters, where they are (by name): parameters not
 * assigned on any path to the call, and value tests of assigned ones whose assignments all
 * happened under a known range (AssignedParams: either range then).
 */
export function asParamTests(
  when: readonly CallerTest[] | undefined,
  fn: FunctionIR,
  stable: ReadonlySet<string>,
  assigned?: AssignedParams,
): ParamTest[] {
  const out: ParamTest[] = [];
  for (const t of when ?? []) {
    const index = fn.params.findIndex((p) => p.name === t.name);
    if (!stable.has(t.name)) {
      if (index < 0 || t.values === undefined || !assigned) continue;
      const values = t.values | assigned.entryRange(t.name);
      if (values !== ANY_VALUE) out.push({ index, values });
      continue;
    }
    out.push(
      t.names
        ? { index, names: t.names, in: !!t.in }
        : t.flag !== undefined
          ? { index, flag: t.flag, set: !!t.set }
          : { index, values: t.values },
    );
  }
  return out;
}
