/**
 * Lock classes, named as lockdep would: `&mm->i915->mm_lock` -> `drm_i915_private.mm_lock`
 * through the declared types; file-scope locks by name; unresolved containers as `?.field`.
 */
import type { Knowledge } from '../kb/knowledge';
import type { LockKind } from '../kb/types';
import type { WorkspaceIndex } from '../workspace/index';
import type { AccessPath, Arg, FunctionIR } from './ir';
import { argPath } from './lower-text';
import { own, ownString } from '../util/records';

export interface ResolvedLock {
  cls: string;
  /** The expression as written, normalised (for double-lock identity and messages). */
  expr: string;
  /** Set when the path starts at a parameter: callers substitute their argument. */
  param?: { index: number; fields: string[] };
  /** Set when the path starts at a local variable. */
  local?: boolean;
  resolved: boolean;
}

/** A `.` member access (after a name, `]` or `)`), not a number's point. */
const MEMBER_DOT_RE = /([\w\])])\.(?=[A-Za-z_])/g;

/** Type lookups within one function of one file. */
export class TypeEnv {
  constructor(
    readonly index: WorkspaceIndex,
    readonly kb: Knowledge,
    readonly file: string,
    readonly fn: FunctionIR,
  ) {}

  /** A parameter's position (a handful of parameters: a scan costs less than a map per function). */
  private paramIndex(name: string): number | undefined {
    const i = this.fn.params.findIndex((p) => p.name === name);
    return i < 0 ? undefined : i;
  }

  /** Declared type of a variable visible in the function. */
  varType(name: string): string | undefined {
    const local = ownString(this.fn.locals, name);
    if (local) return local;
    const i = this.paramIndex(name);
    if (i !== undefined) return this.fn.params[i].type;
    return this.index.globalType(name, this.file);
  }

  /** The struct type an access path evaluates to (for `obj->ops` in `obj->ops->bind()`). */
  pathType(path: AccessPath): string | undefined {
    let type = this.rootType(path);
    for (const f of path.fields) {
      if (!type) return undefined;
      type = this.fieldType(type, f);
    }
    return type ? this.index.resolveTypedef(type) : undefined;
  }

  private rootType(path: AccessPath): string | undefined {
    const root = path.root;
    switch (root.kind) {
      case 'var':
        return this.varType(root.name);
      case 'type':
        return root.type;
      case 'call':
        return this.index.resolveFunction(root.fn, this.file)?.fn.returnType;
      default:
        return undefined;
    }
  }

  private fieldType(type: string, field: string): string | undefined {
    const struct = this.index.struct(this.index.resolveTypedef(type));
    return struct && ownString(struct.fields, field);
  }

  paramOf(path: AccessPath): number | undefined {
    if (path.root.kind !== 'var' || ownString(this.fn.locals, path.root.name)) return undefined;
    return this.paramIndex(path.root.name);
  }

  /** `s.h->x` with the field alias `s.h` of `api->m`: `api->m->x`. */
  private fieldAlias(path: AccessPath): AccessPath | undefined {
    if (path.root.kind !== 'var' || path.fields.length === 0 || !this.fn.aliases) return undefined;
    const alias = own(this.fn.aliases, `${path.root.name}.${path.fields[0]}`);
    return alias && { root: alias.root, fields: alias.fields.concat(path.fields.slice(1)) };
  }

  /**
   * A path through a local that only holds another path (`tl->mutex` with `tl = ce->timeline`):
   * that path (`ce->timeline->mutex`), so a parameter's lock stays one for callers.
   */
  private unalias(path: AccessPath): AccessPath {
    const aliases = this.fn.aliases;
    let cur = path;
    for (let depth = 0; aliases && cur.root.kind === 'var' && depth < 4; depth++) {
      const alias = own(aliases, cur.root.name);
      if (!alias) break;
      cur = { root: alias.root, fields: alias.fields.concat(cur.fields) };
    }
    return cur;
  }

  /**
   * A local that is a lock object, not a pointer to one: defined by a lock macro, or taken by
   * address (`&m`). Not a parameter nor an alias of another path.
   */
  private isOwnLockObject(name: string, text: string): boolean {
    const type = ownString(this.fn.locals, name);
    if (type === undefined || own(this.fn.aliases ?? {}, name)) return false;
    if (this.kb.lockDefinition(type)) return true;
    return /^&\s*\w+$/.test(text) && this.kb.lockKindOfType(this.index.resolveTypedef(type)) !== undefined;
  }

