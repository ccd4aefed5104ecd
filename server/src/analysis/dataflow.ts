/**
 * Intraprocedural lock-state dataflow over a function's CFG.
 *
 * Each program point carries a small set of concrete states (held locks, facts about tested
 * conditions, pending trylock results) rather than one merged state: that keeps "held on this
 * path" exact through `goto out_unlock` unwinding and correlated `if (need) lock` pairs. When a
 * point collects too many states they are merged (precision traded for termination).
 */
import { isNestingKind } from '../kb/types';
import { splitFlagAtom } from './flags';
import type { AssignEvent, Block, CallEvent, Condition, FunctionIR, Range } from './ir';
import type { Conditional, HeldLock, LockInfo, LockState, Op } from './model';

const MAX_STATES = 16;
const MAX_FACTS = 8;
const MAX_VISITS = 64;

export interface DataflowHooks {
  /** The ops of a call event (knowledge base or callee summaries). */
  opsOf(event: CallEvent): Op[];
  /** Called once per event in the final pass, with the states just before it. */
  observe?(event: CallEvent, ops: Op[], before: readonly LockState[]): void;
  /** A release that matched no lock taken in this function (unlock wrapper or stray unlock). */
  releasedForeign?(op: Extract<Op, { op: 'release' }>, state: LockState): void;
}

export interface ExitState {
  range: Range;
  states: LockState[];
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

/** A mark (failedMark, maybeReleasedMark), not a released lock. */
export function isMark(entry: string): boolean {
  return entry.startsWith('\u0000');
}

export function makeState(
  held: readonly HeldLock[],
  released: readonly string[],
  facts: LockState['facts'],
  pending: LockState['pending'],
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
  key += '|';
  for (const [v] of pending) key += intern(v) + ',';
  // `dropped` stays out of the key: paths that differ only in it would multiply the states
  // (and their merges blur the held sets); the first path's view wins.
  return { held, released, facts, pending, dropped, key };
}

export function runDataflow(fn: FunctionIR, entry: LockState, hooks: DataflowHooks): ExitState[] {
  const blocks = fn.blocks;
  if (blocks.length === 0) return [];
  const opsCache = new Map<CallEvent, Op[]>();
  const opsOf = (e: CallEvent): Op[] => {
    let ops = opsCache.get(e);
    if (!ops) opsCache.set(e, (ops = hooks.opsOf(e)));
    return ops;
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
        else target.push(next);
        changed = true;
      }
      if (target && target.length > MAX_STATES) inStates[edge.to] = widen(target);
      if (changed && !queued[edge.to]) {
        queued[edge.to] = 1;
        work.push(edge.to);
      }
    }
  }
  // Final pass: every reachable block once, with observation, collecting exit states.
  const exits: ExitState[] = [];
  for (let b = 0; b < blocks.length; b++) {
    const states = inStates[b];
    if (!states) continue;
    const outs = transferBlock(blocks[b], states, opsOf, hooks);
    const exit = blocks[b].exit;
    if (exit) exits.push({ range: exit, states: outs });
  }
  return exits;
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
    let tested = false;
    if (event.kind === 'call') {
      ops = opsOf(event);
      hooks?.observe?.(event, ops, cur);
      // Most calls do nothing to the lock state: no new array for them.
      if (ops.length === 0 && !event.resultVar) continue;
      tested = testedByBranch(block, i);
    }
    // A new array only from the first state the event changes.
    let next: LockState[] | undefined;
    for (let j = 0; j < cur.length; j++) {
      const s = cur[j];
      const t =
        event.kind === 'call' ? applyCall(event, ops, s, tested, hooks, block) : assign(s, event, block);
      if (next) next.push(t);
      else if (t !== s) (next = cur.slice(0, j)).push(t);
    }
    if (next) cur = dedupe(next);
  }
  return cur;
}

