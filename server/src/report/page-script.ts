/**
 * The report page's script, bundled by scripts/build.mjs from page/ into dist/report-page.js
 * (the page is typed against the DOM, which the server is not). Found by walking up from here,
 * like the grammars: from dist/ in the bundles and the VSIX, from out/ in the tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findUp } from '../util/find-up';

const PAGE_SCRIPT = path.join('dist', 'report-page.js');

let cached: string | undefined;

export function pageScript(): string {
  if (cached === undefined) {
    const file = findUp(__dirname, PAGE_SCRIPT);
    if (!file) throw new Error(`the report's script ${PAGE_SCRIPT} is missing: run npm run build`);
    // inline in a <script> element: no text in it may end that element
    cached = fs.readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return cached;
}
