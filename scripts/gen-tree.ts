/**
 * Generates a deterministic kernel-style C tree for benchmarks:
 *
 *   node out/scripts/gen-tree.js OUT_DIR --files N [--seed S] [--kb 14] [--lock-share 0.005]
 *
 * Subsystems of ~48 files, each with a types header (structs holding spinlocks, mutexes,
 * rwsems, work items and an ops table; prototypes of the exported functions) and .c files of
 * roughly 14 KB. One file in twelve is a device core: lock helpers, a work function, an interrupt
 * handler, an ops table with designated initializers, INIT_WORK/queue_work and lock-taking
 * entry points with error paths, gotos, allocations under locks and, rarely, a lock-order
 * inversion. The other files are mostly lock-free register programming calling each other,
 * their subsystem's entry points and a core subsystem. Same arguments, same bytes.
 *
 * The default is calibrated on i915 as Lockscope lowers it (per MB of C: 1,107 functions,
 * 8,950 blocks, 6,673 calls, 179 lock and unlock calls; 7% of functions take a lock): the
 * generated tree has 1,251 / 10,056 / 7,786 / 202 and 4.6%. Its summaries are shallower than
 * i915's (2 lock classes reached per function against 4.8). `--lock-share` is the fraction of
 * the other functions that take locks; `--lock-share 1` is the lock-dense stress tree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const FILES_PER_SUBSYSTEM = 48;

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rand {
  (): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

function rand(seed: number): Rand {
  const next = prng(seed);
  const r = (() => next()) as Rand;
  r.int = (n) => Math.floor(next() * n);
  r.pick = (xs) => xs[Math.floor(next() * xs.length)];
  r.chance = (p) => next() < p;
  return r;
}

interface Subsystem {
  name: string;
  dir: string;
  /** .c files in this subsystem. */
  sources: number;
  /** Exported functions per source file. */
  exported: number;
}

const EXPORTED_PER_FILE = 3;
/** One file in this many is a device core (see source). */
const DEVICE_EVERY = 12;
/** The lock hierarchy, outermost first: a function at level L calls only functions below it. */
const LEVELS = ['sem', 'config_mutex', 'mutex', 'engine_mutex', 'list_mutex'] as const;
const levelOf = (k: number) => k % LEVELS.length;
const GFP = ['GFP_KERNEL', 'GFP_KERNEL', 'GFP_NOFS', 'GFP_ATOMIC', 'GFP_NOWAIT'];
const ALLOCS = ['kzalloc', 'kmalloc', 'kvmalloc', 'kcalloc'];
const SLEEPERS = ['msleep(1)', 'usleep_range(10, 20)', 'might_sleep()', 'cond_resched()'];

export interface GenResult {
  files: number;
  bytes: number;
}

export const DEFAULT_LOCK_SHARE = 0.005;

export function generateTree(
  outDir: string,
  files: number,
  seed: number,
  targetKb = 14,
  lockShare = DEFAULT_LOCK_SHARE,
): GenResult {
  const r = rand(seed);
  const subs: Subsystem[] = [];
  let remaining = files;
  for (let i = 0; remaining > 0; i++) {
    const take = Math.min(FILES_PER_SUBSYSTEM, remaining);
    const name = i === 0 ? 'core' : `sub${i}`;
    subs.push({
      name,
      dir: i === 0 ? 'core' : `drivers/${name}`,
      sources: Math.max(0, take - 1),
      exported: EXPORTED_PER_FILE,
    });
    remaining -= take;
  }
  let bytes = 0;
  let count = 0;
  const write = (rel: string, text: string) => {
    const abs = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    bytes += Buffer.byteLength(text);
    count++;
  };
  for (const sub of subs) {
    write(`${sub.dir}/${sub.name}_types.h`, header(sub));
    for (let f = 0; f < sub.sources; f++)
      write(`${sub.dir}/${sub.name}_f${f}.c`, source(sub, f, subs[0], r, targetKb * 1024, lockShare));
  }
  return { files: count, bytes };
}

function fnName(sub: Subsystem, file: number, k: number): string {
  return `${sub.name}_f${file}_fn${k}`;
}

