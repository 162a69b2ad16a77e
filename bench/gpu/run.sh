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
# STEPS (default "engine metrics baseline wasm extract") picks steps: engine (webgpu, screening on the
# device at 1,024- and 2,048-row tiles and on the host at 1,024), metrics (webgpu), baseline
# (scikit-learn), wasm (metrics on 8 wasm threads and the wasm engine), extract.
set -uo pipefail
STEPS=" ${STEPS:-engine metrics baseline wasm extract} "
want() { [[ "$STEPS" == *" $1 "* ]]; }
OUT=${OUT:-scratch/gpu/out}
rm -f "$OUT"/metrics_* "$OUT"/summary.txt
# sizes (the defaults are the checks of docs/gpu.md; small values try the script on a CPU)
GPU_N=${GPU_N:-10000} GPU_D=${GPU_D:-2048} ENGINE_N=${ENGINE_N:-12000} ENGINE_D=${ENGINE_D:-1280} IMAGES=${IMAGES:-64} KID=${KID:-100}
mkdir -p "$OUT"
# unpacked inside the repository, so the CLI finds models/ upward from the bundle
T=scratch/gpu/run
rm -rf "$T"; mkdir -p "$T"
tar -C "$T" -xJf scratch/gpu/payload.tar.xz
P=$T/payload
NODE=$P/node
[ -x "$NODE" ] || NODE=$(command -v node)  # a payload staged with --stage-only has none
APP=$P/app/entry.js
# Vulkan loader and GLVND (the NVIDIA ICD, libGLX_nvidia.so.0, needs libGLdispatch.so.0): the Debian
# packages carried in .gl/ (docs/gpu.md), and the driver's own library folder
if ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for l in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$l" ] && export LD_LIBRARY_PATH="$l${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; done
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; fi
done
{
  echo "date: $(date -u)"; nproc; free -g | head -2
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-none}"
  ldconfig -p | grep -E "libvulkan|libGLdispatch|libGLX" ; ls /usr/local/nvidia/lib64 2>/dev/null | grep -E "GLX|vulkan|GLdispatch" | head
  "$NODE" --version
  "$NODE" --input-type=module -e "
    const { create, globals } = await import('$(pwd)/$P/node_modules/webgpu/index.js');
    Object.assign(globalThis, globals);
    const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    const i = a?.info;
    console.log('adapter:', i ? [i.vendor, i.architecture, i.device, i.description].join(' | ') : null);
    if (a) console.log('limits: maxBufferSize', a.limits.maxBufferSize, 'maxStorageBufferBindingSize', a.limits.maxStorageBufferBindingSize, 'features', [...a.features].join(' '));"
} 2>&1 | tee "$OUT/adapter.txt"

if want engine; then
  for run in "device 1024 3" "device 2048 3" "host 1024 2"; do
    set -- $run
    echo "== engine vs tf.matMul on webgpu, screening $1, tile $2"
    timeout 100 "$NODE" "$APP" engine --backend webgpu --n "$ENGINE_N" --dim "$ENGINE_D" --repeats $3 --screening $1 --tile $2 > "$OUT/engine_webgpu_$1_$2.txt" 2>&1
    tail -n 7 "$OUT/engine_webgpu_$1_$2.txt"
  done
fi

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

# wall time and peak RSS of a command (children included), through Python's getrusage
measured() { # tag timeout command...
  local tag=$1 lim=$2; shift 2
  python3 - "$tag" "$lim" "$@" <<'PY' | tee -a "$OUT/summary.txt"
import resource, subprocess, sys, time
tag, lim, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t = time.time()
try:
    rc = subprocess.run(cmd, timeout=lim).returncode
except subprocess.TimeoutExpired:
    rc = 'timeout'
print(f"{tag}: exit {rc}, wall {time.time() - t:.1f} s, peak RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB", flush=True)
PY
}
run_cli() { # backend threads tag timeout
  SYNTHLENS_ENGINE_THREADS=$2 measured "$3" "$4" bash -c "exec \"$NODE\" \"$APP\" cli metrics --real \"$T/real.npy\" --synthetic \"$T/synth.npy\" --backend $1 \
    --kid-subsets $KID --json \"$OUT/metrics_$3.json\" --assignments \"$T/assign_$3.csv\" > \"$OUT/metrics_$3.txt\" 2>&1"
}
echo "== metrics $GPU_N x $GPU_N, d = $GPU_D, KID $KID subsets"
# on webgpu the neighbour passes run on the GPU and KID, FID and Vendi on 8 wasm threads
want metrics && run_cli webgpu 8 webgpu 150
# the scikit-learn full-matrix baseline of bench/metrics.ts on the same machine (its BLAS uses every core)
want baseline && measured baseline 150 python3 bench/baseline_full_matrix.py "$T/real.npy" "$T/synth.npy" "$OUT/metrics_baseline.json" --kid-subsets "$KID"
want wasm && run_cli wasm 8 wasm8 120
python3 - "$OUT" "$T" <<'PY' | tee -a "$OUT/summary.txt"
import json, sys, filecmp
o, t = sys.argv[1], sys.argv[2]
def load(tag):
    try:
        return json.load(open(f"{o}/metrics_{tag}.json"))
    except Exception as e:
        print(tag, "report missing:", e); return None
a, b, c = load("webgpu"), load("wasm8"), load("baseline")
for tag, r in (("webgpu", a), ("wasm8", b)):
    if r:
        print(f"engine {tag}:", r["sets"][0]["engine"])
        print(f"timings {tag}:", {k: round(v / 1000, 2) for k, v in r["timings"].items()})
if c:
    print("timings baseline:", {k: round(v, 2) for k, v in c["timings"].items()})
if a and b:
    ma, mb = a["sets"][0]["metrics"], b["sets"][0]["metrics"]
    diff = [k for k in ma if ma[k] != mb[k]]
    print("metrics identical:", not diff, diff)
    print("assignments identical:", filecmp.cmp(f"{t}/assign_webgpu.csv", f"{t}/assign_wasm8.csv", shallow=False))
if a and c:
    ma = a["sets"][0]["metrics"]
    print("baseline vs webgpu:", {k: (c.get(k), ma.get(k)) for k in ["fid", "vendi", "precision", "recall", "density", "coverage", "privacy"]})
PY

want extract && echo "== extraction on webgpu" && timeout 100 "$NODE" "$APP" extract --backend webgpu --extractors mobilenet-v2,inception-v3 --images "$IMAGES" --inception-images "$IMAGES" \
  --repeats 3 --no-torch --no-browser > "$OUT/extract_webgpu.txt" 2>&1
want extract && tail -12 "$OUT/extract_webgpu.txt"
if want wasm; then
  echo "== engine vs tf.matMul on wasm (1 thread)"
  timeout 40 "$NODE" "$APP" engine --backend wasm --n 4000 --dim "$ENGINE_D" --repeats 3 > "$OUT/engine_wasm.txt" 2>&1
  tail -n 8 "$OUT/engine_wasm.txt"
fi
rm -rf "$T"