function hasEdgeTo(block: Block, to: number): boolean {
  for (const edge of block.succ) if (edge.to === to) return true;
  return false;
}

/** Whether a branch leaving the block tests the result of its event `i`. */
function testedByBranch(block: Block, i: number): boolean {
  for (const edge of block.succ) if (edge.cond?.call === i) return true;
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
  if (!s.held.length && !s.facts.length && !s.pending.length && !s.released.length) return s;
  const re = wordPattern(name);
  const facts = s.facts.filter(([atom]) => !re.test(atom));
  const pending = s.pending.filter(([v]) => v !== name);
  const stale = s.held.some((h) => !h.entry && re.test(h.expr) && !h.expr.endsWith("'"));
  if (facts.length === s.facts.length && pending.length === s.pending.length && !stale) return s;
  // One mark is enough (and keeps loops converging): "some earlier value of the variable".
  const held = stale
    ? s.held.map((h) =>
        !h.entry && re.test(h.expr) && !h.expr.endsWith("'") ? { ...h, expr: `${h.expr}'` } : h,
      )
    : s.held;
  const released = s.released.filter((r) => !re.test(r));
  return makeState(held, released, facts, pending, s.dropped);
}

/** An assignment: what was known of the variable goes; a boolean literal is known again. */
function assign(s: LockState, event: AssignEvent, block: Block): LockState {
  const t = overwrite(s, event.name, block);
  if (event.value === undefined || t.facts.length >= MAX_FACTS) return t;
  return makeState(t.held, t.released, [...t.facts, [event.name, event.value]], t.pending, t.dropped);
}

/**
 * The variable gets a new value. A conditional acquire's result still pending, from a call in
 * this same block, was overwritten before any branch could test it (`ret |= foo()` after
 * `ret = mutex_lock_interruptible(&m)`): on the paths where it failed nothing is held, and an
 * unlock there releases what was never taken.
 */
function overwrite(s: LockState, name: string, block: Block): LockState {
  const untested = s.pending.find(([v]) => v === name)?.[1];
  const t = forgetVar(s, name);
  return untested?.at && block.events.includes(untested.at) ? failed(t, untested.lock) : t;
}

const wordPatterns = new Map<string, RegExp>();

/** `\bname\b`, compiled once per variable name. */
function wordPattern(name: string): RegExp {
  let re = wordPatterns.get(name);
  if (!re) wordPatterns.set(name, (re = new RegExp(`\\b${name.replace(/\W/g, '')}\\b`)));
  return re;
}

function applyCall(
  event: CallEvent,
  ops: Op[],
  state: LockState,
  testedByBranch: boolean,
  hooks: DataflowHooks | undefined,
  block: Block,
): LockState {
  let s = event.resultVar ? overwrite(state, event.resultVar, block) : state;
  for (const op of ops) {
    switch (op.op) {
      case 'acquire':
        // An enum result untested by a switch: no telling whether it was taken.
        if (op.cases) break;
        if (op.conditional) {
          if (testedByBranch) break; // the branch edges decide
          if (event.resultVar) {
            const success = op.conditional === 'nonzero-success';
            const pending = [
              ...s.pending.filter(([v]) => v !== event.resultVar),
              [event.resultVar, { lock: op.lock, chain: op.chain, success, at: event }] as const,
            ];
            s = makeState(s.held, s.released, s.facts, pending, s.dropped);
            break;
          }
        }
        s = acquire(s, op.lock, op.chain, op.conditional);
        break;
      case 'release':
        s = release(s, op, hooks);
        break;
      case 'assert-held':
        if (!s.held.some((h) => sameLock(h, op.lock))) {
          s = withHeld(s, [
            ...s.held,
            { ...op.lock, chain: [], entry: 'asserted held (lockdep_assert_held)' },
          ]);
        }
        break;
      default:
        break;
    }
  }
  return s;
}

