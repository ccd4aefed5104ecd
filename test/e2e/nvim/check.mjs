// Checks one Neovim LSP result (written by init.lua): the expected rule ids on the expected lines, the
// rule-page link and related locations, the "Suppress <rule> on this line" action, the hover text, and
// that applying the suppression removed the diagnostic.
// Usage: node check.mjs RESULT.json RULE@LINE[,RULE@LINE...] [HOVER_SUBSTRING]
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const [file, expected, hoverText] = process.argv.slice(2);
const r = JSON.parse(readFileSync(file, 'utf8'));
assert.ok(!r.error, `nvim: ${r.error} (events: ${JSON.stringify(r.events)})`);
const diags = r.diagnostics.diagnostics;
const got = diags.map((d) => `${d.code}@${d.range.start.line + 1}`);
for (const want of expected.split(',')) assert.ok(got.includes(want), `${want} not in ${got.join(', ')}`);
for (const d of diags) {
  assert.equal(d.source, 'lockscope');
  assert.match(d.codeDescription?.href ?? '', new RegExp(`${d.code}\\.md$`), `${d.code}: no rule-page link`);
  assert.ok(d.relatedInformation?.length, `${d.code}: no related information`);
}
const firstRule = expected.split(',')[0].split('@')[0];
const titles = (r.code_actions ?? []).map((a) => a.title);
assert.ok(titles.includes(`Suppress ${firstRule} on this line`), `code actions: ${JSON.stringify(titles)}`);
// The GFP quick fix (when the server offers it): it must only turn GFP_KERNEL into GFP_ATOMIC.
const gfp = (r.code_actions ?? []).find((a) => /GFP_ATOMIC/.test(a.title));
if (gfp) {
  const edits = Object.values(gfp.edit?.changes ?? {}).flat();
  assert.ok(edits.length && edits.every((e) => e.newText === 'GFP_ATOMIC'), JSON.stringify(gfp));
}
if (hoverText) {
  const value = r.hover?.contents?.value ?? JSON.stringify(r.hover?.contents ?? null);
  assert.ok(value.includes(hoverText), `hover does not mention ${hoverText}: ${value}`);
}
assert.ok(r.after_fix, 'no diagnostics were republished after the suppression');
const left = r.after_fix.diagnostics.map((d) => d.code);
assert.ok(!left.includes(firstRule), `${firstRule} still reported after the suppression: ${left}`);
console.log(`ok: ${got.join(', ')}; actions: ${titles.join(' | ')}; after fix: [${left.join(', ')}]`);
