/**
 * The editor's findings baseline (`lockscope.baseline`): a scan's JSON or SARIF output, named
 * relative to a workspace folder. Findings in it are not shown. The file is read again whenever
 * it changed on disk (checked at each publish, by its modification time); a missing or broken
 * file shows every finding, with one message per state of the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareWithBaseline } from '../baseline/compare';
import { type Baseline, readBaseline } from '../baseline/read';
import type { Diagnostic } from '../engine/engine';

export class EditorBaseline {
  private loaded: { file: string; stamp: string; baseline?: Baseline } | undefined;
  private warned: string | undefined;

  constructor(
    private readonly setting: string,
    private readonly folders: readonly string[],
    private readonly warn: (message: string) => void,
  ) {}

  /** The diagnostics a user sees: those not in the baseline (all of them without one). */
  filter(diagnostics: Diagnostic[]): Diagnostic[] {
    const baseline = this.setting ? this.current() : undefined;
    return baseline ? compareWithBaseline(diagnostics, baseline).fresh : diagnostics;
  }

  private current(): Baseline | undefined {
    const found = this.locate();
    if (!found) {
      this.warnOnce(
        `lockscope.baseline: ${this.setting} not found${this.folders.length ? ` in ${this.folders.join(', ')}` : ''}; showing every finding`,
      );
      return undefined;
    }
    const { file, folder, stamp } = found;
    if (this.loaded?.file !== file || this.loaded.stamp !== stamp) {
      const read = readBaseline(file, folder);
      this.loaded = { file, stamp, baseline: read.baseline };
      if (read.error) this.warnOnce(`lockscope.baseline: ${read.error}; showing every finding`);
      else this.warned = undefined;
    }
    return this.loaded.baseline;
  }

  /** The file in the first workspace folder that has it (or the absolute path). */
  private locate(): { file: string; folder: string; stamp: string } | undefined {
    const candidates = path.isAbsolute(this.setting)
      ? [{ file: this.setting, folder: this.folders[0] ?? path.dirname(this.setting) }]
      : this.folders.map((folder) => ({ file: path.resolve(folder, this.setting), folder }));
    for (const c of candidates) {
      const st = statOf(c.file);
      if (st?.isFile()) return { ...c, stamp: `${st.mtimeMs}:${st.size}` };
    }
    return undefined;
  }

  private warnOnce(message: string): void {
    if (this.warned === message) return;
    this.warned = message;
    this.warn(message);
  }
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined; // missing or unreadable: as if absent
  }
}