function header(sub: Subsystem): string {
  const n = sub.name;
  const out: string[] = [];
  out.push(
    `/* SPDX-License-Identifier: GPL-2.0 */`,
    `#ifndef _${n.toUpperCase()}_TYPES_H`,
    `#define _${n.toUpperCase()}_TYPES_H`,
    '',
  );
  out.push(
    '#include <linux/mutex.h>',
    '#include <linux/spinlock.h>',
    '#include <linux/workqueue.h>',
    '#include <linux/rwsem.h>',
    '',
  );
  out.push(`struct ${n}_dev;`, `struct ${n}_obj;`, '');
  out.push(`struct ${n}_ops {`);
  out.push(`\tint (*bind)(struct ${n}_dev *dev, struct ${n}_obj *obj);`);
  out.push(`\tvoid (*unbind)(struct ${n}_dev *dev, struct ${n}_obj *obj);`);
  out.push(`\tint (*reset)(struct ${n}_dev *dev);`);
  out.push(`\tvoid (*irq)(struct ${n}_dev *dev, u32 status);`);
  out.push('};', '');
  out.push(
    `struct ${n}_obj {`,
    '\tstruct list_head link;',
    '\tspinlock_t obj_lock;',
    '\tunsigned long flags;',
    '\tu64 offset;',
    '\tu32 size;',
    `\tstruct ${n}_dev *dev;`,
    '};',
    '',
  );
  out.push(
    `struct ${n}_engine {`,
    '\tstruct mutex engine_mutex;',
    '\tspinlock_t irq_lock;',
    '\tstruct list_head requests;',
    '\tu32 seqno;',
    '};',
    '',
  );
  out.push(`struct ${n}_dev {`);
  out.push(
    '\tspinlock_t lock;',
    '\tstruct mutex mutex;',
    '\tstruct mutex config_mutex;',
    '\tstruct mutex ref_mutex;',
    '\tstruct rw_semaphore sem;',
    '\tstruct list_head list;',
  );
  out.push(
    '\tstruct work_struct work;',
    '\tstruct delayed_work retire_work;',
    '\tstruct workqueue_struct *wq;',
  );
  out.push(
    `\tconst struct ${n}_ops *ops;`,
    `\tstruct ${n}_engine engine[4];`,
    '\tunsigned long flags;',
    '\tint refcount;',
    '\tvoid *priv;',
    '};',
    '',
  );
  for (let f = 0; f < sub.sources; f++) {
    for (let k = 0; k < sub.exported; k++)
      out.push(`int ${fnName(sub, f, k)}(struct ${n}_dev *dev, struct ${n}_obj *obj);`);
  }
  out.push('', `#endif /* _${n.toUpperCase()}_TYPES_H */`, '');
  return out.join('\n');
}

