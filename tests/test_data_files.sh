#!/usr/bin/env bash
# Snapshot files in natural order: written by example 2 on 4 ranks, training from them on 1 and 3
# ranks gives the history of training on the built-in task in memory (float64, <= 1e-10).
# Usage: test_data_files.sh BUILD_DIR
set -u
build=$1
ex2="$build/examples/ex2"
tmp=$(mktemp -d "$build/test_data_files.XXXXXX")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common="-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 9,7 -dm_plex_box_upper 6.283185307179586,6.283185307179586
        -gnn_precision float64 -gnn_hidden 16 -gnn_train_steps 20 -gnn_train_lr 1e-3 -gnn_train_normalize"
fail() { echo "FAIL: $*"; exit 1; }
timeout 120 mpiexec --oversubscribe -n 4 "$ex2" $common -gnn_task_samples 3 -gnn_task_write "$tmp/tgv" -gnn_train_history "$tmp/mem.csv" > "$tmp/w.log" 2>&1 || fail "writing run: $(tail -3 "$tmp/w.log")"
files_x=$(printf "$tmp/tgv_x_%d.bin," 0 1 2); files_y=$(printf "$tmp/tgv_y_%d.bin," 0 1 2)
for np in 1 3; do
  timeout 120 mpiexec --oversubscribe -n $np "$ex2" $common -gnn_train_inputs "${files_x%,}" -gnn_train_targets "${files_y%,}" -gnn_train_history "$tmp/files$np.csv" > "$tmp/r$np.log" 2>&1 || fail "training from files on $np ranks: $(tail -3 "$tmp/r$np.log")"
done
/usr/bin/python3 - "$tmp" <<'PY' || fail "histories differ"
import sys
tmp = sys.argv[1]
def hist(f): return [float(l.split(",")[1]) for l in open(f).read().splitlines()[1:]]
ref = hist(tmp + "/mem.csv")
ok = len(ref) == 20
for np in (1, 3):
    h = hist(f"{tmp}/files{np}.csv")
    rel = max(abs(a - b) for a, b in zip(ref, h)) / max(abs(a) for a in ref) if len(h) == len(ref) else float("inf")
    print(f"training from files on {np} rank(s) vs in memory on 4: history rel diff {rel:.3e}")
    ok = ok and rel <= 1e-10
sys.exit(0 if ok else 1)
PY
timeout 60 mpiexec --oversubscribe -n 2 "$ex2" $common -gnn_train_inputs "$tmp/none.bin" -gnn_train_targets "$tmp/tgv_y_0.bin" > "$tmp/e.log" 2>&1 && fail "a missing data file was accepted"
grep -q "Cannot open the data file" "$tmp/e.log" || fail "no clear error for a missing data file"
rm -rf "$tmp"
echo "2 passed, 0 failed"
