#!/usr/bin/env bash
# Bad input to examples 1 and 2 on 2 ranks (the reliability cases of issue 13 at 1 and 2 ranks):
# each case must end with a non-zero exit, a PETSc error message that says what is wrong, and no
# hang (each run is limited to 60 s). PETSc prints an error of every rank once, from rank 0: that
# each rank returns the error is checked in test_training (NonFinite.*, Outputs.*). Outputs that
# cannot be written leave no temporary file. Non-finite values are refused where they enter (mesh
# coordinates, data files, weights, options); a loss that overflows stops training with an error,
# or is skipped with -gnn_train_nonfinite skip. Integer options past PetscInt (the library's and
# the examples'), a Gmsh element on a missing node (ASCII and binary files), zip files cut short
# and a memory limit below the estimate are errors; a write that fails on the way (a file size
# limit) leaves nothing behind. Unused (misspelt) options are reported at the end of a run.
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
  out=$(timeout 60 mpiexec --oversubscribe -n "${NP:-2}" "$prog" "$@" 2>&1); rc=$?
  if [ $rc -eq 124 ]; then echo "FAIL $name: hang (killed after 60 s)"; failed=$((failed+1)); return; fi
  if [ $rc -eq 0 ]; then echo "FAIL $name: exit code 0"; failed=$((failed+1)); return; fi
  if ! grep -Eq "PETSC ERROR: .*($regex)" <<<"$out"; then
    echo "FAIL $name: no PETSc error matching '$regex'; output was:"; head -20 <<<"$out"; failed=$((failed+1)); return
  fi
  echo "ok   $name (exit $rc): $(grep -E "PETSC ERROR: .*($regex)" <<<"$out" | head -1)"
  passed=$((passed+1))
}

# expect_error12 NAME REGEX ARGS...: the same at 1 and at 2 ranks (NAME_np1, NAME_np2)
expect_error12() { local name=$1; shift; NP=1 expect_error "${name}_np1" "$@"; NP=2 expect_error "${name}_np2" "$@"; }

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

# a mesh coordinate that is not finite: every graph's coordinates are checked at set-up
printf '$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n4\n1 0 0 0\n2 1 0 0\n3 1 nan 0\n4 0 1 0\n$EndNodes\n$Elements\n2\n1 2 2 0 1 1 2 3\n2 2 2 0 1 1 3 4\n$EndElements\n' > "$tmp/nan.msh"
expect_error12 mesh_coordinate_nan   "The mesh or graph coordinates are not finite: node [0-9]+ \\(global number\\) has coordinate 1 = nan" -dm_plex_filename "$tmp/nan.msh"
# an element that references a node the file does not have (PETSc's reader would crash): refused
# by GNNGmshCheckFile before PETSc reads the file, formats 2.2 and 4.1
printf '$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n4\n1 0 0 0\n2 1 0 0\n3 1 1 0\n4 0 1 0\n$EndNodes\n$Elements\n2\n1 2 2 0 1 1 2 3\n2 2 2 0 1 1 3 9\n$EndElements\n' > "$tmp/missing_node.msh"
printf '$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 4 1 4\n2 1 0 4\n1\n2\n3\n4\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n$EndNodes\n$Elements\n1 2 1 2\n2 1 2 2\n1 1 2 3\n2 1 3 7\n$EndElements\n' > "$tmp/missing_node41.msh"
expect_error12 gmsh_missing_node     "Gmsh file .*missing_node.msh: element 2 references node 9, which the file does not define" -dm_plex_filename "$tmp/missing_node.msh"
expect_error12 gmsh41_missing_node   "Gmsh file .*missing_node41.msh: element 2 references node 7, which the file does not define" -dm_plex_filename "$tmp/missing_node41.msh"
# binary Gmsh files (2.2 and 4.1) are checked too: the meshes written by gmsh -bin read as their
# ASCII originals; crafted binary squares whose second triangle uses a node the file does not have
# are refused; a binary file the check cannot follow (another byte order) is refused as such
for f in msh22 msh41; do
  gmsh "$src/share/meshes/channel-hole.msh" -save -bin -format $f -o "$tmp/bin-$f.msh" >/dev/null 2>&1 || { echo "FAIL: gmsh could not write a binary mesh"; exit 1; }
  if timeout 60 mpiexec --oversubscribe -n 2 "$ex1" -dm_plex_filename "$tmp/bin-$f.msh" >/dev/null 2>&1; then echo "ok   gmsh_binary_$f: channel-hole.msh as gmsh -bin -format $f reads"; passed=$((passed+1))
  else echo "FAIL gmsh_binary_$f: ex1 failed on the binary mesh"; failed=$((failed+1)); fi
