# env.sh of the petscgnn dependency bundle (made by share/gpu/make-bundle.sh): source it from
# bash or zsh,   source <bundle>/env.sh
# It points the tools (mpiexec, pkg-config, CMake) at the bundle, wherever it was unpacked.
# PETSCGNN_BUNDLE=<dir> before sourcing overrides the location.
if [ -z "${PETSCGNN_BUNDLE:-}" ]; then
  if [ -n "${BASH_SOURCE:-}" ]; then PETSCGNN_BUNDLE=${BASH_SOURCE[0]}
  elif [ -n "${ZSH_VERSION:-}" ]; then eval 'PETSCGNN_BUNDLE=${(%):-%x}'
  else PETSCGNN_BUNDLE=$0; fi
  case $PETSCGNN_BUNDLE in */*) PETSCGNN_BUNDLE=${PETSCGNN_BUNDLE%/*} ;; *) PETSCGNN_BUNDLE=. ;; esac
  PETSCGNN_BUNDLE=$(cd "$PETSCGNN_BUNDLE" && pwd -P)   # absolute (no dirname: shell only)
fi
export PETSCGNN_BUNDLE
_b=$PETSCGNN_BUNDLE

# Tools and libraries. The ELF files find each other through RUNPATH ($ORIGIN); LD_LIBRARY_PATH
# is the fallback for programs linked against the bundle without an rpath.
export PATH="$_b/bin${PATH:+:$PATH}"
export LD_LIBRARY_PATH="$_b/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# pkg-config: PETSc.pc/petsc.pc, hdf5-openmpi.pc, ompi.pc (CMake's pkg_search_module reads these)
export PKG_CONFIG_PATH="$_b/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# CMake without bundle.cmake: FindMPI looks in MPI_HOME (bin/mpicxx, include/mpi.h, lib/libmpi);
# find_package(GTest) looks under GTest_ROOT / GTEST_ROOT (CMP0074).
export MPI_HOME="$_b" GTest_ROOT="$_b" GTEST_ROOT="$_b"

# OpenMPI 4.1 was built for /usr: OPAL_PREFIX and the directory variables tell it where its
# components (lib/openmpi), help texts (share/openmpi), wrapper data and mca-params.conf (etc) are.
export OPAL_PREFIX="$_b" OPAL_EXEC_PREFIX="$_b" OPAL_BINDIR="$_b/bin" OPAL_SBINDIR="$_b/bin" \
       OPAL_LIBEXECDIR="$_b/bin" OPAL_LIBDIR="$_b/lib" OPAL_INCLUDEDIR="$_b/include" \
       OPAL_DATAROOTDIR="$_b/share" OPAL_DATADIR="$_b/share" OPAL_MANDIR="$_b/share/man" \
       OPAL_INFODIR="$_b/share/info" OPAL_PKGDATADIR="$_b/share/openmpi" \
       OPAL_PKGLIBDIR="$_b/lib/openmpi" OPAL_PKGINCLUDEDIR="$_b/include/openmpi" \
       OPAL_SYSCONFDIR="$_b/etc" OPAL_SHAREDSTATEDIR="$_b/share" OPAL_LOCALSTATEDIR="$_b/share"
# PMIx likewise (Debian's pmix-mca-params.conf hard-codes /usr for its components)
export PMIX_PREFIX="$_b" PMIX_INSTALL_PREFIX="$_b" PMIX_EXEC_PREFIX="$_b" PMIX_BINDIR="$_b/bin" \
       PMIX_LIBDIR="$_b/lib" PMIX_DATAROOTDIR="$_b/share" PMIX_DATADIR="$_b/share" \
       PMIX_PKGDATADIR="$_b/share/pmix" PMIX_PKGLIBDIR="$_b/lib/pmix" PMIX_SYSCONFDIR="$_b/etc" \
       PMIX_MCA_mca_base_component_path="$_b/lib/pmix"
# Launch on this node only: the default launcher wants ssh/rsh even for local ranks and for
# singletons (a program started without mpiexec), and the target has neither.
export OMPI_MCA_plm=isolated
# More ranks than cores (mpiexec --oversubscribe), mpiexec as root (containers)
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Not set here: OMPI_MCA_btl_vader_single_copy_mechanism=none. It is the usual cure when a container
# forbids CMA (process_vm_readv; symptom: "vader ... Read -1, expected ..., errno = 1"), but without
# a single-copy mechanism MPI one-sided windows (PetscSF type window, osc/rdma) fail with
# MPI_ERR_WIN, which tests/test_graph exercises.
unset _b
