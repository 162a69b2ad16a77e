/**
 * The note a large set picked through the folder input shows (src/ui/setup/setModel.ts heldFilesNote): what its
 * File objects cost the tab (2.6 KiB each, docs/scale.md) and that a drop avoids it. Sizes computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { heldFilesNote } from '../../../src/ui/setup/setModel.ts';

describe('the held-files note', () => {
  it('is shown from 10,000 files held as File objects, with their cost in MiB', () => {
    expect(heldFilesNote(9_999, false)).toBeNull();
    // 10,000 x 2.6 KiB = 26,000 KiB = 25.39 MiB
    expect(heldFilesNote(10_000, false)).toBe(
      'Picked through the folder input, this set is held as 10,000 file objects for the whole session, about 25 MiB of ' +
        "this tab's memory. For very large sets, remove this set and drop its folder onto the box instead: the page then keeps only the " +
        'file names and reads each image when it needs it.',
    );
    // 200,000 x 2.6 KiB = 520,000 KiB = 507.8 MiB
    expect(heldFilesNote(200_000, false)).toContain('200,000 file objects for the whole session, about 508 MiB');
  });

  it('is not shown for a set held as a folder (a handle or a dropped folder), whatever its size', () => {
    expect(heldFilesNote(100_000, true)).toBeNull();
  });
});
