/* Node fields to files (CSV, VTK, HDF5) in the natural order, so that a file does not depend on
   the rank count. Rank 0 writes, atomically (gnnfileio.h): a crash or a full disk leaves the
   previous file or none, never a fragment under the file's name. */
#include "gnngraphimpl.h"
#include "gnnfileio.h"
#include "sys/gnncollective.hpp"
#include <petscviewerhdf5.h>
#include <cerrno>
#include <string>
#include <vector>
#include <algorithm>

typedef struct {
  PetscInt                  n;      /* nodes */
  std::vector<PetscScalar*> values; /* coordinates first, then the fields */
  std::vector<PetscInt>     bs;
} NaturalFields;

static PetscErrorCode GatherFields(GNNGraph graph, PetscInt nf, Vec fields[], NaturalFields &nat)
{
  Vec coords;

  PetscFunctionBegin;
  PetscCall(GNNGraphGetCoordinateVec(graph, &coords));
  nat.values.resize(nf + 1);
  nat.bs.resize(nf + 1);
  for (PetscInt k = 0; k <= nf; k++) {
    Vec v = k == 0 ? coords : fields[k - 1];
    PetscCall(VecGetBlockSize(v, &nat.bs[k]));
    PetscCall(GNNGraphGatherNatural(graph, v, &nat.n, &nat.values[k]));
  }
  PetscCall(VecDestroy(&coords));
  PetscFunctionReturn(0);
}

/* The writers only print: a failed write is seen when the stream is closed (GNNAtomicClose_Private) */
static void WriteCSV(FILE *fp, PetscInt dim, PetscInt nf, const char *const names[], NaturalFields &nat)
{
  const char *axes[] = {"x", "y", "z"};

  for (PetscInt d = 0; d < dim; d++) fprintf(fp, "%s%s", d ? "," : "", axes[d]);
  for (PetscInt k = 0; k < nf; k++)
    for (PetscInt f = 0; f < nat.bs[k + 1]; f++) fprintf(fp, ",%s_%" PetscInt_FMT, names[k], f);
  fprintf(fp, "\n");
  for (PetscInt i = 0; i < nat.n; i++) {
    for (PetscInt k = 0; k <= nf; k++)
      for (PetscInt f = 0; f < nat.bs[k]; f++) fprintf(fp, "%s%.17g", (k || f) ? "," : "", (double)PetscRealPart(nat.values[k][i * nat.bs[k] + f]));
    fprintf(fp, "\n");
  }
}

