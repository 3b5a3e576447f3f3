/* Integer options that cannot wrap, for the library and for programs (C or C++) that use it.
   PETSc 3.18 converts an integer option with strtol() and a cast to PetscInt, so with 32-bit
   indices -gnn_hidden 4294967328 silently becomes 32. GNNOptionsCheckInt() reads the option's text
   first and refuses a whole decimal number past PetscInt's range, naming the option (anything else
   is left to PETSc's parser, which reports it). The other calls are PETSc's with that check in
   front; callers check their own bounds after them.

   Header-only (static inline) on purpose: the plain-PETSc solver module of the examples
   (examples/flow) uses it without linking the library. */
#ifndef PETSCGNNOPTIONS_H
#define PETSCGNNOPTIONS_H

#include <petscsys.h>
#include <errno.h>
#include <stdlib.h>

/* Collective on comm: an error if option -<prefix><name> is a number outside PetscInt's range */
static inline PetscErrorCode GNNOptionsCheckInt(PetscOptions options, MPI_Comm comm, const char prefix[], const char name[])
{
  char      buf[256];
  PetscBool found;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(options, prefix, name, buf, sizeof(buf), &found));
  if (found && buf[0]) {
    char     *end;
    long long v;

    errno = 0;
    v     = strtoll(buf, &end, 10);
    if (*end == 0 && end != buf) PetscCheck(errno != ERANGE && v >= (long long)PETSC_MIN_INT && v <= (long long)PETSC_MAX_INT, comm, PETSC_ERR_ARG_OUTOFRANGE, "Option -%s%s %s is out of the range of PetscInt [%" PetscInt_FMT ", %" PetscInt_FMT "]", prefix ? prefix : "", name + 1, buf, PETSC_MIN_INT, PETSC_MAX_INT);
  }
  PetscFunctionReturn(0);
}

static inline PetscErrorCode GNNOptionsRangeInt_Private(PetscOptionItems *PetscOptionsObject, const char opt[], const char text[], const char man[], PetscInt cur, PetscInt *value, PetscBool *set, PetscInt lb, PetscInt ub)
{
  PetscFunctionBegin;
  PetscCall(GNNOptionsCheckInt(PetscOptionsObject->options, PetscOptionsObject->comm, PetscOptionsObject->prefix, opt));
  PetscCall(PetscOptionsInt_Private(PetscOptionsObject, opt, text, man, cur, value, set, lb, ub));
  PetscFunctionReturn(0);
}

/* Inside PetscOptionsBegin()/End(), as PetscOptionsInt() and PetscOptionsRangeInt() */
#define GNNOptionsInt(opt, text, man, cur, value, set)              GNNOptionsRangeInt_Private(PetscOptionsObject, opt, text, man, cur, value, set, PETSC_MIN_INT, PETSC_MAX_INT)
#define GNNOptionsRangeInt(opt, text, man, cur, value, set, lb, ub) GNNOptionsRangeInt_Private(PetscOptionsObject, opt, text, man, cur, value, set, lb, ub)

/* PetscOptionsGetInt() with the check (collective on PETSC_COMM_WORLD) */
static inline PetscErrorCode GNNOptionsGetInt(PetscOptions options, const char prefix[], const char name[], PetscInt *value, PetscBool *set)
{
  PetscFunctionBegin;
  PetscCall(GNNOptionsCheckInt(options, PETSC_COMM_WORLD, prefix, name));
  PetscCall(PetscOptionsGetInt(options, prefix, name, value, set));
  PetscFunctionReturn(0);
}

#endif
