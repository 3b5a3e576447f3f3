#!/usr/bin/env bash
# Bad input to example 1 on 2 ranks: each case must end with a non-zero exit, a PETSc error
# message that says what is wrong, and no hang (each run is limited to 60 s).
# Usage: test_errors.sh BUILD_DIR SOURCE_DIR
set -u
build=$1; src=$2
ex1="$build/examples/ex1"
tmp=$(mktemp -d "$build/test_errors.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
box="-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 3,3"
passed=0; failed=0

# expect_error NAME REGEX ARGS...: run ex1 on 2 ranks, expect failure with REGEX in the output
expect_error() {
  local name=$1 regex=$2; shift 2
  local out rc
  out=$(timeout 60 mpiexec --oversubscribe -n 2 "$ex1" "$@" 2>&1); rc=$?
  if [ $rc -eq 124 ]; then echo "FAIL $name: hang (killed after 60 s)"; failed=$((failed+1)); return; fi
  if [ $rc -eq 0 ]; then echo "FAIL $name: exit code 0"; failed=$((failed+1)); return; fi
  if ! grep -Eq "PETSC ERROR: .*($regex)" <<<"$out"; then
    echo "FAIL $name: no PETSc error matching '$regex'; output was:"; head -20 <<<"$out"; failed=$((failed+1)); return
  fi
  echo "ok   $name (exit $rc): $(grep -E "PETSC ERROR: .*($regex)" <<<"$out" | head -1)"
  passed=$((passed+1))
}

# the valid runs these cases are variations of must succeed (so the cases test what they say)
if ! timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_hidden 16 -gnn_save_weights "$tmp/h16.pt" >/dev/null 2>&1 ||
   ! timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_layers 2 -gnn_save_weights "$tmp/l2.pt" >/dev/null 2>&1 ||
   ! timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_hidden 16 -gnn_load_weights "$tmp/h16.pt" >/dev/null 2>&1; then
  echo "FAIL: the valid reference runs failed"; exit 1
fi

printf '$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n12\n1 0 0\ngarbage\n' > "$tmp/corrupt.msh"
head -c 3000 "$src/share/meshes/channel-hole.msh" > "$tmp/truncated.msh"
echo "not a pickle" > "$tmp/garbage.pt"
/usr/bin/python3 -c "import collections, torch; torch.save(collections.OrderedDict(a=torch.zeros(1)), '$tmp/ordered.pt')" || { echo "FAIL: python3-torch"; exit 1; }

expect_error missing_mesh_file     "Cannot open|Unable to open"         -dm_plex_filename "$tmp/missing.msh"
expect_error corrupt_mesh_file     "Conversion error|Invalid|Unexpected" -dm_plex_filename "$tmp/corrupt.msh"
expect_error truncated_mesh_file   "Insufficient data|Unexpected|Invalid" -dm_plex_filename "$tmp/truncated.msh"
expect_error gll_on_simplices      "needs a mesh of quadrilaterals"     -dm_plex_filename "$src/share/meshes/channel-hole.msh" -gnn_graph_type gll
expect_error gll_degree_zero       "degree must be in \\[1, 64\\]"        $box -gnn_graph_type gll -gnn_graph_degree 0
expect_error gll_degree_huge       "degree must be in \\[1, 64\\], got 1300" $box -gnn_graph_type gll -gnn_graph_degree 1300
expect_error hidden_zero           "gnn_hidden must be in \\[1, 65536\\]"  $box -gnn_hidden 0
expect_error hidden_huge           "gnn_hidden must be in .* got 2147483647" $box -gnn_hidden 2147483647
expect_error layers_negative       "gnn_layers must be in \\[0, 1024\\]"   $box -gnn_layers -1
expect_error threads_zero          "gnn_threads must be in \\[1, 1024\\]"  $box -gnn_threads 0
expect_error threads_huge          "gnn_threads must be in .* got 100000" $box -gnn_threads 100000
expect_error da_graph_on_plex      "needs a DMDA, not plex"               $box -gnn_graph_type da
expect_error box_faces_zero        "Invalid number|out of range|must be positive" $box -dm_plex_box_faces 0,3
expect_error unknown_graph_type    "Unknown GNNGraph type"              $box -gnn_graph_type foo
expect_error weights_missing_file  "Cannot open the weights file"       $box -gnn_load_weights "$tmp/missing.pt"
expect_error weights_garbage       "cannot be used"           $box -gnn_load_weights "$tmp/garbage.pt"
expect_error weights_ordered_dict  "OrderedDict"                        $box -gnn_load_weights "$tmp/ordered.pt"
expect_error weights_wrong_shape   "has shape"                          $box -gnn_load_weights "$tmp/h16.pt"
expect_error weights_missing_names "entry .* is missing"                         $box -gnn_load_weights "$tmp/l2.pt"
expect_error weights_extra_names   "does not have"                      $box -gnn_layers 1 -gnn_load_weights "$tmp/l2.pt"
# a device this build or machine does not have (CI builds without -DGNN_GPU; a GPU build without a GPU fails the same way)
expect_error device_unavailable    "no GPU kernels|sees no GPU|kernels are for" $box -gnn_device hip
expect_error device_unknown        "Unknown option foo for -gnn_device" $box -gnn_device foo

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
