/** Helpers for handing feature sets between the page and workers without copying them. */
import type { FeatureSet } from '../core/features/featureSet.ts';

/** The distinct transferable buffers behind feature sets (shared memory is shared, not transferred). */
export function transferableBuffers(sets: (FeatureSet | null | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const fs of sets) if (fs && fs.data.buffer instanceof ArrayBuffer) out.add(fs.data.buffer);
  return [...out];
}
