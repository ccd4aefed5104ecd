import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preprocess } from '../../server/src/preprocess/blank';
import { compiledOutSources } from '../../server/src/preprocess/compiled-out';
import { Configuration, settingsConfigData } from '../../server/src/preprocess/config';
import { evaluate, type SymbolState } from '../../server/src/preprocess/expr';
import {
  expandInvocation,
  isExpandable,
  isGfpMask,
  type MacroDef,
  parseDefine,
} from '../../server/src/preprocess/macros';
import { DEFAULT_OFF_PATTERNS, OffPatterns } from '../../server/src/preprocess/off-by-default';
import { defaultSettings } from '../../server/src/config/settings';
import { Engine } from '../../server/src/engine/engine';
import type { Include } from '../../server/src/analysis/ir';

/** A lookup from a table: listed symbols as given, any other unknown. */
function table(entries: Record<string, string | null>): (name: string) => SymbolState {
  return (name) => {
    if (!Object.hasOwn(entries, name)) return { defined: undefined };
    const v = entries[name];
    return v === null ? { defined: false } : { defined: true, value: v };
  };
}

const value = (text: string, entries: Record<string, string | null> = {}) =>
  evaluate(text, table(entries)).value;

describe('#if expressions', () => {
  it('defined, logic and arithmetic', () => {
    const t = { A: '1', B: null, N: '4' };
    assert.equal(value('defined(A) && !defined B', t), 1n);
    assert.equal(value('N * 2 + 1 == 9 && (N << 2) > 15', t), 1n);
    assert.equal(value('0x10 / 4 - 3 ? 7 : 8', t), 7n);
    assert.equal(value("'a' == 97", t), 1n);
  });

  it('unknown symbols stay unknown unless C decides without them', () => {
    assert.equal(value('defined(X)'), undefined);
    assert.equal(value('defined(X) && 0'), 0n);
    assert.equal(value('1 || defined(X)'), 1n);
    assert.equal(value('X > 3'), undefined);
    assert.equal(evaluate('defined(A) && defined(CONFIG_X)', table({ A: '1' })).unknownSymbol, 'CONFIG_X');
  });

  it('an undefined identifier is 0; object-like macros expand, without recursion', () => {
    assert.equal(value('B + 1', { B: null }), 1n);
    assert.equal(value('LEVEL >= 2', { LEVEL: 'BASE + 1', BASE: '2' }), 1n);
    assert.equal(value('LOOP', { LOOP: 'LOOP' }), undefined);
  });

  it('kernel versions and the kconfig tests', () => {
    const t = {
      LINUX_VERSION_CODE: String((6 << 16) + (4 << 8)),
      CONFIG_Y: '1',
      CONFIG_M: null,
      CONFIG_M_MODULE: '1',
      CONFIG_N: null,
      CONFIG_N_MODULE: null,
    };
    assert.equal(value('LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)', t), 1n);
    assert.equal(value('LINUX_VERSION_CODE < KERNEL_VERSION(5,10,300)', t), 0n);
    assert.equal(value('IS_ENABLED(CONFIG_Y) && IS_ENABLED(CONFIG_M) && !IS_ENABLED(CONFIG_N)', t), 1n);
    assert.equal(value('IS_BUILTIN(CONFIG_M) || IS_MODULE(CONFIG_Y)', { ...t, CONFIG_Y_MODULE: null }), 0n);
    assert.equal(value('IS_REACHABLE(CONFIG_M)', t), undefined, 'an m option is reachable from modules only');
    assert.equal(value('IS_ENABLED(CONFIG_U)', t), undefined);
  });

  it('malformed expressions are unknown, never a throw', () => {
    for (const text of ['(1', '1 +', 'A(', '1 / 0', '"str"', 'defined', ''])
      assert.equal(value(text), undefined);
  });
});

