/**
 * Intraprocedural lock-state dataflow over a function's CFG.
 *
 * Each program point carries a small set of concrete states (held locks, facts about tested
 * conditions, pending trylock results) rather than one merged state: that keeps "held on this
 * path" exact through `goto out_unlock` unwinding and correlated `if (need) lock` pairs. When a
 * point collects too many states they are merged (precision traded for termination).
 */
import { isNestingKind } from '../kb/types';
import { flagAtom, isVariableAtom, namesAtom, splitFlagAtom, splitNamesAtom } from './path-facts';
import {
  type AssignEvent,
  type Block,
  type CallEvent,
  type Condition,
  type FunctionIR,
  type Range,
  type ValueExpr,
  assignedName,
} from './ir';
import type { CallCase, CallerTest, Conditional, HeldLock, LockInfo, LockState, Op } from './model';
import { ANY_VALUE, NEGATIVE, NONZERO, POSITIVE, ZERO, errOrZero } from './values';

const MAX_STATES = 16;
const MAX_FACTS = 8;
const MAX_VALS = 8;
const MAX_VISITS = 64;

export interface DataflowHooks {
  /** The ops of a call event (knowledge base or callee summaries). */
  opsOf(event: CallEvent): Op[];
  /** Called once per event in the final pass, with the states just before it. */
  observe?(event: CallEvent, ops: Op[], before: readonly LockState[]): void;
  /**
   * Variables whose assignments observeAssign sees: once each, with the states just before it,
   * all of them before the final pass observes any call.
   */
  watchesAssign?(name: string): boolean;
  observeAssign?(name: string, before: readonly LockState[]): void;
  /** A release that matched no lock taken in this function (unlock wrapper or stray unlock). */
  releasedForeign?(op: Extract<Op, { op: 'release' }>, state: LockState): void;
}

export interface ExitState {
  range: Range;
  states: LockState[];
  /** What each state returns there (analysis/values), by the state's position. */
  returns: number[];
}

/**
 * State keys are built millions of times on a big driver: every lock identity and every string
 * gets a small number once, so a key is a short list of numbers.
 */
const internTable = new Map<string, number>();
/** Bumped by resetInterning: ids stamped on held locks by an earlier analysis are stale. */
let generation = 0;
const HELD_ID = Symbol('heldId');
type Stamped = HeldLock & { [HELD_ID]?: { generation: number; id: number } };

/** Called at the start of a workspace analysis: keys are only compared within one. */
export function resetInterning(): void {
  internTable.clear();
  wordPatterns.clear();
  generation++;
}

function intern(text: string): number {
  let id = internTable.get(text);
  if (id === undefined) internTable.set(text, (id = internTable.size));
  return id;
}

/** A held lock's identity number, stamped on the object (a WeakMap this hot costs more). */
function heldId(h: Stamped): number {
  const stamp = h[HELD_ID];
  if (stamp && stamp.generation === generation) return stamp.id;
  const id = intern(`${h.cls}@${h.expr}@${h.mode}${h.entry ? '@entry' : ''}`);
  // Not enumerable: `{ ...h, expr }` copies must not inherit the stamp.
  Object.defineProperty(h, HELD_ID, { value: { generation, id }, writable: true, configurable: true });
  return id;
}

/**
 * Kept in a state's `released` list: this function's own conditional acquire of `expr` failed on
 * this path (an unlock of it here releases what was never taken).
 */
export function failedMark(expr: string): string {
  return `\u0000failed:${expr}`;
}

/**
 * Kept in a state's `released` list: a callee released `expr` on some of its paths only (it
 * drops its caller's lock on an error path): an unlock of it afterwards is the caller's own.
 */
function maybeReleasedMark(expr: string): string {
  return `\u0000maybe:${expr}`;
}

/** HeldLock.entry of a lock (or disabled interrupts) an assertion says is held here. */
export const ASSERTED_ENTRY = 'asserted held (lockdep_assert_held)';

/** A mark (failedMark, maybeReleasedMark), not a released lock. */
export function isMark(entry: string): boolean {
  return entry.startsWith('\u0000');
}

export function makeState(
  held: readonly HeldLock[],
  released: readonly string[],
  facts: LockState['facts'],
  vals: LockState['vals'],
  dropped: readonly string[] = [],
): LockState {
  let key = '';
  for (const h of held) key += heldId(h) + ',';
  key += '|';
  // A failed acquire's mark stays out of the key: paths that differ only in it would multiply
  // the states (a trylock in a loop), and their merge blurs the held sets.
  for (const r of released) if (!isMark(r)) key += intern(r) + ',';
  key += '|';
  for (const [a, v] of facts) key += `${intern(a)}${v ? '+' : '-'},`;
  const lockKey = key;
  if (vals.length) {
    key += '|';
    for (const [v, values] of vals) key += `${intern(v)}:${values},`;
  }
  // `dropped` stays out of the key: paths that differ only in it would multiply the states
  // (and their merges blur the held sets); the first path's view wins.
  return { held, released, facts, vals, dropped, key, lockKey };
}

