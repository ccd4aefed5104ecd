import { callLabel, chainEnds, chainRelated, heldRelated, lockLabel } from './describe';
import { atomicHolder, sleepingPath } from './ops';
import type { Rule } from './rule';

export const sleepInAtomic: Rule = {
  meta: {
    id: 'sleep-in-atomic',
    defaultSeverity: 'error',
    summary:
      'A call that may sleep while the context is atomic (spinlock, RCU, irqs or preemption off, irq handler).',
  },
  onCall(site, world, report) {
    const path = sleepingPath(site.ops);
    if (!path) return;
    const chain = path.chain;
    // Paths in a context where the sleeping arm is not taken (`in_interrupt() ? GFP_ATOMIC : ...`).
    const unless = chain.flatMap((s) => (s.unless ? [s.unless] : []));
    const holder = site.states
      .filter((s) => !unless.some((u) => world.inContext(u, site.env.fn, s)))
      .map((s) => atomicHolder(s, path.without))
      .find((h) => h !== undefined);
    if (!holder) return;
    const direct = chain.length === 1;
    const gfpArg = direct
      ? site.event.args.find((a) => /\bGFP_(KERNEL|NOFS|NOIO|USER)\b/.test(a.text))
      : undefined;
    report({
      rule: 'sleep-in-atomic',
      file: site.file,
      range: site.event.range,
      function: site.env.fn.name,
      message: `${callLabel(chain)} may sleep ${holder.fromContext && holder.kind === 'irq' ? 'in' : 'while'} ${lockLabel(holder)}${holder.fromContext && holder.kind === 'irq' ? '' : ' is held'} (atomic context)`,
      related: [...heldRelated(holder), ...chainRelated(chain)],
      classes: [holder.cls],
      evidence: [chain, holder.chain],
      identity: { path: chainEnds(chain) },
      fix: gfpArg ? { kind: 'gfp-atomic', argText: gfpArg.text } : undefined,
    });
  },
};
