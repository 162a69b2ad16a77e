/** Type declarations for the untyped decoder packages used by src/imaging (only what is used). */

declare module 'jpeg-js/lib/decoder.js' {
  export interface JpegJsOptions {
    useTArray: true;
    formatAsRGBA?: boolean;
    colorTransform?: boolean;
    tolerantDecoding?: boolean;
    maxResolutionInMP?: number;
    maxMemoryUsageInMB?: number;
  }
  export default function decode(
    data: Uint8Array | ArrayBuffer,
    opts: JpegJsOptions,
  ): { width: number; height: number; data: Uint8Array };
}

declare module 'utif' {
  export interface UtifIfd {
    [tag: `t${number}`]: number[] | string[] | undefined;
    width?: number;
    height?: number;
    isLE?: boolean;
    data?: Uint8Array;
  }
  const UTIF: {
    decode(buffer: ArrayBuffer | Uint8Array): UtifIfd[];
    decodeImage(buffer: ArrayBuffer | Uint8Array, ifd: UtifIfd, ifds?: UtifIfd[]): void;
  };
  export default UTIF;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer, numBytes?: number);
    decode(buffer: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  export interface JpegLSDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
    getInterleaveMode(): number;
    getNearLossless(): number;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  export interface CharLSModule {
    JpegLSDecoder: new () => JpegLSDecoder;
  }
  const factory: (opts?: { wasmBinary?: ArrayBuffer | Uint8Array; print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<CharLSModule>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  export interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  export interface OpenJPEGModule {
    J2KDecoder: new () => J2KDecoder;
  }
  const factory: (opts?: { wasmBinary?: ArrayBuffer | Uint8Array; print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<OpenJPEGModule>;
  export default factory;
}