/* VTK XML unstructured grid: the nodes as points (one VTK_VERTEX cell each) with point data */
static void WriteVTU(FILE *fp, PetscInt dim, PetscInt nf, const char *const names[], NaturalFields &nat)
{
  fprintf(fp, "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n<UnstructuredGrid>\n");
  fprintf(fp, "<Piece NumberOfPoints=\"%" PetscInt_FMT "\" NumberOfCells=\"%" PetscInt_FMT "\">\n<PointData>\n", nat.n, nat.n);
  for (PetscInt k = 0; k < nf; k++) {
    PetscInt bs = nat.bs[k + 1];
    fprintf(fp, "<DataArray type=\"Float64\" Name=\"%s\" NumberOfComponents=\"%" PetscInt_FMT "\" format=\"ascii\">\n", names[k], bs);
    for (PetscInt i = 0; i < nat.n * bs; i++) fprintf(fp, "%.17g\n", (double)PetscRealPart(nat.values[k + 1][i]));
    fprintf(fp, "</DataArray>\n");
  }
  fprintf(fp, "</PointData>\n<Points>\n<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n");
  for (PetscInt i = 0; i < nat.n; i++)
    for (PetscInt d = 0; d < 3; d++) fprintf(fp, "%.17g%s", d < dim ? (double)PetscRealPart(nat.values[0][i * dim + d]) : 0.0, d == 2 ? "\n" : " ");
  fprintf(fp, "</DataArray>\n</Points>\n<Cells>\n<DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">\n");
  for (PetscInt i = 0; i < nat.n; i++) fprintf(fp, "%" PetscInt_FMT "\n", i);
  fprintf(fp, "</DataArray>\n<DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n");
  for (PetscInt i = 0; i < nat.n; i++) fprintf(fp, "%" PetscInt_FMT "\n", i + 1);
  fprintf(fp, "</DataArray>\n<DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n");
  for (PetscInt i = 0; i < nat.n; i++) fprintf(fp, "1\n");
  fprintf(fp, "</DataArray>\n</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n");
}

/* HDF5: datasets "coordinates" and one per field, [n, bs], natural order. The viewer opens the
   temporary file by name; its errors are returned (rank 0 alone writes), then reported on every rank. */
static PetscErrorCode WriteHDF5(const char file[], PetscInt nf, const char *const names[], NaturalFields &nat, int *good)
{
  PetscViewer    viewer = NULL;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = PetscViewerHDF5Open(PETSC_COMM_SELF, GNNAtomicTempName_Private(file).c_str(), FILE_MODE_WRITE, &viewer);
  for (PetscInt k = 0; !ierr && k <= nf; k++) {
    Vec v;
    PetscCall(VecCreateSeqWithArray(PETSC_COMM_SELF, nat.bs[k], nat.n * nat.bs[k], nat.values[k], &v));
    PetscCall(PetscObjectSetName((PetscObject)v, k ? names[k - 1] : "coordinates"));
    ierr = VecView(v, viewer);
    PetscCall(VecDestroy(&v));
  }
  if (viewer) { /* the file is complete once closed */
    PetscErrorCode ierrClose = PetscViewerDestroy(&viewer);
    if (!ierr) ierr = ierrClose;
  }
  PetscCall(PetscPopErrorHandler());
  *good = GNNAtomicCommit_Private(file, !ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphWriteNodeFields(GNNGraph graph, const char spec[], PetscInt nf, Vec fields[], const char *const names[])
{
  MPI_Comm      comm = PetscObjectComm((PetscObject)graph);
  std::string   s(spec), kind, file;
  NaturalFields nat;
  PetscMPIInt   rank;
  int           good = 1, err = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  size_t colon = s.find(':');
  kind         = colon == std::string::npos ? "csv" : s.substr(0, colon);
  file         = colon == std::string::npos ? s : s.substr(colon + 1);
  PetscCheck(kind == "csv" || kind == "vtk" || kind == "hdf5", comm, PETSC_ERR_ARG_WRONG, "Unknown output kind %s in %s: use csv:FILE, vtk:FILE.vtu or hdf5:FILE.h5", kind.c_str(), spec);
  PetscCheck(!file.empty(), comm, PETSC_ERR_ARG_WRONG, "No file name in output specification %s", spec);
  PetscCall(GatherFields(graph, nf, fields, nat));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    if (kind == "hdf5") PetscCall(WriteHDF5(file.c_str(), nf, names, nat, &good));
    else {
      FILE *fp = GNNAtomicOpen_Private(file.c_str());
      if (fp && kind == "csv") WriteCSV(fp, graph->dim, nf, names, nat);
      else if (fp) WriteVTU(fp, graph->dim, nf, names, nat);
      good = fp && GNNAtomicClose_Private(fp, file.c_str(), 1);
    }
    if (!good) err = errno;
  }
  for (auto v : nat.values) PetscCall(PetscFree(v));
  PetscCall(GNNCheckWritten_Private(comm, good, err, (kind + " file").c_str(), file.c_str()));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphWriteEdges - Writes every directed edge as a line "sender,receiver" of natural node
  indices (0-based, the row order of GNNGraphWriteNodeFields()), sorted by receiver then sender:
  the same file on any rank count. A plain-PyTorch model can rebuild the graph from it.
@*/
PetscErrorCode GNNGraphWriteEdges(GNNGraph graph, const char file[])
{
  MPI_Comm                 comm = PetscObjectComm((PetscObject)graph);
  PetscMPIInt              rank, cnt;
  const PetscInt          *natOwned;
  std::vector<PetscInt>    natural, local(2 * graph->nEdges), all;
  std::vector<PetscMPIInt> counts, displs;
  int                      good = 1, err = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  /* the natural index of every local node: the ghosts' from their owners */
  PetscCall(GNNGraphGetNaturalIndices(graph, &natOwned));
  natural.assign(natOwned, natOwned + graph->nOwned);
  natural.resize(graph->nOwned + graph->nGhost);
  PetscCall(GNNGraphHaloUpdate(graph, 1, MPIU_INT, natural.data(), natural.data()));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  for (PetscInt q = 0; q < graph->nEdges; q++) {
    local[2 * q]     = natural[graph->receivers[q]];
    local[2 * q + 1] = natural[graph->senders[q]];
  }
  PetscCall(PetscMPIIntCast((PetscInt)local.size(), &cnt));
  PetscCall(GNNGatherLayout_Private(comm, cnt, counts, displs));
  if (rank == 0) all.resize(displs.back());
  PetscCallMPI(MPI_Gatherv(local.data(), cnt, MPIU_INT, all.data(), counts.data(), displs.data(), MPIU_INT, 0, comm));
  if (rank == 0) {
    std::vector<std::pair<PetscInt, PetscInt>> edges(all.size() / 2); /* (receiver, sender) */
    for (size_t q = 0; q < edges.size(); q++) edges[q] = {all[2 * q], all[2 * q + 1]};
    std::sort(edges.begin(), edges.end());
    FILE *fp = GNNAtomicOpen_Private(file);
    if (fp) {
      fprintf(fp, "sender,receiver\n");
      for (auto &e : edges) fprintf(fp, "%" PetscInt_FMT ",%" PetscInt_FMT "\n", e.second, e.first);
    }
    good = fp && GNNAtomicClose_Private(fp, file, 1);
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, "edge file", file));
  PetscFunctionReturn(0);
}
