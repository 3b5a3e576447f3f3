#!/bin/bash
# make-bundle.sh [OUTDIR]: pack PETSc 3.18 + OpenMPI 4.1 + HDF5 (openmpi) + GoogleTest of this
# Debian 12 machine into OUTDIR/bundle.tar.xz (default: <repo>/gpu-bundle), a relocatable tree
# with which petscgnn configures, builds and runs (mpiexec included) on another x86-64 Linux that
# has a compiler, CMake and LibTorch but no PETSc/MPI/HDF5/GoogleTest. Run by `make gpu-bundle`.
#
# On the other machine:
#   mkdir -p /tmp/b && tar xf bundle.tar.xz -C /tmp/b && source /tmp/b/env.sh
#   cmake -C /tmp/b/bundle.cmake -S . -B build -DCMAKE_PREFIX_PATH=<libtorch> && cmake --build build
#   mpiexec -n 4 build/tests/test_graph
#
# Layout of the bundle (all paths inside are relative; nothing refers to where it was built):
#   bin/                     mpiexec/mpirun/orterun, orted, ompi_info, mpicc/mpicxx (opal_wrapper)
#   lib/                     shared libraries: libpetsc_real and its closure, MPI, HDF5 (RUNPATH $ORIGIN)
#   lib/openmpi/             OpenMPI MCA components (OPAL_PKGLIBDIR)
#   lib/pmix/                PMIx components (PMIX_MCA_mca_base_component_path)
#   lib/pkgconfig/           PETSc.pc petsc.pc hdf5-openmpi.pc ompi*.pc, prefixes from ${pcfiledir}
#   lib/x86_64-linux-gnu/    GoogleTest static libraries and its CMake package (Debian's layout,
#                            so its relocatable GTestTargets.cmake is used unchanged)
#   gtest-cxx11abi0/         GoogleTest built with _GLIBCXX_USE_CXX11_ABI=0 (old-ABI LibTorch)
#   include/                 PETSc, mpi.h (+ C++ bindings), hdf5/openmpi, gtest, gmock
#   share/openmpi, share/pmix  help texts and compiler-wrapper data
#   etc/                     openmpi-mca-params.conf
#   env.sh, bundle.cmake     environment (source it) and CMake initial cache (cmake -C)
#
# What is NOT packed (the target must provide it): glibc (libc, libm, libdl, libpthread, librt,
# libresolv, ld-linux; any glibc >= Debian 12's 2.36), libstdc++, libgcc_s, libgomp (from the
# target's g++ >= 12), the compiler, CMake, pkg-config (or pkgconf), LibTorch, and xz to unpack.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/gpu-bundle}" && cd "${1:-$ROOT/gpu-bundle}" && pwd)
B=$OUT/stage                      # the tree that becomes the archive (archive root = B)
ARCH=x86_64-linux-gnu
SYSLIB=/usr/lib/$ARCH
PETSC_ARCH_DIR=/usr/lib/petscdir/petsc3.18/$ARCH-real
PETSC_LIB=$PETSC_ARCH_DIR/lib/libpetsc_real.so.3.18
OMPI_PLUGINS=$SYSLIB/openmpi/lib/openmpi3
PMIX_DIR=$SYSLIB/pmix2

for tool in ldd patchelf strip xz tar readelf cmake c++; do
  command -v $tool >/dev/null || { echo "make-bundle: $tool is missing (make gpu-bundle installs it)"; exit 1; }
done
for f in "$PETSC_LIB" "$SYSLIB/blas/libblas.so.3" "$SYSLIB/lapack/liblapack.so.3" /usr/bin/orterun \
         "$SYSLIB/libgtest.a" /usr/src/googletest/CMakeLists.txt /usr/include/hdf5/openmpi/hdf5.h; do
  [ -e "$f" ] || { echo "make-bundle: $f is missing (make gpu-bundle installs the packages)"; exit 1; }
done

# Idempotent: always start from an empty stage.
rm -rf "$B" "$OUT/bundle.tar.xz"
mkdir -p "$B"/{bin,lib/openmpi,lib/pmix,lib/pkgconfig,lib/$ARCH/cmake,include,share/openmpi,share/pmix,etc}

