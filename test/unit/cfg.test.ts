import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Block, FunctionIR } from '../../server/src/analysis/ir';
import { lowerFile } from '../../server/src/analysis/lower';
import { Knowledge } from '../../server/src/kb/knowledge';
import { CParser } from '../../server/src/parsing/parser';
import { ANY_VALUE, NEGATIVE, POSITIVE, ZERO } from '../../server/src/analysis/values';
import { maskAnnotations } from '../../server/src/parsing/preprocess';
import { preprocess } from '../../server/src/preprocess/blank';

let parser: CParser;
const kb = Knowledge.withExtensions();

/** Lowers the only function of `src`, read with these symbols defined and undefined (others unknown). */
function lower(src: string, defines: string[] = [], undefines: string[] = []): FunctionIR {
  const lookup = (name: string) => ({
    defined: defines.includes(name) ? true : undefines.includes(name) ? false : undefined,
    value: '1',
  });
  const masked = maskAnnotations(preprocess(src, lookup).text, kb.table.annotationMacros);
  const facts = lowerFile(parser.parse(masked.text), 't.c', kb, masked.annotations);
  assert.equal(facts.functions.length, 1, 'one function');
  return facts.functions[0];
}

function calls(b: Block): string[] {
  return b.events.flatMap((e) => (e.kind === 'call' ? [e.callee ?? `->${e.via?.field}`] : []));
}

/** Every callee sequence from entry to an exit, going round each loop at most once. */
function paths(fn: FunctionIR): string[] {
  const out: string[] = [];
  const walk = (b: number, visits: Map<number, number>, acc: string[]) => {
    const block = fn.blocks[b];
    const next = [...acc, ...calls(block)];
    if (block.exit) out.push(next.join(' '));
    for (const e of block.succ) {
      const n = visits.get(e.to) ?? 0;
      if (n < 2) walk(e.to, new Map(visits).set(e.to, n + 1), next);
    }
  };
  walk(0, new Map([[0, 1]]), []);
  return [...new Set(out)].sort();
}

