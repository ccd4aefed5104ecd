/**
 * Shape checks for what the caches read back. A checksummed entry under the right key was
 * written by this code, but the reports, the quick fixes and the analysis must not trip over one
 * that was not (a hand edit with a recomputed checksum): what fails a check is damage.
 */
import type { Range } from '../analysis/ir';
import type { ChainStep, Guard, HeldLock, LockInfo, ParamTest, Summary } from '../analysis/model';
import type { EdgeWitness, LockClassInfo, OrderEdge } from '../graph/order-graph';
import { LOCK_KINDS } from '../kb/knowledge';
import { type ContextTest, type IrqKind, isIrqKind } from '../kb/types';
import { RULE_IDS } from '../rules/registry';
import { CONFIDENCES } from '../rules/confidence';
import type { Finding, FixHint, Identity, Related } from '../rules/rule';
import type { Diagnostic } from './engine';

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint']);
const ORIGINS = new Set(['static', 'baseline', 'runtime']);
const RULES = new Set<string>(RULE_IDS);
const MODES = new Set(['read', 'write']);
const EFFECTS = new Set(['sleep', 'fault', 'reclaim', 'hotplug', 'flush']);
const CONDITIONALS = new Set(['nonzero-success', 'zero-success']);
const FLUSH_TARGETS = new Set(['work', 'workqueue']);
const CONFIDENCE_SET = new Set<string>(CONFIDENCES);

type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
export const arrayOf = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] =>
  Array.isArray(v) && v.every(item);
/** An array of objects that each pass `check`. */
export const all = (v: unknown, check: (x: Obj) => boolean): boolean =>
  Array.isArray(v) && v.every((x) => isObj(x) && check(x));
const optional = <T>(v: unknown, item: (x: unknown) => x is T): boolean => v === undefined || item(v);
const oneOf =
  (set: ReadonlySet<string>) =>
  (v: unknown): v is string =>
    isStr(v) && set.has(v);

function isRange(v: unknown): v is Range {
  return isObj(v) && isNum(v.line) && isNum(v.col) && isNum(v.endLine) && isNum(v.endCol);
}

function isStep(v: unknown): v is ChainStep {
  return (
    isObj(v) &&
    isStr(v.fn) &&
    isStr(v.file) &&
    isRange(v.range) &&
    isStr(v.callee) &&
    (v.ambiguous === undefined || v.ambiguous === true) &&
    (v.undecided === undefined || v.undecided === true) &&
    (v.doubtFrom === undefined ||
      (isObj(v.doubtFrom) && isStr(v.doubtFrom.fn) && isStr(v.doubtFrom.callee))) &&
    (v.onlyWhen === undefined || typeof v.onlyWhen === 'string') &&
    optional(v.unless, isContextTest)
  );
}

function isContextTest(v: unknown): v is ContextTest {
  return (
    isObj(v) &&
    optional(v.in, (x): x is IrqKind[] => arrayOf(x, isIrqKind)) &&
    optional(v.off, (x): x is IrqKind[] => arrayOf(x, isIrqKind)) &&
    (v.atomic === undefined || v.atomic === true)
  );
}

function isRelated(v: unknown): v is Related {
  return isObj(v) && isStr(v.file) && isRange(v.range) && isStr(v.message);
}

function isFix(v: unknown): v is FixHint {
  if (!isObj(v)) return false;
  switch (v.kind) {
    case 'gfp-atomic':
      return isStr(v.argText) && optional(v.argRange, isRange);
    case 'copy-after-unlock':
      return isStr(v.lockExpr);
    case 'preallocate':
      return arrayOf(v.lockExprs, isStr);
    case 'irq-disable':
      return isIrqKind(v.irq);
    default:
      return false;
  }
}

/** A finding as the analysis makes it (before severities are decided). */
export function isFinding(v: unknown): v is Omit<Finding, 'severity'> {
  return (
    isObj(v) &&
    isStr(v.rule) &&
    RULES.has(v.rule) &&
    isStr(v.file) &&
    isRange(v.range) &&
    isStr(v.function) &&
    isStr(v.message) &&
    arrayOf(v.related, isRelated) &&
    arrayOf(v.classes, isStr) &&
    (v.creates === undefined || all(v.creates, (e) => isStr(e.from) && isStr(e.to))) &&
    optional(v.identity, isIdentity) &&
    optional(v.fix, isFix) &&
    oneOf(CONFIDENCE_SET)(v.confidence) &&
    (v.confidenceReasons === undefined || arrayOf(v.confidenceReasons, isStr))
  );
}

function isIdentity(v: unknown): v is Identity {
  return isObj(v) && optional(v.classes, (c) => arrayOf(c, isStr)) && arrayOf(v.path, isStr);
}

export function isDiagnostic(v: unknown): v is Diagnostic {
  return (
    isFinding(v) &&
    isStr((v as Obj).severity) &&
    SEVERITIES.has((v as Obj).severity as string) &&
    isStr((v as Obj).fingerprint)
  );
}

const isChain = (v: unknown): v is ChainStep[] => arrayOf(v, isStep);

function isWitness(v: unknown, chain: (x: unknown) => boolean = isChain): v is EdgeWitness {
  return (
    isObj(v) &&
    isStr(v.file) &&
    isRange(v.range) &&
    isStr(v.fn) &&
    chain(v.chain) &&
    chain(v.heldChain) &&
    optional(v.heldEntry, isStr)
  );
}