done
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL: could not write the binary Gmsh files"; exit 1; }
import struct, sys
tmp = sys.argv[1]
xyz = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
def write(name, version, bad, one=1):
    tris = [(1, 2, 3), (1, 3, bad)]
    out = b"$MeshFormat\n" + version + b" 1 8\n" + struct.pack("<i", one) + b"\n$EndMeshFormat\n"
    if version == b"2.2":
        nodes = b"".join(struct.pack("<iddd", k + 1, *p) for k, p in enumerate(xyz))
        elems = struct.pack("<iii", 2, 2, 2) + b"".join(struct.pack("<6i", k + 1, 1, 1, *t) for k, t in enumerate(tris))
        out += b"$Nodes\n4\n" + nodes + b"\n$EndNodes\n$Elements\n2\n" + elems + b"\n$EndElements\n"
    else:
        ent = struct.pack("<4Q", 0, 0, 1, 0) + struct.pack("<i6dQQ", 1, 0, 0, 0, 1, 1, 0, 0, 0)
        nodes = struct.pack("<4Q", 1, 4, 1, 4) + struct.pack("<iiiQ", 2, 1, 0, 4) + struct.pack("<4Q", 1, 2, 3, 4) + b"".join(struct.pack("<3d", *p) for p in xyz)
        elems = struct.pack("<4Q", 1, 2, 1, 2) + struct.pack("<iiiQ", 2, 1, 2, 2) + b"".join(struct.pack("<4Q", k + 1, *t) for k, t in enumerate(tris))
        out += b"$Entities\n" + ent + b"\n$EndEntities\n$Nodes\n" + nodes + b"\n$EndNodes\n$Elements\n" + elems + b"\n$EndElements\n"
    open(tmp + "/" + name, "wb").write(out)
