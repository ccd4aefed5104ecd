/**
 * SARIF 2.1.0 for code-scanning UIs (GitHub, Azure DevOps, the SARIF viewer extension): one run,
 * the rules from the registry, one result per diagnostic with its related locations, a code flow
 * that steps through the chain, and the lock-order graph as a SARIF graph.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as sarif from 'sarif';
import type { Range } from '../analysis/ir';
import { FINGERPRINT_KEY } from '../baseline/fingerprint';
import type { BaselineComparison } from '../baseline/compare';
import type { Diagnostic } from '../engine/engine';
import type { OrderGraph } from '../graph/order-graph';
import { RULES } from '../rules/registry';
import type { Confidence } from '../rules/confidence';
import type { Severity } from '../rules/rule';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';
/** Matches package.json `repository`; one place to change when the project has a home. */
export const DEFAULT_INFORMATION_URI = 'https://example.invalid/lockscope';

export interface SarifOptions {
  toolVersion: string;
  /** Where `%SRCROOT%` is: an absolute URI or an absolute file-system path (the scan's root). */
  baseUri?: string;
  /** The tool's home page (`tool.driver.informationUri`). */
  informationUri?: string;
  /**
   * Base the rule pages `docs/rules/<id>.md` are resolved against (each rule's `helpUri`).
   * Absolute, since SARIF wants a URI there; default: `informationUri` + `/`. An empty string
   * gives the bare relative `docs/rules/<id>.md`.
   */
  docsBaseUri?: string;
  /**
   * The comparison with a baseline (--baseline): every result gets its `baselineState` (`new`
   * or `unchanged`), and the baseline's findings that are gone are listed as `absent`.
   */
  baseline?: BaselineComparison;
}

/** What a result is made of: a diagnostic, or a baseline's finding that is gone (baseline/read.ts). */
export type ResultSource = Pick<
  Diagnostic,
  'severity' | 'file' | 'range' | 'function' | 'message' | 'related' | 'classes' | 'fingerprint'
> &
  Partial<Pick<Diagnostic, 'confidence' | 'confidenceReasons'>> & { rule: string };

/**
 * A result's confidence as CodeQL writes precision (`properties.precision`) and as SARIF ranks
 * results (`rank`, 0 to 100: how much a reviewer should trust it).
 */
const PRECISION: Record<Confidence, { precision: string; rank: number }> = {
  high: { precision: 'high', rank: 90 },
  medium: { precision: 'medium', rank: 60 },
  low: { precision: 'low', rank: 30 },
};

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const SARIF_LEVEL: Record<Severity, sarif.ReportingConfiguration.level> = {
  error: 'error',
  warning: 'warning',
  information: 'note',
  hint: 'note',
};

export function toSarif(diagnostics: Diagnostic[], graph: OrderGraph, opts: SarifOptions): sarif.Log {
  const informationUri = opts.informationUri ?? DEFAULT_INFORMATION_URI;
  const docsBase = withSlash(opts.docsBaseUri ?? informationUri);
  const rules: sarif.ReportingDescriptor[] = RULES.map((r) => ({
    id: r.meta.id,
    name: pascalCase(r.meta.id),
    shortDescription: { text: r.meta.summary },
    fullDescription: { text: r.meta.summary },
    help: { text: `${r.meta.summary}\nSee ${ruleDocUri(r.meta.id, docsBase)}` },
    helpUri: ruleDocUri(r.meta.id, docsBase),
    defaultConfiguration: { level: SARIF_LEVEL[r.meta.defaultSeverity] },
    properties: { tags: ['concurrency', 'locking', 'linux-kernel'] },
  }));
  const ruleIndex = new Map(RULES.map((r, i) => [r.meta.id, i]));

  const state = opts.baseline && new Set(opts.baseline.unchanged.map((d) => d.fingerprint));
  const results: sarif.Result[] = diagnostics.map((d) => {
    const result = sarifResult(d, ruleIndex);
    if (state) result.baselineState = state.has(d.fingerprint) ? 'unchanged' : 'new';
    return result;
  });
  for (const gone of opts.baseline?.absent ?? [])
    results.push({ ...sarifResult(gone, ruleIndex), baselineState: 'absent' });

  const run: sarif.Run = {
    tool: {
      driver: {
        name: 'Lockscope',
        version: opts.toolVersion,
        ...(SEMVER.test(opts.toolVersion) ? { semanticVersion: opts.toolVersion } : {}),
        informationUri,
        rules,
      },
    },
    columnKind: 'utf16CodeUnits',
    results,
  };
  if (opts.baseUri) run.originalUriBaseIds = { [SRCROOT]: { uri: baseUriOf(opts.baseUri) } };
  const lockGraph = sarifGraph(graph);
  if (lockGraph) run.graphs = [lockGraph];
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}

