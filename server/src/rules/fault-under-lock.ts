import { underLockRule } from './under-lock';

const COPY_OUT = new Set(['copy_to_user', '__copy_to_user', 'put_user', '__put_user']);

export const faultUnderLock = underLockRule(
  {
    id: 'fault-under-lock',
    defaultSeverity: 'error',
    dependency: { open: 'information' },
    summary: 'User-memory access while a sleeping lock is held: orders the lock before mmap_lock.',
  },
  'fault',
  'may fault on user memory (takes mmap_lock)',
  (direct, callee, locks) =>
    direct && COPY_OUT.has(callee) && locks.length > 0
      ? { kind: 'copy-after-unlock', lockExpr: locks[locks.length - 1] }
      : undefined,
);
