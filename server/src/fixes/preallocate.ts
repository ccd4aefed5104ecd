/**
 * reclaim-/hotplug-under-lock: hoist the allocating statement above the lock, as the i915
 * "preallocate our mmu notifier workqueue" fix did. Offered only when moving it cannot change
 * what it computes or break the build:
 *
 * - the statement is `x = call(args);` (x a local or parameter) or `T *x = call(args);` and the
 *   diagnostic points at that call;
 * - every held lock is taken by a plain `lock(&expr);` statement earlier in the same block, with
 *   no other operation on that lock in between; the hoist goes above the earliest of them;
 * - between that lock statement and the allocation there is no return, goto, break, continue or
 *   label: a path leaving early would now leak the allocation;
 * - the arguments are literals, UPPER_CASE constants, non-pointer parameters and `sizeof(...)`:
 *   no locals, field reads, dereferences or calls (they may read what the lock protects), and no
 *   pointers or globals, which let the callee reach protected data (`idr_alloc(idr, ...)`,
 *   `changed = check_changed(connector)` under `connector->dev->mode_config.mutex`), except
 *   the self-locking pool of kmem_cache_alloc()/mempool_alloc(); nothing names the locked
 *   object's root, the callee is named directly (not `obj->ops->alloc`), no argument name is
 *   declared or assigned in between, and `x` is not mentioned there at all;
 * - a helper that allocates (not a kernel allocator from the knowledge base) may also read
 *   globals on its own, so it is offered only when every held lock is reached from a parameter
 *   or local: under a global lock its protected data is in reach of any function.
 */
import type { Knowledge } from '../kb/knowledge';
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
  statementsOf,
  touchesLock,
  declared,
  writes,
} from './syntax';
import { spanText, wholeLines } from './text';
import type { Fix, FixContext } from './types';

interface Allocation {
  stmt: SyntaxNode;
  /** The variable receiving the result; for a declaration its scope moves up, so any use in between counts. */
  lhs: string;
}

/** `x = call(...);` or `T *x = call(...);` around the diagnosed call, directly in a block. */
function allocationStatement(call: SyntaxNode, scope: Scope): Allocation | undefined {
  const parent = call.parent;
  if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === call.id) {
    const left = parent.childForFieldName('left');
    const stmt = parent.parent;
    const op = parent.childForFieldName('operator')?.text;
    if (op !== '=' || left?.type !== 'identifier' || stmt?.type !== 'expression_statement') return undefined;
    // Writing a global or the locked object outside the lock would change what the lock protects.
    if (!scope.locals.has(left.text) && !scope.params.has(left.text)) return undefined;
    return { stmt, lhs: left.text };
  }
  if (parent?.type === 'init_declarator' && parent.childForFieldName('value')?.id === call.id) {
    const decl = parent.parent;
    const name = declared(parent)?.name;
    if (decl?.type !== 'declaration' || !name || decl.childrenForFieldName('declarator').length !== 1)
      return undefined;
    return { stmt: decl, lhs: name };
  }
  return undefined;
}

const LITERALS = new Set([
  'number_literal',
  'string_literal',
  'concatenated_string',
  'char_literal',
  'true',
  'false',
  'null',
]);
const COMPOSITES = new Set([
  'binary_expression',
  'unary_expression',
  'parenthesized_expression',
  'conditional_expression',
]);

/** What the arguments may name. */
interface ArgRules {
  scope: Scope;
  lockRoots: ReadonlySet<string>;
  /** kmem_cache_alloc(cache, ...), mempool_alloc(pool, ...): the pool argument locks itself. */
  poolCall: boolean;
}

/** Allocators whose pointer argument is a self-locking pool, so it may be passed outside the lock. */
const POOL_ALLOCATORS = /^(kmem_cache_z?alloc|mempool_alloc)/;
/** Macro and enum constants by kernel convention; a lower-case unknown name may be an extern variable. */
const CONSTANT_RE = /^[A-Z_][A-Z0-9_]*$/;

function stableName(name: string, r: ArgRules): boolean {
  if (r.lockRoots.has(name) || r.scope.locals.has(name)) return false;
  // A pointer or a global handed over may let the callee read or change what the lock protects
  // (`idr_alloc(idr, ...)`, `check_changed(connector)`).
  const param = r.scope.params.get(name);
  if (param) return !param.pointer || r.poolCall;
  if (r.scope.globals.has(name)) return r.poolCall;
  return CONSTANT_RE.test(name);
}

/** An argument whose value is the same before the lock as after it (see the file comment). */
function stableArg(node: SyntaxNode, r: ArgRules): boolean {
  if (LITERALS.has(node.type) || node.type === 'comment') return true;
  // sizeof is not evaluated: `sizeof(*p)` reads nothing; its names are still checked for declarations in between.
  if (node.type === 'sizeof_expression' || node.type === 'alignof_expression') return true;
  if (node.type === 'identifier') return stableName(node.text, r);
  if (node.type === 'cast_expression') {
    const value = node.childForFieldName('value');
    return !!value && stableArg(value, r);
  }
  if (COMPOSITES.has(node.type)) return node.namedChildren.every((c) => stableArg(c, r));
  return false;
}

