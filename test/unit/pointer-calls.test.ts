import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';

const CALL_LINE = 126; // `b->funcs->hw_init(b);`, 0-based

/**
 * `b->funcs->hw_init(b)` with 40 implementations (the amdgpu IP-block pattern). Each takes a
 * spinlock through a local pointer and sleeps through a helper (a chain of two calls), except
 * the last, which sleeps directly.
 */
function ipBlocks(): string {
  const count = 40;
  const src = [
    'struct ip_block;',
    'struct ip_funcs { int (*hw_init)(struct ip_block *b); };',
    'struct ip_state { spinlock_t lock; };',
    'struct ip_block { const struct ip_funcs *funcs; spinlock_t lock; struct ip_state *state; };',
  ];
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    if (!last) src.push(`static void ip${i}_wait(struct ip_block *b) { msleep(1); }`);
    src.push(
      `static int ip${i}_hw_init(struct ip_block *b) { struct ip_state *st = b->state; ` +
        `spin_lock(&st->lock); spin_unlock(&st->lock); ${last ? 'msleep(1);' : `ip${i}_wait(b);`} return 0; }`,
      `static const struct ip_funcs ip${i}_funcs = { .hw_init = ip${i}_hw_init };`,
    );
  }
  src.push('void ip_init_all(struct ip_block *b)', '{', '\tspin_lock(&b->lock);');
  assert.equal(src.length, CALL_LINE);
  src.push('\tb->funcs->hw_init(b);', '\tspin_unlock(&b->lock);', '}');
  return src.join('\n') + '\n';
}

describe('a call through a function pointer with many targets', () => {
  it('does each distinct thing once, with the shortest chain among the targets', async () => {
    const engine = await Engine.create();
    engine.setFile('ip.c', ipBlocks());
    const result = engine.analyze();
    const call = engine.lastAnalysis!.inspect('ip.c', CALL_LINE, 3);
    assert.ok(call, 'the call is found');
    assert.equal(call.callees.length, 40);
    // (What the call returns is no lock operation: left out.)
    const ops = call.ops
      .filter((o) => o.op !== 'result')
      .map((o) =>
        o.op === 'effect'
          ? `effect ${o.effect} ${o.chain.map((s) => s.callee).join('>')}`
          : `${o.op} ${'lock' in o ? o.lock.cls : ''}`,
      );
    // Forty local spinlocks of one class stand as one (also as taken with interrupts as the
    // caller leaves them); the sleep comes with ip39's direct chain.
    assert.deepEqual(ops, [
      'inside ip_state.lock',
      'effect sleep ip39_hw_init>msleep',
      'irq-on ip_state.lock',
    ]);
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.range.line} ${d.rule}`),
      [`${CALL_LINE} sleep-in-atomic`],
    );
    assert.ok(result.graph.getEdge('ip_block.lock', 'ip_state.lock'), 'ip_block.lock --> ip_state.lock');
  });
});