/**
 * Two paths into a block that differ only in what they know of values become one, knowing
 * the union of both ranges (`ret = 0` on one and `ret = -EINVAL` on the other: either). Values
 * matter where they tell paths with different locks apart, and those paths stay apart; a later
 * test splits the joined range again. Without this, every constant assigned on some path would
 * double the paths after it.
 */
function joinValues(a: LockState, b: LockState): LockState {
  const vals: (readonly [string, number])[] = [];
  for (const [name, values] of a.vals) {
    const other = b.vals.find(([n]) => n === name);
    if (other && (values | other[1]) !== ANY_VALUE) vals.push([name, values | other[1]]);
  }
  if (vals.length === a.vals.length && vals.every(([, v], i) => v === a.vals[i][1])) return a;
  return makeState(a.held, a.released, a.facts, vals, a.dropped);
}

export function runDataflow(fn: FunctionIR, entry: LockState, hooks: DataflowHooks): ExitState[] {
  const blocks = fn.blocks;
  if (blocks.length === 0) return [];
  const params = new Set(fn.params.map((p) => p.name));
  const opsCache = new Map<CallEvent, Op[]>();
  const raw = (e: CallEvent): Op[] => {
    let ops = opsCache.get(e);
    if (!ops) opsCache.set(e, (ops = hooks.opsOf(e)));
    return ops;
  };
  // Releases of array elements (`bufs[i]->lock`) say whether the function takes that name itself.
  let takenHere: Set<string> | undefined;
  const elementOps = new Map<CallEvent, Op[]>();
  const opsOf = (e: CallEvent): Op[] => {
    const ops = raw(e);
    if (!ops.some((op) => op.op === 'release' && op.lock.expr.includes('['))) return ops;
    let marked = elementOps.get(e);
    if (!marked) {
      const own = (takenHere ??= acquiredNames(fn, raw));
      marked = ops.map((op) =>
        op.op === 'release' && own.has(op.lock.expr) ? { ...op, takenHere: true } : op,
      );
      elementOps.set(e, marked);
    }
    return marked;
  };
  // Per block, its distinct entry states in arrival order (a handful: arrays beat maps here);
  // undefined until the first arrives (most blocks get one: an array of one then).
  const inStates = new Array<LockState[] | undefined>(blocks.length);
  inStates[0] = [entry];
  const visits = new Uint8Array(blocks.length);
  const work: number[] = [0];
  const queued = new Uint8Array(blocks.length);
  queued[0] = 1;
  while (work.length) {
    const b = work.shift()!;
    queued[b] = 0;
    if (visits[b] >= MAX_VISITS) continue;
    visits[b]++;
    const block = blocks[b];
    // A self-loop edge adds to this block's states while its outputs are read: a copy then
    // (transferBlock may return the array it was given).
    const own = inStates[b]!;
    const outs = transferBlock(block, hasEdgeTo(block, b) ? own.slice() : own, opsOf, undefined);
    for (const edge of block.succ) {
      let changed = false;
      let target = inStates[edge.to];
      for (const s of outs) {
        const next = applyEdge(block, edge.cond, s, opsOf);
        if (!next) continue;
        if (!target) target = inStates[edge.to] = [next];
        else if (hasKey(target, next.key)) continue;
        else {
          const same = target.findIndex((t) => t.lockKey === next.lockKey);
          if (same < 0) target.push(next);
          else {
            const joined = joinValues(target[same], next);
            if (joined === target[same]) continue;
            target[same] = joined;
          }
        }
        changed = true;
      }
      if (target && target.length > MAX_STATES) inStates[edge.to] = widen(target, params);
      if (changed && !queued[edge.to]) {
        queued[edge.to] = 1;
        work.push(edge.to);
      }
    }
  }
  // Watched assignments first (their blocks may come after a call that needs them), then the
  // final pass: every reachable block once, with observation, collecting exit states.
  if (hooks.watchesAssign) {
    const watch = {
      opsOf: hooks.opsOf,
      watchesAssign: hooks.watchesAssign,
      observeAssign: hooks.observeAssign,
    };
    for (let b = 0; b < blocks.length; b++) {
      const states = inStates[b];
      const watched = blocks[b].events.some((e) => {
        const name = assignedName(e);
        return name !== undefined && hooks.watchesAssign!(name);
      });
      if (states && watched) transferBlock(blocks[b], states, opsOf, watch);
    }
  }
  const finalHooks = hooks.watchesAssign ? { ...hooks, watchesAssign: undefined } : hooks;
  const exits: ExitState[] = [];
  for (let b = 0; b < blocks.length; b++) {
    const states = inStates[b];
    if (!states) continue;
    const block = blocks[b];
    const outs = transferBlock(block, states, opsOf, finalHooks);
    if (block.exit)
      exits.push({ range: block.exit, states: outs, returns: outs.map((s) => returnedValues(block, s)) });
  }
  return exits;
}

