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

/* The data of the types on a DMPlex (vertex, gll) */
typedef struct {
  DM           dm;     /* the (interpolated) mesh the nodes sit on ... */
  PetscSection nodes;  /* ... and the global section numbering the nodes on its points */
  PetscInt     degree; /* the polynomial degree (gll; 1 for vertex) */
} GNNGraph_Plex;

PETSC_INTERN PetscErrorCode GNNPlexKeepNodeSection_Private(GNNGraph, DM, PetscSection);
/* Creates the data and the operations the plex types share (view, destroy, node section getter) */
PETSC_INTERN PetscErrorCode GNNGraphCreate_Plex_Private(GNNGraph);

#endif
