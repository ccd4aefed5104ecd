/**
 * Reads a findings baseline: the JSON or SARIF output of an earlier scan (`--write-baseline`
 * writes JSON). Only what a comparison needs is kept: each finding's fingerprint, and enough to
 * list it as `absent` in SARIF when it is gone (rule, severity, place, function, message).
 * Untrusted input: anything misshapen is one clear error, never a crash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Range } from '../analysis/ir';
import type { Severity } from '../rules/rule';
import type { ResultSource } from '../report/sarif';
import { FINGERPRINT_KEY } from './fingerprint';

export interface Baseline {
  file: string;
  findings: ResultSource[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** A 1-based line or column as a 0-based one (0 when missing or nonsense). */
const zeroBased = (v: unknown): number => (Number.isInteger(v) && (v as number) >= 1 ? (v as number) - 1 : 0);

const SEVERITIES = new Set<string>(['error', 'warning', 'information', 'hint']);
const FROM_SARIF_LEVEL: Record<string, Severity> = {
  error: 'error',
  warning: 'warning',
  note: 'information',
  none: 'hint',
};

const NO_FINGERPRINTS =
  'has findings without a fingerprint (written by an older Lockscope?): write it again with --write-baseline';

/**
 * The baseline in `file` (relative to `cwd`); `cwd` also makes the SARIF's absolute file URIs
 * workspace paths.
 */
export function readBaseline(file: string, cwd: string): { baseline?: Baseline; error?: string } {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    return { error: `cannot read baseline ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `baseline ${file} is not valid JSON: ${(e as Error).message}` };
  }
  const findings = isObj(value) && Array.isArray(value.runs) ? fromSarif(value.runs, cwd) : fromJson(value);
  if (typeof findings === 'string') return { error: `baseline ${file} ${findings}` };
  return { baseline: { file, findings } };
}

/** DESIGN.md's JSON: `diagnostics` with 1-based positions and a `fingerprint` each. */
function fromJson(value: unknown): ResultSource[] | string {
  if (!isObj(value) || !Array.isArray(value.diagnostics))
    return 'is neither the JSON nor the SARIF output of lockscope scan';
  const out: ResultSource[] = [];
  for (const d of value.diagnostics) {
    if (!isObj(d) || typeof d.rule !== 'string') return 'has a diagnostic without a rule';
    if (typeof d.fingerprint !== 'string' || !d.fingerprint) return NO_FINGERPRINTS;
    const line = zeroBased(d.line);
    const col = zeroBased(d.column);
    out.push({
      rule: d.rule,
      severity: SEVERITIES.has(str(d.severity)) ? (d.severity as Severity) : 'warning',
      file: str(d.file),
      range: { line, col, endLine: Math.max(line, zeroBased(d.endLine)), endCol: zeroBased(d.endColumn) },
      function: str(d.function),
      message: str(d.message),
      related: [],
      classes: [],
      fingerprint: d.fingerprint,
    });
  }
  return out;
}

/** SARIF 2.1.0: each run's results with our partial fingerprint; results already `absent` are not findings. */
function fromSarif(runs: unknown[], cwd: string): ResultSource[] | string {
  const out: ResultSource[] = [];
  for (const run of runs) {
    if (!isObj(run) || !Array.isArray(run.results)) continue;
    for (const r of run.results) {
      if (!isObj(r) || r.baselineState === 'absent') continue;
      const print = isObj(r.partialFingerprints) ? r.partialFingerprints[FINGERPRINT_KEY] : undefined;
      if (typeof print !== 'string' || !print) return NO_FINGERPRINTS;
      const loc = Array.isArray(r.locations) && isObj(r.locations[0]) ? r.locations[0] : {};
      const physical = isObj(loc.physicalLocation) ? loc.physicalLocation : {};
      const logical =
        Array.isArray(loc.logicalLocations) && isObj(loc.logicalLocations[0]) ? loc.logicalLocations[0] : {};
      out.push({
        rule: str(r.ruleId),
        severity: FROM_SARIF_LEVEL[str(r.level)] ?? 'warning',
        file: fileOf(physical.artifactLocation, cwd),
        range: rangeOf(physical.region),
        function: str(logical.name),
        message: isObj(r.message) ? str(r.message.text) : '',
        related: [],
        classes: [],
        fingerprint: print,
      });
    }
  }
  return out;
}

/** A `%SRCROOT%`-relative URI back to a workspace path; a file URI made relative to `cwd`. */
function fileOf(artifact: unknown, cwd: string): string {
  const uri = isObj(artifact) ? str(artifact.uri) : '';
  try {
    if (uri.startsWith('file:')) return path.relative(cwd, fileURLToPath(uri));
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri;
    return uri.split('/').map(decodeURIComponent).join('/');
  } catch {
    return uri; // a malformed escape: keep it as written
  }
}

function rangeOf(region: unknown): Range {
  if (!isObj(region)) return { line: 0, col: 0, endLine: 0, endCol: 0 };
  const line = zeroBased(region.startLine);
  const col = zeroBased(region.startColumn);
  const endLine = region.endLine === undefined ? line : Math.max(line, zeroBased(region.endLine));
  return { line, col, endLine, endCol: region.endColumn === undefined ? col : zeroBased(region.endColumn) };
}
