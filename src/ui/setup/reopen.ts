/**
 * Reopening the folders of the last run (src/store/lastSetup.ts) after a reload.
 *
 * A kept directory handle cannot be read until the page has read permission again. `queryPermission` says whether
 * it still has it (Chromium keeps it for the session, or for good once the user chose "Allow on every visit");
 * otherwise `requestPermission` shows the browser's prompt, which needs a user gesture: the card's button. The
 * gesture is short-lived, so a second folder's prompt may be refused for want of one (SecurityError); that folder
 * then waits for the next click ('needs-click') instead of failing.
 */
import type { DirectoryHandle } from '../../app/fileSource.ts';
import type { SavedSet } from '../../store/lastSetup.ts';
import { folderFromHandle, type PickedFolder } from './folderDrop.ts';

/** The permission part of FileSystemHandle (not in TypeScript's DOM lib). */
interface PermissionHandle {
  queryPermission?(d: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(d: { mode: 'read' }): Promise<PermissionState>;
}

export type ReopenOutcome =
  | { kind: 'opened'; folder: PickedFolder }
  /** The browser refused to show its prompt without a fresh click. */
  | { kind: 'needs-click' }
  | { kind: 'failed'; message: string };

/** Read permission for `handle`: asked for when the page no longer has it. */
export async function readPermission(handle: DirectoryHandle): Promise<'granted' | 'denied' | 'needs-click'> {
  const h = handle as DirectoryHandle & PermissionHandle;
  // A browser without the permission methods (none that keeps handles today) is simply tried.
  if (typeof h.queryPermission !== 'function') return 'granted';
  if ((await h.queryPermission({ mode: 'read' })) === 'granted') return 'granted';
  if (typeof h.requestPermission !== 'function') return 'denied';
  try {
    return (await h.requestPermission({ mode: 'read' })) === 'granted' ? 'granted' : 'denied';
  } catch (e) {
    // Chromium: "SecurityError: User activation is required to request permissions."
    if ((e as Error).name === 'SecurityError' || (e as Error).name === 'NotAllowedError') return 'needs-click';
    throw e;
  }
}

/** Why a set picked through the folder input is not reopened. */
export function notKeptMessage(name: string): string {
  return `${name} was picked through the folder input or dropped where this browser gives no folder handle, which a page cannot keep: choose it again.`;
}

/** Reopens one kept set: asks for read permission if needed, then lists the folder again (`onCount` as it goes). */
export async function reopenSet(saved: SavedSet, onCount?: (n: number) => void): Promise<ReopenOutcome> {
  if (!saved.handle) {
    return { kind: 'failed', message: notKeptMessage(saved.name) };
  }
  let permission;
  try {
    permission = await readPermission(saved.handle);
  } catch (e) {
    return { kind: 'failed', message: `${saved.name}: the browser would not say whether it may be read (${(e as Error).message || (e as Error).name}). Choose it again.` };
  }
  if (permission === 'needs-click') return { kind: 'needs-click' };
  if (permission === 'denied') return { kind: 'failed', message: `Reading ${saved.name} was not allowed. Reopen and allow, or choose the folder again.` };
  try {
    const folder = await folderFromHandle(saved.handle, onCount);
    return { kind: 'opened', folder: { ...folder, name: saved.name } };
  } catch (e) {
    const err = e as Error;
    if (err.name === 'NotFoundError') {
      return { kind: 'failed', message: `The folder ${saved.handle.name} is no longer where it was (moved or deleted): choose it again.` };
    }
    return { kind: 'failed', message: `The folder ${saved.handle.name} could not be read: ${err.message || err.name}` };
  }
}
