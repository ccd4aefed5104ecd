import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  dedupeReports,
  frameFunctions,
  normaliseClassName,
  parseFrame,
  parseLockdepReports,
  parseProcLockdep,
  scenarioClass,
  type LockdepFrame,
  type LockdepReport,
} from '../../server/src/lockdep/parse';
import { splitLogLines } from '../../server/src/lockdep/lines';

// Reports written for these tests, in the formats the kernel prints and mail archives mangle.
const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/lockdep');
/** The perf / zgfx cycle as `dmesg` prints it: timestamps, continuation indents, intact columns. */
const DMESG = 'circular-ww-cpuhp.txt';
/** The same report in a mail thread: pasted, quoted "> ", re-wrapped "> > ", and as `dmesg -r`. */
const THREAD = 'circular-ww-cpuhp-thread.txt';
/** A 4.16-era report in mails that a web archive joined into one line each, plus a fragment. */
const JOINED = 'reclaim-joined-thread.txt';
/** A 4.14-era report without timestamps, quoted "> > " in a patch review. */
const QUOTED = 'alloc-wq-quoted-thread.txt';
/** A review that talks about lockdep, its chains and scenarios, without a report. */
const DISCUSSION = 'discussion-no-report.txt';

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

const KINDS = new Set([
  'circular',
  'inconsistent',
  'invalid-wait',
  'sleep-in-atomic',
  'recursive',
  'unknown',
]);

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

function fnNames(frames: readonly LockdepFrame[]): string[] {
  return frames.map((f) => f.fn);
}

/** What must survive any change of transport (quoting, line endings, timestamps). */
function project(r: LockdepReport) {
  return {
    kind: r.kind,
    title: r.title,
    task: r.task,
    trying: r.trying?.cls,
    holding: r.holding?.cls,
    links: r.links.map((l) => ({
      index: l.index,
      from: l.from,
      to: l.to,
      usage: l.usage,
      frames: fnNames(l.frames),
    })),
    chain: r.chain,
    scenario: r.scenario,
    held: r.held.map((h) => `#${h.index} ${h.cls} ${h.at?.fn ?? ''}`),
    backtrace: r.backtrace.map((f) => `${f.uncertain ? '? ' : ''}${f.fn}`),
  };
}

function assertWellFormed(reports: LockdepReport[]): void {
  assert.ok(Array.isArray(reports));
  for (const r of reports) {
    assert.ok(KINDS.has(r.kind), `kind ${r.kind}`);
    assert.equal(typeof r.title, 'string');
    assert.ok(Array.isArray(r.links) && Array.isArray(r.chain) && Array.isArray(r.held));
    assert.ok(Array.isArray(r.backtrace) && Array.isArray(r.warnings));
    assert.ok(r.startLine <= r.endLine);
    const frames = [...r.backtrace, ...r.links.flatMap((l) => l.frames)];
    for (const f of frames) {
      assert.equal(typeof f.fn, 'string');
      assert.equal(typeof f.uncertain, 'boolean');
    }
    for (const l of r.links) assert.ok(l.from !== '' && l.to !== '');
  }
}

const CYCLE_CLASSES = new Set([
  '&cpuctx_mutex',
  '&mm->mmap_lock#2',
  'reservation_ww_class_acquire',
  'reservation_ww_class_mutex',
  'cpu_hotplug_lock',
  'pmus_lock',
]);

