/**
 * Fingerprints: one per finding, stable across line shifts, unrelated edits, reworded messages
 * and severity changes, so that a later scan (or a code-scanning service) can tell a finding it
 * has seen before from a new one.
 *
 * A fingerprint hashes the rule, the file's base name, the function, the lock classes and the
 * finding's path (the call at the reporting line and the operation it reaches: Identity), and
 * an occurrence index: the how-many-th finding with that same key in source order. The index
 * tells apart two findings that share everything else (two exits of one function leaving the same
 * lock held, two calls to the same sleeping helper under one spinlock). Positions never enter; the
 * file enters by its base name only, so the same tree scanned from another folder, or opened as
 * a workspace folder in an editor, gives the same fingerprints.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Finding } from '../rules/rule';

/** The `partialFingerprints` key in SARIF (versioned, as SARIF recommends). */
export const FINGERPRINT_KEY = 'lockscope/v1';

/** What the fingerprint hashes besides the occurrence index. */
export function fingerprintKey(f: Omit<Finding, 'severity'>): string {
  const classes = f.identity?.classes ?? f.classes;
  const parts = [
    FINGERPRINT_KEY,
    f.rule,
    path.basename(f.file.replace(/\\/g, '/')),
    f.function,
    classes.join('\u0001'),
    (f.identity?.path ?? []).join('\u0001'),
  ];
  return parts.join('\u0000');
}

/**
 * The fingerprints of `findings`, in their order, which must be source order (file, position):
 * the occurrence index counts in that order.
 */
export function fingerprints(findings: readonly Omit<Finding, 'severity'>[]): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const key = fingerprintKey(f);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return createHash('sha256').update(`${key}\u0000${n}`).digest('hex').slice(0, 32);
  });
}
