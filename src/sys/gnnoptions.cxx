#include "sys/gnnoptions.hpp"
#include <cerrno>
#include <cstdlib>

PetscErrorCode GNNOptionsInt_Private(PetscOptionItems *PetscOptionsObject, const char opt[], const char text[], const char man[], PetscInt cur, PetscInt *value, PetscBool *set)
{
  char      buf[256];
  PetscBool found;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(PetscOptionsObject->options, PetscOptionsObject->prefix, opt, buf, sizeof(buf), &found));
  if (found && buf[0]) {
    char     *end;
    long long v;
    errno = 0;
    v     = std::strtoll(buf, &end, 10);
    /* only whole decimal numbers are judged here; PETSc's parser reports anything else */
    if (*end == 0 && end != buf) PetscCheck(errno != ERANGE && v >= (long long)PETSC_MIN_INT && v <= (long long)PETSC_MAX_INT, PetscOptionsObject->comm, PETSC_ERR_ARG_OUTOFRANGE, "Option -%s%s %s is out of the range of PetscInt [%" PetscInt_FMT ", %" PetscInt_FMT "]", PetscOptionsObject->prefix ? PetscOptionsObject->prefix : "", opt + 1, buf, PETSC_MIN_INT, PETSC_MAX_INT);
  }
  PetscCall(PetscOptionsInt_Private(PetscOptionsObject, opt, text, man, cur, value, set, PETSC_MIN_INT, PETSC_MAX_INT));
  PetscFunctionReturn(0);
}
