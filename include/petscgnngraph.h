/*
   GNNGraph: a directed graph distributed over MPI ranks the PETSc way.

   - every graph node has exactly one owning rank; owned nodes are numbered contiguously in a
     global numbering (the rows of the adjacency matrix);
   - each directed edge j->i lives on the owner of its receiver i; senders owned by another rank
     are the rank's ghost nodes;
   - the adjacency is a MATMPIAIJ matrix: row i holds a nonzero in column j for every edge j->i;
     its off-diagonal columns are the ghosts;
   - the ghost (halo) exchange is a PetscSF whose roots are the owned nodes and whose leaves are
     the ghosts: a ghost update is a broadcast owner -> ghosts, its adjoint a reduce with ADD.

   Node-wise arrays are laid out [n_owned + n_ghost, F], owned rows first, ghosts after, in the
   order of the adjacency's off-diagonal column map.
*/
#ifndef PETSCGNNGRAPH_H
#define PETSCGNNGRAPH_H

#include <petscgnnsys.h>
#include <petscdm.h>
#include <petscmat.h>
#include <petscsf.h>

typedef struct _p_GNNGraph *GNNGraph;

typedef const char *GNNGraphType;
#define GNNGRAPHVERTEX "vertex" /* nodes: DMPlex vertices; edges: both directions of each mesh edge */
#define GNNGRAPHGLL    "gll"    /* nodes: GLL points of a degree-p tensor element on quads/hexes */
#define GNNGRAPHMAT    "mat"    /* nodes and edges from a user-supplied MATMPIAIJ adjacency */
#define GNNGRAPHNEKRS  "nekrs"  /* nodes and edges from NekRS's files (petscgnnnekrs.h) */
#define GNNGRAPHDA     "da"     /* nodes: DMDA grid points; edges: both directions to every stencil neighbour */

/* How ghosts are treated: GNN_HALO_SF is the consistent exchange, GNN_HALO_NONE drops every edge
   whose sender is owned by another rank (the inconsistent baseline of the paper). */
typedef enum {
  GNN_HALO_SF,
  GNN_HALO_NONE
} GNNHaloType;
PETSC_EXTERN const char *const GNNHaloTypes[];

PETSC_EXTERN PetscClassId GNNGRAPH_CLASSID;

