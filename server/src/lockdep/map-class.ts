/**
 * Lockdep class names to Lockscope's static classes. lockdep names a class after the lock
 * expression at its initialisation (`&mm->mmap_lock#2`, `&dev_priv->mm_lock`) or after a class
 * key (`cpuctx_mutex`); Lockscope names it after the struct type and field
 * (`drm_i915_private.mm_lock`), the file-scope variable (`pmus_lock`), or a fixed name from the
 * knowledge base (`mmap_lock`, `fs_reclaim`, `cpu_hotplug_lock`). The strongest evidence is the
 * stack lockdep saved: the function it names took the lock, and the static analysis knows which
 * classes that function takes.
 */
import { normaliseClassName } from './classes';
import { scenarioClass } from './parse';
import { firstWorkspaceFrame } from './locate';
import { baseClassName, lastField, type StaticView } from './static-view';
import type { LockdepFrame, LockdepReport } from './types';

export type MapHow =
  /** The normalised lockdep name is a static class (a file-scope lock, a class key of the same name). */
  | 'exact'
  /** A class the knowledge base fixes: pseudo-locks and aliases (`mmap_lock`, `cpu_hotplug_lock`). */
  | 'pseudo'
  /** The function on lockdep's stack takes exactly one matching static class. */
  | 'frames'
  /** The only static class with the same last field (`dev_priv->mm_lock` -> `*.mm_lock`). */
  | 'field'
  /** No static class: the lockdep name (normalised) is its own node. */
  | 'unmapped';

export interface ClassMapping {
  /** As lockdep printed it. */
  lockdep: string;
  /** normaliseClassName(lockdep). */
  name: string;
  /** The static class, or `name` when unmapped. */
  cls: string;
  how: MapHow;
  /** What decided it (the function on the stack), or why it failed (ambiguous candidates). */
  detail?: string;
}

export interface ClassMapContext {
  view: StaticView;
  /** Stacks lockdep saved where this class was acquired (link frames, `at:` frames). */
  stacks?: readonly (readonly LockdepFrame[])[];
  /** Static classes other lockdep classes of the same report already map to. */
  claimed?: ReadonlySet<string>;
  /** Mappings found from stacks elsewhere (another report), by normalised name. */
  learned?: ReadonlyMap<string, ClassMapping>;
}

export function mapRuntimeClass(lockdepClass: string, ctx: ClassMapContext): ClassMapping {
  const lockdep = typeof lockdepClass === 'string' ? lockdepClass : '';
  const name = normaliseClassName(lockdep);
  return (
    mapByName(lockdep, name, ctx) ??
    mapByFrames(lockdep, name, ctx) ??
    learnedMapping(lockdep, name, ctx) ??
    mapByField(lockdep, name, ctx.view)
  );
}

/** Exact and pseudo names: no evidence needed beyond the name. */
function mapByName(lockdep: string, name: string, ctx: ClassMapContext): ClassMapping | undefined {
  const view = ctx.view;
  if (name === '')
    return { lockdep, name, cls: lockdep.trim() || '?', how: 'unmapped', detail: 'empty name' };
  if (view.fixed.has(name)) return { lockdep, name, cls: name, how: 'pseudo' };
  if (view.classes.has(name)) return { lockdep, name, cls: name, how: 'exact' };
  const same = view.classesNamed(name);
  if (same.length > 0) {
    // Static locks of one name in several files are several classes: the stack's file decides.
    const files = new Set(
      (ctx.stacks ?? []).flatMap((s) => {
        const found = firstWorkspaceFrame(s, view);
        return found ? [found.ref.file] : [];
      }),
    );
    const inFile = same.filter((c) => [...files].some((f) => c.endsWith(`(${f.split('/').pop()})`)));
    const cls = inFile.length === 1 ? inFile[0] : [...same].sort()[0];
    return {
      lockdep,
      name,
      cls,
      how: 'exact',
      ...(same.length > 1 && inFile.length !== 1 && { detail: `one of ${same.join(', ')}` }),
    };
  }
  const field = lastField(name);
  const alias = view.kb.aliasClass(name, field);
  if (alias !== name) return { lockdep, name, cls: alias, how: 'pseudo' };
  if (field !== name && view.fixed.has(field)) return { lockdep, name, cls: field, how: 'pseudo' };
  return undefined;
}

function learnedMapping(lockdep: string, name: string, ctx: ClassMapContext): ClassMapping | undefined {
  const known = ctx.learned?.get(name);
  return known ? { ...known, lockdep } : undefined;
}

/**
 * Each stack names the first workspace function on it; that function takes the class. Of the
 * static classes it takes (not claimed by another lockdep class of the report), the one whose
 * name relates to lockdep's wins; a sole candidate wins without a name relation.
 */
