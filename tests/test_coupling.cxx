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

/* GNNPlexApplyField: one surrogate step on a solver Vec with two fields, a P1 (Gmsh triangles) or
   Q1 (quads) velocity (field 0) and a scalar of the same degree (field 1, must come through
   untouched). Field 0 of the result must be GNNApply of the node Vec that GNNGraphPlexFieldToNodes
   gives, bitwise: on a Vec projected with DMProjectFunction, and on one whose velocity is the
   velocity at the graph's node coordinates put in with GNNGraphPlexNodesToField (the same bits on
   any partition; a projection evaluates a vertex from one of its cells, which differs by rounding
   between partitions). The projected node Vec must be the velocity at the node coordinates to
   1e-12 (the mapping puts each value on its node). Returns the output nodes of the second input in
   the natural order (rank 0 of comm). */
PetscErrorCode Velocity(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  u[0] = std::sin(x[0]) * std::cos(2 * x[1]) + 0.3;
  u[1] = -0.5 * std::cos(x[0]) * std::sin(x[1]) + x[0] * x[1];
  return 0;
}

PetscErrorCode Scalar(PetscInt dim, PetscReal t, const PetscReal x[], PetscInt Nc, PetscScalar *u, void *ctx)
{
  u[0] = 1 + x[0] - 2 * x[1] * x[1];
  return 0;
}

