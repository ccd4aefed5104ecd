/**
 * The workspace index: every file's facts, and the cross-file lookups built from them
 * (functions by name, struct fields, typedefs, globals, file-scope locks, function-pointer
 * stores). Derived maps are rebuilt lazily after a file changes.
 */
import type { FileFacts, FunctionIR, FunctionStore, StructDef } from '../analysis/ir';
import { ownString } from '../util/records';

export interface FunctionRef {
  file: string;
  fn: FunctionIR;
}

export class WorkspaceIndex {
  private readonly files = new Map<string, FileFacts>();
  private derived: Derived | undefined;
  private changes = 0;

  /** Counts changes: an analysis that started at another generation saw other facts. */
  get generation(): number {
    return this.changes;
  }

  set(facts: FileFacts): void {
    this.changes++;
    const old = this.files.get(facts.path);
    this.files.set(facts.path, facts);
    // An edit inside a function body keeps the file's types, function names and stores: the
    // derived maps get the new objects in place instead of being rebuilt for the workspace.
    const same = this.derived && old && typeSignatureOf(old) === typeSignatureOf(facts);
    if (!same || !patchDerived(this.derived!, old!, facts)) this.derived = undefined;
  }

  delete(path: string): void {
    this.changes++;
    if (this.files.delete(path)) this.derived = undefined;
  }

  get(path: string): FileFacts | undefined {
    return this.files.get(path);
  }

  /**
   * Everything that names types and classes (struct fields, typedefs, globals, file-scope
   * locks, function-pointer stores): when it changes, every function's classes may change.
   */
  typeSignature(): string[] {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => typeSignatureOf(f));
  }

  allFiles(): FileFacts[] {
    return [...this.files.values()];
  }

  get size(): number {
    return this.files.size;
  }

  private d(): Derived {
    this.derived ??= buildDerived(this.files);
    return this.derived;
  }

  /**
   * The definition a call from `fromFile` reaches: its own file's static first, then any
   * non-static, then a header's static inline. Another `.c` file's static function is in
   * another translation unit (often another module): never the one called.
   */
  resolveFunction(name: string, fromFile: string): FunctionRef | undefined {
    const defs = this.d().functions.get(name);
    if (!defs) return undefined;
    return (
      defs.find((d) => d.file === fromFile) ??
      defs.find((d) => !d.fn.isStatic) ??
      defs.find((d) => !d.file.endsWith('.c'))
    );
  }

  functionsNamed(name: string): FunctionRef[] {
    return this.d().functions.get(name) ?? [];
  }

  allFunctions(): FunctionRef[] {
    return this.d().allFunctions;
  }

  struct(name: string): StructDef | undefined {
    return this.d().structs.get(name);
  }

  /** The structs that have a field of this name (for a `?.field` lock class). */
  structsWithField(field: string): readonly string[] {
    const d = this.d();
    if (!d.structsByField) {
      const byField = new Map<string, string[]>();
      for (const s of d.structs.values())
        for (const f of Object.keys(s.fields)) {
          const list = byField.get(f);
          if (list) list.push(s.name);
          else byField.set(f, [s.name]);
        }
      d.structsByField = byField;
    }
    return d.structsByField.get(field) ?? [];
  }

  /** The value of a flag macro (see analysis/flags), when one file of the workspace defines it. */
  flagMacro(name: string): string | undefined {
    return this.d().flagMacros.get(name);
  }

  /** Follows typedefs to a struct tag (or the last name reached). */
  resolveTypedef(type: string): string {
    let cur = type;
    const typedefs = this.d().typedefs;
    for (let i = 0; i < 8; i++) {
      const next = typedefs.get(cur);
      if (!next || next === cur) break;
      cur = next;
    }
    return cur;
  }

  globalType(name: string, fromFile: string): string | undefined {
    const file = this.files.get(fromFile);
    return (file && ownString(file.globals, name)) ?? this.d().globals.get(name);
  }

  fileLockKind(name: string): string | undefined {
    return this.d().fileLocks.get(name)?.[0]?.kind;
  }

  /**
   * The class of a file-scope lock: its name, or `name (file.c)` for a static lock whose name
   * another file also defines (two classes, as lockdep keeps them).
   */
  fileLockClass(name: string, fromFile: string): string {
    const defs = this.d().fileLocks.get(name) ?? [];
    const own = defs.find((d) => d.file === fromFile);
    if (defs.length > 1 && own?.isStatic) return `${name} (${fromFile.split('/').pop()})`;
    return name;
  }

  storesForField(field: string): FunctionStore[] {
    return this.d().storesByField.get(field) ?? [];
  }

  allStores(): { file: string; store: FunctionStore }[] {
    return this.d().allStores;
  }
}

