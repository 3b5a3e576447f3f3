/* The model set-up examples 1 and 2 share: the solver's mesh from the options, its graph, and a
   GNN with as many input and output features per node as the mesh has dimensions. */
#ifndef GNNEXSETUP_H
#define GNNEXSETUP_H

#include <petscdmplex.h>
#include <petscgnn.h>

/* DMPlex from the options (-dm_plex_*, partitioned by PETSc), GNNGraph on it (GNNGraphSetUp()
   done), GNN with GNNSetFromOptions() done: the caller may still set it before GNNSetUp() */
static PetscErrorCode ExampleCreateModel(MPI_Comm comm, DM *dm, GNNGraph *graph, GNN *gnn, PetscInt *dim)
{
  PetscBool set;

  PetscFunctionBeginUser;
  /* box meshes default to quads/hexes: Debian's PETSc has no simplex generator (a Gmsh file
     -dm_plex_filename brings its own cells) */
  PetscCall(PetscOptionsHasName(NULL, NULL, "-dm_plex_simplex", &set));
  if (!set) PetscCall(PetscOptionsSetValue(NULL, "-dm_plex_simplex", "0"));
  { /* PETSc's Gmsh reader crashes on elements that reference missing nodes: checked first */
    char      file[PETSC_MAX_PATH_LEN];
    PetscBool has;
    size_t    n;
    PetscCall(PetscOptionsGetString(NULL, NULL, "-dm_plex_filename", file, sizeof(file), &has));
    PetscCall(PetscStrlen(file, &n));
    if (has && n > 4 && !strcmp(file + n - 4, ".msh")) PetscCall(GNNGmshCheckFile(comm, file));
  }
  PetscCall(DMCreate(comm, dm));
  PetscCall(DMSetType(*dm, DMPLEX));
  PetscCall(DMSetFromOptions(*dm));
  PetscCall(DMViewFromOptions(*dm, NULL, "-dm_view"));

  PetscCall(GNNCreateFromDM(*dm, PETSC_DECIDE, PETSC_DECIDE, gnn));
  PetscCall(GNNGetGraph(*gnn, graph));
  PetscCall(PetscObjectReference((PetscObject)*graph)); /* the caller destroys its handle */
  PetscCall(GNNGraphGetDimension(*graph, dim));
  PetscFunctionReturn(0);
}

#endif
