/**
 * "Lockscope: Show configuration symbols": where the configuration came from, and every symbol
 * the files asked about, taken as on, off or unknown, with the rule that decided it and the
 * files that asked. Plain text (the editor opens it as a document).
 */
import type { FileFacts } from '../analysis/ir';
import { type Configuration, describeSource } from '../preprocess/config';

interface SymbolRow {
  answer: 'on' | 'off' | 'unknown';
  value: string;
  reason: string;
  files: number;
}

/**
 * `files`: the indexed facts; `absOf` maps a facts path to the absolute path the configuration
 * knows it by; `only`: one file's symbols instead of the workspace's.
 */
export function formatConfigSymbols(
  config: Configuration,
  files: Iterable<FileFacts>,
  absOf: (path: string) => string,
  only?: string,
): string {
  const data = config.data;
  const out: string[] = [];
  out.push(`Configuration: ${config.describe()}`);
  out.push(
    `Mode: ${data.mode === 'driver' ? "the driver's own configuration (a symbol nothing in it defines is off)" : 'kernel (a symbol nothing decides keeps both arms)'}`,
  );
  out.push(`Kernel version: ${data.kernelVersion.text}`);
  for (const s of data.sources) out.push(`  ${s.kind}: ${describeSource(s)}${s.file ? ` — ${s.file}` : ''}`);
  const rows = new Map<string, SymbolRow>();
  let arms = 0;
  let firstOnly = 0;
  let read = 0;
  for (const facts of files) {
    if (only !== undefined && facts.path !== only) continue;
    read++;
    arms += facts.unknownArms?.length ?? 0;
    firstOnly += facts.unknownArms?.filter((a) => a.firstOnly).length ?? 0;
    const explain = config.explainerFor(absOf(facts.path));
    for (const [name] of facts.configDeps ?? []) {
      const row = rows.get(name);
      if (row) {
        row.files++;
        continue;
      }
      const { state, reason } = explain(name);
      rows.set(name, {
        answer: state.defined === undefined ? 'unknown' : state.defined ? 'on' : 'off',
        value: state.defined && state.value && state.value !== '1' ? ` = ${state.value}` : '',
        reason,
        files: 1,
      });
    }
  }
  out.push('');
  out.push(`Symbols asked about in ${only ?? `the workspace (${read} files)`}:`);
  for (const answer of ['on', 'off', 'unknown'] as const) {
    const list = [...rows]
      .filter(([, r]) => r.answer === answer)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.push('');
    out.push(`${answer} (${list.length}):`);
    for (const [name, r] of list)
      out.push(
        `  ${name}${r.value} — ${r.reason}${only === undefined ? `; ${r.files} file${r.files === 1 ? '' : 's'}` : ''}`,
      );
  }
  out.push('');
  out.push(
    `Arms kept without knowing their configuration: ${arms}` +
      (firstOnly ? ` (${firstOnly} of them the only arm read: their arms were not whole statements)` : ''),
  );
  return out.join('\n') + '\n';
}
