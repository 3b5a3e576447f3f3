/* Private helpers of the graph types built on a DMPlex */
#ifndef GNNPLEXGRAPH_H
#define GNNPLEXGRAPH_H

#include "gnngraphimpl.h"
#include <petscdmplex.h>

/* Global number of the first node carried by point p, whichever rank owns it (the global
   section stores -(offset+1) for points owned elsewhere) */
static inline PetscErrorCode GNNPlexPointGlobalOffset(PetscSection global, PetscInt p, PetscInt *off)
{
  PetscFunctionBegin;
  PetscCall(PetscSectionGetOffset(global, p, off));
  if (*off < 0) *off = -(*off + 1);
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode GNNPlexKeepNodeSection_Private(GNNGraph, DM, PetscSection);

#endif
