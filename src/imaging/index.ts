/**
 * src/imaging: datasets, decoders and preprocessing that run the same in the page, workers and Node.
 * (Node-only helpers are in ./node.ts; browser file helpers in ./browser.ts.)
 */
export * from './types.ts';
export { decodeImage, detectFormat, imageId, type ImageFormat } from './decode.ts';
export { TRANSFER_SYNTAXES, voiFunction } from './dicom.ts';
export * from './preprocess.ts';
export * from './dataset.ts';
export { setWasmSource, type WasmCodec } from './wasm.ts';
