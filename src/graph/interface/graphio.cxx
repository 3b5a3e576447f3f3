/* Node fields to files (CSV, VTK, HDF5, XDMF) in the natural order, so that a file does not depend
   on the rank count. CSV, VTK and HDF5 gather on rank 0, which writes; XDMF is written by every
   rank (its block of the natural order) into one HDF5 file, with a small .xmf from rank 0: the
   output for big graphs. Atomically (gnnfileio.h): a crash or a full disk leaves the previous file
   or none, never a fragment under the file's name. */
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

/* XDMF for ParaView/VisIt: the coordinates and every field in FILE.h5 (FILE.xmf's name with .h5
   for .xmf), datasets [N, bs] in the natural order, written collectively (each rank its block of
   the natural order through PETSc's HDF5 viewer: nothing gathered), and FILE.xmf, written by rank
   0 (a few lines, no data), describing the nodes as a Polyvertex with node attributes. */
static PetscErrorCode WriteXDMF(GNNGraph graph, const std::string &xmf, PetscInt nf, Vec fields[], const char *const names[])
{
  MPI_Comm              comm = PetscObjectComm((PetscObject)graph);
  const size_t          n    = xmf.size();
  const std::string     h5   = (n > 4 && xmf.compare(n - 4, 4, ".xmf") == 0 ? xmf.substr(0, n - 4) : xmf) + ".h5";
  const std::string     h5ref = h5.substr(h5.find_last_of('/') == std::string::npos ? 0 : h5.find_last_of('/') + 1); /* relative to the .xmf */
  std::vector<PetscInt> bs(nf + 1);
  PetscErrorCode        ierr;
  Vec                   coords;
  PetscMPIInt           rank;
  int                   good = 1, err = 0;

  PetscFunctionBegin;
  PetscCheck(graph->dim == 2 || graph->dim == 3, comm, PETSC_ERR_SUP, "XDMF output needs 2 or 3 coordinates per node, the graph has %" PetscInt_FMT, graph->dim);
  PetscCall(GNNGraphGetCoordinateVec(graph, &coords));
  /* a write that fails (a full disk) leaves no FILE.h5.tmp: the collective atomic writer removes it */
  ierr = GNNAtomicWriteCollective_Private(comm, "hdf5 file", h5.c_str(), [&](const char path[]) -> PetscErrorCode {
    PetscViewer    viewer;
    PetscErrorCode ierrView = 0;

    PetscFunctionBegin;
    PetscCall(PetscViewerHDF5Open(comm, path, FILE_MODE_WRITE, &viewer));
    for (PetscInt k = 0; k <= nf && !ierrView; k++) {
      Vec v = k ? fields[k - 1] : coords, nv;
      PetscCall(VecGetBlockSize(v, &bs[k]));
      PetscCall(GNNGraphCreateNaturalCopy_Private(graph, v, &nv));
      PetscCall(PetscObjectSetName((PetscObject)nv, k ? names[k - 1] : "coordinates"));
      ierrView = VecView(nv, viewer);
      PetscCall(VecDestroy(&nv));
    }
    PetscCall(PetscViewerDestroy(&viewer)); /* collective: the file is complete on every rank's return */
    PetscCall(ierrView);
    PetscFunctionReturn(0);
  });
  PetscCall(VecDestroy(&coords));
  PetscCall(ierr);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    good = GNNAtomicCommit_Private(h5.c_str(), 1);
    FILE *fp = good ? GNNAtomicOpen_Private(xmf.c_str()) : NULL;
    if (fp) {
      const PetscInt N = graph->N;
      /* an HDF5 dataset [N] for block size 1, else [N, bs] */
      auto item = [&](const char *name, PetscInt b) {
        if (b == 1) fprintf(fp, "        <DataItem Dimensions=\"%" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/%s</DataItem>\n", N, h5ref.c_str(), name);
        else fprintf(fp, "        <DataItem Dimensions=\"%" PetscInt_FMT " %" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/%s</DataItem>\n", N, b, h5ref.c_str(), name);
      };
      fprintf(fp, "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n  <Domain>\n    <Grid Name=\"graph\" GridType=\"Uniform\">\n");
      fprintf(fp, "      <Topology TopologyType=\"Polyvertex\" NumberOfElements=\"%" PetscInt_FMT "\" NodesPerElement=\"1\"/>\n", N);
      fprintf(fp, "      <Geometry GeometryType=\"%s\">\n", graph->dim == 3 ? "XYZ" : "XY");
      item("coordinates", graph->dim);
      fprintf(fp, "      </Geometry>\n");
      for (PetscInt k = 0; k < nf; k++) {
        fprintf(fp, "      <Attribute Name=\"%s\" AttributeType=\"%s\" Center=\"Node\">\n", names[k], bs[k + 1] == 1 ? "Scalar" : bs[k + 1] == 3 ? "Vector" : "Matrix");
        item(names[k], bs[k + 1]);
        fprintf(fp, "      </Attribute>\n");
      }
      fprintf(fp, "    </Grid>\n  </Domain>\n</Xdmf>\n");
    }
    good = fp && GNNAtomicClose_Private(fp, xmf.c_str(), 1);
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, "xdmf file", xmf.c_str()));
  PetscFunctionReturn(0);
}

/* Beyond this many nodes the outputs gathered on rank 0 warn: they hold the whole graph there */
#define GNN_GATHER_WARN_NODES 4000000

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
  PetscCheck(kind == "csv" || kind == "vtk" || kind == "hdf5" || kind == "xdmf", comm, PETSC_ERR_ARG_WRONG, "Unknown output kind %s in %s: use csv:FILE, vtk:FILE.vtu, hdf5:FILE.h5 or xdmf:FILE.xmf", kind.c_str(), spec);
  PetscCheck(!file.empty(), comm, PETSC_ERR_ARG_WRONG, "No file name in output specification %s", spec);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  if (kind == "xdmf") {
    PetscCall(WriteXDMF(graph, file, nf, fields, names));
    PetscFunctionReturn(0);
  }
  if (graph->N > GNN_GATHER_WARN_NODES) PetscCall(PetscFPrintf(comm, PETSC_STDERR, "Warning: %s output of %" PetscInt_FMT " nodes gathers every value on rank 0; xdmf:FILE.xmf writes from every rank\n", kind.c_str(), graph->N));
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
  if (graph->N > GNN_GATHER_WARN_NODES) PetscCall(PetscFPrintf(comm, PETSC_STDERR, "Warning: the edge file of %" PetscInt_FMT " nodes gathers every edge on rank 0\n", graph->N));
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
