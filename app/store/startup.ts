/**
 * Page start-up of the stores: restores the saved comparisons, starts saving them (in one tab at a
 * time, see tab-lock.ts) and keeping the forms in step, then opens a share link if the address
 * carries one. A link opened later, by a
 * hash change, is handled the same way.
 */
import { markStorageUnavailable, startAutosave } from './autosave';
import { addNotice, markReady, restoreSaved } from './comparison';
import { startFormSync } from './form-sync';
import { openShareHash } from './link';
import { openIndexedDbStorage } from './persistence';
import { claimStorageLock, OTHER_TAB_MESSAGE, type LockRequester } from './tab-lock';

export async function startStores(target: Window): Promise<void> {
  startFormSync();

  try {
    const storage = await openIndexedDbStorage();
    restoreSaved(await storage.loadAll());
    const locks = (target.navigator as Navigator & { locks?: LockRequester }).locks;
    if ((await claimStorageLock(locks)) === 'other-tab') {
      storage.close();
      markStorageUnavailable(OTHER_TAB_MESSAGE);
      addNotice('storage', OTHER_TAB_MESSAGE);
    } else {
      // Without the Web Locks API (browsers before 2022), two tabs both save and the last write wins.
      const autosave = startAutosave(storage);
      // Best effort: a browser may end the page before this write completes, which loses at most the last second of a running run.
      target.addEventListener('pagehide', () => void autosave.flush());
    }
  } catch (error) {
    const reason = `IndexedDB cannot be used (${error instanceof Error ? error.message : String(error)}), so comparisons last only until the page is closed or reloaded. Use Share to keep them as a link.`;
    console.error(reason);
    markStorageUnavailable(reason);
    addNotice('storage', reason);
    markReady();
  }

  openShareHash(target.location.hash);
  target.addEventListener('hashchange', () => openShareHash(target.location.hash));
}