describe('circular-ww-cpuhp: the perf / zgfx six-class cycle', () => {
  const text = fixture(THREAD);
  const reports = parseLockdepReports(text);

  it('reads the kernel output itself: one report, columns intact, nothing missing', () => {
    const dmesg = parseLockdepReports(fixture(DMESG));
    assert.equal(dmesg.length, 1);
    assert.deepEqual(dmesg[0].warnings, []);
    // Line 3 is the banner, line 4 the title; the lines around the report are not part of it.
    assert.equal(dmesg[0].startLine, 4);
    assert.equal(dmesg[0].endLine, fixture(DMESG).split('\n').length - 2);
  });

  it('finds the splat and its three quoted copies in the thread, identical to dmesg', () => {
    const [dmesg] = parseLockdepReports(fixture(DMESG));
    assert.equal(reports.length, 4);
    assert.deepEqual(
      reports.map((r) => r.kind),
      ['circular', 'circular', 'circular', 'circular'],
    );
    for (const r of reports) assert.deepEqual(project(r), project(dmesg));
    assert.equal(dedupeReports(reports).length, 1);
    for (const r of reports) assert.deepEqual(r.warnings, []);
  });

  it('reads the header: task, lock being acquired, lock held', () => {
    const r = reports[0];
    assert.equal(r.title, 'WARNING: possible circular locking dependency detected');
    assert.equal(r.task, 'perf/3107');
    assert.equal(r.trying?.cls, '&mm->mmap_lock#2');
    assert.equal(r.trying?.usage, '++++');
    assert.equal(r.trying?.waitType, '3:3');
    assert.deepEqual(
      { fn: r.trying?.at?.fn, offset: r.trying?.at?.offset, size: r.trying?.at?.size },
      { fn: '__might_fault', offset: 0x3a, size: 0x80 },
    );
    assert.equal(r.holding?.cls, '&cpuctx_mutex');
    assert.equal(r.holding?.at?.fn, 'perf_event_ctx_lock_nested');
    assert.equal(r.holding?.usage, '+.+.');
  });

  it('orders the six links from #0 to #5, each with the stack that proves it', () => {
    const links = reports[0].links;
    assert.deepEqual(
      links.map((l) => [l.index, l.from, l.to]),
      [
        [0, '&cpuctx_mutex', '&mm->mmap_lock#2'],
        [1, '&mm->mmap_lock#2', 'reservation_ww_class_acquire'],
        [2, 'reservation_ww_class_acquire', 'reservation_ww_class_mutex'],
        [3, 'reservation_ww_class_mutex', 'cpu_hotplug_lock'],
        [4, 'cpu_hotplug_lock', 'pmus_lock'],
        [5, 'pmus_lock', '&cpuctx_mutex'],
      ],
    );
    assert.deepEqual(
      links.map((l) => frameFunctions(l.frames).slice(0, 3)),
      [
        ['perf_copy_attr', '_perf_ioctl', 'perf_ioctl'],
        ['dma_resv_lockdep', 'do_one_initcall', 'do_initcalls'],
        ['dma_resv_lockdep', 'do_one_initcall', 'do_initcalls'],
        ['stop_machine', 'zgfx_ggtt_insert_serialized', 'zgfx_ggtt_bind_vma'],
        ['perf_event_init_cpu', 'cpuhp_invoke_callback', '__cpuhp_invoke_callback_range'],
        ['perf_event_init_cpu', 'cpuhp_invoke_callback', 'cpuhp_issue_call'],
      ],
    );
    assert.deepEqual(fnNames(links[0].frames).slice(0, 4), [
      '__lock_acquire',
      'lock_acquire',
      '__might_fault',
      'perf_copy_attr',
    ]);
    assert.deepEqual(
      links.map((l) => l.frames.length),
      [9, 7, 9, 33, 16, 12],
    );
    assert.deepEqual(
      links.map((l) => `${l.usage}-{${l.waitType}}`),
      ['++++-{3:3}', '+.+.-{0:0}', '+.+.-{3:3}', '++++-{0:0}', '+.+.-{3:3}', '+.+.-{3:3}'],
    );
    // The links close the cycle.
    links.forEach((l, i) => assert.equal(l.to, links[(i + 1) % links.length].from));
  });

  it('keeps module frames and bare addresses in the zgfx stack', () => {
    const frames = reports[0].links[3].frames;
    const bind = frames.find((f) => f.fn === 'zgfx_ggtt_bind_vma');
    assert.deepEqual(bind, {
      fn: 'zgfx_ggtt_bind_vma',
      offset: 0x4b,
      size: 0x70,
      module: 'zgfx',
      uncertain: false,
      raw: 'zgfx_ggtt_bind_vma+0x4b/0x70 [zgfx]',
    });
    const bare = frames.find((f) => f.fn === '');
    assert.equal(bare?.address, '0xffffffffc09e1046');
    assert.equal(frames[0].fn, 'cpus_read_lock');
    assert.equal(frames.at(-1)?.fn, 'entry_SYSCALL_64_after_hwframe');
  });

  it('reads the chain, the scenario, the held locks and the backtrace', () => {
    const r = reports[0];
    assert.deepEqual(r.chain, ['&mm->mmap_lock#2', 'pmus_lock', '&cpuctx_mutex']);
    assert.deepEqual(r.scenario, {
      cpu0: ['lock(&cpuctx_mutex);', 'lock(&mm->mmap_lock#2);'],
      cpu1: ['lock(pmus_lock);', 'lock(&cpuctx_mutex);'],
    });
    assert.equal(r.held.length, 1);
    assert.equal(r.held[0].index, 0);
    assert.equal(r.held[0].cls, '&cpuctx_mutex');
    assert.equal(r.held[0].at?.fn, 'perf_event_ctx_lock_nested');
    assert.equal(r.backtrace.length, 19);
    assert.equal(r.backtrace.filter((f) => f.uncertain).length, 7);
    assert.deepEqual(r.backtrace[5], {
      fn: '__might_fault',
      offset: 0x3a,
      size: 0x80,
      uncertain: true,
      raw: '? __might_fault+0x3a/0x80',
    });
    assert.deepEqual(frameFunctions(r.backtrace), [
      'perf_copy_attr',
      '_perf_ioctl',
      'perf_ioctl',
      '__x64_sys_ioctl',
      'do_syscall_64',
      'entry_SYSCALL_64_after_hwframe',
    ]);
    assert.equal(r.startLine, 16);
  });
});

describe('mail about lockdep without a splat', () => {
  it('has no report, although it quotes a chain, a scenario and a held-locks count', () => {
    assert.deepEqual(parseLockdepReports(fixture(DISCUSSION)), []);
  });
});

describe('reclaim-joined-thread: a 4.16 splat inside mails joined into single lines', () => {
  const reports = parseLockdepReports(fixture(JOINED));
  const circular = reports.filter((r) => r.title !== '');

  it('finds five quoted copies of the splat and one title-less fragment', () => {
    assert.equal(reports.length, 6);
    assert.equal(circular.length, 5);
    for (const r of circular) assert.deepEqual(project(r), project(circular[0]));
    assert.deepEqual(
      dedupeReports(reports).map((r) => r.title),
      ['WARNING: possible circular locking dependency detected', ''],
    );
  });

  it('reads the fs_reclaim -> anon_vma->rwsem -> un->range_sem cycle', () => {
    const r = circular[0];
    assert.equal(r.kind, 'circular');
    assert.equal(r.task, 'vnpu_stress/2871');
    assert.equal(r.trying?.cls, 'fs_reclaim');
    assert.equal(r.trying?.at?.fn, 'fs_reclaim_acquire.part.9');
    assert.equal(r.trying?.at?.address, '000000003c5e9a17');
    assert.equal(r.trying?.waitType, undefined);
    assert.equal(r.holding?.cls, '&un->range_sem');
    assert.equal(r.holding?.at?.module, 'vnpu');
    assert.deepEqual(
      r.links.map((l) => [l.index, l.from, l.to, frameFunctions(l.frames)[0]]),
      [
        [0, '&un->range_sem', 'fs_reclaim', 'fs_reclaim_acquire'],
        [1, 'fs_reclaim', '&anon_vma->rwsem', 'rmap_walk_anon'],
        [2, '&anon_vma->rwsem', '&un->range_sem', 'vnpu_userptr_invalidate_start'],
      ],
    );
    assert.deepEqual(frameFunctions(r.links[1].frames).slice(1, 3), [
      'page_referenced',
      'shrink_active_list',
    ]);
    assert.equal(r.links[2].frames[0].module, 'vnpu');
    assert.deepEqual(r.chain, ['fs_reclaim', '&anon_vma->rwsem', '&un->range_sem']);
    assert.deepEqual(r.scenario, {
      cpu0: ['lock(&un->range_sem);', 'lock(fs_reclaim);'],
      cpu1: ['lock(&anon_vma->rwsem);', 'lock(&un->range_sem);'],
    });
    // The mails cut the splat after the scenario.
    assert.deepEqual(r.held, []);
    assert.deepEqual(r.backtrace, []);
    assert.deepEqual(r.warnings, ['no held-locks list', 'no stack backtrace']);
  });

  it('reads the held locks and backtrace pasted from another run', () => {
    const r = reports[5];
    assert.equal(r.title, '');
    assert.equal(r.kind, 'circular');
    assert.equal(r.task, 'vnpu_stress/3306');
    assert.deepEqual(
      r.held.map((h) => [h.index, h.cls, h.at?.fn]),
      [
        [0, '&mm->mmap_sem', 'dup_mm'],
        [1, '&mm->mmap_sem/1', 'dup_mm'],
        [2, '&un->range_sem', 'vnpu_userptr_invalidate_start'],
      ],
    );
    assert.equal(r.backtrace.length, 22);
    assert.deepEqual(frameFunctions(r.backtrace).slice(0, 5), [
      'fs_reclaim_acquire',
      '__alloc_pages_nodemask',
      'pte_alloc_one',
      '__pte_alloc',
      'copy_pte_range',
    ]);
    assert.ok(r.warnings.includes('title line missing: report starts mid-way'));
    assert.ok(r.warnings.includes('kind "circular" inferred from the backtrace'));
  });
});

