/**
 * The lowering reads plain calls, access paths, operators and positions from the source text
 * where the text alone is exact, and falls back to the syntax tree otherwise (comments,
 * errors, ...). These tests hold both ways to the same facts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Event, FileFacts, FunctionIR } from '../../server/src/analysis/ir';
import { lowerFile } from '../../server/src/analysis/lower';
import { argPath, compactArg } from '../../server/src/analysis/lower-text';
import { Knowledge } from '../../server/src/kb/knowledge';
import { type CachedNode, SourceTree } from '../../server/src/parsing/cached-node';
import { CParser, type SyntaxNode } from '../../server/src/parsing/parser';

let parser: CParser;
const kb = Knowledge.withExtensions();

function lowerText(src: string): FileFacts {
  const tree = parser.parse(src);
  try {
    return lowerFile(tree, 't.c', kb);
  } finally {
    tree.delete();
  }
}

function onlyFunction(src: string): FunctionIR {
  const facts = lowerText(src);
  assert.equal(facts.functions.length, 1, 'one function');
  return facts.functions[0];
}

/** Events and edge conditions without source ranges, and argument texts without line continuations. */
function shape(fn: FunctionIR): unknown {
  const strip = (e: Event) =>
    e.kind === 'call'
      ? { ...e, range: undefined, args: e.args.map((a) => ({ ...a, text: a.text.replace(/\\/g, '') })) }
      : e;
  return fn.blocks.map((b) => ({ events: b.events.map(strip), succ: b.succ }));
}

/**
 * The same function with a line continuation after every comma and before every `)` and `&&`:
 * whitespace to the grammar, but calls and operators holding one are read from the tree.
 * (A comment would do too, but a comment in an argument list counts as an argument.)
 */
function withContinuations(src: string): string {
  return src.replace(/,/g, ',\\\n').replace(/\)/g, '\\\n)').replace(/&&/g, '\\\n&&');
}

const CALLS = `void f(struct dev *d, int n)
{
  int ret, i;
  const struct thing *c = d->c, **cc;
  long unsigned lu = -1, *p2 = 0;
  bool ok = !n, no = n < 2 ? true : false;
  struct thing *t = to_thing(d);
  foo(&d->lock, n, 1, "s,(", 'c', n + 1, -n, *d->p, d->arr[i].f, (int)n, NULL, true);
  bar(baz(n), &ret, &d->ret, sizeof(*d));
  d->ops->start(d, t->x.y);
  ret = qux(n) ? 1 : 0;
  if (ret && !check(d) && n == 0)
    release(t);
  if (get(d) < 0 && n)
    i++;
  list_for_each_entry(t, &d->list, node)
    use(t);
  spin_lock_irqsave(& d -> lock, flags);
  call_it(d)(n);
}
`;