function source(
  sub: Subsystem,
  file: number,
  core: Subsystem,
  r: Rand,
  target: number,
  lockShare: number,
): string {
  const n = sub.name;
  const out: string[] = [];
  out.push(
    '// SPDX-License-Identifier: GPL-2.0',
    `/*`,
    ` * ${n} file ${file}: generated for Lockscope benchmarks.`,
    ' */',
    '',
  );
  out.push('#include <linux/slab.h>', '#include <linux/uaccess.h>', `#include "${n}_types.h"`);
  if (sub !== core) out.push(`#include "../../core/core_types.h"`);
  out.push('');
  out.push(
    `static DEFINE_MUTEX(${n}_f${file}_list_mutex);`,
    `static DEFINE_SPINLOCK(${n}_f${file}_stat_lock);`,
    `static unsigned long ${n}_f${file}_stats[8];`,
    '',
  );

  /** A call to a function whose locks rank below `level` (the lock hierarchy keeps the tree deadlock-free). */
  const other = (level: number) => {
    if (sub !== core && core.sources > 0 && r.chance(0.15))
      return `core_f${r.int(core.sources)}_fn${r.int(core.exported)}(NULL, NULL)`;
    const ks = Array.from({ length: sub.exported }, (_, k) => k).filter((k) => levelOf(k) > level);
    if (sub.sources <= 1 || ks.length === 0) return `${n}_f${file}_helper1(dev, obj)`;
    return `${fnName(sub, r.int(sub.sources), r.pick(ks))}(dev, obj)`;
  };

  // One file in DEVICE_EVERY is a device's core: its lock helpers, work, interrupt handler, ops
  // table and init. The others are mostly lock-free code around their exported entry points.
  const device = file % DEVICE_EVERY === 0;
  // Static helpers first: called from the exported functions below.
  for (let h = 0; h < 4; h++) out.push(helper(n, file, h, r, device));
  if (device) out.push(workFn(n, file, r, other), irqFn(n, file, r));
  let size = out.join('\n').length;
  let k = 0;
  const plain: string[] = [];
  while (k < sub.exported || size < target) {
    let text: string;
    // The exported entry points take their locks in device files (and at the lock share elsewhere).
    const exported = k < sub.exported;
    if (exported ? device || r.chance(lockShare) : r.chance(lockShare)) {
      const name = exported ? fnName(sub, file, k) : `${n}_f${file}_extra${k}`;
      text = exportedFn(n, file, name, exported, levelOf(k), r, other);
    } else {
      const name = exported ? fnName(sub, file, k) : `${n}_f${file}_plain${k}`;
      text = plainFn(n, file, name, exported, plain, r, other);
      if (!exported) plain.push(name);
    }
    out.push(text);
    size += text.length + 1;
    k++;
  }
  if (device) out.push(opsTable(n, file), initFn(n, file));
  return out.join('\n');
}

function helper(n: string, file: number, h: number, r: Rand, device: boolean): string {
  const body: string[] = [];
  if (h === 0) {
    body.push(
      '\tlockdep_assert_held(&dev->lock);',
      '\tobj->flags |= BIT(1);',
      '\tlist_move_tail(&obj->link, &dev->list);',
    );
  } else if (h === 1 && !device) {
    body.push(`\t${n}_f${file}_stats[obj->flags & 7]++;`);
  } else if (h === 1) {
    body.push('\tunsigned long flags;', '', `\tspin_lock_irqsave(&${n}_f${file}_stat_lock, flags);`);
    body.push(
      `\t${n}_f${file}_stats[obj->flags & 7]++;`,
      `\tspin_unlock_irqrestore(&${n}_f${file}_stat_lock, flags);`,
    );
  } else if (h === 2) {
    const gfp = r.pick(GFP);
    body.push(
      `\tvoid *buf = ${r.pick(ALLOCS)}(obj->size, ${gfp});`,
      '',
      '\tif (!buf)',
      '\t\treturn -ENOMEM;',
    );
    body.push('\tmemset(buf, 0, obj->size);', '\tobj->offset = (u64)(uintptr_t)buf;', '\tkfree(buf);');
  } else if (!device) {
    body.push('\tdev->refcount++;');
  } else {
    body.push('\tmutex_lock(&dev->ref_mutex);', '\tdev->refcount++;', '\tmutex_unlock(&dev->ref_mutex);');
  }
  const ret = h === 0 || h === 3 ? 'void' : 'int';
  if (ret === 'int') body.push('\treturn 0;');
  return `static ${ret} ${n}_f${file}_helper${h}(struct ${n}_dev *dev, struct ${n}_obj *obj)\n{\n${body.join('\n')}\n}\n`;
}

/**
 * Lock-free driver code, mostly straight-line register programming (as in i915: about eight
 * blocks and six calls per function): reads and writes, a range check, sometimes a loop or a
 * switch, and a call to an earlier plain function or across files.
 */