describe('alloc-wq-quoted-thread: alloc_workqueue under mmap_sem, quoted "> > "', () => {
  const reports = parseLockdepReports(fixture(QUOTED));
  const r = reports[0];

  it('finds one complete report', () => {
    assert.equal(reports.length, 1);
    assert.equal(r.kind, 'circular');
    assert.equal(r.task, 'kvdec_test/1933');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.trying?.cls, 'cpu_hotplug_lock.rw_sem');
    assert.equal(r.trying?.at?.fn, 'apply_workqueue_attrs');
    assert.equal(r.holding?.cls, '&kv->ctx_lock');
    assert.equal(r.holding?.at?.fn, 'kvdec_ctx_create');
  });

  it('reads seven links, including a class name with parentheses', () => {
    assert.deepEqual(
      r.links.map((l) => [l.index, l.from, l.to, frameFunctions(l.frames)[0]]),
      [
        [0, '&kv->ctx_lock', 'cpu_hotplug_lock.rw_sem', 'apply_workqueue_attrs'],
        [1, 'cpu_hotplug_lock.rw_sem', 'cpuhp_state_mutex', '__cpuhp_setup_state_cpuslocked'],
        [2, 'cpuhp_state_mutex', 'cpuhp_state', 'cpuhp_issue_call'],
        [3, 'cpuhp_state', '(complete)&req.done', 'wait_for_common'],
        [4, '(complete)&req.done', '&sb->s_type->i_mutex_key#9', 'filename_create'],
        [5, '&sb->s_type->i_mutex_key#9', '&mm->mmap_sem', 'iov_iter_fault_in_readable'],
        [6, '&mm->mmap_sem', '&kv->ctx_lock', 'kvdec_ctx_create'],
      ],
    );
    assert.deepEqual(frameFunctions(r.links[0].frames).slice(1, 3), [
      '__alloc_workqueue_key',
      'kvdec_ctx_create',
    ]);
    assert.deepEqual(frameFunctions(r.links[3].frames).slice(3, 5), [
      'device_add',
      'device_create_groups_vargs',
    ]);
  });

  it('reads chain, scenario, held locks and a backtrace that stops at the registers', () => {
    assert.deepEqual(r.chain, ['cpu_hotplug_lock.rw_sem', '&mm->mmap_sem', '&kv->ctx_lock']);
    assert.deepEqual(r.scenario, {
      cpu0: ['lock(&kv->ctx_lock);', 'lock(cpu_hotplug_lock.rw_sem);'],
      cpu1: ['lock(&mm->mmap_sem);', 'lock(&kv->ctx_lock);'],
    });
    assert.deepEqual(
      r.held.map((h) => [h.index, h.cls, h.at?.address]),
      [
        [0, '&mm->mmap_sem', 'ffffffffa03c2b21'],
        [1, '&kv->ctx_lock', 'ffffffffa03c2b48'],
      ],
    );
    assert.equal(r.backtrace.length, 22);
    assert.equal(r.backtrace.at(-1)?.fn, 'entry_SYSCALL_64_fastpath');
    assert.deepEqual(frameFunctions(r.backtrace).slice(0, 4), [
      'apply_workqueue_attrs',
      '__alloc_workqueue_key',
      'kvdec_ctx_create',
      'kvdec_ioctl',
    ]);
  });

  it('normalises its class names for matching against source', () => {
    assert.deepEqual(r.chain.map(normaliseClassName), ['cpu_hotplug_lock', 'mm->mmap_lock', 'kv->ctx_lock']);
  });
});

