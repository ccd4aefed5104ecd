/**
 * fault-under-lock on a copy out to user space: move the copy below the unlock, as suggested for
 * perf_read() ("moving the copy_to_user to after releasing perf_event_ctx_unlock"). Offered only
 * when the move cannot change what is copied, where, or which paths copy:
 *
 * - the statement is `copy(...);`, `x = copy(...);` or `if (copy(...)) <assignments>` whose
 *   assignments give locals constants (`ret = -EFAULT;`), optionally ending in `goto L;` when L
 *   labels the unlock right after it (the goto then means "fall through" and is dropped, and so
 *   is L if nothing else jumps there);
 * - the source is the function's own storage (`&local`, a local array, a local's value for
 *   put_user), never a pointer that may point into the locked object; destination and size use
 *   parameters, locals and constants (fields only of parameters that are not the locked object);
 * - the unlock of the lock is a plain statement later in the same block, only this lock is held,
 *   nothing in between mentions any name the copy uses or assigns, accesses user memory, jumps
 *   or carries a label, and no goto elsewhere lands on the unlock (that path would now copy).
 */
import { normaliseText } from '../analysis/lower';
import type { SyntaxNode } from '../parsing/parser';
import {
  argsOf,
  calleeName,
  enclosingFunction,
  hasJumpOrLabel,
  indexIn,
  lockOpExpr,
  lockRoot,
  mentions,
  namesIn,
  plainCallStatement,
  type Scope,
  scopeOf,
  some,
  statementsOf,
  touchesLock,
  walk,
} from './syntax';
import { type LineIndex, lineAfter, spanText, type TextEdit, wholeLines } from './text';
import type { Fix, FixContext } from './types';

/** Argument positions of the copies this fix moves. */
const COPIES: Record<string, { src: number; dst: number; size?: number }> = {
  copy_to_user: { dst: 0, src: 1, size: 2 },
  __copy_to_user: { dst: 0, src: 1, size: 2 },
  put_user: { src: 0, dst: 1 },
  __put_user: { src: 0, dst: 1 },
};

/** Conversions of a user address that read nothing (`u64_to_user_ptr(args->ptr)`). */
const USER_PTR_CASTS = new Set(['u64_to_user_ptr']);

interface Ctx {
  scope: Scope;
  lockRoots: ReadonlySet<string>;
}

interface CopyStatement {
  stmt: SyntaxNode;
  /** Variables the statement assigns: `ret = copy(...)`, `ret = -EFAULT`. */
  assigned: string[];
  /** `if (copy(...)) { ...; goto L; }`: the goto and the if's consequence. */
  jump?: { node: SyntaxNode; label: string; body: SyntaxNode };
}

interface Unlock {
  index: number;
  call: SyntaxNode;
  /** The statement itself, inside any labels. */
  inner: SyntaxNode;
  /** `out_unlock:` wrappers, outermost first. */
  labels: SyntaxNode[];
}

const isLocalName = (name: string, c: Ctx) =>
  (c.scope.locals.has(name) || c.scope.params.has(name)) && !c.lockRoots.has(name);
const isConstantName = (name: string, c: Ctx) =>
  !c.scope.locals.has(name) &&
  !c.scope.params.has(name) &&
  !c.scope.globals.has(name) &&
  !c.lockRoots.has(name);

const LITERALS = new Set(['number_literal', 'string_literal', 'char_literal', 'true', 'false', 'null']);
const ARITHMETIC = new Set(['binary_expression', 'unary_expression', 'parenthesized_expression']);

/** A value computed from locals, parameters and constants only: no memory is read (no `*p`, `p->f`, calls). */
function scalar(n: SyntaxNode, c: Ctx): boolean {
  if (LITERALS.has(n.type) || n.type === 'sizeof_expression' || n.type === 'comment') return true;
  if (n.type === 'identifier') return isLocalName(n.text, c) || isConstantName(n.text, c);
  if (n.type === 'cast_expression') return scalar(n.childForFieldName('value')!, c);
  return ARITHMETIC.has(n.type) && n.namedChildren.every((x) => scalar(x, c));
}

