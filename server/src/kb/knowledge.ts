/**
 * Lookup over the knowledge table, with user extensions merged in.
 */
import { KERNEL_API } from './kernel-api';
import { own, ownString, setOwn } from '../util/records';
import {
  type ApiFact,
  type BaselineEdge,
  type EntryContext,
  type IrqKind,
  isIrqKind,
  type KnowledgeTable,
  type LockKind,
  type ReturnTypeContext,
} from './types';

export const LOCK_KINDS: ReadonlySet<string> = new Set<LockKind>([
  'spinlock',
  'raw_spinlock',
  'rwlock',
  'seqlock',
  'bit_spinlock',
  'rcu',
  'irq',
  'preempt',
  'bh',
  'mutex',
  'rwsem',
  'ww_mutex',
  'ww_acquire',
  'percpu_rwsem',
  'lockdep_map',
  'scope',
]);
const EFFECTS: ReadonlySet<string> = new Set(['sleep', 'fault', 'reclaim', 'hotplug', 'flush']);

export class Knowledge {
  private readonly patterns: { re: RegExp; fact: ApiFact }[];
  /** Facts by callee name; null for a name with none (most: workspace functions), so one lookup answers. */
  private readonly cache = new Map<string, ApiFact | null>();
  private readonly reclaimingFlags: RegExp;
  private readonly nonReclaimingFlags: RegExp;
  private readonly namedContexts = new Map<string, { re: RegExp; context: string }[]>();

  constructor(
    readonly table: KnowledgeTable,
    readonly baselineEnabled = true,
  ) {
    this.patterns = table.patterns.map((p) => ({ re: new RegExp(p.match), fact: p.fact }));
    this.reclaimingFlags = wordSet(table.gfp.reclaiming);
    this.nonReclaimingFlags = wordSet(table.gfp.nonReclaiming);
    for (const [type, guess] of Object.entries(table.returnTypeContexts))
      if (guess.named)
        this.namedContexts.set(
          type,
          guess.named.map((n) => ({ re: new RegExp(n.match), context: n.context })),
        );
  }

  /** The kernel table plus user-supplied facts (already validated), user facts winning. */
  static withExtensions(extra: Record<string, ApiFact> = {}, baselineEnabled = true): Knowledge {
    return new Knowledge(
      { ...KERNEL_API, functions: { ...KERNEL_API.functions, ...extra } },
      baselineEnabled,
    );
  }

  fact(name: string): ApiFact | undefined {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const fact = own(this.table.functions, name) ?? this.patterns.find((p) => p.re.test(name))?.fact;
    this.cache.set(name, fact ?? null);
    return fact;
  }

  guard(type: string): { lock: string; unlock: string } | undefined {
    return own(this.table.guards, type);
  }

  context(name: string): EntryContext | undefined {
    return own(this.table.contexts, name);
  }

  /** The context a function nobody calls or registers runs in, from its return type. */
  returnTypeContext(type: string | undefined): ReturnTypeContext | undefined {
    return type ? own(this.table.returnTypeContexts, type) : undefined;
  }

  /**
   * The context of a function of this return type stored in a field or passed for a parameter
   * of this name, when the name tells it (ReturnTypeContext.named).
   */
  namedContext(returnType: string | undefined, name: string): string | undefined {
    const named = returnType ? this.namedContexts.get(returnType) : undefined;
    return named?.find((n) => n.re.test(name))?.context;
  }

  /** The pseudo-lock that stands for an interrupt kind being disabled. */
  irqState(irq: IrqKind): { cls: string; kind: LockKind } {
    return this.table.irqStates[irq];
  }

  callbackContext(structType: string | undefined, field: string): string | undefined {
    const matches = this.table.callbackFields.filter((c) => c.field === field);
    if (structType) return matches.find((c) => c.struct === structType)?.context;
    // Unresolved struct type: trust the field name only when it is unambiguous.
    return matches.length === 1 ? matches[0].context : undefined;
  }