describe('mangled copies of the circular-ww-cpuhp thread', () => {
  const text = fixture(THREAD);
  const reference = project(parseLockdepReports(text)[0]);
  const firstCopy = text.slice(0, text.indexOf('Date: Tue, 12 Mar 2024 11:02:55'));

  it('survives truncation at hundreds of offsets', () => {
    for (let cut = 0; cut <= text.length; cut += 127)
      assertWellFormed(parseLockdepReports(text.slice(0, cut)));
    assert.deepEqual(parseLockdepReports(text.slice(0, text.indexOf('possible circular') + 10)), []);
  });

  it('keeps the links it saw when cut inside the dependency chain', () => {
    const blockLine = '-> #2 (reservation_ww_class_mutex){+.+.}-{3:3}:\n';
    const [r] = parseLockdepReports(firstCopy.slice(0, firstCopy.indexOf(blockLine) + blockLine.length));
    assert.equal(r.kind, 'circular');
    assert.equal(r.holding?.cls, '&cpuctx_mutex');
    assert.deepEqual(
      r.links.map((l) => [l.index, l.from, l.to]),
      [
        [3, 'reservation_ww_class_mutex', 'cpu_hotplug_lock'],
        [4, 'cpu_hotplug_lock', 'pmus_lock'],
        [5, 'pmus_lock', '&cpuctx_mutex'],
      ],
    );
    assert.equal(r.links[0].frames.length, 33);
    assert.ok(r.warnings.includes('dependency block(s) missing: #0, #1'));
    assert.ok(r.warnings.includes('no stack backtrace'));
  });

  it('warns about a class name cut in half', () => {
    const [r] = parseLockdepReports(firstCopy.slice(0, firstCopy.indexOf('-> #4 (pmus_') + 10));
    assert.ok(r.warnings.includes('dependency #4: unreadable class "(pmu"'));
    assert.deepEqual(
      r.links.map((l) => l.index),
      [],
    );
  });

  it('reads a copy that starts after the title', () => {
    const [r] = parseLockdepReports(firstCopy.slice(firstCopy.indexOf('[ 873.402137]')));
    assert.equal(r.kind, 'circular');
    assert.equal(r.links.length, 6);
    assert.ok(r.warnings.includes('kind "circular" inferred from the backtrace'));
  });

  it('is unaffected by transport: CRLF, quoting, stripped timestamps, log levels, joined lines', () => {
    const variants: Record<string, string> = {
      crlf: text.replace(/\n/g, '\r\n'),
      quoted: text.replace(/^/gm, '> '),
      doubleQuoted: text.replace(/^/gm, '>> '),
      noTimestamps: text.replace(/\[\s*\d+\.\d+\] ?/g, ''),
      logLevels: text.replace(/^\[/gm, '<4>['),
      syslog: text.replace(/^\[/gm, 'Mar 12 09:40:51 bench kernel: ['),
      joined: text.replace(/\n/g, ' '),
      tabs: text.replace(/ /g, '\t'),
    };
    for (const [name, variant] of Object.entries(variants)) {
      const reports = parseLockdepReports(variant);
      assert.equal(reports.length, 4, name);
      assert.deepEqual(project(reports[0]), reference, name);
      assert.deepEqual(reports[0].warnings, [], name);
    }
  });

  it('stays sane on shuffled lines', () => {
    const lines = text.split('\n');
    for (let round = 0; round < 20; round++) {
      const random = prng(round);
      const shuffled = [...lines];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const reports = parseLockdepReports(shuffled.join('\n'));
      assertWellFormed(reports);
      for (const r of reports) {
        for (const cls of [r.trying?.cls, r.holding?.cls, ...r.links.flatMap((l) => [l.from, l.to])]) {
          if (cls !== undefined) assert.ok(CYCLE_CLASSES.has(cls), cls);
        }
      }
    }
  });

  it('still finds the report with random bytes inserted', () => {
    for (let round = 0; round < 10; round++) {
      const random = prng(100 + round);
      let mangled = text;
      for (let i = 0; i < 30; i++) {
        const at = Math.floor(random() * mangled.length);
        const byte = String.fromCharCode(Math.floor(random() * 256));
        mangled = mangled.slice(0, at) + byte + mangled.slice(at);
      }
      const reports = parseLockdepReports(mangled);
      assertWellFormed(reports);
      assert.ok(
        reports.some((r) => r.kind === 'circular' && r.links.length >= 4),
        `round ${round}`,
      );
    }
  });

  it('keeps the most complete copy when deduplicating', () => {
    const cut = firstCopy.slice(0, firstCopy.indexOf('*** DEADLOCK ***'));
    const [truncated] = parseLockdepReports(cut);
    const [full] = parseLockdepReports(firstCopy);
    assert.equal(truncated.held.length, 0);
    const kept = dedupeReports([truncated, full]);
    assert.equal(kept.length, 1);
    assert.equal(kept[0], full);
  });
});

describe('junk input', () => {
  it('returns nothing for empty, blank and non-string input', () => {
    assert.deepEqual(parseLockdepReports(''), []);
    assert.deepEqual(parseLockdepReports('\n\n   \r\n'), []);
    assert.deepEqual(parseLockdepReports(undefined as unknown as string), []);
  });

  it('survives binary bytes', () => {
    const random = prng(7);
    const bytes = Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(random() * 256)));
    assertWellFormed(parseLockdepReports(bytes.toString('latin1')));
    assertWellFormed(parseLockdepReports(bytes.toString('utf8')));
  });

  it('handles a megabyte of noise, with and without a report inside', () => {
    const random = prng(42);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 ->#(){}[]:+./&?*=\n';
    let noise = '';
    while (noise.length < 1_000_000) noise += alphabet[Math.floor(random() * alphabet.length)];
    assert.deepEqual(parseLockdepReports(noise), []);
    assert.deepEqual(parseLockdepReports(noise.replace(/\n/g, ' ')), []);
    const half = noise.length / 2;
    const withReport = `${noise.slice(0, half)}\n${fixture(THREAD)}\n${noise.slice(half)}`;
    const found = dedupeReports(parseLockdepReports(withReport));
    assert.equal(found.length, 1);
    assert.equal(found[0].links.length, 6);
  });

  it('handles markers without their data', () => {
    const text = [
      'perf/1 is trying to acquire lock:',
      'but task is already holding lock:',
      'the existing dependency chain (in reverse order) is:',
      '-> #1 (',
      '-> #0 (a){+.+.}:',
      'Chain exists of:',
      'Possible unsafe locking scenario:',
      '3 locks held by perf/1:',
      '#0: garbage',
      'stack backtrace:',
    ].join('\n');
    const [r] = parseLockdepReports(text);
    assertWellFormed([r]);
    assert.equal(r.kind, 'circular');
    assert.ok(r.warnings.includes('no lock description after the "trying" line'));
    assert.ok(r.warnings.includes('dependency #1: unreadable class "("'));
    assert.ok(r.warnings.includes('"Chain exists of:" without its classes'));
    assert.ok(r.warnings.includes('3 held lock(s) announced, 0 found'));
  });
});

