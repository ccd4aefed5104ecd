/**
 * The seeded random sample of a precision audit: the same findings and the same seed draw the
 * same sample on any machine, whatever order the findings came in.
 */

/** What a sample is drawn from: a finding's place and identity. */
export interface Sampled {
  file: string;
  range: { line: number; col: number };
  rule: string;
  fingerprint: string;
}

/** mulberry32: a small, well-mixed 32-bit generator; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `size` findings drawn without replacement (all of them when there are fewer), in the order
 * drawn. The population is put in a canonical order first (file, position, rule, fingerprint).
 */
export function drawSample<T extends Sampled>(population: readonly T[], size: number, seed: number): T[] {
  const pool = [...population].sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      a.range.line - b.range.line ||
      a.range.col - b.range.col ||
      cmp(a.rule, b.rule) ||
      cmp(a.fingerprint, b.fingerprint),
  );
  const random = seededRandom(seed);
  const n = Math.min(Math.max(0, Math.floor(size)), pool.length);
  // Partial Fisher-Yates: the first n places hold the sample.
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
