import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The suite must pass in a plain clone, with nothing beside it. A test that reads a folder next
 * to the repository passes on the machine where it was written and fails for everyone else, so
 * this scans the test sources for paths that leave the repository.
 */
const REPO = path.resolve(__dirname, '../../..');
const TEST_ROOT = 'test';
/** Inputs, not sources: C and report fixtures name no files. */
const NOT_SCANNED = new Set(['fixtures', 'node_modules']);
const SOURCE = /\.(?:ts|js|mjs|cjs|sh|lua)$/;

/** Runs of `..` joined by `/` (`'../../x'`) or by quote-comma-quote (`'..', '..'`). */
const UP_RUN = /(?<!\.)\.\.(?:(?:\/|['"`]\s*,\s*['"`])\.\.)*(?![.\w])/g;
/** Places outside every clone, whatever the path arithmetic. */
const OUTSIDE: [RegExp, string][] = [
  [/\bshared\/seeds?\b/, 'names the seeds folder beside the repository'],
  [/['"`]\/work\//, 'names an absolute path of this machine'],
  [/(?:\bREPO['"`]?\s*,\s*['"`]|\$\{?(?:E2E_)?REPO\}?\/)\.\.(?![.\w])/, 'climbs above the repository root'],
];

interface Escape {
  line: number;
  why: string;
  text: string;
}

/**
 * The escapes in one source whose code runs `depth` folders below the repository root (a `..`
 * more than that leaves the clone).
 */
function escapes(source: string, depth: number): Escape[] {
  const found: Escape[] = [];
  source.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(UP_RUN)) {
      const ups = m[0].split('..').length - 1;
      if (ups > depth)
        found.push({ line: i + 1, why: `${ups} levels up from ${depth} deep`, text: text.trim() });
    }
    for (const [re, why] of OUTSIDE) if (re.test(text)) found.push({ line: i + 1, why, text: text.trim() });
  });
  return found;
}

/** Where a test source runs: TypeScript from its compiled copy under out/, the rest in place. */
function runDepth(file: string): number {
  const dir = path.dirname(file).split('/').length;
  return file.endsWith('.ts') ? dir + 1 : dir;
}

function testSources(dir = TEST_ROOT): string[] {
  return fs
    .readdirSync(path.join(REPO, dir), { withFileTypes: true })
    .flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) return NOT_SCANNED.has(e.name) ? [] : testSources(rel);
      return SOURCE.test(e.name) ? [rel] : [];
    })
    .sort();
}

/** `n` parent steps, built so that this file holds no such literal itself. */
const up = (n: number, sep = '/') => Array.from({ length: n }, () => '.'.repeat(2)).join(sep);

describe('the test suite is self-contained', () => {
  it('flags paths that leave the repository and passes those that stay inside', () => {
    const seeds = ['shared', 'seeds'].join('/');
    const flagged = (text: string, depth: number) => escapes(text, depth).map((e) => e.why);
    assert.deepEqual(flagged(`const S = path.resolve(__dirname, '${up(4)}/x');`, 3), [
      '4 levels up from 3 deep',
    ]);
    assert.deepEqual(flagged(`path.join(__dirname, '${up(3, "', '")}');`, 2), ['3 levels up from 2 deep']);
    assert.deepEqual(flagged(`cd "$(dirname "$0")/${up(3)}"`, 2), ['3 levels up from 2 deep']);
    assert.deepEqual(flagged(`const S = '${seeds}';`, 3), ['names the seeds folder beside the repository']);
    assert.deepEqual(flagged(`read('/${'work'}/trees/x.c')`, 3), ['names an absolute path of this machine']);
    assert.deepEqual(flagged(`path.join(REPO, '${up(1)}', 'x')`, 3), ['climbs above the repository root']);
    assert.deepEqual(flagged(`cp "$E2E_REPO/${up(1)}/x" .`, 2), ['climbs above the repository root']);
    for (const inside of [
      `import { Engine } from '${up(2)}/server/src/engine/engine';`,
      `const FIXTURES = path.resolve(__dirname, '${up(3)}/test/fixtures/lockdep');`,
      `const REPO = join(dirname(fileURLToPath(import.meta.url)), '${up(2, "', '")}');`,
      `. "$HERE/${up(1)}/lib.sh"`,
      'const all = [...frames, ...held];',
      `fs.symlinkSync('${up(1)}', path.join(dir, 'links', 'up'));`,
    ]) {
      assert.deepEqual(flagged(inside, 3), [], inside);
    }
  });

  it('scans the unit tests, their support code and the e2e scripts', () => {
    const sources = testSources();
    for (const f of ['test/unit/lockdep-parse.test.ts', 'test/support/fixtures.ts', 'test/e2e/lib.sh'])
      assert.ok(sources.includes(f), f);
    assert.ok(!sources.some((f) => f.startsWith('test/fixtures/')));
    assert.equal(runDepth('test/unit/lockdep-parse.test.ts'), 3);
    assert.equal(runDepth('test/e2e/lib.sh'), 2);
  });

  it('no test source reads outside the repository', () => {
    const found = testSources().flatMap((f) =>
      escapes(fs.readFileSync(path.join(REPO, f), 'utf8'), runDepth(f)).map(
        (e) => `${f}:${e.line}: ${e.why}: ${e.text}`,
      ),
    );
    assert.deepEqual(found, []);
  });
});
