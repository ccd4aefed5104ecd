/**
 * The kernel API facts Lockscope ships: one table, data only. Users extend it through the
 * `extraLockFunctions` setting (same shape as `functions` below).
 *
 * Families of names (spin_lock_irq, spin_lock_irqsave, ...) are spelled out by the small
 * `family` helper so the table stays readable; the result is still a plain record.
 */
import type { ApiFact, ContextTest, IrqKind, KnowledgeTable, LockKind, LockMode, LockOp } from './types';

type Facts = Record<string, ApiFact>;

/** `prefix` + each suffix acquires (or releases) the lock in argument 0. */
/** The annotated-nesting variants of a lock call (LockOp.subclass). */
const NESTED_NAME_RE = /_nested$|_nest_lock$/;

function family(
  names: string[],
  suffixes: string[],
  op: 'acquire' | 'release',
  kind: LockKind,
  extra: {
    mode?: LockMode;
    recursiveRead?: boolean;
    conditional?: ApiFact['conditional'];
    contextArg?: number;
  } = {},
): Facts {
  const out: Facts = {};
  for (const name of names) {
    for (const suffix of suffixes) {
      const full = name + suffix;
      const lockOp = {
        arg: 0,
        kind,
        mode: extra.mode ?? 'write',
        recursiveRead: extra.recursiveRead,
        ...(NESTED_NAME_RE.test(full) ? { subclass: true } : {}),
        ...(extra.contextArg !== undefined ? { contextArg: extra.contextArg } : {}),
      };
      const irq = IRQ_SUFFIXES[suffix];
      out[full] = {
        [op]: lockOp,
        conditional: extra.conditional,
        ...(irq && (op === 'acquire' ? { disablesIrq: irq } : { restoresIrq: irq })),
      };
    }
  }
  return out;
}

/** What the `_irq`, `_irqsave` and `_bh` variants do to interrupts while the lock is held. */
const IRQ_SUFFIXES: Partial<Record<string, IrqKind>> = {
  _irq: 'hardirq',
  _irqsave: 'hardirq',
  _irqsave_nested: 'hardirq',
  _irqrestore: 'hardirq',
  _bh: 'softirq',
};

const SPIN_SUFFIXES = ['', '_irq', '_bh', '_irqsave', '_nested', '_irqsave_nested', '_nest_lock'];
const UNSPIN_SUFFIXES = ['', '_irq', '_bh', '_irqrestore'];
const TRY_SUFFIXES = ['', '_irq', '_bh', '_irqsave'];

/** Hard interrupt handlers that stay in hard interrupt context on PREEMPT_RT (not force-threaded). */
const NOT_THREADED_IRQ = ['IRQF_NO_THREAD', 'IRQF_PERCPU', 'IRQF_ONESHOT', 'IRQF_TIMER'];

/** A primary interrupt handler at `handler`, its flags at `flags`, and a thread function at `thread`. */
function irqHandler(handler: number, flags: number, thread?: number): ApiFact {
  const primary = {
    args: [handler],
    context: 'hardirq',
    withFlags: [{ arg: flags, flags: NOT_THREADED_IRQ, context: 'hardirq-nothread' }],
  };
  return {
    register: thread === undefined ? primary : [primary, { args: [thread], context: 'irq-thread' }],
    effects: ['sleep', 'reclaim'],
  };
}

const sleeps: ApiFact = { effects: ['sleep'] };
/** A user access sleeps by faulting: under pagefault_disable() it neither faults nor sleeps. */
const faults: ApiFact = { effects: ['fault'] };
/** Known, and neither locks nor sleeps: no "unknown" note for it. */
const inert: ApiFact = {};
const hotplug: ApiFact = { effects: ['hotplug', 'sleep'] };

