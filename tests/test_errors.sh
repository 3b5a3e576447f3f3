#!/usr/bin/env bash
# Bad input to examples 1 and 2 on 2 ranks: each case must end with a non-zero exit, a PETSc error
# message that says what is wrong, and no hang (each run is limited to 60 s). PETSc prints an error
# of every rank once, from rank 0: that each rank returns the error is checked in test_training
# (NonFinite.*, Outputs.*). Outputs that cannot be written leave no temporary file; non-finite
# training samples stop training with an error, or are skipped with -gnn_train_nonfinite skip.
# Unused (misspelt) options are reported at the end of a run.
# Usage: test_errors.sh BUILD_DIR SOURCE_DIR
set -u
build=$1; src=$2
ex1="$build/examples/ex1"; ex2="$build/examples/ex2"
tmp=$(mktemp -d "$build/test_errors.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
box="-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 3,3"
passed=0; failed=0

# expect_error NAME REGEX ARGS...: run ex1 (or $prog) on 2 ranks, expect failure with REGEX in the
# output
prog=$ex1
expect_error() {
  local name=$1 regex=$2; shift 2
  local out rc
  out=$(timeout 60 mpiexec --oversubscribe -n 2 "$prog" "$@" 2>&1); rc=$?
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

# Outputs: written to FILE.tmp and renamed when complete. A directory that does not exist, or a
# directory in the file's place (the temporary file is written, the rename fails), is an error, and
# no temporary file is left behind.
out="$tmp/out"; mkdir -p "$out/adir"
expect_error csv_no_directory     "Cannot write the csv file .*: No such file or directory"     $box -gnn_output_csv "$out/no/x.csv"
expect_error vtu_no_directory     "Cannot write the vtk file .*: No such file or directory"     $box -gnn_output_view "vtk:$out/no/x.vtu"
expect_error hdf5_no_directory    "Cannot write the hdf5 file .*no/x.h5: the writer failed"      $box -gnn_output_view "hdf5:$out/no/x.h5"
expect_error edges_no_directory   "Cannot write the edge file .*: No such file or directory"    $box -gnn_output_edges "$out/no/e.csv"
expect_error weights_no_directory "Cannot write the weights file .*: No such file or directory" $box -gnn_save_weights "$out/no/w.pt"
expect_error csv_onto_directory   "Cannot write the csv file .*: Is a directory"                $box -gnn_output_csv "$out/adir"
expect_error vtu_onto_directory   "Cannot write the vtk file .*: Is a directory"                $box -gnn_output_view "vtk:$out/adir"
expect_error hdf5_onto_directory  "Cannot write the hdf5 file .*: Is a directory"               $box -gnn_output_view "hdf5:$out/adir"
expect_error edges_onto_directory "Cannot write the edge file .*: Is a directory"               $box -gnn_output_edges "$out/adir"
# the same outputs written where they can be: complete files under their names, nothing else
if timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_output_csv "$out/f.csv" -gnn_output_view "vtk:$out/f.vtu" -gnn_output_edges "$out/e.csv" -gnn_save_weights "$out/w.pt" >/dev/null 2>&1 &&
   timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_output_view "hdf5:$out/f.h5" >/dev/null 2>&1 &&
   [ "$(tail -1 "$out/f.vtu")" = "</VTKFile>" ] && [ "$(wc -l < "$out/f.csv")" -eq 17 ] && [ -s "$out/e.csv" ] && [ -s "$out/w.pt" ] && [ -s "$out/f.h5" ]; then
  echo "ok   outputs_written: $(cd "$out" && ls | tr '\n' ' ')"; passed=$((passed+1))
else
  echo "FAIL outputs_written: $(ls "$out")"; failed=$((failed+1))
fi
left=$(find "$tmp" -name '*.tmp')
if [ -z "$left" ]; then echo "ok   no_temporary_files"; passed=$((passed+1)); else echo "FAIL temporary files left behind: $left"; failed=$((failed+1)); fi

# Training samples with an Inf (example 2, snapshot files, the target of sample 1 of 4): the default
# policy stops at step 1; -gnn_train_nonfinite skip skips steps 1 and 5 of 8 (each reported by the
# monitor, the history keeps their losses) and ends normally. Every sample NaN (-gnn_task_dt nan)
# with -gnn_train_nonfinite_max 1: the second non-finite step in a row is an error.
prog=$ex2
timeout 60 mpiexec --oversubscribe -n 2 "$ex2" $box -gnn_task_samples 4 -gnn_task_write "$tmp/s" -gnn_train_steps 0 >/dev/null 2>&1 || { echo "FAIL: ex2 -gnn_task_write"; exit 1; }
/usr/bin/python3 - "$tmp/s_y_1.bin" <<'PY' || { echo "FAIL: could not write the Inf sample"; exit 1; }
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack(">i", b[4:8])[0]   # PETSc binary Vec: class id, length, big-endian doubles
b[8 + 8 * (n // 2):16 + 8 * (n // 2)] = struct.pack(">d", float("inf"))
open(sys.argv[1], "wb").write(b)
PY
files="-gnn_train_inputs $tmp/s_x_0.bin,$tmp/s_x_1.bin,$tmp/s_x_2.bin,$tmp/s_x_3.bin -gnn_train_targets $tmp/s_y_0.bin,$tmp/s_y_1.bin,$tmp/s_y_2.bin,$tmp/s_y_3.bin"
expect_error nonfinite_error      "Training step 1 \(sample 1\): the loss .* is not finite" $box $files -gnn_train_steps 8 -gnn_train_history "$tmp/h_error.csv"
expect_error nonfinite_skip_limit "Training step 1 \(sample 1\): .* 2 steps in a row, more than -gnn_train_nonfinite_max 1" $box -gnn_task_samples 4 -gnn_task_dt nan -gnn_train_steps 8 -gnn_train_nonfinite skip -gnn_train_nonfinite_max 1
skiplog=$(timeout 60 mpiexec --oversubscribe -n 2 "$ex2" $box $files -gnn_train_steps 8 -gnn_train_nonfinite skip -gnn_train_monitor -gnn_train_history "$tmp/h_skip.csv" -gnn_train_view 2>&1); rc=$?
nan_rows=$(grep -ciE '^[0-9]+,-?(nan|inf)' "$tmp/h_skip.csv")
if [ $rc -eq 0 ] && [ "$(grep -c 'SKIPPED (not finite)' <<<"$skiplog")" -eq 2 ] && grep -q "2 step(s) skipped" <<<"$skiplog" &&
   grep -q "non-finite loss or gradient: skip the step" <<<"$skiplog" && [ "$(wc -l < "$tmp/h_skip.csv")" -eq 9 ] && [ "$nan_rows" -eq 2 ]; then
  echo "ok   nonfinite_skip: $(grep 'SKIPPED' <<<"$skiplog" | head -1)"; passed=$((passed+1))
else
  echo "FAIL nonfinite_skip (exit $rc, $nan_rows non-finite history rows); output was:"; tail -20 <<<"$skiplog"; failed=$((failed+1))
fi
if [ "$(wc -l < "$tmp/h_error.csv")" -eq 2 ]; then echo "ok   nonfinite_error_history: the stopped run recorded step 0 only"; passed=$((passed+1))
else echo "FAIL nonfinite_error_history: $(cat "$tmp/h_error.csv")"; failed=$((failed+1)); fi

# Unused options (a misspelt -gnn_hiden 64 is otherwise ignored without a word): the examples warn
# at the end of a run that succeeds; -options_left gives PETSc's own report instead, -options_left 0
# silences both; a run without unused options says nothing (options that PETSc reads only in
# PetscFinalize, such as -options_view, count as used).
# expect_run NAME PROG PRESENT_REGEX ABSENT_REGEX ARGS...: exit 0, PRESENT found (unless empty), ABSENT not
expect_run() {
  local name=$1 p=$2 present=$3 absent=$4; shift 4
  local out rc
  out=$(timeout 60 mpiexec --oversubscribe -n 2 "$p" "$@" 2>&1); rc=$?
  if [ $rc -ne 0 ] || { [ -n "$present" ] && ! grep -Eq -- "$present" <<<"$out"; } || grep -Eq -- "$absent" <<<"$out"; then
    echo "FAIL $name (exit $rc): expected '$present', not '$absent'; output was:"; tail -8 <<<"$out"; failed=$((failed+1)); return
  fi
  echo "ok   $name: $( { [ -n "$present" ] && grep -E -- "$present" <<<"$out" | head -1; } || echo "no '$absent'")"; passed=$((passed+1))
}
warned="WARNING! Option -"; petsc_left="Option left: name:"
expect_run unused_option_ex1    "$ex1" "WARNING! Option -gnn_hiden 64 was set but not used" "$petsc_left" $box -gnn_hiden 64
expect_run unused_option_ex2    "$ex2" "WARNING! Option -gnn_train_stesp 3 was set but not used" "$petsc_left" $box -gnn_train_steps 2 -gnn_train_stesp 3
expect_run unused_options_left  "$ex1" "Option left: name:-gnn_hiden value: 64" "$warned" $box -gnn_hiden 64 -options_left
expect_run unused_options_left0 "$ex1" "" "$warned|$petsc_left" $box -gnn_hiden 64 -options_left 0
expect_run no_unused_options    "$ex1" "" "$warned|$petsc_left" $box -gnn_hidden 16 -gnn_view -options_view -log_view :/dev/null

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