std::vector<double> ApplyField(MPI_Comm comm, PetscBool simplex)
{
  /* triangles: the Gmsh mesh (this PETSc has no triangle generator for simplex boxes) */
  ScopedOptions    o(std::string("-gnn_precision float64 ") + (simplex ? "-dm_plex_filename " PETSCGNN_SOURCE_DIR "/share/meshes/channel-hole.msh" : "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 6,5 -dm_plex_box_upper 2,1"));
  const char      *name = simplex ? "P1 on triangles" : "Q1 on quads";
  DM               dm;
  PetscFE          fe[2];
  GNNGraph         graph;
  GNN              gnn;
  Vec              up, u, uout, uin2, x, xd, y, yf, tmp;
  PetscInt         nO, dim, nf;
  const PetscReal *X;
  PetscScalar     *a;
  PetscBool        eq;
  PetscReal        diff, nrm;
  PetscErrorCode (*funcs[2])(PetscInt, PetscReal, const PetscReal[], PetscInt, PetscScalar *, void *) = {Velocity, Scalar};

  TestCall(DMCreate(comm, &dm));
  TestCall(DMSetType(dm, DMPLEX));
  TestCall(DMSetFromOptions(dm));
  TestCall(PetscFECreateLagrange(comm, 2, 2, simplex, 1, PETSC_DETERMINE, &fe[0]));
  TestCall(PetscFECreateLagrange(comm, 2, 1, simplex, 1, PETSC_DETERMINE, &fe[1]));
  for (int f = 0; f < 2; f++) TestCall(DMSetField(dm, f, NULL, (PetscObject)fe[f]));
  TestCall(DMCreateDS(dm));
  TestCall(GNNCreateFromDM(dm, 2, 2, &gnn)); /* on a DMPlex the graph is of type vertex */
  TestCall(GNNGetGraph(gnn, &graph));
  TestCall(PetscObjectReference((PetscObject)graph)); /* destroyed below with the others */
  TestCall(GNNGraphGetDimension(graph, &dim));
  TestCall(GNNSetUp(gnn));

  /* a projected solver Vec, and the node Vec of the velocity at the node coordinates */
  TestCall(DMCreateGlobalVector(dm, &up));
  TestCall(DMProjectFunction(dm, 0.0, funcs, NULL, INSERT_ALL_VALUES, up));
  TestCall(GNNGraphGetSizes(graph, &nO, NULL, NULL, NULL));
  TestCall(GNNGraphGetCoordinates(graph, &X));
  TestCall(GNNGraphCreateNodeVec(graph, 2, &xd));
  TestCall(VecGetArrayWrite(xd, &a));
  for (PetscInt i = 0; i < nO; i++) TestCall(Velocity(dim, 0.0, X + i * dim, 2, a + 2 * i, NULL));
  TestCall(VecRestoreArrayWrite(xd, &a));
  for (Vec *v : {&x, &y, &yf, &tmp}) TestCall(VecDuplicate(xd, v));
  TestCall(GNNGraphPlexFieldToNodes(graph, dm, 0, 0.0, up, x));
  TestCall(VecWAXPY(tmp, -1.0, xd, x));
  TestCall(VecNorm(tmp, NORM_INFINITY, &diff));
  EXPECT_LE(diff, 1e-12) << name << ": the projected field's node Vec is not the velocity at the node coordinates";

  /* the projected Vec: GNNPlexApplyField = GNNApply on the mapped node Vec */
  TestCall(VecDuplicate(up, &uout));
  TestCall(VecSet(uout, 7.0)); /* overwritten entirely */
  TestCall(GNNPlexApplyField(gnn, dm, 0, 0.0, up, uout));
  TestCall(GNNApply(gnn, x, y));
  TestCall(GNNGraphPlexFieldToNodes(graph, dm, 0, 0.0, uout, yf));
  TestCall(VecEqual(y, yf, &eq));
  EXPECT_TRUE(eq) << name << ", projected input: field 0 of GNNPlexApplyField's result is not GNNApply of the mapped node Vec";

  /* the velocity at the node coordinates */
  TestCall(VecDuplicate(up, &u));
  TestCall(VecCopy(up, u));
  TestCall(GNNGraphPlexNodesToField(graph, dm, 0, xd, u));
  TestCall(GNNPlexApplyField(gnn, dm, 0, 0.0, u, uout));
  TestCall(GNNGraphPlexFieldToNodes(graph, dm, 0, 0.0, u, x));
  TestCall(VecEqual(x, xd, &eq));
  EXPECT_TRUE(eq) << name << ": nodes -> field -> nodes is not exact";
  TestCall(GNNApply(gnn, x, y));
  TestCall(GNNGraphPlexFieldToNodes(graph, dm, 0, 0.0, uout, yf));
  TestCall(VecEqual(y, yf, &eq));
  EXPECT_TRUE(eq) << name << ": field 0 of GNNPlexApplyField's result is not GNNApply of the mapped node Vec";
  TestCall(VecNorm(y, NORM_INFINITY, &nrm));
  EXPECT_GT(nrm, 0) << name;
  TestCall(VecWAXPY(tmp, -1.0, x, y));
  TestCall(VecNorm(tmp, NORM_INFINITY, &diff));
  EXPECT_GT(diff, 1e-3) << name << ": the step left the velocity as it was";

  /* the other field is copied */
  {
    IS *is;
    Vec fa, fb;
    TestCall(DMCreateFieldIS(dm, &nf, NULL, &is));
    EXPECT_EQ(nf, 2);
    TestCall(VecGetSubVector(u, is[1], &fa));
    TestCall(VecGetSubVector(uout, is[1], &fb));
    TestCall(VecEqual(fa, fb, &eq));
    EXPECT_TRUE(eq) << name << ": field 1 changed";
    TestCall(VecRestoreSubVector(u, is[1], &fa));
    TestCall(VecRestoreSubVector(uout, is[1], &fb));
    for (PetscInt f = 0; f < nf; f++) TestCall(ISDestroy(&is[f]));
    TestCall(PetscFree(is));
  }
  /* in place (uout = uin) gives the same */
  TestCall(VecDuplicate(u, &uin2));
  TestCall(VecCopy(u, uin2));
  TestCall(GNNPlexApplyField(gnn, dm, 0, 0.0, uin2, uin2));
  TestCall(VecEqual(uin2, uout, &eq));
  EXPECT_TRUE(eq) << name << ": in place";

  std::vector<double> out = GatherNatural(graph, yf);
  for (Vec *v : {&up, &u, &uout, &uin2, &x, &xd, &y, &yf, &tmp}) TestCall(VecDestroy(v));
  for (int f = 0; f < 2; f++) TestCall(PetscFEDestroy(&fe[f]));
  TestCall(GNNDestroy(&gnn));
  TestCall(GNNGraphDestroy(&graph));
  TestCall(DMDestroy(&dm));
  return out;
}

