#!/bin/bash
# The benchmark commands that share/gpu/check.sh runs on a GPU, here on the CPU and small, so that a
# broken benchmark shows in CI instead of costing a GPU session:
# - bench -bench_mode train on the graph of -bench_da 8 (an 8^3 DMDA) against the DMPlex box with 7
#   faces per axis: the graphs written for the PyTorch reference (positions, inputs, targets, edge
#   list) must be the same files, byte for byte, and the losses the same numbers; check.sh's GPU
#   figures stand for the box's graph on this equality;
# - the pre-flight figures in its JSON (the estimate > 0, the memory available > 0);
# - bench -bench_mode kernels on a small edge MLP (every kernel timed, none failing).
# Exits 1 on any difference or failed run.
#
# Usage: test_bench.sh BUILD_DIR
set -u -o pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
BENCH=$BUILD/bench/bench
MPIEXEC=${MPIEXEC:-mpiexec}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

train() { # tag, then the graph's options
  local tag=$1
  shift
  timeout 120 $MPIEXEC -n 1 "$BENCH" -bench_mode train -bench_warmup 1 -bench_reps 3 -bench_infer 1 \
    -bench_export "$work/$tag" -bench_json "$work/$tag.json" "$@" >"$work/$tag.log" 2>&1 ||
    { fail "bench train $* (log below)"; cat "$work/$tag.log"; }
}
train plex -dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 7,7,7
train da -bench_da 8

for f in pos.f64 x.f64 y.f64 edges.i64; do
  if cmp -s "$work/plex.$f" "$work/da.$f"; then echo "ok   $f: the same file ($(stat -c %s "$work/da.$f") bytes)"
  else fail "$f differs between the DMPlex box and -bench_da"; fi
done
python3 - "$work/plex.json" "$work/da.json" <<'EOF' || failed=$((failed + 1))
import json, sys
p, d = (json.load(open(f)) for f in sys.argv[1:])
bad = 0
if p["losses"] != d["losses"] or len(d["losses"]) != 4:
    print(f"FAIL losses: box {p['losses']}, DMDA {d['losses']}"); bad = 1
else:
    print(f"ok   losses the same: {d['losses']}")
for k in ("memory_estimate_bytes_max", "memory_available_bytes_min"):
    if not d.get(k, 0) > 0:
        print(f"FAIL {k} = {d.get(k)}"); bad = 1
    else:
        print(f"ok   {k} = {d[k]:.4g}")
if len(d.get("infer_times", [])) != 1:
    print("FAIL no inference time"); bad = 1
sys.exit(bad)
EOF

if timeout 120 $MPIEXEC -n 1 "$BENCH" -bench_mode kernels -bench_device cpu -bench_reps 2 -bench_kernels_m 3000 -bench_kernels_n 600 \
  -bench_json "$work/kernels.json" >"$work/kernels.log" 2>&1; then
  echo "ok   kernels: $(grep -c '^|' "$work/kernels.log") table rows"
else
  fail "bench kernels (log below)"
  cat "$work/kernels.log"
fi

echo "$failed failed"
[ $failed -eq 0 ]
