/**
 * `lockscope scan` with the configuration flags: --kconfig, --compile-commands and
 * --kernel-version name what the files are read under, and the JSON report's `stats.config`
 * says what that was.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../server/src/cli/main';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-cli-config-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const DRIVER = `#include <linux/delay.h>
#include <linux/spinlock.h>

struct foo {
	spinlock_t lock;
};

void foo_kick(struct foo *f)
{
	spin_lock(&f->lock);
#ifdef CONFIG_FOO_SLOW
	msleep(10);
#endif
	spin_unlock(&f->lock);
}
`;

interface Report {
  diagnostics: { rule: string; line: number }[];
  stats: {
    config?: { description: string; sources: { kind: string; file?: string }[]; kernelVersion: string };
  };
}

/** Runs `lockscope scan` on the driver folder with `flags`, and reads its JSON report. */
async function scan(name: string, flags: string[]): Promise<Report> {
  const out = path.join(root, `${name}.json`);
  const saved = process.exitCode;
  try {
    await main([
      'node',
      'lockscope',
      'scan',
      drv,
      '--no-cache',
      '-j',
      '1',
      '-f',
      'json',
      '--fail-on',
      'none',
      '-o',
      out,
      ...flags,
    ]);
  } finally {
    process.exitCode = saved;
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
}

const drv = path.join(root, 'drv');
const build = path.join(root, 'build');
fs.mkdirSync(drv);
fs.mkdirSync(build);
fs.writeFileSync(path.join(drv, 'foo.c'), DRIVER);
// Outside the scanned folder: only the flags bring them in.
const kconfig = path.join(build, '.config');
fs.writeFileSync(kconfig, '# generated\nCONFIG_FOO_FAST=y\n');
const cc = path.join(build, 'compile_commands.json');
fs.writeFileSync(
  cc,
  JSON.stringify([{ directory: drv, file: 'foo.c', arguments: ['cc', '-DCONFIG_FOO_SLOW', '-c', 'foo.c'] }]),
);

describe('lockscope scan: configuration flags', () => {
  it('without flags, an option nothing decides keeps both arms', async () => {
    const r = await scan('none', []);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.rule}:${d.line}`),
      ['sleep-in-atomic:12'],
    );
    assert.equal(r.stats.config?.description, 'default: debug options off');
  });

  it('--kconfig: an option the .config does not set is off, and stats.config names the file', async () => {
    const r = await scan('kconfig', ['--kconfig', kconfig]);
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.stats.config?.sources.some((s) => s.kind === 'kconfig' && s.file === kconfig));
  });

  it("--compile-commands: the file's own -D wins over the .config", async () => {
    const r = await scan('cc', ['--kconfig', kconfig, '--compile-commands', cc]);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.rule}:${d.line}`),
      ['sleep-in-atomic:12'],
    );
    assert.ok(r.stats.config?.sources.some((s) => s.kind === 'compile_commands' && s.file === cc));
  });

  it('--kernel-version is the version LINUX_VERSION_CODE arms are read for', async () => {
    const r = await scan('version', ['--kernel-version', '5.4']);
    assert.equal(r.stats.config?.kernelVersion, '5.4');
  });
});