function sameLock(a: LockInfo, b: LockInfo): boolean {
  return a.expr === b.expr || (a.cls === b.cls && !a.cls.startsWith('?'));
}

function withHeld(s: LockState, held: HeldLock[]): LockState {
  return makeState(held, s.released, s.facts, s.pending, s.dropped);
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
    s.pending,
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
  if (idx < 0) idx = findLast(s.held, (h) => h.expr === `${lock.expr}'`);
  if (idx < 0) idx = findLast(s.held, (h) => h.cls === lock.cls && !lock.cls.startsWith('?'));
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
      s.pending,
      s.dropped,
    );
  if (idx < 0 || s.held[idx].entry) hooks?.releasedForeign?.(op, s);
  // The caller's lock (or one held on entry) is dropped from here on: what follows runs without it.
  const dropped = s.dropped.includes(lock.cls) ? s.dropped : [...s.dropped, lock.cls];
  if (idx < 0) {
    // Not ours: an unlock wrapper's business, or a double unlock (reported by the rule).
    return s.released.includes(lock.expr) ? s : makeState(s.held, s.released, s.facts, s.pending, dropped);
  }
  const held = s.held.filter((_, i) => i !== idx);
  if (s.held[idx].entry) return makeState(held, s.released, s.facts, s.pending, dropped);
  const released = op.partial ? maybeReleasedMark(s.held[idx].expr) : s.held[idx].expr;
  return makeState(held, [...s.released, released], s.facts, s.pending, s.dropped);
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
  return makeState(s.held, [...s.released, mark], s.facts, s.pending, s.dropped);
}

function findLast<T>(list: readonly T[], pred: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i])) return i;
  return -1;
}

/** Follows a branch edge: trylock outcomes, pending results, known conditions; undefined = infeasible. */
function applyEdge(
  block: Block,
  cond: Condition | undefined,
  s: LockState,
  opsOf: (e: CallEvent) => Op[],
): LockState | undefined {
  if (!cond) return s;
  let next = s;
  if (cond.call !== undefined) {
    const event = block.events[cond.call];
    if (event?.kind === 'call') {
      for (const op of opsOf(event)) {
        if (op.op !== 'acquire') continue;
        if (op.cases && cond.case) next = switchCase(next, op, cond.case);
        else if (op.conditional) {
          const success = cond.truthy === (op.conditional === 'nonzero-success');
          next = success ? acquire(next, op.lock, op.chain) : failed(next, op.lock);
        }
      }
    }
  }
  if (cond.variable !== undefined) {
    const pending = next.pending.find(([v]) => v === cond.variable);
    if (pending) {
      const [, p] = pending;
      const rest = next.pending.filter(([v]) => v !== cond.variable);
      next = makeState(next.held, next.released, next.facts, rest, next.dropped);
      next = cond.truthy === p.success ? acquire(next, p.lock, p.chain) : failed(next, p.lock);
    }
  }
  if (cond.atom !== undefined) {
    const known = next.facts.find(([a]) => a === cond.atom);
    if (known) return known[1] === cond.truthy ? next : undefined;
    if (next.facts.length < MAX_FACTS) {
      const facts = [...next.facts, [cond.atom, cond.truthy] as const];
      next = makeState(next.held, next.released, facts, next.pending, next.dropped);
    }
  }
  return next;
}

/**
 * Too many states at a block: first forget what paths know of their flag tests (`flags & X`),
 * which tell apart paths that hold the same locks (a function testing four flags has sixteen
 * paths); only if that is not enough, merge them into one as before.
 */
function widen(states: LockState[]): LockState[] {
  const fewer = dedupe(
    states.map((s) => {
      const facts = s.facts.filter(([atom]) => splitFlagAtom(atom) === undefined);
      return facts.length === s.facts.length ? s : makeState(s.held, s.released, facts, s.pending, s.dropped);
    }),
  );
  return fewer.length <= MAX_STATES ? fewer : [mergeStates(states)];
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