function plainFn(
  n: string,
  file: number,
  name: string,
  exported: boolean,
  earlier: readonly string[],
  r: Rand,
  other: (level: number) => string,
): string {
  const reg = (0x100 + r.int(0xf00)) & ~3;
  const at = (k: number) => `dev->priv + 0x${(reg + 4 * k).toString(16)}`;
  const lines = [
    '/*',
    ` * ${name} - reprogram register block ${reg.toString(16)} of the ${n} unit from the`,
    ' * object, and pass it on when its flags ask for it.',
    ' */',
    `${exported ? '' : 'static '}int ${name}(struct ${n}_dev *dev, struct ${n}_obj *obj)`,
    '{',
    `\tu32 val = readl(${at(0)});`,
    '\tint ret = 0;',
    '',
    `\t/* Program block ${reg.toString(16)}: offset low and high words, then the size and the enable bit. */`,
    '\tobj->offset = (obj->offset & ~0xffffULL) | (val & 0xffff);',
    '\tobj->size = (val >> 16) & 0xff;',
    '\tobj->flags &= ~0xf0UL;',
    '\tobj->flags |= (val >> 24) & 0xf0;',
    `\tdev->flags = (dev->flags & ~0x3UL) | ((val >> ${r.int(30)}) & 0x3);`,
    `\twritel(lower_32_bits(obj->offset), ${at(1)});`,
    '\tif (obj->size > dev->refcount) {',
    `\t\tdev_dbg(dev->priv, "${name}: size %u over %d\n", obj->size, dev->refcount);`,
    '\t\treturn -E2BIG;',
    '\t}',
  ];
  if (r.chance(0.3)) {
    lines.push(
      '',
      `\tfor (i = 0; i < ARRAY_SIZE(${n}_f${file}_stats); i++)`,
      `\t\t${n}_f${file}_stats[i] += val & BIT(i);`,
    );
    lines.splice(lines.indexOf('\tint ret = 0;'), 0, '\tint i;');
  } else if (r.chance(0.3)) {
    lines.push(
      '\tswitch (val & 0x3) {',
      '\tcase 0:',
      `\t\tobj->offset += ${4 << r.int(4)};`,
      '\t\tbreak;',
      '\tdefault:',
      '\t\tret = -EINVAL;',
      '\t\tbreak;',
      '\t}',
    );
  }
  const callee = earlier.length && r.chance(0.4) ? `${r.pick(earlier)}(dev, obj)` : other(0);
  lines.push(
    '',
    `\tif (!ret && (obj->flags & 0x${(1 << r.int(8)).toString(16)}))`,
    `\t\tret = ${callee};`,
    '\tdev->refcount = max_t(int, dev->refcount, obj->size);',
    `\tobj->offset += ${1 + r.int(64)} * sizeof(u32);`,
    `\twritel(val | 0x${(1 << r.int(31)).toString(16)}, ${at(4)});`,
    '\treturn ret;',
    '}',
    '',
  );
  return lines.join('\n');
}

function workFn(n: string, file: number, r: Rand, other: (level: number) => string): string {
  return [
    `static void ${n}_f${file}_work(struct work_struct *work)`,
    '{',
    `\tstruct ${n}_dev *dev = container_of(work, struct ${n}_dev, work);`,
    `\tstruct ${n}_obj *obj, *next;`,
    '',
    '\tmutex_lock(&dev->mutex);',
    '\tlist_for_each_entry_safe(obj, next, &dev->list, link) {',
    '\t\tif (!(obj->flags & BIT(0)))',
    '\t\t\tcontinue;',
    `\t\t${r.chance(0.3) ? other(LEVELS.indexOf('mutex')) : `${n}_f${file}_helper1(dev, obj)`};`,
    '\t}',
    '\tmutex_unlock(&dev->mutex);',
    '}',
    '',
  ].join('\n');
}

function irqFn(n: string, file: number, r: Rand): string {
  const lines = [
    `static irqreturn_t ${n}_f${file}_irq(int irq, void *arg)`,
    '{',
    `\tstruct ${n}_dev *dev = arg;`,
    '',
    '\tspin_lock(&dev->engine[0].irq_lock);',
    '\tdev->engine[0].seqno++;',
  ];
  if (r.chance(0.02)) lines.push(`\t${r.pick(SLEEPERS)}; /* a bug the analysis should find */`);
  lines.push('\tspin_unlock(&dev->engine[0].irq_lock);', '\treturn IRQ_HANDLED;', '}', '');
  return lines.join('\n');
}