write("bin22_missing_node.msh", b"2.2", 9)
write("bin41_missing_node.msh", b"4.1", 7)
write("bin41_swapped.msh", b"4.1", 4, one=1 << 24)
PY
expect_error12 gmsh_bin22_missing_node "Gmsh file .*bin22_missing_node.msh: element 2 references node 9, which the file does not define" -dm_plex_filename "$tmp/bin22_missing_node.msh"
expect_error12 gmsh_bin41_missing_node "Gmsh file .*bin41_missing_node.msh: element 2 references node 7, which the file does not define" -dm_plex_filename "$tmp/bin41_missing_node.msh"
expect_error gmsh_bin_byte_order "Gmsh file .*bin41_swapped.msh: it is binary with another byte order" -dm_plex_filename "$tmp/bin41_swapped.msh"
expect_error missing_mesh_file     "Cannot open|Unable to open"         -dm_plex_filename "$tmp/missing.msh"
expect_error corrupt_mesh_file     "Conversion error|Invalid|Unexpected" -dm_plex_filename "$tmp/corrupt.msh"
expect_error truncated_mesh_file   "Insufficient data|Unexpected|Invalid" -dm_plex_filename "$tmp/truncated.msh"
expect_error gll_on_simplices      "needs a mesh of quadrilaterals"     -dm_plex_filename "$src/share/meshes/channel-hole.msh" -gnn_graph_type gll
expect_error gll_degree_zero       "degree must be in \\[1, 64\\]"        $box -gnn_graph_type gll -gnn_graph_degree 0
expect_error gll_degree_huge       "degree must be in \\[1, 64\\], got 1300" $box -gnn_graph_type gll -gnn_graph_degree 1300
expect_error hidden_zero           "gnn_hidden must be in \\[1, 65536\\]"  $box -gnn_hidden 0
expect_error hidden_huge           "gnn_hidden must be in .* got 2147483647" $box -gnn_hidden 2147483647
expect_error layers_negative       "gnn_layers must be in \\[0, 1024\\]"   $box -gnn_layers -1
expect_error threads_zero          "gnn_threads must be in \\[1, [0-9]+\\] \\(at most 4 per core" $box -gnn_threads 0
expect_error gpu_tile              "gnn_gpu_tile must be 1, 2 or 4, got 3" $box -gnn_gpu_tile 3
expect_error gpu_backward_blocks   "gnn_gpu_backward_blocks must be 2 or 3, got 4" $box -gnn_gpu_backward_blocks 4
expect_error gpu_forward_rows      "gnn_gpu_forward_rows must be 1 or 2, got 0" $box -gnn_gpu_forward_rows 0
expect_error gpu_shared_kib       "gnn_gpu_backward_shared_kib must be 1 to 1024, got 0" $box -gnn_gpu_backward_shared_kib 0
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
# integers past PetscInt's range (PETSc 3.18 would wrap 2^32 + 32 to 32), the GLL degree's limit
# from the node count it implies
expect_error12 hidden_wraps          "Option -gnn_hidden 4294967328 is out of the range of PetscInt" $box -gnn_hidden 4294967328
expect_error12 layers_wraps          "Option -gnn_layers -4294967295 is out of the range of PetscInt" $box -gnn_layers -4294967295
expect_error12 seed_too_large        "Option -gnn_seed 99999999999999999999 is out of the range" $box -gnn_seed 99999999999999999999
expect_error12 gll_degree_nodes      "GLL graph degree 64 on 4096 cells \\(3-D\\) gives about .* past PetscInt's range" -dm_plex_dim 3 -dm_plex_simplex 0 -dm_plex_box_faces 16,16,16 -gnn_graph_type gll -gnn_graph_degree 64
# weights: non-finite values, non-positive standard deviations, zip structures cut short (LibTorch's
# zip reader would read past the end of such a buffer): refused before the model changes
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL: could not craft the weights files"; exit 1; }
import sys, torch
tmp = sys.argv[1]
good = torch.load(tmp + "/h16.pt")
def crafted(name, key, fn):
    d = {k: v.clone() for k, v in good.items()}
    fn(d[key])
    torch.save(d, tmp + "/" + name)
crafted("w_inf.pt", "processor.1.edge_mlp.linear.0.weight", lambda t: t.view(-1).__setitem__(7, float("inf")))
crafted("w_nanmean.pt", "output_mean", lambda t: t.__setitem__(0, float("nan")))
crafted("w_std0.pt", "input_std", lambda t: t.__setitem__(1, 0.0))
crafted("w_stdneg.pt", "output_std", lambda t: t.__setitem__(0, -2.0))
b = open(tmp + "/h16.pt", "rb").read()
for n in (5000, 20000):
    open(tmp + "/w_cut%d.pt" % n, "wb").write(b[:n])
