static const char help[] = "Example 1: evaluate a GNN on a mesh graph distributed over MPI ranks.\n\n"
"The mesh is a DMPlex (-dm_plex_dim, -dm_plex_simplex 0, -dm_plex_box_faces, -dm_plex_box_lower,\n"
"-dm_plex_box_upper, or -dm_plex_filename for a Gmsh file), distributed by PETSc as a solver would.\n"
"The graph (-gnn_graph_type vertex|gll, -gnn_graph_degree p) and the model (-gnn_hidden,\n"
"-gnn_layers, ...) are set from the options below. The input is a fixed field of the coordinates,\n"
"the Taylor-Green velocity (F_in = F_out = mesh dimension d):\n"
"  d = 2: u = ( sin x cos y, -cos x sin y )\n"
"  d = 3: u = ( sin x cos y cos z, -cos x sin y cos z, 0 )\n"
"The GNN starts from -gnn_seed (or -gnn_load_weights FILE) and is evaluated once.\n\n"
"Outputs (one line per graph node in the natural, partition-independent node order):\n"
"  -gnn_output_csv FILE         coordinates, input and output features, %.17g\n"
"  -gnn_output_view vtk:F.vtu   the same for ParaView (or hdf5:F.h5; both gathered on rank 0), or\n"
"                   xdmf:F.xmf   F.h5 written by every rank (collective HDF5) and F.xmf for ParaView\n"
"                   xdmf+edges:F.xmf  the same with the edges: nodes and edges together in ParaView\n"
"  -gnn_output_edges FILE       the directed edges, sender,receiver in natural node indices (rank 0\n"
"                   writes, one rank's block at a time), or xdmf:F.xmf (every rank writes)\n"
"  -gnn_view, -gnn_graph_view   the model, per-rank graph statistics; -log_view shows the GNN events\n\n";

#include <petscgnn.h>
#include <petscgnndata.h>
#include <petscdmplex.h>
#include "exsetup.h"
#include "exoptions.h"

int main(int argc, char **argv)
{
  DM          dm;
  GNNGraph    graph;
  GNN         gnn;
  Vec         x, y;
  PetscInt    dim;
  char        csv[PETSC_MAX_PATH_LEN] = "", view[PETSC_MAX_PATH_LEN] = "", edges[PETSC_MAX_PATH_LEN] = "";
  PetscBool   flg;

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(ExampleWarnUnusedOptions());
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Example 1 options", "GNN");
  PetscCall(PetscOptionsString("-gnn_output_csv", "Write coordinates, input and output per node (natural order)", "GNNGraphWriteNodeFields", csv, csv, sizeof(csv), NULL));
  PetscCall(PetscOptionsString("-gnn_output_view", "Write the fields for ParaView: vtk:FILE.vtu, hdf5:FILE.h5 (both gathered on rank 0), xdmf:FILE.xmf or xdmf+edges:FILE.xmf (written by every rank)", "GNNGraphWriteNodeFields", view, view, sizeof(view), &flg));
  PetscCall(PetscOptionsString("-gnn_output_edges", "Write the directed edges: FILE (CSV, sender,receiver natural indices) or xdmf:FILE.xmf (written by every rank)", "GNNGraphWriteEdges", edges, edges, sizeof(edges), NULL));
  PetscOptionsEnd();

  /* The solver's mesh and its partition, the graph and the model */
  PetscCall(ExampleCreateModel(PETSC_COMM_WORLD, &dm, &graph, &gnn, &dim));
  PetscCall(GNNSetUp(gnn));
  PetscCall(GNNSaveWeightsFromOptions(gnn));

  PetscCall(GNNGraphCreateNodeVec(graph, dim, &x));
  PetscCall(GNNGraphCreateNodeVec(graph, dim, &y));
  PetscCall(GNNDataTaylorGreen(graph, 0.0, 0.0, x));

  PetscCall(GNNApply(gnn, x, y));

  {
    Vec               fields[] = {x, y};
    const char *const names[]  = {"in", "out"};
    PetscReal         norm;
    PetscInt          N;
    PetscCall(VecNorm(y, NORM_2, &norm));
    PetscCall(GNNGraphGetSizes(graph, NULL, NULL, NULL, &N));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "GNN evaluated on %" PetscInt_FMT " graph nodes; output 2-norm %.6e\n", N, (double)norm));
    if (csv[0]) {
      char spec[PETSC_MAX_PATH_LEN + 8];
      PetscCall(PetscSNPrintf(spec, sizeof(spec), "csv:%s", csv));
      PetscCall(GNNGraphWriteNodeFields(graph, spec, 2, fields, names));
    }
    if (view[0]) PetscCall(GNNGraphWriteNodeFields(graph, view, 2, fields, names));
    if (edges[0]) PetscCall(GNNGraphWriteEdges(graph, edges));
  }

  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&y));
  PetscCall(GNNDestroy(&gnn));
  PetscCall(GNNGraphDestroy(&graph));
  PetscCall(DMDestroy(&dm));
  PetscCall(PetscFinalize());
  return 0;
}