/** `uarg->ptr`, `args->data.ptr`: fields of a parameter that is not the locked object. */
function paramField(n: SyntaxNode, c: Ctx): boolean {
  if (n.type === 'identifier') return c.scope.params.has(n.text) && !c.lockRoots.has(n.text);
  return n.type === 'field_expression' && paramField(n.childForFieldName('argument')!, c);
}

/** A user address computed without reading anything the lock may protect. */
function userPointer(n: SyntaxNode, c: Ctx): boolean {
  switch (n.type) {
    case 'identifier':
      return isLocalName(n.text, c);
    case 'field_expression':
      return paramField(n, c);
    case 'cast_expression':
    case 'parenthesized_expression':
      return userPointer(n.namedChildren[n.namedChildren.length - 1], c);
    case 'pointer_expression':
      return n.childForFieldName('operator')?.text === '&' && paramField(n.childForFieldName('argument')!, c);
    case 'binary_expression':
      return userPointer(n.childForFieldName('left')!, c) && scalar(n.childForFieldName('right')!, c);
    case 'call_expression': {
      const args = argsOf(n);
      return USER_PTR_CASTS.has(calleeName(n) ?? '') && args.length === 1 && userPointer(args[0], c);
    }
    default:
      return false;
  }
}

/** The kernel-side source is the function's own storage, so it is still valid after the unlock. */
function ownSource(callee: string, n: SyntaxNode, c: Ctx): boolean {
  if (callee.endsWith('put_user')) return scalar(n, c);
  if (n.type === 'identifier') return c.scope.locals.get(n.text)?.array === true && !c.lockRoots.has(n.text);
  const target =
    n.type === 'pointer_expression' && n.childForFieldName('operator')?.text === '&'
      ? n.childForFieldName('argument')
      : null;
  return target?.type === 'identifier' && isLocalName(target.text, c);
}

function argumentsAllow(call: SyntaxNode, callee: string, c: Ctx): boolean {
  const spec = COPIES[callee];
  const args = argsOf(call);
  if (args.length !== (spec.size === undefined ? 2 : 3)) return false;
  if (!ownSource(callee, args[spec.src], c) || !userPointer(args[spec.dst], c)) return false;
  return spec.size === undefined || scalar(args[spec.size], c);
}

/** `ret = -EFAULT;` to a local: the only thing a failure branch may do besides `goto`. */
function constantAssignment(stmt: SyntaxNode, c: Ctx): string | undefined {
  const expr = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : undefined;
  if (expr?.type !== 'assignment_expression' || expr.childForFieldName('operator')?.text !== '=')
    return undefined;
  const left = expr.childForFieldName('left')!;
  const right = expr.childForFieldName('right')!;
  const constant = (n: SyntaxNode): boolean =>
    LITERALS.has(n.type) ||
    (n.type === 'identifier' && isConstantName(n.text, c)) ||
    ((n.type === 'unary_expression' || n.type === 'parenthesized_expression') &&
      n.namedChildren.every(constant));
  return left.type === 'identifier' && isLocalName(left.text, c) && constant(right) ? left.text : undefined;
}

function failureBranch(ifStmt: SyntaxNode, c: Ctx): CopyStatement | undefined {
  const body = ifStmt.childForFieldName('consequence');
  if (!body || ifStmt.childForFieldName('alternative')) return undefined;
  if (body.type === 'compound_statement' && body.namedChildren.some((n) => n.type === 'comment'))
    return undefined;
  const list = body.type === 'compound_statement' ? statementsOf(body) : [body];
  const last = list[list.length - 1];
  const jump = last?.type === 'goto_statement' ? last : undefined;
  const rest = jump ? list.slice(0, -1) : list;
  const assigned = rest.map((s) => constantAssignment(s, c));
  if (rest.length === 0 || assigned.some((a) => a === undefined)) return undefined;
  const label = jump?.childForFieldName('label')?.text;
  if (jump && (!label || body.type !== 'compound_statement')) return undefined;
  return {
    stmt: ifStmt,
    assigned: assigned as string[],
    jump: jump && label ? { node: jump, label, body } : undefined,
  };
}