PY
expect_error12 weights_inf           "entry processor.1.edge_mlp.linear.0.weight holds a non-finite value \\(inf\\) at flat index 7" $box -gnn_hidden 16 -gnn_load_weights "$tmp/w_inf.pt"
expect_error12 weights_nan_mean      "entry output_mean holds a non-finite value \\(nan\\) at flat index 0" $box -gnn_hidden 16 -gnn_load_weights "$tmp/w_nanmean.pt"
expect_error12 weights_std_zero      "entry input_std\\[1\\] = 0 is not positive"  $box -gnn_hidden 16 -gnn_load_weights "$tmp/w_std0.pt"
expect_error12 weights_std_negative  "entry output_std\\[0\\] = -2 is not positive" $box -gnn_hidden 16 -gnn_load_weights "$tmp/w_stdneg.pt"
# found by make fuzz (fuzz_weights): a pickle string length of 2^32 - 1 in a 27 kB file made
# LibTorch reserve 4 GiB before reading; the length is checked against the pickle's size first
expect_error12 fuzz_weights_reserve "cannot be used: its pickle announces 4294967295 bytes at byte 1267, past its end \\(6619 bytes\\)" -dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 3,3 -gnn_hidden 4 -gnn_layers 1 -gnn_precision float64 -gnn_load_weights "$src/tests/data/fuzz_weights_reserve.pt"
expect_error12 weights_cut_5000      "cannot be used: it is not a zip archive, or it is truncated" $box -gnn_hidden 16 -gnn_load_weights "$tmp/w_cut5000.pt"
expect_error12 weights_cut_20000     "cannot be used: it is not a zip archive, or it is truncated" $box -gnn_hidden 16 -gnn_load_weights "$tmp/w_cut20000.pt"

# Outputs: written to FILE.tmp and renamed when complete. A directory that does not exist, or a
# directory in the file's place (the temporary file is written, the rename fails), is an error, and
# no temporary file is left behind.
out="$tmp/out"; mkdir -p "$out/adir"
expect_error csv_no_directory     "Cannot write the csv file .*: No such file or directory"     $box -gnn_output_csv "$out/no/x.csv"
expect_error vtu_no_directory     "Cannot write the vtk file .*: No such file or directory"     $box -gnn_output_view "vtk:$out/no/x.vtu"
expect_error hdf5_no_directory    "Cannot write the hdf5 file .*no/x.h5: No such file or directory" $box -gnn_output_view "hdf5:$out/no/x.h5"
expect_error edges_no_directory   "Cannot write the edge file .*: No such file or directory"    $box -gnn_output_edges "$out/no/e.csv"
expect_error xdmf_edges_no_directory "Cannot write the xdmf file .*no/e.h5: No such file or directory" $box -gnn_output_edges "xdmf:$out/no/e.xmf"
expect_error weights_no_directory "Cannot write the weights file .*: No such file or directory" $box -gnn_save_weights "$out/no/w.pt"
expect_error csv_onto_directory   "Cannot write the csv file .*: Is a directory"                $box -gnn_output_csv "$out/adir"
expect_error vtu_onto_directory   "Cannot write the vtk file .*: Is a directory"                $box -gnn_output_view "vtk:$out/adir"
expect_error hdf5_onto_directory  "Cannot write the hdf5 file .*: Is a directory"               $box -gnn_output_view "hdf5:$out/adir"
expect_error edges_onto_directory "Cannot write the edge file .*: Is a directory"               $box -gnn_output_edges "$out/adir"
# the same outputs written where they can be: complete files under their names, nothing else
if timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_output_csv "$out/f.csv" -gnn_output_view "vtk:$out/f.vtu" -gnn_output_edges "$out/e.csv" -gnn_save_weights "$out/w.pt" >/dev/null 2>&1 &&
   timeout 60 mpiexec --oversubscribe -n 2 "$ex1" $box -gnn_output_view "hdf5:$out/f.h5" -gnn_output_edges "xdmf:$out/g.xmf" >/dev/null 2>&1 &&
   [ "$(tail -1 "$out/f.vtu")" = "</VTKFile>" ] && [ "$(wc -l < "$out/f.csv")" -eq 17 ] && [ -s "$out/e.csv" ] && [ -s "$out/w.pt" ] && [ -s "$out/f.h5" ] &&
   [ -s "$out/g.h5" ] && [ "$(tail -1 "$out/g.xmf")" = "</Xdmf>" ]; then
  echo "ok   outputs_written: $(cd "$out" && ls | tr '\n' ' ')"; passed=$((passed+1))
else
  echo "FAIL outputs_written: $(ls "$out")"; failed=$((failed+1))
