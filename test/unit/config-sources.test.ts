import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultSettings } from '../../server/src/config/settings';
import { parseCompileCommands, shellWords } from '../../server/src/preprocess/compile-commands';
import { discoverConfiguration } from '../../server/src/preprocess/discover';
import { readKbuild } from '../../server/src/preprocess/kbuild';
import { parseAutoconf, parseDotConfig, versionCodeOf } from '../../server/src/preprocess/kconfig';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-config-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes `files` (path -> text) under a fresh folder and returns it. */
function tree(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('kernel configuration files', () => {
  it('reads y, m, values and "is not set" from a .config', () => {
    const r = parseDotConfig(
      '.config',
      '# comment\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D="x"\nCONFIG_E=12\nCONFIG_F=n\n',
    );
    assert.ok('symbols' in r);
    assert.deepEqual(r.symbols.symbols, [
      ['CONFIG_A', '1'],
      ['CONFIG_B_MODULE', '1'],
      ['CONFIG_D', '"x"'],
      ['CONFIG_E', '12'],
    ]);
  });

  it('names the file and line of a malformed .config or autoconf.h', () => {
    const r = parseDotConfig('/k/.config', 'CONFIG_A=y\nthis is not kconfig\n');
    assert.ok('error' in r);
    assert.match(r.error, /^\/k\/\.config:2: /);
    const h = parseAutoconf('/k/autoconf.h', '/*\n * generated\n */\n#define CONFIG_A 1\nint x;\n');
    assert.ok('error' in h);
    assert.match(h.error, /^\/k\/autoconf\.h:5: /);
  });

  it('reads LINUX_VERSION_CODE from a generated version.h', () => {
    assert.equal(
      versionCodeOf('#define LINUX_VERSION_CODE 395264\n#define KERNEL_VERSION(a,b,c) ...\n'),
      395264,
    );
  });
});

describe('compile_commands.json', () => {
  it('reads -D, -U, -include and -I from arguments and from shell commands', () => {
    const text = JSON.stringify([
      {
        directory: '/b',
        file: 'a.c',
        arguments: ['cc', '-DA', '-D', 'B=2', '-UC', '-include', 'x.h', '-Iinc', 'a.c'],
      },
      { directory: '/b', file: '/s/b.c', command: 'cc "-DNAME=\\"q r\\"" -I /inc -c /s/b.c' },
    ]);
    const r = parseCompileCommands('/b/compile_commands.json', text);
    assert.ok('entries' in r);
    assert.deepEqual(r.entries[0], {
      file: '/b/a.c',
      flags: [
        ['A', '1'],
        ['B', '2'],
        ['C', null],
      ],
      includes: ['/b/x.h'],
      includeDirs: ['/b/inc'],
    });
    assert.deepEqual(r.entries[1].flags, [['NAME', '"q r"']]);
  });

  it('splits commands as a shell would, without running anything', () => {
    assert.deepEqual(shellWords(`cc -D'A=1 2' "-DB=\\"s\\"" x\\ y $(rm -rf /)`), [
      'cc',
      '-DA=1 2',
      '-DB="s"',
      'x y',
      '$(rm',
      '-rf',
      '/)',
    ]);
  });

  it('names the file and line of malformed JSON, and a bad entry', () => {
    const bad = parseCompileCommands('/b/cc.json', '[\n  {"file": "a.c",\n  oops\n]');
    assert.ok('error' in bad);
    assert.match(bad.error, /^\/b\/cc\.json:3: not valid JSON/);
    const entry = parseCompileCommands('/b/cc.json', '[{"file": "a.c"}]');
    assert.ok('error' in entry);
    assert.match(entry.error, /entry 1/);
  });
});

describe('Kbuild Makefiles', () => {
  it('evaluates assignments, conditionals and includes into flags and object lists', () => {
    const dir = tree('kbuild-basic', {
      Makefile: [
        'CONFIG_FOO_USB = y',
        'CONFIG_FOO_PCI = n',
        'MOD := foo',
        'EXTRA_CFLAGS += -DBASE=\\"x\\"',
        'ifeq ($(CONFIG_FOO_USB), y)',
        'EXTRA_CFLAGS += -DCONFIG_FOO_USB',
        'HCI := usb',
        'else ifeq ($(CONFIG_FOO_PCI), y)',
        'HCI := pci',
        'endif',
        'ifneq ($(KERNELRELEASE),)',
        'include $(src)/extra.mk',
        '$(MOD)-y += core.o hci_$(HCI).o',
        '$(MOD)-$(CONFIG_FOO_PCI) += pci_only.o',
        'obj-m := $(MOD).o',
        'else',
        'all:',
        '\t$(MAKE) -C $(KSRC) M=$(shell pwd) modules',
        'endif',
      ].join('\n'),
      'extra.mk': 'ccflags-y += -UOLD_API -DLEVEL=3\n',
    });
    const r = readKbuild(dir, { declared: new Set() });
    // ccflags-y before EXTRA_CFLAGS, as Kbuild joins them.
    assert.deepEqual(r.folders[0].flags, [
      ['OLD_API', null],
      ['LEVEL', '3'],
      ['BASE', '"x"'],
      ['CONFIG_FOO_USB', '1'],
    ]);
    const built = [...r.compiled].map((f) => path.relative(dir, f)).sort();
    assert.deepEqual(built, ['core.c', 'foo.c', 'hci_usb.c']);
    assert.deepEqual(r.complete, [dir]);
    assert.equal(r.owned.get('CONFIG_FOO_PCI'), 'defines');
  });

  it('reads what rests on the unknown ($(shell), options the kernel sets) as maybe, never run', () => {
    const dir = tree('kbuild-unknown', {
      Kconfig: 'config FOO\n\ttristate "foo"\n',
      Makefile: [
        'ARCH ?= $(shell uname -m)',
        'ifeq ($(ARCH), arm)',
        'EXTRA_CFLAGS += -DFOO_ARM',
        'endif',
        'ccflags-$(CONFIG_FOO) += -DFOO_BUILT',
        'obj-$(CONFIG_FOO) += foo.o',
        'foo-y := main.o',
        'foo-y += $(shell ls extra/*.o)',
      ].join('\n'),
    });
    const r = readKbuild(dir, { declared: new Set(['CONFIG_FOO']) });
    assert.deepEqual(r.folders[0].flags, []);
    assert.equal(r.owned.get('FOO_ARM'), 'maybe');
    assert.equal(r.owned.get('FOO_BUILT'), 'maybe');
    assert.ok(r.compiled.has(path.join(dir, 'main.c')));
    assert.deepEqual(r.complete, [], 'an object list with an unknown word is not read whole');
  });
});

describe('an in-kernel Kbuild fragment read outside its kernel tree', () => {
  it('takes the CONFIG_ options it sets none of as unknown: objects and folders under them are built', () => {
    const dir = tree('kbuild-fragment', {
      Makefile: [
        'ccflags-y += -DCONFIG_FOO_LEDS',
        'obj-m := foo.o',
        'obj-$(CONFIG_FOO_USB) += foo-usb.o',
        'obj-$(CONFIG_FOO_BAR) += bar/',
        'foo-y := core.o',
        'foo-usb-y := usb.o',
      ].join('\n'),
      'bar/Makefile': 'obj-$(CONFIG_FOO_BAR) += bar.o\n',
      'core.c': 'int a;\n',
      'usb.c': 'int b;\n',
      'bar/bar.c': 'int c;\n',
    });
    const r = readKbuild(dir, { declared: new Set() });
    assert.equal(r.setsConfig, false);
    const built = [...r.compiled].map((f) => path.relative(dir, f));
    for (const f of ['bar/bar.c', 'core.c', 'usb.c'])
      assert.ok(built.includes(f), `${f} built: ${built.join(', ')}`);
    const files = ['core.c', 'usb.c', 'bar/bar.c'].map((f) => path.join(dir, f));
    const d = discoverConfiguration({ roots: [dir], files, settings: defaultSettings(), base: dir });
    assert.ok(d.log.includes('mode: kernel (open)'), d.log.join('\n'));
  });
});

describe('discovering the configuration', () => {
  it('a malformed .config gives one message naming the file and line, and the default applies', () => {
    const dir = tree('bad-kconfig', { '.config': 'CONFIG_A=y\n<<<garbage>>>\n', 'a.c': 'int a;\n' });
    const d = discoverConfiguration({
      roots: [dir],
      files: [path.join(dir, 'a.c')],
      settings: { ...defaultSettings(), kernelConfig: '.config' },
      base: dir,
    });
    assert.equal(d.problems.length, 1);
    assert.match(d.problems[0].message, /\.config:2: not a \.config line/);
    assert.equal(d.config.describe(), 'default: debug options off');
    assert.equal(d.config.lookupFor(path.join(dir, 'a.c'))('CONFIG_A').defined, undefined);
  });

  it('a malformed compile_commands.json or Makefile never stops the scan', () => {
    const dir = tree('bad-cc', {
      'compile_commands.json': '{ not json',
      Makefile: 'obj-m := a.o\nifeq (unterminated\ninclude $(shell echo missing.mk)\n',
      'a.c': 'int a;\n',
    });
    const d = discoverConfiguration({
      roots: [dir],
      files: [path.join(dir, 'a.c')],
      settings: defaultSettings(),
      base: dir,
    });
    assert.ok(d.problems.some((p) => /compile_commands\.json:1: not valid JSON/.test(p.message)));
    const makefile = d.problems.filter((p) => p.message.includes('Makefile'));
    assert.equal(makefile.length, 1, 'one message for the Makefile');
    assert.match(
      makefile[0].message,
      /Makefile:2: cannot read "ifeq \(unterminated"; the Makefiles are not used/,
    );
    assert.ok(!d.config.data.sources.some((s) => s.kind === 'kbuild'), 'the default applies');
    assert.equal(d.config.data.mode, 'kernel');
  });

  it('a Makefile whose conditionals do not balance names the line, and is not used', () => {
    const cases: [string, RegExp][] = [
      [
        'obj-m := a.o\nEXTRA_CFLAGS += -DFOO_A \\\n\t-DFOO_B\nendif\n',
        /Makefile:4: "endif" without a conditional/,
      ],
      [
        'obj-m := a.o\nifeq ($(A),y)\nEXTRA_CFLAGS += -DFOO_A\nifdef B\nendif\n',
        /Makefile:2: conditional without "endif"/,
      ],
      ['obj-m := a.o\r\nelse\r\n', /Makefile:2: "else" without a conditional/],
    ];
    cases.forEach(([text, message], i) => {
      const dir = tree(`bad-make-${i}`, { Makefile: text, 'a.c': 'int a;\n', 'b.c': 'int b;\n' });
      const d = discoverConfiguration({
        roots: [dir],
        files: [path.join(dir, 'a.c'), path.join(dir, 'b.c')],
        settings: defaultSettings(),
        base: dir,
      });
      assert.equal(d.problems.length, 1, text);
      assert.match(d.problems[0].message, message);
      assert.ok(!d.config.leavesOut(path.join(dir, 'b.c')), 'no file is left out on a Makefile not read');
    });
  });

  it('finds the .config of the kernel tree around the workspace, and its version', () => {
    const dir = tree('ktree', {
      Kconfig: 'mainmenu "k"\n',
      Makefile: 'VERSION = 6\nPATCHLEVEL = 8\nSUBLEVEL = 3\n',
      'scripts/Makefile.build': '\n',
      'include/linux/types.h': '\n',
      'build/.config': 'CONFIG_ON=y\n',
      'drivers/foo/foo.c': 'int foo;\n',
    });
    const file = path.join(dir, 'drivers/foo/foo.c');
    const d = discoverConfiguration({
      roots: [path.join(dir, 'drivers/foo')],
      files: [file],
      settings: defaultSettings(),
      base: dir,
    });
    assert.deepEqual(d.problems, []);
    assert.equal(d.config.describe(), '.config (1 options set)');
    const lookup = d.config.lookupFor(file);
    assert.equal(lookup('CONFIG_ON').defined, true);
    assert.equal(lookup('CONFIG_OFF').defined, false);
    assert.equal(lookup('LINUX_VERSION_CODE').value, String((6 << 16) + (8 << 8) + 3));
  });
});