const signatures = new WeakMap<FileFacts, string>();

function typeSignatureOf(f: FileFacts): string {
  let sig = signatures.get(f);
  if (sig === undefined) {
    const { structs, typedefs, globals, fileLocks, stores, flagMacros } = f;
    const storeKeys = stores.map((s) => `${s.structType ?? ''}.${s.field}=${s.fn}`);
    const fns = f.functions.map((fn) => `${fn.name}:${fn.returnType ?? ''}:${fn.isStatic}`);
    sig = JSON.stringify([
      f.path,
      structs,
      typedefs,
      globals,
      fileLocks.map((l) => [l.name, l.kind, l.isStatic]),
      storeKeys,
      fns,
      flagMacros ?? {},
    ]);
    signatures.set(f, sig);
  }
  return sig;
}

interface Derived {
  functions: Map<string, FunctionRef[]>;
  allFunctions: FunctionRef[];
  structs: Map<string, StructDef>;
  typedefs: Map<string, string>;
  globals: Map<string, string>;
  fileLocks: Map<string, { file: string; kind: string; isStatic: boolean }[]>;
  storesByField: Map<string, FunctionStore[]>;
  allStores: { file: string; store: FunctionStore }[];
  /** Defined the same way wherever defined; a name defined two ways has no value. */
  flagMacros: Map<string, string | undefined>;
  /** Struct names by field name, made on first use (see structsWithField). */
  structsByField?: Map<string, string[]>;
}

/**
 * `old` and `next` have the same signature: the same functions and stores in the same order,
 * so each new object takes its predecessor's place. False if one is missing (then rebuild).
 */
function patchDerived(d: Derived, old: FileFacts, next: FileFacts): boolean {
  for (let i = 0; i < old.functions.length; i++) {
    const [fn, fresh] = [old.functions[i], next.functions[i]];
    if (fresh === fn) continue;
    const byName = d.functions.get(fn.name) ?? [];
    const at = byName.findIndex((r) => r.fn === fn);
    const inAll = at < 0 ? -1 : d.allFunctions.indexOf(byName[at]);
    if (inAll < 0) return false;
    byName[at] = d.allFunctions[inAll] = { file: next.path, fn: fresh };
  }
  for (let i = 0; i < old.stores.length; i++) {
    const [store, fresh] = [old.stores[i], next.stores[i]];
    if (fresh === store) continue;
    const byField = d.storesByField.get(store.field) ?? [];
    const at = byField.indexOf(store);
    const inAll = d.allStores.findIndex((s) => s.store === store);
    if (at < 0 || inAll < 0) return false;
    byField[at] = fresh;
    d.allStores[inAll] = { file: next.path, store: fresh };
  }
  return true;
}

function buildDerived(files: Map<string, FileFacts>): Derived {
  const d: Derived = {
    functions: new Map(),
    allFunctions: [],
    structs: new Map(),
    typedefs: new Map(),
    globals: new Map(),
    fileLocks: new Map(),
    storesByField: new Map(),
    allStores: [],
    flagMacros: new Map(),
  };
  const sorted = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const f of sorted) {
    for (const fn of f.functions) {
      const ref = { file: f.path, fn };
      d.allFunctions.push(ref);
      const list = d.functions.get(fn.name);
      if (list) list.push(ref);
      else d.functions.set(fn.name, [ref]);
    }
    for (const s of f.structs) {
      // Forward declarations and #ifdef'd variants: merge the fields seen.
      const prev = d.structs.get(s.name);
      d.structs.set(s.name, prev ? { name: s.name, fields: { ...prev.fields, ...s.fields } } : s);
    }
    for (const [k, v] of Object.entries(f.typedefs)) d.typedefs.set(k, v);
    for (const [k, v] of Object.entries(f.globals)) d.globals.set(k, v);
    for (const [k, v] of Object.entries(f.flagMacros ?? {}))
      d.flagMacros.set(k, d.flagMacros.has(k) && d.flagMacros.get(k) !== v ? undefined : v);
    for (const l of f.fileLocks) {
      const defs = d.fileLocks.get(l.name) ?? [];
      defs.push({ file: f.path, kind: l.kind, isStatic: l.isStatic });
      d.fileLocks.set(l.name, defs);
    }
    for (const s of f.stores) {
      const list = d.storesByField.get(s.field);
      if (list) list.push(s);
      else d.storesByField.set(s.field, [s]);
      d.allStores.push({ file: f.path, store: s });
    }
  }
  return d;
}
