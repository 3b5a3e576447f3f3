#!/usr/bin/env bash
# The GPU checks, one command on the GPU machine (no PETSc or MPI there: they come in the bundle
# that `make gpu-bundle` packs on the development machine into gpu-bundle/bundle.tar.xz):
#   share/gpu/check.sh OUTDIR [cuda|hip]
# configures and builds the library against the bundle and the machine's own LibTorch (the Python
# torch package), runs the GPU tests and the GPU benchmark, and writes OUTDIR/report.md (plus the
# logs). About 8 minutes on an H200 machine (docs/gpu.md: how to split it in two calls). Every
# step is logged; the exit code is the number of failed steps. GNN_CHECK_PARTS (default "tests
# kernels bench") picks the parts after the build, so that a second call in the same lease (the
# build kept in GNN_GPU_BUILD) can run the benchmarks alone: GNN_CHECK_PARTS=bench share/gpu/check.sh
# OUTDIR2; GNN_CHECK_BENCH_RUNS picks the benchmark runs by name (below), GNN_CHECK_BENCH_UNTIL the
# time after which no further one starts.
set -uo pipefail
OUT=${1:?usage: check.sh OUTDIR [cuda|hip]}
VENDOR=${2:-cuda}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
REPORT=$OUT/report.md
BUILD=${GNN_GPU_BUILD:-/tmp/gnn-gpu-build}
BUNDLE=${GNN_BUNDLE_DIR:-/tmp/gnn-bundle}
START=$(date +%s)
# where the build's time went (per target, start and end in ms), whatever happens after it
trap 'cp "$BUILD/.ninja_log" "$OUT/ninja_log.txt" 2>/dev/null' EXIT
failed=0
declare -a rows

elapsed() { echo $(( $(date +%s) - START )); }
# step NAME TIMEOUT COMMAND...: runs it with its output in OUT/NAME.log, records pass/fail
step() {
  local name=$1 limit=$2
  shift 2
  local t0=$(date +%s) rc
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  local dt=$(( $(date +%s) - t0 ))
  if [ $rc -eq 0 ]; then rows+=("| $name | pass | ${dt} s |"); else rows+=("| $name | FAIL (rc $rc) | ${dt} s |"); failed=$((failed + 1)); fi
  echo "[$(elapsed) s] $name: rc $rc (${dt} s)"
  if [ $rc -ne 0 ]; then # the first errors (compilers, PETSc, GoogleTest), then the end of the log
    grep -m 30 -E "error|Error|FAILED|Failure" "$OUT/$name.log" | cut -c1-400
    echo "..."
    tail -n 15 "$OUT/$name.log" | cut -c1-400
  fi
  return $rc
}

{
  echo "# petscgnn GPU check"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?') ($(git -C "$SRC" status --porcelain 2>/dev/null | wc -l) changed files)"
  echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo '?')"
  echo "- $(nvcc --version 2>/dev/null | tail -n 1)"
  echo "- torch: $(python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)' 2>/dev/null)"
  echo "- cores: $(nproc)"
} >"$REPORT"
cat "$REPORT"

# ---- the bundle: PETSc, OpenMPI, HDF5, GoogleTest ----
if [ ! -f "$BUNDLE/env.sh" ]; then
  mkdir -p "$BUNDLE"
  # tar needs an xz program; Python's tarfile reads .xz without one
  tar -xJf "$SRC/gpu-bundle/bundle.tar.xz" -C "$BUNDLE" 2>/dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$SRC/gpu-bundle/bundle.tar.xz" "$BUNDLE" ||
    { echo "cannot unpack $SRC/gpu-bundle/bundle.tar.xz (make gpu-bundle)"; exit 100; }
fi
# shellcheck disable=SC1091
source "$BUNDLE/env.sh"
TORCH_ROOT=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
TORCH_ABI=$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')
export OMP_NUM_THREADS=1