const INCONSISTENT = `
[   33.145522] ================================
[   33.145523] WARNING: inconsistent lock state
[   33.145525] 5.10.0-rc4 #1 Not tainted
[   33.145526] --------------------------------
[   33.145527] inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.
[   33.145529] swapper/0/0 [HC1[1]:SC0[0]:HE0:SE1] takes:
[   33.145531] ffff888102a4a018 (&dev->lock){?.+.}-{2:2}, at: foo_irq_handler+0x2a/0x80 [foo]
[   33.145540] {HARDIRQ-ON-W} state was registered at:
[   33.145541]   lock_acquire+0xd3/0x390
[   33.145545]   _raw_spin_lock+0x2c/0x40
[   33.145548]   foo_start+0x41/0x120 [foo]
[   33.145552]   foo_probe+0x99/0x200 [foo]
[   33.145555] irq event stamp: 123456
[   33.145556] hardirqs last  enabled at (123455): [<ffffffff81c2b5c4>] default_idle+0x14/0x20
[   33.145558] hardirqs last disabled at (123456): [<ffffffff81c2a1b2>] common_interrupt+0x12/0xa0
[   33.145560] softirqs last  enabled at (123400): [<ffffffff8200030f>] __do_softirq+0x30f/0x42b
[   33.145562] softirqs last disabled at (123391): [<ffffffff810a4f21>] irq_exit_rcu+0xb1/0xc0
[   33.145564] 
               other info that might help us debug this:
[   33.145566]  Possible unsafe locking scenario:

[   33.145567]        CPU0
[   33.145568]        ----
[   33.145569]   lock(&dev->lock);
[   33.145570]   <Interrupt>
[   33.145571]     lock(&dev->lock);
[   33.145572] 
                *** DEADLOCK ***

[   33.145574] no locks held by swapper/0/0.
[   33.145575] 
               stack backtrace:
[   33.145577] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 5.10.0-rc4 #1
[   33.145579] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.14.0-2 04/01/2014
[   33.145581] Call Trace:
[   33.145582]  <IRQ>
[   33.145583]  dump_stack+0x8b/0xb0
[   33.145585]  mark_lock.part.0.cold+0x27/0x2c
[   33.145587]  __lock_acquire+0x8c5/0x1c40
[   33.145589]  lock_acquire+0xd3/0x390
[   33.145591]  _raw_spin_lock+0x2c/0x40
[   33.145593]  foo_irq_handler+0x2a/0x80 [foo]
[   33.145595]  __handle_irq_event_percpu+0x7a/0x1f0
[   33.145597]  handle_irq_event+0x34/0x70
[   33.145599]  </IRQ>
[   33.145600]  default_idle+0xe/0x20
`;

const INVALID_WAIT = `
Nov 19 00:04:56 box kernel: =============================
Nov 19 00:04:56 box kernel: [ BUG: Invalid wait context ]
Nov 19 00:04:56 box kernel: 5.10.0 #1 Not tainted
Nov 19 00:04:56 box kernel: -----------------------------
Nov 19 00:04:56 box kernel: swapper/0/1 is trying to lock:
Nov 19 00:04:56 box kernel: ffff88810049a0d8 (&n->list_lock){..-.}-{3:3}, at: get_partial_node+0x2b/0x1a0
Nov 19 00:04:56 box kernel: other info that might help us debug this:
Nov 19 00:04:56 box kernel: context-{5:5}
Nov 19 00:04:56 box kernel: 2 locks held by swapper/0/1:
Nov 19 00:04:56 box kernel:  #0: ffff888100a1c190 (&dev->mutex){+.+.}-{3:3}, at: device_lock+0x14/0x20
Nov 19 00:04:56 box kernel:  #1: ffffffff82a4e0c8 (pci_lock){....}-{2:2}, at: pci_bus_read_config_dword+0x36/0x80
Nov 19 00:04:56 box kernel: stack backtrace:
Nov 19 00:04:56 box kernel: CPU: 0 PID: 1 Comm: swapper/0 Not tainted 5.10.0 #1
Nov 19 00:04:56 box kernel: Call Trace:
Nov 19 00:04:56 box kernel:  dump_stack+0x8b/0xb0
Nov 19 00:04:56 box kernel:  __lock_acquire.cold+0x1e6/0x2f9
Nov 19 00:04:56 box kernel:  lock_acquire+0xd3/0x390
Nov 19 00:04:56 box kernel:  _raw_spin_lock+0x2c/0x40
Nov 19 00:04:56 box kernel:  get_partial_node+0x2b/0x1a0
Nov 19 00:04:56 box kernel:  ___slab_alloc+0x3b5/0x860
Nov 19 00:04:56 box kernel:  pci_bus_read_config_dword+0x5e/0x80
`;

const SLEEP_IN_ATOMIC = `
<3>[   12.345678] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:281
<3>[   12.345690] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1234, name: modprobe
<3>[   12.345695] preempt_count: 1, expected: 0
<3>[   12.345697] RCU nest depth: 0, expected: 0
<4>[   12.345699] 1 lock held by modprobe/1234:
<4>[   12.345701]  #0: ffff88810a2b3c40 (&priv->lock){+.+.}-{2:2}, at: bar_update+0x21/0x90 [bar]
<4>[   12.345710] Preemption disabled at:
<4>[   12.345711] [<ffffffffc0401234>] bar_update+0x21/0x90 [bar]
<4>[   12.345720] CPU: 2 PID: 1234 Comm: modprobe Not tainted 5.15.0 #1
<4>[   12.345725] Call Trace:
<4>[   12.345726]  <TASK>
<4>[   12.345727]  dump_stack_lvl+0x45/0x5b
<4>[   12.345730]  __might_resched.cold+0xf2/0x120
<4>[   12.345733]  mutex_lock+0x1a/0x40
<4>[   12.345736]  bar_flush+0x30/0x80 [bar]
<4>[   12.345739]  bar_update+0x5c/0x90 [bar]
<4>[   12.345742]  ? bar_init+0x10/0x10 [bar]
<4>[   12.345745]  do_one_initcall+0x44/0x1d0
<4>[   12.345748]  </TASK>
`;

// dmesg -t: no timestamps, whitespace intact.
const RECURSIVE = `
============================================
WARNING: possible recursive locking detected
6.1.0 #1 Not tainted
--------------------------------------------
kworker/u8:2/123 is trying to acquire lock:
ffff888104b2c0a8 (&dev->mutex){+.+.}-{3:3}, at: device_lock+0x14/0x20

but task is already holding lock:
ffff888104b3d0a8 (&dev->mutex){+.+.}-{3:3}, at: device_lock+0x14/0x20

other info that might help us debug this:
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&dev->mutex);
  lock(&dev->mutex);

 *** DEADLOCK ***

 May be due to missing lock nesting notation

3 locks held by kworker/u8:2/123:
 #0: ffff888100051d38 ((wq_completion)events_unbound){+.+.}-{0:0}, at: process_one_work+0x1e4/0x5a0
 #1: ffffc90000c0fe70 ((work_completion)(&port->work)){+.+.}-{0:0}, at: process_one_work+0x1e4/0x5a0
 #2: ffff888104b3d0a8 (&dev->mutex){+.+.}-{3:3}, at: device_lock+0x14/0x20

stack backtrace:
CPU: 1 PID: 123 Comm: kworker/u8:2 Not tainted 6.1.0 #1
Workqueue: events_unbound port_work_fn
Call Trace:
 <TASK>
 dump_stack_lvl+0x45/0x5b
 __lock_acquire.cold+0x1a2/0x2b4
 lock_acquire+0xd3/0x2f0
 __mutex_lock+0x97/0x920
 device_lock+0x14/0x20
 port_resume+0x33/0x90
 port_work_fn+0x51/0x80
 process_one_work+0x26a/0x5a0
 worker_thread+0x52/0x3e0
 kthread+0xf5/0x120
 ret_from_fork+0x1f/0x30
 </TASK>
`;