  lockKindOfType(type: string | undefined): LockKind | undefined {
    return type ? own(this.table.lockTypes, type) : undefined;
  }

  lockDefinition(macro: string): { kind: LockKind } | undefined {
    return own(this.table.lockDefinitions, macro);
  }

  aliasClass(cls: string, lastField: string | undefined): string {
    const byField = lastField && ownString(this.table.fieldClassAliases, lastField);
    return byField || (ownString(this.table.classAliases, cls) ?? cls);
  }

  /**
   * Whether a gfp argument's text may enter direct reclaim. `undefined` when the text names no
   * known flag (a variable): the caller decides, usually by mapping it to its own parameter.
   */
  gfpReclaims(text: string): boolean | undefined {
    if (this.reclaimingFlags.test(text)) {
      // GFP_KERNEL & ~__GFP_DIRECT_RECLAIM clears the reclaim bit again.
      return !/~\s*\(?\s*__GFP_(DIRECT_)?RECLAIM/.test(text);
    }
    if (this.nonReclaimingFlags.test(text)) return false;
    if (/^\s*0\s*$/.test(text)) return false;
    return undefined;
  }

  /** Whether a constant flag argument has `flag` set, when the table knows that flag (gfp reclaim). */
  knownFlag(text: string, flag: string): boolean | undefined {
    return this.table.gfp.reclaiming.includes(flag) ? this.gfpReclaims(text) : undefined;
  }

  baseline(): BaselineEdge[] {
    return this.baselineEnabled ? this.table.baseline : [];
  }
}

function wordSet(words: string[]): RegExp {
  return new RegExp(`\\b(${words.map((w) => w.replace(/[^\w]/g, '')).join('|')})\\b`);
}

/**
 * Validates user-supplied lock functions ({ name: ApiFact }). Returns the valid facts and one
 * message per rejected entry, so a typo in settings never disables the whole table.
 */
export function validateExtraFunctions(input: unknown): { facts: Record<string, ApiFact>; errors: string[] } {
  const facts: Record<string, ApiFact> = {};
  const errors: string[] = [];
  if (input === undefined || input === null) return { facts, errors };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return {
      facts,
      errors: [
        'extraLockFunctions must be an object: { "name": { "acquire": { "arg": 0, "kind": "mutex" } } }',
      ],
    };
  }
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    const problem = checkFact(raw);
    if (problem) errors.push(`extraLockFunctions.${name}: ${problem}`);
    else setOwn(facts, name, raw as ApiFact);
  }
  return { facts, errors };
}

function isIrqKinds(v: unknown): boolean {
  return v === undefined || (Array.isArray(v) && v.every(isIrqKind));
}