fi
# A write that fails on the way (the file size limit, a full disk's effect: SIGXFSZ ignored, so a
# write() past 2 KiB fails with EFBIG) leaves neither a fragment nor FILE.tmp: natural-order data
# files through PETSc's binary viewer, XDMF (HDF5) through PETSc's HDF5 viewer (the rank that fails
# says so and stops the run), weights through the library's own writer (the same error on every rank)
mkdir -p "$tmp/full"
printf '#!/bin/bash\ntrap "" XFSZ; ulimit -f 2; exec "$@"\n' > "$tmp/fsize.sh"; chmod +x "$tmp/fsize.sh"
prog="$tmp/fsize.sh"; big="-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 12,12"
expect_error12 data_write_full  "Cannot write the data file .*full/s_x_0.bin: the writer failed on this rank" "$ex2" $big -gnn_task_samples 1 -gnn_task_write "$tmp/full/s" -gnn_train_steps 0
expect_error12 xdmf_write_full  "Cannot write the xdmf file .*full/f.h5: the writer failed on this rank" "$ex1" $big -gnn_output_view "xdmf:$tmp/full/f.xmf"
# at 3 ranks too (collective MPI-IO hung inside HDF5 there: the library writes independently)
NP=3 expect_error xdmf_write_full_np3 "Cannot write the xdmf file .*full/f.h5: the writer failed on this rank" "$ex1" $big -gnn_output_view "xdmf+edges:$tmp/full/f.xmf"
NP=3 expect_error hdf5_write_full_np3 "Cannot write the hdf5 file .*full/g.h5: the writer failed on this rank" "$ex1" $big -gnn_output_view "hdf5:$tmp/full/g.h5"
expect_error weights_write_full "Cannot write the weights file .*full/w.pt: File too large" "$ex1" $box -gnn_save_weights "$tmp/full/w.pt"
if [ -z "$(ls -A "$tmp/full")" ]; then echo "ok   write_full_leaves_nothing"; passed=$((passed+1)); else echo "FAIL write_full_leaves_nothing: $(ls -A "$tmp/full")"; failed=$((failed+1)); fi
prog=$ex1
left=$(find "$tmp" -name '*.tmp')
if [ -z "$left" ]; then echo "ok   no_temporary_files"; passed=$((passed+1)); else echo "FAIL temporary files left behind: $left"; failed=$((failed+1)); fi