/* ... and N ranks give the 1-rank result, bitwise (in the natural order) */
void CheckApplyField(PetscBool simplex)
{
  std::vector<double> dist = ApplyField(PETSC_COMM_WORLD, simplex);
  if (Rank() == 0) {
    std::vector<double> ref = ApplyField(PETSC_COMM_SELF, simplex);
    EXPECT_EQ(ref.size(), simplex ? 2u * 276u : 2u * 7u * 6u); /* vertices (Gmsh file: 276; box: 7 x 6) x 2 components */
    EXPECT_TRUE(ref == dist) << "GNNPlexApplyField on " << Size() << " ranks vs 1 rank: rel diff " << RelDiff(ref, dist);
    std::printf("  %s: GNNPlexApplyField on %d rank(s) vs 1 rank: bitwise equal: %s\n", simplex ? "P1" : "Q1", Size(), ref == dist ? "yes" : "no");
  }
}

TEST(Coupling, PlexApplyFieldQ1) { CheckApplyField(PETSC_FALSE); }
TEST(Coupling, PlexApplyFieldP1) { CheckApplyField(PETSC_TRUE); }

} // namespace

int main(int argc, char **argv)
{
  return GNNTestMain(argc, argv, "Solver coupling: DMPlex fields <-> graph nodes\n");
}

namespace {
/* Node types from a label: with the box's boundary label "marker" (value 1 on the boundary faces),
   feature 1 is set exactly at the nodes on the boundary of [0,2]x[0,1] (vertices and edge
   midpoints of boundary faces), on any rank count */
void CheckLabelNodeTypes(PetscInt k)
{
  Coupled          c(k, "5,4");
  const PetscInt   values[] = {1};
  Vec              types;
  const PetscReal *x;
  PetscInt         nOwned, bad = 0, set = 0;
  const PetscScalar *t;
  TestCall(GNNGraphCreatePlexLabelNodeVec(c.graph, "marker", 1, values, &types));
  TestCall(GNNGraphGetSizes(c.graph, &nOwned, NULL, NULL, NULL));
  TestCall(GNNGraphGetCoordinates(c.graph, &x));
  TestCall(VecGetArrayRead(types, &t));
  for (PetscInt i = 0; i < nOwned; i++) {
    const PetscReal px = x[2 * i], py = x[2 * i + 1];
    const bool      boundary = px < 1e-12 || px > 2 - 1e-12 || py < 1e-12 || py > 1 - 1e-12;
    bad += (PetscRealPart(t[i]) == 1.0) != boundary;
    set += PetscRealPart(t[i]) == 1.0;
  }
  TestCall(VecRestoreArrayRead(types, &t));
  TestCall(VecDestroy(&types));
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &set, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD);
  EXPECT_EQ(bad, 0) << "Q" << k << ": nodes whose type is not their place on the boundary";
  EXPECT_EQ(set, k == 1 ? 18 : 36) << "Q" << k << ": boundary nodes of a 5x4 box";
}
} // namespace

TEST(Coupling, NodeTypesFromLabelQ1) { CheckLabelNodeTypes(1); }
TEST(Coupling, NodeTypesFromLabelQ2) { CheckLabelNodeTypes(2); }

/* A label the mesh does not have is a clear error on every rank */
TEST(Coupling, NodeTypesFromMissingLabelIsAnError)
{
  Coupled        c(1, "4,4");
  const PetscInt values[] = {1};
  Vec            types = NULL;
  PetscErrorCode ierr;
  TestCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = GNNGraphCreatePlexLabelNodeVec(c.graph, "no such label", 1, values, &types);
  TestCall(PetscPopErrorHandler());
  EXPECT_NE(ierr, 0);
  TestCall(VecDestroy(&types));
}
