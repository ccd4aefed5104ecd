import { underLockRule } from './under-lock';

export const hotplugUnderLock = underLockRule(
  {
    id: 'hotplug-under-lock',
    defaultSeverity: 'error',
    dependency: { open: 'information' },
    summary:
      'stop_machine(), alloc_workqueue() or cpus_read_lock() (cpu_hotplug_lock) reached while a lock is held.',
  },
  'hotplug',
  'takes cpu_hotplug_lock',
  (_direct, _callee, locks) => (locks.length > 0 ? { kind: 'preallocate', lockExprs: locks } : undefined),
);
