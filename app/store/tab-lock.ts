/**
 * One tab of the page at a time saves comparisons. Every tab restores the saved comparisons, but
 * only the tab holding the Web Lock STORAGE_LOCK_NAME writes them back. The lock lasts as long as
 * the tab, so another tab opened later keeps its changes in memory instead of overwriting the
 * first tab's saves.
 */

export const STORAGE_LOCK_NAME = 'webgpu-playground-storage';

/** 'owner': this tab saves. 'other-tab': another tab has the lock. 'unsupported': no Web Locks API. */
export type StorageLockResult = 'owner' | 'other-tab' | 'unsupported';

/** The part of the Web Locks API used here (navigator.locks). */
export interface LockRequester {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

/**
 * Tries to take the storage lock without waiting. When it is free, this tab keeps it until the
 * page is closed or reloaded. A failed lock request (for example a SecurityError in a sandboxed frame)
 * counts as 'unsupported', so the tab still saves.
 */
export function claimStorageLock(locks: LockRequester | undefined): Promise<StorageLockResult> {
  if (!locks) return Promise.resolve('unsupported');
  return new Promise((resolve) => {
    locks
      .request(STORAGE_LOCK_NAME, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve('other-tab');
          return;
        }
        resolve('owner');
        // The lock is released when this promise settles, which it never does: the browser
        // releases it when the tab goes away.
        return new Promise<void>(() => {});
      })
      .catch((error: unknown) => {
        console.warn(`The ${STORAGE_LOCK_NAME} lock request failed (${error instanceof Error ? error.message : String(error)}), so this tab saves without it; another open tab may overwrite its saves.`);
        resolve('unsupported');
      });
  });
}

export const OTHER_TAB_MESSAGE =
  'Another tab of this playground is open and saves comparisons in this browser. So that the two tabs do not ' +
  'overwrite each other, this tab does not save: its changes last until it is closed or reloaded. To keep ' +
  'them, use Share and open the link later (Keep saves it), or close the other tab and reload this one to save here.';
