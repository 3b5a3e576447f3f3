/* Private data of GNNGraph: shared by the graph's interface and its implementations. */
#ifndef GNNGRAPHIMPL_H
#define GNNGRAPHIMPL_H

#include <petscgnngraph.h>
#include <petsc/private/petscimpl.h>
#include <petscsection.h>

/* What a type provides (src/graph/impls): its options, the adjacency, what it adds to the view,
   the release of its data. Type-specific setters and getters are composed functions
   ("GNNGraphSetDegree_C", ...), as in PETSc's own classes. */
typedef struct _GNNGraphOps *GNNGraphOps;
struct _GNNGraphOps {
  PetscErrorCode (*setfromoptions)(GNNGraph, PetscOptionItems *);
  /* Builds the adjacency (MATMPIAIJ, row i = edges into node i, global numbering) and the
     coordinates of the owned nodes (a Vec of block size dim, same row layout). */
  PetscErrorCode (*buildadjacency)(GNNGraph, Mat *, Vec *);
  PetscErrorCode (*view)(GNNGraph, PetscViewer);
  PetscErrorCode (*destroy)(GNNGraph);
};

struct _p_GNNGraph {
  PETSCHEADER(struct _GNNGraphOps);
  void       *data;      /* the type's own data (src/graph/impls) */
  DM          dm;        /* the mesh the graph is built from (the types on a DMPlex) */
  GNNHaloType haloType;
  PetscReal   period[3]; /* box period per axis for minimum-image edge vectors; 0: not periodic */
  PetscBool   setupcalled;

  /* Result of set-up */
  PetscInt   dim;           /* coordinate dimension */
  PetscInt   nOwned, nGhost, nEdges;
  PetscInt   N;             /* global number of nodes */
  PetscInt   rstart;        /* global number of the first owned node */
  Mat        adj;           /* adjacency, MATMPIAIJ */
  PetscSF    haloSF;        /* roots: owned nodes; leaves: ghosts (local index nOwned + k) */
  MPI_Datatype haloUnit[2]; /* the unit of the update (0) and of the reverse (1) in flight, else MPI_DATATYPE_NULL */
  PetscInt  *rowptr;        /* CSR of the local edges, by receiver: rowptr[nOwned+1] */
  PetscInt  *senders;       /* local index (owned or nOwned + ghost) of each edge's sender */
  PetscInt  *receivers;     /* local index of each edge's receiver (owned) */
  PetscInt  *globalNumbers; /* global number of every local node (owned, then ghosts) */
  PetscReal *coords;        /* [nOwned + nGhost, dim] */
  PetscInt   nNeighbors;    /* ranks this rank receives ghosts from */

  /* Natural order, built on first use by a parallel sort (graphnatural.cxx): the natural index of
     every owned node, and the SF from the owned nodes (leaves) to the natural layout (roots: rank
     r holds PetscSplitOwnership()'s block r of the natural indices) */
  PetscInt *naturalIndex;
  PetscSF   naturalSF;
};

PETSC_INTERN PetscErrorCode GNNGraphCreate_Vertex(GNNGraph);
PETSC_INTERN PetscErrorCode GNNGraphCreate_GLL(GNNGraph);
PETSC_INTERN PetscErrorCode GNNGraphCreate_Mat(GNNGraph);
PETSC_INTERN PetscErrorCode GNNGraphCreate_NekRS(GNNGraph);
PETSC_INTERN PetscErrorCode GNNGraphCreate_DA(GNNGraph);
/* The type a graph gets when none is chosen: da on a DMDA, vertex otherwise */
PETSC_INTERN PetscErrorCode GNNGraphDefaultType_Private(GNNGraph, GNNGraphType *);
PETSC_INTERN PetscErrorCode GNNGraphSetUpFromAdjacency_Private(GNNGraph, Mat, Vec);
PETSC_INTERN PetscErrorCode GNNGraphPlexCheck_Private(GNNGraph, DM *);
PETSC_INTERN PetscErrorCode GNNGraphAssembleAdjacency_Private(GNNGraph, PetscInt, PetscInt, const PetscInt[], Mat *);
PETSC_INTERN PetscErrorCode GNNPlexNodeNumbering_Private(DM, const PetscInt[], PetscSection *, PetscSection *, PetscInt *);
PETSC_INTERN PetscErrorCode GNNPlexCreateCoordinateVec_Private(GNNGraph, PetscInt, PetscInt, Vec *);
PETSC_INTERN PetscErrorCode GNNGraphEnsureNaturalOrder_Private(GNNGraph);
/* a node Vec moved into a new Vec in the natural layout (rank r: block r of the natural order) */
PETSC_INTERN PetscErrorCode GNNGraphCreateNaturalCopy_Private(GNNGraph, Vec, Vec *);
/* the rank's block of the natural edge order (graphnaturaledges.cxx): natural (sender, receiver)
   pairs and the edge features [x_j - x_i, |x_j - x_i|]; free both with PetscFree2() */
PETSC_INTERN PetscErrorCode GNNGraphCreateNaturalEdges_Private(GNNGraph, PetscInt *, PetscInt *, PetscInt *[], PetscScalar *[]);
PETSC_INTERN int            GNNCompareKeys_Private(PetscInt, const PetscReal *, PetscInt, const PetscReal *, PetscInt);

PETSC_INTERN PetscFunctionList GNNGraphList;

#endif