describe('lowering from source text', () => {
  before(async () => {
    parser = await CParser.create();
  });

  it('reads call arguments, callees and access paths as the syntax tree does', () => {
    const plain = onlyFunction(CALLS);
    const continued = onlyFunction(withContinuations(CALLS));
    assert.deepEqual(shape(continued), shape(plain));
    assert.deepEqual(continued.locals, plain.locals);
    assert.deepEqual(plain.locals, {
      ret: 'int',
      i: 'int',
      c: 'thing',
      cc: 'thing',
      lu: 'long unsigned',
      p2: 'long unsigned',
      ok: 'bool',
      no: 'bool',
      t: 'thing',
    });
    const foo = plain.blocks.flatMap((b) => b.events).find((e) => e.kind === 'call' && e.callee === 'foo');
    assert.ok(foo?.kind === 'call');
    // As the analysis reads them: the stored path, or the one the text reads as.
    const args = foo.args.map((a) => {
      const path = argPath(a);
      return path ? { text: a.text, path } : { text: a.text };
    });
    assert.deepEqual(args, [
      { text: '&d->lock', path: { root: { kind: 'var', name: 'd' }, fields: ['lock'] } },
      { text: 'n', path: { root: { kind: 'var', name: 'n' }, fields: [] } },
      { text: '1' },
      { text: '"s,("' },
      { text: "'c'" },
      { text: 'n + 1' },
      { text: '-n' },
      { text: '*d->p', path: { root: { kind: 'var', name: 'd' }, fields: ['p'] } },
      { text: 'd->arr[i].f', path: { root: { kind: 'var', name: 'd' }, fields: ['arr', 'f'] } },
      { text: '(int)n', path: { root: { kind: 'type', type: 'int' }, fields: [] } },
      { text: 'NULL' },
      { text: 'true' },
    ]);
  });

  it('stores an argument path only where the text does not say it', () => {
    const d = { root: { kind: 'var' as const, name: 'd' }, fields: ['lock'] };
    assert.deepEqual(compactArg('&d->lock', d), { text: '&d->lock' });
    assert.deepEqual(argPath(compactArg('&d->lock', d)), d);
    // The text reads as a path the tree did not find: "none" must be said.
    assert.deepEqual(compactArg('x', undefined), { text: 'x', path: null });
    assert.equal(argPath(compactArg('x', undefined)), undefined);
    // A path the text alone does not give.
    const a = { root: { kind: 'var' as const, name: 'a' }, fields: [] };
    assert.deepEqual(compactArg('a[i]', a), { text: 'a[i]', path: a });
    assert.deepEqual(compactArg('1', undefined), { text: '1' });
  });

  it('reads parameters as the syntax tree does', () => {
    const src =
      'void g(unsigned x, char *const p, const struct foo *q, u32 n, enum e k, struct bar, int true_) {}';
    const expected = [
      { name: 'x', type: 'unsigned' },
      { name: 'p', type: 'char' },
      { name: 'q', type: 'foo' },
      { name: 'n', type: 'u32' },
      { name: 'k', type: 'e' },
      { name: '_arg5', type: 'bar' },
      { name: 'true_', type: 'int' },
    ];
    assert.deepEqual(onlyFunction(src).params, expected);
    // A line continuation in every parameter sends them all down the syntax-tree path.
    assert.deepEqual(onlyFunction(src.replace(/ (\w+)([,)])/g, '\\\n$1$2')).params, expected);
  });

  it('writes through &local arguments after the call', () => {
    const fn = onlyFunction(CALLS);
    const events = fn.blocks.flatMap((b) => b.events);
    const bar = events.findIndex((e) => e.kind === 'call' && e.callee === 'bar');
    assert.deepEqual(events[bar + 1], { kind: 'assign', name: 'ret' });
  });

  it('reads nodes as web-tree-sitter does, across CRLF, non-ASCII text, leading blank lines and errors', () => {
    const src =
      '\n\n  /* é😀 */ int x = f("😀é",\r\n 2);\r\nint y;\n\tstatic int z = 3; // ü\n' +
      'struct s { int a; } v = { .a = 1 };\nvoid g(void) { if (x) { h( } else y = 2; }\n';
    const tree = parser.parse(src);
    try {
      const stack: [CachedNode, SyntaxNode][] = [[new SourceTree(tree).root, tree.rootNode]];
      let checked = 0;
      for (let pair = stack.pop(); pair; pair = stack.pop()) {
        const [node, expected] = pair;
        const what = `${expected.type} at ${expected.startIndex}`;
        assert.equal(node.id, expected.id, what);
        assert.equal(node.type, expected.type, what);
        assert.deepEqual(node.startPosition, expected.startPosition, what);
        assert.equal(node.endIndex, expected.endIndex, what);
        assert.deepEqual(node.endPosition, expected.endPosition, what);
        assert.equal(node.text, expected.text, what);
        assert.equal(node.hasError, expected.hasError, what);
        assert.equal(
          node.hasMissingChild(),
          expected.children.some((c) => c.isMissing),
          what,
        );
        for (const name of ['declarator', 'body', 'value', 'alternative'])
          assert.equal(node.field(name)?.id, expected.childForFieldName(name)?.id, `${what} .${name}`);
        assert.deepEqual(
          node.descendantsOfType(['identifier', 'ERROR']).map((n) => n.id),
          expected.descendantsOfType(['identifier', 'ERROR']).map((n) => n!.id),
          what,
        );
        assert.equal(node.namedChildren.length, expected.namedChildren.length, what);
        node.namedChildren.forEach((child, i) => stack.push([child, expected.namedChildren[i]!]));
        checked++;
      }
      assert.ok(checked > 40, `${checked} nodes compared`);
    } finally {
      tree.delete();
    }
  });

  it('counts ERROR nodes nested in other ERROR nodes', () => {
    const src = `int f(void)
{
  static const struct { int a, b; } map[] = {
#define MAP(x, y) { ilog2(I915_ENGINE_##x), ilog2(I915_SCHEDULER_CAP_##y) }
    MAP(HAS_PREEMPTION, PREEMPTION),
#undef MAP
  };
  return 0;
}
`;
    const tree = parser.parse(src);
    try {
      const expected = tree.rootNode.descendantsOfType('ERROR').length;
      assert.ok(expected > 1);
      assert.equal(lowerText(src).parseErrors, expected);
    } finally {
      tree.delete();
    }
  });
});