PETSC_EXTERN PetscErrorCode GNNGraphCreate(MPI_Comm, GNNGraph *);
PETSC_EXTERN PetscErrorCode GNNGraphSetType(GNNGraph, GNNGraphType);
PETSC_EXTERN PetscErrorCode GNNGraphGetType(GNNGraph, GNNGraphType *);
PETSC_EXTERN PetscErrorCode GNNGraphSetDM(GNNGraph, DM);
PETSC_EXTERN PetscErrorCode GNNGraphGetDM(GNNGraph, DM *);
PETSC_EXTERN PetscErrorCode GNNGraphSetDegree(GNNGraph, PetscInt);
PETSC_EXTERN PetscErrorCode GNNGraphGetDegree(GNNGraph, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNGraphSetHaloType(GNNGraph, GNNHaloType);
PETSC_EXTERN PetscErrorCode GNNGraphGetHaloType(GNNGraph, GNNHaloType *);
PETSC_EXTERN PetscErrorCode GNNGraphSetAdjacency(GNNGraph, Mat, Vec);
/* Periodic box: edge vectors x_j - x_i are taken as the minimum image for each axis with a
   positive period (0: not periodic along that axis) */
PETSC_EXTERN PetscErrorCode GNNGraphSetPeriodicity(GNNGraph, const PetscReal[]);
PETSC_EXTERN PetscErrorCode GNNGraphGetEdgeVector(GNNGraph, PetscInt, PetscReal[]);
PETSC_EXTERN PetscErrorCode GNNGraphSetOptionsPrefix(GNNGraph, const char[]);
PETSC_EXTERN PetscErrorCode GNNGraphAppendOptionsPrefix(GNNGraph, const char[]);
PETSC_EXTERN PetscErrorCode GNNGraphSetFromOptions(GNNGraph);
PETSC_EXTERN PetscErrorCode GNNGraphSetUp(GNNGraph);
PETSC_EXTERN PetscErrorCode GNNGraphView(GNNGraph, PetscViewer);
PETSC_EXTERN PetscErrorCode GNNGraphViewFromOptions(GNNGraph, PetscObject, const char[]);
PETSC_EXTERN PetscErrorCode GNNGraphDestroy(GNNGraph *);

/* Queries, valid after GNNGraphSetUp() */
PETSC_EXTERN PetscErrorCode GNNGraphGetDimension(GNNGraph, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNGraphGetSizes(GNNGraph, PetscInt *, PetscInt *, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode GNNGraphGetAdjacency(GNNGraph, Mat *);
PETSC_EXTERN PetscErrorCode GNNGraphGetHaloSF(GNNGraph, PetscSF *);
PETSC_EXTERN PetscErrorCode GNNGraphGetPlexNodes(GNNGraph, PetscSection *, PetscInt *);
/* Node types as one-hot features from a DMPlex label: feature k = 1 on the closure of the points of
   label value values[k] (e.g. "Face Sets" 1,2,3,4: inlet, outlet, walls, cylinder) */
PETSC_EXTERN PetscErrorCode GNNGraphCreatePlexLabelNodeVec(GNNGraph, const char[], PetscInt, const PetscInt[], Vec *);
PETSC_EXTERN PetscErrorCode GNNGraphGetEdges(GNNGraph, const PetscInt *[], const PetscInt *[]);
PETSC_EXTERN PetscErrorCode GNNGraphGetCoordinates(GNNGraph, const PetscReal *[]);
PETSC_EXTERN PetscErrorCode GNNGraphGetGlobalNumbers(GNNGraph, const PetscInt *[]);
PETSC_EXTERN PetscErrorCode GNNGraphCreateNodeVec(GNNGraph, PetscInt, Vec *);
PETSC_EXTERN PetscErrorCode GNNGraphGetCoordinateVec(GNNGraph, Vec *);
PETSC_EXTERN PetscErrorCode GNNGraphGetFingerprint(GNNGraph, PetscInt64 *);
/* An ASCII Gmsh file's elements reference only its nodes (PETSc 3.18's reader crashes otherwise) */
PETSC_EXTERN PetscErrorCode GNNGmshCheckFile(MPI_Comm, const char[]);
PETSC_EXTERN PetscErrorCode GNNGraphHaloUpdate(GNNGraph, PetscInt, MPI_Datatype, const void *, void *);
PETSC_EXTERN PetscErrorCode GNNGraphHaloReverse(GNNGraph, PetscInt, const double *, double *);
/* The same in two phases, to compute between them (one exchange per direction in flight) */
PETSC_EXTERN PetscErrorCode GNNGraphHaloUpdateBegin(GNNGraph, PetscInt, MPI_Datatype, const void *, void *);
PETSC_EXTERN PetscErrorCode GNNGraphHaloUpdateEnd(GNNGraph, const void *, void *);
PETSC_EXTERN PetscErrorCode GNNGraphHaloReverseBegin(GNNGraph, PetscInt, const double *, double *);
PETSC_EXTERN PetscErrorCode GNNGraphHaloReverseEnd(GNNGraph, const double *, double *);

/* Partition-independent ("natural") order of the nodes: the order used by every file this
   library writes, identical whatever the rank count. */
PETSC_EXTERN PetscErrorCode GNNGraphGatherNatural(GNNGraph, Vec, PetscInt *, PetscScalar *[]);
PETSC_EXTERN PetscErrorCode GNNGraphGetNaturalIndices(GNNGraph, const PetscInt *[]);
/* A node Vec to and from a PETSc binary file (HDF5 if the name ends in .h5) in the natural order:
   written on any rank count, read on any other. Collective: each rank writes and reads its block
   of the natural order, so no rank holds the whole Vec. */
PETSC_EXTERN PetscErrorCode GNNGraphSaveNaturalVec(GNNGraph, Vec, const char[]);
PETSC_EXTERN PetscErrorCode GNNGraphLoadNaturalVec(GNNGraph, const char[], Vec);

/* Node fields to a file in the natural order: "csv:FILE" (a header line, then one line per node:
   coordinates and every field's values, %.17g) or "vtk:FILE.vtu" (points with point data, for
   ParaView): rank 0 writes these, the other ranks' blocks streamed to it one at a time (a warning
   beyond 4M nodes); "hdf5:FILE.h5" (one dataset per field, written by every rank);
   "xdmf:FILE.xmf" (ParaView/VisIt: FILE.h5 written collectively by every rank, datasets
   "coordinates" and one per field [N, bs], and FILE.xmf describing them as a Polyvertex) and
   "xdmf+edges:FILE.xmf" (the same plus the edges, as GNNGraphWriteEdges() "xdmf:" writes them, the
   graph a Polyline): for big graphs. fields[k] is a node Vec; names[k] its name. */
/* The directed edges in the natural edge order: "FILE" or "csv:FILE", "sender,receiver" lines of
   natural node indices (rank 0 writes, one rank's block at a time); "xdmf:FILE.xmf" (every rank
   writes; datasets "edges" [E, 2], "edge_vector", "edge_length" and "coordinates") */
PETSC_EXTERN PetscErrorCode GNNGraphWriteEdges(GNNGraph, const char[]);
PETSC_EXTERN PetscErrorCode GNNGraphWriteNodeFields(GNNGraph, const char[], PetscInt, Vec[], const char *const[]);

#endif