const locks: Facts = {
  ...family(['spin_lock'], SPIN_SUFFIXES, 'acquire', 'spinlock'),
  ...family(['spin_unlock'], UNSPIN_SUFFIXES, 'release', 'spinlock'),
  ...family(['spin_trylock'], TRY_SUFFIXES, 'acquire', 'spinlock', { conditional: 'nonzero-success' }),
  ...family(['raw_spin_lock'], SPIN_SUFFIXES, 'acquire', 'raw_spinlock'),
  ...family(['raw_spin_unlock'], UNSPIN_SUFFIXES, 'release', 'raw_spinlock'),
  ...family(['raw_spin_trylock'], TRY_SUFFIXES, 'acquire', 'raw_spinlock', {
    conditional: 'nonzero-success',
  }),
  // Drop a reference; on the last one return true holding the lock (arg 1).
  atomic_dec_and_lock: { acquire: { arg: 1, kind: 'spinlock' }, conditional: 'nonzero-success' },
  atomic_dec_and_lock_irqsave: {
    acquire: { arg: 1, kind: 'spinlock' },
    conditional: 'nonzero-success',
    disablesIrq: 'hardirq',
  },
  refcount_dec_and_lock: { acquire: { arg: 1, kind: 'spinlock' }, conditional: 'nonzero-success' },
  refcount_dec_and_lock_irqsave: {
    acquire: { arg: 1, kind: 'spinlock' },
    conditional: 'nonzero-success',
    disablesIrq: 'hardirq',
  },
  atomic_dec_and_raw_lock: { acquire: { arg: 1, kind: 'raw_spinlock' }, conditional: 'nonzero-success' },
  atomic_dec_and_raw_lock_irqsave: {
    acquire: { arg: 1, kind: 'raw_spinlock' },
    conditional: 'nonzero-success',
    disablesIrq: 'hardirq',
  },
  // The xarray's own spinlock, named after the xarray (`xa_lock_irqsave(&d->objs, flags)`).
  ...family(['xa_lock'], ['', '_irq', '_bh', '_irqsave'], 'acquire', 'spinlock'),
  ...family(['xa_unlock'], UNSPIN_SUFFIXES, 'release', 'spinlock'),
  // local_lock_t: preemption off on !RT, a per-CPU spinlock_t on PREEMPT_RT.
  ...family(['local_lock'], ['', '_irq', '_irqsave'], 'acquire', 'spinlock'),
  ...family(['local_unlock'], ['', '_irq', '_irqrestore'], 'release', 'spinlock'),
  ...family(['read_lock'], ['', '_irq', '_bh', '_irqsave'], 'acquire', 'rwlock', {
    mode: 'read',
    recursiveRead: true,
  }),
  ...family(['read_unlock'], UNSPIN_SUFFIXES, 'release', 'rwlock', { mode: 'read' }),
  ...family(['write_lock'], ['', '_irq', '_bh', '_irqsave'], 'acquire', 'rwlock'),
  ...family(['write_unlock'], UNSPIN_SUFFIXES, 'release', 'rwlock'),
  ...family(['read_trylock'], [''], 'acquire', 'rwlock', {
    mode: 'read',
    recursiveRead: true,
    conditional: 'nonzero-success',
  }),
  ...family(['write_trylock'], [''], 'acquire', 'rwlock', { conditional: 'nonzero-success' }),
  ...family(['write_seqlock'], ['', '_irq', '_bh', '_irqsave'], 'acquire', 'seqlock'),
  ...family(['write_sequnlock'], UNSPIN_SUFFIXES, 'release', 'seqlock'),
  ...family(
    ['mutex_lock', 'mutex_lock_nested', 'mutex_lock_io', 'mutex_lock_nest_lock'],
    [''],
    'acquire',
    'mutex',
  ),
  ...family(
    [
      'mutex_lock_interruptible',
      'mutex_lock_killable',
      'mutex_lock_interruptible_nested',
      'mutex_lock_killable_nested',
    ],
    [''],
    'acquire',
    'mutex',
    { conditional: 'zero-success' },
  ),
  ...family(['mutex_trylock'], [''], 'acquire', 'mutex', { conditional: 'nonzero-success' }),
  ...family(['mutex_unlock'], [''], 'release', 'mutex'),
  ...family(['down_read', 'down_read_nested', 'down_read_non_owner'], [''], 'acquire', 'rwsem', {
    mode: 'read',
  }),
  ...family(['down_read_interruptible', 'down_read_killable'], [''], 'acquire', 'rwsem', {
    mode: 'read',
    conditional: 'zero-success',
  }),
  ...family(['down_read_trylock'], [''], 'acquire', 'rwsem', {
    mode: 'read',
    conditional: 'nonzero-success',
  }),
  ...family(['up_read', 'up_read_non_owner'], [''], 'release', 'rwsem', { mode: 'read' }),
  ...family(['down_write', 'down_write_nested'], [''], 'acquire', 'rwsem'),
  ...family(['down_write_killable'], [''], 'acquire', 'rwsem', { conditional: 'zero-success' }),
  ...family(['down_write_trylock'], [''], 'acquire', 'rwsem', { conditional: 'nonzero-success' }),
  // A counting `struct semaphore` has no lockdep map: lockdep orders and checks none of its
  // downs and ups (a completion-like wait, often released by another task). Waiting sleeps.
  down: sleeps,
  down_interruptible: sleeps,
  down_killable: sleeps,
  down_timeout: sleeps,
  down_trylock: inert,
  up: inert,
  // An enum, tested with switch: held on SUCCESS, already held by the caller on RECURSIVE.
  mutex_trylock_recursive: {
    acquire: { arg: 0, kind: 'mutex' },
    trylock: true,
    switchSuccess: { taken: ['MUTEX_TRYLOCK_SUCCESS'], held: ['MUTEX_TRYLOCK_RECURSIVE'] },
  },
  ...family(['up_write'], [''], 'release', 'rwsem'),
  ...family(['percpu_down_read'], [''], 'acquire', 'percpu_rwsem', { mode: 'read' }),
  ...family(['percpu_up_read'], [''], 'release', 'percpu_rwsem', { mode: 'read' }),
  ...family(['percpu_down_write'], [''], 'acquire', 'percpu_rwsem'),
  ...family(['percpu_up_write'], [''], 'release', 'percpu_rwsem'),
  // With an acquire context ww_mutex_lock can fail (-EDEADLK): held only when it returns 0.
  ...family(['ww_mutex_lock', 'ww_mutex_lock_slow'], [''], 'acquire', 'ww_mutex', {
    conditional: 'zero-success',
    contextArg: 1,
  }),
  ...family(
    ['ww_mutex_lock_interruptible', 'ww_mutex_lock_slow_interruptible'],
    [''],
    'acquire',
    'ww_mutex',
    { conditional: 'zero-success', contextArg: 1 },
  ),
  ...family(['ww_mutex_trylock'], [''], 'acquire', 'ww_mutex', { conditional: 'nonzero-success' }),
  ...family(['ww_mutex_unlock'], [''], 'release', 'ww_mutex'),
  ...family(['bit_spin_lock'], [''], 'acquire', 'bit_spinlock'),
  ...family(['bit_spin_unlock', '__bit_spin_unlock'], [''], 'release', 'bit_spinlock'),

  // The reservation object's lock is lockdep's reservation_ww_class_mutex; each object (arg 0)
  // is its own instance.
  dma_resv_lock: {
    acquire: { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex', contextArg: 1 },
    conditional: 'zero-success',
  },
  dma_resv_lock_slow: { acquire: { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' } },
  dma_resv_lock_interruptible: {
    acquire: { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' },
    conditional: 'zero-success',
  },
  dma_resv_lock_slow_interruptible: {
    acquire: { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' },
    conditional: 'zero-success',
  },
  dma_resv_trylock: {
    acquire: { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' },
    conditional: 'nonzero-success',
  },
  dma_resv_unlock: { release: { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' } },
  // ww_acquire_init(&ctx, &reservation_ww_class): the context (arg 0) is the lock instance, its
  // class is named after the ww class (arg 1), as lockdep's reservation_ww_class_acquire.
  ww_acquire_init: { acquire: { arg: 0, classArg: 1, argClassSuffix: '_acquire', kind: 'ww_acquire' } },
  ww_acquire_fini: { release: { arg: 0, kind: 'ww_acquire' } },

  mmap_read_lock: { acquire: { cls: 'mmap_lock', kind: 'rwsem', mode: 'read' } },
  mmap_read_lock_killable: {
    acquire: { cls: 'mmap_lock', kind: 'rwsem', mode: 'read' },
    conditional: 'zero-success',
  },
  mmap_read_trylock: {
    acquire: { cls: 'mmap_lock', kind: 'rwsem', mode: 'read' },
    conditional: 'nonzero-success',
  },
  mmap_read_unlock: { release: { cls: 'mmap_lock', kind: 'rwsem', mode: 'read' } },
  mmap_write_lock: { acquire: { cls: 'mmap_lock', kind: 'rwsem' } },
  mmap_write_lock_killable: { acquire: { cls: 'mmap_lock', kind: 'rwsem' }, conditional: 'zero-success' },
  mmap_write_unlock: { release: { cls: 'mmap_lock', kind: 'rwsem' } },
  mmap_write_downgrade: {},
  i_mmap_lock_read: { acquire: { cls: 'i_mmap_rwsem', kind: 'rwsem', mode: 'read' } },
  i_mmap_unlock_read: { release: { cls: 'i_mmap_rwsem', kind: 'rwsem', mode: 'read' } },
  i_mmap_lock_write: { acquire: { cls: 'i_mmap_rwsem', kind: 'rwsem' } },
  i_mmap_unlock_write: { release: { cls: 'i_mmap_rwsem', kind: 'rwsem' } },

  rcu_read_lock: { acquire: { cls: 'rcu_read_lock', kind: 'rcu', mode: 'read', recursiveRead: true } },
  rcu_read_unlock: { release: { cls: 'rcu_read_lock', kind: 'rcu', mode: 'read' } },
  rcu_read_lock_bh: {
    acquire: { cls: 'rcu_read_lock_bh', kind: 'rcu', mode: 'read', recursiveRead: true },
    disablesIrq: 'softirq',
  },
  rcu_read_unlock_bh: {
    release: { cls: 'rcu_read_lock_bh', kind: 'rcu', mode: 'read' },
    restoresIrq: 'softirq',
  },
  rcu_read_lock_sched: {
    acquire: { cls: 'rcu_read_lock_sched', kind: 'rcu', mode: 'read', recursiveRead: true },
  },
  rcu_read_unlock_sched: { release: { cls: 'rcu_read_lock_sched', kind: 'rcu', mode: 'read' } },
  local_irq_disable: { disablesIrq: 'hardirq' },
  local_irq_enable: { restoresIrq: 'hardirq' },
  local_irq_save: { disablesIrq: 'hardirq' },
  local_irq_restore: { restoresIrq: 'hardirq' },
  local_bh_disable: { disablesIrq: 'softirq' },
  local_bh_enable: { restoresIrq: 'softirq' },
  lockdep_assert_irqs_disabled: { assertsIrqOff: 'hardirq' },
  // Assertions of a condition (`BUG_ON(!irqs_disabled())`); the debug-off forms of VM_BUG_ON and
  // drivers' own BUG_ON macros are BUILD_BUG_ON_INVALID(cond): the same statement, unchecked.
  BUG_ON: { asserts: { arg: 0, value: false } },
  VM_BUG_ON: { asserts: { arg: 0, value: false } },
  VM_WARN_ON: { asserts: { arg: 0, value: false } },
  VM_WARN_ON_ONCE: { asserts: { arg: 0, value: false } },
  BUILD_BUG_ON_INVALID: { asserts: { arg: 0, value: false } },
  lockdep_assert: { asserts: { arg: 0, value: true } },
  preempt_disable: { acquire: { cls: 'preempt_off', kind: 'preempt' } },
  preempt_enable: { release: { cls: 'preempt_off', kind: 'preempt' } },
  preempt_enable_no_resched: { release: { cls: 'preempt_off', kind: 'preempt' } },
  get_cpu: { acquire: { cls: 'preempt_off', kind: 'preempt' } },
  put_cpu: { release: { cls: 'preempt_off', kind: 'preempt' } },
  migrate_disable: {},

  cpus_read_lock: {
    acquire: { cls: 'cpu_hotplug_lock', kind: 'percpu_rwsem', mode: 'read' },
    effects: ['hotplug', 'sleep'],
  },
  cpus_read_unlock: { release: { cls: 'cpu_hotplug_lock', kind: 'percpu_rwsem', mode: 'read' } },
  get_online_cpus: {
    acquire: { cls: 'cpu_hotplug_lock', kind: 'percpu_rwsem', mode: 'read' },
    effects: ['hotplug', 'sleep'],
  },
  put_online_cpus: { release: { cls: 'cpu_hotplug_lock', kind: 'percpu_rwsem', mode: 'read' } },
};

/**
 * Lockdep annotations: they take a lockdep map, not a lock, to tell lockdep of an order. What
 * they declare is legal (docs/kernel-order.md); they still close cycles.
 */
const annotated = (op: LockOp): ApiFact => ({ acquire: op, declaration: true });
const lockdepAnnotations: Facts = {
  fs_reclaim_acquire: annotated({ cls: 'fs_reclaim', kind: 'lockdep_map' }),
  fs_reclaim_release: { release: { cls: 'fs_reclaim', kind: 'lockdep_map' } },
  might_alloc: { gfpArg: 0, declaration: true },
  lock_map_acquire: annotated({ arg: 0, kind: 'lockdep_map', ofField: 'dep_map' }),
  lock_map_acquire_read: annotated({
    arg: 0,
    kind: 'lockdep_map',
    ofField: 'dep_map',
    mode: 'read',
    recursiveRead: true,
  }),
  lock_map_release: { release: { arg: 0, kind: 'lockdep_map', ofField: 'dep_map' } },
  mutex_acquire: annotated({ arg: 0, kind: 'mutex', ofField: 'dep_map' }),
  mutex_acquire_nest: annotated({ arg: 0, kind: 'mutex', ofField: 'dep_map' }),
  mutex_release: { release: { arg: 0, kind: 'mutex', ofField: 'dep_map' } },
  rwsem_acquire: annotated({ arg: 0, kind: 'rwsem', ofField: 'dep_map' }),
  rwsem_acquire_nest: annotated({ arg: 0, kind: 'rwsem', ofField: 'dep_map' }),
  rwsem_acquire_read: annotated({ arg: 0, kind: 'rwsem', ofField: 'dep_map', mode: 'read' }),
  rwsem_release: { release: { arg: 0, kind: 'rwsem', ofField: 'dep_map' } },
};

/**
 * Task-state scopes: not locks, but what runs inside them is different. Under
 * memalloc_noreclaim_save() (PF_MEMALLOC) allocations never enter reclaim; under
 * pagefault_disable() a user access fails instead of faulting. memalloc_nofs_save() and
 * memalloc_noio_save() only narrow reclaim (NOFS/NOIO): it still happens, and driver shrinkers
 * still run, so they change nothing here (see docs/rules/reclaim-under-lock.md).
 */
const noReclaim: LockOp = { cls: 'memalloc_noreclaim', kind: 'scope', blocks: ['reclaim'] };
const noFault: LockOp = { cls: 'pagefault_disabled', kind: 'scope', blocks: ['fault'] };
const preemptOff: LockOp = { cls: 'preempt_off', kind: 'preempt' };
const scopes: Facts = {
  memalloc_noreclaim_save: { acquire: noReclaim },
  memalloc_noreclaim_restore: { release: noReclaim },
  memalloc_nofs_save: inert,
  memalloc_nofs_restore: inert,
  memalloc_noio_save: inert,
  memalloc_noio_restore: inert,
  pagefault_disable: { acquire: noFault },
  pagefault_enable: { release: noFault },
  // Atomic mappings disable preemption and page faults until they are unmapped.
  kmap_atomic: { acquire: preemptOff, acquireAlso: [noFault] },
  kmap_atomic_prot: { acquire: preemptOff, acquireAlso: [noFault] },
  kmap_atomic_pfn: { acquire: preemptOff, acquireAlso: [noFault] },
  kunmap_atomic: { release: preemptOff, releaseAlso: [noFault] },
  io_mapping_map_atomic_wc: { acquire: preemptOff, acquireAlso: [noFault] },
  io_mapping_unmap_atomic: { release: preemptOff, releaseAlso: [noFault] },
  kmap_local_page: inert,
  kunmap_local: inert,
  io_mapping_map_wc: inert,
  io_mapping_unmap: inert,
};

/** Buffer-object reservation: TTM and dma-buf's reservation ww_mutex (lockdep's reservation_ww_class). */
const resvMutex: LockOp = { arg: 0, cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' };
const resvAll: LockOp = { cls: 'reservation_ww_class_mutex', kind: 'ww_mutex', every: true };
const resvTicket = (arg: number): LockOp => ({
  arg,
  cls: 'reservation_ww_class_acquire',
  kind: 'ww_acquire',
});
const reservations: Facts = {
  // 0 when reserved; -EBUSY (no_wait), -ERESTARTSYS (interruptible), -EDEADLK/-EALREADY (ticket) otherwise.
  ttm_bo_reserve: { acquire: { ...resvMutex, contextArg: 3 }, conditional: 'zero-success' },
  ttm_bo_reserve_slowpath: { acquire: resvMutex, conditional: 'zero-success' },
  ttm_bo_unreserve: { release: resvMutex },
  ttm_eu_reserve_buffers: {
    acquire: resvTicket(0),
    acquireAlso: [{ cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' }],
    conditional: 'zero-success',
  },
  ttm_eu_backoff_reservation: { release: resvAll, releaseAlso: [resvTicket(0)] },
  ttm_eu_fence_buffer_objects: { release: resvAll, releaseAlso: [resvTicket(0)] },
  drm_gem_lock_reservations: {
    acquire: resvTicket(2),
    acquireAlso: [{ cls: 'reservation_ww_class_mutex', kind: 'ww_mutex' }],
    conditional: 'zero-success',
  },
  drm_gem_unlock_reservations: { release: resvAll, releaseAlso: [resvTicket(2)] },
};

/**
 * Runtime PM: a synchronous resume or suspend runs the driver's callback and sleeps; the
 * asynchronous and reference-only calls do neither. No reclaim: lockdep sees one only where a
 * callback really allocates, and a blanket one put fs_reclaim after every lock held around a
 * resume (on i915: 107 reclaim-under-lock errors and 14 cycles, none of them proven).
 */
const resumes: ApiFact = sleeps;
/**
 * A resume on demand sleeps only when the device is not active: drivers call it under a
 * spinlock while another reference keeps the device awake (i915's GT wakeref), which no code
 * on the path shows.
 */
const resumesIfSuspended: ApiFact = { ...sleeps, effectsWhen: 'the device is runtime-suspended' };
const runtimePm: Facts = {
  pm_runtime_get_sync: resumesIfSuspended,
  pm_runtime_resume_and_get: resumesIfSuspended,
  pm_runtime_resume: resumesIfSuspended,
  __pm_runtime_resume: resumesIfSuspended,
  pm_runtime_force_resume: resumes,
  pm_runtime_forbid: resumes,
  pm_runtime_put_sync: sleeps,
  pm_runtime_put_sync_suspend: sleeps,
  pm_runtime_put_sync_autosuspend: sleeps,
  pm_runtime_suspend: sleeps,
  pm_runtime_autosuspend: sleeps,
  pm_runtime_idle: sleeps,
  pm_runtime_force_suspend: sleeps,
  pm_runtime_barrier: sleeps,
  pm_runtime_disable: sleeps,
  pm_runtime_get_if_in_use: inert,
  pm_runtime_get_if_active: inert,
  pm_runtime_get_noresume: inert,
  pm_runtime_get: inert,
  pm_runtime_put: inert,
  pm_runtime_put_autosuspend: inert,
  pm_runtime_put_noidle: inert,
  pm_runtime_mark_last_busy: inert,
  pm_runtime_enable: inert,
  pm_runtime_allow: inert,
};

/** Page attribute changes and DMA frees that unmap: they take mutexes and flush (may sleep). */
const unmapping: Facts = Object.fromEntries(
  [
    'set_memory_wb',
    'set_memory_wc',
    'set_memory_uc',
    'set_memory_wt',
    'set_memory_ro',
    'set_memory_rw',
    'set_memory_x',
    'set_memory_nx',
    'set_memory_np',
    'set_memory_encrypted',
    'set_memory_decrypted',
    'set_memory_array_wb',
    'set_memory_array_wc',
    'set_memory_array_uc',
    'set_pages_wb',
    'set_pages_wc',
    'set_pages_uc',
    'set_pages_array_wb',
    'set_pages_array_wc',
    'set_pages_array_uc',
    'set_pages_array_wt',
    'dma_free_attrs',
    'dma_free_coherent',
    'dma_free_wc',
    'dma_free_noncoherent',
  ].map((name) => [name, sleeps]),
);

/**
 * DRM modeset locks: every one is lockdep's crtc_ww_class_mutex, taken under a
 * crtc_ww_class_acquire context; the legacy helpers take the mode config mutex first.
 * DRM_MODESET_LOCK_ALL_BEGIN/END are header macros (not in a driver's workspace), read as the
 * calls they expand to.
 */
const modesetLock = (arg?: number, contextArg?: number): LockOp => ({
  arg,
  cls: 'crtc_ww_class_mutex',
  kind: 'ww_mutex',
  ...(contextArg !== undefined ? { contextArg } : {}),
});
const modesetAll: LockOp = { cls: 'crtc_ww_class_mutex', kind: 'ww_mutex', every: true };
const modesetCtx = (arg?: number): LockOp => ({ arg, cls: 'crtc_ww_class_acquire', kind: 'ww_acquire' });
const modeConfig: LockOp = { cls: 'drm_mode_config.mutex', kind: 'mutex' };
const modeset: Facts = {
  drm_modeset_lock_all: {
    acquire: modeConfig,
    acquireAlso: [modesetCtx(), modesetLock()],
    effects: ['reclaim', 'sleep'], // allocates its acquire context
  },
  drm_modeset_unlock_all: { release: modesetAll, releaseAlso: [modesetCtx(), modeConfig] },
  drm_modeset_lock_all_ctx: { acquire: modesetLock(undefined, 1), conditional: 'zero-success' },
  drm_modeset_lock: { acquire: modesetLock(0, 1), conditional: 'zero-success' },
  drm_modeset_lock_single_interruptible: { acquire: modesetLock(0), conditional: 'zero-success' },
  drm_modeset_unlock: { release: modesetLock(0) },
  drm_modeset_drop_locks: { release: modesetAll },
  drm_modeset_backoff: { release: modesetAll, effects: ['sleep'] },
  drm_modeset_acquire_init: { acquire: modesetCtx(0) },
  drm_modeset_acquire_fini: { release: modesetCtx(0) },
  DRM_MODESET_LOCK_ALL_BEGIN: { acquire: modesetCtx(1), acquireAlso: [modesetLock()] },
  DRM_MODESET_LOCK_ALL_END: { release: modesetAll, releaseAlso: [modesetCtx(1)] },
};

/**
 * Reference drops that run a release callback (the argument) when the count reaches zero;
 * kref_put_mutex takes the mutex first and the callback releases it. The *_and_lock helpers
 * return true holding the lock.
 */
const decAndLock: ApiFact = { acquire: { arg: 1, kind: 'spinlock' }, conditional: 'nonzero-success' };
const references: Facts = {
  kref_put: { callsArg: 1 },
  kref_put_mutex: { callsArg: 1, takes: { arg: 2, kind: 'mutex' } },
  kref_put_lock: { callsArg: 1, takes: { arg: 2, kind: 'spinlock' } },
  ...Object.fromEntries(
    [
      'refcount_dec_and_lock',
      'refcount_dec_and_lock_irqsave',
      'atomic_dec_and_lock',
      'atomic_dec_and_lock_irqsave',
      '_atomic_dec_and_lock',
      '_atomic_dec_and_lock_irqsave',
    ].map((name) => [name, decAndLock]),
  ),
  kref_get_unless_zero: inert,
};

const sleeping: Facts = {
  msleep: sleeps,
  msleep_interruptible: sleeps,
  ssleep: sleeps,
  usleep_range: sleeps,
  usleep_range_state: sleeps,
  fsleep: sleeps,
  schedule: sleeps,
  schedule_timeout: sleeps,
  schedule_timeout_interruptible: sleeps,
  schedule_timeout_uninterruptible: sleeps,
  schedule_timeout_killable: sleeps,
  schedule_hrtimeout: sleeps,
  io_schedule: sleeps,
  synchronize_rcu: sleeps,
  synchronize_rcu_expedited: sleeps,
  synchronize_srcu: sleeps,
  synchronize_irq: sleeps,
  rcu_barrier: sleeps,
  might_sleep: sleeps,
  cond_resched: sleeps,
  msleep_until: sleeps,
  kthread_stop: sleeps,
  request_firmware: { effects: ['sleep', 'reclaim'] },
  dma_fence_wait: sleeps,
  dma_fence_wait_timeout: sleeps,
  dma_resv_wait_timeout: sleeps,
  vfree: sleeps,
  // kvfree() vfree()s what kvmalloc() did not get from the slab.
  kvfree: sleeps,
  vunmap: sleeps,
  kernel_read: sleeps,
  kernel_write: sleeps,
  vfs_read: sleeps,
  vfs_write: sleeps,
  free_irq: sleeps,
  device_lock: { acquire: { arg: 0, cls: 'device.mutex', kind: 'mutex' } },
  device_unlock: { release: { arg: 0, cls: 'device.mutex', kind: 'mutex' } },
};

const userAccess: Facts = {
  copy_to_user: faults,
  copy_from_user: faults,
  __copy_to_user: faults,
  __copy_from_user: faults,
  copy_to_user_iter: faults,
  __copy_from_user_inatomic: faults,
  __copy_to_user_inatomic: faults,
  copy_from_user_inatomic: faults,
  get_user: faults,
  put_user: faults,
  __get_user: faults,
  __put_user: faults,
  clear_user: faults,
  strncpy_from_user: faults,
  strndup_user: { effects: ['fault', 'sleep', 'reclaim'] },
  memdup_user: { effects: ['fault', 'sleep', 'reclaim'] },
  vmemdup_user: { effects: ['fault', 'sleep', 'reclaim'] },
  copy_struct_from_user: faults,
  get_user_pages: faults,
  get_user_pages_fast: faults,
  get_user_pages_unlocked: faults,
  get_user_pages_remote: faults,
  pin_user_pages: faults,
  pin_user_pages_fast: faults,
  pin_user_pages_remote: faults,
  pin_user_pages_unlocked: faults,
  might_fault: faults,
  fault_in_pages_readable: faults,
  fault_in_readable: faults,
};

/** Allocators and the index of their gfp_t argument. */
const allocators: Facts = {
  kmalloc: { gfpArg: 1 },
  kzalloc: { gfpArg: 1 },
  kmalloc_node: { gfpArg: 1 },
  kzalloc_node: { gfpArg: 1 },
  kcalloc: { gfpArg: 2 },
  kmalloc_array: { gfpArg: 2 },
  krealloc: { gfpArg: 2 },
  krealloc_array: { gfpArg: 3 },
  kvmalloc: { gfpArg: 1 },
  kvzalloc: { gfpArg: 1 },
  kvcalloc: { gfpArg: 2 },
  kvmalloc_array: { gfpArg: 2 },
  kmemdup: { gfpArg: 2 },
  kstrdup: { gfpArg: 1 },
  kasprintf: { gfpArg: 0 },
  kmem_cache_alloc: { gfpArg: 1 },
  kmem_cache_zalloc: { gfpArg: 1 },
  alloc_pages: { gfpArg: 0 },
  alloc_page: { gfpArg: 0 },
  __get_free_pages: { gfpArg: 0 },
  __get_free_page: { gfpArg: 0 },
  get_zeroed_page: { gfpArg: 0 },
  alloc_pages_node: { gfpArg: 1 },
  dma_alloc_coherent: { gfpArg: 3 },
  dma_alloc_attrs: { gfpArg: 3 },
  dma_alloc_wc: { gfpArg: 3 },
  dma_alloc_noncoherent: { gfpArg: 4 },
  dma_fence_chain_alloc: { effects: ['reclaim', 'sleep'] },
  mempool_alloc: { gfpArg: 1 },
  idr_alloc: { gfpArg: 4 },
  idr_alloc_cyclic: { gfpArg: 4 },
  xa_alloc: { gfpArg: 4 },
  xa_store: { gfpArg: 3 },
  sg_alloc_table: { gfpArg: 2 },
  radix_tree_preload: { gfpArg: 0 },
  vmalloc: { effects: ['reclaim', 'sleep'] },
  vzalloc: { effects: ['reclaim', 'sleep'] },
  vmalloc_user: { effects: ['reclaim', 'sleep'] },
  vmap: { effects: ['reclaim', 'sleep'] },
  devm_kzalloc: { gfpArg: 2 },
  devm_kmalloc: { gfpArg: 2 },
  kthread_create: { effects: ['reclaim', 'sleep'] },
  kthread_run: { effects: ['reclaim', 'sleep'] },
};

const workqueues: Facts = {
  alloc_workqueue: { effects: ['hotplug', 'reclaim', 'sleep'] },
  alloc_ordered_workqueue: { effects: ['hotplug', 'reclaim', 'sleep'] },
  create_workqueue: { effects: ['hotplug', 'reclaim', 'sleep'] },
  create_singlethread_workqueue: { effects: ['hotplug', 'reclaim', 'sleep'] },
  apply_workqueue_attrs: { effects: ['hotplug', 'sleep'] },
  stop_machine: hotplug,
  stop_machine_cpuslocked: { effects: ['sleep'] },
  flush_work: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  flush_delayed_work: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  cancel_work_sync: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  cancel_delayed_work_sync: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  flush_workqueue: { flush: { arg: 0, target: 'workqueue' }, effects: ['flush', 'sleep'] },
  drain_workqueue: { flush: { arg: 0, target: 'workqueue' }, effects: ['flush', 'sleep'] },
  destroy_workqueue: { flush: { arg: 0, target: 'workqueue' }, effects: ['flush', 'sleep'] },
  flush_scheduled_work: { effects: ['flush', 'sleep'] },
  flush_rcu_work: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  disable_work_sync: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  disable_delayed_work_sync: { flush: { arg: 0, target: 'work' }, effects: ['flush', 'sleep'] },
  cancel_work: inert,
  cancel_delayed_work: inert,
  queue_work: { queue: { wq: 0, work: 1 } },
  queue_delayed_work: { queue: { wq: 0, work: 1 } },
  mod_delayed_work: { queue: { wq: 0, work: 1 } },
  queue_work_on: { queue: { wq: 1, work: 2 } },
  queue_delayed_work_on: { queue: { wq: 1, work: 2 } },
  mod_delayed_work_on: { queue: { wq: 1, work: 2 } },
  INIT_WORK: { initWork: { work: 0, fn: 1 } },
  __INIT_WORK: { initWork: { work: 0, fn: 1 } },
  INIT_DEFERRABLE_WORK: { initWork: { work: 0, fn: 1 } },
  INIT_RCU_WORK: { initWork: { work: 0, fn: 1 } },
  INIT_DELAYED_WORK: { initWork: { work: 0, fn: 1 } },
  INIT_WORK_ONSTACK: { initWork: { work: 0, fn: 1 } },
  INIT_DELAYED_WORK_ONSTACK: { initWork: { work: 0, fn: 1 } },
};

const registrations: Facts = {
  cpuhp_setup_state: { register: { args: [2, 3], context: 'cpuhp' }, effects: ['hotplug', 'sleep'] },
  cpuhp_setup_state_nocalls: { register: { args: [2, 3], context: 'cpuhp' }, effects: ['hotplug', 'sleep'] },
  cpuhp_setup_state_multi: { register: { args: [2, 3], context: 'cpuhp' }, effects: ['hotplug', 'sleep'] },
  cpuhp_setup_state_cpuslocked: { register: { args: [2, 3], context: 'cpuhp' } },
  request_irq: irqHandler(1, 2),
  devm_request_irq: irqHandler(2, 3),
  request_threaded_irq: irqHandler(1, 3, 2),
  devm_request_threaded_irq: irqHandler(2, 4, 3),
  request_any_context_irq: irqHandler(1, 2),
  devm_request_any_context_irq: irqHandler(2, 3),
  timer_setup: { register: { args: [1], context: 'softirq' } },
  setup_timer: { register: { args: [1], context: 'softirq' } },
  tasklet_init: { register: { args: [1], context: 'softirq' } },
  tasklet_setup: { register: { args: [1], context: 'softirq' } },
  hrtimer_setup: {
    register: {
      args: [1],
      context: 'hardirq',
      withFlags: [
        {
          arg: 3,
          flags: ['HRTIMER_MODE_ABS_SOFT', 'HRTIMER_MODE_REL_SOFT', 'HRTIMER_MODE_SOFT'],
          context: 'softirq',
        },
        {
          arg: 3,
          flags: ['HRTIMER_MODE_ABS_HARD', 'HRTIMER_MODE_REL_HARD', 'HRTIMER_MODE_HARD'],
          context: 'hardirq-nothread',
        },
      ],
    },
  },
  call_rcu: { register: { args: [1], context: 'softirq' } },
  open_softirq: { register: { args: [1], context: 'softirq' } },
  netif_napi_add: { register: { args: [2], context: 'softirq' } },
  netif_napi_add_weight: { register: { args: [2], context: 'softirq' } },
  netif_napi_add_tx: { register: { args: [2], context: 'softirq' } },
  netif_napi_add_tx_weight: { register: { args: [2], context: 'softirq' } },
  // USB completions run in interrupt context: softirq with the usual host controllers (BH giveback).
  usb_fill_bulk_urb: { register: { args: [5], context: 'softirq' } },
  usb_fill_int_urb: { register: { args: [5], context: 'softirq' } },
  usb_fill_control_urb: { register: { args: [6], context: 'softirq' } },
  // irq_work runs from the irq_work interrupt (hard interrupt context).
  init_irq_work: { register: { args: [1], context: 'hardirq' } },
  // The callback runs where the fence signals, under its lock with interrupts off (often an irq).
  dma_fence_add_callback: { register: { args: [2], context: 'irqs-off-callback' } },
};

/**
 * Functions that test the calling context: code guarded by them sleeps only when allowed to.
 * `contextTest` says when each is true, as <linux/preempt.h> defines them: the softirq count
 * that in_interrupt() and in_softirq() read is also raised by local_bh_disable(); in_atomic()
 * assumes CONFIG_PREEMPT_COUNT (spinlocks raise the count).
 */
const IRQ: ContextTest = { in: ['hardirq', 'softirq'], off: ['softirq'] };
const contextChecks: Facts = {
  in_atomic: { contextCheck: true, contextTest: { trueWhen: { atomic: true } } },
  // True exactly when hardirqs are off: asserted (`WARN_ON(!irqs_disabled())`), it says they are.
  irqs_disabled: {
    contextCheck: true,
    irqsOffTest: 'hardirq',
    contextTest: { trueWhen: { in: ['hardirq'], off: ['hardirq'] } },
  },
  in_interrupt: { contextCheck: true, contextTest: { trueWhen: IRQ } },
  in_softirq: { contextCheck: true, contextTest: { trueWhen: { in: ['softirq'], off: ['softirq'] } } },
  in_serving_softirq: { contextCheck: true, contextTest: { trueWhen: { in: ['softirq'] } } },
  in_irq: { contextCheck: true, contextTest: { trueWhen: { in: ['hardirq'] } } },
  in_hardirq: { contextCheck: true, contextTest: { trueWhen: { in: ['hardirq'] } } },
  in_nmi: { contextCheck: true },
  in_task: { contextCheck: true, contextTest: { falseWhen: { in: ['hardirq', 'softirq'] } } },
  preemptible: { contextCheck: true, contextTest: { falseWhen: { atomic: true } } },
};

/**
 * How callers test what a function returned: error pointers, branch hints and warnings that
 * return their condition. A branch on `IS_ERR(p)` is a branch on p's value.
 */
const results: Facts = {
  ERR_PTR: { result: { values: ['negative'] } },
  ERR_CAST: { result: { arg: 0 } },
  PTR_ERR: { result: { arg: 0 } },
  PTR_ERR_OR_ZERO: { result: { arg: 0, map: 'err-or-zero' } },
  IS_ERR: { test: { arg: 0, trueFor: ['negative'] } },
  IS_ERR_VALUE: { test: { arg: 0, trueFor: ['negative'] } },
  IS_ERR_OR_NULL: { test: { arg: 0, trueFor: ['negative', 'zero'] } },
  likely: { test: { arg: 0 } },
  unlikely: { test: { arg: 0 } },
  WARN_ON: { test: { arg: 0 }, asserts: { arg: 0, value: false } },
  WARN_ON_ONCE: { test: { arg: 0 }, asserts: { arg: 0, value: false } },
  WARN: { test: { arg: 0 }, asserts: { arg: 0, value: false } },
  WARN_ONCE: { test: { arg: 0 }, asserts: { arg: 0, value: false } },
  drm_WARN_ON: { test: { arg: 1 }, asserts: { arg: 1, value: false } },
  drm_WARN_ON_ONCE: { test: { arg: 1 }, asserts: { arg: 1, value: false } },
  drm_WARN: { test: { arg: 1 }, asserts: { arg: 1, value: false } },
  drm_WARN_ONCE: { test: { arg: 1 }, asserts: { arg: 1, value: false } },
  gfpflags_allow_blocking: { test: { arg: 0, flag: '__GFP_DIRECT_RECLAIM' } },
  might_sleep_if: { effects: ['sleep'], onlyIf: 0 },
};

const annotations: Facts = {
  lockdep_assert_held: { assertHeld: 0 },
  lockdep_assert_held_write: { assertHeld: 0 },
  lockdep_assert_held_read: { assertHeld: 0 },
  lockdep_assert_held_once: { assertHeld: 0 },
  might_lock: { mightLock: 0 },
  might_lock_read: { mightLock: 0 },
  might_lock_nested: { mightLock: 0 },
  lockdep_set_subclass: { rekeysClass: 0 },
  lockdep_set_class: { rekeysClass: 0 },
  lockdep_set_class_and_name: { rekeysClass: 0 },
  lockdep_set_class_and_subclass: { rekeysClass: 0 },
  lockdep_set_novalidate_class: { rekeysClass: 0 },
  spin_lock_init: { keysAtSite: 0 },
  raw_spin_lock_init: { keysAtSite: 0 },
  rwlock_init: { keysAtSite: 0 },
  seqlock_init: { keysAtSite: 0 },
  mutex_init: { keysAtSite: 0 },
  init_rwsem: { keysAtSite: 0 },
};

export const KERNEL_API: KnowledgeTable = {
  functions: {
    ...locks,
    ...lockdepAnnotations,
    ...scopes,
    ...reservations,
    ...runtimePm,
    ...unmapping,
    ...modeset,
    ...references,
    ...sleeping,
    ...userAccess,
    ...allocators,
    ...workqueues,
    ...registrations,
    ...annotations,
    ...contextChecks,
    ...results,
  },
  patterns: [
    // The _lock_irq variants drop the lock (argument 2) and enable interrupts while they sleep.
    {
      match: '^wait_event\\w*_lock_irq(_timeout|_cmd)*$',
      fact: { effects: ['sleep'], sleepsWithout: 2, sleepsWithIrq: 'hardirq' },
    },
    { match: '^wait_event', fact: sleeps },
    { match: '^wait_for_completion', fact: sleeps },
    { match: '^wait_on_bit', fact: sleeps },
    { match: '^schedule_(timeout|hrtimeout|preempt_disabled)', fact: sleeps },
    { match: '^usleep', fact: sleeps },
    { match: '^read_poll_timeout$', fact: sleeps },
    { match: '^readx_poll_timeout$', fact: sleeps },
    { match: '^kmem_cache_alloc', fact: { gfpArg: 1 } },
    // Counters whose read-modify-write tells the first or last user (ApiFact.counter).
    {
      match: '^(atomic|atomic64|atomic_long)_(inc|dec|add|sub)_return(_relaxed|_acquire|_release)?$',
      fact: { counter: true },
    },
    {
      match: '^(atomic|atomic64|atomic_long)_fetch_(inc|dec|add|sub)(_relaxed|_acquire|_release)?$',
      fact: { counter: true },
    },
    { match: '^(atomic|atomic64|atomic_long)_(inc|dec|sub)_and_test$', fact: { counter: true } },
    { match: '^refcount_(dec|sub)_and_test$', fact: { counter: true } },
  ],
  guards: {
    mutex: { lock: 'mutex_lock', unlock: 'mutex_unlock' },
    spinlock: { lock: 'spin_lock', unlock: 'spin_unlock' },
    spinlock_irq: { lock: 'spin_lock_irq', unlock: 'spin_unlock_irq' },
    spinlock_irqsave: { lock: 'spin_lock_irqsave', unlock: 'spin_unlock_irqrestore' },
    spinlock_bh: { lock: 'spin_lock_bh', unlock: 'spin_unlock_bh' },
    raw_spinlock: { lock: 'raw_spin_lock', unlock: 'raw_spin_unlock' },
    raw_spinlock_irq: { lock: 'raw_spin_lock_irq', unlock: 'raw_spin_unlock_irq' },
    raw_spinlock_irqsave: { lock: 'raw_spin_lock_irqsave', unlock: 'raw_spin_unlock_irqrestore' },
    read_lock: { lock: 'read_lock', unlock: 'read_unlock' },
    read_lock_irqsave: { lock: 'read_lock_irqsave', unlock: 'read_unlock_irqrestore' },
    write_lock: { lock: 'write_lock', unlock: 'write_unlock' },
    write_lock_irqsave: { lock: 'write_lock_irqsave', unlock: 'write_unlock_irqrestore' },
    rwsem_read: { lock: 'down_read', unlock: 'up_read' },
    rwsem_write: { lock: 'down_write', unlock: 'up_write' },
    rcu: { lock: 'rcu_read_lock', unlock: 'rcu_read_unlock' },
    preempt: { lock: 'preempt_disable', unlock: 'preempt_enable' },
    irq: { lock: 'local_irq_disable', unlock: 'local_irq_enable' },
    irqsave: { lock: 'local_irq_save', unlock: 'local_irq_restore' },
    cpus_read_lock: { lock: 'cpus_read_lock', unlock: 'cpus_read_unlock' },
    device: { lock: 'device_lock', unlock: 'device_unlock' },
  },
  callbackFields: [
    { struct: 'shrinker', field: 'scan_objects', context: 'reclaim' },
    { struct: 'shrinker', field: 'count_objects', context: 'reclaim' },
    { struct: 'mmu_notifier_ops', field: 'invalidate_range_start', context: 'mmu-invalidate' },
    { struct: 'mmu_notifier_ops', field: 'invalidate_range_end', context: 'mmu-invalidate' },
    { struct: 'mmu_notifier_ops', field: 'invalidate_range', context: 'mmu-invalidate' },
    { struct: 'mmu_interval_notifier_ops', field: 'invalidate', context: 'mmu-invalidate' },
    { struct: 'vm_operations_struct', field: 'fault', context: 'page-fault' },
    { struct: 'vm_operations_struct', field: 'page_mkwrite', context: 'page-fault' },
    { struct: 'vm_operations_struct', field: 'huge_fault', context: 'page-fault' },
    { struct: 'file_operations', field: 'mmap', context: 'mmap' },
    { struct: 'timer_list', field: 'function', context: 'softirq' },
    { struct: 'hrtimer', field: 'function', context: 'hardirq' },
    ...['irq_mask', 'irq_unmask', 'irq_ack', 'irq_eoi', 'irq_mask_ack', 'irq_enable', 'irq_disable'].map(
      (field) => ({ struct: 'irq_chip', field, context: 'irq-chip' }),
    ),
    // Called with the fence's lock held, interrupts off (dma_fence_enable_sw_signaling).
    { struct: 'dma_fence_ops', field: 'enable_signaling', context: 'irqs-off-callback' },
    // Called with drm_device.vbl_lock held, interrupts off (drm_vblank_get, vblank_disable_fn).
    { struct: 'drm_crtc_funcs', field: 'enable_vblank', context: 'irqs-off-callback' },
    { struct: 'drm_crtc_funcs', field: 'disable_vblank', context: 'irqs-off-callback' },
    // The stack transmits with softirqs disabled.
    { struct: 'net_device_ops', field: 'ndo_start_xmit', context: 'bh-off' },
    // Busy polling (kernels before 4.11) ran the driver's poll under local_bh_disable().
    { struct: 'net_device_ops', field: 'ndo_busy_poll', context: 'bh-off' },
  ],
  contexts: {
    cpuhp: {
      label: 'cpuhp callback',
      atomic: false,
      held: [{ cls: 'cpu_hotplug_lock', kind: 'percpu_rwsem', mode: 'write' }],
    },
    hardirq: {
      label: 'hardirq handler',
      atomic: true,
      held: [],
      irq: { in: 'hardirq', off: ['hardirq', 'softirq'] },
    },
    'hardirq-nothread': {
      label: 'hardirq handler (not threaded on PREEMPT_RT)',
      atomic: true,
      held: [],
      irq: { in: 'hardirq', off: ['hardirq', 'softirq'] },
      rawAtomic: true,
    },
    'irq-handler-type': {
      label: 'interrupt handler (returns irqreturn_t, registered outside the workspace)',
      atomic: true,
      held: [],
      irq: { in: 'hardirq', off: ['hardirq', 'softirq'] },
    },
    'irq-thread': { label: 'threaded irq handler', atomic: false, held: [] },
    'irq-chip': {
      label: 'irq_chip callback (irq_desc lock held)',
      atomic: true,
      held: [{ cls: 'irq_desc.lock', kind: 'raw_spinlock', mode: 'write' }],
      irq: { off: ['hardirq', 'softirq'] },
    },
    'irqs-off-callback': {
      label: 'callback run with interrupts disabled',
      atomic: true,
      held: [],
      irq: { off: ['hardirq', 'softirq'] },
    },
    'bh-off': {
      label: 'callback run with softirqs disabled',
      atomic: true,
      held: [],
      irq: { off: ['softirq'] },
    },
    'page-fault': {
      label: 'page-fault handler (vm_operations_struct)',
      atomic: false,
      held: [{ cls: 'mmap_lock', kind: 'rwsem', mode: 'read' }],
    },
    mmap: {
      label: 'mmap handler (file_operations)',
      atomic: false,
      held: [{ cls: 'mmap_lock', kind: 'rwsem', mode: 'write' }],
    },
    softirq: {
      label: 'softirq callback (timer, tasklet, RCU, NAPI)',
      atomic: true,
      held: [],
      irq: { in: 'softirq', off: ['softirq'] },
    },
    reclaim: {
      label: 'shrinker (runs in reclaim)',
      atomic: false,
      held: [{ cls: 'fs_reclaim', kind: 'lockdep_map', mode: 'write' }],
    },
    'mmu-invalidate': {
      label: 'mmu notifier invalidate (runs under reclaim)',
      atomic: false,
      held: [{ cls: 'fs_reclaim', kind: 'lockdep_map', mode: 'write' }],
    },
  },
  returnTypeContexts: {
    // A handler registered where the workspace cannot see (a bus driver's callback, a function
    // returning the handler): hardirq, unless it sleeps on every path, or is stored in (passed
    // for) a thread function (`.isr_threaded`, `thread_fn`) that the bus's request_threaded_irq()
    // thread_fn calls.
    irqreturn_t: {
      context: 'irq-handler-type',
      sleeping: 'irq-thread',
      named: [{ match: 'thread', context: 'irq-thread' }],
    },
  },
  irqStates: {
    hardirq: { cls: 'hardirqs_off', kind: 'irq' },
    softirq: { cls: 'softirqs_off', kind: 'bh' },
  },
  waitTypes: {
    // raw spinlocks, bit spinlocks, preempt_disable(), local_irq_disable() and
    // rcu_read_lock_sched() stay atomic on PREEMPT_RT, where spinlock_t and rwlock_t sleep.
    spinKinds: ['raw_spinlock', 'bit_spinlock', 'preempt'],
    spinClasses: ['hardirqs_off', 'rcu_read_lock_sched'],
    sleepOnRtKinds: ['spinlock', 'rwlock', 'seqlock'],
  },
  evaluatingMacros: [
    'READ_ONCE',
    'WRITE_ONCE',
    'DIV_ROUND_UP',
    'DIV_ROUND_UP_ULL',
    'DIV_ROUND_DOWN_ULL',
    'DIV_ROUND_CLOSEST',
    'DIV_ROUND_CLOSEST_ULL',
    'DIV64_U64_ROUND_UP',
    'DIV64_U64_ROUND_CLOSEST',
    'ALIGN',
    'ALIGN_DOWN',
    'PTR_ALIGN',
    'IS_ALIGNED',
    'FIELD_PREP',
    'FIELD_GET',
    'BIT',
    'BIT_ULL',
    'ARRAY_SIZE',
    'RCU_INIT_POINTER',
  ],
  fieldClassAliases: { mmap_sem: 'mmap_lock', mmap_lock: 'mmap_lock' },
  classAliases: {
    'dma_resv.lock': 'reservation_ww_class_mutex',
    'drm_modeset_lock.mutex': 'crtc_ww_class_mutex',
    reservation_ww_class_acquire: 'reservation_ww_class_acquire',
  },
  lockTypes: {
    spinlock_t: 'spinlock',
    spinlock: 'spinlock',
    raw_spinlock_t: 'raw_spinlock',
    raw_spinlock: 'raw_spinlock',
    rwlock_t: 'rwlock',
    seqlock_t: 'seqlock',
    local_lock_t: 'spinlock',
    mutex: 'mutex',
    rw_semaphore: 'rwsem',
    ww_mutex: 'ww_mutex',
    percpu_rw_semaphore: 'percpu_rwsem',
    lockdep_map: 'lockdep_map',
  },
  lockDefinitions: {
    DEFINE_MUTEX: { kind: 'mutex' },
    DEFINE_SPINLOCK: { kind: 'spinlock' },
    DEFINE_RAW_SPINLOCK: { kind: 'raw_spinlock' },
    DEFINE_RWLOCK: { kind: 'rwlock' },
    DECLARE_RWSEM: { kind: 'rwsem' },
    DEFINE_SEQLOCK: { kind: 'seqlock' },
    DEFINE_STATIC_PERCPU_RWSEM: { kind: 'percpu_rwsem' },
    DEFINE_PERCPU_RWSEM: { kind: 'percpu_rwsem' },
    DEFINE_WW_CLASS: { kind: 'ww_mutex' },
  },
  gfp: {
    reclaiming: [
      'GFP_KERNEL',
      'GFP_KERNEL_ACCOUNT',
      'GFP_NOFS',
      'GFP_NOIO',
      'GFP_USER',
      'GFP_HIGHUSER',
      'GFP_HIGHUSER_MOVABLE',
      'GFP_TRANSHUGE',
      '__GFP_DIRECT_RECLAIM',
      '__GFP_RECLAIM',
    ],
    // Without a reclaiming flag these never reclaim (GFP_NOWAIT only wakes kswapd).
    nonReclaiming: [
      'GFP_ATOMIC',
      'GFP_NOWAIT',
      'GFP_TRANSHUGE_LIGHT',
      '__GFP_NOWARN',
      '__GFP_NORETRY',
      '__GFP_RETRY_MAYFAIL',
      '__GFP_NOFAIL',
      '__GFP_KSWAPD_RECLAIM',
      '__GFP_HIGH',
      '__GFP_HIGHMEM',
      '__GFP_NOMEMALLOC',
      '__GFP_COMP',
      '__GFP_ACCOUNT',
      'GFP_DMA',
      'GFP_DMA32',
      '__GFP_DMA',
      '__GFP_DMA32',
      '__GFP_ZERO',
    ],
  },
  annotationMacros: {
    bare: [
      '__init',
      '__exit',
      '__initdata',
      '__initconst',
      '__exitdata',
      '__ref',
      '__refdata',
      '__maybe_unused',
      '__always_unused',
      '__used',
      '__always_inline',
      'noinline',
      'noinline_for_stack',
      '__cold',
      '__hot',
      '__must_check',
      '__user',
      '__iomem',
      '__percpu',
      '__rcu',
      '__force',
      '__bitwise',
      '__read_mostly',
      '__ro_after_init',
      'notrace',
      '__sched',
      '__noreturn',
      'asmlinkage',
      '__visible',
      '__weak',
      '__packed',
      '__latent_entropy',
      '__randomize_layout',
      '__nocast',
      '__safe',
      '__kprobes',
      '__cacheline_aligned',
      '__cacheline_aligned_in_smp',
      '____cacheline_aligned',
      '____cacheline_aligned_in_smp',
      '__pure',
      '__malloc',
      '__flatten',
      '__naked',
      '__noclone',
      '__deprecated',
      '__mustcheck',
      'fallthrough',
      '__counted_by_ptr',
      '__no_kcsan',
      '__no_sanitize_address',
      'noinstr',
      '__always_used',
    ],
    withArgs: [
      '__must_hold',
      '__acquires',
      '__releases',
      '__cond_acquires',
      '__cond_releases',
      '__aligned',
      '__printf',
      '__scanf',
      '__section',
      '__counted_by',
      '__alloc_size',
      '__diag_ignore',
      '__nonstring_array',
      '__assume_aligned',
    ],
  },
  baseline: [
    { from: 'mmap_lock', to: 'reservation_ww_class_acquire', where: 'dma_resv_lockdep' },
    { from: 'reservation_ww_class_acquire', to: 'reservation_ww_class_mutex', where: 'dma_resv_lockdep' },
    { from: 'reservation_ww_class_mutex', to: 'fs_reclaim', where: 'dma_resv_lockdep' },
    { from: 'fs_reclaim', to: 'i_mmap_rwsem', where: 'dma_resv_lockdep (and rmap walks in reclaim)' },
    { from: 'mmap_lock', to: 'fs_reclaim', where: 'handle_mm_fault (page faults allocate)' },
    { from: 'mmap_lock', to: 'i_mmap_rwsem', where: 'mmap/munmap link file mappings' },
    { from: 'cpu_hotplug_lock', to: 'fs_reclaim', where: 'cpuhp callbacks allocate with GFP_KERNEL' },
    { from: 'cpu_hotplug_lock', to: 'cpuhp_state_mutex', where: '__cpuhp_setup_state' },
  ],
};