/** The lock names a function's own calls acquire (Op.takenHere). */
function acquiredNames(fn: FunctionIR, opsOf: (e: CallEvent) => Op[]): Set<string> {
  const names = new Set<string>();
  for (const block of fn.blocks)
    for (const e of block.events)
      if (e.kind === 'call' && !e.walkEnd)
        for (const op of opsOf(e)) {
          if (op.op === 'acquire') names.add(op.lock.expr);
          // A lock helper whose result is tested: its acquires are in its return cases.
          if (op.op === 'cases')
            for (const c of op.cases) for (const o of c.ops) if (o.op === 'acquire') names.add(o.lock.expr);
        }
  return names;
}

/** What an exit block returns on a path (analysis/values). */
function returnedValues(block: Block, s: LockState): number {
  const ret = block.ret;
  if (!ret) return ANY_VALUE;
  if ('values' in ret) return ret.values;
  if ('var' in ret) return valueOf(s, ret.var);
  const event = block.events[ret.call];
  return event?.kind === 'call' ? valueOf(s, resultKey(event)) : ANY_VALUE;
}

/** The name under which a path keeps what a call returned while its block's branch tests it. */
function resultKey(event: CallEvent): string {
  return `@${event.n}`;
}

function transferBlock(
  block: Block,
  states: LockState[],
  opsOf: (e: CallEvent) => Op[],
  hooks: DataflowHooks | undefined,
): LockState[] {
  let cur = states;
  const events = block.events;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    let ops: Op[] = [];
    let used = false;
    const assigned = assignedName(event);
    if (assigned !== undefined && hooks?.watchesAssign?.(assigned)) hooks.observeAssign?.(assigned, cur);
    if (event.kind === 'call' && event.walkEnd) {
      const marks = opsOf(event).flatMap((op) => (op.op === 'release' ? [staleName(op.lock.expr)] : []));
      cur = dedupe(cur.map((s) => releaseMarks(s, marks)));
      continue;
    }
    if (event.kind === 'call') {
      ops = opsOf(event);
      hooks?.observe?.(event, ops, cur);
      used = resultUsed(block, i);
      // Most calls do nothing to the lock state: no new array for them.
      if (ops.length === 0 && !event.resultVar) continue;
    }
    // A new array only from the first state the event changes.
    let next: LockState[] | undefined;
    for (let j = 0; j < cur.length; j++) {
      const s = cur[j];
      if (event.kind === 'call' && used) {
        const forks = applyUsedCall(event, ops, s, hooks);
        if (!next && (forks.length !== 1 || forks[0] !== s)) next = cur.slice(0, j);
        if (next) next.push(...forks);
        continue;
      }
      const t = event.kind === 'call' ? applyCall(event, ops, s, hooks) : assign(s, event);
      if (next) next.push(t);
      else if (t !== s) (next = cur.slice(0, j)).push(t);
    }
    if (next) cur = dedupe(next);
  }
  return cur;
}

/** A lock name marked by forgetVar: the lock reached through some earlier value of its variable. */
export function isStale(expr: string): boolean {
  return expr.endsWith("'");
}

/** The mark of `expr` reached through an earlier value of its variable (see isStale). */
function staleName(expr: string): string {
  return `${expr}'`;
}

/** A lock name of the function's own: neither a stale mark nor a callee's local (calls.ts). */
function ownName(expr: string): boolean {
  return !isStale(expr) && !expr.includes('()::');
}

/** The state without the held marks named (CallEvent.walkEnd), each recorded as released. */
function releaseMarks(s: LockState, marks: string[]): LockState {
  const gone = s.held.filter((h) => !h.entry && marks.includes(h.expr));
  if (!gone.length) return s;
  return makeState(
    s.held.filter((h) => !gone.includes(h)),
    [...s.released, ...gone.map((h) => h.expr)],
    s.facts,
    s.vals,
    s.dropped,
  );
}

/** Whether the call's result is kept, tested by the branch ending the block, or returned. */
function resultUsed(block: Block, i: number): boolean {
  const event = block.events[i] as CallEvent;
  if (event.resultVar !== undefined) return true;
  const ret = block.ret;
  if (ret && 'call' in ret && ret.call === i) return true;
  for (const edge of block.succ) if (edge.cond?.call === i) return true;
  return false;
}