// Raw dmesg with the columns intact, a wrapped "at:" frame, a wrapped module tag and a wrapped chain.
const CIRCULAR_WRAPPED = `
[  100.000001] ======================================================
[  100.000002] WARNING: possible circular locking dependency detected
[  100.000003] 6.1.0 #1 Not tainted
[  100.000004] ------------------------------------------------------
[  100.000005] insmod/42 is trying to acquire lock:
[  100.000006] ffff888100000010 (&a->lock){+.+.}-{3:3}, at:
    a_lock+0x10/0x20 [demo]
[  100.000007] 
               but task is already holding lock:
[  100.000008] ffff888100000030 (&c->lock){+.+.}-{3:3}, at: c_work+0x10/0x40 [demo]
[  100.000009] 
               which lock already depends on the new lock.

[  100.000010] 
               the existing dependency chain (in reverse order) is:
[  100.000011] 
               -> #2 (&c->lock){+.+.}-{3:3}:
[  100.000012]        __mutex_lock+0x88/0x900
[  100.000013]        b_then_c+0x20/0x40
[demo]
[  100.000015] 
               -> #1 (&b->lock){+.+.}-{3:3}:
[  100.000016]        __mutex_lock+0x88/0x900
[  100.000017]        a_then_b+0x20/0x40 [demo]
[  100.000018] 
               -> #0 (&a->lock){+.+.}-{3:3}:
[  100.000019]        __lock_acquire+0x125d/0x2160
[  100.000020]        lock_acquire+0x137/0x3e0
[  100.000021]        __mutex_lock+0x88/0x900
[  100.000022]        c_then_a+0x30/0x60 [demo]
[  100.000023] 
               other info that might help us debug this:

[  100.000024] Chain exists of:
                 &a->lock --> &b->lock -->
  &c->lock

[  100.000025]  Possible unsafe locking scenario:

[  100.000026]        CPU0                    CPU1
[  100.000027]        ----                    ----
[  100.000028]   lock(&c->lock);
[  100.000029]                                lock(&b->lock);
[  100.000030]                                lock(&c->lock);
[  100.000031]   lock(&a->lock);
[  100.000032] 
                *** DEADLOCK ***

[  100.000033] 1 lock held by insmod/42:
[  100.000034]  #0: ffff888100000030 (&c->lock){+.+.}-{3:3}, at: c_work+0x10/0x40 [demo]
[  100.000035] 
               stack backtrace:
[  100.000036] CPU: 3 PID: 42 Comm: insmod Not tainted 6.1.0 #1
[  100.000037] Call Trace:
[  100.000038]  <TASK>
[  100.000039]  dump_stack_lvl+0x45/0x5b
[  100.000040]  check_noncircular+0xf1/0x110
[  100.000041]  __lock_acquire+0x125d/0x2160
[  100.000042]  lock_acquire+0x137/0x3e0
[  100.000043]  __mutex_lock+0x88/0x900
[  100.000044]  c_then_a+0x30/0x60 [demo]
[  100.000045]  c_work+0x22/0x40 [demo]
[  100.000046]  </TASK>
`;