function mapByFrames(lockdep: string, name: string, ctx: ClassMapContext): ClassMapping | undefined {
  const view = ctx.view;
  const tally = new Map<string, number>();
  const via = new Map<string, Set<string>>();
  for (const stack of ctx.stacks ?? []) {
    const found = firstWorkspaceFrame(stack, view);
    if (!found) continue;
    const candidates = view
      .acquisitions(found.ref)
      .map((a) => a.cls)
      .filter((c) => !ctx.claimed?.has(c));
    if (candidates.length === 0) continue;
    const scored = candidates.map((c) => ({ c, s: relation(name, c) }));
    const top = Math.max(...scored.map((x) => x.s));
    const winners = top > 0 ? scored.filter((x) => x.s === top) : candidates.length === 1 ? scored : [];
    if (winners.length !== 1) continue;
    const { c } = winners[0];
    tally.set(c, (tally.get(c) ?? 0) + Math.max(top, 1));
    const fns = via.get(c) ?? new Set();
    fns.add(found.ref.fn.name);
    via.set(c, fns);
  }
  if (tally.size === 0) return undefined;
  const best = Math.max(...tally.values());
  const winners = [...tally].filter(([, n]) => n === best).map(([c]) => c);
  if (winners.length !== 1) return undefined;
  const cls = winners[0];
  return { lockdep, name, cls, how: 'frames', detail: `taken in ${[...(via.get(cls) ?? [])].join(', ')}` };
}

/** How a static class name relates to a lockdep name: same last field (4), a word of it (2), none (0). */
function relation(name: string, cls: string): number {
  const lf = lastField(name);
  const cf = lastField(cls);
  if (baseClassName(cls) === name || lf === cf) return 4;
  const words = lf.split('_').filter((w) => w !== '');
  if (cf.length >= 3 && (lf.endsWith(`_${cf}`) || lf.startsWith(`${cf}_`) || words.includes(cf))) return 2;
  return 0;
}

function mapByField(lockdep: string, name: string, view: StaticView): ClassMapping {
  // Only expressions have fields; a plain name is a global lock or a class key.
  if (/->|\./.test(name)) {
    const field = lastField(name);
    const candidates = view.classesWithField(field).filter((c) => c.includes('.'));
    if (candidates.length === 1) return { lockdep, name, cls: candidates[0], how: 'field' };
    if (candidates.length > 1) {
      return {
        lockdep,
        name,
        cls: name,
        how: 'unmapped',
        detail: `ambiguous: ${[...candidates].sort().join(', ')}`,
      };
    }
  }
  return { lockdep, name, cls: name, how: 'unmapped' };
}

/**
 * Maps every class a report mentions. Names first (so that their classes are claimed), then
 * stacks, then fields; stack-based mappings are added to `learned` for later reports and
 * /proc/lockdep dumps, which carry no stacks.
 */
export function mapReportClasses(
  report: LockdepReport,
  view: StaticView,
  learned?: Map<string, ClassMapping>,
): Map<string, ClassMapping> {
  const stacks = new Map<string, LockdepFrame[][]>();
  const order: string[] = [];
  const note = (cls: string | undefined, stack?: LockdepFrame[]) => {
    if (cls === undefined || cls === '') return;
    let list = stacks.get(cls);
    if (!list) {
      stacks.set(cls, (list = []));
      order.push(cls);
    }
    if (stack && stack.length > 0) list.push(stack);
  };
  for (const link of report.links) {
    note(link.from);
    note(link.to, link.frames);
  }
  for (const ref of [report.trying, report.holding, ...report.held])
    note(ref?.cls, ref?.at ? [ref.at] : undefined);
  if (report.registeredAt) note(report.trying?.cls, report.registeredAt.frames);
  for (const cls of report.chain) note(cls);
  for (const step of [...(report.scenario?.cpu0 ?? []), ...(report.scenario?.cpu1 ?? [])])
    note(scenarioClass(step));

  const out = new Map<string, ClassMapping>();
  for (const cls of order) {
    const m = mapByName(cls, normaliseClassName(cls), { view });
    if (m) out.set(cls, m);
  }
  // Two spellings of one class (`&mm->mmap_lock#2`, `&mm->mmap_lock`) are one class.
  const byName = (cls: string) => [...out.values()].find((m) => m.name === normaliseClassName(cls));
  const claimed = new Set([...out.values()].map((m) => m.cls));
  for (const cls of order) {
    if (out.has(cls)) continue;
    const same = byName(cls);
    if (same) {
      out.set(cls, { ...same, lockdep: cls });
      continue;
    }
    const name = normaliseClassName(cls);
    const allStacks = order.filter((c) => normaliseClassName(c) === name).flatMap((c) => stacks.get(c) ?? []);
    const m = mapRuntimeClass(cls, { view, stacks: allStacks, claimed, ...(learned && { learned }) });
    out.set(cls, m);
    if (m.how !== 'unmapped') claimed.add(m.cls);
    if (m.how === 'frames' && learned && !learned.has(name)) learned.set(name, m);
  }
  return out;
}
