/**
 * Syntax-tree questions the fixes ask: which call a diagnostic points at, which block statement
 * holds it, which names a piece of code mentions, where a lock is taken or released, and what a
 * name is (parameter, local, file-scope variable) in the enclosing function.
 */
import type { Range } from '../analysis/ir';
import { normaliseText } from '../analysis/lower';
import type { Knowledge } from '../kb/knowledge';
import type { SyntaxNode } from '../parsing/parser';
import type { LineIndex } from './text';

/** The call expression spanning exactly `range` (what a call diagnostic's range is). */
export function callAt(root: SyntaxNode, lines: LineIndex, range: Range): SyntaxNode | undefined {
  const start = lines.offsetAt(range.line, range.col);
  const end = lines.offsetAt(range.endLine, range.endCol);
  for (let n = root.descendantForIndex(start, end); n; n = n.parent) {
    if (n.type === 'call_expression' && n.startIndex === start && n.endIndex === end) return n;
    if (n.startIndex < start || n.endIndex > end) return undefined;
  }
  return undefined;
}

export function calleeName(call: SyntaxNode): string | undefined {
  const fn = call.childForFieldName('function');
  return fn?.type === 'identifier' ? fn.text : undefined;
}

/** A call's arguments, comments left out. */
export function argsOf(call: SyntaxNode): SyntaxNode[] {
  return call.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
}

/** Statements of a compound statement, comments left out (they never matter to a dependency). */
export function statementsOf(block: SyntaxNode): SyntaxNode[] {
  return block.namedChildren.filter((c) => c.type !== 'comment');
}

export function indexIn(list: readonly SyntaxNode[], node: SyntaxNode): number {
  return list.findIndex((n) => n.id === node.id);
}

/** Pre-order walk; return false from `visit` to skip a subtree. */
export function walk(node: SyntaxNode, visit: (n: SyntaxNode) => boolean | void): void {
  if (visit(node) === false) return;
  for (const c of node.namedChildren) walk(c, visit);
}

export function some(node: SyntaxNode, test: (n: SyntaxNode) => boolean): boolean {
  let found = false;
  walk(node, (n) => {
    if (found) return false;
    if (test(n)) found = true;
    return !found;
  });
  return found;
}

function isName(n: SyntaxNode): boolean {
  // Variables are `identifier`s everywhere, `sizeof(val)` included; `type_identifier`s are tags and typedefs.
  return n.type === 'identifier';
}

/** Every variable-like name mentioned in a subtree. */
export function namesIn(node: SyntaxNode): Set<string> {
  const names = new Set<string>();
  walk(node, (n) => {
    if (isName(n)) names.add(n.text);
  });
  return names;
}

/** Whether any of `nodes` mentions one of `names` at all. */
export function mentions(nodes: readonly SyntaxNode[], names: ReadonlySet<string>): boolean {
  return nodes.some((node) => some(node, (n) => isName(n) && names.has(n.text)));
}

const DECLARATORS = new Set([
  'init_declarator',
  'pointer_declarator',
  'array_declarator',
  'function_declarator',
  'declaration',
  'parameter_declaration',
]);

/** Whether this mention of a name may change the name's value (or declares the name). */
function isWrite(n: SyntaxNode): boolean {
  let node = n;
  let p = node.parent;
  while (p?.type === 'parenthesized_expression') [node, p] = [p, p.parent];
  if (!p) return false;
  switch (p.type) {
    case 'assignment_expression':
      return p.childForFieldName('left')?.id === node.id;
    case 'update_expression':
      return true;
    case 'pointer_expression':
      // `&x` lets anything change x later.
      return p.childForFieldName('operator')?.text === '&';
    case 'argument_list':
      // A macro may assign its argument (`get_user(x, p)`, `swap(a, b)`).
      return true;
    case 'parenthesized_declarator':
    case 'attributed_declarator':
      return true;
    default:
      // The declared name, not a read in an initializer or an array size.
      if (p.type.startsWith('gnu_asm')) return true;
      return DECLARATORS.has(p.type) && p.childrenForFieldName('declarator').some((d) => d.id === node.id);
  }
}

/** Whether any of `nodes` may assign or declare one of `names` (reads are fine). */
export function writes(nodes: readonly SyntaxNode[], names: ReadonlySet<string>): boolean {
  return nodes.some((node) => some(node, (n) => isName(n) && names.has(n.text) && isWrite(n)));
}

const JUMPS = new Set([
  'return_statement',
  'goto_statement',
  'break_statement',
  'continue_statement',
  'labeled_statement',
]);

/** A jump out of, or a label into, straight-line code makes moving a statement across it unsafe. */
export function hasJumpOrLabel(node: SyntaxNode): boolean {
  return some(node, (n) => JUMPS.has(n.type));
}

