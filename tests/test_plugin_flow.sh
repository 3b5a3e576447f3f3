#!/usr/bin/env bash
# The plug-in on a flow case: PETSc's ts/tutorials/ex46.c (incompressible Navier-Stokes, Q2-Q1
# finite elements on a DMPlex of quadrilaterals, backward Euler, manufactured solution mms 2:
# u = sin(t+x) sin(t+y), v = cos(t+x) cos(t+y), p = sin(t+x-y)), compiled here from the Debian
# package's source (libpetsc3.18-dev-examples) as it is, and run with options only.
# Checks:
# - training (-ts_trajectory_type gnn) on the velocity (-gnn_ts_field 0, a degree-2 Lagrange field:
#   the graph is chosen from the discretisation, GLL of degree 2) at 1 and 2 ranks: float64 loss
#   histories <= 1e-12 apart, the loss falls, the weights file carries the metadata;
# - the surrogate (-ts_type gnn) from those weights WITHOUT repeating -gnn_ts_every, -gnn_ts_field,
#   -gnn_residual or the architecture (read from the file): the program's own error monitor (L2
#   error vs the exact solution) sees every GNN step at 1 and 2 ranks, with the same errors; its
#   final velocity error is below persistence's (the initial state kept, vs the exact solution);
# - an option that contradicts the file is an error; a file without metadata (as older versions
#   wrote) still loads with the options given, and gives the same states;
# - -ts_max_time between two GNN steps: interpolate ends exactly there, matchstep (no hybrid
#   solver: ex46 is implicit) is an error before the first step, stepover passes it.
# Usage: test_plugin_flow.sh BUILD_DIR TUTORIAL_DIR
set -u
build=$1; tut=$2
lib="$build/libpetscgnn.so"
tmp=$(mktemp -d "$build/test_plugin_flow.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
passed=0; failed=0
ok() { echo "ok   $*"; passed=$((passed+1)); }
fail() { echo "FAIL $*"; failed=$((failed+1)); }

if [ ! -f "$tut/ex46.c" ]; then
  echo "FAIL: $tut/ex46.c not found: install the Debian package libpetsc3.18-dev-examples (make deps does)"; exit 1
fi
if ! mpicc -O1 -o "$tmp/ex46" "$tut/ex46.c" $(pkg-config --cflags --libs PETSc) -lm; then
  echo "FAIL: cannot compile ts/tutorials/ex46.c"; exit 1
fi
run() { # NP OUTFILE ARGS...
  local np=$1 out=$2; shift 2
  timeout 120 mpiexec --oversubscribe -n "$np" "$tmp/ex46" "$@" >"$out" 2>&1
}
# 6 x 6 quadrilaterals, Q2 velocity / Q1 pressure, 20 backward Euler steps of 0.025 (t = 0.5).
# Direct solves (MUMPS, null pivots allowed: the pressure is defined up to a constant, which ex46
# leaves to the solver) and tight Newton tolerances, so that the velocity is the same to rounding
# at 1 and 2 ranks (the pressure's constant differs between partitions: the GNN does not see it).
flow="-mms 2 -dm_plex_simplex 0 -dm_plex_box_faces 6,6 -vel_petscspace_degree 2 -pres_petscspace_degree 1
  -ts_type beuler -ts_dt 0.025 -ts_max_steps 20 -ksp_type preonly -pc_type lu -pc_factor_mat_solver_type mumps
  -mat_mumps_icntl_24 1 -snes_rtol 1e-12 -snes_atol 1e-12"
# a pair every 2 steps (10 pairs), 20 optimiser steps per pair, a residual model of the increment.
# The solver's states differ between partitions by rounding (parallel LU, assembly order) and
# training amplifies that: with LayerNorm and lr 3e-3 the 1- and 2-rank histories end 7e-10
# apart, 4e-12 with lr 1e-3; without LayerNorm and lr 1e-3, 7e-15 (measured).
gnn="-gnn_ts_field 0 -gnn_ts_every 2 -gnn_ts_train_per_sample 20 -gnn_precision float64 -gnn_hidden 16 -gnn_layers 2
  -gnn_layer_norm 0 -gnn_residual -gnn_train_normalize -gnn_train_lr 1e-3"
plugin="-dll_append $lib -ts_save_trajectory -ts_trajectory_type gnn"

for np in 1 2; do
  if run $np "$tmp/train$np.txt" $flow $plugin $gnn -gnn_train_history "$tmp/h$np.csv" -gnn_save_weights "$tmp/w$np.pt" \
    -gnn_graph_view -gnn_ts_view; then ok "ex46 trains the GNN in situ on $np rank(s)"
  else fail "ex46 with the plug-in on $np rank(s):"; tail -20 "$tmp/train$np.txt"; fi
done
grep -q "GLL degree 2" "$tmp/train2.txt" && grep -q "a pair every 2 steps, 20 optimiser steps per pair, 10 pairs" "$tmp/train2.txt" &&
  ok "the Q2 velocity went onto the GLL graph of degree 2 (chosen from the discretisation) and 10 pairs were learnt" ||
  { fail "graph or trajectory view:"; grep -iE "type|GLL|pairs" "$tmp/train2.txt" | head; }
if /usr/bin/python3 - "$tmp/h1.csv" "$tmp/h2.csv" <<'EOF'
import sys
h = [[float(l.split(",")[1]) for l in open(f) if l.strip() and l[0].isdigit()] for f in sys.argv[1:3]]
assert len(h[0]) == 200 and len(h[1]) == 200, f"history lengths {len(h[0])}, {len(h[1])} (expected 200)"
d = max(abs(a - b) / abs(a) for a, b in zip(*h))
first, last = sum(h[0][:10]) / 10, sum(h[0][-10:]) / 10
print(f"  ex46: max relative difference of the loss histories, 1 vs 2 ranks: {d:.2e}; mean loss of the first 10 steps {first:.4e}, of the last 10 {last:.4e}")
assert d <= 1e-12, d
assert last < 0.5 * first
EOF
then ok "loss histories agree at 1 and 2 ranks (float64) and the loss falls"; else fail "ex46 loss histories"; fi
if /usr/bin/python3 - "$tmp/w2.pt" <<'EOF'
import sys, torch
w = torch.load(sys.argv[1])
m = {k[5:]: float(v) for k, v in w.items() if k.startswith("meta.")}
print("  metadata:", ", ".join(f"{k} {v:g}" for k, v in sorted(m.items())))
assert m["gnn_ts_every"] == 2 and m["gnn_ts_field"] == 0 and abs(m["ts_dt"] - 0.025) < 1e-12, m
assert m["gnn_residual"] == 1 and m["gnn_hidden"] == 16 and m["gnn_layers"] == 2 and m["gnn_layer_norm"] == 0, m
# the same file as an older version wrote it: no metadata
torch.save({k: v for k, v in w.items() if not k.startswith("meta.")}, sys.argv[1][:-3] + "_old.pt")
EOF
then ok "the weights file carries k, the field, dt, -gnn_residual and the architecture"; else fail "weights metadata"; fi

# the surrogate from the 2-rank weights, options from the file: only the weights and the precision
surrogate="-dll_append $lib -ts_type gnn -gnn_load_weights $tmp/w2.pt -gnn_precision float64"
for np in 1 2; do
  if run $np "$tmp/sur$np.txt" $flow $surrogate -ts_view; then ok "ex46 with -ts_type gnn on $np rank(s), no training option repeated"
  else fail "ex46 with -ts_type gnn on $np rank(s):"; tail -20 "$tmp/sur$np.txt"; fi
done
if [ "$(grep -c "^Timestep: " "$tmp/sur2.txt")" = 11 ] && grep -q "^Timestep: 0020 time = 0.5 " "$tmp/sur2.txt" &&
  grep -q "GNN surrogate: one GNN step per 2 solver steps of dt; 10 steps taken" "$tmp/sur2.txt"; then
  ok "ex46's own error monitor sees the 10 GNN steps (0, 2, ..., 20; k = 2 from the file)"
else fail "monitor or view of the surrogate run:"; grep -E "^Timestep|GNN surrogate" "$tmp/sur2.txt" | head -12; fi
# 1 and 2 ranks: the same errors [velocity, pressure] at every GNN step, as printed (3 digits; ex46
# writes its states in a partition-dependent order, so they are not compared value by value)
if [ "$(grep "^Timestep: " "$tmp/sur1.txt")" = "$(grep "^Timestep: " "$tmp/sur2.txt")" ]; then
  ok "the surrogate's 11 monitor lines are the same at 1 and 2 ranks"
else fail "the surrogate differs between 1 and 2 ranks:"; diff <(grep "^Timestep: " "$tmp/sur1.txt") <(grep "^Timestep: " "$tmp/sur2.txt") | head; fi
# final velocity errors vs the exact solution: the solver's, the surrogate's at 1 and 2 ranks (the
# monitor prints 3 digits), persistence's (the initial state kept: ||u(0) - u(0.5)||, by quadrature)
if /usr/bin/python3 - "$tmp/train1.txt" "$tmp/sur1.txt" "$tmp/sur2.txt" <<'EOF'
import re, sys
import numpy as np
def final(f):
    e = [float(m.group(1)) for m in re.finditer(r"^Timestep: 0020 time = 0.5\s+L_2 Error: \[([^,]+),", open(f).read(), re.M)]
    assert len(e) == 1, (f, e)
    return e[0]
solver, sur1, sur2 = (final(f) for f in sys.argv[1:4])
x, w = np.polynomial.legendre.leggauss(40)
x, w = (x + 1) / 2, w / 2
X, Y, W = *np.meshgrid(x, x), np.outer(w, w)
u = lambda t: (np.sin(t + X) * np.sin(t + Y), np.cos(t + X) * np.cos(t + Y))
a, b = u(0.0), u(0.5)
pers = float(np.sqrt(np.sum(W * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2))))
print(f"  ex46 at t = 0.5, velocity L2 error vs the exact solution: solver {solver:.3g}, GNN surrogate {sur1:.3g} "
      f"(1 rank) / {sur2:.3g} (2 ranks), persistence {pers:.3g}; surrogate / persistence {sur1 / pers:.3f}; "
      f"so the surrogate is {sur1 - solver:.3g} to {sur1 + solver:.3g} from the solver's state")
