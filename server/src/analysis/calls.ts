/**
 * Call semantics: what a call event does to the caller's lock state, from the knowledge base
 * (kernel APIs) or from the summaries of the workspace functions it may reach.
 */
import type { Knowledge } from '../kb/knowledge';
import type { ApiFact, Effect, LockOp } from '../kb/types';
import type { FunctionRef } from '../workspace/index';
import type { TypeEnv } from './classes';
import type { Arg, CallEvent } from './ir';
import { argPath } from './lower-text';
import {
  type ChainStep,
  type Guard,
  type LockInfo,
  type Op,
  type Summary,
  PSEUDO_LOCKS,
  prependStep,
} from './model';

export interface CallContext {
  kb: Knowledge;
  env: TypeEnv;
  /** Workspace functions the call may reach (direct or through a function pointer). */
  targets(event: CallEvent): FunctionRef[];
  summaryOf(ref: FunctionRef): Summary | undefined;
}

export function opsOfCall(event: CallEvent, ctx: CallContext): Op[] {
  const name = event.callee;
  const fact = name ? ctx.kb.fact(name) : undefined;
  if (fact) return opsOfFact(name!, fact, event, ctx);
  const ops: Op[] = [];
  for (const target of ctx.targets(event)) {
    const summary = ctx.summaryOf(target);
    if (summary) ops.push(...opsOfSummary(target.fn.name, summary, event, ctx));
  }
  return ops;
}

function step(event: CallEvent, callee: string, ctx: CallContext): ChainStep {
  return { fn: ctx.env.fn.name, file: ctx.env.file, range: event.range, callee };
}

function lockOfOp(op: LockOp, event: CallEvent, ctx: CallContext): LockInfo {
  const mode = op.mode ?? 'write';
  const base = { kind: op.kind, mode, recursiveRead: !!op.recursiveRead };
  const arg = op.arg !== undefined ? event.args[op.arg] : undefined;
  const classArg = op.classArg !== undefined ? event.args[op.classArg] : undefined;
  if (classArg && arg) {
    const cls = ctx.kb.aliasClass(classArg.text.replace(/^&/, '') + (op.argClassSuffix ?? ''), undefined);
    const instance = ctx.env.lockOf(arg);
    return { ...base, cls, expr: instance.expr, param: instance.param, local: instance.local };
  }
  if (op.cls)
    return { ...base, cls: op.cls, expr: arg ? `${op.cls}(${arg.text.replace(/^&/, '')})` : op.cls };
  if (!arg) return { ...base, cls: '?', expr: '?' };
  const resolved = ctx.env.lockOf(arg);
  return { ...base, cls: resolved.cls, expr: resolved.expr, param: resolved.param, local: resolved.local };
}

function opsOfFact(name: string, fact: ApiFact, event: CallEvent, ctx: CallContext): Op[] {
  const chain = [step(event, name, ctx)];
  const ops: Op[] = [];
  if (fact.release) {
    const lock = lockOfOp(fact.release, event, ctx);
    ops.push({ op: 'release', lock, chain });
  }
  if (fact.acquire) {
    ops.push({
      op: 'acquire',
      lock: lockOfOp(fact.acquire, event, ctx),
      chain,
      conditional: fact.conditional,
    });
  }
  const assertArg = fact.assertHeld !== undefined ? event.args[fact.assertHeld] : undefined;
  if (assertArg) ops.push({ op: 'assert-held', lock: declaredLock(assertArg, ctx) });
  const mightArg = fact.mightLock !== undefined ? event.args[fact.mightLock] : undefined;
  if (mightArg) ops.push({ op: 'inside', lock: declaredLock(mightArg, ctx), chain });
  for (const effect of fact.effects ?? []) ops.push({ op: 'effect', effect, chain });
  if (fact.contextCheck) ops.push({ op: 'context-check' });
  if (fact.gfpArg !== undefined) ops.push(...gfpOps(event.args[fact.gfpArg], chain, ctx));
  if (fact.flush) {
    const arg = event.args[fact.flush.arg];
    if (arg) ops.push({ op: 'flush', target: fact.flush.target, key: ctx.env.lockOf(arg).cls, chain });
  }
  return ops;
}

/** A lock named by an annotation: its kind comes from the declared type (mutex when unknown). */
export function declaredLock(arg: Arg, ctx: { env: TypeEnv }): LockInfo {
  const lock = ctx.env.lockOf(arg);
  return { ...lock, kind: ctx.env.declaredKind(arg) ?? 'mutex', mode: 'write', recursiveRead: false };
}

