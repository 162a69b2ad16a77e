/**
 * File-size variety (the paper's variety measure).
 *
 * Reference: Xing et al., "You Don't Have to Be Perfect to Be Amazing: Unveil the Utility of
 * Synthetic Images", MICCAI 2023 (arXiv 2305.18337); authors' code ayanglab/MedSynAnalyzer,
 * quality_evaluator.py, ComputeAllMetrics.compute_avg_images / filesize. See METRICS.md, Variety.
 *
 * Every image of a set, as 8-bit grayscale at a fixed size (default 256 x 256), is averaged per
 * class; the class means are averaged with equal weight; the mean image is encoded with the
 * deterministic PNG encoder (../png/encode.ts) and its byte length is the measure. A more varied
 * set gives a blurrier mean and a smaller file.
 *
 * Rounding, as the authors' code does it: each class mean is `sum / count` converted with numpy's
 * `astype(np.uint8)`, which truncates toward zero (floor, values being >= 0); the mean over the
 * class means is `np.mean(...)` then again `astype(np.uint8)` (floor).
 * Deliberate differences from the authors' code, each for exactness:
 * - sums are float64 (exact integers), where the authors accumulate in float32, which rounds once
 *   a class sum passes 2^24 (about 66,000 images of value 255);
 * - images are 1-channel grayscale, where the authors' cv2.imread/imwrite keep 3 identical
 *   channels (BGR); the size is then not comparable with theirs, only the ranking is;
 * - the size is in bytes, where the authors print int(bytes / 1024) kB;
 * - the PNG settings are ours and fixed (cv2.imwrite's depend on the OpenCV/libpng build).
 * Since floor(s / n) of exact integers s, n is exact in float64 (s / n is at least 1/n away from
 * the next integer when not integral), the result equals numpy's bit for bit.
 *
 * Streaming: VarietyAccumulator takes images one at a time; memory is O(classes x width x height).
 */
import { encodePngGray8 } from '../png/encode.ts';

export const DEFAULT_VARIETY_SIZE = 256;

export interface VarietyResult {
  width: number;
  height: number;
  /** The mean image (row-major, width x height, 8-bit grayscale): what the UI shows. */
  meanImage: Uint8Array;
  /** Per-class mean images, in sorted label order (same as `classes`). */
  classMeans: { label: string | null; count: number; image: Uint8Array }[];
  /** The encoded PNG of the mean image. */
  png: Uint8Array;
  /** Byte length of `png`: the file-size variety measure (smaller = more varied). */
  pngBytes: number;
  /** Images per class (label null when the images had none: key ''). */
  classes: Record<string, number>;
  /** Total images added. */
  count: number;
}

/** Running per-class sums of a VarietyAccumulator (see state()). */
export interface VarietyState {
  width: number;
  height: number;
  groups: { label: string | null; sum: Float64Array; count: number }[];
}

export class VarietyAccumulator {
  readonly width: number;
  readonly height: number;
  private readonly sums = new Map<string | null, { sum: Float64Array; count: number }>();
  private total = 0;

  constructor(width = DEFAULT_VARIETY_SIZE, height = width) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`bad variety image size ${width} x ${height}`);
    }
    this.width = width;
    this.height = height;
  }

  /** Add one image (row-major 8-bit grayscale, width x height) of class `label` (null: unlabelled). */
  add(gray8: Uint8Array, label: string | null = null): void {
    const size = this.width * this.height;
    if (gray8.length !== size) throw new Error(`variety image has ${gray8.length} pixels, expected ${this.width} x ${this.height}`);
    let acc = this.sums.get(label);
    if (!acc) {
      if (label === null ? this.sums.size > 0 && !this.sums.has(null) : this.sums.has(null)) {
        throw new Error('variety images must be all labelled or all unlabelled');
      }
      acc = { sum: new Float64Array(size), count: 0 };
      this.sums.set(label, acc);
    }
    const s = acc.sum;
    for (let i = 0; i < size; i++) s[i] += gray8[i];
    acc.count++;
    this.total++;
  }

  get count(): number {
    return this.total;
  }

  /**
   * The running sums, to hand to another thread (transferable buffers) and rebuild there with
   * fromState(). Sums of 8-bit values in float64 are exact, so the result does not depend on the
   * order in which images were added.
   */
  state(): VarietyState {
    return {
      width: this.width,
      height: this.height,
      groups: [...this.sums].map(([label, { sum, count }]) => ({ label, sum, count })),
    };
  }

  static fromState(st: VarietyState): VarietyAccumulator {
    const acc = new VarietyAccumulator(st.width, st.height);
    const size = st.width * st.height;
    for (const g of st.groups) {
      if (g.sum.length !== size) throw new Error(`variety sums have ${g.sum.length} values, expected ${size}`);
      acc.sums.set(g.label, { sum: g.sum, count: g.count });
      acc.total += g.count;
    }
    return acc;
  }

  /** The mean image and its PNG size. Throws when no image was added. */
  result(): VarietyResult {
    if (this.total === 0) throw new Error('no images for the variety measure (empty set)');
    const size = this.width * this.height;
    const labels = [...this.sums.keys()].sort((a, b) => (a === null || b === null ? 0 : a < b ? -1 : a > b ? 1 : 0));
    const classMeans = labels.map((label) => {
      const { sum, count } = this.sums.get(label)!;
      const image = new Uint8Array(size);
      for (let i = 0; i < size; i++) image[i] = Math.floor(sum[i] / count);
      return { label, count, image };
    });
    const meanImage = new Uint8Array(size);
    const c = classMeans.length;
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let j = 0; j < c; j++) s += classMeans[j].image[i];
      meanImage[i] = Math.floor(s / c);
    }
    const png = encodePngGray8(meanImage, this.width, this.height);
    const classes: Record<string, number> = {};
    for (const m of classMeans) classes[m.label ?? ''] = m.count;
    return { width: this.width, height: this.height, meanImage, classMeans, png, pngBytes: png.length, classes, count: this.total };
  }
}

/**
 * Variety scores over compared groups (all synthetic sets plus the real set):
 * 1 - (size - min) / (max - min), so the smallest file (most varied) scores 1 and the largest 0.
 * When every size is equal (max = min, including a single group) every score is 1: no group is
 * less varied than another. Sizes must be finite and non-negative.
 */
export function varietyScores(sizes: number[]): number[] {
  for (const s of sizes) if (!Number.isFinite(s) || s < 0) throw new Error(`bad PNG size ${s}`);
  if (sizes.length === 0) return [];
  const min = Math.min(...sizes);
  const max = Math.max(...sizes);
  if (max === min) return sizes.map(() => 1);
  return sizes.map((s) => 1 - (s - min) / (max - min));
}
