#!/bin/bash
# The two code paths of the row-deterministic Linear(+ELU) kernel (src/nn/linear.cxx) give the same
# bits: example 1's outputs with the AVX-512 tiles on 1 rank and with the portable path
# (PETSCGNN_KERNEL=generic) on 3 ranks must be identical files, and so must the AVX-512 outputs on
# 3 ranks, in float32 and float64, at the default width (32) and at a width that is not a multiple
# of the vector length (20). On a CPU without AVX-512 both runs take the portable path and the test
# still checks rank-count independence. Also: training with the caching tensor allocator
# (-gnn_tensor_cache, on by default) and without it gives the same loss history, bit for bit, on a
# graph whose tensors are large enough (>= 1 MiB) to go through the cache. Exits non-zero on any
# difference.
#
# Usage: test_kernel_paths.sh BUILD_DIR
set -u -o pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
EX1=$BUILD/examples/ex1
MPIEXEC=${MPIEXEC:-mpiexec}
export OMP_NUM_THREADS=1
[ -x "$EX1" ] || { echo "FAIL: $EX1 not built"; exit 1; }
TMP=$(mktemp -d "$BUILD/kernel_paths.XXXXXX") || exit 1
failures=0

# run OUT KERNEL RANKS ARGS...
run() {
  local out=$1 kernel=$2 np=$3
  shift 3
  if ! PETSCGNN_KERNEL=$kernel timeout 120 "$MPIEXEC" --oversubscribe -n "$np" "$EX1" -dm_plex_dim 3 -dm_plex_simplex 0 \
    -dm_plex_box_faces 5,4,6 -gnn_output_csv "$out" "$@" >"$out.log" 2>&1; then
    cat "$out.log"
    return 1
  fi
}

grep -qw avx512f /proc/cpuinfo && echo "CPU has AVX-512: comparing the AVX-512 tiles with the portable path" \
  || echo "CPU has no AVX-512: both runs take the portable path"
for prec in float32 float64; do
  for h in 32 20; do
    c=$TMP/${prec}_h$h
    if run "$c.avx_np1.csv" auto 1 -gnn_precision $prec -gnn_hidden $h &&
      run "$c.generic_np3.csv" generic 3 -gnn_precision $prec -gnn_hidden $h &&
      run "$c.avx_np3.csv" auto 3 -gnn_precision $prec -gnn_hidden $h; then
      if cmp -s "$c.avx_np1.csv" "$c.generic_np3.csv" && cmp -s "$c.avx_np1.csv" "$c.avx_np3.csv"; then
        echo "ok: $prec H=$h: AVX-512 1 rank = portable 3 ranks = AVX-512 3 ranks, bitwise ($(wc -l <"$c.avx_np1.csv") lines)"
      else
        echo "FAIL: $prec H=$h: outputs differ"
        failures=$((failures + 1))
      fi
    else
      echo "FAIL: $prec H=$h: ex1 failed"
      failures=$((failures + 1))
    fi
  done
done
# the tensor cache changes where tensors live, never what is computed
EX2=$BUILD/examples/ex2
train() {
  local cache=$1
  if ! timeout 300 "$MPIEXEC" --oversubscribe -n 1 "$EX2" -dm_plex_dim 3 -dm_plex_box_faces 19,19,19 \
    -gnn_train_steps 6 -gnn_tensor_cache "$cache" -gnn_view -gnn_train_history "$TMP/history_cache$cache.csv" \
    >"$TMP/train_cache$cache.log" 2>&1; then
    cat "$TMP/train_cache$cache.log"
    return 1
  fi
}
if train 1 && train 0; then
  if ! grep -q "tensor cache on" "$TMP/train_cache1.log" || ! grep -q "tensor cache off" "$TMP/train_cache0.log"; then
    echo "FAIL: -gnn_view does not report the tensor cache setting"
    failures=$((failures + 1))
  elif cmp -s "$TMP/history_cache1.csv" "$TMP/history_cache0.csv"; then
    echo "ok: training with and without the tensor cache: identical loss histories ($(wc -l <"$TMP/history_cache1.csv") lines)"
  else
    echo "FAIL: the tensor cache changed the loss history"
    failures=$((failures + 1))
  fi
else
  echo "FAIL: ex2 failed"
  failures=$((failures + 1))
fi
[ $failures -eq 0 ] && rm -rf "$TMP"
echo "$failures failure(s)"
[ $failures -eq 0 ]