function hasEdgeTo(block: Block, to: number): boolean {
  for (const edge of block.succ) if (edge.to === to) return true;
  return false;
}

function hasKey(states: readonly LockState[], key: string): boolean {
  for (const s of states) if (s.key === key) return true;
  return false;
}

/** The distinct states, first occurrence first (at most MAX_STATES-ish: a linear scan is cheapest). */
function dedupe(states: LockState[]): LockState[] {
  if (states.length < 2) return states;
  const out: LockState[] = [];
  for (const s of states) if (!hasKey(out, s.key)) out.push(s);
  return out.length === states.length ? states : out;
}

/**
 * `name` was assigned: conditions about it are forgotten, and locks reached through it now
 * name another object (`for_each(...) { x = ...; mutex_lock(&x->lock); }` takes a different
 * lock each time round), so their expressions are marked as the previous value's.
 */
function forgetVar(s: LockState, name: string): LockState {
  // Most states on most paths hold nothing and know nothing: nothing to forget.
  if (!s.held.length && !s.facts.length && !s.released.length) {
    if (!s.vals.some(([v]) => v === name)) return s;
    return makeState(
      s.held,
      s.released,
      s.facts,
      s.vals.filter(([v]) => v !== name),
      s.dropped,
    );
  }
  const re = wordPattern(name);
  const facts = s.facts.filter(([atom]) => !re.test(atom));
  const vals = s.vals.filter(([v]) => v !== name);
  const stale = s.held.some((h) => !h.entry && re.test(h.expr) && !isStale(h.expr));
  if (facts.length === s.facts.length && vals.length === s.vals.length && !stale) return s;
  // One mark is enough (and keeps loops converging): "some earlier value of the variable".
  // A loop taking each element's lock (`list_for_each_entry(t, ...) spin_lock(&t->lock)`) marks
  // the lock again every time round: one held entry stands for all the earlier elements, else
  // the held list grows until the states are widened and every correlation is lost.
  const held = stale ? markStale(s.held, re) : s.held;
  const released = s.released.filter((r) => !re.test(r));
  return makeState(held, released, facts, vals, s.dropped);
}

function markStale(held: readonly HeldLock[], re: RegExp): HeldLock[] {
  const out: HeldLock[] = [];
  for (const h of held) {
    if (h.entry || !re.test(h.expr) || isStale(h.expr)) out.push(h);
    else {
      const expr = staleName(h.expr);
      if (!held.some((o) => o.expr === expr && o.cls === h.cls && o.mode === h.mode && !o.entry))
        out.push({ ...h, expr });
    }
  }
  return out;
}

/** `x = 0`, `x = y`: the variable is forgotten, then known as what was assigned. */
function assign(s: LockState, event: AssignEvent): LockState {
  const value = event.value;
  const values = value ? valueOfExpr(s, value) : ANY_VALUE;
  const forgotten = forgetVar(s, event.name);
  return values === ANY_VALUE ? forgotten : withValue(forgotten, event.name, values);
}

function valueOfExpr(s: LockState, value: ValueExpr): number {
  if ('values' in value) return value.values;
  return 'var' in value ? valueOf(s, value.var) : ANY_VALUE;
}

/** What the path knows of a variable's value (ANY_VALUE when nothing). */
export function valueOf(s: LockState, name: string): number {
  for (const [v, values] of s.vals) if (v === name) return values;
  return ANY_VALUE;
}

/** The state knowing `name`'s value in `values` (replacing what it knew; ANY_VALUE forgets). */
function withValue(s: LockState, name: string, values: number, evict = false): LockState {
  const at = s.vals.findIndex(([v]) => v === name);
  if (at >= 0 && s.vals[at][1] === values) return s;
  const vals = at >= 0 ? s.vals.filter((_, i) => i !== at) : s.vals.slice();
  if (values !== ANY_VALUE) {
    if (vals.length >= MAX_VALS) {
      if (!evict) return at >= 0 ? makeState(s.held, s.released, s.facts, vals, s.dropped) : s;
      vals.shift();
    }
    vals.push([name, values]);
  }
  return makeState(s.held, s.released, s.facts, vals, s.dropped);
}

const wordPatterns = new Map<string, RegExp>();

/** `\bname\b`, compiled once per variable name. */
function wordPattern(name: string): RegExp {
  let re = wordPatterns.get(name);
  if (!re) wordPatterns.set(name, (re = new RegExp(`\\b${name.replace(/\W/g, '')}\\b`)));
  return re;
}

