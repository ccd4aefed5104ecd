/**
 * Priming functions: code that takes locks in the order the kernel relies on and releases them,
 * doing nothing else while they are held (`dma_resv_lockdep()`), on objects of its own, so that
 * lockdep learns the order at boot. The orders such a function creates are declarations:
 * legal, never reported, and they close cycles like any other edge.
 */
import type { Knowledge } from '../kb/knowledge';
import { isOrderedKind } from '../kb/types';
import type { CachedNode } from '../parsing/cached-node';
import type { CallEvent, FunctionIR } from './ir';
import type { LockState, Op } from './model';

/**
 * Whether a body is calls only: declarations, calls (`f(x);`, `v = f(x);`), ifs of those,
 * returns and gotos. A field store or a loop is work done under the locks, not a declaration
 * (the lowered form shows calls only, so this is read from the syntax).
 */
export function isCallsOnly(body: CachedNode): boolean {
  return statementOk(body);
}

const PREPROC_STATEMENTS = new Set([
  'preproc_if',
  'preproc_ifdef',
  'preproc_else',
  'preproc_elif',
  'preproc_elifdef',
]);

function statementOk(n: CachedNode): boolean {
  switch (n.type) {
    case 'compound_statement':
    case 'else_clause':
      return n.namedChildren.every(statementOk);
    case 'declaration':
    case 'comment':
    case 'return_statement':
    case 'goto_statement':
      return true;
    case 'expression_statement': {
      const e = n.namedChildren[0];
      return !e || expressionOk(e);
    }
    case 'if_statement':
      return [n.field('consequence'), n.field('alternative')].every((c) => !c || statementOk(c));
    case 'labeled_statement':
      return n.namedChildren.filter((c) => c.type !== 'statement_identifier').every(statementOk);
    default:
      // `#if` arms hold statements after their condition.
      return (
        PREPROC_STATEMENTS.has(n.type) &&
        n.namedChildren.every(
          (c) => c.id === n.field('condition')?.id || c.id === n.field('name')?.id || statementOk(c),
        )
      );
  }
}

function expressionOk(e: CachedNode): boolean {
  if (e.type === 'call_expression') return true;
  if (e.type === 'cast_expression' || e.type === 'parenthesized_expression') {
    const inner = e.field('value') ?? e.namedChildren[e.namedChildren.length - 1];
    return !!inner && expressionOk(inner);
  }
  if (e.type !== 'assignment_expression') return false;
  const left = e.field('left');
  const right = e.field('right');
  return (
    left?.type === 'identifier' &&
    !!right &&
    ['call_expression', 'identifier', 'number_literal'].includes(right.type)
  );
}

const LOCK_OPS = new Set<Op['op']>(['acquire', 'release', 'inside', 'order', 'assert-held']);

/** Watches a function's calls while it holds locks of its own: only lock operations, in a calls-only body. */
export class PrimerCheck {
  private ok: boolean;
  private ordered = false;

  constructor(
    private readonly fn: FunctionIR,
    private readonly kb: Knowledge,
  ) {
    this.ok = fn.callsOnly === true;
  }

  observe(event: CallEvent, ops: Op[], states: readonly LockState[]): void {
    if (!this.ok) return;
    // Priming takes locks of objects of its own (locals, the kernel's named classes): code
    // that locks its caller's objects or globals is doing real work, however little.
    if (
      ops.some((o) => o.op === 'acquire' && isOrderedKind(o.lock.kind) && !o.lock.local && !o.lock.namedClass)
    ) {
      this.ok = false;
      return;
    }
    if (!states.some((s) => s.held.some((h) => !h.entry && isOrderedKind(h.kind)))) return;
    // An unknown call (no body, no table entry) may do anything.
    const known = ops.length > 0 || (event.callee !== undefined && this.kb.fact(event.callee) !== undefined);
    // cpus_read_lock() takes cpu_hotplug_lock: its effects are the acquisition's.
    const acquires = ops.some((o) => o.op === 'acquire');
    if (!known || ops.some((o) => !LOCK_OPS.has(o.op) && !(o.op === 'effect' && acquires))) {
      this.ok = false;
      return;
    }
    if (ops.some((o) => o.op === 'acquire' || o.op === 'inside' || o.op === 'order')) this.ordered = true;
  }

  /** What declares the function's orders, when it is a priming function. */
  label(): string | undefined {
    return this.ok && this.ordered ? `priming function ${this.fn.name}()` : undefined;
  }
}
