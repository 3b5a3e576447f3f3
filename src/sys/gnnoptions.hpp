/* Integer options that cannot wrap. PETSc 3.18 converts an integer option with strtol() and a cast
   to PetscInt, so with 32-bit indices -gnn_hidden 4294967328 silently becomes 32. GNNOptionsInt()
   is PetscOptionsInt() that first reads the option's text and rejects a number past PetscInt's
   range, naming the option; the callers check their own bounds after it. */
#ifndef GNNOPTIONS_HPP
#define GNNOPTIONS_HPP

#include <petscsys.h>

PETSC_INTERN PetscErrorCode GNNOptionsInt_Private(PetscOptionItems *, const char[], const char[], const char[], PetscInt, PetscInt *, PetscBool *);
#define GNNOptionsInt(opt, text, man, cur, value, set) GNNOptionsInt_Private(PetscOptionsObject, opt, text, man, cur, value, set)

#endif