/** A call whose result nobody looks at: its ops as they are (a conditional acquire succeeds). */
function applyCall(
  event: CallEvent,
  ops: Op[],
  state: LockState,
  hooks: DataflowHooks | undefined,
): LockState {
  let s = event.resultVar ? forgetVar(state, event.resultVar) : state;
  for (const op of ops) s = applyOp(s, op, hooks);
  return s;
}

function applyOp(s: LockState, op: Op, hooks: DataflowHooks | undefined): LockState {
  switch (op.op) {
    case 'acquire':
      // An enum result no `switch` tests: no telling whether it was taken.
      if (op.cases) return s;
      return acquire(s, op.lock, op.chain, op.conditional);
    case 'release':
      return release(s, op, hooks);
    case 'assert-held':
      if (s.held.some((h) => sameLock(h, op.lock))) return s;
      return withHeld(s, [...s.held, { ...op.lock, chain: [], entry: ASSERTED_ENTRY }]);
    default:
      return s;
  }
}

/**
 * A call whose result is kept, tested or returned: one path per way it may return (a trylock
 * took the lock and returned nonzero, or did not and returned 0; each of a lock helper's
 * return cases), each knowing the result's range, so that the test that follows picks the
 * paths it fits.
 */
function applyUsedCall(
  event: CallEvent,
  ops: Op[],
  state: LockState,
  hooks: DataflowHooks | undefined,
): LockState[] {
  let base = event.resultVar ? forgetVar(state, event.resultVar) : state;
  let cases: CallCase[] | undefined;
  let result = ANY_VALUE;
  for (const op of ops) {
    if (op.op === 'cases') cases = op.cases;
    else if (op.op === 'result') result = resultOf(op, state);
  }
  // Ops that do not depend on the outcome apply first (a case's acquires follow the callee's releases).
  const outcome: Op[] = [];
  for (const op of ops) {
    if (op.op === 'acquire' && (op.conditional || (cases && op.widened))) outcome.push(op);
    else if (op.op === 'release' && cases && op.widened) continue;
    else base = applyOp(base, op, hooks);
  }
  const outcomes: Outcome[] = cases ? withFailures(cases) : conditionalCases(outcome, result);
  const out: LockState[] = [];
  for (const c of outcomes) {
    if (c.when && c.when.some((t) => contradicts(base, t))) continue;
    let s = base;
    for (const t of c.when ?? []) s = assume(s, t) ?? s;
    for (const op of c.ops) s = applyOp(s, op, hooks);
    if (c.failed) s = failed(s, c.failed);
    out.push(withResult(s, event, c.returns));
  }
  return out.length ? out : [withResult(base, event, result)];
}

/** A return case of a call, `failed`: this function's own acquire failed there. */
type Outcome = CallCase & { failed?: LockInfo };

/**
 * A callee's return cases, each that takes no lock another case takes marked as that acquire
 * failing (`foo_bo_reserve()` returns 0 holding the BO and an errno without it): an unlock on
 * that path is this function's own mistake, not a release of its caller's lock.
 */
function withFailures(cases: CallCase[]): Outcome[] {
  if (cases.length < 2) return cases;
  const takes = (c: CallCase, lock: LockInfo) =>
    c.ops.some((o) => o.op === 'acquire' && o.lock.expr === lock.expr);
  let out: Outcome[] | undefined;
  cases.forEach((c, i) => {
    for (const other of cases) {
      if (other === c) continue;
      const missed = other.ops.find((o) => o.op === 'acquire' && !takes(c, o.lock));
      if (missed?.op !== 'acquire') continue;
      const outcome: Outcome = { ...c, failed: missed.lock };
      (out ??= cases.slice())[i] = outcome;
      return;
    }
  });
  return out ?? cases;
}

/**
 * The outcomes of a call without return cases: a conditional acquire succeeds or fails (`failed`:
 * this function's own acquire failed there: an unlock on that path releases nothing).
 */
function conditionalCases(acquires: Op[], result: number): Outcome[] {
  const conditional = acquires.find((op) => op.op === 'acquire' && op.conditional);
  if (!conditional || conditional.op !== 'acquire') return [{ returns: result, ops: acquires }];
  // Lock calls that may fail return an errno (-EINTR, -EDEADLK); trylocks return 1 or 0
  // (or 0 when they took the lock, with `zero-success`).
  const zero = conditional.conditional === 'zero-success';
  const success = zero ? ZERO : POSITIVE;
  const failure = zero ? (conditional.trylock ? POSITIVE : NEGATIVE) : ZERO;
  return [
    { returns: success & result || success, ops: acquires },
    {
      returns: failure & result || failure,
      ops: acquires.filter((op) => op !== conditional),
      failed: conditional.lock,
    },
  ];
}