  /** The kind of lock an argument names, from its declared type or file-scope definition. */
  declaredKind(arg: Arg): LockKind | undefined {
    const path = argPath(arg);
    if (!path) return undefined;
    if (path.fields.length === 0 && path.root.kind === 'var') {
      const fileLock = this.index.fileLockKind(path.root.name);
      if (fileLock) return fileLock as LockKind;
    }
    const type = this.pathType(path);
    return type ? this.kb.lockKindOfType(type) : undefined;
  }

  /** The lock class an argument names. */
  lockOf(arg: Arg): ResolvedLock {
    let path = argPath(arg);
    let text = arg.text;
    // A descriptor's field that holds another path (`s.h` of `{ .h = api->m }`) is that path
    // (a few steps: fields copied from each other go round).
    for (let depth = 0, field; path && depth < 4 && (field = this.fieldAlias(path)); depth++) {
      path = field;
      text = pathText(field);
    }
    // `p->a.b` and `p->a->b` (a callee's `param0->a->b` mapped back) name one lock: one spelling.
    const expr = text.replace(/^&\s*/, '').replace(MEMBER_DOT_RE, '$1->');
    if (!path) return { cls: `?${expr}`, expr, resolved: false };
    // Identity through an alias (a parameter's lock stays one for callers); the class from the
    // path as written, whose local's declared type is often the better one (`void *` fields).
    const through = this.unalias(path);
    const paramIndex = this.paramOf(through);
    const param = paramIndex !== undefined ? { index: paramIndex, fields: through.fields } : undefined;
    const local =
      through.root.kind !== 'var' || ownString(this.fn.locals, through.root.name) !== undefined
        ? true
        : undefined;
    // `struct mutex *m = &d->lock; mutex_lock(m);` is d->lock.
    const named = path.fields.length === 0 ? through : path;
    if (named.fields.length === 0) {
      if (named.root.kind === 'var') {
        const name = named.root.name;
        const isLocal = ownString(this.fn.locals, name) !== undefined || this.paramOf(named) !== undefined;
        if (!isLocal)
          return {
            cls: this.kb.aliasClass(this.index.fileLockClass(name, this.file), undefined),
            expr,
            param,
            resolved: true,
          };
        // A lock object of this function's own (`static DEFINE_MUTEX(m)`, `spinlock_t l` taken
        // as `&l`): its own class, as lockdep keys it by its definition or init site; two
        // functions' locals of one name are two classes.
        if (this.isOwnLockObject(name, arg.text))
          return { cls: `${name} (${this.fn.name}())`, expr, local: true, resolved: true };
      }
      return { cls: `?${expr}`, expr, param, local, resolved: false };
    }
    const last = named.fields[named.fields.length - 1];
    const direct = this.pathType({ root: named.root, fields: named.fields.slice(0, -1) });
    const typed =
      direct && direct !== 'void'
        ? direct
        : through === named
          ? direct
          : this.pathType({ root: through.root, fields: through.fields.slice(0, -1) });
    // `void *data` names no container: the caller that knows the type names the class.
    const container = typed === 'void' ? undefined : typed;
    const owner = container ?? (param ? undefined : this.onlyLockOwner(last));
    const raw = owner ? `${owner}.${last}` : `?.${last}`;
    return { cls: this.kb.aliasClass(raw, last), expr, param, local, resolved: !!owner };
  }

  /**
   * The one struct of the workspace with a lock field of this name, if only one has it: a path
   * whose container type is unknown (a macro's result) then names that lock. Not for a
   * parameter's path: its callers name the class.
   */
  private onlyLockOwner(field: string): string | undefined {
    let owner: string | undefined;
    for (const name of this.index.structsWithField(field)) {
      const type = ownString(this.index.struct(name)?.fields ?? {}, field);
      if (!this.kb.lockKindOfType(type && this.index.resolveTypedef(type))) continue;
      if (owner !== undefined) return undefined;
      owner = name;
    }
    return owner;
  }
}

/** A path as the code would spell it (`api->m->x`). */
function pathText(path: AccessPath): string {
  const root =
    path.root.kind === 'var' ? path.root.name : path.root.kind === 'call' ? `${path.root.fn}()` : '?';
  return [root, ...path.fields].join('->');
}
