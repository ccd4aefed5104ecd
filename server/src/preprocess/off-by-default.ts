/**
 * What a build without a known configuration is taken to have off: options that only add
 * debugging checks, self-tests, fault injection, sanitizers or KUnit tests. Nobody ships them,
 * and their code (poisoning memory through the GGTT, injecting allocation failures) creates
 * lock dependencies that exist only in a debug build. Data, not code: the setting
 * `lockscope.offByDefault` replaces the list. `*` matches any run of characters; an entry
 * starting with `!` keeps a symbol the earlier entries matched (the last match wins).
 *
 * Kept (the `!` entries), because their code runs on production kernels or states facts that
 * hold in every build:
 * - CONFIG_DEBUG_FS: debugfs is on in distribution kernels; its handlers take real locks when
 *   someone reads the files.
 * - CONFIG_DEBUG_KERNEL, CONFIG_DEBUG_INFO*, CONFIG_DEBUG_BUGVERBOSE: on in distribution
 *   kernels; they gate other options or only change what a BUG prints.
 * - CONFIG_DEBUG_LOCK_ALLOC, CONFIG_DEBUG_ATOMIC_SLEEP (and CONFIG_LOCKDEP, CONFIG_PROVE_*,
 *   which no entry matches): lockdep priming (`fs_reclaim_acquire(); might_lock(&x);`),
 *   `lockdep_assert_held()` and `might_sleep()` arms describe lock orders and contexts that
 *   are true of the code whether or not the checker is built in; dropping them would drop
 *   real dependencies, not debug-only ones.
 */
export const DEFAULT_OFF_PATTERNS: readonly string[] = [
  'DEBUG',
  'CONFIG_DEBUG_*',
  'CONFIG_*_DEBUG',
  'CONFIG_*_DEBUG_*',
  '*_SELFTEST',
  '*_SELFTEST_*',
  '*_SELFTESTS',
  'CONFIG_KUNIT*',
  '*_KUNIT_TEST',
  '*_KUNIT_TESTS',
  'CONFIG_TEST_*',
  'CONFIG_FAULT_INJECTION*',
  'CONFIG_*_FAULT_INJECTION*',
  'CONFIG_FAIL_*',
  'CONFIG_KASAN*',
  'CONFIG_KCSAN*',
  'CONFIG_KMSAN*',
  'CONFIG_UBSAN*',
  'CONFIG_KCOV*',
  'CONFIG_GCOV*',
  '!CONFIG_DEBUG_FS',
  '!CONFIG_DEBUG_KERNEL',
  '!CONFIG_DEBUG_INFO*',
  '!CONFIG_DEBUG_BUGVERBOSE',
  '!CONFIG_DEBUG_LOCK_ALLOC',
  '!CONFIG_DEBUG_ATOMIC_SLEEP',
];

/**
 * Folders whose C files only self-test builds compile (i915's Makefile adds its `selftests/*.o`
 * under CONFIG_DRM_I915_SELFTEST). When nothing says which files are built (no compilation
 * database, no .config, no driver Makefile), a C file below one is left out while the table
 * above turns self-test options off, as it does `SELFTEST_PROBE`.
 */
export const SELFTEST_FOLDERS: readonly string[] = ['selftests'];
export const SELFTEST_PROBE = 'CONFIG_SELFTEST';

/** A compiled pattern list: whether a symbol is off when nothing else decides it. */
export class OffPatterns {
  private readonly rules: { off: boolean; re: RegExp }[];

  constructor(patterns: readonly string[]) {
    this.rules = patterns.map((p) => {
      const off = !p.startsWith('!');
      const glob = off ? p : p.slice(1);
      const re = new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`);
      return { off, re };
    });
  }

  /** `CONFIG_X_MODULE` (an `m` option's second name) follows CONFIG_X. */
  isOff(symbol: string): boolean {
    const name = symbol.startsWith('CONFIG_') ? symbol.replace(/_MODULE$/, '') : symbol;
    let off = false;
    for (const r of this.rules) if (r.re.test(name)) off = r.off;
    return off;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