# Non-finite data are refused where they enter: an Inf in a snapshot file is an error naming the
# file and the entry. A finite but huge value (1e300, in the target of sample 1 of 4) overflows the
# loss: the default policy stops at step 1; -gnn_train_nonfinite skip skips steps 1 and 5 of 8 (each
# reported by the monitor, the history keeps their losses) and ends normally. Every target huge
# with -gnn_train_nonfinite_max 1: the second non-finite step in a row is an error.
prog=$ex2
timeout 60 mpiexec --oversubscribe -n 2 "$ex2" $box -gnn_task_samples 4 -gnn_task_write "$tmp/s" -gnn_train_steps 0 >/dev/null 2>&1 || { echo "FAIL: ex2 -gnn_task_write"; exit 1; }
# set_value FILE VALUE: the middle value of a PETSc binary Vec (class id, length, big-endian doubles)
set_value() {
/usr/bin/python3 - "$1" "$2" <<'PY' || { echo "FAIL: could not write $1"; exit 1; }
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack(">i", b[4:8])[0]
b[8 + 8 * (n // 2):16 + 8 * (n // 2)] = struct.pack(">d", float(sys.argv[2]))
open(sys.argv[1], "wb").write(b)
PY
}
cp "$tmp/s_y_1.bin" "$tmp/inf_y_1.bin"; cp "$tmp/s_y_1.bin.info" "$tmp/inf_y_1.bin.info"; set_value "$tmp/inf_y_1.bin" inf
set_value "$tmp/s_y_1.bin" 1e300
files="-gnn_train_inputs $tmp/s_x_0.bin,$tmp/s_x_1.bin,$tmp/s_x_2.bin,$tmp/s_x_3.bin -gnn_train_targets $tmp/s_y_0.bin,$tmp/s_y_1.bin,$tmp/s_y_2.bin,$tmp/s_y_3.bin"
expect_error12 data_file_inf        "The data file .*inf_y_1.bin holds a non-finite value \\(inf\\) at node 8 of the natural order, value 0 of 2 \\(entry 16 of the file\\)" $box -gnn_train_inputs "$tmp/s_x_0.bin" -gnn_train_targets "$tmp/inf_y_1.bin"
for k in 0 2 3; do cp "$tmp/s_y_$k.bin" "$tmp/big_y_$k.bin"; cp "$tmp/s_y_$k.bin.info" "$tmp/big_y_$k.bin.info"; set_value "$tmp/big_y_$k.bin" 1e300; done
cp "$tmp/s_y_1.bin" "$tmp/big_y_1.bin"; cp "$tmp/s_y_1.bin.info" "$tmp/big_y_1.bin.info"
bigfiles="-gnn_train_inputs $tmp/s_x_0.bin,$tmp/s_x_1.bin,$tmp/s_x_2.bin,$tmp/s_x_3.bin -gnn_train_targets $tmp/big_y_0.bin,$tmp/big_y_1.bin,$tmp/big_y_2.bin,$tmp/big_y_3.bin"
# natural-order data files are written atomically (with their .info): into a missing directory it
# is an error with the reason, and nothing but whole files is left
expect_error12 data_write_no_dir    "Cannot write the data file .*no/s_x_0.bin: No such file or directory" $box -gnn_task_samples 1 -gnn_task_write "$tmp/no/s" -gnn_train_steps 0
if [ "$(ls "$tmp"/s_?_?.bin | wc -l)" -eq 8 ] && [ "$(ls "$tmp"/s_?_?.bin.info | wc -l)" -eq 8 ] && [ -z "$(find "$tmp" -name '*.tmp*')" ]; then
  echo "ok   data_written_atomically: 8 files with their .info, no temporary file"; passed=$((passed+1))
else echo "FAIL data_written_atomically: $(ls "$tmp")"; failed=$((failed+1)); fi
# hyper-parameters that are not finite
expect_error12 task_dt_nan          "-gnn_task_dt must be finite, got nan"          $box -gnn_task_dt nan
expect_error12 noise_inf            "-gnn_train_noise must be finite and non-negative, got inf" $box -gnn_train_noise inf
expect_error12 lr_inf               "its constants must be finite"                  $box -gnn_train_lr inf
expect_error12 eps_nan              "its constants must be finite"                  $box -gnn_train_eps nan
expect_error12 weight_decay_nan     "its constants must be finite"                  $box -gnn_train_weight_decay nan
expect_error12 steps_wrap           "Option -gnn_train_steps 4294967297 is out of the range of PetscInt" $box -gnn_train_steps 4294967297
# the pre-flight memory estimate against a limit it cannot meet (the default limit is the node's
# MemAvailable shared by its ranks)
expect_error12 memory_limit         "Training would need about .* GiB on rank .* more than the .* GiB it has \\(-gnn_memory_limit\\)" $box -gnn_memory_limit 1e-6
expect_error nonfinite_error      "Training step 1 \(sample 1\): the loss .* is not finite" $box $files -gnn_train_steps 8 -gnn_train_history "$tmp/h_error.csv"
expect_error nonfinite_skip_limit "Training step 1 \(sample 1\): .* 2 steps in a row, more than -gnn_train_nonfinite_max 1" $box $bigfiles -gnn_train_steps 8 -gnn_train_nonfinite skip -gnn_train_nonfinite_max 1
skiplog=$(timeout 60 mpiexec --oversubscribe -n 2 "$ex2" $box $files -gnn_train_steps 8 -gnn_train_nonfinite skip -gnn_train_monitor -gnn_train_history "$tmp/h_skip.csv" -gnn_train_view 2>&1); rc=$?
nan_rows=$(grep -ciE '^[0-9]+,-?(nan|inf)' "$tmp/h_skip.csv")
if [ $rc -eq 0 ] && [ "$(grep -c 'SKIPPED (not finite)' <<<"$skiplog")" -eq 2 ] && grep -q "2 step(s) skipped" <<<"$skiplog" &&
   grep -q "non-finite loss or gradient: skip the step" <<<"$skiplog" && [ "$(wc -l < "$tmp/h_skip.csv")" -eq 9 ] && [ "$nan_rows" -eq 2 ]; then
  echo "ok   nonfinite_skip: $(grep 'SKIPPED' <<<"$skiplog" | head -1)"; passed=$((passed+1))
else
  echo "FAIL nonfinite_skip (exit $rc, $nan_rows non-finite history rows); output was:"; tail -20 <<<"$skiplog"; failed=$((failed+1))
fi
# -gnn_train_view reports the pre-flight: the default limit's figures (the run above), or off
offlog=$(timeout 60 mpiexec --oversubscribe -n 2 "$ex2" $box -gnn_train_steps 1 -gnn_memory_limit 0 -gnn_train_view 2>&1)
if grep -qE "memory pre-flight: about [0-9.]+ MiB needed on rank [01] \(the tightest\), [0-9.]+ MiB there \(MemAvailable / ranks on its node\)" <<<"$skiplog" &&
   grep -q "memory pre-flight: off (-gnn_memory_limit 0)" <<<"$offlog"; then
  echo "ok   preflight_view: $(grep -h 'memory pre-flight' <<<"$skiplog$offlog" | sed 's/^ *//' | paste -sd ';')"; passed=$((passed+1))
else
  echo "FAIL preflight_view:"; grep -h "pre-flight" <<<"$skiplog$offlog"; tail -5 <<<"$offlog"; failed=$((failed+1))
fi
if [ "$(wc -l < "$tmp/h_error.csv")" -eq 2 ]; then echo "ok   nonfinite_error_history: the stopped run recorded step 0 only"; passed=$((passed+1))
else echo "FAIL nonfinite_error_history: $(cat "$tmp/h_error.csv")"; failed=$((failed+1)); fi

# the examples' own integer options are range-checked as the library's (GNNOptionsInt and
# GNNOptionsGetInt of petscgnnoptions.h): 2^32 + 1 would be 1, 2^32 + 2 a valid degree 2
prog=$ex2;                         NP=1 expect_error ex2_option_wraps "Option -gnn_task_samples 4294967297 is out of the range of PetscInt" $box -gnn_task_samples 4294967297
prog="$build/examples/insitu/ex4"; NP=1 expect_error ex4_option_wraps "Option -insitu_every 4294967297 is out of the range of PetscInt" -insitu_every 4294967297
prog="$build/examples/flow/ex3";   NP=1 expect_error ex3_flow_option_wraps "Option -flow_vel_degree 4294967298 is out of the range of PetscInt" -flow_vel_degree 4294967298
                                   NP=1 expect_error ex3_option_wraps "Option -ex3_chunks -4294967295 is out of the range of PetscInt" -ex3_chunks -4294967295 -flow_steps 1
# example 3's wake-signal CSV is written atomically: a missing folder and a write past the file size
# limit (80 steps: about 3 KiB) are errors on every rank, and leave nothing behind
cyl="-flow_case cylinder -dm_plex_filename $src/share/meshes/cylinder-coarse.msh -flow_dt 0.02"
expect_error ex3_signal_no_folder "Cannot write the signal CSV .*/missing/s.csv" $cyl -flow_steps 2 -ex3_signal_csv "$tmp/missing/s.csv"
mkdir -p "$tmp/sigfull"
prog="$tmp/fsize.sh" expect_error ex3_signal_write_full "Cannot write the signal CSV .*sigfull/s.csv" "$build/examples/flow/ex3" $cyl -flow_steps 80 -ex3_signal_csv "$tmp/sigfull/s.csv"
if [ -z "$(ls -A "$tmp/sigfull")" ]; then echo "ok   ex3_signal_leaves_nothing"; passed=$((passed+1)); else echo "FAIL ex3_signal_leaves_nothing: $(ls -A "$tmp/sigfull")"; failed=$((failed+1)); fi

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
