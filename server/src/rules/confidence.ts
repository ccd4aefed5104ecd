/**
 * How much a finding can be trusted, from the evidence it rests on: calls through function
 * pointers whose targets stayed ambiguous (every implementation of the field), conditions on
 * arguments the analysis could not decide, effects that depend on a state no code shows (a
 * runtime-PM resume sleeps only for a suspended device), long call chains, lock classes whose container type
 * is unknown, and code kept only because a preprocessor symbol was unknown. Each counts; none
 * is high, one or two medium, more low. `minConfidence` (default medium) decides what reaches
 * the editor's Problems and what `--fail-on` counts.
 */
import type { FileFacts, Range } from '../analysis/ir';
import type { ChainStep } from '../analysis/model';

export type Confidence = 'high' | 'medium' | 'low';

export const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];

/** A premise the rule could not prove (ReportedFinding.doubts): low on its own. */
const UNPROVEN = 3;

/** Chains at least this long count once, at least LONGER twice. */
const LONG_CHAIN = 8;
const LONGER_CHAIN = 12;

export interface Judgement {
  confidence: Confidence;
  /** What lowered it, in words (empty when high). */
  reasons: string[];
}

/**
 * The confidence of a finding resting on these call chains (the path to the operation, where
 * each held lock was taken) and lock classes.
 */
export function judge(
  chains: readonly (readonly ChainStep[] | undefined)[],
  classes: readonly string[] = [],
  doubts: readonly string[] = [],
): Judgement {
  const reasons: string[] = [...doubts];
  let score = UNPROVEN * doubts.length;
  const seen = new Set<ChainStep>();
  let longest = 0;
  for (const chain of chains) {
    if (!chain) continue;
    longest = Math.max(longest, chain.length);
    for (const step of chain) {
      if (seen.has(step)) continue;
      seen.add(step);
      const call = step.doubtFrom ?? step;
      if (step.ambiguous) {
        score += UNPROVEN;
        reasons.push(
          `${call.fn}() calls ${call.callee}() through a function pointer every implementation of which may be the target`,
        );
      }
      if (step.inArgsOf) {
        score += UNPROVEN;
        reasons.push(
          `${step.fn}() calls ${step.callee}() in the arguments of ${step.inArgsOf}(), a macro defined outside the workspace that may not evaluate them`,
        );
      }
      if (step.onlyWhen) {
        score += 1;
        reasons.push(`${step.callee}() does it only when ${step.onlyWhen}, which the code does not show`);
      }
      if (step.undecided) {
        score += 1;
        reasons.push(
          `${call.callee}() does it only under a condition on an argument ${call.fn}() passes that the analysis could not decide`,
        );
      }
    }
  }
  if (longest >= LONG_CHAIN) {
    score += longest >= LONGER_CHAIN ? 2 : 1;
    reasons.push(`a chain of ${longest} calls`);
  }
  const unresolved = classes.filter((c) => c.startsWith('?'));
  if (unresolved.length) {
    score += 1;
    reasons.push(`the container type of ${unresolved.join(', ')} is unknown`);
  }
  return { confidence: fromScore(score), reasons };
}

/**
 * The judgement lowered by a step for code kept because a preprocessor symbol was unknown
 * (issue 18's FileFacts.unknownArms), at any of the places the finding names.
 */
export function withConfiguration(
  j: Judgement,
  places: readonly { file: string; range: Range }[],
  facts: (file: string) => FileFacts | undefined,
): Judgement {
  for (const p of places) {
    const arm = facts(p.file)?.unknownArms?.find((a) => a.line <= p.range.line && p.range.line <= a.endLine);
    if (!arm) continue;
    const reasons = [...j.reasons, `code kept because #if ${arm.symbol} is unknown`];
    return { confidence: lower(j.confidence), reasons };
  }
  return j;
}

/**
 * A finding's confidence and reasons, lowered to `j` when `j` is lower (evidence found after the
 * finding was judged: the edges closing its cycle).
 */
export function lowerTo(
  f: { confidence: Confidence; confidenceReasons?: string[] },
  j: Judgement,
): { confidence?: Confidence; confidenceReasons?: string[] } {
  if (CONFIDENCES.indexOf(j.confidence) <= CONFIDENCES.indexOf(f.confidence)) return {};
  return { confidence: j.confidence, confidenceReasons: [...(f.confidenceReasons ?? []), ...j.reasons] };
}

function fromScore(score: number): Confidence {
  return score === 0 ? 'high' : score <= 2 ? 'medium' : 'low';
}

function lower(c: Confidence): Confidence {
  return c === 'high' ? 'medium' : 'low';
}

/** Whether a finding of confidence `c` passes a `minConfidence` of `min`. */
export function meetsConfidence(c: Confidence | undefined, min: Confidence): boolean {
  return CONFIDENCES.indexOf(c ?? 'high') <= CONFIDENCES.indexOf(min);
}
