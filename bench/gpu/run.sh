#!/usr/bin/env bash
# The GPU checks of docs/gpu.md, run from the repository root on a machine with an NVIDIA GPU,
# its Vulkan driver, python3 with numpy, and no Node: the payload of bench/gpu/bundle.mjs
# (scratch/gpu/payload.tar.xz) brings Node, the bundled CLI and benchmarks, and Dawn.
# Writes its figures to $OUT (default scratch/gpu/out).
#   1. the WebGPU adapter Dawn finds;
#   2. synthlens metrics at N = M = 10,000, d = 2,048 on webgpu and on wasm (8 engine threads):
#      wall time, report timings, and whether every metric and assignment is identical;
#   3. the neighbour engine's useful GFLOP/s over plain tf.matMul on webgpu (and on wasm, 1 thread);
#   4. extraction on webgpu: pipeline vs model alone, MobileNetV2 and InceptionV3.
set -uo pipefail
OUT=${OUT:-scratch/gpu/out}
rm -f "$OUT"/metrics_* "$OUT"/summary.txt
# sizes (the defaults are the checks of docs/gpu.md; small values try the script on a CPU)
GPU_N=${GPU_N:-10000} GPU_D=${GPU_D:-2048} ENGINE_N=${ENGINE_N:-12000} ENGINE_D=${ENGINE_D:-1280} IMAGES=${IMAGES:-64}
mkdir -p "$OUT"
# unpacked inside the repository, so the CLI finds models/ upward from the bundle
T=scratch/gpu/run
rm -rf "$T"; mkdir -p "$T"
tar -C "$T" -xJf scratch/gpu/payload.tar.xz
P=$T/payload
NODE=$P/node
[ -x "$NODE" ] || NODE=$(command -v node)  # a payload staged with --stage-only has none
APP=$P/app/entry.js
# Vulkan loader: the machine's, else the Debian package carried in .gl/
if ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; fi
done
{
  echo "date: $(date -u)"; nproc; free -g | head -2
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-none}"
  "$NODE" --version
  "$NODE" --input-type=module -e "
    const { create, globals } = await import('$(pwd)/$P/node_modules/webgpu/index.js');
    Object.assign(globalThis, globals);
    const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    const i = a?.info;
    console.log('adapter:', i ? [i.vendor, i.architecture, i.device, i.description].join(' | ') : null);
    if (a) console.log('limits: maxBufferSize', a.limits.maxBufferSize, 'maxStorageBufferBindingSize', a.limits.maxStorageBufferBindingSize, 'features', [...a.features].join(' '));"
} 2>&1 | tee "$OUT/adapter.txt"

echo "== features"
python3 - "$T" "$GPU_N" "$GPU_D" <<'PY'
import sys, numpy as np
t, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(2048)
real = rng.standard_normal((n, d), dtype=np.float32)
synth = (rng.standard_normal((n, d), dtype=np.float32) * 1.05 + 0.02).astype(np.float32)
synth[:50] = real[n // 10:n // 10 + 50]  # exact copies: zero distances and ties
np.save(f"{t}/real.npy", real); np.save(f"{t}/synth.npy", synth)
PY

run_cli() { # backend threads tag
  local s=$(date +%s%N)
  SYNTHLENS_ENGINE_THREADS=$2 "$NODE" "$APP" cli metrics --real "$T/real.npy" --synthetic "$T/synth.npy" --backend "$1" \
    --kid-subsets 10 --json "$OUT/metrics_$3.json" --assignments "$T/assign_$3.csv" > "$OUT/metrics_$3.txt" 2>&1
  local rc=$?
  echo "$3: exit $rc, wall $(( ($(date +%s%N) - s) / 1000000 )) ms" | tee -a "$OUT/summary.txt"
}
echo "== metrics $GPU_N x $GPU_N, d = $GPU_D"
run_cli webgpu 1 webgpu
run_cli wasm 8 wasm8
python3 - "$OUT" "$T" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys, filecmp
o, t = sys.argv[1], sys.argv[2]
a = json.load(open(f"{o}/metrics_webgpu.json")); b = json.load(open(f"{o}/metrics_wasm8.json"))
print("engine webgpu:", a["sets"][0]["engine"]); print("engine wasm:", b["sets"][0]["engine"])
print("timings webgpu:", {k: round(v / 1000, 2) for k, v in a["timings"].items()})
print("timings wasm8:", {k: round(v / 1000, 2) for k, v in b["timings"].items()})
ma, mb = a["sets"][0]["metrics"], b["sets"][0]["metrics"]
diff = [k for k in ma if ma[k] != mb[k]]
print("metrics identical:", not diff, diff)
print("assignments identical:", filecmp.cmp(f"{t}/assign_webgpu.csv", f"{t}/assign_wasm8.csv", shallow=False))
PY

echo "== engine vs tf.matMul"
timeout 150 "$NODE" "$APP" engine --backend webgpu --n "$ENGINE_N" --dim "$ENGINE_D" --repeats 3 > "$OUT/engine_webgpu.txt" 2>&1
timeout 60 "$NODE" "$APP" engine --backend wasm --n 4000 --dim "$ENGINE_D" --repeats 3 > "$OUT/engine_wasm.txt" 2>&1
tail -n 8 "$OUT/engine_webgpu.txt" "$OUT/engine_wasm.txt"

echo "== extraction on webgpu"
timeout 200 "$NODE" "$APP" extract --backend webgpu --extractors mobilenet-v2,inception-v3 --images "$IMAGES" --inception-images "$IMAGES" \
  --repeats 3 --no-torch --no-browser > "$OUT/extract_webgpu.txt" 2>&1
tail -12 "$OUT/extract_webgpu.txt"
rm -rf "$T"
