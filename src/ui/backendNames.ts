/** Human names of TF.js backends as shown in the UI. */
export const BACKEND_NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'CPU (plain JavaScript)',
};

export function backendName(id: string): string {
  return BACKEND_NAMES[id] ?? id;
}