# ---- configure and build ----
GPUOPTS=(-DGNN_GPU=$VENDOR)
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
[ "$VENDOR" = cuda ] && GPUOPTS+=(-DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_CUDA_COMPILER="$NVCC")
# an old-ABI torch (pip wheels before PyTorch 2.7) needs the bundle's old-ABI GoogleTest
[ "$TORCH_ABI" = 0 ] && GPUOPTS+=(-DGTest_DIR="$BUNDLE/gtest-cxx11abi0/lib/cmake/GTest")
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
step configure 300 cmake "${GEN[@]}" -C "$BUNDLE/bundle.cmake" -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DGNN_PCH=ON -DGNN_TORCH_ROOT="$TORCH_ROOT" -DGNN_TORCH_CXX11_ABI="$TORCH_ABI" "${GPUOPTS[@]}" || { printf '%s\n' "${rows[@]}"; exit 100; }
# What the GPU checks run, in one build so that the benchmark's translation unit compiles beside the
# others (a build of its own after them added its whole compile to the lease); going on past an
# error, so that a benchmark that does not compile leaves the tests to run. Not test_kernel_bodies:
# it runs the kernels' bodies in host loops, no GPU, on every commit in CI, and its one translation
# unit was the build's longest (57 s of a 201 s build on the 2-core development machine).
KEEP=(-k)
[ ${#GEN[@]} -gt 0 ] && KEEP=(-k 0)
TESTS=(test_gpu test_consistency test_training)
step build 600 cmake --build "$BUILD" -j "$(nproc)" --target petscgnn "${TESTS[@]}" bench -- "${KEEP[@]}"
for prog in "${TESTS[@]}"; do
  [ -x "$BUILD/tests/$prog" ] || { echo "tests/$prog was not built"; printf '%s\n' "${rows[@]}"; exit 100; }
done
DEV=$VENDOR
T=$BUILD/tests
PARTS=${GNN_CHECK_PARTS:-tests kernels bench}
part() { [[ " $PARTS " == *" $1 "* ]]; }

# ---- tests ----
if part tests; then
step gpu_vs_cpu_np1 150 mpiexec -n 1 "$T/test_gpu"
step gpu_vs_cpu_np2 150 mpiexec -n 2 "$T/test_gpu"
# N ranks sharing the GPU against one rank on the GPU: the consistency and training tests as on the CPU
for np in 1 2 4; do
  step consistency_gpu_np$np 120 env GNN_TEST_OPTIONS="-gnn_device $DEV" mpiexec -n $np "$T/test_consistency"
done
for np in 2 4; do
  step training_gpu_np$np 150 env GNN_TEST_OPTIONS="-gnn_device $DEV" mpiexec -n $np "$T/test_training" --gtest_filter='Training.Adam*:Training.Normalisation*'
done
# -gnn_train_reproducible on the GPU: 3 ranks sharing it against 1 rank on it, bitwise (the CPU's
# reproducible cases; test_gpu's GpuTraining.ReproducibleBitwise above checks GPU = CPU bits), and
# an overflowed loss that stays non-finite through the device's fixed-point sums
step repro_gpu_np3 150 env GNN_TEST_OPTIONS="-gnn_device $DEV" mpiexec -n 3 "$T/test_training" --gtest_filter='Reproducible.AdamWClipNormalisationNoiseFloat32:Reproducible.FewNodesPerRankFloat32:NonFinite.ReproducibleSumsKeepItNonFinite'
fi

# ---- each kernel alone on one edge MLP of the 96^3 graph: time, GFLOP/s and GB/s against the
# H200's fp32 FMA peak (66.9 TFLOP/s) and HBM bandwidth (4.8 TB/s) ----
part kernels && step kernels 120 mpiexec -n 1 "$BUILD/bench/bench" -bench_mode kernels -bench_device $DEV -bench_reps 5 -bench_peak_gflops 66900 -bench_peak_gbs 4800 -bench_json "$OUT/bench_kernels.json"

# ---- benchmark: ours vs the plain-PyTorch reference on the same GPU, float32, the paper's model ----
# peak device memory per process from nvidia-smi (both include the CUDA context)
smi_peak() { # PID-less: the largest memory.used of any compute process seen while the command ran
  local log=$1
  shift
  nvidia-smi --query-compute-apps=used_memory --format=csv,noheader,nounits -lms 100 >"$log" 2>/dev/null &
  local smi=$!
  "$@"
  local rc=$?
  kill $smi 2>/dev/null
  wait $smi 2>/dev/null
  return $rc
}
bench_one() { # n: nodes per axis; ref: also the reference (0: ours alone); tag: of the output files; then our extra options
  local n=$1 ref=${2:-1} tag=${3:-} pre=$OUT/graph$1
  shift 3
  smi_peak "$OUT/smi_ours_$n$tag.txt" mpiexec -n 1 "$BUILD/bench/bench" -bench_mode train -bench_da $n \
    -gnn_device $DEV -bench_warmup 3 -bench_reps 10 -bench_infer 5 $([ "$ref" = 1 ] && echo -bench_export "$pre") -bench_json "$OUT/bench_ours_$n$tag.json" "$@" || return 1
  if [ "$ref" = 1 ]; then
    smi_peak "$OUT/smi_ref_$n.txt" python3 "$SRC/bench/reference.py" train "$pre" --device cuda --warmup 3 --reps 10 --infer 5 --json "$OUT/bench_ref_$n.json" || return 1
  fi
  rm -f "$pre".*
}
export -f smi_peak bench_one
export OUT BUILD DEV SRC
# Both codes' CUDA caching allocator grows its segments in place instead of keeping blocks of
# fixed sizes (which a 10 M-node step's mix of [E, H] and [N, H] tensors fragments): what a user
# training the largest graph that fits would set. The reference runs with the same setting.
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
# The runs by name (the step's name after bench_): nodes per axis, 1 to run the reference too, the
# output files' tag, our extra options.
declare -A RUNS=(
  [96]="96 1 -"
  [96_none]="96 0 _none -gnn_recompute none"
  [128]="128 0 - -gnn_log_sync"
  [216]="216 0 - -bench_warmup 1 -bench_reps 3 -bench_infer 2"
  [32]="32 1 -"
  [64]="64 1 -"
  [96_layers]="96 0 _layers -gnn_recompute layers")
# By default in order of what they tell (GNN_CHECK_BENCH_RUNS picks and orders them; a later one is
# skipped once GNN_CHECK_BENCH_UNTIL seconds are used): 96^3 against the reference (the default
# -gnn_recompute mlp: the fused MLP backward); the same keeping every activation (-gnn_recompute
# none: what the fused backward gives); 128^3 = 2.1 M nodes (the reference runs out of memory
# there, measured), its phases timed with the device waited for (-gnn_log_sync: the step's
# breakdown in the report); 216^3 = 10.1 M nodes (the memory target) with fewer steps; 32^3 and
# 64^3 against the reference; 96^3 with -gnn_recompute layers. Each graph is an n^3 DMDA's
# (-bench_da: on 1 rank the same nodes, edges, order and losses as the vertex graph of the DMPlex
# box with n-1 faces per axis, the graph of the 2026-11-30 figures): at 216^3 its set-up took 23 s
# and 8 GiB of host memory on the 2-core development machine, the DMPlex box's 2 min 23 s and 17 GiB.
UNTIL=${GNN_CHECK_BENCH_UNTIL:-470}
for name in ${GNN_CHECK_BENCH_RUNS:-96 96_none 128 216 32 64 96_layers}; do
  part bench || break
  [ -n "${RUNS[$name]:-}" ] || { echo "no benchmark run named $name (${!RUNS[*]})"; failed=$((failed + 1)); continue; }
  set -- ${RUNS[$name]}
  n=$1 ref=$2 tag=$3
  [ "$tag" = - ] && tag=
  shift 3
  if [ "$(elapsed)" -gt "$UNTIL" ]; then echo "skipping the ${n}^3$tag benchmark: $(elapsed) s used"; continue; fi
  step bench_$n$tag 300 bash -c 'bench_one "$@"' _ "$n" "$ref" "$tag" "$@"
done

# ---- report ----
{
  echo
  echo "## Steps"
  echo
  echo "| step | result | time |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "## GPU vs CPU (test_gpu, 1 and 2 ranks)"
  echo
  echo '```'
  grep -h "GPU vs CPU\|training 30\|checkpoint .* ->" "$OUT"/gpu_vs_cpu_np*.log 2>/dev/null
  grep -h "reproducible .* rank(s) vs 1" "$OUT"/repro_gpu_np*.log 2>/dev/null
  echo '```'
  echo
  echo "## Kernels alone (bench -bench_mode kernels)"
  echo
  grep -h "^|\|^kernels of" "$OUT/kernels.log" 2>/dev/null
  echo
  echo "## Benchmark (float32, H 32, 5 hidden layers, 4 processor layers, Adam; median of 10 steps after 3)"
  echo
  echo "Both codes ran with PYTORCH_CUDA_ALLOC_CONF=$PYTORCH_CUDA_ALLOC_CONF."
  echo
  python3 - "$OUT" <<'EOF'
import json, os, statistics, sys
out = sys.argv[1]
print("| nodes | edges | petscgnn step | reference step | speed-up | petscgnn nodes/s | reference nodes/s | device memory petscgnn / reference (nvidia-smi, MiB) | petscgnn inference (GNNApply) | reference inference (no_grad forward) |")
print("|---|---|---|---|---|---|---|---|---|---|")
def peak(path):
    try:
        return max(int(l) for l in open(path) if l.strip().isdigit())
    except (OSError, ValueError):
        return -1
import glob, re
preflight = [] # per run, the trainer's pre-flight estimate against nvidia-smi's peak (printed after the table)
def key(path):
    m = re.match(r"bench_ours_(\d+)(.*)\.json", os.path.basename(path))
    return (int(m.group(1)), m.group(2))
for n, tag in sorted(key(p) for p in glob.glob(os.path.join(out, "bench_ours_*.json"))):
    o = json.load(open(os.path.join(out, f"bench_ours_{n}{tag}.json")))
    try:
        r = None if tag else json.load(open(os.path.join(out, f"bench_ref_{n}.json")))
    except OSError:
        r = None
    N = n ** 3
    to = statistics.median(o["step_times"])
    mem = peak(os.path.join(out, f"smi_ours_{n}{tag}.txt"))
    what = f"{N}{' ' + tag.strip('_') if tag else ''}"
    inf = o.get("infer_times") or []
    def rate(ts):
        return f"{statistics.median(ts):.4f} s ({N / statistics.median(ts):.3e} nodes/s)" if ts else "-"
    infs = rate(inf)
    if "memory_estimate_bytes_max" in o: # nvidia-smi's peak includes the CUDA context and what the caching allocator holds
        est, avail = o["memory_estimate_bytes_max"], o["memory_available_bytes_min"]
        preflight.append(f"\n{what} nodes: pre-flight estimate {est / 2**30:.2f} GiB ({est / 1024 / N:.2f} KiB/node), available {avail / 2**30:.2f} GiB; nvidia-smi peak {mem / 1024:.2f} GiB ({mem * 1024 / N:.2f} KiB/node)")
    if r:
        tr = statistics.median(r["step_times"])
        print(f"| {what} | {r['edges']} | {to:.4f} s (min {min(o['step_times']):.4f}) | {tr:.4f} s (min {min(r['step_times']):.4f}) | {tr / to:.2f}x | {N / to:.3e} | {N / tr:.3e} | {mem} ({mem * 1024 / N:.1f} KiB/node) / {peak(os.path.join(out, f'smi_ref_{n}.txt'))} | {infs} | {rate(r.get('infer_times') or [])} |")
        print(f"<!-- {n}: ours losses {o['losses'][:3]} reference losses {r['losses'][:3]} -->")
    else:
        print(f"| {what} | | {to:.4f} s (min {min(o['step_times']):.4f}) | not run | | {N / to:.3e} | | {mem} ({mem * 1024 / N:.1f} KiB/node) / - | {infs} | - |")
print("".join(preflight))
# the phases of a training step (per step; the run with -gnn_log_sync times the device's work)
for p in sorted(glob.glob(os.path.join(out, "bench_ours_*.json"))):
    o = json.load(open(p))
    ev = o.get("events_max") or {}
    if not ev:
        continue
    step = statistics.median(o["step_times"])
    print(f"\n{os.path.basename(p)}: phases per training step (max over ranks; step {step:.4f} s): " + ", ".join(f"{k} {v:.4f} s ({100 * v / step:.0f} %)" for k, v in ev.items() if v > 0))
    packs = o.get("mlp_packs_per_step")
    if packs:
        print(f"{os.path.basename(p)}: MLP weight packs per training step: {packs['made']:g} made ({packs.get('gathered', 0):g} by one gather each), {packs['reused']:g} reused; per forward: {(o.get('mlp_packs_per_forward') or {}).get('made', '-')} made")
EOF
  echo
  echo "total $(elapsed) s, $failed failed step(s)"
} >>"$REPORT"
cat "$REPORT"
exit $failed