/**
 * The path after the call, knowing its result (under its variable, or `@n` for the branch).
 * Kept even where the path already knows MAX_VALS values (the oldest is forgotten): the branch
 * right after tests it, and without it a lock helper's failure case would reach the arm that
 * tests for its success in a long function.
 */
function withResult(s: LockState, event: CallEvent, values: number): LockState {
  return withValue(s, event.resultVar ?? resultKey(event), values, true);
}

function resultOf(op: Extract<Op, { op: 'result' }>, s: LockState): number {
  if (op.values !== undefined) return op.values;
  const values = op.fromVar ? valueOf(s, op.fromVar) : ANY_VALUE;
  return op.errOrZero ? errOrZero(values) : values;
}

/** Whether what the path knows contradicts a test of a variable. */
export function contradicts(s: LockState, t: CallerTest): boolean {
  if (t.names) return s.facts.some(([atom, value]) => namesContradict(atom, value, t));
  if (t.flag) {
    const known = s.facts.find(([a]) => a === flagAtom(t.name, t.flag!));
    if (known) return known[1] !== t.set;
    return !!t.set && valueOf(s, t.name) === ZERO;
  }
  return t.values !== undefined && (valueOf(s, t.name) & t.values) === 0;
}

/** The path knowing a test holds; undefined when it cannot. */
function assume(s: LockState, t: CallerTest): LockState | undefined {
  if (contradicts(s, t)) return undefined;
  if (t.names) return withFact(s, namesAtom(t.name, t.names), !!t.in);
  if (t.flag) return withFact(s, flagAtom(t.name, t.flag), !!t.set);
  return t.values === undefined ? s : withValue(s, t.name, valueOf(s, t.name) & t.values);
}

/**
 * Whether a known names atom rules out `t`: the variable is one of some constants none of
 * which `t` allows, or none of some constants including all `t` allows.
 */
function namesContradict(atom: string, value: boolean, t: CallerTest): boolean {
  const known = splitNamesAtom(atom);
  if (!known || known[0] !== t.name) return false;
  const [, names] = known;
  const wanted = t.names!;
  if (value) return t.in ? !names.some((n) => wanted.includes(n)) : names.every((n) => wanted.includes(n));
  return !!t.in && wanted.every((n) => names.includes(n));
}

function withFact(s: LockState, atom: string, value: boolean): LockState {
  if (s.facts.some(([a]) => a === atom) || s.facts.length >= MAX_FACTS) return s;
  return makeState(s.held, s.released, [...s.facts, [atom, value] as const], s.vals, s.dropped);
}

function sameLock(a: LockInfo, b: LockInfo): boolean {
  return a.expr === b.expr || (a.cls === b.cls && !a.cls.startsWith('?'));
}

function withHeld(s: LockState, held: HeldLock[]): LockState {
  return makeState(held, s.released, s.facts, s.vals, s.dropped);
}

export function acquire(
  s: LockState,
  lock: LockInfo,
  chain: HeldLock['chain'],
  conditional?: Conditional,
): LockState {
  // A second acquisition of the same non-nesting lock is reported (double-lock), not stacked;
  // nesting kinds and recursive readers (read_lock inside read_lock) stack.
  const again = s.held.find((h) => h.expr === lock.expr && h.cls === lock.cls);
  if (again && !isNestingKind(lock.kind) && !(again.recursiveRead && lock.recursiveRead)) return s;
  // Retaking a lock of the caller's that this function dropped: it is the caller's lock again.
  const retaken = s.dropped.includes(lock.cls) ? { entry: 'retaken after being dropped' } : {};
  const marks = [failedMark(lock.expr), maybeReleasedMark(lock.expr)];
  return makeState(
    [...s.held, conditional ? { ...lock, chain, conditional, ...retaken } : { ...lock, chain, ...retaken }],
    s.released.filter((r) => r !== lock.expr && !marks.includes(r)),
    s.facts,
    s.vals,
    s.dropped.filter((d) => d !== lock.cls),
  );
}

