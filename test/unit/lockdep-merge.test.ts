import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../server/src/engine/engine';
import { explainReport, formatExplain, type ExplainResult } from '../../server/src/lockdep/explain';
import {
  mapRuntimeClass,
  mergeRuntimeEdges,
  runtimeEdgesFrom,
  runtimeEdgesFromTexts,
  staticView,
  type StaticView,
} from '../../server/src/lockdep/merge';
import {
  parseFrame,
  parseLockdepReports,
  parseProcLockdep,
  type LockdepFrame,
} from '../../server/src/lockdep/parse';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/lockdep');
/** The perf / zgfx six-class cycle, in a mail thread that quotes it four times. */
const CYCLE_THREAD = fs.readFileSync(path.join(FIXTURES, 'circular-ww-cpuhp-thread.txt'), 'utf8');

const REPORT_SOURCE = 'lockdep report: WARNING: possible circular locking dependency detected';

/** The C files of a fixture folder, keyed `<folder>/<file>` as the engine will name them. */
function readWorkspace(folder: string): Map<string, string> {
  const dir = path.join(FIXTURES, folder);
  const files = new Map<string, string>();
  for (const f of fs.readdirSync(dir).sort()) {
    if (/\.[ch]$/.test(f)) files.set(`${folder}/${f}`, fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return files;
}

async function engineFor(files: Map<string, string>): Promise<Engine> {
  const engine = await Engine.create();
  for (const [file, text] of files) {
    const { problem } = engine.setFile(file, text);
    assert.equal(problem, undefined, `${file}: ${problem?.message}`);
  }
  engine.analyze();
  return engine;
}

/** 1-based line of the only line of `file` containing `needle`. */
function lineOf(files: Map<string, string>, file: string, needle: string): number {
  const lines = files.get(file)!.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  assert.equal(hits.length, 1, `"${needle}" in ${file}: ${hits.length} lines`);
  return hits[0];
}

/** Deterministic PRNG so that the mangled inputs are the same on every run. */
function prng(seedValue: number): () => number {
  let a = seedValue;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frames(...texts: string[]): LockdepFrame[] {
  return texts.map((t) => parseFrame(t)!);
}

const CORE = 'perf-like/perf_core.c';
const RESV = 'perf-like/dma_resv.c';
const GTT = 'perf-like/zgfx_ggtt.c';

describe('lockdep import: the circular-ww-cpuhp report against a perf-like workspace', () => {
  let files: Map<string, string>;
  let engine: Engine;
  let result: ExplainResult;
  let text: string;

  before(async () => {
    files = readWorkspace('perf-like');
    engine = await engineFor(files);
    result = explainReport(CYCLE_THREAD, engine, { readText: (f) => files.get(f) });
    text = formatExplain(result);
  });

  /** What each link must say, in lockdep's order (#0 first). */
  const expected = () => [
    {
      lockdep: ['&cpuctx_mutex', '&mm->mmap_lock#2'],
      classes: ['perf_event_context.mutex', 'mmap_lock'],
      site: [CORE, 'perf_copy_attr', 'ret = get_user(size, &uattr->size);'],
      statically: [CORE, lineOf(files, CORE, 'ret = _perf_ioctl(event, cmd, arg);'), 'perf_ioctl'],
    },
    {
      lockdep: ['&mm->mmap_lock#2', 'reservation_ww_class_acquire'],
      classes: ['mmap_lock', 'reservation_ww_class_acquire'],
      site: [RESV, 'dma_resv_lockdep', 'ww_acquire_init(&ctx, &reservation_ww_class);'],
      statically: [RESV, lineOf(files, RESV, 'ww_acquire_init(&ctx'), 'dma_resv_lockdep'],
    },
    {
      lockdep: ['reservation_ww_class_acquire', 'reservation_ww_class_mutex'],
      classes: ['reservation_ww_class_acquire', 'reservation_ww_class_mutex'],
      site: [RESV, 'dma_resv_lockdep', 'ret = dma_resv_lock(&obj, &ctx);'],
      statically: [RESV, lineOf(files, RESV, 'ret = dma_resv_lock(&obj, &ctx);'), 'dma_resv_lockdep'],
    },
    {
      lockdep: ['reservation_ww_class_mutex', 'cpu_hotplug_lock'],
      classes: ['reservation_ww_class_mutex', 'cpu_hotplug_lock'],
      site: [GTT, 'zgfx_ggtt_insert_serialized', 'stop_machine(zgfx_ggtt_insert_cb, &args, NULL);'],
      statically: undefined,
    },
    {
      lockdep: ['cpu_hotplug_lock', 'pmus_lock'],
      classes: ['cpu_hotplug_lock', 'pmus_lock'],
      site: [CORE, 'perf_event_init_cpu', 'mutex_lock(&pmus_lock);'],
      statically: [CORE, lineOf(files, CORE, 'mutex_lock(&pmus_lock);'), 'perf_event_init_cpu'],
    },
    {
      lockdep: ['pmus_lock', '&cpuctx_mutex'],
      classes: ['pmus_lock', 'perf_event_context.mutex'],
      site: [CORE, 'perf_event_init_cpu', 'mutex_lock(&ctx->mutex);'],
      statically: [CORE, lineOf(files, CORE, 'mutex_lock(&ctx->mutex);'), 'perf_event_init_cpu'],
    },
  ];

  it('explains the one (deduplicated) circular report', () => {
    assert.equal(result.reports.length, 1);
    const r = result.reports[0];
    assert.equal(r.kind, 'circular');
    assert.equal(r.title, 'WARNING: possible circular locking dependency detected');
    assert.equal(r.trying?.mapping.cls, 'mmap_lock');
    assert.equal(r.holding?.mapping.cls, 'perf_event_context.mutex');
  });

  it('lists the six links in lockdep order with their static classes', () => {
    const links = result.reports[0].links;
    assert.deepEqual(
      links.map((l) => l.index),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      links.map((l) => [l.from.lockdep, l.to.lockdep]),
      expected().map((e) => e.lockdep),
    );
    assert.deepEqual(
      links.map((l) => [l.from.cls, l.to.cls]),
      expected().map((e) => e.classes),
    );
    // cpuctx_mutex is a class key, named after nothing in the source: only the stacks map it.
    assert.equal(links[5].to.how, 'frames');
    assert.equal(links[0].to.how, 'pseudo');
    assert.equal(links[4].to.how, 'exact');
  });

  it('finds the workspace line behind each link', () => {
    const links = result.reports[0].links;
    expected().forEach((e, i) => {
      const [file, fn, line] = e.site;
      const site = links[i].site;
      assert.ok(site, `#${i} has no site`);
      assert.equal(site.file, file, `#${i}`);
      assert.equal(site.fn, fn, `#${i}`);
      assert.equal(site.text, line, `#${i}`);
      assert.equal(site.range.line + 1, lineOf(files, file, line), `#${i}`);
    });
  });

  it('says which links static analysis sees too', () => {
    const links = result.reports[0].links;
    expected().forEach((e, i) => {
      const seen = links[i].static;
      if (!e.statically) assert.deepEqual(seen, { seen: 'no' }, `#${i}`);
      else {
        const [file, line, fn] = e.statically;
        assert.deepEqual(seen, { seen: 'static', file, line, fn }, `#${i}`);
      }
    });
  });

  it('prints title, links in order, frames, source lines and static verdicts', () => {
    const lines = text.split('\n');
    assert.match(lines[0], /^WARNING: possible circular locking dependency detected/);
    const headers = lines.filter((l) => /^#\d+ {2}/.test(l));
    assert.deepEqual(
      headers,
      expected().map((e, i) => `#${i}  ${e.lockdep[0]} --> ${e.lockdep[1]}`),
    );
    assert.ok(text.includes('frame:   perf_copy_attr+0x41/0x2f0 ← _perf_ioctl ← perf_ioctl'), text);
    assert.ok(
      text.includes('frame:   stop_machine+0x1a/0x40 ← zgfx_ggtt_insert_serialized ← zgfx_ggtt_bind_vma'),
      text,
    );
    assert.ok(text.includes('classes: perf_event_context.mutex'), text);
    for (const e of expected()) {
      const [file, , line] = e.site;
      assert.ok(text.includes(`source:  ${file}:${lineOf(files, file, line)}: ${line}`), `${line}\n${text}`);
    }
    const verdicts = lines.filter((l) => l.trim().startsWith('static:')).map((l) => l.trim());
    assert.deepEqual(
      verdicts,
      expected().map((e) =>
        e.statically
          ? `static:  yes (${e.statically[0]}:${e.statically[1]} ${e.statically[2]})`
          : 'static:  no',
      ),
    );
    assert.ok(text.includes('static analysis sees 5 of 6 dependencies'), text);
  });

  it('turns the links into runtime edges with workspace witnesses', () => {
    const edges = runtimeEdgesFrom(parseLockdepReports(CYCLE_THREAD), [], engine, {
      readText: (f) => files.get(f),
    });
    assert.deepEqual(
      edges.map((e) => [e.from, e.to]),
      expected().map((e) => e.classes),
    );
    assert.deepEqual(
      edges.map((e) => e.witness?.fn),
      expected().map((e) => e.site[1]),
    );
    for (const e of edges) assert.equal(e.source, REPORT_SOURCE);
    assert.deepEqual(
      edges.map((e) => [e.from, e.to]),
      result.edges.map((e) => [e.from, e.to]),
    );
  });

  it('merging the runtime edges marks the static ones and closes the cycle', () => {
    const plain = engine.analyze();
    assert.deepEqual(plain.graph.cycles(), [], 'no cycle from static analysis alone');
    assert.ok(!plain.diagnostics.some((d) => d.rule === 'lock-order-cycle'));

    const merged = engine.analyze(result.edges);
    for (const e of expected()) {
      const [from, to] = e.classes;
      const edge = merged.graph.getEdge(from, to);
      assert.ok(edge, `${from} --> ${to}`);
      assert.equal(edge.runtime, true, `${from} --> ${to} runtime`);
      assert.equal(edge.origin, e.statically ? 'static' : 'runtime', `${from} --> ${to} origin`);
    }
    const cycles = merged.graph.cycles();
    assert.ok(cycles.length > 0);
    assert.ok(
      cycles.some((c) =>
        c.edges.some((e) => e.from === 'reservation_ww_class_mutex' && e.to === 'cpu_hotplug_lock'),
      ),
      'a cycle goes through the edge only lockdep saw',
    );
    const onCycles = merged.graph.classesOnCycles();
    for (const e of expected()) for (const cls of e.classes) assert.ok(onCycles.has(cls), cls);
    // The user copy in perf_ioctl is fault-under-lock's edge: that finding names the cycle there.
    const cycleFindings = merged.diagnostics.filter(
      (d) => d.rule === 'lock-order-cycle' || (d.rule.endsWith('-under-lock') && d.severity === 'error'),
    );
    assert.ok(
      cycleFindings.some((d) => d.file === CORE && d.function === 'perf_ioctl'),
      cycleFindings.map((d) => `${d.file}:${d.range.line + 1}`).join(', '),
    );
    assert.ok(cycleFindings.every((d) => d.message.includes('lockdep report')));

    // The same on an existing graph, after the fact.
    const later = engine.analyze();
    mergeRuntimeEdges(later.graph, result.edges);
    assert.ok(later.graph.cycles().length > 0);
    assert.equal(later.graph.getEdge('pmus_lock', 'perf_event_context.mutex')?.origin, 'static');
    assert.equal(later.graph.getEdge('pmus_lock', 'perf_event_context.mutex')?.runtime, true);
    engine.analyze();
  });

  it('merges /proc/lockdep dependencies, mapping what it can by name', () => {
    const dump = parseProcLockdep(fs.readFileSync(path.join(FIXTURES, 'proc-lockdep.txt'), 'utf8'));
    assert.deepEqual(dump.warnings, []);
    const edges = runtimeEdgesFrom([], [dump], engine);
    const pairs = edges.map((e) => `${e.from} --> ${e.to}`);
    for (const p of [
      'cpu_hotplug_lock --> pmus_lock',
      'mmap_lock --> reservation_ww_class_acquire',
      'reservation_ww_class_mutex --> cpu_hotplug_lock',
      // No stack: a class key stays a node of its own.
      'pmus_lock --> cpuctx_mutex',
      'cpuctx_mutex --> ctx->lock',
    ]) {
      assert.ok(pairs.includes(p), `${p} in ${pairs.join('; ')}`);
    }
    for (const e of edges) {
      assert.equal(e.source, '/proc/lockdep');
      assert.deepEqual(e.frames, []);
      assert.equal(e.witness, undefined);
    }
    const merged = engine.analyze(edges);
    const closing = merged.graph.getEdge('reservation_ww_class_mutex', 'cpu_hotplug_lock');
    assert.equal(closing?.origin, 'runtime');
    assert.equal(closing?.source, '/proc/lockdep');
    assert.equal(merged.graph.getEdge('cpu_hotplug_lock', 'pmus_lock')?.runtime, true);
    assert.ok(merged.graph.cycles().some((c) => c.classes.includes('cpu_hotplug_lock')));
    engine.analyze();
  });

  it('maps /proc/lockdep classes with what the reports taught', () => {
    const procText = fs.readFileSync(path.join(FIXTURES, 'proc-lockdep.txt'), 'utf8');
    const edges = runtimeEdgesFromTexts([CYCLE_THREAD, procText], engine);
    const pairs = edges.map((e) => `${e.from} --> ${e.to}`);
    assert.ok(pairs.includes('pmus_lock --> perf_event_context.mutex'), pairs.join('; '));
    assert.ok(!pairs.some((p) => p.includes('cpuctx_mutex')), pairs.join('; '));
    assert.ok(pairs.includes('cpu_hotplug_lock --> cpuhp_state_mutex'));
    assert.equal(new Set(pairs).size, pairs.length, 'one edge per class pair');
    // The report's edge (with its witness) wins over the dump's.
    const fromReport = edges.find((e) => e.from === 'cpu_hotplug_lock' && e.to === 'pmus_lock');
    assert.equal(fromReport?.source, REPORT_SOURCE);
    assert.equal(fromReport?.witness?.fn, 'perf_event_init_cpu');
  });

  it('keeps classes it cannot map as their own nodes, one edge per pair', () => {
    const quoted = fs.readFileSync(path.join(FIXTURES, 'alloc-wq-quoted-thread.txt'), 'utf8');
    const r = explainReport(quoted, engine, { readText: (f) => files.get(f) });
    assert.equal(r.reports.length, 1);
    const links = r.reports[0].links;
    assert.equal(links.length, 7);
    assert.deepEqual(
      [links[0].from.cls, links[0].from.how, links[0].to.cls, links[0].to.how],
      ['kv->ctx_lock', 'unmapped', 'cpu_hotplug_lock', 'pseudo'],
    );
    for (const l of links) {
      assert.equal(l.site, undefined);
      // Only the core kernel's own order is known without the code: cpuhp_setup_state's.
      const baseline = l.from.cls === 'cpu_hotplug_lock' && l.to.cls === 'cpuhp_state_mutex';
      assert.deepEqual(
        l.static,
        baseline ? { seen: 'baseline', source: '__cpuhp_setup_state' } : { seen: 'no' },
      );
    }
    // Link #6 and the held-lock order prove the same mmap_lock --> ctx_lock edge.
    const pairs = r.edges.map((e) => `${e.from} --> ${e.to}`);
    assert.equal(new Set(pairs).size, pairs.length, pairs.join('; '));
    assert.ok(pairs.includes('mmap_lock --> kv->ctx_lock'));
    const out = formatExplain(r);
    assert.ok(out.includes('source:  not in the workspace'), out);
    // The kernel baseline knows cpu_hotplug_lock --> cpuhp_state_mutex (link #1); nothing else is static.
    assert.ok(out.includes('static analysis sees 1 of 7 dependencies'), out);
  });

  it('explains other report kinds: held locks and backtrace with source lines', () => {
    const other = fs.readFileSync(path.join(FIXTURES, 'other-reports.txt'), 'utf8');
    const r = explainReport(other, engine, { readText: (f) => files.get(f) });
    assert.deepEqual(
      r.reports.map((x) => x.kind),
      ['sleep-in-atomic', 'invalid-wait'],
    );
    const [sleep, wait] = r.reports;
    assert.deepEqual(
      sleep.held.map((h) => [h.index, h.mapping.cls, h.site?.text]),
      [
        [0, 'perf_event_context.mutex', 'mutex_lock_nested(&ctx->mutex, nesting);'],
        [1, 'rcu_read_lock', 'rcu_read_lock();'],
      ],
    );
    assert.deepEqual(
      sleep.backtrace.map((f) => [f.frame.fn, f.site?.text]),
      [
        ['perf_event_ctx_lock_nested', 'mutex_lock_nested(&ctx->mutex, nesting);'],
        ['perf_ioctl', 'ctx = perf_event_ctx_lock(event);'],
        ['__x64_sys_ioctl', undefined],
        ['do_syscall_64', undefined],
        ['entry_SYSCALL_64_after_hwframe', undefined],
      ],
    );
    assert.equal(wait.trying?.mapping.cls, 'perf_event_context.mutex');
    assert.equal(wait.trying?.site?.text, 'mutex_lock(&ctx->mutex);');
    assert.deepEqual(
      wait.held.map((h) => [h.mapping.cls, h.site?.text]),
      [['pmus_lock', 'mutex_lock(&pmus_lock);']],
    );
    // The innermost workspace frame takes the lock being acquired, not the other mutex_lock().
    assert.equal(wait.backtrace[0].site?.text, 'mutex_lock(&ctx->mutex);');
    assert.equal(wait.waitContext, '4:4');

    const out = formatExplain(r);
    assert.match(out, /^BUG: sleeping function called from invalid context at kernel\/locking\/mutex\.c:580/);
    assert.ok(out.includes('held locks:'), out);
    assert.ok(
      out.includes(
        `source: ${CORE}:${lineOf(files, CORE, 'mutex_lock_nested(&ctx->mutex')}: mutex_lock_nested`,
      ),
      out,
    );
    assert.ok(out.includes('backtrace:'), out);
    assert.ok(out.includes('[ BUG: Invalid wait context ]'), out);
    assert.ok(out.includes('context: {4:4}'), out);
  });

  it('never throws on mangled input', () => {
    const view = staticView(engine, { readText: (f) => files.get(f) });
    const check = (input: string, label: string) => {
      let out = '';
      assert.doesNotThrow(() => {
        out = formatExplain(explainReport(input, engine, { view }));
      }, label);
      assert.equal(typeof out, 'string', label);
      assert.ok(out.length > 0, label);
    };
    const lines = CYCLE_THREAD.split('\n');
    for (let n = 0; n <= lines.length; n += 11) check(lines.slice(0, n).join('\n'), `first ${n} lines`);
    for (let n = 0; n <= lines.length; n += 17) check(lines.slice(n).join('\n'), `from line ${n}`);
    for (let n = 0; n < CYCLE_THREAD.length; n += 661)
      check(CYCLE_THREAD.slice(0, n), `first ${n} characters`);
    const rand = prng(0x10cd);
    for (let k = 0; k < 40; k++) {
      const kept = lines.filter(() => rand() > 0.3);
      check(kept.join('\n'), `lines dropped, round ${k}`);
      const shuffled = [...lines].sort(() => rand() - 0.5);
      check(shuffled.join('\n'), `lines shuffled, round ${k}`);
      const noisy = CYCLE_THREAD.replace(/[a-z_]/g, (c) =>
        rand() < 0.05 ? String.fromCharCode(32 + Math.floor(rand() * 95)) : c,
      );
      check(noisy, `characters changed, round ${k}`);
    }
    let garbage = '';
    for (let i = 0; i < 20000; i++) garbage += String.fromCharCode(Math.floor(rand() * 0x3000));
    check(garbage, 'random characters');
    check('\u0000\u0001\u0002binary\u0000', 'binary');
    check('-> #0 (\n-> #1 ((((\nChain exists of:\n--> --> -->\n', 'fragments');
    check('-> #9999 (a){+.+.}-{3:3}:\nfoo+0x1/0x2\n-> #0 (b){+.+.}-{3:3}:\n', 'index gap');
    for (const bad of [undefined, null, 42, {}, []]) {
      assert.doesNotThrow(() => formatExplain(explainReport(bad as unknown as string, engine)));
    }
  });

  it('says so when there is no report', () => {
    for (const input of ['', '   \n\n', 'hello world\nnothing to see\n', 'x'.repeat(10000)]) {
      const r = explainReport(input, engine);
      assert.deepEqual(r.reports, []);
      assert.deepEqual(r.edges, []);
      assert.equal(formatExplain(r), 'no lockdep report found\n');
    }
  });
});

describe('mapRuntimeClass', () => {
  let view: StaticView;
  let perfView: StaticView;

  before(async () => {
    view = staticView(await engineFor(readWorkspace('mapping')));
    perfView = staticView(await engineFor(readWorkspace('perf-like')));
  });

  const map = (cls: string, v = view, stacks?: LockdepFrame[][], claimed?: string[]) => {
    const m = mapRuntimeClass(cls, {
      view: v,
      ...(stacks && { stacks }),
      ...(claimed && { claimed: new Set(claimed) }),
    });
    return [m.cls, m.how];
  };

  it('maps exact names, pseudo-locks and aliases', () => {
    assert.deepEqual(map('foo_list_lock'), ['foo_list_lock', 'exact']);
    assert.deepEqual(map('&mm->mmap_lock#2'), ['mmap_lock', 'pseudo']);
    assert.deepEqual(map('&mm->mmap_sem/1'), ['mmap_lock', 'pseudo']);
    assert.deepEqual(map('cpu_hotplug_lock.rw_sem'), ['cpu_hotplug_lock', 'pseudo']);
    assert.deepEqual(map('cpu_hotplug_lock'), ['cpu_hotplug_lock', 'pseudo']);
    assert.deepEqual(map('fs_reclaim'), ['fs_reclaim', 'pseudo']);
    assert.deepEqual(map('reservation_ww_class_mutex'), ['reservation_ww_class_mutex', 'pseudo']);
    assert.deepEqual(map('rcu_read_lock'), ['rcu_read_lock', 'pseudo']);
  });

  it('maps by a unique last field', () => {
    assert.deepEqual(map('&dev_priv->mm_lock'), ['drm_i915_private.mm_lock', 'field']);
    assert.deepEqual(map('&mn->sem'), ['i915_mmu_notifier.sem', 'field']);
  });

  it('leaves ambiguous and unknown classes as their own nodes', () => {
    const m = mapRuntimeClass('&mn->lock', { view });
    assert.equal(m.cls, 'mn->lock');
    assert.equal(m.how, 'unmapped');
    assert.match(m.detail ?? '', /ambiguous: foo_dev\.lock, i915_mmu_notifier\.lock/);
    assert.deepEqual(map('&sb->s_type->i_mutex_key#5'), ['sb->s_type->i_mutex_key', 'unmapped']);
    assert.deepEqual(map('(complete)&req.done'), ['(complete)&req.done', 'unmapped']);
    assert.deepEqual(map('&cpuctx_mutex', perfView), ['cpuctx_mutex', 'unmapped']);
    assert.deepEqual(map('', view), ['?', 'unmapped']);
    assert.doesNotThrow(() => mapRuntimeClass(undefined as unknown as string, { view }));
  });

  it('maps by the function on the stack', () => {
    const begin = frames('_raw_spin_lock+0x2a/0x40', 'i915_mmu_notifier_begin+0x31/0x90 [i915]');
    assert.deepEqual(map('&mn->lock', view, [begin]), ['i915_mmu_notifier.lock', 'frames']);
    const poke = frames('_raw_spin_lock+0x2a/0x40', 'foo_dev_poke+0x11/0x30', 'foo_list_add+0x1c/0x40');
    assert.deepEqual(map('&dev->lock', view, [poke]), ['foo_dev.lock', 'frames']);
    // A class key names no field: the function's classes minus those other lockdep classes took.
    const init = frames(
      '__mutex_lock+0x88/0x900',
      'mutex_lock_nested+0x16/0x20',
      'perf_event_init_cpu+0x89/0x140',
    );
    assert.deepEqual(map('&cpuctx_mutex', perfView, [init], ['pmus_lock']), [
      'perf_event_context.mutex',
      'frames',
    ]);
    // Stacks outside the workspace say nothing.
    assert.deepEqual(map('&mn->lock', view, [frames('kthread+0x10a/0x140')]), ['mn->lock', 'unmapped']);
  });
});

describe('lockdep import: an inconsistent lock state against the mapping workspace', () => {
  let files: Map<string, string>;
  let result: ExplainResult;
  const MAPPING = 'mapping/userptr_mm.c';

  before(async () => {
    files = readWorkspace('mapping');
    const engine = await engineFor(files);
    const report = fs.readFileSync(path.join(FIXTURES, 'inconsistent-softirq.txt'), 'utf8');
    result = explainReport(report, engine, { readText: (f) => files.get(f) });
  });

  it('maps the lock to its field by the stack and shows where it is taken', () => {
    assert.deepEqual(
      result.reports.map((r) => r.kind),
      ['inconsistent'],
    );
    const [r] = result.reports;
    assert.equal(r.usageTransition, '{SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W}');
    assert.deepEqual([r.trying?.mapping.cls, r.trying?.mapping.how], ['foo_dev.lock', 'frames']);
    assert.equal(r.trying?.site?.file, MAPPING);
    assert.equal(r.trying?.site?.text, 'spin_lock(&dev->lock);');
    // The timer's own lockdep map is no lock of the workspace.
    assert.deepEqual(
      r.held.map((h) => [h.mapping.cls, h.mapping.how, h.site]),
      [['(&dev->poll_timer)', 'unmapped', undefined]],
    );
    assert.deepEqual(result.edges, []);
  });

  it('puts both contexts on source lines: process context where registered, the timer in the backtrace', () => {
    const [r] = result.reports;
    const sites = (frames: readonly { frame: LockdepFrame; site?: { text?: string } }[]) =>
      frames.slice(0, 3).map((f) => [f.frame.fn, f.site?.text]);
    assert.equal(r.registeredAt?.usage, '{SOFTIRQ-ON-W}');
    assert.deepEqual(sites(r.registeredAt?.frames ?? []), [
      ['foo_dev_poke', 'spin_lock(&dev->lock);'],
      ['foo_list_add', 'foo_dev_poke(dev);'],
      ['foo_ioctl', undefined],
    ]);
    assert.deepEqual(sites(r.backtrace), [
      ['foo_dev_poke', 'spin_lock(&dev->lock);'],
      ['foo_poll_timer_fn', 'foo_dev_poke(dev);'],
      ['call_timer_fn', undefined],
    ]);
    const out = formatExplain(result);
    assert.match(out, /^WARNING: inconsistent lock state/);
    assert.ok(out.includes('usage: {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W}'), out);
    assert.ok(out.includes(`source: ${MAPPING}:${lineOf(files, MAPPING, 'spin_lock(&dev->lock);')}`), out);
    assert.ok(out.includes('{SOFTIRQ-ON-W} state was registered at:'), out);
  });

  it('names the irq-inversion finding that saw it statically', () => {
    const [r] = result.reports;
    const line = lineOf(files, MAPPING, 'spin_lock(&dev->lock);');
    assert.deepEqual(
      [r.finding?.rule, r.finding?.file, r.finding?.line, r.finding?.fn, r.finding?.how],
      ['irq-inversion', MAPPING, line, 'foo_dev_poke', 'stack'],
    );
    assert.match(r.finding!.message, /^inconsistent \{IN-SOFTIRQ-W\} -> \{SOFTIRQ-ON-W\} usage/);
    assert.ok(
      formatExplain(result).includes(
        `static: irq-inversion at ${MAPPING}:${line} (foo_dev_poke() is on the report's stack)`,
      ),
    );
  });
});

describe('lockdep import: an invalid wait context', () => {
  const CLK = 'wait-context/foo_clk.c';

  it('names the wait-context finding for the lock being taken, on the stack', async () => {
    const files = readWorkspace('wait-context');
    const engine = await engineFor(files);
    const report = fs.readFileSync(path.join(FIXTURES, 'invalid-wait-raw.txt'), 'utf8');
    const result = explainReport(report, engine, { readText: (f) => files.get(f) });
    assert.deepEqual(
      result.reports.map((r) => [r.kind, r.waitContext, r.trying?.mapping.cls]),
      [['invalid-wait', '5:5', 'foo_clk.list_lock']],
    );
    const line = lineOf(files, CLK, 'spin_lock(&c->list_lock);');
    const f = result.reports[0].finding;
    assert.deepEqual(
      [f?.rule, f?.file, f?.line, f?.fn, f?.how],
      ['wait-context', CLK, line, 'foo_clk_set_rate', 'stack'],
    );
    assert.ok(formatExplain(result).includes(`static: wait-context at ${CLK}:${line}`));
  });

  it('says when no static finding matches', async () => {
    const files = readWorkspace('perf-like');
    const engine = await engineFor(files);
    const report = fs.readFileSync(path.join(FIXTURES, 'other-reports.txt'), 'utf8');
    const result = explainReport(report, engine, { readText: (f) => files.get(f) });
    const wait = result.reports.find((r) => r.kind === 'invalid-wait');
    assert.equal(wait?.finding, null);
    assert.ok(formatExplain(result).includes('static: no wait-context finding for &cpuctx_mutex'));
    const sleeping = result.reports.find((r) => r.kind === 'sleep-in-atomic');
    assert.equal(sleeping?.finding, undefined, 'no rule of these two for other report kinds');
  });
});