assert sur1 == sur2, "1 and 2 ranks differ"
assert sur1 < pers, "not better than persistence"
EOF
then ok "surrogate: final velocity error below persistence's, the same at 1 and 2 ranks"; else fail "surrogate final error"; fi

expect_error() { # NAME REGEX NP ARGS...
  local name=$1 regex=$2 np=$3 rc; shift 3
  timeout 120 mpiexec --oversubscribe -n "$np" "$tmp/ex46" "$@" >"$tmp/err.txt" 2>&1; rc=$?
  if [ $rc -eq 124 ]; then fail "$name: hang"; return; fi
  if [ $rc -eq 0 ]; then fail "$name: exit code 0"; return; fi
  if grep -Eq "PETSC ERROR: .*($regex)" "$tmp/err.txt"; then ok "$name (exit $rc): $(grep -E "PETSC ERROR: .*($regex)" "$tmp/err.txt" | head -1 | cut -c1-200)"
  else fail "$name: no PETSc error matching '$regex'"; head -20 "$tmp/err.txt"; fi
}
# metadata: a contradicting option is an error; an old file loads with the options given
expect_error contradicting_every "gnn_ts_every 3\\.? contradicts the weights file .*trained with -gnn_ts_every 2" 2 $flow $surrogate -gnn_ts_every 3
expect_error contradicting_dt "ts_dt 0.05 contradicts the weights file" 2 $flow $surrogate -ts_dt 0.05
if run 2 "$tmp/old.txt" $flow -dll_append $lib -ts_type gnn -gnn_load_weights "$tmp/w2_old.pt" $gnn &&
  [ "$(grep "^Timestep: 0020" "$tmp/old.txt")" = "$(grep "^Timestep: 0020" "$tmp/sur2.txt")" ]; then
  ok "a weights file without metadata loads with the options given, same final state"
