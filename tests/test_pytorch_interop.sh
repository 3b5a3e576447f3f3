#!/bin/bash
# PyTorch interoperability: petscgnn (example 1 on 2 ranks, float64) and the plain-PyTorch model of
# share/python/meshgraphnet.py must be the same model, in both directions:
#   cpp2py: ex1's weights (-gnn_save_weights) loaded in Python give ex1's outputs;
#   py2cpp: a Python model's weights (its own seed, torch.save(dict(model.state_dict()))) loaded in
#           ex1 (-gnn_load_weights) give the Python model's outputs;
# both within max|diff| / max|y| <= 1e-12, on (a) a 2-D quad box, (b) the Gmsh triangle mesh,
# (c) a GLL p=3 graph of a 3-D hex box 2x2x2. Also a negative control: a weights file with one
# entry perturbed must make cpp2py fail. Never skips; exits non-zero if anything fails.
#
# Usage: test_pytorch_interop.sh BUILD_DIR SOURCE_DIR   (PYTHON overrides /usr/bin/python3)
set -u -o pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
SRC=$(cd "$2" && pwd) || exit 2
PY=${PYTHON:-/usr/bin/python3}
EX1=$BUILD/examples/ex1
INTEROP=$SRC/share/python/interop.py
MPIEXEC=${MPIEXEC:-mpiexec}
export OMP_NUM_THREADS=1

[ -x "$EX1" ] || { echo "FAIL: $EX1 not built"; exit 1; }
"$PY" -c "import torch" || { echo "FAIL: $PY cannot import torch"; exit 1; }

TMP=$(mktemp -d "$BUILD/pytorch_interop.XXXXXX") || exit 1
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# run_ex1 LOG ARGS...: example 1 on 2 ranks in float64
run_ex1() {
  local log=$1
  shift
  if ! timeout 120 "$MPIEXEC" --oversubscribe -n 2 "$EX1" -gnn_precision float64 "$@" >"$log" 2>&1; then
    cat "$log"
    return 1
  fi
}

# run_case NAME MESH_OPTIONS...
run_case() {
  local name=$1
  shift
  local d=$TMP/$name
  mkdir -p "$d"
  echo "=== $name: $*"
  # cpp2py: petscgnn's initial weights (seed 12) and outputs -> Python
  if ! run_ex1 "$d/cpp.log" "$@" -gnn_save_weights "$d/cpp.pt" -gnn_output_csv "$d/cpp_nodes.csv" -gnn_output_edges "$d/cpp_edges.csv"; then
    fail "$name: ex1 (seed weights)"
    return
  fi
  "$PY" "$INTEROP" cpp2py --nodes "$d/cpp_nodes.csv" --edges "$d/cpp_edges.csv" --weights "$d/cpp.pt" || fail "$name: cpp2py"

  # py2cpp: the Python model's weights -> ex1 -> compare with the Python model
  if ! "$PY" "$INTEROP" py2cpp save --like "$d/cpp.pt" --weights "$d/py.pt"; then
    fail "$name: py2cpp save"
    return
  fi
  if ! run_ex1 "$d/py.log" "$@" -gnn_load_weights "$d/py.pt" -gnn_output_csv "$d/py_nodes.csv" -gnn_output_edges "$d/py_edges.csv"; then
    fail "$name: ex1 -gnn_load_weights"
    return
  fi
  cmp -s "$d/cpp_edges.csv" "$d/py_edges.csv" || fail "$name: the two runs of ex1 wrote different graphs"
  "$PY" "$INTEROP" py2cpp check --nodes "$d/py_nodes.csv" --edges "$d/py_edges.csv" --weights "$d/py.pt" || fail "$name: py2cpp"
}

TWO_PI=6.283185307179586
run_case quad2d -dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 6,5 -dm_plex_box_upper $TWO_PI,$TWO_PI
run_case gmsh_triangles -dm_plex_filename "$SRC/share/meshes/channel-hole.msh"
run_case gll3_hex3d -dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 2,2,2 -dm_plex_box_upper $TWO_PI,$TWO_PI,$TWO_PI \
  -gnn_graph_type gll -gnn_graph_degree 3

# Negative control: one weight perturbed by 1e-4 must be detected
echo "=== negative control: perturbed weight"
if [ -f "$TMP/quad2d/cpp.pt" ]; then
  if "$PY" -c "
import sys, torch
s = torch.load(sys.argv[1])
s['processor.3.node_mlp.linear.0.weight'][0, 0] += 1e-4
torch.save(s, sys.argv[2])" "$TMP/quad2d/cpp.pt" "$TMP/quad2d/corrupt.pt"; then
    "$PY" "$INTEROP" cpp2py --nodes "$TMP/quad2d/cpp_nodes.csv" --edges "$TMP/quad2d/cpp_edges.csv" --weights "$TMP/quad2d/corrupt.pt"
    rc=$?
    if [ $rc -eq 1 ]; then echo "negative control: detected (as it must be)"; else fail "negative control: cpp2py exit $rc, expected 1"; fi
  else
    fail "negative control: cannot write the perturbed file"
  fi
else
  fail "negative control: no weights from case quad2d"
fi

if [ $failures -ne 0 ]; then
  echo "$failures failure(s); files kept in $TMP"
  exit 1
fi
rm -rf "$TMP"
echo "all PyTorch interoperability checks passed"