describe('control-flow graph', () => {
  before(async () => {
    parser = await CParser.create();
  });

  it('if/else and early return', () => {
    const fn = lower('int f(int x) { a(); if (x) { b(); return 1; } else c(); d(); return 0; }');
    assert.deepEqual(paths(fn), ['a b', 'a c d']);
  });

  it('goto unwinding reaches the label from every error path', () => {
    const fn = lower(`int f(struct s *p) {
      int ret;
      mutex_lock(&p->lock);
      if (x()) { ret = -1; goto out_unlock; }
      y();
    out_unlock:
      mutex_unlock(&p->lock);
      return ret;
    }`);
    assert.deepEqual(paths(fn), ['mutex_lock x mutex_unlock', 'mutex_lock x y mutex_unlock']);
  });

  it('switch with fallthrough, break and default', () => {
    const fn = lower('void f(int k) { switch (k) { case 1: a(); case 2: b(); break; default: c(); } d(); }');
    assert.deepEqual(paths(fn), ['a b d', 'b d', 'c d']);
  });

  it('loops have a back edge and an exit; do-while(0) runs once', () => {
    const fn = lower('void f(int n) { while (n--) a(); do { b(); } while (0); }');
    assert.deepEqual(paths(fn), ['a b', 'b']);
    assert.ok(
      fn.blocks.some((b, i) => b.succ.some((e) => e.to < i)),
      'back edge',
    );
  });

  it('iterator macros are loops', () => {
    const fn = lower(
      'void f(struct list_head *h) { struct foo *p; list_for_each_entry(p, h, node) { g(p); } done(); }',
    );
    assert.deepEqual(paths(fn), ['done', 'g done']);
  });

  it('guards release at scope exit, also on early return', () => {
    const fn = lower(`int f(struct s *p) {
      scoped_guard(spinlock_irqsave, &p->lock) { a(); }
      { guard(mutex)(&p->m); if (b()) return 1; c(); }
      return 0;
    }`);
    assert.deepEqual(paths(fn), [
      'spin_lock_irqsave a spin_unlock_irqrestore mutex_lock b c mutex_unlock',
      'spin_lock_irqsave a spin_unlock_irqrestore mutex_lock b mutex_unlock',
    ]);
  });

  it('trylock tests become conditions on the branch edges', () => {
    const fn = lower(
      'int f(struct s *p) { if (!mutex_trylock(&p->m)) return -1; a(); mutex_unlock(&p->m); return 0; }',
    );
    const edges = fn.blocks.flatMap((b) => b.succ).filter((e) => e.cond?.call !== undefined);
    assert.deepEqual(edges.map((e) => e.cond!.truthy).sort(), [false, true]);
  });

  it('#ifdef arms are both paths unless a define decides', () => {
    const src = 'void f(void) {\n#ifdef CONFIG_X\n a();\n#else\n b();\n#endif\n}';
    assert.deepEqual(paths(lower(src)), ['a', 'b']);
    assert.deepEqual(paths(lower(src, ['CONFIG_X'])), ['a']);
    assert.deepEqual(paths(lower(src, [], ['CONFIG_X'])), ['b']);
  });

  it('annotations and kernel attribute macros do not break functions', () => {
    const fn = lower('static int __init __maybe_unused f(struct s *p) __must_hold(&p->lock) { return g(); }');
    assert.equal(fn.name, 'f');
    assert.deepEqual(
      fn.mustHold.map((a) => a.text),
      ['&p->lock'],
    );
  });

  it('analyses what parses around an ERROR node', () => {
    const fn = lower('void f(void) { a(); int = = ; b(); }');
    assert.deepEqual(paths(fn), ['a b']);
  });

  it('calls through ops tables keep the called field', () => {
    const fn = lower('void f(struct dev *d) { d->ops->bind(d); }');
    assert.deepEqual(paths(fn), ['->bind']);
  });

  it('branches on results say for which values they hold (comparisons, IS_ERR, likely, WARN_ON, !!)', () => {
    const conds = (body: string) =>
      lower(`int f(void *p, int ret) { ${body} }`)
        .blocks.flatMap((b) => b.succ)
        .filter((e) => e.cond?.truthy)
        .map((e) => {
          const c = e.cond!;
          const subject = c.variable ?? (c.call !== undefined ? 'call' : '?');
          return `${subject}:${c.trueFor ?? 'nonzero'}${c.falseFor !== undefined ? `/${c.falseFor}` : ''}`;
        });
    assert.deepEqual(conds('if (ret < 0) a();'), [`ret:${NEGATIVE}`]);
    assert.deepEqual(conds('if (ret >= 0) a();'), [`ret:${ZERO | POSITIVE}`]);
    assert.deepEqual(conds('if (ret == 0) a();'), [`ret:${ZERO}`]);
    assert.deepEqual(conds('if (p == NULL) a();'), [`p:${ZERO}`]);
    assert.deepEqual(conds('if (ret == -EDEADLK) a();'), [`ret:${NEGATIVE}/${ANY_VALUE}`]);
    assert.deepEqual(conds('if (IS_ERR(p)) a();'), [`p:${NEGATIVE}`]);
    assert.deepEqual(conds('if (IS_ERR_OR_NULL(p)) a();'), [`p:${NEGATIVE | ZERO}`]);
    assert.deepEqual(conds('if (unlikely(IS_ERR(p))) a();'), [`p:${NEGATIVE}`]);
    assert.deepEqual(conds('if (WARN_ON(!p)) a();'), ['p:nonzero']); // a test of p itself
    assert.deepEqual(conds('if (!!ret) a();'), ['ret:nonzero']);
    assert.deepEqual(conds('if (IS_ERR(p = g())) a();'), [`p:${NEGATIVE}`]);
    assert.deepEqual(conds('if (mutex_lock_interruptible(p) < 0) a();'), [`call:${NEGATIVE}`]);
  });

  it('records what exits return and what locals are assigned', () => {
    const fn = lower(`struct t *f(struct s *p) {
      struct t *tl = p->tl;
      bool locked = false;
      int err;
      err = g(tl);
      if (err)
        return ERR_PTR(err);
      locked = true;
      return locked ? tl : NULL;
    }`);
    const rets = fn.blocks.filter((b) => b.exit).map((b) => JSON.stringify(b.ret ?? null));
    assert.deepEqual(rets, ['{"call":0}', '{"var":"tl"}', `{"values":${ZERO}}`]);
    const assigns = fn.blocks.flatMap((b) =>
      b.events.flatMap((e) => (e.kind === 'assign' ? [`${e.name}=${JSON.stringify(e.value ?? null)}`] : [])),
    );
    assert.deepEqual(assigns, [
      `tl={"values":${ZERO | POSITIVE}}`,
      `locked={"values":${ZERO}}`,
      'err=null',
      `locked={"values":${POSITIVE}}`,
    ]);
  });

  it('might_sleep_if(cond) is a call under that condition', () => {
    const fn = lower('void f(unsigned int flags) { might_sleep_if(flags & FOO_SYNC); g(); }');
    assert.deepEqual(paths(fn), ['g', 'might_sleep_if g']);
    const edge = fn.blocks[0].succ.find((e) => e.cond?.truthy);
    assert.equal(edge?.cond?.atom, 'flags & FOO_SYNC');
  });
});
