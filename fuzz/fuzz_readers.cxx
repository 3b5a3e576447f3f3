/* libFuzzer targets for the library's file readers (make fuzz; not part of make test). One source,
   one binary per reader, chosen at compile time with -DFUZZ_READER=N:
     1 weights     GNNLoadWeights (zip structure check, LibTorch's unpickler, the state-dict checks)
     2 checkpoint  GNNTrainerLoadCheckpoint (the same, then every field's range and the graph record)
     3 natural     GNNGraphLoadNaturalVec on a PETSc binary Vec file (header, length, values)
     4 nekrs       GNNGraphCreateNekRS + set-up on one NekRS rank's files; the input is split into
                   global_ids, pos_node and edge_index by two 32-bit lengths at its start
     5 gmsh        GNNGmshCheckFile, the check before PETSc's Gmsh reader (2.2 and 4.1, ASCII and
                   binary)
   A reader must return an error for a bad file, never crash or read out of bounds: the targets
   are linked against a build of the library of their own (fuzz/run.sh), compiled with clang,
   -fsanitize=fuzzer-no-link (coverage for libFuzzer), ASan and UBSan; PETSc and LibTorch are not
   instrumented, so ASan sees their reads through its interceptors only. Every input goes through
   the real reader on PETSC_COMM_SELF with PETSc's errors returned, not printed. */
#include <petscdmplex.h>
#include <petscgnn.h>
#include <petscgnnnekrs.h>
#include <petscgnntrain.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#ifndef FUZZ_READER
  #error "compile with -DFUZZ_READER=1 (weights), 2 (checkpoint), 3 (natural), 4 (nekrs) or 5 (gmsh)"
#endif

static DM          dm;
static GNN         gnn;
static GNNGraph    graph;
static GNNTrainer  tr;
static Vec         node;
static std::string dir; /* a folder of this process for the files of one input */

static void Check(PetscErrorCode ierr, const char *what)
{
  if (ierr) {
    std::fprintf(stderr, "fuzz set-up failed: %s (error %d)\n", what, (int)ierr);
    std::abort();
  }
}

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
  char tmpl[] = "/tmp/petscgnn-fuzz.XXXXXX";
  Check(PetscInitializeNoArguments(), "PetscInitialize");
  /* a small model on a 3 x 3 quad box: quick to load into, real in every check */
  Check(PetscOptionsInsertString(NULL, "-dm_plex_dim 2 -dm_plex_simplex 0 -dm_plex_box_faces 3,3 -gnn_hidden 4 -gnn_layers 1 -gnn_precision float64 -gnn_memory_limit 0"), "options");
  Check(DMCreate(PETSC_COMM_SELF, &dm), "DMCreate");
  Check(DMSetType(dm, DMPLEX), "DMSetType");
  Check(DMSetFromOptions(dm), "DMSetFromOptions");
  Check(GNNCreateFromDM(dm, PETSC_DECIDE, PETSC_DECIDE, &gnn), "GNNCreateFromDM");
  Check(GNNSetUp(gnn), "GNNSetUp");
  Check(GNNGetGraph(gnn, &graph), "GNNGetGraph");
  Check(GNNGraphCreateNodeVec(graph, 2, &node), "GNNGraphCreateNodeVec");
  Check(GNNTrainerCreate(PETSC_COMM_SELF, &tr), "GNNTrainerCreate");
  Check(GNNTrainerSetGNN(tr, gnn), "GNNTrainerSetGNN");
  Check(GNNTrainerSetFromOptions(tr), "GNNTrainerSetFromOptions");
  Check(GNNTrainerSetUp(tr), "GNNTrainerSetUp");
  if (!mkdtemp(tmpl)) std::abort();
  dir = tmpl;
  Check(PetscPushErrorHandler(PetscReturnErrorHandler, NULL), "PetscPushErrorHandler");
  return 0;
}

static void WriteFile(const std::string &file, const uint8_t *data, size_t size)
{
  FILE *fp = std::fopen(file.c_str(), "wb");
  if (!fp) std::abort();
  if (size && std::fwrite(data, 1, size, fp) != size) std::abort();
  std::fclose(fp);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const std::string file = dir + "/input";

#if FUZZ_READER == 1
  WriteFile(file, data, size);
  (void)GNNLoadWeights(gnn, file.c_str());
#elif FUZZ_READER == 2
  WriteFile(file, data, size);
  (void)GNNTrainerLoadCheckpoint(tr, file.c_str());
#elif FUZZ_READER == 3
  WriteFile(file, data, size);
  (void)GNNGraphLoadNaturalVec(graph, file.c_str(), node);
#elif FUZZ_READER == 4
  uint32_t len[2] = {0, 0};
  if (size < sizeof(len)) return 0;
  std::memcpy(len, data, sizeof(len));
  size_t off = sizeof(len), n0 = std::min<size_t>(len[0], size - off), n1 = std::min<size_t>(len[1], size - off - n0);
  WriteFile(dir + "/global_ids_rank_0_size_1.bin", data + off, n0);
  WriteFile(dir + "/pos_node_rank_0_size_1.bin", data + off + n0, n1);
  WriteFile(dir + "/edge_index_rank_0_size_1.bin", data + off + n0 + n1, size - off - n0 - n1);
  GNNGraph g = NULL;
  if (!GNNGraphCreateNekRS(PETSC_COMM_SELF, dir.c_str(), 1, &g)) (void)GNNGraphSetUp(g);
  (void)GNNGraphDestroy(&g);
#elif FUZZ_READER == 5
  WriteFile(file, data, size);
  (void)GNNGmshCheckFile(PETSC_COMM_SELF, file.c_str());
#endif
  return 0;
}