/** The statement form around the copy call, if it is one the fix can move exactly. */
function copyStatement(call: SyntaxNode, c: Ctx): CopyStatement | undefined {
  const parent = call.parent;
  if (parent?.type === 'expression_statement') return { stmt: parent, assigned: [] };
  if (parent?.type === 'assignment_expression' && parent.parent?.type === 'expression_statement') {
    const left = parent.childForFieldName('left')!;
    const ok =
      parent.childForFieldName('operator')?.text === '=' && parent.childForFieldName('right')?.id === call.id;
    return ok && left.type === 'identifier' && isLocalName(left.text, c)
      ? { stmt: parent.parent, assigned: [left.text] }
      : undefined;
  }
  const ifStmt = parent?.type === 'parenthesized_expression' ? parent.parent : undefined;
  if (ifStmt?.type === 'if_statement' && ifStmt.childForFieldName('condition')?.id === parent!.id)
    return failureBranch(ifStmt, c);
  return undefined;
}

function unwrapLabels(stmt: SyntaxNode): { inner: SyntaxNode; labels: SyntaxNode[] } {
  const labels: SyntaxNode[] = [];
  let inner = stmt;
  while (inner.type === 'labeled_statement') {
    labels.push(inner);
    const body = statementsOf(inner).filter((n) => n.type !== 'statement_identifier');
    if (body.length !== 1) break;
    inner = body[0];
  }
  return { inner, labels };
}

/** The first statement after `at` that does anything to the lock, if it is a plain unlock of it. */
function unlockAfter(stmts: SyntaxNode[], at: number, expr: string, ctx: FixContext): Unlock | undefined {
  for (let i = at + 1; i < stmts.length; i++) {
    if (!touchesLock(stmts[i], ctx.kb, expr)) continue;
    const { inner, labels } = unwrapLabels(stmts[i]);
    const call = plainCallStatement(inner);
    return call && lockOpExpr(call, ctx.kb, 'release') === expr
      ? { index: i, call, inner, labels }
      : undefined;
  }
  return undefined;
}

function gotosTo(fn: SyntaxNode, label: string, outside: SyntaxNode): number {
  let n = 0;
  walk(fn, (x) => {
    if (x.id === outside.id) return false;
    if (x.type === 'goto_statement' && x.childForFieldName('label')?.text === label) n++;
    return true;
  });
  return n;
}

function accessesUser(nodes: SyntaxNode[], ctx: FixContext): boolean {
  return nodes.some((n) =>
    some(
      n,
      (x) => x.type === 'call_expression' && !!ctx.kb.fact(calleeName(x) ?? '')?.effects?.includes('fault'),
    ),
  );
}

/** The moved text: verbatim, or without the `goto` (and its braces, when one statement is left). */
function movedText(
  lines: LineIndex,
  copy: CopyStatement,
  span: { from: number; to: number },
): string | undefined {
  if (!copy.jump) return spanText(lines, span);
  const gotoSpan = wholeLines(lines, copy.jump.node.startIndex, copy.jump.node.endIndex);
  if (!gotoSpan) return undefined;
  const rest = statementsOf(copy.jump.body).filter((n) => n.id !== copy.jump!.node.id);
  if (rest.length > 1)
    return lines.text.slice(span.from, gotoSpan.from) + lines.text.slice(gotoSpan.to, span.to);
  // Kernel style: no braces around a single statement.
  const only = wholeLines(lines, rest[0].startIndex, rest[0].endIndex);
  // A comment after the closing brace would be lost with it.
  if (
    !only ||
    !/^[ \t]*$/.test(
      lines.text.slice(copy.stmt.endIndex, lines.lineEnd(lines.positionAt(copy.stmt.endIndex).line)),
    )
  ) {
    return undefined;
  }
  const head = lines.text.slice(span.from, copy.jump.body.startIndex).trimEnd();
  return head + lines.eol + spanText(lines, only);
}