describe('other report kinds', () => {
  it('reads an inconsistent lock state report', () => {
    const [r, ...rest] = parseLockdepReports(INCONSISTENT);
    assert.equal(rest.length, 0);
    assert.equal(r.kind, 'inconsistent');
    assert.equal(r.title, 'WARNING: inconsistent lock state');
    assert.equal(r.task, 'swapper/0/0');
    assert.equal(r.usageTransition, '{HARDIRQ-ON-W} -> {IN-HARDIRQ-W}');
    assert.deepEqual(
      { cls: r.trying?.cls, usage: r.trying?.usage, wait: r.trying?.waitType, at: r.trying?.at?.fn },
      { cls: '&dev->lock', usage: '?.+.', wait: '2:2', at: 'foo_irq_handler' },
    );
    assert.equal(r.registeredAt?.usage, '{HARDIRQ-ON-W}');
    assert.deepEqual(frameFunctions(r.registeredAt?.frames ?? []), ['foo_start', 'foo_probe']);
    assert.deepEqual(r.scenario, {
      cpu0: ['lock(&dev->lock);', '<Interrupt>', 'lock(&dev->lock);'],
      cpu1: [],
    });
    assert.deepEqual(r.held, []);
    assert.deepEqual(frameFunctions(r.backtrace), [
      'foo_irq_handler',
      '__handle_irq_event_percpu',
      'handle_irq_event',
      'default_idle',
    ]);
    assert.deepEqual(r.warnings, []);
  });

  it('reads an invalid wait context report behind syslog prefixes', () => {
    const [r] = parseLockdepReports(INVALID_WAIT);
    assert.equal(r.kind, 'invalid-wait');
    assert.equal(r.title, '[ BUG: Invalid wait context ]');
    assert.equal(r.task, 'swapper/0/1');
    assert.equal(r.trying?.cls, '&n->list_lock');
    assert.equal(r.trying?.waitType, '3:3');
    assert.equal(r.waitContext, '5:5');
    assert.deepEqual(
      r.held.map((h) => [h.index, h.cls, h.waitType, h.at?.fn]),
      [
        [0, '&dev->mutex', '3:3', 'device_lock'],
        [1, 'pci_lock', '2:2', 'pci_bus_read_config_dword'],
      ],
    );
    assert.deepEqual(frameFunctions(r.backtrace), [
      'get_partial_node',
      '___slab_alloc',
      'pci_bus_read_config_dword',
    ]);
    assert.deepEqual(r.warnings, []);
  });

  it('reads a sleeping-function report with log levels', () => {
    const [r] = parseLockdepReports(SLEEP_IN_ATOMIC);
    assert.equal(r.kind, 'sleep-in-atomic');
    assert.equal(r.location, 'kernel/locking/mutex.c:281');
    assert.equal(r.task, 'modprobe/1234');
    assert.deepEqual(
      r.held.map((h) => [h.cls, h.at?.fn, h.at?.module]),
      [['&priv->lock', 'bar_update', 'bar']],
    );
    assert.deepEqual(r.preemptionDisabledAt, {
      fn: 'bar_update',
      offset: 0x21,
      size: 0x90,
      module: 'bar',
      uncertain: false,
      address: 'ffffffffc0401234',
      raw: '[<ffffffffc0401234>] bar_update+0x21/0x90 [bar]',
    });
    assert.equal(r.backtrace.length, 7);
    assert.deepEqual(frameFunctions(r.backtrace), ['bar_flush', 'bar_update', 'do_one_initcall']);
    assert.deepEqual(r.warnings, []);
  });

  it('reads a recursive locking report without timestamps', () => {
    const [r] = parseLockdepReports(RECURSIVE);
    assert.equal(r.kind, 'recursive');
    assert.equal(r.task, 'kworker/u8:2/123');
    assert.equal(r.trying?.cls, '&dev->mutex');
    assert.equal(r.holding?.cls, '&dev->mutex');
    assert.deepEqual(r.scenario, { cpu0: ['lock(&dev->mutex);', 'lock(&dev->mutex);'], cpu1: [] });
    assert.deepEqual(
      r.held.map((h) => h.cls),
      ['(wq_completion)events_unbound', '(work_completion)(&port->work)', '&dev->mutex'],
    );
    assert.deepEqual(frameFunctions(r.backtrace).slice(0, 3), ['device_lock', 'port_resume', 'port_work_fn']);
    assert.deepEqual(r.warnings, []);
  });

  it('reads a circular report with wrapped lines and intact columns', () => {
    const [r] = parseLockdepReports(CIRCULAR_WRAPPED);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.trying?.at?.fn, 'a_lock');
    assert.equal(r.trying?.at?.module, 'demo');
    assert.deepEqual(
      r.links.map((l) => [l.from, l.to, frameFunctions(l.frames)]),
      [
        ['&c->lock', '&a->lock', ['c_then_a']],
        ['&a->lock', '&b->lock', ['a_then_b']],
        ['&b->lock', '&c->lock', ['b_then_c']],
      ],
    );
    assert.equal(r.links[2].frames[1].module, 'demo');
    assert.deepEqual(r.chain, ['&a->lock', '&b->lock', '&c->lock']);
    assert.deepEqual(r.scenario, {
      cpu0: ['lock(&c->lock);', 'lock(&a->lock);'],
      cpu1: ['lock(&b->lock);', 'lock(&c->lock);'],
    });
    assert.deepEqual(frameFunctions(r.backtrace), ['c_then_a', 'c_work']);
  });

  it('tolerates a missing banner and a bare title', () => {
    const bare = CIRCULAR_WRAPPED.replace(/^.*[=-]{20,}\n/gm, '').replace('WARNING: ', '');
    const [r] = parseLockdepReports(bare);
    assert.equal(r.kind, 'circular');
    assert.equal(r.title, 'possible circular locking dependency detected');
    assert.equal(r.links.length, 3);
  });

  it('splits several reports in one log and dedupes only identical ones', () => {
    const log = [INCONSISTENT, CIRCULAR_WRAPPED, SLEEP_IN_ATOMIC, RECURSIVE, CIRCULAR_WRAPPED].join('\n');
    const reports = parseLockdepReports(log);
    assert.deepEqual(
      reports.map((r) => r.kind),
      ['inconsistent', 'circular', 'sleep-in-atomic', 'recursive', 'circular'],
    );
    assert.deepEqual(
      dedupeReports(reports).map((r) => r.kind),
      ['inconsistent', 'circular', 'sleep-in-atomic', 'recursive'],
    );
  });

  it('splits a two-CPU table by columns when they are intact and by layout when not', () => {
    const table = [
      'WARNING: possible irq lock inversion dependency detected',
      ' Possible interrupt unsafe locking scenario:',
      '',
      '       CPU0                    CPU1',
      '       ----                    ----',
      '  lock(&x->lock);',
      '                               local_irq_disable();',
      '                               lock(&y->lock);',
      '                               lock(&x->lock);',
      '  <Interrupt>',
      '    lock(&y->lock);',
    ].join('\n');
    const expected = {
      cpu0: ['lock(&x->lock);', '<Interrupt>', 'lock(&y->lock);'],
      cpu1: ['local_irq_disable();', 'lock(&y->lock);', 'lock(&x->lock);'],
    };
    assert.deepEqual(parseLockdepReports(table)[0].scenario, expected);
    assert.deepEqual(parseLockdepReports(table.replace(/ +/g, ' '))[0].scenario, expected);
    assert.equal(scenarioClass('lock(&x->lock);'), '&x->lock');
    assert.equal(scenarioClass('rlock(&mm->mmap_lock#2);'), '&mm->mmap_lock#2');
    assert.equal(scenarioClass('<Interrupt>'), undefined);
  });
});

