/**
 * What a rule is: metadata (id, docs, default severity) and check functions the analysis calls
 * at each call site and function exit; the lock-order rule also sees the finished graph.
 */
import type { TypeEnv } from '../analysis/classes';
import type { ExitState } from '../analysis/dataflow';
import type { CallEvent, Range } from '../analysis/ir';
import type { ChainStep, LockState, Op, Summary } from '../analysis/model';
import type { OrderGraph } from '../graph/order-graph';
import type { WorkspaceIndex } from '../workspace/index';
import type { Confidence } from './confidence';

export type RuleId =
  | 'sleep-in-atomic'
  | 'lock-order-cycle'
  | 'hotplug-under-lock'
  | 'fault-under-lock'
  | 'reclaim-under-lock'
  | 'flush-under-lock'
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
  /** Lock classes the finding is about (severity escalation looks them up in the graph). */
  classes: string[];
  /** What tells this finding from others of its rule in the same function (its fingerprint). */
  identity?: Identity;
  /** Data the quick fixes need (kept small and plain). */
  fix?: FixHint;
  /** How much the evidence can be trusted (rules/confidence.ts). */
  confidence: Confidence;
  /** What lowered the confidence, in words. */
  confidenceReasons?: string[];
}

/**
 * A finding as a rule reports it: the analysis judges its confidence from `evidence`, the call
 * chains it rests on (to the operation, and where each lock involved was taken).
 */
export type ReportedFinding = Omit<Finding, 'severity' | 'confidence' | 'confidenceReasons'> & {
  evidence: readonly (readonly ChainStep[] | undefined)[];
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
  | { kind: 'preallocate'; lockExprs: string[] };

export interface RuleMeta {
  id: RuleId;
  defaultSeverity: Severity;
  /** One line for the README table and hovers. */
  summary: string;
}

export interface CallSite {
  file: string;
  env: TypeEnv;
  event: CallEvent;
  ops: Op[];
  states: readonly LockState[];
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
  /** Classes of locks the work functions bound to a work item / workqueue key acquire. */
  workLocks(
    target: 'work' | 'workqueue',
    key: string,
  ): { fn: string; file: string; locks: Map<string, ChainStep[]> }[];
}

export type Report = (f: ReportedFinding) => void;

export interface Rule {
  meta: RuleMeta;
  onCall?(site: CallSite, world: RuleWorld, report: Report): void;
  onExit?(fn: FunctionExit, world: RuleWorld, report: Report): void;
  onGraph?(graph: OrderGraph, report: Report): void;
}