/** One result: the location with its function, related locations, a code flow through the chain. */
function sarifResult(d: ResultSource, ruleIndex: ReadonlyMap<string, number>): sarif.Result {
  const primary = location(d.file, d.range);
  const firstLine = d.message.split('\n')[0];
  const result: sarif.Result = {
    ruleId: d.rule,
    level: SARIF_LEVEL[d.severity],
    message: { text: d.message },
    locations: [
      d.function ? { ...primary, logicalLocations: [{ name: d.function, kind: 'function' }] } : primary,
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: d.fingerprint },
  };
  const index = ruleIndex.get(d.rule);
  if (index !== undefined) result.ruleIndex = index;
  if (d.related.length) {
    result.relatedLocations = d.related.map((r, i) => ({
      id: i + 1,
      message: { text: r.message },
      ...location(r.file, r.range),
    }));
    const steps: sarif.ThreadFlowLocation[] = d.related.map((r) => ({
      location: { ...location(r.file, r.range), message: { text: r.message } },
      importance: 'important',
    }));
    const last = d.related[d.related.length - 1];
    if (last.file !== d.file || !sameRange(last.range, d.range)) {
      steps.push({ location: { ...primary, message: { text: firstLine } }, importance: 'essential' });
    } else steps[steps.length - 1].importance = 'essential';
    steps.forEach((s, i) => (s.executionOrder = i + 1));
    result.codeFlows = [{ message: { text: firstLine }, threadFlows: [{ locations: steps }] }];
  }
  result.properties = { function: d.function, lockClasses: d.classes };
  if (d.confidence) {
    const { precision, rank } = PRECISION[d.confidence];
    result.rank = rank;
    result.properties.precision = precision;
    if (d.confidenceReasons) result.properties.confidenceReasons = d.confidenceReasons;
  }
  return result;
}

/** The rule's page, absolute when `docsBase` is (relative `docs/rules/<id>.md` otherwise). */
export function ruleDocUri(id: string, docsBase: string): string {
  const rel = `docs/rules/${encodeURIComponent(id)}.md`;
  if (!docsBase || docsBase === '/') return rel;
  try {
    return new URL(rel, withSlash(docsBase)).href;
  } catch {
    return withSlash(docsBase) + rel;
  }
}

/** A workspace-relative path as a relative URI reference (segments percent-encoded). */
export function relativeUri(file: string): string {
  return file
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** SARIF regions are 1-based; end column is one past the last character, as in our ranges. */
export function region(range: Range): sarif.Region {
  const startLine = Math.max(0, range.line) + 1;
  const startColumn = Math.max(0, range.col) + 1;
  let endLine = Math.max(0, range.endLine) + 1;
  let endColumn = Math.max(0, range.endCol) + 1;
  if (endLine < startLine || (endLine === startLine && endColumn < startColumn)) {
    endLine = startLine;
    endColumn = startColumn;
  }
  return { startLine, startColumn, endLine, endColumn };
}

/** Workspace-relative paths hang off `%SRCROOT%`; absolute paths and URIs stand alone. */
export function artifactLocation(file: string): sarif.ArtifactLocation {
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(file)) return { uri: file };
  if (path.posix.isAbsolute(file) || path.win32.isAbsolute(file)) {
    const url =
      path.win32.isAbsolute(file) && !file.startsWith('/')
        ? pathToFileURL(file, { windows: true })
        : pathToFileURL(file);
    return { uri: url.href };
  }
  return { uri: relativeUri(file), uriBaseId: SRCROOT };
}

function location(file: string, range: Range): sarif.Location {
  return { physicalLocation: { artifactLocation: artifactLocation(file), region: region(range) } };
}

function sameRange(a: Range, b: Range): boolean {
  return a.line === b.line && a.col === b.col && a.endLine === b.endLine && a.endCol === b.endCol;
}

/** The lock-order graph (classes with at least one edge), edges labelled with their witness. */
function sarifGraph(graph: OrderGraph): sarif.Graph | undefined {
  const edges = graph.edges();
  if (!edges.length) return undefined;
  const ids = new Map<string, string>();
  const nodeId = (cls: string): string => {
    let id = ids.get(cls);
    if (!id) ids.set(cls, (id = `n${ids.size}`));
    return id;
  };
  const sarifEdges: sarif.Edge[] = edges.map((e, i) => {
    const w = e.witness;
    const label = w ? `${w.file}:${w.range.line + 1} ${w.fn}` : `${e.origin}: ${e.source ?? ''}`.trim();
    return {
      id: `e${i}`,
      sourceNodeId: nodeId(e.from),
      targetNodeId: nodeId(e.to),
      label: { text: label },
      properties: { origin: e.origin, count: e.count, runtime: e.runtime },
    };
  });
  const nodes: sarif.Node[] = [...ids].map(([cls, id]) => ({ id, label: { text: cls } }));
  return {
    description: { text: 'Lockscope lock-order graph (A -> B: B acquired while A is held)' },
    nodes,
    edges: sarifEdges,
  };
}

function baseUriOf(base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return withSlash(base);
  return withSlash(pathToFileURL(path.resolve(base)).href);
}

function withSlash(s: string): string {
  return s.endsWith('/') ? s : s + '/';
}

function pascalCase(id: string): string {
  return id
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