describe('building blocks', () => {
  it('strips every log prefix', () => {
    const lines = splitLogLines(
      [
        '<4>[  648.247718][ T1234] one',
        'Nov 19 00:04:56 zbox kernel: [  648.247719] two',
        'kern  :warn  : [  648.247720] three',
        '> > [ 648.247721] > four',
        '[Thu Nov 19 00:04:56 2020] five',
        '2020-11-19T00:04:56.123456+01:00 zbox kernel: six',
        '\u001b[32m[  648.247722] \u001b[0m\u001b[33mseven\u001b[0m',
      ].join('\n'),
    );
    assert.deepEqual(
      lines.map((l) => [l.text, l.time]),
      [
        ['one', 648.247718],
        ['two', 648.247719],
        ['three', 648.24772],
        ['four', 648.247721],
        ['five', undefined],
        ['six', undefined],
        ['seven', 648.247722],
      ],
    );
  });

  it('parses frame formats', () => {
    assert.deepEqual(parseFrame('[<ffffffff8109dbb7>] ? apply_workqueue_attrs+0x17/0x50'), {
      fn: 'apply_workqueue_attrs',
      offset: 0x17,
      size: 0x50,
      uncertain: true,
      address: 'ffffffff8109dbb7',
      raw: '[<ffffffff8109dbb7>] ? apply_workqueue_attrs+0x17/0x50',
    });
    assert.deepEqual(parseFrame('__might_fault+0x11f/0x1a0 mm/memory.c:6142'), {
      fn: '__might_fault',
      offset: 0x11f,
      size: 0x1a0,
      file: 'mm/memory.c',
      line: 6142,
      uncertain: false,
      raw: '__might_fault+0x11f/0x1a0 mm/memory.c:6142',
    });
    assert.equal(parseFrame('perf_copy_attr (kernel/events/core.c:11640)')?.line, 11640);
    assert.equal(parseFrame('0xffffffffc0a5c061')?.address, '0xffffffffc0a5c061');
    assert.equal(parseFrame('RIP: 0033:0x7f68dd378f6b'), undefined);
    assert.equal(parseFrame('just some words'), undefined);
  });

  it('drops lockdep-internal and uncertain frames', () => {
    const frames = [
      'dump_stack_lvl+0x45/0x5b',
      'print_circular_bug.cold+0x13c/0x141',
      'check_noncircular+0xf1/0x110',
      'check_prev_add+0x430/0x840',
      'validate_chain+0x1/0x2',
      '__lock_acquire+0x125d/0x2160',
      'lock_acquire.part.0+0x1/0x2',
      '? foo+0x1/0x2',
      '_raw_spin_lock_irqsave+0x1/0x2',
      'down_write_killable+0x1/0x2',
      'down_read+0x1/0x2',
      '__ww_mutex_lock.constprop.0+0x1/0x2',
      'ww_mutex_lock+0x1/0x2',
      'mutex_lock_nested+0x1/0x2',
      '__mutex_lock+0x1/0x2',
      'percpu_down_read+0x1/0x2',
      'cpus_read_lock+0x1/0x2',
      '__might_fault+0x1/0x2',
      'might_fault+0x1/0x2',
      '0xffffffffc0a5c061',
      'copy_process.part.7+0x1/0x2',
      'stop_machine+0x18/0x40',
    ].map((t) => parseFrame(t) as LockdepFrame);
    assert.deepEqual(frameFunctions(frames), ['copy_process', 'stop_machine']);
  });

  it('normalises class names', () => {
    const cases: [string, string][] = [
      ['&mm->mmap_lock#2', 'mm->mmap_lock'],
      ['&mm->mmap_sem/1', 'mm->mmap_lock'],
      ['&ei->i_data_sem/1', 'ei->i_data_sem'],
      ['&x->lock#2/1', 'x->lock'],
      ['&sb->s_type->i_mutex_key#5', 'sb->s_type->i_mutex_key'],
      ['&(&zone->lock)->rlock', 'zone->lock'],
      ['cpu_hotplug_lock.rw_sem', 'cpu_hotplug_lock'],
      ['&cpuctx_mutex', 'cpuctx_mutex'],
      ['pmus_lock', 'pmus_lock'],
      ['(complete)&req.done', '(complete)&req.done'],
    ];
    for (const [input, output] of cases) assert.equal(normaliseClassName(input), output, input);
  });
});

describe('/proc/lockdep', () => {
  const SAMPLE = `all lock classes:
 -> [ffffffff82a5b1a8] pmus_lock
ffffffff82a5b0a8 FD:   35 BD:    1 ++++: cpu_hotplug_lock
 -> [ffffffff82a5b1a8] pmus_lock
 -> [ffffffff83e6c2b0] &cpuctx_mutex

ffffffff82a5b1a8 FD:    2 BD:    2 +.+.: pmus_lock
 -> [ffffffff83e6c2b0] &cpuctx_mutex

ffffffff83e6c2b0 FD:    1 BD:    3 +.+.: &cpuctx_mutex

ffffffff82b5b628 OPS:     1234 FD:    5 BD:   12 ++++: &mm->mmap_lock#2
 -> [ffffffff82c1a3d8] reservation_ww_class_acquire

ffffffff82c1a3d8 FD:    3 BD:    2 +.+.: reservation_ww_class_acquire
 -> [ffffffff82c1a3c8] reservation_ww_class_mutex
this line is garbage
`;

  it('reads classes and their forward dependencies', () => {
    const proc = parseProcLockdep(SAMPLE);
    assert.deepEqual(proc.classes[0], {
      key: 'ffffffff82a5b0a8',
      name: 'cpu_hotplug_lock',
      usage: '++++',
      forwardDeps: 35,
      backwardDeps: 1,
    });
    assert.deepEqual(
      proc.classes.map((c) => c.name),
      ['cpu_hotplug_lock', 'pmus_lock', '&cpuctx_mutex', '&mm->mmap_lock#2', 'reservation_ww_class_acquire'],
    );
    assert.equal(proc.classes[3].backwardDeps, 12);
    assert.deepEqual(
      proc.deps.map((d) => `${d.from} -> ${d.to}`),
      [
        'cpu_hotplug_lock -> pmus_lock',
        'cpu_hotplug_lock -> &cpuctx_mutex',
        'pmus_lock -> &cpuctx_mutex',
        '&mm->mmap_lock#2 -> reservation_ww_class_acquire',
        'reservation_ww_class_acquire -> reservation_ww_class_mutex',
      ],
    );
    assert.equal(proc.deps[0].toKey, 'ffffffff82a5b1a8');
    assert.deepEqual(proc.warnings, [
      '1 dependency line(s) before any class line were skipped',
      '1 unrecognised line(s) were skipped',
    ]);
  });

  it('never throws on junk', () => {
    assert.deepEqual(parseProcLockdep(''), { classes: [], deps: [], warnings: [] });
    const junk = parseProcLockdep(fixture(THREAD));
    assert.deepEqual(junk.classes, []);
    assert.ok(junk.warnings.includes('no lock class lines found'));
    const truncated = parseProcLockdep(SAMPLE.slice(0, SAMPLE.indexOf('FD:    2') + 3));
    assert.equal(truncated.classes.length, 1);
  });
});
