/**
 * Whether a function sleeps on every path through it: a call that sleeps whenever it runs (a
 * sleeping lock waited for, a kernel API that sleeps whatever its arguments, a workspace callee
 * that itself sleeps on every path) lies on each path from the entry to every exit. Such a
 * function cannot run in atomic context, whatever its return type suggests: an `irqreturn_t`
 * function that takes a mutex first thing is a threaded handler, not a hardirq one.
 */
import { isSleepingKind } from '../kb/types';
import type { CallEvent, FunctionIR } from './ir';
import { type ChainStep, type Op, waitsForLock } from './model';

/**
 * Whether a call's own ops (not its callees') sleep whenever it runs: no guard on them, and
 * no doubt on the call (a macro that may not evaluate it, a context test choosing its flags).
 */
export function sleepsWhenever(ops: readonly Op[]): boolean {
  return ops.some((op) => {
    if (!('chain' in op) || op.chain.length !== 1 || doubtful(op.chain[0])) return false;
    if (op.op === 'effect') return op.effect === 'sleep' && !op.when;
    if (op.op === 'acquire' || op.op === 'inside')
      return isSleepingKind(op.lock.kind) && waitsForLock(op) && !op.lock.declared;
    return false;
  });
}

function doubtful(step: ChainStep): boolean {
  return Boolean(step.ambiguous || step.undecided || step.onlyWhen || step.unless || step.inArgsOf);
}

/**
 * Whether every path from the entry to an exit passes a call for which `sleeps` holds (a
 * forward must-analysis over the blocks). A function with no reachable exit is not said to.
 */
export function sleepsOnEveryPath(fn: FunctionIR, sleeps: (event: CallEvent) => boolean): boolean {
  const blocks = fn.blocks;
  const sleepsIn = blocks.map((b) => b.events.some((e) => e.kind === 'call' && sleeps(e)));
  if (!sleepsIn.some(Boolean)) return false;
  const preds: number[][] = blocks.map(() => []);
  const reached = new Uint8Array(blocks.length);
  const order: number[] = [];
  const work = blocks.length ? [0] : [];
  if (blocks.length) reached[0] = 1;
  while (work.length) {
    const b = work.pop()!;
    order.push(b);
    for (const edge of blocks[b].succ) {
      preds[edge.to].push(b);
      if (!reached[edge.to]) {
        reached[edge.to] = 1;
        work.push(edge.to);
      }
    }
  }
  // Slept by the end of each block on every path there; optimistic until a path says otherwise.
  const slept = new Uint8Array(blocks.length).fill(1);
  for (let changed = true; changed;) {
    changed = false;
    for (const b of order) {
      const before = b !== 0 && preds[b].every((p) => slept[p] === 1);
      const after = before || sleepsIn[b] ? 1 : 0;
      if (after !== slept[b]) {
        slept[b] = after;
        changed = true;
      }
    }
  }
  const exits = order.filter((b) => blocks[b].exit !== undefined);
  return exits.length > 0 && exits.every((b) => slept[b] === 1);
}
