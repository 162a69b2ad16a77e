/**
 * The canonical decoded image every decoder returns, and the error they throw.
 *
 * Conventions (the same for every format):
 * - `data` is row-major HWC Float32Array with values in [0, 1].
 * - Integer samples of n bits map to v / (2^n - 1): 8-bit v / 255, 16-bit v / 65535, a 5-bit BMP
 *   field v / 31. DICOM grayscale is the exception: it goes through rescale and the VOI window
 *   (see dicom.ts) before it lands in [0, 1].
 * - Alpha is dropped (not composited on any background): gray+alpha gives 1 channel, RGBA gives 3.
 * - Palette images whose palette entries are all gray give 1 channel, other palettes give 3.
 */

export interface DecodedImageMeta {
  /** 'png' | 'jpeg' | 'webp' | 'bmp' | 'tiff' | 'dicom' */
  format: string;
  /** Bits per sample as stored in the file (DICOM: Bits Stored). */
  bitDepth: number;
  /** 1-based frame number; set only for files holding more than one frame (multi-frame DICOM). */
  frame?: number;
  /** Photometric interpretation / colour model of the source (e.g. 'MONOCHROME1', 'RGB', 'palette'). */
  photometric?: string;
  /** DICOM: the VOI window applied, or 'minmax' when the file has none. */
  window?: { center: number; width: number } | 'minmax';
  /** DICOM: the VOI LUT Function when not LINEAR ('LINEAR_EXACT' or 'SIGMOID'). */
  voiFunction?: string;
  /** DICOM transfer syntax UID. */
  transferSyntax?: string;
}

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major HWC, values in [0, 1]. */
  data: Float32Array;
  meta: DecodedImageMeta;
}

/** Why a file could not be used; `reason` is shown to the user as is. */
export type SkipCode = 'not-image' | 'corrupt' | 'unsupported' | 'empty' | 'too-large';

export class DecodeError extends Error {
  readonly code: SkipCode;
  constructor(code: SkipCode, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'DecodeError';
    this.code = code;
  }
  /** The user-readable reason (same as message). */
  get reason(): string {
    return this.message;
  }
}

/** Largest frame decoded: width x height above this is refused from the header ("too large to decode"). */
export const MAX_PIXELS = 100_000_000;
/** Largest number of decoded samples per file (all frames, all channels): 2^28 floats = 1 GiB of Float32. */
export const MAX_SAMPLES_PER_FILE = 2 ** 28;
/** Files larger than this are not read at all. */
export const MAX_FILE_BYTES = 2 ** 30;

/** Throws DecodeError('too-large') when a header announces more than the limits allow. */
export function checkSize(width: number, height: number, channels = 1, frames = 1): void {
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new DecodeError('corrupt', `corrupt: invalid image size ${width} x ${height}`);
  }
  if (width * height > MAX_PIXELS) {
    throw new DecodeError(
      'too-large',
      `too large to decode: ${width} x ${height} = ${((width * height) / 1e6).toFixed(1)} megapixels (limit ${MAX_PIXELS / 1e6})`,
    );
  }
  if (width * height * channels * frames > MAX_SAMPLES_PER_FILE) {
    throw new DecodeError(
      'too-large',
      `too large to decode: ${frames} frames of ${width} x ${height} x ${channels} exceed ${MAX_SAMPLES_PER_FILE} samples`,
    );
  }
}

/** Message of anything thrown (libraries throw strings and plain objects too). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const o = e as { exception?: unknown; message?: unknown };
    if (typeof o.exception === 'string') return o.exception;
    if (typeof o.message === 'string') return o.message;
  }
  return String(e);
}
