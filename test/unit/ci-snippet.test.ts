/**
 * The README's CI snippets, run for real: a git repository with a small driver is made in a
 * temporary folder, the adoption commands write and commit the baseline, an edit adds a bug and
 * moves the old one down, and then the very `lockscope` commands of the GitHub Actions and GitLab
 * CI snippets (read from the README) run in it. Only the new finding may fail the job. The
 * snippets' install steps (a clone of Lockscope) are replaced by a `lockscope` on PATH that runs
 * this checkout.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const REPO = path.resolve(__dirname, '../../..');
const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');

/** The code block right after `<!-- ci:NAME -->` in the README. */
function snippet(name: string): string {
  const m = new RegExp(`<!-- ci:${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(README);
  assert.ok(m, `README has no ci:${name} snippet`);
  return m[1];
}

/** The shell commands of a snippet that run Lockscope (YAML `run:` values and `script:` items too). */
function lockscopeCommands(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*(?:-\s+)?(?:run:\s*)?/, ''))
    .filter((l) => l.startsWith('lockscope '));
}

const BEFORE = `#include <linux/spinlock.h>
#include <linux/delay.h>

struct foo_dev {
	spinlock_t lock;
	int state;
};

void foo_poll(struct foo_dev *foo)
{
	spin_lock(&foo->lock);
	msleep(10);
	foo->state = 0;
	spin_unlock(&foo->lock);
}
`;

/** Lines above the old bug (it moves down by nine), and a new bug below it. */
const AFTER = BEFORE.replace(
  'void foo_poll',
  `static int foo_count(struct foo_dev *foo)
{
	int n;

	n = foo->state;
	return n + 1;
}

/* Polls the device. */
void foo_poll`,
).concat(`
void foo_reset(struct foo_dev *foo)
{
	spin_lock(&foo->lock);
	foo->state = foo_count(foo);
	msleep(20);
	spin_unlock(&foo->lock);
}
`);

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

describe('the README CI snippets on a git repository', () => {
  let root: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;

  const sh = (command: string, cwd = repo): Run => {
    const r = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  const sarifOf = (file: string) =>
    JSON.parse(fs.readFileSync(path.join(repo, file), 'utf8')) as {
      runs: {
        results: {
          baselineState?: string;
          partialFingerprints: Record<string, string>;
          locations: { logicalLocations: { name: string }[] }[];
        }[];
      }[];
    };
  const states = (file: string) =>
    sarifOf(file)
      .runs[0].results.map((r) => `${r.locations[0].logicalLocations[0].name}:${r.baselineState ?? '-'}`)
      .sort();

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lockscope-ci-'));
    repo = path.join(root, 'driver');
    const bin = path.join(root, 'bin');
    fs.mkdirSync(path.join(repo, 'drivers', 'foo'), { recursive: true });
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'lockscope'),
      `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'bin', 'lockscope')}" "$@"\n`,
      { mode: 0o755 },
    );
    env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(root, 'gitconfig'),
    };
    const file = path.join(repo, 'drivers', 'foo', 'foo_core.c');
    fs.writeFileSync(file, BEFORE);
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'foo: the driver');
    // Adoption, as the README says: write the baseline and commit it.
    for (const line of snippet('adopt').trim().split('\n')) {
      const r = sh(line);
      assert.equal(r.status, 0, `${line}\n${r.stderr}`);
    }
    assert.equal(git('log', '--format=%s', '-1').trim(), 'Lockscope baseline');
    fs.writeFileSync(file, AFTER);
    git('commit', '-q', '-a', '-m', 'foo: reset');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('the adoption wrote every existing finding, with fingerprints', () => {
    const baseline = JSON.parse(fs.readFileSync(path.join(repo, '.lockscope-baseline.json'), 'utf8'));
    assert.deepEqual(
      baseline.diagnostics.map((d: { function: string; line: number }) => `${d.function}:${d.line}`),
      ['foo_poll:12'],
    );
    assert.match(baseline.diagnostics[0].fingerprint, /^[0-9a-f]{32}$/);
  });

  it('GitHub Actions: the upload has every finding; only the new one fails the job', () => {
    const [scan, failOnNew, ...rest] = lockscopeCommands(snippet('github'));
    assert.deepEqual(rest, []);
    const first = sh(scan);
    assert.equal(first.status, 0, first.stderr);
    const sarif = sarifOf('lockscope.sarif');
    assert.deepEqual(states('lockscope.sarif'), ['foo_poll:-', 'foo_reset:-']);
    for (const r of sarif.runs[0].results)
      assert.match(r.partialFingerprints['lockscope/v1'], /^[0-9a-f]{32}$/);

    const second = sh(failOnNew);
    assert.equal(second.status, 1, second.stdout + second.stderr);
    const reported = second.stdout.split('\n').filter((l) => /^drivers\/foo\/foo_core\.c:\d+:\d+: /.test(l));
    assert.equal(reported.length, 1, second.stdout);
    const line = AFTER.split('\n').findIndex((l) => l.includes('msleep(20)')) + 1;
    assert.match(
      reported[0],
      new RegExp(`^drivers/foo/foo_core\\.c:${line}:\\d+: error \\[sleep-in-atomic\\] msleep`),
    );
    assert.match(second.stdout, /1 new, 1 unchanged \(not shown\), 0 gone/);
  });

  it('GitLab CI: fails on the new finding; the SARIF artifact marks new and unchanged', () => {
    const [command, ...rest] = lockscopeCommands(snippet('gitlab'));
    assert.deepEqual(rest, []);
    const r = sh(command);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.deepEqual(states('lockscope.sarif'), ['foo_poll:unchanged', 'foo_reset:new']);
  });

  it('the baseline can come from --config, as the lockscope.baseline setting', () => {
    fs.writeFileSync(path.join(root, 'cfg.json'), JSON.stringify({ baseline: '.lockscope-baseline.json' }));
    const r = sh(`lockscope scan . --config ${JSON.stringify(path.join(root, 'cfg.json'))}`);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /1 new, 1 unchanged \(not shown\), 0 gone/);
  });

  it('the same job passes once the new bug is fixed', () => {
    const file = path.join(repo, 'drivers', 'foo', 'foo_core.c');
    try {
      fs.writeFileSync(file, AFTER.replace('msleep(20);', 'udelay(20);'));
      const r = sh(lockscopeCommands(snippet('gitlab'))[0]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.deepEqual(states('lockscope.sarif'), ['foo_poll:unchanged']);
    } finally {
      fs.writeFileSync(file, AFTER);
    }
  });

  it('--changed-since HEAD~1 reports the new finding only', () => {
    const r = sh('lockscope scan . --changed-since HEAD~1 --format json');
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.diagnostics.map((d: { function: string }) => d.function),
      ['foo_reset'],
    );
    assert.equal(out.changedSince, 'HEAD~1');
    // With the baseline too: the old finding is out of scope, not gone.
    const both = JSON.parse(
      sh('lockscope scan . --changed-since HEAD~1 --baseline .lockscope-baseline.json --format json').stdout,
    );
    assert.deepEqual(both.baseline, { file: '.lockscope-baseline.json', new: 1, unchanged: 0, absent: 0 });
    // Nothing changed since HEAD: nothing to report.
    assert.equal(sh('lockscope scan . --changed-since HEAD').status, 0);
  });

  it('--changed-since counts uncommitted changes', () => {
    const file = path.join(repo, 'drivers', 'foo', 'foo_core.c');
    try {
      // The old bug's function gains a line in the working tree only.
      fs.writeFileSync(file, AFTER.replace('\tfoo->state = 0;\n', '\tfoo->state = 0;\n\tfoo->state++;\n'));
      const r = sh('lockscope scan . --changed-since HEAD --format json');
      const out = JSON.parse(r.stdout);
      // foo_poll's finding is on an unchanged line, and so are its related locations.
      assert.deepEqual(out.diagnostics, []);
      fs.writeFileSync(file, AFTER.replace('\tmsleep(10);\n', '\tmsleep(11);\n'));
      const moved = JSON.parse(sh('lockscope scan . --changed-since HEAD --format json').stdout);
      assert.deepEqual(
        moved.diagnostics.map((d: { function: string }) => d.function),
        ['foo_poll'],
      );
    } finally {
      fs.writeFileSync(file, AFTER);
    }
  });

  it('--changed-since outside a git work tree or with an unknown revision: exit 2 and why', () => {
    const plain = path.join(root, 'plain');
    fs.mkdirSync(plain, { recursive: true });
    fs.writeFileSync(path.join(plain, 'a.c'), BEFORE);
    const notGit = sh('lockscope scan . --changed-since HEAD', plain);
    assert.equal(notGit.status, 2);
    assert.match(notGit.stderr, /needs a git work tree/);
    const unknown = sh('lockscope scan . --changed-since no-such-branch');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown git revision 'no-such-branch'/);
    const option = sh('lockscope scan . --changed-since=--output=/tmp/x');
    assert.equal(option.status, 2);
    assert.match(option.stderr, /unknown git revision/);
  });
});