describe('blanking arms the configuration turns off', () => {
  const lookup = table({ CONFIG_ON: '1', CONFIG_OFF: null, CONFIG_OFF_MODULE: null });

  it('keeps every position: same length, same newlines', () => {
    const src = '#ifdef CONFIG_OFF\nint a(void) { return 1; }\n#else\nint b(void);\n#endif\nint c;\n';
    const out = preprocess(src, lookup).text;
    assert.equal(out.length, src.length);
    assert.deepEqual(
      out.split('\n').map((l) => l.trim()),
      ['', '', '', 'int b(void);', '', 'int c;', ''],
    );
  });

  it('keeps undecided arms as alternatives, turning a decided #elif into #else', () => {
    const src = '#if defined(CONFIG_X)\nx();\n#elif IS_ENABLED(CONFIG_ON)\ny();\n#else\nz();\n#endif\n';
    const out = preprocess(src, lookup).text.split('\n');
    assert.equal(out[0], '#if defined(CONFIG_X)');
    assert.equal(out[2].trimEnd(), '#else');
    assert.equal(out[3], 'y();');
    assert.equal(out[5].trim(), '', 'the arm after a taken one is off');
    assert.equal(out[6], '#endif');
  });

  it('an #elif heading the kept arms becomes #if', () => {
    const src = '#if defined(CONFIG_OFF)\nx();\n#elif defined(CONFIG_X)\ny();\n#endif\n';
    const out = preprocess(src, lookup).text.split('\n');
    assert.equal(out[0].trim(), '');
    assert.equal(out[2], '#if   defined(CONFIG_X)');
  });

  it('records the undecided arms with their lines (the confidence interface)', () => {
    const src = [
      'void f(void)',
      '{',
      '#ifdef CONFIG_X',
      '\ta();',
      '#else',
      '\tb();',
      '#endif',
      '#ifdef CONFIG_ON',
      '\tc();',
      '#endif',
      '}',
    ].join('\n');
    const r = preprocess(src, lookup);
    assert.deepEqual(r.unknownArms, [
      { line: 2, endLine: 4, symbol: 'CONFIG_X' },
      { line: 4, endLine: 6, symbol: 'CONFIG_X' },
    ]);
    assert.deepEqual(
      [...r.deps],
      [
        ['CONFIG_X', '?'],
        ['CONFIG_ON', 'y1'],
      ],
    );
  });

  it('arms that are not whole statements leave only the first, with a note', () => {
    const src = [
      'int f(void)',
      '{',
      '#ifdef CONFIG_X',
      '\tret = foo(a,',
      '#else',
      '\tret = foo(b,',
      '#endif',
      '\t\t  c);',
      '#ifdef CONFIG_X',
      '\tif (x)',
      '#else',
      '\tif (y)',
      '#endif',
      '\t\tbar();',
      '}',
    ].join('\n');
    const r = preprocess(src, lookup);
    const lines = r.text.split('\n');
    assert.equal(lines[3], '\tret = foo(a,');
    assert.equal(lines[5].trim(), '');
    assert.equal(lines[9], '\tif (x)');
    assert.equal(lines[11].trim(), '');
    assert.ok(!/#/.test(r.text), 'no directive of those chains is left');
    assert.equal(r.notes.length, 2);
    assert.ok(r.unknownArms.every((a) => a.firstOnly));
  });

  it('arms inside an argument list are not whole statements even when balanced', () => {
    const src =
      'int f(void)\n{\n\treturn foo(a,\n#ifdef CONFIG_X\n\t\t b,\n#else\n\t\t c,\n#endif\n\t\t d);\n}\n';
    const lines = preprocess(src, lookup).text.split('\n');
    assert.equal(lines[4], '\t\t b,');
    assert.equal(lines[6].trim(), '');
  });

  it('replaces decided kconfig tests in C code, not in comments or strings', () => {
    const src = [
      'if (!IS_ENABLED(CONFIG_OFF)) return;',
      '/* IS_ENABLED(CONFIG_ON) */ x = IS_ENABLED(CONFIG_ON);',
      'p("IS_ENABLED(CONFIG_ON)"); y = IS_ENABLED(CONFIG_X);',
    ].join('\n');
    const lines = preprocess(src, lookup).text.split('\n');
    assert.equal(lines[0], `if (!0${' '.repeat('IS_ENABLED(CONFIG_OFF)'.length - 1)}) return;`);
    assert.ok(lines[1].startsWith('/* IS_ENABLED(CONFIG_ON) */ x = 1 '));
    assert.ok(lines[2].startsWith('p("IS_ENABLED(CONFIG_ON)"); y = IS_ENABLED(CONFIG_X);'));
  });

  it("follows the file's own #define and #undef, and reads its include guard as not yet defined", () => {
    const src = [
      '#ifndef FOO_H',
      '#define FOO_H',
      '#define FOO_LEVEL 2',
      '#if FOO_LEVEL > 1',
      'int deep;',
      '#endif',
      '#undef FOO_LEVEL',
      '#ifdef FOO_LEVEL',
      'int gone;',
      '#endif',
      '#endif',
    ].join('\n');
    const r = preprocess(src, table({ FOO_H: '' }));
    assert.match(r.text, /int deep;/);
    assert.doesNotMatch(r.text, /gone/);
    assert.deepEqual(r.unknownArms, []);
  });

  it('a directive inside a block comment is no directive', () => {
    const src = '/*\n#ifdef CONFIG_OFF\n*/\nint a;\n/* #endif */\n';
    assert.equal(preprocess(src, lookup).text, src);
  });

  it('lists the files it includes and whether the include is compiled', () => {
    const src =
      '#if IS_ENABLED(CONFIG_OFF)\n#include "selftests/foo.c"\n#endif\n#include "bar.c"\n#include <baz.h>\n';
    assert.deepEqual(preprocess(src, lookup).includes, [
      { file: 'selftests/foo.c', live: false },
      { file: 'bar.c', live: true },
      { file: 'baz.h', live: true, angle: true },
    ]);
  });
});

describe('the configuration', () => {
  it('off by default: debug, self-test, fault-injection and KUnit options, not lockdep or debugfs', () => {
    const off = new OffPatterns(DEFAULT_OFF_PATTERNS);
    for (const s of [
      'CONFIG_DRM_I915_DEBUG_GEM',
      'CONFIG_DRM_I915_DEBUG',
      'CONFIG_DEBUG_OBJECTS',
      'CONFIG_DRM_I915_SELFTEST',
      'CONFIG_FOO_KUNIT_TEST',
      'CONFIG_FAULT_INJECTION',
      'CONFIG_FOO_DEBUG_MODULE',
      'DEBUG',
    ])
      assert.ok(off.isOff(s), s);
    for (const s of [
      'CONFIG_DEBUG_FS',
      'CONFIG_LOCKDEP',
      'CONFIG_PROVE_LOCKING',
      'CONFIG_DEBUG_LOCK_ALLOC',
      'CONFIG_PM',
      'CONFIG_DEBUG_INFO_BTF',
    ])
      assert.ok(!off.isOff(s), s);
  });

  it('answers in order: settings, the file flags, kconfig, headers, systems, the off table, a closed driver', () => {
    const data = settingsConfigData({ ...defaultSettings(), defines: ['__linux__', 'USER_ON'] });
    data.kconfigs = [{ file: '.config', symbols: [['CONFIG_PM', '1']] }];
    data.kconfig = 0;
    data.files = [
      [
        '/w/a.c',
        {
          flags: [
            ['USER_ON', null],
            ['FLAG_ON', '2'],
            ['CONFIG_PM', null],
          ],
        },
      ],
    ];
    data.headers = [
      ['HDR_ON', { defined: true, value: '' }],
      ['HDR_MAYBE', { defined: undefined }],
    ];
    const config = new Configuration(data);
    const a = config.lookupFor('/w/a.c');
    const b = config.lookupFor('/w/b.c');
    assert.deepEqual(a('USER_ON'), { defined: true, value: '1' }, 'settings win over build flags');
    assert.deepEqual(a('FLAG_ON'), { defined: true, value: '2' });
    assert.equal(a('CONFIG_PM').defined, false, 'the file flags win over the kconfig');
    assert.equal(b('CONFIG_PM').defined, true);
    assert.equal(b('CONFIG_NOT_LISTED').defined, false, 'a .config lists every option that is on');
    assert.equal(b('HDR_ON').defined, true);
    assert.equal(b('HDR_MAYBE').defined, undefined);
    assert.equal(b('__FreeBSD__').defined, false, 'another system than the one defined');
    assert.equal(b('__FreeBSD_version').defined, false);
    assert.equal(b('__ASSEMBLY__').defined, false);
    assert.equal(b('PLATFORM_WINDOWS').defined, undefined, 'a kernel tree is open');
    assert.match(b('LINUX_VERSION_CODE').value ?? '', /^\d+$/);

    const driver = new Configuration({
      ...data,
      kconfig: undefined,
      mode: 'driver',
      owned: [
        ['CONFIG_RTW_DEBUG', 'defines'],
        ['CONFIG_MAYBE', 'maybe'],
      ],
    });
    const d = driver.lookupFor('/w/b.c');
    assert.equal(d('PLATFORM_WINDOWS').defined, false, 'nothing in a closed driver defines it');
    assert.equal(d('CONFIG_RTW_DEBUG').defined, false);
    assert.equal(d('CONFIG_MAYBE').defined, undefined);
    assert.equal(
      d('__BIG_ENDIAN').defined,
      undefined,
      'reserved names belong to the compiler and the kernel',
    );
  });

  it('facts hold while every symbol they asked about answers the same', () => {
    const config = new Configuration(settingsConfigData(defaultSettings()));
    assert.ok(
      config.holds(
        [
          ['CONFIG_X', '?'],
          ['CONFIG_FOO_DEBUG', 'n'],
        ],
        '/w/a.c',
      ),
    );
    assert.ok(!config.holds([['CONFIG_FOO_DEBUG', '?']], '/w/a.c'));
    const other = new Configuration(settingsConfigData({ ...defaultSettings(), defines: ['CONFIG_X'] }));
    assert.ok(!other.holds([['CONFIG_X', '?']], '/w/a.c'));
    assert.notEqual(config.fingerprint, other.fingerprint);
  });
});

describe('compiled-out C files', () => {
  const facts = (includes: Include[]) => includes;

  it('a file included only where the include is off is compiled out, and what it alone includes', () => {
    const out = compiledOutSources([
      { abs: '/w/gem.c', includes: facts([{ file: 'selftests/gem_test.c', live: false }]) },
      { abs: '/w/selftests/gem_test.c', includes: facts([{ file: 'mock.c', live: true }]) },
      { abs: '/w/selftests/mock.c', includes: facts([]) },
      { abs: '/w/vma.c', includes: facts([{ file: 'vma_impl.c', live: true }]) },
      { abs: '/w/vma_impl.c', includes: facts([]) },
      { abs: '/w/main.c', includes: facts([]) },
    ]);
    assert.deepEqual([...out].sort(), ['/w/selftests/gem_test.c', '/w/selftests/mock.c']);
  });

  it('headers included only from arms that are off, and files the build leaves out unless included', () => {
    const out = compiledOutSources(
      [
        {
          abs: '/d/include/osdep.h',
          includes: facts([
            { file: 'osdep_bsd.h', live: false, angle: true },
            { file: 'osdep_linux.h', live: true, angle: true },
          ]),
        },
        { abs: '/d/include/osdep_bsd.h', includes: facts([]) },
        { abs: '/d/include/osdep_linux.h', includes: facts([]) },
        { abs: '/d/include/unused.h', includes: facts([]) },
        { abs: '/d/os/hash.c', includes: facts([{ file: 'hash_impl.c', live: true }]) },
        { abs: '/d/os/hash_impl.c', includes: facts([]) },
        { abs: '/d/platform/windows.c', includes: facts([]) },
      ],
      (abs) => abs.endsWith('windows.c') || abs.endsWith('hash_impl.c'),
    );
    assert.deepEqual([...out].sort(), ['/d/include/osdep_bsd.h', '/d/platform/windows.c']);
  });
});

describe('workspace macros', () => {
  const defs = new Map<string, MacroDef>();
  for (const line of [
    'FOO_TRY(expr, action) do { if ((expr) < 0) { action; } } while (0)',
    'foo_get(p) ({ foo_wait(p); (p)->v; })',
    'foo_log(fmt, ...) pr_info("foo: " fmt, ##__VA_ARGS__)',
    'foo_name(x) #x',
    'foo_cat(a, b) a ## b',
    'foo_loop(p) foo_loop(p)',
    'foo_outer(p) foo_get(p)',
    'FOO_MASK (BIT(1) | BIT(2))',
    'FOO_GFP (GFP_KERNEL | __GFP_NOWARN)',
    'foo_lock(l) ({ typeof(l) _l = (l); mutex_lock(&_l->m); _l->owner = current; })',
    'foo_bump(l) ({ typeof(l) _l = (l); _l++; foo_use(_l); })',
  ]) {
    const d = parseDefine(line, 0)!;
    defs.set(d.name, d);
  }
  const lookup = (n: string) => defs.get(n);
  const expand = (name: string, ...args: string[]) => expandInvocation(defs.get(name)!, args, lookup);

  it('substitutes arguments, statement arguments included, outside string literals', () => {
    assert.equal(
      expand('FOO_TRY', 'foo_prepare(d)', 'return -EIO'),
      'do { if ((foo_prepare(d)) < 0) { return -EIO; } } while (0)',
    );
    assert.equal(expand('foo_log', '"x %d"', 'a', 'b'), 'pr_info("foo: " "x %d", a, b)');
    assert.equal(expand('foo_log', '"x"'), 'pr_info("foo: " "x")');
    assert.equal(expand('foo_name', 'a + b'), '"a + b"');
    assert.equal(expand('foo_cat', 'foo_', 'bar'), 'foo_bar');
  });

  it('expands the macros inside, never one inside itself; wrong argument counts are no expansion', () => {
    assert.equal(expand('foo_outer', 'd'), '({ foo_wait(d); (d)->v; })');
    assert.equal(expand('foo_loop', 'd'), 'foo_loop(d)');
    assert.equal(expand('FOO_TRY', 'only one'), undefined);
  });

  it('reads an evaluate-once copy of a side-effect-free argument as the argument', () => {
    assert.equal(expand('foo_lock', '&(d)->lock'), '({  mutex_lock(&d->lock.m); d->lock.owner = current; })');
    assert.equal(
      expand('foo_lock', 'd->lockp'),
      '({  mutex_lock(&d->lockp->m); d->lockp->owner = current; })',
    );
    // A call is evaluated once, and a copy that changes is a variable: both stay as written.
    assert.match(expand('foo_lock', 'foo_lock_of(d)')!, /_l = \(foo_lock_of\(d\)\)/);
    assert.match(expand('foo_bump', 'd->cur')!, /_l = \(d->cur\); _l\+\+/);
  });

  it('expands bodies with calls or control flow; names gfp masks', () => {
    assert.ok(isExpandable(defs.get('FOO_TRY')!));
    assert.ok(isExpandable(defs.get('foo_get')!));
    assert.ok(!isExpandable(defs.get('foo_cat')!));
    assert.ok(!isExpandable(defs.get('FOO_MASK')!), 'object-like');
    assert.ok(isGfpMask(defs.get('FOO_GFP')!));
    assert.ok(!isGfpMask(defs.get('FOO_MASK')!));
  });
});

describe('the engine reads files under the configuration', () => {
  it('facts carry the arms kept without a configuration, and the answers they were read under', async () => {
    const engine = await Engine.create();
    const text = [
      'void foo_kick(struct foo *f)',
      '{',
      '\tspin_lock(&f->lock);',
      '#ifdef CONFIG_FOO_FAST',
      '\tfoo_fast(f);',
      '#else',
      '\tfoo_slow(f);',
      '#endif',
      '#if IS_ENABLED(CONFIG_FOO_DEBUG)',
      '\tfoo_poison(f);',
      '#endif',
      '\tspin_unlock(&f->lock);',
      '}',
    ].join('\n');
    const { facts } = engine.setFile('/w/foo.c', text);
    assert.deepEqual(facts?.unknownArms, [
      { line: 3, endLine: 5, symbol: 'CONFIG_FOO_FAST' },
      { line: 5, endLine: 7, symbol: 'CONFIG_FOO_FAST' },
    ]);
    assert.deepEqual(facts?.configDeps, [
      ['CONFIG_FOO_FAST', '?'],
      ['CONFIG_FOO_DEBUG', 'n'],
      ['CONFIG_FOO_DEBUG_MODULE', 'n'],
    ]);
    const calls = facts!.functions[0].blocks.flatMap((b) =>
      b.events.flatMap((e) => (e.kind === 'call' ? [e.callee] : [])),
    );
    assert.deepEqual(calls.sort(), ['foo_fast', 'foo_slow', 'spin_lock', 'spin_unlock']);
  });
});
