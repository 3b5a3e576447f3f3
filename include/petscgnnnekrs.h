/*
   NekRS graphs: the per-rank files written by the gnn plugin of NekRS (nekRS-ML) as a GNNGraph.

   NekRS rank R of S writes, in one directory (raw little-endian arrays, no header):
     pos_node_rank_R_size_S.bin    float64 [N,3]  coordinates of every GLL point of its elements
     global_ids_rank_R_size_S.bin  int64   [N]    NekRS global id: copies of one point share it;
                                                  0 marks an element-interior (unique) point
     edge_index_rank_R_size_S.bin  int32   [E,2]  (source, target) local point indices
     fld_NAME_rank_R_size_S.bin    float64 [N,c]  a node field, e.g. fld_u_time_0.0_...

   GNNGraphCreateNekRS() turns them into one graph node per physical point:
   - on a communicator of S ranks, rank r reads NekRS rank r's files and the graph keeps NekRS's own
     partition; on one rank it reads the files of all S ranks and builds the merged graph. Other
     rank counts are an error.
   - copies of a nonzero id (inside a rank, across ranks, periodic images) are one node, owned by
     the lowest rank holding a copy and a ghost on the others; its coordinates are those of its
     first copy on the owner (lowest NekRS rank, then lowest point index), so both forms give each
     node the same bits; each id-0 point is a node of its own;
   - coordinates are wrapped canonically into [0, L) on every periodic axis (within 1e-9 L of L
     or of 0 becomes 0 exactly) and the graph is made periodic (GNNGraphSetPeriodicity) with the
     same periods, so edge vectors are minimum images: periodic copies give consistent features;
   - the edges of the files, both directions, map to node pairs and are deduplicated (an edge
     between two copies of one point would be a self-loop and is dropped).
   The period defaults to 2*pi on all three axes (the Taylor-Green box); the option
   -gnn_nekrs_period L or Lx,Ly,Lz changes it (0 on an axis: not periodic along it).

   The graph is of type nekrs (GNNGraphCreateNekRS(), or GNNGraphSetType() with
   GNNGraphNekRSSetFiles(), or the options -gnn_graph_type nekrs -gnn_nekrs_dir D -gnn_nekrs_ranks S);
   GNNGraphSetFromOptions() reads its options, GNNGraphSetUp() reads the files (a bad file is an
   error there, on every rank). Its owned node k is the k-th row of the adjacency on the rank.

   GNNNekRSLoadField() fills a node Vec (block size ncomp, the graph's layout) from the field files
   fld_NAME_rank_R_size_S.bin of the same NekRS ranks; each owned node takes the value of the copy
   its coordinates come from. name is the part between "fld_" and "_rank_"; a name without
   "_time_" means time 0.0: "u" reads fld_u_time_0.0_rank_R_size_S.bin.

   Errors (a missing or short file, an index out of range, copies of one id at different
   positions) are decided collectively: every rank of the communicator returns the same error.
*/
#ifndef PETSCGNNNEKRS_H
#define PETSCGNNNEKRS_H

#include <petscgnngraph.h>

PETSC_EXTERN PetscErrorCode GNNGraphCreateNekRS(MPI_Comm, const char[], PetscInt, GNNGraph *);
PETSC_EXTERN PetscErrorCode GNNGraphNekRSSetFiles(GNNGraph, const char[], PetscInt);
PETSC_EXTERN PetscErrorCode GNNNekRSLoadField(GNNGraph, const char[], PetscInt, const char[], PetscInt, Vec);

#endif
