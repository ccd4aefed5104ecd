/**
 * irq-inversion at a plain `spin_lock()`: take the lock with the interrupt disabled,
 * `spin_lock_irqsave()`/`spin_unlock_irqrestore()` (with a `flags` local) for a hardirq
 * conflict, `spin_lock_bh()`/`spin_unlock_bh()` for a softirq one.
 *
 * Preconditions: the rule says the whole critical section is in this function (it is no lock
 * wrapper); the function takes that lock exactly once, with this call, and releases it only with
 * the plain unlock of the same family; the variants exist in the knowledge base and do what
 * the fix says.
 */
import type { IrqKind } from '../kb/types';
import { ownString } from '../util/records';
import type { SyntaxNode } from '../parsing/parser';
import {
  argsOf,
  calleeName,
  declared,
  enclosingFunction,
  lockOpExpr,
  scopeOf,
  statementsOf,
  walk,
} from './syntax';
import type { TextEdit } from './text';
import type { Fix, FixContext } from './types';

/** The unlock that pairs with each plain lock call the fix rewrites. */
const UNLOCK_OF: Record<string, string> = {
  spin_lock: 'spin_unlock',
  raw_spin_lock: 'raw_spin_unlock',
  read_lock: 'read_unlock',
  write_lock: 'write_unlock',
};

const SUFFIX: Record<IrqKind, { lock: string; unlock: string; flags: boolean }> = {
  hardirq: { lock: '_irqsave', unlock: '_irqrestore', flags: true },
  softirq: { lock: '_bh', unlock: '_bh', flags: false },
};

const FLAG_NAMES = ['flags', 'irqflags', 'lock_flags'];

export function irqDisableFix(ctx: FixContext, irq: IrqKind): Fix | undefined {
  const call = ctx.call;
  const callee = call && calleeName(call);
  const unlock = callee ? ownString(UNLOCK_OF, callee) : undefined;
  const expr = call && lockOpExpr(call, ctx.kb, 'acquire');
  const fn = call && enclosingFunction(call);
  const body = fn?.childForFieldName('body');
  if (!call || !callee || !unlock || !expr || !fn || !body) return undefined;
  const variant = SUFFIX[irq];
  const lockName = callee + variant.lock;
  const unlockName = unlock + variant.unlock;
  if (ctx.kb.fact(lockName)?.disablesIrq !== irq || ctx.kb.fact(unlockName)?.restoresIrq !== irq)
    return undefined;
  const uses = lockCalls(body, ctx, expr);
  if (uses.acquires.length !== 1 || uses.acquires[0].id !== call.id || uses.releases.length === 0)
    return undefined;
  if (uses.releases.some((r) => calleeName(r) !== unlock)) return undefined;
  const flags = variant.flags ? freeName(fn) : undefined;
  if (variant.flags && !flags) return undefined;
  const edits = [
    ...rename(ctx, call, lockName, flags),
    ...uses.releases.flatMap((r) => rename(ctx, r, unlockName, flags)),
  ];
  if (flags) {
    const declaration = declare(ctx, body, flags);
    if (!declaration) return undefined;
    edits.push(declaration);
  }
  return {
    title: `Take ${expr} with ${irq === 'hardirq' ? 'interrupts' : 'softirqs'} disabled: ${lockName}()`,
    kind: 'quickfix',
    isPreferred: true,
    safe: false,
    edits,
    rule: ctx.diag.rule,
  };
}

/** Calls in the body that take or release `expr`. */
function lockCalls(
  body: SyntaxNode,
  ctx: FixContext,
  expr: string,
): { acquires: SyntaxNode[]; releases: SyntaxNode[] } {
  const acquires: SyntaxNode[] = [];
  const releases: SyntaxNode[] = [];
  walk(body, (n) => {
    if (n.type !== 'call_expression') return;
    if (lockOpExpr(n, ctx.kb, 'acquire') === expr) acquires.push(n);
    else if (lockOpExpr(n, ctx.kb, 'release') === expr) releases.push(n);
  });
  return { acquires, releases };
}

/** The callee renamed, and `, flags` appended to the arguments when the variant saves them. */
function rename(ctx: FixContext, call: SyntaxNode, name: string, flags: string | undefined): TextEdit[] {
  const fn = call.childForFieldName('function')!;
  const edits = [ctx.lines.edit(fn.startIndex, fn.endIndex, name)];
  const args = argsOf(call);
  const last = args[args.length - 1];
  if (flags && last) edits.push(ctx.lines.edit(last.endIndex, last.endIndex, `, ${flags}`));
  return edits;
}

/** A name for the saved flags that the function does not use yet. */
function freeName(fn: SyntaxNode): string | undefined {
  const scope = scopeOf(fn);
  const used = new Set<string>();
  walk(fn, (n) => {
    if (n.type === 'identifier') used.add(n.text);
  });
  return FLAG_NAMES.find((n) => !used.has(n) && !scope.params.has(n) && !scope.locals.has(n));
}

/**
 * `unsigned long flags;` with the other declarations at the top of the body (after the last of
 * them, or before the first statement followed by a blank line), in the body's indentation.
 */
function declare(ctx: FixContext, body: SyntaxNode, flags: string): TextEdit | undefined {
  const statements = statementsOf(body);
  const first = statements[0];
  if (!first) return undefined;
  let lastDeclaration: SyntaxNode | undefined;
  for (const s of statements) {
    if (s.type !== 'declaration' || !s.childrenForFieldName('declarator').some((d) => declared(d))) break;
    lastDeclaration = s;
  }
  const { eol } = ctx.lines;
  const anchor = lastDeclaration ?? first;
  const line = ctx.lines.positionAt(anchor.startIndex).line;
  const indent = ctx.lines.indentOf(line);
  const text = `${indent}unsigned long ${flags};${eol}`;
  if (lastDeclaration) {
    const at = ctx.lines.lineNext(ctx.lines.positionAt(lastDeclaration.endIndex).line);
    return ctx.lines.edit(at, at, text);
  }
  const at = ctx.lines.lineStart(line);
  return ctx.lines.edit(at, at, text + eol);
}
