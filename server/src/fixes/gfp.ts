/**
 * sleep-in-atomic on an allocation with a reclaiming gfp constant: use GFP_ATOMIC (or GFP_NOWAIT)
 * instead. Only the flag tokens change, and only when the result no longer reclaims.
 */
import { normaliseText } from '../analysis/lower';
import type { SyntaxNode } from '../parsing/parser';
import { argsOf, calleeName, walk } from './syntax';
import type { Fix, FixContext } from './types';

/** The flags the fix rewrites; anything else reclaiming (GFP_KERNEL_ACCOUNT, __GFP_DIRECT_RECLAIM) blocks it. */
const REPLACEABLE = new Set(['GFP_KERNEL', 'GFP_NOFS', 'GFP_NOIO', 'GFP_USER']);

function flagTokens(arg: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  walk(arg, (n) => {
    if (n.type === 'identifier' && REPLACEABLE.has(n.text)) out.push(n);
  });
  return out;
}

/** The argument the rule saw (its normalised text), if the call has exactly one such. */
function gfpArgument(call: SyntaxNode, argText: string): SyntaxNode | undefined {
  const matching = argsOf(call).filter((a) => normaliseText(a.text) === argText);
  return matching.length === 1 ? matching[0] : undefined;
}

/** The argument's text with every replaceable token swapped, to check it stops reclaiming. */
function replaced(arg: SyntaxNode, tokens: SyntaxNode[], flag: string): string {
  let text = arg.text;
  for (const t of [...tokens].reverse()) {
    text = text.slice(0, t.startIndex - arg.startIndex) + flag + text.slice(t.endIndex - arg.startIndex);
  }
  return text;
}

export function gfpFixes(ctx: FixContext, argText: string): Fix[] {
  const call = ctx.call;
  if (!call) return [];
  const arg = gfpArgument(call, argText);
  const tokens = arg ? flagTokens(arg) : [];
  if (!arg || tokens.length === 0) return [];
  const callee = calleeName(call) ?? 'the allocation';
  const variant = (flag: string, safe: boolean): Fix[] => {
    if (ctx.kb.gfpReclaims(replaced(arg, tokens, flag)) !== false) return [];
    return [
      {
        title: `Use ${flag} in ${callee}() (atomic context cannot sleep)`,
        kind: 'quickfix',
        isPreferred: safe,
        safe,
        edits: tokens.map((t) => ctx.lines.edit(t.startIndex, t.endIndex, flag)),
        rule: ctx.diag.rule,
      },
    ];
  };
  return [...variant('GFP_ATOMIC', true), ...variant('GFP_NOWAIT', false)];
}