/** kmalloc, alloc_workqueue, ...: known to allocate, and to read nothing of the caller's but their arguments. */
function isKernelAllocator(name: string, kb: Knowledge): boolean {
  const fact = kb.fact(name);
  return !!fact && (fact.gfpArg !== undefined || !!fact.effects?.includes('reclaim'));
}

/**
 * Index of the plain lock statement that opens the critical section of `expr` around statement
 * `at`: the nearest one before it, provided nothing else in between takes or drops `expr`.
 */
function openingLock(stmts: SyntaxNode[], at: number, expr: string, ctx: FixContext): number | undefined {
  for (let i = at - 1; i >= 0; i--) {
    const call = plainCallStatement(stmts[i]);
    if (call && lockOpExpr(call, ctx.kb, 'acquire') === expr) return i;
    if (touchesLock(stmts[i], ctx.kb, expr)) return undefined;
  }
  return undefined;
}

/** Where the allocation goes: the earliest opening lock statement of all held locks. */
function hoistTarget(
  stmts: SyntaxNode[],
  at: number,
  lockExprs: string[],
  ctx: FixContext,
): number | undefined {
  let target = at;
  for (const expr of lockExprs) {
    const i = openingLock(stmts, at, expr, ctx);
    if (i === undefined) return undefined;
    target = Math.min(target, i);
  }
  return target;
}

function dependenciesAllow(
  alloc: Allocation,
  call: SyntaxNode,
  region: SyntaxNode[],
  rules: ArgRules,
): boolean {
  const args = argsOf(call);
  if (!args.every((a) => stableArg(a, rules))) return false;
  const argNames = new Set<string>();
  for (const a of args) for (const n of namesIn(a)) if (n !== alloc.lhs) argNames.add(n);
  // Reading an argument's name in between is harmless; assigning or redeclaring it is not.
  if (writes(region, argNames)) return false;
  return !mentions(region, new Set([alloc.lhs]));
}

/**
 * The argument rules for this call, or undefined when a helper cannot be judged: under a lock
 * on a global (or reached through one) the helper may read the protected globals itself.
 */
function argRules(call: SyntaxNode, scope: Scope, lockExprs: string[], kb: Knowledge): ArgRules | undefined {
  const callee = calleeName(call)!;
  const roots = lockExprs.map(lockRoot);
  const localRoot = (r: string | undefined) => !!r && (scope.params.has(r) || scope.locals.has(r));
  if (!isKernelAllocator(callee, kb) && !roots.every(localRoot)) return undefined;
  const lockRoots = new Set(roots.filter((r): r is string => r !== undefined));
  return { scope, lockRoots, poolCall: POOL_ALLOCATORS.test(callee) };
}

export function preallocateFix(ctx: FixContext, lockExprs: string[]): Fix | undefined {
  const { call, lines, diag } = ctx;
  // Locks held on entry (callers, callback context) stay held whatever this function does.
  if (!call || lockExprs.length === 0 || diag.classes.length !== lockExprs.length) return undefined;
  const fn = enclosingFunction(call);
  if (!fn) return undefined;
  const scope = scopeOf(fn);
  const alloc = calleeName(call) ? allocationStatement(call, scope) : undefined;
  const block = alloc?.stmt.parent;
  if (!alloc || block?.type !== 'compound_statement') return undefined;
  const stmts = statementsOf(block);
  const at = indexIn(stmts, alloc.stmt);
  const target = hoistTarget(stmts, at, lockExprs, ctx);
  if (target === undefined) return undefined;
  const between = stmts.slice(target + 1, at);
  // Kernel iterator macros and container_of() leave parse errors in most big functions: only
  // the statements the fix reasons about have to be clean.
  if (stmts.slice(target, at + 1).some((s) => s.hasError) || between.some(hasJumpOrLabel)) return undefined;
  const rules = argRules(call, scope, lockExprs, ctx.kb);
  if (!rules || !dependenciesAllow(alloc, call, stmts.slice(target, at), rules)) return undefined;
  const moved = wholeLines(lines, alloc.stmt.startIndex, alloc.stmt.endIndex);
  const lockStmt = stmts[target];
  const anchor = wholeLines(lines, lockStmt.startIndex, lockStmt.endIndex);
  if (!moved || !anchor) return undefined;
  const lockCall = plainCallStatement(lockStmt)!;
  return {
    title: `Preallocate ${calleeName(call)}() before taking ${lockOpExpr(lockCall, ctx.kb, 'acquire')}`,
    kind: 'quickfix',
    safe: false,
    edits: [
      lines.edit(anchor.from, anchor.from, spanText(lines, moved)),
      lines.edit(moved.from, moved.to, ''),
    ],
    rule: diag.rule,
  };
}
