import { underLockRule } from './under-lock';

export const reclaimUnderLock = underLockRule(
  {
    id: 'reclaim-under-lock',
    defaultSeverity: 'error',
    dependency: { open: 'hint' },
    summary: 'A reclaiming allocation while a lock is held: orders the lock before fs_reclaim.',
  },
  'reclaim',
  'may enter direct reclaim (takes fs_reclaim)',
  (_direct, _callee, locks) => (locks.length > 0 ? { kind: 'preallocate', lockExprs: locks } : undefined),
);