function release(
  s: LockState,
  op: Extract<Op, { op: 'release' }>,
  hooks: DataflowHooks | undefined,
): LockState {
  const lock = op.lock;
  if (op.every) {
    // drm_modeset_drop_locks(ctx): each held lock of the class, as one release each.
    let next = s;
    for (const h of s.held)
      if (h.cls === lock.cls) next = release(next, { ...op, lock: h, every: false }, hooks);
    return next;
  }
  let idx = findLast(s.held, (h) => h.expr === lock.expr);
  // Taken through an earlier value of its variable (marked by forgetVar): most often the same
  // object, whose address was passed to a call, and the only match when classes differ (a ww
  // context's class is named at ww_acquire_init, not at ww_acquire_fini).
  if (idx < 0) idx = findLast(s.held, (h) => h.expr === staleName(lock.expr));
  // Another element of a walk that already released that mark (one mark stands for all the
  // elements an earlier walk took): not some other lock of the class.
  if (idx < 0 && s.released.includes(staleName(lock.expr))) return s;
  // Any lock of the class, but for interrupts a callee enables with a named lock: its
  // `spin_unlock_bh(&x->l)` does not enable softirqs its caller's `spin_lock_bh(&y->l)` disabled.
  // (Here, `spin_unlock_irqrestore(&w->l)` after `spin_lock_irqsave(&d->w.l)` is one lock.)
  const instanceOfIrq =
    (lock.kind === 'irq' || lock.kind === 'bh') && lock.expr !== lock.cls && op.chain.length > 1;
  // An array element the function locks by index stands for another lock of the class only when
  // that one is held under no name of the function's (a stale mark, a callee's local).
  if (idx < 0 && !instanceOfIrq)
    idx = findLast(
      s.held,
      (h) => h.cls === lock.cls && !lock.cls.startsWith('?') && (!op.takenHere || !ownName(h.expr)),
    );
  if (idx < 0 && lock.cls.startsWith('?')) {
    // Unresolved class (ww_acquire_fini(ctx), unlock through a differently named alias): match by kind.
    idx = findLast(s.held, (h) => h.kind === lock.kind && h.cls.startsWith('?'));
  }
  // An unlock where this function's own acquire failed is a bug (lock-imbalance), not a wrapper's release.
  if (idx < 0 && s.released.includes(failedMark(lock.expr))) return s;
  const maybe = maybeReleasedMark(lock.expr);
  if (idx < 0 && s.released.includes(maybe))
    return makeState(
      s.held,
      s.released.filter((r) => r !== maybe),
      s.facts,
      s.vals,
      s.dropped,
    );
  if (idx < 0 || s.held[idx].entry) hooks?.releasedForeign?.(op, s);
  // The caller's lock (or one held on entry) is dropped from here on: what follows runs without it.
  const dropped = s.dropped.includes(lock.cls) ? s.dropped : [...s.dropped, lock.cls];
  if (idx < 0) {
    // Not ours: an unlock wrapper's business, or a double unlock (reported by the rule).
    return s.released.includes(lock.expr) ? s : makeState(s.held, s.released, s.facts, s.vals, dropped);
  }
  const held = s.held.filter((_, i) => i !== idx);
  if (s.held[idx].entry) return makeState(held, s.released, s.facts, s.vals, dropped);
  const released = op.partial ? maybeReleasedMark(s.held[idx].expr) : s.held[idx].expr;
  return makeState(held, [...s.released, released], s.facts, s.vals, s.dropped);
}

/**
 * The case of a `switch` on an enum-returning trylock: taken on its success labels, already
 * held (by the caller) on its recursion labels, failed on the others.
 */
function switchCase(
  s: LockState,
  op: Extract<Op, { op: 'acquire' }>,
  edge: NonNullable<Condition['case']>,
): LockState {
  const cases = op.cases!;
  const is = (labels: string[] | undefined) =>
    edge.value !== undefined
      ? !!labels?.includes(edge.value)
      : !!labels?.length && !labels.some((l) => edge.others.includes(l));
  if (is(cases.taken)) return acquire(s, op.lock, op.chain);
  if (is(cases.held) && !s.held.some((h) => sameLock(h, op.lock)))
    return withHeld(s, [
      ...s.held,
      { ...op.lock, chain: op.chain, entry: 'already held (recursive trylock)' },
    ]);
  return failed(s, op.lock);
}

/** This function's own acquire of `lock` failed on this path. */
function failed(s: LockState, lock: LockInfo): LockState {
  const mark = failedMark(lock.expr);
  if (s.released.includes(mark) || s.held.some((h) => h.expr === lock.expr)) return s;
  return makeState(s.held, [...s.released, mark], s.facts, s.vals, s.dropped);
}

function findLast<T>(list: readonly T[], pred: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i])) return i;
  return -1;
}

