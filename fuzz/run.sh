#!/usr/bin/env bash
# make fuzz: builds a libFuzzer target per file reader (fuzz/fuzz_readers.cxx) against a build of
# the library of its own, compiled with clang and -fsanitize=fuzzer-no-link,address,undefined in
# OUT-lib (the readers, the zip and Gmsh checks and the library code they call report their
# coverage to libFuzzer; the model's numerics, LibTorch and PETSc are not instrumented), makes a seed corpus from real
# files (weights and a checkpoint written by examples 1 and 2 of BUILD_DIR, natural-order data
# files, the NekRS test data, Gmsh meshes in ASCII and binary), and runs each target for SECONDS
# (default 60). A crash, a sanitizer report or a timeout stops that target with its input in
# OUT/crashes/<target>/ and makes the run fail: such an input becomes a regression test.
# OUT/summary.txt has the executions and the coverage per target.
# Usage: fuzz/run.sh BUILD_DIR SOURCE_DIR OUT [SECONDS] [TARGETS]
set -u
build=$(cd "$1" && pwd); src=$(cd "$2" && pwd); out=$3; seconds=${4:-60}; targets=${5:-"weights checkpoint natural nekrs gmsh"}
mkdir -p "$out" && out=$(cd "$out" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
petsc=/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-real
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
command -v clang++ >/dev/null || { echo "clang++ not found (make fuzz installs Debian's clang)"; exit 1; }

# the library, instrumented: the readers with coverage (fuzzer-no-link) and the sanitizers, the
# model's numerics as in the ordinary build (fuzz/cxx.sh says which); OpenMP as the rest of the
# process has it (GNU libgomp, LibTorch's), not clang's own. Its folder is OUT-lib, next to OUT:
# at the depth of BUILD_DIR, ccache finds the ordinary build's objects of the uninstrumented part.
lib="$out-lib"
cmake -S "$src" -B "$lib" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER="$src/fuzz/cxx.sh" \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link $san" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link $san -Wno-unknown-warning-option" \
  -DCMAKE_SHARED_LINKER_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" \
  -DOpenMP_CXX_FLAGS=-fopenmp=libgomp -DOpenMP_CXX_LIB_NAMES=gomp -DOpenMP_gomp_LIBRARY="$(g++ -print-file-name=libgomp.so)" >"$out/lib.log" 2>&1 &&
  cmake --build "$lib" -j "${JOBS:-$(nproc)}" --target petscgnn >>"$out/lib.log" 2>&1 || { echo "the instrumented library did not build: $out/lib.log"; tail -20 "$out/lib.log"; exit 1; }
cflags="-g -O1 -std=c++17 $san -I$src/include -I$src/src -isystem $petsc/include $(mpicxx --showme:compile)"
libs="-L$lib -lpetscgnn -Wl,-rpath,$lib:$petsc/lib -L$petsc/lib -lpetsc_real $(mpicxx --showme:link)"
declare -A id=([weights]=1 [checkpoint]=2 [natural]=3 [nekrs]=4 [gmsh]=5)
for t in $targets; do
  clang++ $cflags -fsanitize=fuzzer -DFUZZ_READER=${id[$t]} "$src/fuzz/fuzz_readers.cxx" -o "$out/fuzz_$t" $libs || exit 1
done

# seeds: the files the readers are for, written by this build (the model of fuzz_readers.cxx:
# 3 x 3 quads, H = 4, one layer, float64), and variants with other sizes
seed="$out/seed-work"; rm -rf "$seed"; mkdir -p "$seed" "$out/corpus"
model="-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 3,3 -gnn_hidden 4 -gnn_layers 1 -gnn_precision float64"
mpiexec --oversubscribe -n 1 "$build/examples/ex1" $model -gnn_save_weights "$seed/w.pt" >/dev/null 2>&1 &&
mpiexec --oversubscribe -n 1 "$build/examples/ex1" $model -gnn_hidden 8 -gnn_save_weights "$seed/w8.pt" >/dev/null 2>&1 &&
mpiexec --oversubscribe -n 1 "$build/examples/ex2" $model -gnn_task_samples 2 -gnn_train_steps 3 -gnn_train_normalize -gnn_checkpoint "$seed/ckpt" -gnn_task_write "$seed/s" >/dev/null 2>&1 ||
  { echo "could not write the seed files"; exit 1; }
mkdir -p "$out/corpus/weights" "$out/corpus/checkpoint" "$out/corpus/natural" "$out/corpus/nekrs" "$out/corpus/gmsh"
cp "$seed/w.pt" "$seed/w8.pt" "$out/corpus/weights/"; cp "$seed/ckpt" "$out/corpus/checkpoint/"; cp "$seed/w.pt" "$out/corpus/checkpoint/foreign.pt"
cp "$seed"/s_x_0.bin "$seed"/s_y_1.bin "$out/corpus/natural/"
cp "$src/share/meshes/channel-hole.msh" "$out/corpus/gmsh/"
for f in msh22 msh41; do gmsh "$src/share/meshes/channel-hole.msh" -save -bin -format $f -o "$out/corpus/gmsh/channel-hole-bin-$f.msh" >/dev/null 2>&1 || { echo "gmsh could not write a binary mesh"; exit 1; }; done
printf '$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 4 1 4\n2 1 0 4\n1\n2\n3\n4\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n$EndNodes\n$Elements\n1 2 1 2\n2 1 2 2\n1 1 2 3\n2 1 3 4\n$EndElements\n' > "$out/corpus/gmsh/square41.msh"
/usr/bin/python3 - "$src/share/data/nekrs-tgv-p3-2ranks" "$out/corpus/nekrs/rank0" <<'PY' || exit 1
import struct, sys
d = sys.argv[1]
ids, pos, edges = (open(f"{d}/{s}_rank_0_size_2.bin", "rb").read() for s in ("global_ids", "pos_node", "edge_index"))
# a small piece: the first 64 points and the edges among them
n = 64
e = [struct.unpack_from("<ii", edges, 8 * k) for k in range(len(edges) // 8)]
e = b"".join(struct.pack("<ii", a, b) for a, b in e if a < n and b < n)
open(sys.argv[2], "wb").write(struct.pack("<II", 8 * n, 24 * n) + ids[:8 * n] + pos[:24 * n] + e)
PY

: > "$out/summary.txt"
status=0
for t in $targets; do
  mkdir -p "$out/crashes/$t" "$out/run/$t"
  cp -n "$out/corpus/$t"/* "$out/run/$t/" 2>/dev/null
  log="$out/fuzz_$t.log"
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/fuzz_$t" "$out/run/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=262144 \
    -artifact_prefix="$out/crashes/$t/" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
  found=$(ls "$out/crashes/$t" | wc -l)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  line="$t: ${runs:-?} inputs in ${seconds} s, ${cov:-no coverage reported}, exit $rc, $found finding(s)"
  echo "$line" | tee -a "$out/summary.txt"
  if [ $rc -ne 0 ] || [ "$found" -ne 0 ]; then status=1; tail -30 "$log"; fi
done
exit $status
