/* Solver coupling: fields of a DMPlex finite-element vector <-> graph node vectors on the same DM */
#include "gnntest.hpp"
#include <petscgnnts.h>
#include <petscfe.h>

namespace {

PetscErrorCode Identity(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  for (PetscInt c = 0; c < Nc; c++) u[c] = x[c];
  return 0;
}

/* A quad mesh with a Lagrange Q_k vector field; the graph (vertex for k = 1, GLL p = k) on the same DM */
struct Coupled {
  DM       dm;
  GNNGraph graph;
  Vec      u;
  Coupled(PetscInt k, const char *faces)
  {
    PetscFE fe;
    ScopedOptions o(std::string("-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces ") + faces + " -dm_plex_box_upper 2,1");
    TestCall(DMCreate(PETSC_COMM_WORLD, &dm));
    TestCall(DMSetType(dm, DMPLEX));
    TestCall(DMSetFromOptions(dm));
    TestCall(PetscFECreateLagrange(PETSC_COMM_WORLD, 2, 2, PETSC_FALSE, k, PETSC_DETERMINE, &fe));
    TestCall(DMSetField(dm, 0, NULL, (PetscObject)fe));
    TestCall(DMCreateDS(dm));
    TestCall(PetscFEDestroy(&fe));
    TestCall(DMCreateGlobalVector(dm, &u));
    TestCall(GNNGraphCreate(PETSC_COMM_WORLD, &graph));
    TestCall(GNNGraphSetDM(graph, dm));
    TestCall(GNNGraphSetType(graph, k == 1 ? GNNGRAPHVERTEX : GNNGRAPHGLL));
    TestCall(GNNGraphSetDegree(graph, k));
    TestCall(GNNGraphSetUp(graph));
  }
  ~Coupled()
  {
    VecDestroy(&u);
    GNNGraphDestroy(&graph);
    DMDestroy(&dm);
  }
};

/* The field's DOFs are the graph's nodes: projecting f(x) = x gives each node its coordinates */
void CheckAlignment(PetscInt k, const char *faces)
{
  Coupled          c(k, faces);
  PetscErrorCode (*funcs[1])(PetscInt, PetscReal, const PetscReal[], PetscInt, PetscScalar *, void *) = {Identity};
  Vec              nodes, coords, back;
  PetscReal        err;
  PetscBool        eq;
  TestCall(DMProjectFunction(c.dm, 0.0, funcs, NULL, INSERT_ALL_VALUES, c.u));
  TestCall(GNNGraphCreateNodeVec(c.graph, 2, &nodes));
  TestCall(GNNGraphPlexFieldToNodes(c.graph, c.dm, 0, 0.0, c.u, nodes));
  TestCall(GNNGraphGetCoordinateVec(c.graph, &coords));
  TestCall(VecAXPY(coords, -1.0, nodes));
  TestCall(VecNorm(coords, NORM_INFINITY, &err));
  EXPECT_LE(err, 1e-12) << "Q" << k << ": node values are not the node coordinates";
  /* and back: nodes -> field reproduces the vector */
  TestCall(VecDuplicate(c.u, &back));
  TestCall(VecSet(back, 0.0));
  TestCall(GNNGraphPlexNodesToField(c.graph, c.dm, 0, nodes, back));
  TestCall(VecEqual(back, c.u, &eq));
  EXPECT_TRUE(eq);
  TestCall(VecDestroy(&nodes));
  TestCall(VecDestroy(&coords));
  TestCall(VecDestroy(&back));
}

TEST(Coupling, Q1FieldOnVertexGraph) { CheckAlignment(1, "6,5"); }
TEST(Coupling, Q2FieldOnGLLGraph) { CheckAlignment(2, "5,4"); }

/* A node Vec that does not match the field (here 3 components for a 2-component field) is a
   clear error on every rank, not garbage */
TEST(Coupling, MismatchIsAnError)
{
  Coupled c(1, "4,4");
  Vec     nodes;
  TestCall(GNNGraphCreateNodeVec(c.graph, 3, &nodes)); /* 3 components, the field has 2 */
  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscErrorCode ierr = GNNGraphPlexFieldToNodes(c.graph, c.dm, 0, 0.0, c.u, nodes);
  TestCall(PetscPopErrorHandler());
  EXPECT_NE(ierr, 0);
  TestCall(VecDestroy(&nodes));
}

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "Solver coupling: DMPlex fields <-> graph nodes\n");
}
