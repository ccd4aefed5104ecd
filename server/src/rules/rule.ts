/**
 * What a rule is: metadata (id, docs, default severity) and check functions the analysis calls
 * at each call site and function exit; the lock-order rule also sees the finished graph.
 */
import type { TypeEnv } from '../analysis/classes';
import type { ExitState } from '../analysis/dataflow';
import type { CallEvent, FunctionIR, Range } from '../analysis/ir';
import type { LockUsage } from '../analysis/irq-usage';
import type { ChainStep, LockState, Op, Summary } from '../analysis/model';
import type { OrderGraph } from '../graph/order-graph';
import type { ContextTest, EntryContext, IrqKind } from '../kb/types';
import type { WorkspaceIndex } from '../workspace/index';
import type { Confidence } from './confidence';

export type RuleId =
  | 'sleep-in-atomic'
  | 'lock-order-cycle'
  | 'hotplug-under-lock'
  | 'fault-under-lock'
  | 'reclaim-under-lock'
  | 'flush-under-lock'
  | 'irq-inversion'
  | 'wait-context'
  | 'double-lock'
  | 'lock-imbalance';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Related {
  file: string;
  range: Range;
  message: string;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  file: string;
  range: Range;
  function: string;
  message: string;
  related: Related[];
  /** Lock classes the finding is about. */
  classes: string[];
  /**
   * The order edges the finding is about (`held --> fs_reclaim`): a dependency rule's finding
   * is settled by the cycle one of them closes in the finished graph (rules/settle.ts).
   */
  creates?: CreatedEdge[];
  /**
   * A lock held on some exits of a void function and on none released: a leak unless some
   * function releases its caller's lock of this class (the finish of a prepare, the unlock of a
   * lock wrapper), which only the finished analysis can tell (WorkspaceAnalysis drops it then).
   */
  handedOver?: string;
  /** What tells this finding from others of its rule in the same function (its fingerprint). */
  identity?: Identity;
  /** Data the quick fixes need (kept small and plain). */
  fix?: FixHint;
  /** How much the evidence can be trusted (rules/confidence.ts). */
  confidence: Confidence;
  /** What lowered the confidence, in words. */
  confidenceReasons?: string[];
}

/** An order edge a finding creates. */
export interface CreatedEdge {
  from: string;
  to: string;
  /**
   * How the finding reads when this edge is the one that closes a cycle, where the finding's
   * own message names another of its edges (a call flushing several works: the one whose work
   * closes the cycle).
   */
  as?: { message: string; related: Related[] };
}

/**
 * A finding as a rule reports it: the analysis judges its confidence from `evidence`, the call
 * chains it rests on (to the operation, and where each lock involved was taken).
 */
export type ReportedFinding = Omit<Finding, 'severity' | 'confidence' | 'confidenceReasons'> & {
  evidence: readonly (readonly ChainStep[] | undefined)[];
  /** Premises the rule could not prove (a context nothing shows), in words: each makes it low. */
  doubts?: readonly string[];
};

/**
 * The parts of a finding's fingerprint beyond its rule, function and file name
 * (baseline/fingerprint.ts): never positions or wording, so that it survives line shifts,
 * unrelated edits and reworded messages.
 */
export interface Identity {
  /** The classes it is about when not all of `classes` (a cycle's finding is about one edge). */
  classes?: string[];
  /**
   * The call at the reporting line and the operation at the end of its chain (chainEnds), or what
   * stands for them (the expression of a lock left held at an exit).
   */
  path: string[];
}

export type FixHint =
  | { kind: 'gfp-atomic'; argRange?: Range; argText: string }
  | { kind: 'copy-after-unlock'; lockExpr: string }
  | { kind: 'preallocate'; lockExprs: string[] }
  /** Take the lock with this interrupt kind disabled (`spin_lock_irqsave`, `spin_lock_bh`). */
  | { kind: 'irq-disable'; irq: IrqKind };

export interface RuleMeta {
  id: RuleId;
  /** For a dependency rule, the severity of a finding whose edge closes a cycle. */
  defaultSeverity: Severity;
  /** One line for the README table and hovers. */
  summary: string;
  /**
   * A dependency rule, as lockdep reports dependencies: an edge is a bug only when a path back
   * closes a cycle (the finding then names it, at `defaultSeverity`); `open` is the severity of
   * an edge nothing closes. An order declared legal is never reported.
   */
  dependency?: { open: Severity | 'off' };
}

/** A rule's default severity as people read it: `error on a cycle, else information`. */
export function severityText(meta: RuleMeta): string {
  if (!meta.dependency) return meta.defaultSeverity;
  const open = meta.dependency.open === 'off' ? 'not reported' : meta.dependency.open;
  return `${meta.defaultSeverity} on a cycle, else ${open}`;
}

export interface CallSite {
  file: string;
  env: TypeEnv;
  event: CallEvent;
  ops: Op[];
  states: readonly LockState[];
  /** Whether the function takes (or tries) a lock of this class at a call it made before this one. */
  tookBefore(cls: string): boolean;
}

export interface FunctionExit {
  file: string;
  env: TypeEnv;
  exits: ExitState[];
  summary: Summary;
}

/** Workspace knowledge some rules need beyond one function. */
export interface RuleWorld {
  index: WorkspaceIndex;
  /** The work functions bound to a work item / the works queued on a workqueue. */
  workFunctions(target: 'work' | 'workqueue', key: string): { fn: string; file: string }[];
  /** Whether some code of the workspace gives locks of this class their own class or subclass. */
  rekeyed(cls: string): boolean;
  /** The context a function runs in when it is registered as a callback (or typed as a handler). */
  contextOf(fn: FunctionIR): EntryContext | undefined;
  /** Whether `fn` on this path runs in one of the contexts of `test` (analysis/context-test). */
  inContext(test: ContextTest, fn: FunctionIR, state: LockState): boolean;
}

export type Report = (f: ReportedFinding) => void;

export interface Rule {
  meta: RuleMeta;
  onCall?(site: CallSite, world: RuleWorld, report: Report): void;
  onExit?(fn: FunctionExit, world: RuleWorld, report: Report): void;
  onGraph?(graph: OrderGraph, report: Report): void;
  /** Lockdep's usage states of every class, once the graph is complete. */
  onUsage?(usage: LockUsage, graph: OrderGraph, report: Report): void;
}
