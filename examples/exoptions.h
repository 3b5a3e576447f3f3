/* Unused options, for all the examples (C and C++) */
#ifndef GNNEXOPTIONS_H
#define GNNEXOPTIONS_H

#include <petscsys.h>
/* the examples' integer options are read with GNNOptionsInt(): no silent wrap past PetscInt */
#include <petscgnnoptions.h>

static PetscErrorCode ExampleWarnUnusedOptions_Finalize(void)
{
  PetscInt  n;
  char    **names, **values;
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasName(NULL, NULL, "-options_left", &set));
  if (set) PetscFunctionReturn(0);
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "WARNING! Option -%s%s%s was set but not used: misspelt, or not for this program? (-help lists the options; -options_left 0 silences this)\n", names[i], values[i] ? " " : "", values[i] ? values[i] : ""));
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscFunctionReturn(0);
}

/* PETSc lists the options that were set but never read only with -options_left (on by default in
   debug builds alone; Debian's PETSc is not one), so a misspelt option (-gnn_hiden 64) would be
   ignored without a word. The examples call this after PetscInitialize(): at PetscFinalize() (as a
   registered finalizer, so that the options PETSc itself reads there, such as -options_view, count
   as used) it prints one warning per unused option, unless -options_left was given (PETSc then
   reports them itself, or with -options_left 0 nothing is said). */
static inline PetscErrorCode ExampleWarnUnusedOptions(void)
{
  PetscFunctionBeginUser;
  PetscCall(PetscRegisterFinalize(ExampleWarnUnusedOptions_Finalize));
  PetscFunctionReturn(0);
}

#endif