# ---------------------------------------------------------------------------------------------
# 1. The ELF files we need directly.
# OpenMPI components: all but the ones for hardware we do not ship drivers for (UCX, libfabric,
# verbs, PSM: their libraries are big and useless without the hardware) and OpenSHMEM (not MPI).
# A component whose library is missing would print a warning at every MPI_Init.
OMPI_SKIP='_(ucx|ofi|openib|psm|psm2|uct)\.so$|^mca_(atomic|memheap|scoll|spml|sshmem)_|^mca_reachable_netlink|^libompi_dbg'
mapfile -t plugins < <(cd "$OMPI_PLUGINS" && ls *.so | grep -Ev "$OMPI_SKIP")
for p in "${plugins[@]}"; do cp -L "$OMPI_PLUGINS/$p" "$B/lib/openmpi/"; done
cp -L "$PMIX_DIR"/lib/pmix/*.so "$B/lib/pmix/"
for exe in orterun orted ompi_info opal_wrapper; do cp -L /usr/bin/$exe "$B/bin/"; done
# pkgconf, in case the target has no pkg-config (CMake's pkg_search_module needs one)
cp -L /usr/bin/pkgconf "$B/bin/"

# ---------------------------------------------------------------------------------------------
# 2. Their shared-library closure, from ldd. The reference BLAS/LAPACK directories go first so
# that ldd resolves libblas.so.3/liblapack.so.3 to them instead of OpenBLAS (35 MB): PETSc only
# needs the BLAS/LAPACK ABI. libpmix lives in a private directory. Left out: glibc, the C++ and
# GCC runtime libraries and libgomp, which the target's compiler brings (and which must match it).
SKIP_SYS='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl|libmvec|libstdc\+\+|libgcc_s|libgomp)\.so'
export LD_LIBRARY_PATH=$SYSLIB/blas:$SYSLIB/lapack:$PMIX_DIR/lib
closure=$( { ldd "$PETSC_LIB" $SYSLIB/libmpi_cxx.so.40 "$SYSLIB/libhdf5_openmpi.so.103" \
               "$B"/bin/* "$B"/lib/openmpi/*.so "$B"/lib/pmix/*.so; } 2>/dev/null |
           awk '/=>/ {print $1, $3}' | sort -u)
if grep -q 'not found' <<<"$closure"; then echo "make-bundle: unresolved:"; grep 'not found' <<<"$closure"; exit 1; fi
while read -r soname path; do
  [[ $soname =~ $SKIP_SYS ]] && continue
  cp -L "$path" "$B/lib/$soname"
done <<<"$closure"
cp -L "$PETSC_LIB" "$B/lib/"
unset LD_LIBRARY_PATH
[ ! -e "$B/lib/libopenblas.so.0" ] || { echo "make-bundle: OpenBLAS crept in"; exit 1; }

# Link-time names (what -lpetsc_real -lmpi ... and CMake's find_library look for).
ln -s libpetsc_real.so.3.18 "$B/lib/libpetsc_real.so"
ln -s libmpi.so.40 "$B/lib/libmpi.so"
ln -s libmpi_cxx.so.40 "$B/lib/libmpi_cxx.so"
ln -s libhdf5_openmpi.so.103 "$B/lib/libhdf5_openmpi.so"
for w in mpicc mpicxx mpic++; do ln -s opal_wrapper "$B/bin/$w"; done
for l in mpiexec mpirun; do ln -s orterun "$B/bin/$l"; done
ln -s pkgconf "$B/bin/pkg-config"

# ---------------------------------------------------------------------------------------------
# 3. Smaller and relocatable: strip debug info and symbol tables we do not need (first, since
# strip after patchelf can break a file), then make every ELF find its libraries relative to
# itself ($ORIGIN) instead of at the Debian paths its RUNPATH names.
find "$B/bin" "$B/lib" -type f -name '*.so*' -o -type f -path "$B/bin/*" | xargs strip --strip-unneeded
for f in "$B"/lib/*.so*;                  do [ -L "$f" ] || patchelf --set-rpath '$ORIGIN' "$f"; done
for f in "$B"/lib/openmpi/*.so "$B"/lib/pmix/*.so; do patchelf --set-rpath '$ORIGIN/..' "$f"; done
for f in "$B"/bin/*;                      do [ -L "$f" ] || patchelf --set-rpath '$ORIGIN/../lib' "$f"; done

# ---------------------------------------------------------------------------------------------
# 4. Headers. PETSc's include dir has a symlink petsc/ into /usr/share: -L copies its contents.
# The Fortran modules (*.mod, 8 MB) are left out: this project is C/C++.
cp -rL "$PETSC_ARCH_DIR/include/." "$B/include/"
find "$B/include" -name '*.mod' -delete
# mpi.h includes openmpi/mpiext/* (mpi-ext.h) and, in C++, openmpi/ompi/mpi/cxx/*: only those.
OMPI_INC=$SYSLIB/openmpi/include
cp "$OMPI_INC"/{mpi.h,mpi-ext.h,mpi_portable_platform.h} "$B/include/"
mkdir -p "$B/include/openmpi/ompi/mpi"
cp -r "$OMPI_INC/openmpi/mpiext" "$B/include/openmpi/"
cp -r "$OMPI_INC/openmpi/ompi/mpi/cxx" "$B/include/openmpi/ompi/mpi/"
mkdir -p "$B/include/hdf5"
cp -rL /usr/include/hdf5/openmpi "$B/include/hdf5/"
cp -r /usr/include/gtest /usr/include/gmock "$B/include/"

# ---------------------------------------------------------------------------------------------
# 5. GoogleTest: static libraries and CMake package in Debian's multiarch layout, so that
# GTestTargets.cmake (prefix = 4 directories above itself) works unchanged.
cp "$SYSLIB"/libgtest.a "$SYSLIB"/libgtest_main.a "$SYSLIB"/libgmock.a "$SYSLIB"/libgmock_main.a "$B/lib/$ARCH/"
cp -r "$SYSLIB/cmake/GTest" "$B/lib/$ARCH/cmake/"
# A second GoogleTest built with -D_GLIBCXX_USE_CXX11_ABI=0, for programs compiled against a
# LibTorch of the old C++ ABI (pip wheels before PyTorch 2.6?): gtest's API passes std::string,
# so those cannot link the Debian (new-ABI) libgtest.a. Select it with
# -DGTest_DIR=<bundle>/gtest-cxx11abi0/lib/cmake/GTest. Built from Debian's googletest sources
# (the same 1.12.1); its install is relocatable. Takes ~20 s.
GT0=$OUT/gtest-abi0-build
rm -rf "$GT0"
cmake -S /usr/src/googletest -B "$GT0" -DBUILD_GMOCK=OFF -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=0 -DCMAKE_INSTALL_PREFIX="$B/gtest-cxx11abi0" \
      -DCMAKE_INSTALL_LIBDIR=lib >"$OUT/gtest-abi0.log" 2>&1 &&
  cmake --build "$GT0" -j "$(nproc)" >>"$OUT/gtest-abi0.log" 2>&1 &&
  cmake --install "$GT0" >>"$OUT/gtest-abi0.log" 2>&1 || { echo "make-bundle: gtest (old ABI) failed, see $OUT/gtest-abi0.log"; exit 1; }
rm -rf "$GT0" "$B/gtest-cxx11abi0/lib/pkgconfig"

# ---------------------------------------------------------------------------------------------
# 6. OpenMPI/PMIx data: help texts (without them errors read "help file not found"), the
# compiler-wrapper data of mpicc/mpicxx, and the MCA defaults (Debian's: ofi/ucx/openib off).
cp /usr/share/openmpi/help-*.txt "$B/share/openmpi/"
for w in mpicc mpicxx mpic++; do cp /usr/share/openmpi/$w-wrapper-data.txt "$B/share/openmpi/"; done
cp "$PMIX_DIR"/share/pmix/help-*.txt "$B/share/pmix/"
cp /etc/openmpi/openmpi-mca-params.conf "$B/etc/"
# No pmix-mca-params.conf: Debian's hard-codes /usr in mca_base_component_path (env.sh sets it).

# ---------------------------------------------------------------------------------------------
# 7. pkg-config files with ${pcfiledir}-relative prefixes (pkg-config and pkgconf both expand it).
# PETSc.pc: Debian's, with the prefix rewritten, Libs.private dropped (it lists the static
# dependencies, which are not shipped) and `Requires: ompi` added, because Debian's mpi.h is on
# the default include path and the bundle's is not.
sed -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e '/^Libs.private:/d' \
    -e 's|-ffile-prefix-map=[^ ]*||g' -e '/^Version:/a Requires: ompi' \
    "$PETSC_ARCH_DIR/lib/pkgconfig/PETSc.pc" >"$B/lib/pkgconfig/PETSc.pc"
cp "$B/lib/pkgconfig/PETSc.pc" "$B/lib/pkgconfig/petsc.pc"
HDF5_VERSION=$(sed -n 's/^Version: *//p' $SYSLIB/pkgconfig/hdf5-openmpi.pc)
OMPI_VERSION=$(sed -n 's/^Version: *//p' $SYSLIB/openmpi/lib/pkgconfig/ompi.pc)
cat >"$B/lib/pkgconfig/hdf5-openmpi.pc" <<EOF
prefix=\${pcfiledir}/../..
Name: HDF5
Description: Hierarchical Data Format 5 (HDF5) - openmpi version (petscgnn bundle)
Version: $HDF5_VERSION
Requires: ompi
Cflags: -I\${prefix}/include/hdf5/openmpi
Libs: -L\${prefix}/lib -lhdf5_openmpi
EOF
# ompi*.pc, and Debian's mpi*.pc names too: FindMPI asks pkg-config for mpi-c/mpi-cxx, and the
# bundle's must come before a system MPI's.
for pc in ompi ompi-c ompi-cxx mpi mpi-c mpi-cxx; do
  libs="-lmpi"; [ ${pc#*-} = cxx ] && libs="-lmpi_cxx -lmpi"
  cat >"$B/lib/pkgconfig/$pc.pc" <<EOF
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
libdir=\${prefix}/lib
Name: Open MPI
Description: Open MPI (petscgnn bundle)
Version: $OMPI_VERSION
Libs: -L\${libdir} $libs
Cflags: -I\${includedir} -I\${includedir}/openmpi
EOF
done

# ---------------------------------------------------------------------------------------------
# 8. env.sh and bundle.cmake, then the archive.
install -m 0644 "$ROOT/share/gpu/bundle-env.sh" "$B/env.sh"
cat >"$B/bundle.cmake" <<'EOF'
# CMake initial cache of the petscgnn dependency bundle: cmake -C <bundle>/bundle.cmake ...
# (source <bundle>/env.sh first, for PATH, PKG_CONFIG_PATH and the OpenMPI variables).
# Every path is relative to this file, so the bundle can be unpacked anywhere.
get_filename_component(_b "${CMAKE_CURRENT_LIST_DIR}" REALPATH)
# FindMPI: no wrapper interrogation, no guessing, no "does the bare compiler do MPI" probe:
# the headers and libraries below are the MPI.
set(MPI_HOME "${_b}" CACHE PATH "MPI installation (bundle)")
set(MPI_ASSUME_NO_BUILTIN_MPI TRUE CACHE BOOL "")
set(MPI_SKIP_COMPILER_WRAPPER TRUE CACHE BOOL "")
set(MPI_SKIP_GUESSING TRUE CACHE BOOL "")
set(MPIEXEC_EXECUTABLE "${_b}/bin/mpiexec" CACHE FILEPATH "")
set(MPI_C_HEADER_DIR "${_b}/include" CACHE PATH "")
set(MPI_CXX_HEADER_DIR "${_b}/include" CACHE PATH "")
set(MPI_C_ADDITIONAL_INCLUDE_DIRS "${_b}/include/openmpi" CACHE STRING "")
set(MPI_CXX_ADDITIONAL_INCLUDE_DIRS "${_b}/include/openmpi" CACHE STRING "")
set(MPI_C_LIB_NAMES "mpi" CACHE STRING "")
set(MPI_CXX_LIB_NAMES "mpi_cxx;mpi" CACHE STRING "")
set(MPI_mpi_LIBRARY "${_b}/lib/libmpi.so" CACHE FILEPATH "")
set(MPI_mpi_cxx_LIBRARY "${_b}/lib/libmpi_cxx.so" CACHE FILEPATH "")
# The mpiexec that tests/CMakeLists.txt looks up with find_program(MPIEXEC_EXE ...)
set(MPIEXEC_EXE "${_b}/bin/mpiexec" CACHE FILEPATH "")
# FindGTest: the bundle's GTestConfig.cmake (static libgtest/libgmock, new C++ ABI). For tests
# compiled with -D_GLIBCXX_USE_CXX11_ABI=0 (an old-ABI LibTorch) pass instead
#   -DGTest_DIR=<bundle>/gtest-cxx11abi0/lib/cmake/GTest   (gtest and gtest_main only, no gmock)
set(GTest_DIR "${_b}/lib/x86_64-linux-gnu/cmake/GTest" CACHE PATH "")
set(GTEST_ROOT "${_b}" CACHE PATH "")
# pkg_search_module (PETSc, hdf5-openmpi): env.sh sets PKG_CONFIG_PATH; this covers a configure
# run without it (the results are cached, so later re-runs do not need it)
set(ENV{PKG_CONFIG_PATH} "${_b}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
unset(_b)
EOF

# Name-sorted, owner-neutral, reproducible tar; xz -9e (the target's tar unpacks .xz with xz).
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$B" -cf - . |
  xz -9e -T0 >"$OUT/bundle.tar.xz.part"
mv "$OUT/bundle.tar.xz.part" "$OUT/bundle.tar.xz"
size=$(stat -c %s "$OUT/bundle.tar.xz")
echo "make-bundle: $OUT/bundle.tar.xz $((size / 1024)) KiB ($(du -sh "$B" | cut -f1) unpacked, $(ls "$B/lib" | wc -l) entries in lib/)"
[ "$size" -lt $((40 * 1024 * 1024)) ] || { echo "make-bundle: larger than 40 MiB"; exit 1; }