function exportedFn(
  n: string,
  file: number,
  name: string,
  exported: boolean,
  level: number,
  r: Rand,
  other: (level: number) => string,
): string {
  const lines: string[] = [];
  lines.push(
    `/**`,
    ` * ${name} - step ${r.int(100)} of the ${n} state machine`,
    ' * @dev: the device',
    ' * @obj: the object',
    ' */',
  );
  lines.push(`${exported ? '' : 'static '}int ${name}(struct ${n}_dev *dev, struct ${n}_obj *obj)`, '{');
  lines.push('\tunsigned long flags;', '\tvoid *buf;', '\tint ret = 0;', '\tint i;', '');
  lines.push('\tif (!dev || !obj)', '\t\treturn -EINVAL;', '');
  const outer = LEVELS[level];
  const e = r.int(4);
  const lockExpr: Record<string, [string, string]> = {
    sem: ['down_write(&dev->sem)', 'up_write(&dev->sem)'],
    config_mutex: ['mutex_lock(&dev->config_mutex)', 'mutex_unlock(&dev->config_mutex)'],
    mutex: ['mutex_lock(&dev->mutex)', 'mutex_unlock(&dev->mutex)'],
    engine_mutex: [
      `mutex_lock(&dev->engine[${e}].engine_mutex)`,
      `mutex_unlock(&dev->engine[${e}].engine_mutex)`,
    ],
    list_mutex: [`mutex_lock(&${n}_f${file}_list_mutex)`, `mutex_unlock(&${n}_f${file}_list_mutex)`],
  };
  const [lock, unlock] = lockExpr[outer];
  const interruptible = outer !== 'sem' && outer !== 'list_mutex' && r.chance(0.3);
  if (interruptible) {
    lines.push(
      `\tret = ${lock.replace('mutex_lock(', 'mutex_lock_interruptible(')};`,
      '\tif (ret)',
      '\t\treturn ret;',
      '',
    );
  } else lines.push(`\t${lock};`, '');

  const steps = 3 + r.int(5);
  for (let s = 0; s < steps; s++) {
    switch (r.int(9)) {
      case 0:
        lines.push(`\tbuf = ${r.pick(ALLOCS)}(sizeof(*obj) * ${1 + r.int(8)}, ${r.pick(GFP)});`);
        lines.push(
          '\tif (!buf) {',
          '\t\tret = -ENOMEM;',
          '\t\tgoto out_unlock;',
          '\t}',
          '\tdev->priv = buf;',
        );
        break;
      case 1:
        lines.push('\tspin_lock_irqsave(&dev->lock, flags);', '\tlist_add_tail(&obj->link, &dev->list);');
        lines.push('\tobj->flags |= BIT(0);', '\tspin_unlock_irqrestore(&dev->lock, flags);');
        break;
      case 2:
        lines.push(`\tret = ${other(level)};`, '\tif (ret)', '\t\tgoto out_unlock;');
        break;
      case 3:
        lines.push(
          '\tfor (i = 0; i < 4; i++) {',
          '\t\tspin_lock(&dev->engine[i].irq_lock);',
          '\t\tdev->engine[i].seqno += i;',
        );
        lines.push('\t\tspin_unlock(&dev->engine[i].irq_lock);', '\t}');
        break;
      case 4:
        lines.push(
          '\tswitch (obj->flags & 3) {',
          '\tcase 0:',
          `\t\t${n}_f${file}_helper3(dev, obj);`,
          '\t\tbreak;',
        );
        lines.push(
          '\tcase 1:',
          `\t\tret = ${n}_f${file}_helper2(dev, obj);`,
          '\t\tbreak;',
          '\tdefault:',
          '\t\tbreak;',
          '\t}',
        );
        break;
      case 5:
        lines.push(
          '\tif (dev->ops && dev->ops->bind) {',
          '\t\tret = dev->ops->bind(dev, obj);',
          '\t\tif (ret)',
          '\t\t\tgoto out_unlock;',
          '\t}',
        );
        break;
      case 6:
        lines.push(
          '\tqueue_work(dev->wq, &dev->work);',
          '\tmod_delayed_work(dev->wq, &dev->retire_work, HZ);',
        );
        break;
      case 7:
        lines.push(
          '\tspin_lock(&obj->obj_lock);',
          `\t${n}_f${file}_helper0(dev, obj);`,
          '\tspin_unlock(&obj->obj_lock);',
        );
        break;
      default:
        lines.push(
          '\tif (obj->size > PAGE_SIZE) {',
          `\t\tpr_debug("${n}: large object %u\\n", obj->size);`,
          '\t\tobj->size = PAGE_SIZE;',
          '\t}',
        );
    }
    lines.push('');
  }
  // Rarely, an inversion of the hierarchy (config_mutex ranks above mutex): a cycle to find.
  if (outer === 'mutex' && r.chance(0.02))
    lines.push(
      '\tmutex_lock(&dev->config_mutex);',
      '\tdev->flags ^= 1;',
      '\tmutex_unlock(&dev->config_mutex);',
      '',
    );
  lines.push('out_unlock:', `\t${unlock};`, '\treturn ret;', '}', '');
  return lines.join('\n');
}