else fail "weights file without metadata:"; tail -5 "$tmp/old.txt"; fi
# a vertex graph cannot carry the Q2 velocity (its edge and cell values would be left alone)
expect_error vertex_graph_on_q2 "field 0 is a degree-2 Lagrange field, which needs the graph type gll" 1 $flow $plugin $gnn -gnn_graph_type vertex

# -ts_max_time 0.49, between GNN steps (0.45 and 0.5): interpolate ends at 0.49 (the program's
# monitor shows it as step -1); matchstep cannot shrink a GNN step and ex46 has no explicit solver
# for the hybrid mode: an error before the first step; stepover ends at 0.5
if run 2 "$tmp/interp.txt" $flow $surrogate -ts_max_steps 100 -ts_max_time 0.49 -ts_exact_final_time interpolate &&
  grep -q "^Timestep: -001 time = 0.49 " "$tmp/interp.txt" && grep -q "^Timestep: 0020 time = 0.5 " "$tmp/interp.txt"; then
  ok "-ts_exact_final_time interpolate: ends at -ts_max_time 0.49 within the last GNN step"
else fail "interpolate:"; grep "^Timestep" "$tmp/interp.txt" | tail -3; tail -3 "$tmp/interp.txt"; fi
expect_error matchstep_without_solver "matchstep: one GNN step is k dt = 0.05 and cannot shrink" 2 $flow $surrogate -ts_max_steps 100 -ts_max_time 0.49 -ts_exact_final_time matchstep
if run 1 "$tmp/match.txt" $flow $surrogate -ts_max_steps 100 -ts_max_time 0.5 -ts_exact_final_time matchstep &&
  grep -q "^Timestep: 0020 time = 0.5 " "$tmp/match.txt"; then ok "matchstep with -ts_max_time reached in whole GNN steps: runs"
else fail "matchstep, max time a multiple of k dt:"; tail -5 "$tmp/match.txt"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
