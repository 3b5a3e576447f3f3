#!/usr/bin/env bash
# The main job in small: the flow solver with in-situ GNN training and the surrogate rollout, on 1
# and 2 ranks. Training histories and surrogate errors agree across rank counts (to the solver's
# own tolerance: the solver's states agree to ~1e-9), the loss falls, the surrogate is accurate.
# Usage: test_insitu.sh BUILD_DIR SOURCE_DIR
set -u
build=$1; src=$2
tmp=$(mktemp -d "$build/test_insitu.XXXXXX")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
opts="-dm_plex_box_faces 8,8 -insitu_train_samples 6 -insitu_train_per_sample 15 -insitu_rollout_samples 4 -gnn_hidden 16 -gnn_precision float64"
fail() { echo "FAIL: $*"; exit 1; }
for np in 1 2; do
  timeout 300 mpiexec --oversubscribe -n $np "$build/examples/insitu/ex4" $opts -insitu_output "$tmp/np$np" > "$tmp/np$np.log" 2>&1 || fail "ex4 on $np ranks: $(tail -5 "$tmp/np$np.log")"
  cat "$tmp/np$np/summary.txt"
done
# ex4's own files (summary.txt, rollout_error.csv) are written atomically: nothing half-written left
[ -z "$(find "$tmp" -name '*.tmp')" ] || fail "temporary files left behind: $(find "$tmp" -name '*.tmp')"
/usr/bin/python3 - "$tmp" <<'PY' || fail "in-situ runs differ or do not learn"
import sys
tmp = sys.argv[1]
def col(f, k): return [float(l.split(",")[k]) for l in open(f).read().splitlines()[1:]]
h1, h2 = col(tmp + "/np1/train_history.csv", 1), col(tmp + "/np2/train_history.csv", 1)
e1, e2 = col(tmp + "/np1/rollout_error.csv", 2), col(tmp + "/np2/rollout_error.csv", 2)
rh = max(abs(a - b) for a, b in zip(h1, h2)) / max(h1)
re = max(abs(a - b) / a for a, b in zip(e1, e2))
print(f"training history 1 vs 2 ranks: rel diff {rh:.2e}; surrogate errors: rel diff {re:.2e}; loss {h1[0]:.3e} -> {h1[-1]:.3e}; surrogate error after {len(e1)} steps {e1[-1]:.3e}")
ok = len(h1) == len(h2) == 75 and len(e1) == len(e2) == 4 and rh < 1e-5 and re < 1e-3 and h1[-1] < 0.5 * h1[0] and e1[-1] < 0.05
sys.exit(0 if ok else 1)
PY
rm -rf "$tmp"
echo "1 passed, 0 failed"