/** The lock expression (normalised, `&` dropped, as the analysis names it) a call acquires or releases. */
export function lockOpExpr(call: SyntaxNode, kb: Knowledge, op: 'acquire' | 'release'): string | undefined {
  const name = calleeName(call);
  const lockOp = name ? kb.fact(name)?.[op] : undefined;
  if (lockOp?.arg === undefined) return undefined;
  const arg = argsOf(call)[lockOp.arg];
  return arg ? normaliseText(arg.text).replace(/^&\s*/, '') : undefined;
}

/** Whether a subtree acquires or releases `expr` anywhere. */
export function touchesLock(node: SyntaxNode, kb: Knowledge, expr: string): boolean {
  return some(
    node,
    (n) =>
      n.type === 'call_expression' &&
      (lockOpExpr(n, kb, 'acquire') === expr || lockOpExpr(n, kb, 'release') === expr),
  );
}

/** `mutex_lock(&x->lock);` as a statement of its own: the call, else undefined. */
export function plainCallStatement(stmt: SyntaxNode): SyntaxNode | undefined {
  if (stmt.type !== 'expression_statement') return undefined;
  const expr = stmt.namedChildren.filter((c) => c.type !== 'comment');
  return expr.length === 1 && expr[0].type === 'call_expression' ? expr[0] : undefined;
}

/** The first identifier of a lock expression: `f` for `f->lock`, `foo_mutex` for itself. */
export function lockRoot(expr: string): string | undefined {
  return /^\(?\s*\*?\s*([A-Za-z_]\w*)/.exec(expr)?.[1];
}

export function enclosingFunction(node: SyntaxNode): SyntaxNode | undefined {
  for (let n: SyntaxNode | null = node; n; n = n.parent) if (n.type === 'function_definition') return n;
  return undefined;
}

/** The identifier a declarator declares, and whether it is declared as a pointer or array. */
export function declared(
  declarator: SyntaxNode,
): { name: string; node: SyntaxNode; pointer: boolean; array: boolean } | undefined {
  let pointer = false;
  let array = false;
  for (let n: SyntaxNode | null = declarator; n;) {
    switch (n.type) {
      case 'identifier':
        return { name: n.text, node: n, pointer, array };
      case 'init_declarator':
        n = n.childForFieldName('declarator');
        break;
      case 'pointer_declarator':
        pointer = true;
        n = n.childForFieldName('declarator');
        break;
      case 'array_declarator':
        array = true;
        n = n.childForFieldName('declarator');
        break;
      case 'attributed_declarator':
      case 'parenthesized_declarator':
        // `(*fn)(...)` and friends: a pointer to something, never a plain local buffer.
        pointer = true;
        n = n.namedChildren.find((c) => c.type !== 'attribute_declaration') ?? null;
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

export interface NameInfo {
  pointer: boolean;
  array: boolean;
}

/** What names mean inside one function: its parameters, its locals, the file's variables. */
export interface Scope {
  params: Map<string, NameInfo>;
  locals: Map<string, NameInfo>;
  globals: Set<string>;
}

function declaratorsOf(decl: SyntaxNode): SyntaxNode[] {
  return decl.childrenForFieldName('declarator');
}

function functionDeclarator(fn: SyntaxNode): SyntaxNode | undefined {
  for (let n = fn.childForFieldName('declarator'); n; n = n.childForFieldName('declarator')) {
    if (n.type === 'function_declarator') return n;
  }
  return undefined;
}

export function scopeOf(fn: SyntaxNode): Scope {
  const params = new Map<string, NameInfo>();
  for (const p of functionDeclarator(fn)?.childForFieldName('parameters')?.namedChildren ?? []) {
    const d = p.type === 'parameter_declaration' ? p.childForFieldName('declarator') : null;
    const info = d ? declared(d) : undefined;
    // An array parameter is a pointer in C: it never names a buffer of the function's own.
    if (info) params.set(info.name, { pointer: info.pointer || info.array, array: false });
  }
  const locals = new Map<string, NameInfo>();
  const body = fn.childForFieldName('body');
  if (body) {
    walk(body, (n) => {
      if (n.type !== 'declaration') return true;
      for (const d of declaratorsOf(n)) {
        const info = declared(d);
        if (info) locals.set(info.name, { pointer: info.pointer, array: info.array });
      }
      return true;
    });
  }
  const globals = new Set<string>();
  for (const top of fn.tree.rootNode.namedChildren) {
    if (top.type !== 'declaration') continue;
    for (const d of declaratorsOf(top)) {
      const info = declared(d);
      if (info && d.type !== 'function_declarator') globals.add(info.name);
    }
  }
  return { params, locals, globals };
}
