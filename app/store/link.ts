/**
 * Share links on the page: opening the comparison a URL hash carries, and building the link of the
 * comparison on screen. Decoding, validation and size caps are app/share's (readShareHash); a link
 * that fails them is reported and changes nothing.
 *
 * No model or dataset source kind carries a URL: embedded ids resolve to this page's own files (the
 * worker rejects unknown ids), and uploaded files are picked by the person and checked against the
 * link's SHA-256 references. So opening a link, or running it again, fetches nothing from elsewhere.
 */
import { readShareHash, shareUrl } from '../share';
import { addNotice, displayedComparison, openSharedComparison, useComparisonStore } from './comparison';

export type HashOutcome = 'none' | 'opened' | 'rejected';

/**
 * Opens the comparison in `hash` (location.hash) in place of the task's own, or adds a 'link-error'
 * notice and leaves everything as it was. An empty hash does nothing.
 */
export function openShareHash(hash: string): HashOutcome {
  const result = readShareHash(hash);
  if (result === null) return 'none';
  if (!result.ok) {
    addNotice('link-error', `This link cannot be opened, so nothing was changed. ${result.error}`);
    return 'rejected';
  }
  try {
    openSharedComparison(result.comparison);
  } catch (error) {
    addNotice('link-error', `This link was not opened: ${error instanceof Error ? error.message : String(error)}`);
    return 'rejected';
  }
  return 'opened';
}

/**
 * Builds the share link of the comparison on screen, on the page address `pageUrl` (its hash is
 * replaced). Series are downsampled and rounded so that the link fits its length limit (see shareUrl).
 */
export function shareLinkOf(pageUrl: string): string {
  return shareUrl(pageUrl, displayedComparison(useComparisonStore.getState()));
}