/** Follows a branch edge: what the test says of a call's result, a variable or a flag; undefined = infeasible. */
function applyEdge(
  block: Block,
  cond: Condition | undefined,
  s: LockState,
  opsOf: (e: CallEvent) => Op[],
): LockState | undefined {
  if (!cond) return s;
  let next = s;
  const holds = cond.truthy
    ? (cond.trueFor ?? NONZERO)
    : (cond.falseFor ?? ANY_VALUE & ~(cond.trueFor ?? NONZERO));
  if (cond.call !== undefined) {
    const event = block.events[cond.call];
    if (event?.kind === 'call') {
      // The call's result is known on this path only until the branch: it is forgotten here.
      const key = resultKey(event);
      if ((valueOf(next, key) & holds) === 0) return undefined;
      next = withValue(next, key, ANY_VALUE);
      // An enum-returning trylock tested by a `switch`: each label says whether it was taken.
      if (cond.case) {
        const edge = cond.case;
        for (const op of opsOf(event)) if (op.op === 'acquire' && op.cases) next = switchCase(next, op, edge);
      }
    }
  }
  // A predicate asked again of unchanged arguments (Condition.atom alone): its earlier answer.
  // Not a call that takes or drops locks (a trylock wrapper answers anew each time).
  if (cond.gate && cond.atom !== undefined) {
    const atom = cond.atom;
    const earlier = next.facts.filter(([a]) => a !== atom);
    const fresh =
      earlier.length === next.facts.length
        ? next
        : makeState(next.held, next.released, earlier, next.vals, next.dropped);
    return withFact(fresh, atom, cond.truthy);
  }
  if (cond.variable === undefined) {
    const event = cond.call !== undefined ? block.events[cond.call] : undefined;
    const locks =
      event?.kind === 'call' && opsOf(event).some((op) => op.op === 'acquire' || op.op === 'release');
    return cond.atom === undefined || locks ? next : withAnswer(next, cond.atom, cond.truthy);
  }
  const atom = cond.atom;
  if (atom === undefined || atom === cond.variable) {
    const values = valueOf(next, cond.variable) & holds;
    return values === 0 ? undefined : withValue(next, cond.variable, values);
  }
  // A flag test (`flags & FOO`: none is set in 0) or a test against named constants.
  const flag = splitFlagAtom(atom) !== undefined;
  if (flag && cond.truthy && !next.facts.some(([a]) => a === atom) && valueOf(next, cond.variable) === ZERO)
    return undefined;
  const named = flag ? undefined : splitNamesAtom(atom);
  if (named && contradicts(next, { name: named[0], names: named[1], in: cond.truthy })) return undefined;
  return withAnswer(next, atom, cond.truthy);
}

/** The path knowing `atom` is `truthy`; undefined when it knows the opposite. */
function withAnswer(s: LockState, atom: string, truthy: boolean): LockState | undefined {
  const known = s.facts.find(([a]) => a === atom);
  if (known) return known[1] === truthy ? s : undefined;
  return withFact(s, atom, truthy);
}

/**
 * Too many states at a block: first forget what paths know of their flag tests (`flags & X`),
 * which tell apart paths that hold the same locks (a function testing four flags has sixteen
 * paths); only if that is not enough, merge them into one as before.
 */
function widen(states: LockState[], params: ReadonlySet<string>): LockState[] {
  const without = (drop: (atom: string) => boolean, from: LockState[]) =>
    dedupe(
      from.map((s) => {
        const facts = s.facts.filter(([atom]) => !drop(atom));
        return facts.length === s.facts.length ? s : makeState(s.held, s.released, facts, s.vals, s.dropped);
      }),
    );
  // Which named constant a parameter is (`switch (block)`) goes last: it is what a predicate's
  // return cases are about.
  const noFlags = without((atom) => splitFlagAtom(atom) !== undefined, states);
  if (noFlags.length <= MAX_STATES) return noFlags;
  const fewer = without(isVariableAtom, noFlags);
  if (fewer.length <= MAX_STATES) return fewer;
  // Then what they know of values, but for results a branch is about to test and, while that
  // is enough, for parameters: a parameter tested twice (`if (!ww) trylock(obj); ... if (!ww)
  // unlock(obj);`) is what ties a lock to its release, and merging its paths makes one path hold
  // what the other released.
  const known = (keep: (name: string) => boolean) =>
    dedupe(
      fewer.map((s) => {
        const vals = s.vals.filter(([v]) => keep(v));
        return vals.length === s.vals.length ? s : makeState(s.held, s.released, s.facts, vals, s.dropped);
      }),
    );
  const byParams = known((v) => v.startsWith('@') || params.has(v));
  if (byParams.length <= MAX_STATES) return byParams;
  const fewest = known((v) => v.startsWith('@'));
  return fewest.length <= MAX_STATES ? fewest : [mergeStates(states)];
}

/** Widening: one state holding every lock any of them holds. */
function mergeStates(states: LockState[]): LockState {
  const held: HeldLock[] = [];
  for (const s of states)
    for (const h of s.held) if (!held.some((x) => x.expr === h.expr && x.cls === h.cls)) held.push(h);
  const released = states[0].released.filter((r) => states.every((s) => s.released.includes(r)));
  const dropped = states[0].dropped.filter((d) => states.every((s) => s.dropped.includes(d)));
  return makeState(held, released, [], [], dropped);
}
