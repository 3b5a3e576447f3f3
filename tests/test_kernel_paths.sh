#!/bin/bash
# Implementation choices that must not change results.
#
# Mode "kernels": the two code paths of the row-deterministic Linear(+ELU) kernel
# (src/kernels/cpu/linear.cxx) give the same bits. Example 1's outputs with the AVX-512 tiles on
# 1 rank, with the portable path (PETSCGNN_KERNEL=generic) on 3 ranks and with the AVX-512 tiles on
# 3 ranks must be identical files, in float32 and float64, at the default width (32) and at a width
# that is not a multiple of the vector length (20). The portable path on 1 rank against 3 ranks is
# checked on every CPU, and so is the fused MLP forward (every Linear of an MLP in one pass, the
# default) against the layers one at a time (PETSCGNN_MLP=layers) on 3 ranks. On a CPU without AVX-512 (the library needs avx512f, avx512dq and avx512vl,
# as src/kernels/cpu/linear.cxx asks the CPU), the AVX-512 tiles cannot run: after the portable
# checks the script exits 77, which CTest reports as a skip (SKIP_RETURN_CODE), not a pass.
#
# Mode "cache": training with the caching tensor allocator (-gnn_tensor_cache, on by default) and
# without it gives the same loss history, bit for bit, on a graph whose tensors are large enough
# (>= 1 MiB) to go through the cache. Runs on any CPU.
#
# Exits 1 on any difference or failed run, 77 (kernels mode only) when the comparison with the
# AVX-512 tiles could not be made, 0 otherwise.
#
# Usage: test_kernel_paths.sh BUILD_DIR kernels|cache
# GNN_TEST_CPUINFO=FILE reads the CPU flags from FILE instead of /proc/cpuinfo: only for checking
# this script's no-AVX-512 branch on a CPU that has AVX-512 (the library itself still takes the
# AVX-512 tiles there, so "auto" runs are not made in that branch).
set -u -o pipefail
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR kernels|cache" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
MODE=$2
MPIEXEC=${MPIEXEC:-mpiexec}
CPUINFO=${GNN_TEST_CPUINFO:-/proc/cpuinfo}
export OMP_NUM_THREADS=1
TMP=$(mktemp -d "$BUILD/kernel_paths.XXXXXX") || exit 1
failures=0

# true when the first "flags" line of $CPUINFO has avx512f, avx512dq and avx512vl
have_avx512() {
  local flags
  flags=" $(grep -m1 '^flags' "$CPUINFO" | cut -d: -f2-) "
  for f in avx512f avx512dq avx512vl; do
    [[ "$flags" == *" $f "* ]] || return 1
  done
}

kernels() {
  local EX1=$BUILD/examples/ex1 avx=0
  [ -x "$EX1" ] || { echo "FAIL: $EX1 not built"; return 1; }
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
  if have_avx512; then
    avx=1
    echo "CPU has AVX-512 (avx512f, avx512dq, avx512vl in $CPUINFO): comparing the AVX-512 tiles with the portable path"
  else
    echo "CPU lacks AVX-512 (avx512f, avx512dq or avx512vl missing from $CPUINFO): checking the portable path on 1 vs 3 ranks only"
  fi
  for prec in float32 float64; do
    for h in 32 20; do
      local c=$TMP/${prec}_h$h
      if ! run "$c.generic_np1.csv" generic 1 -gnn_precision $prec -gnn_hidden $h ||
        ! run "$c.generic_np3.csv" generic 3 -gnn_precision $prec -gnn_hidden $h; then
        echo "FAIL: $prec H=$h: ex1 failed"
        failures=$((failures + 1))
        continue
      fi
      if cmp -s "$c.generic_np1.csv" "$c.generic_np3.csv"; then
        echo "ok: $prec H=$h: portable 1 rank = portable 3 ranks, bitwise ($(wc -l <"$c.generic_np1.csv") lines)"
      else
        echo "FAIL: $prec H=$h: portable path, 1 vs 3 ranks: outputs differ"
        failures=$((failures + 1))
      fi
      if ! PETSCGNN_MLP=layers run "$c.layers_np3.csv" auto 3 -gnn_precision $prec -gnn_hidden $h; then
        echo "FAIL: $prec H=$h: ex1 failed (PETSCGNN_MLP=layers)"
        failures=$((failures + 1))
      elif cmp -s "$c.generic_np1.csv" "$c.layers_np3.csv"; then
        echo "ok: $prec H=$h: fused MLPs 1 rank = MLPs layer by layer 3 ranks, bitwise"
      else
        echo "FAIL: $prec H=$h: the fused MLP forward and the layers one at a time differ"
        failures=$((failures + 1))
      fi
      [ $avx -eq 1 ] || continue
      if run "$c.avx_np1.csv" auto 1 -gnn_precision $prec -gnn_hidden $h &&
        run "$c.avx_np3.csv" auto 3 -gnn_precision $prec -gnn_hidden $h; then
        if cmp -s "$c.avx_np1.csv" "$c.generic_np3.csv" && cmp -s "$c.avx_np1.csv" "$c.avx_np3.csv"; then
          echo "ok: $prec H=$h: AVX-512 1 rank = portable 3 ranks = AVX-512 3 ranks, bitwise"
        else
          echo "FAIL: $prec H=$h: AVX-512 and portable outputs differ"
          failures=$((failures + 1))
        fi
      else
        echo "FAIL: $prec H=$h: ex1 failed"
        failures=$((failures + 1))
      fi
    done
  done
  [ $failures -eq 0 ] || return 1
  [ $avx -eq 1 ] || { echo "SKIP: no AVX-512 on this CPU: the AVX-512 tiles were not compared with the portable path"; return 77; }
}

# the tensor cache changes where tensors live, never what is computed
cache() {
  local EX2=$BUILD/examples/ex2
  [ -x "$EX2" ] || { echo "FAIL: $EX2 not built"; return 1; }
  train() {
    local c=$1
    if ! timeout 300 "$MPIEXEC" --oversubscribe -n 1 "$EX2" -dm_plex_dim 3 -dm_plex_box_faces 19,19,19 \
      -gnn_train_steps 6 -gnn_tensor_cache "$c" -gnn_view -gnn_train_history "$TMP/history_cache$c.csv" \
      >"$TMP/train_cache$c.log" 2>&1; then
      cat "$TMP/train_cache$c.log"
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
  [ $failures -eq 0 ]
}

case $MODE in
  kernels) kernels ;;
  cache) cache ;;
  *) echo "unknown mode $MODE (kernels|cache)" >&2; rm -rf "$TMP"; exit 2 ;;
esac
rc=$?
[ $rc -eq 1 ] || rm -rf "$TMP"
echo "$failures failure(s)"
exit $rc
