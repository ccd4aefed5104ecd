import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The first `dir/relative` that exists walking up from `start`: bundles (dist/), compiled tests
 * (out/...) and the installed extension all find the shipped grammars/ and docs/ this way.
 */
export function findUp(start: string, relative: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}