/** Deletes the label `L:` that only the moved goto used (an unused label warns, -Werror breaks). */
function labelRemoval(lines: LineIndex, unlock: Unlock, indent: string): TextEdit | undefined {
  if (unlock.labels.length !== 1) return undefined;
  const label = unlock.labels[0];
  const labelLine = lines.positionAt(label.startIndex).line;
  const innerLine = lines.positionAt(unlock.inner.startIndex).line;
  const from = lines.lineStart(labelLine);
  if (!/^[ \t]*$/.test(lines.text.slice(from, label.startIndex))) return undefined;
  if (innerLine === labelLine) return lines.edit(from, unlock.inner.startIndex, indent);
  const between = lines.text.slice(lines.lineEnd(labelLine), lines.lineStart(innerLine));
  if (!/^\s*$/.test(between) || !/:\s*$/.test(lines.lineText(labelLine))) return undefined;
  return lines.edit(from, lines.lineStart(innerLine), '');
}

/** The structural preconditions between the copy and the unlock (see the file comment). */
function pathAllows(
  fn: SyntaxNode,
  copy: CopyStatement,
  between: SyntaxNode[],
  unlock: Unlock,
  ctx: FixContext,
  names: Set<string>,
): boolean {
  if (between.some(hasJumpOrLabel) || mentions(between, names) || accessesUser(between, ctx)) return false;
  // Any other goto to the unlock would now run the copy too.
  if (unlock.labels.some((l) => gotosTo(fn, l.childForFieldName('label')!.text, copy.stmt) > 0)) return false;
  // Defensive: the accepted statement forms carry no jump but the one handled below.
  if (!copy.jump) return !hasJumpOrLabel(copy.stmt);
  // The goto only means "fall through" when it targets the unlock right after the copy.
  const targets = unlock.labels.map((l) => l.childForFieldName('label')!.text);
  return between.length === 0 && targets.includes(copy.jump.label);
}

export function copyAfterUnlockFix(ctx: FixContext, lockExpr: string): Fix | undefined {
  const { call, diag } = ctx;
  const callee = call ? calleeName(call) : undefined;
  // With another lock still held the copy would stay under a lock after the move.
  if (!call || !callee || !COPIES[callee] || diag.classes.length !== 1) return undefined;
  const fn = enclosingFunction(call);
  if (!fn) return undefined;
  const root = lockRoot(lockExpr);
  const c: Ctx = { scope: scopeOf(fn), lockRoots: new Set(root ? [root] : []) };
  const copy = argumentsAllow(call, callee, c) ? copyStatement(call, c) : undefined;
  const block = copy?.stmt.parent;
  if (!copy || block?.type !== 'compound_statement') return undefined;
  const stmts = statementsOf(block);
  const at = indexIn(stmts, copy.stmt);
  const unlock = unlockAfter(stmts, at, lockExpr, ctx);
  // Parse errors elsewhere in the function (iterator macros) do not matter; here they would.
  if (!unlock || stmts.slice(at, unlock.index + 1).some((s) => s.hasError)) return undefined;
  const names = new Set([...argsOf(call).flatMap((a) => [...namesIn(a)]), ...copy.assigned]);
  if (!pathAllows(fn, copy, stmts.slice(at + 1, unlock.index), unlock, ctx, names)) return undefined;
  return buildFix(ctx, callee, copy, unlock);
}

function buildFix(ctx: FixContext, callee: string, copy: CopyStatement, unlock: Unlock): Fix | undefined {
  const { lines } = ctx;
  const span = wholeLines(lines, copy.stmt.startIndex, copy.stmt.endIndex);
  const insertAt = lineAfter(lines, unlock.inner.endIndex);
  const text = span && movedText(lines, copy, span);
  if (!span || insertAt === undefined || text === undefined) return undefined;
  const edits = [lines.edit(span.from, span.to, '')];
  // pathAllows made sure no other goto lands on the unlock, so the label is now unused.
  if (copy.jump) {
    const removal = labelRemoval(lines, unlock, lines.indentOf(lines.positionAt(copy.stmt.startIndex).line));
    if (!removal) return undefined;
    edits.push(removal);
  }
  edits.push(lines.edit(insertAt, insertAt, text));
  return {
    title: `Move ${callee}() after ${normaliseText(unlock.call.text)}`,
    kind: 'quickfix',
    safe: false,
    edits,
    rule: ctx.diag.rule,
  };
}
