/* C++ helpers shared by the translation units that use LibTorch. */
#ifndef GNNTORCH_PRIVATE_HPP
#define GNNTORCH_PRIVATE_HPP

#include <petscsys.h>
#include <stdexcept>
#include <string>

/* Inside code that returns tensors, a PETSc error becomes a C++ exception ... */
#define GNNCallThrow(...) \
  do { \
    PetscErrorCode ierr_ = __VA_ARGS__; \
    if (ierr_) throw std::runtime_error(std::string("PETSc error in ") + __func__); \
  } while (0)

/* ... and at the C interface an exception becomes a PETSc error again */
#define GNNTorchTry(comm, ...) \
  do { \
    try { \
      __VA_ARGS__; \
    } catch (const std::exception &e_) { \
      SETERRQ(comm, PETSC_ERR_LIB, "%s", e_.what()); \
    } \
  } while (0)

#endif
