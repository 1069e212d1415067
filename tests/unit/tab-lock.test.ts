import { describe, expect, it } from 'vitest';
import { claimStorageLock, STORAGE_LOCK_NAME, type LockRequester } from '../../app/store/tab-lock';

/** Creates an in-memory LockManager for one lock name: `ifAvailable` requests get null while it is taken. */
function fakeLocks(): LockRequester & { isTaken: () => boolean; names: string[] } {
  let taken = false;
  const names: string[] = [];
  return {
    names,
    isTaken: () => taken,
    async request(name, options, callback) {
      names.push(name);
      if (taken && options.ifAvailable) return callback(null);
      taken = true;
      try {
        return await callback({ name });
      } finally {
        taken = false;
      }
    },
  };
}

describe('storage tab lock', () => {
  it('lets the first tab save', async () => {
    const locks = fakeLocks();
    expect(await claimStorageLock(locks)).toBe('owner');
    expect(locks.names).toEqual([STORAGE_LOCK_NAME]);
  });

  it('keeps the lock after claiming', async () => {
    const locks = fakeLocks();
    await claimStorageLock(locks);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(locks.isTaken()).toBe(true);
  });

  it('reports another tab holding it', async () => {
    const locks = fakeLocks();
    await claimStorageLock(locks);
    expect(await claimStorageLock(locks)).toBe('other-tab');
  });

  it('reports a browser without Web Locks', async () => {
    expect(await claimStorageLock(undefined)).toBe('unsupported');
  });

  it('saves without a lock when the request fails', async () => {
    const failing: LockRequester = { request: () => Promise.reject(new Error('lock request failed')) };
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      expect(await claimStorageLock(failing)).toBe('unsupported');
    } finally {
      console.warn = warn;
    }
    expect(warnings.join('\n')).toContain('lock request failed');
  });
});