function opsTable(n: string, file: number): string {
  return [
    `static int ${n}_f${file}_bind(struct ${n}_dev *dev, struct ${n}_obj *obj)`,
    '{',
    `\t${n}_f${file}_helper0(dev, obj);`,
    '\treturn 0;',
    '}',
    '',
    `static void ${n}_f${file}_unbind(struct ${n}_dev *dev, struct ${n}_obj *obj)`,
    '{',
    '\tspin_lock(&dev->lock);',
    '\tlist_del_init(&obj->link);',
    '\tspin_unlock(&dev->lock);',
    '}',
    '',
    `static int ${n}_f${file}_reset(struct ${n}_dev *dev)`,
    '{',
    '\tmutex_lock(&dev->config_mutex);',
    '\tmutex_lock(&dev->mutex);',
    '\tdev->flags = 0;',
    '\tmutex_unlock(&dev->mutex);',
    '\tmutex_unlock(&dev->config_mutex);',
    '\treturn 0;',
    '}',
    '',
    `static const struct ${n}_ops ${n}_f${file}_ops = {`,
    `\t.bind = ${n}_f${file}_bind,`,
    `\t.unbind = ${n}_f${file}_unbind,`,
    `\t.reset = ${n}_f${file}_reset,`,
    '};',
    '',
  ].join('\n');
}

function initFn(n: string, file: number): string {
  return [
    `int ${n}_f${file}_init(struct ${n}_dev *dev)`,
    '{',
    '\tspin_lock_init(&dev->lock);',
    '\tmutex_init(&dev->mutex);',
    `\tdev->ops = &${n}_f${file}_ops;`,
    `\tINIT_WORK(&dev->work, ${n}_f${file}_work);`,
    `\tdev->wq = alloc_workqueue("${n}-${file}", WQ_UNBOUND, 0);`,
    '\tif (!dev->wq)',
    '\t\treturn -ENOMEM;',
    `\treturn request_irq(0, ${n}_f${file}_irq, IRQF_SHARED, "${n}", dev);`,
    '}',
    '',
  ].join('\n');
}

function parseArgs(argv: string[]): {
  out: string;
  files: number;
  seed: number;
  kb: number;
  lockShare: number;
} {
  let out: string | undefined;
  let files = 1000;
  let seed = 1;
  let kb = 14;
  let lockShare = DEFAULT_LOCK_SHARE;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--files') files = Number(argv[++i]);
    else if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--kb') kb = Number(argv[++i]);
    else if (a === '--lock-share') lockShare = Number(argv[++i]);
    else if (!a.startsWith('-') && out === undefined) out = a;
    else throw new Error(`unknown argument ${a}`);
  }
  const shareOk = lockShare >= 0 && lockShare <= 1;
  if (!out || !Number.isInteger(files) || files < 1 || !Number.isFinite(seed) || !(kb > 0) || !shareOk) {
    throw new Error('usage: gen-tree OUT_DIR --files N [--seed S] [--kb 14] [--lock-share 0..1]');
  }
  return { out, files, seed, kb, lockShare };
}

if (require.main === module) {
  try {
    const a = parseArgs(process.argv.slice(2));
    const start = performance.now();
    const res = generateTree(a.out, a.files, a.seed, a.kb, a.lockShare);
    const mb = (res.bytes / 1048576).toFixed(1);
    console.log(`${res.files} files, ${mb} MB in ${a.out} (${Math.round(performance.now() - start)} ms)`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  }
}