function checkFact(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return 'must be an object';
  const fact = raw as Record<string, unknown>;
  for (const key of ['acquire', 'release'] as const) {
    const op = fact[key];
    const problem = op === undefined ? undefined : checkLockOp(key, op);
    if (problem) return problem;
  }
  for (const key of ['acquireAlso', 'releaseAlso'] as const) {
    const list = fact[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${key} must be a list of lock operations`;
    for (const op of list) {
      const problem = checkLockOp(key, op);
      if (problem) return problem;
    }
  }
  const effects = fact.effects;
  if (effects !== undefined) {
    if (!Array.isArray(effects) || effects.some((e) => typeof e !== 'string' || !EFFECTS.has(e))) {
      return `effects must be a list of ${[...EFFECTS].join(', ')}`;
    }
  }
  if (fact.effectsWhen !== undefined && typeof fact.effectsWhen !== 'string')
    return 'effectsWhen must be a string';
  const cond = fact.conditional;
  if (cond !== undefined && cond !== 'nonzero-success' && cond !== 'zero-success') {
    return 'conditional must be "nonzero-success" or "zero-success"';
  }
  if (fact.gfpArg !== undefined && typeof fact.gfpArg !== 'number') return 'gfpArg must be an argument index';
  if (fact.onlyIf !== undefined && !isIndex(fact.onlyIf)) return 'onlyIf must be an argument index';
  if (fact.counter !== undefined && fact.counter !== true) return 'counter must be true';
  const test = fact.test as Record<string, unknown> | undefined;
  if (test !== undefined) {
    if (typeof test !== 'object' || test === null || !isIndex(test.arg))
      return 'test.arg must be an argument index';
    if (test.trueFor !== undefined && !isValueNames(test.trueFor))
      return `test.trueFor must be a list of ${[...VALUE_NAMES].join(', ')}`;
    if (test.flag !== undefined && typeof test.flag !== 'string') return 'test.flag must be a flag name';
  }
  const contextTest = fact.contextTest as Record<string, unknown> | undefined;
  if (contextTest !== undefined) {
    const isTest = (t: unknown) => {
      if (t === undefined) return true;
      if (typeof t !== 'object' || t === null) return false;
      const { in: inIrq, off, atomic } = t as Record<string, unknown>;
      return isIrqKinds(inIrq) && isIrqKinds(off) && (atomic === undefined || atomic === true);
    };
    if (typeof contextTest !== 'object' || !isTest(contextTest.trueWhen) || !isTest(contextTest.falseWhen))
      return 'contextTest must be { "trueWhen"?: T, "falseWhen"?: T }, T = { "in"?: [irq kinds], "off"?: [irq kinds], "atomic"?: true }, irq kinds "hardirq", "softirq"';
  }
  const result = fact.result as Record<string, unknown> | undefined;
  if (result !== undefined) {
    const fixed = typeof result === 'object' && result !== null && isValueNames(result.values);
    const fromArg =
      typeof result === 'object' &&
      result !== null &&
      isIndex(result.arg) &&
      (result.map === undefined || result.map === 'err-or-zero');
    if (!fixed && !fromArg)
      return `result must be { "values": [${[...VALUE_NAMES].join(', ')}] } or { "arg": N, "map"?: "err-or-zero" }`;
  }
  const asserts = fact.asserts as Record<string, unknown> | undefined;
  if (
    asserts !== undefined &&
    (typeof asserts !== 'object' ||
      asserts === null ||
      !isIndex(asserts.arg) ||
      typeof asserts.value !== 'boolean')
  )
    return 'asserts must be { "arg": N, "value": true | false }';
  for (const key of ['disablesIrq', 'restoresIrq', 'assertsIrqOff', 'irqsOffTest'] as const) {
    const irq = fact[key];
    if (irq !== undefined && !isIrqKind(irq)) return `${key} must be "hardirq" or "softirq"`;
  }
  return undefined;
}

const VALUE_NAMES: ReadonlySet<string> = new Set(['zero', 'negative', 'positive']);

function isIndex(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isValueNames(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && VALUE_NAMES.has(x));
}

function checkLockOp(key: string, op: unknown): string | undefined {
  if (typeof op !== 'object' || op === null) return `${key} must be an object`;
  const { arg, cls, kind, mode, contextArg } = op as Record<string, unknown>;
  if (typeof kind !== 'string' || !LOCK_KINDS.has(kind)) {
    return `${key}.kind must be one of ${[...LOCK_KINDS].join(', ')}`;
  }
  if (arg !== undefined && (typeof arg !== 'number' || arg < 0 || !Number.isInteger(arg))) {
    return `${key}.arg must be an argument index (0, 1, ...)`;
  }
  if (arg === undefined && typeof cls !== 'string') return `${key} needs "arg" or "cls"`;
  if (mode !== undefined && mode !== 'read' && mode !== 'write')
    return `${key}.mode must be "read" or "write"`;
  if (contextArg !== undefined && !isIndex(contextArg)) return `${key}.contextArg must be an argument index`;
  return undefined;
}