/** An allocation's gfp argument: reclaims, does not, or passes the caller's parameter through. */
function gfpOps(arg: Arg | undefined, chain: ChainStep[], ctx: CallContext): Op[] {
  if (!arg) return [];
  const reclaims = ctx.kb.gfpReclaims(arg.text);
  if (reclaims === true)
    return [
      { op: 'effect', effect: 'reclaim', chain },
      { op: 'effect', effect: 'sleep', chain },
    ];
  if (reclaims === false) return [];
  const path = argPath(arg);
  const param = path && path.fields.length === 0 ? ctx.env.paramOf(path) : undefined;
  return param !== undefined ? [{ op: 'reclaim-if-param', index: param, chain }] : [];
}

function opsOfSummary(callee: string, summary: Summary, event: CallEvent, ctx: CallContext): Op[] {
  const here = step(event, callee, ctx);
  const ops: Op[] = [];
  for (const r of summary.releases) {
    ops.push({ op: 'release', lock: mapLock(r.lock, event, ctx, callee), chain: prependStep(here, r.chain) });
  }
  for (const a of summary.acquires) {
    const lock = mapLock(a.lock, event, ctx, callee);
    ops.push({ op: 'acquire', lock, chain: prependStep(here, a.chain), conditional: a.conditional });
  }
  for (const i of summary.inside) {
    if (ruledOut(i.when, event)) continue;
    ops.push({ op: 'inside', lock: mapLock(i.lock, event, ctx, callee), chain: prependStep(here, i.chain) });
  }
  for (const [effect, chain] of Object.entries(summary.effects) as [Effect, ChainStep[]][]) {
    if (ruledOut(summary.effectGuards[effect], event)) continue;
    const without = summary.effectWithout[effect];
    ops.push({
      op: 'effect',
      effect,
      chain: prependStep(here, chain),
      without: without?.length ? without : undefined,
    });
  }
  for (const r of summary.reclaimIfParam) {
    ops.push(...gfpOps(event.args[r.index], prependStep(here, r.chain), ctx));
  }
  for (const f of summary.flushes) {
    if (ruledOut(f.when, event)) continue;
    ops.push({ op: 'flush', target: f.target, key: f.key, chain: prependStep(here, f.chain) });
  }
  return ops;
}

/** A constant argument (`false`, `0`, `NULL`, `true`, `1`) that contradicts the callee's guard. */
function ruledOut(guard: Guard | undefined, event: CallEvent): boolean {
  if (!guard) return false;
  const text = event.args[guard.index]?.text;
  const truthy =
    text === 'true' || text === '1'
      ? true
      : text === 'false' || text === '0' || text === 'NULL'
        ? false
        : undefined;
  return truthy !== undefined && truthy !== guard.truthy;
}

/** Maps a callee's parameter-relative lock to the caller's argument (`param0->lock` -> `dev->lock`). */
function mapLock(lock: LockInfo, event: CallEvent, ctx: CallContext, callee: string): LockInfo {
  // A callee's local is another object than anything the caller names the same way.
  if (!lock.param) return lock.local ? calleeLocal(lock, callee) : lock;
  const arg = event.args[lock.param.index];
  const argAt = arg && argPath(arg);
  if (!argAt) return { ...lock, param: undefined };
  const base = arg.text.replace(/^&\s*/, '');
  const suffix = lock.param.fields.map((f) => `->${f}`).join('');
  const path = { root: argAt.root, fields: [...argAt.fields, ...lock.param.fields] };
  const resolved = ctx.env.lockOf({ text: base + suffix, path });
  // Keep the callee's class when the caller cannot type the argument better.
  const cls = resolved.resolved || lock.cls.startsWith('?') ? resolved.cls : lock.cls;
  return { ...lock, cls, expr: resolved.expr, param: resolved.param, local: resolved.local };
}

/** A callee's local lock as its callers see it, made once per lock and callee (summaries are shared). */
const calleeLocals = new WeakMap<LockInfo, Map<string, LockInfo>>();

function calleeLocal(lock: LockInfo, callee: string): LockInfo {
  let byCallee = calleeLocals.get(lock);
  if (!byCallee) calleeLocals.set(lock, (byCallee = new Map()));
  let mapped = byCallee.get(callee);
  if (!mapped)
    byCallee.set(callee, (mapped = { ...lock, expr: `${callee}()::${lock.expr.replace(/^\w+\(\)::/, '')}` }));
  return mapped;
}

export function pseudoLock(effect: Effect): LockInfo | undefined {
  const p = PSEUDO_LOCKS[effect];
  return p ? { cls: p.cls, expr: p.cls, kind: p.kind, mode: p.mode, recursiveRead: false } : undefined;
}