export function isEdge(v: unknown): v is OrderEdge {
  return (
    isObj(v) &&
    isStr(v.from) &&
    isStr(v.to) &&
    isStr(v.origin) &&
    ORIGINS.has(v.origin) &&
    (v.witness === undefined || isWitness(v.witness)) &&
    optional(v.source, isStr) &&
    isNum(v.count) &&
    isBool(v.exclusiveHeld) &&
    isBool(v.nonRecursive) &&
    isBool(v.runtime) &&
    optional(v.declared, isStr) &&
    optional(v.undeclared, isBool)
  );
}

const USAGE_STATES = new Set(['in-hardirq', 'in-softirq', 'hardirq-on', 'softirq-on']);

export function isClass(v: unknown): v is LockClassInfo {
  return (
    isObj(v) &&
    isStr(v.name) &&
    isStr(v.kind) &&
    isNum(v.acquisitions) &&
    (v.usage === undefined ||
      all(
        v.usage,
        (u) =>
          oneOf(USAGE_STATES)(u.state) && oneOf(MODES)(u.mode) && isStr(u.root) && arrayOf(u.chain, isStep),
      ))
  );
}

function isLock(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.cls) &&
    isStr(v.expr) &&
    oneOf(LOCK_KINDS)(v.kind) &&
    oneOf(MODES)(v.mode) &&
    isBool(v.recursiveRead) &&
    (v.param === undefined || (isObj(v.param) && isIndex(v.param.index) && arrayOf(v.param.fields, isStr))) &&
    optional(v.local, isBool) &&
    optional(v.namedClass, isBool) &&
    optional(v.subclass, isBool) &&
    optional(v.contextOwned, isBool)
  );
}

function isGuard(v: unknown): v is Guard {
  return arrayOf(v, isParamTest);
}

function isParamTest(v: unknown): v is ParamTest {
  return (
    isObj(v) &&
    isIndex(v.index) &&
    optional(v.values, isNum) &&
    optional(v.flag, isStr) &&
    optional(v.set, isBool)
  );
}

/**
 * Checks for the analysis memo's summaries, order edges and findings. Summaries share their
 * chain steps, chains and locks (the serializer keeps shared objects shared): each shared
 * object is checked once.
 */
export class MemoShapes {
  // One set per kind: an object checked as a step must not pass for a lock later.
  private readonly steps = new WeakSet<object>();
  private readonly chains = new WeakSet<object>();
  private readonly locks = new WeakSet<object>();

  private static once(v: unknown, seen: WeakSet<object>, check: (x: unknown) => boolean): boolean {
    if (v && typeof v === 'object' && seen.has(v)) return true;
    if (!check(v)) return false;
    seen.add(v as object);
    return true;
  }

  private readonly step = (v: unknown): v is ChainStep => MemoShapes.once(v, this.steps, isStep);
  private readonly chain = (v: unknown): v is ChainStep[] =>
    MemoShapes.once(v, this.chains, (c) => arrayOf(c, this.step));
  private readonly lock = (v: unknown): v is LockInfo => MemoShapes.once(v, this.locks, isLock);

  private held(v: unknown): v is HeldLock {
    return (
      isObj(v) &&
      isLock(v) &&
      this.chain(v.chain) &&
      optional(v.conditional, oneOf(CONDITIONALS)) &&
      optional(v.entry, isStr) &&
      optional(v.fromContext, isBool)
    );
  }

  private lockEntry(v: Obj): boolean {
    return this.lock(v.lock) && this.chain(v.chain);
  }

  /** Per-effect records may hold `undefined` for an effect (a guard that was dropped). */
  private record(v: unknown, item: (x: unknown) => boolean): boolean {
    return isObj(v) && Object.entries(v).every(([k, x]) => EFFECTS.has(k) && (x === undefined || item(x)));
  }

  summary(v: unknown): v is Summary {
    return (
      isObj(v) &&
      all(v.acquires, (a) => this.lockEntry(a) && optional(a.conditional, oneOf(CONDITIONALS))) &&
      all(v.releases, (r) => this.lockEntry(r)) &&
      all(
        v.inside,
        (i) =>
          this.lockEntry(i) &&
          optional(i.when, isGuard) &&
          optional(i.tryOnly, isBool) &&
          optional(i.waitsWhen, isGuard) &&
          (i.without === undefined || arrayOf(i.without, isStr)),
      ) &&
      this.record(v.effects, this.chain) &&
      this.record(v.effectGuards, isGuard) &&
      (v.effectCases === undefined ||
        this.record(v.effectCases, (cases) => all(cases, (c) => isGuard(c.guard) && this.chain(c.chain)))) &&
      this.record(v.effectWithout, (w) => arrayOf(w, isStr)) &&
      all(v.reclaimIfParam, (r) => isIndex(r.index) && this.chain(r.chain)) &&
      all(
        v.flushes,
        (f) =>
          oneOf(FLUSH_TARGETS)(f.target) &&
          isStr(f.key) &&
          this.chain(f.chain) &&
          optional(f.when, isGuard) &&
          (f.without === undefined || arrayOf(f.without, isStr)),
      ) &&
      all(v.irqsOn, (i) => this.lockEntry(i) && isBool(i.softirqs)) &&
      isNum(v.returns) &&
      (v.cases === undefined ||
        all(
          v.cases,
          (c) =>
            isNum(c.returns) &&
            (c.when === undefined || arrayOf(c.when, isParamTest)) &&
            all(c.acquires, (a) => this.lockEntry(a) && optional(a.conditional, oneOf(CONDITIONALS))) &&
            all(c.releases, (r) => this.lockEntry(r)),
        ))
    );
  }

  edge(v: unknown): boolean {
    return isObj(v) && this.held(v.held) && this.lock(v.to) && isWitness(v.witness, this.chain);
  }

  lockInfo(v: unknown): v is LockInfo {
    return this.lock(v);
  }
}
