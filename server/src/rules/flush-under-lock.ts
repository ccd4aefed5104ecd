import { chainEnds, chainText, heldRelated, lockLabel } from './describe';
import type { Rule } from './rule';

export const flushUnderLock: Rule = {
  meta: {
    id: 'flush-under-lock',
    defaultSeverity: 'error',
    summary:
      'Flushing or cancelling-sync work (or a workqueue) while holding a lock that the work function takes.',
  },
  onCall(site, world, report) {
    for (const op of site.ops) {
      if (op.op !== 'flush') continue;
      for (const work of world.workLocks(op.target, op.key)) {
        for (const state of site.states) {
          const held = state.held.find(
            (h) => work.locks.has(h.cls) && !h.fromContext && !op.without?.includes(h.cls),
          );
          if (!held) continue;
          const inner = work.locks.get(held.cls)!;
          report({
            rule: 'flush-under-lock',
            file: site.file,
            range: site.event.range,
            function: site.env.fn.name,
            message: `${chainText(op.chain)} waits for ${work.fn}(), which takes ${held.cls}, while ${lockLabel(held)} is held: the flush can never finish`,
            related: [
              ...heldRelated(held),
              ...(inner[0]
                ? [
                    {
                      file: inner[0].file,
                      range: inner[0].range,
                      message: `${work.fn}() takes ${held.cls} here (${chainText(inner)})`,
                    },
                  ]
                : []),
            ],
            classes: [held.cls],
            evidence: [op.chain, held.chain, inner],
            identity: { path: [...chainEnds(op.chain), work.fn] },
          });
          return;
        }
      }
    }
  },
};
