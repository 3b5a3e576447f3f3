/* Node fields and edges to files (CSV, VTK, HDF5, XDMF) in the natural order, so that a file does
   not depend on the rank count. Nothing is gathered on rank 0:
   - HDF5 and XDMF are written by every rank (its block of the natural node order and of the natural
     edge order, graphnatural.cxx and graphnaturaledges.cxx) into one HDF5 file through PETSc's
     collective HDF5 viewer, and the .xmf (a few lines) by rank 0: the output for big graphs;
   - the text formats (CSV, VTK's ASCII .vtu) are one stream that rank 0 writes: the other ranks send
     it their blocks of the natural order one at a time, so rank 0 holds one block, never the whole
     graph, but writes alone (serial time: a warning beyond 4M nodes).
   Atomically (gnnfileio.h): a crash or a full disk leaves the previous file or none, never a
   fragment under the file's name. */
#include "gnngraphimpl.h"
#include "gnnfileio.h"
#include "sys/gnncollective.hpp"
#include <petscviewerhdf5.h>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

/* Beyond this many nodes the text outputs warn: rank 0 writes them alone */
#define GNN_SERIAL_WARN_NODES 4000000

/* Rank 0 calls write(n, arrays) for every rank's block in rank order: its own, then each other
   rank's, received when rank 0 is ready for it. Block r holds n_r items; arrays[k] has bs[k]
   values (of MPI type `type`) per item. */
template <typename T>
static PetscErrorCode StreamBlocks(MPI_Comm comm, MPI_Datatype type, PetscInt n, const std::vector<const T *> &mine, const std::vector<PetscInt> &bs, const std::function<void(PetscInt, const std::vector<const T *> &)> &write)
{
  PetscMPIInt rank, size, go = 1;
  PetscInt    cnt;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (rank) { /* one block in flight at a time: each rank waits for rank 0's call */
    PetscCallMPI(MPI_Recv(&go, 1, MPI_INT, 0, 0, comm, MPI_STATUS_IGNORE));
    PetscCallMPI(MPI_Send(&n, 1, MPIU_INT, 0, 0, comm));
    for (size_t k = 0; k < mine.size(); k++) {
      PetscMPIInt c;
      PetscCall(PetscMPIIntCast(n * bs[k], &c));
      PetscCallMPI(MPI_Send(mine[k], c, type, 0, 1 + (PetscMPIInt)k, comm));
    }
    PetscFunctionReturn(0);
  }
  write(n, mine);
  std::vector<std::vector<T>> buf(mine.size());
  std::vector<const T *>      ptr(mine.size());
  for (PetscMPIInt r = 1; r < size; r++) {
    PetscCallMPI(MPI_Send(&go, 1, MPI_INT, r, 0, comm));
    PetscCallMPI(MPI_Recv(&cnt, 1, MPIU_INT, r, 0, comm, MPI_STATUS_IGNORE));
    for (size_t k = 0; k < mine.size(); k++) {
      PetscMPIInt c;
      PetscCall(PetscMPIIntCast(cnt * bs[k], &c));
      buf[k].resize(c);
      PetscCallMPI(MPI_Recv(buf[k].data(), c, type, r, 1 + (PetscMPIInt)k, comm, MPI_STATUS_IGNORE));
      ptr[k] = buf[k].data();
    }
    write(cnt, ptr);
  }
  PetscFunctionReturn(0);
}

/* The coordinates, then every field, each in a new Vec in the natural layout (this rank's block) */
static PetscErrorCode CreateNaturalFields(GNNGraph graph, PetscInt nf, Vec fields[], std::vector<Vec> &nat, std::vector<PetscInt> &bs)
{
  Vec coords;

  PetscFunctionBegin;
  PetscCall(GNNGraphGetCoordinateVec(graph, &coords));
  nat.resize(nf + 1);
  bs.resize(nf + 1);
  for (PetscInt k = 0; k <= nf; k++) {
    Vec v = k == 0 ? coords : fields[k - 1];
    PetscCall(VecGetBlockSize(v, &bs[k]));
    PetscCall(GNNGraphCreateNaturalCopy_Private(graph, v, &nat[k]));
  }
  PetscCall(VecDestroy(&coords));
  PetscFunctionReturn(0);
}

/* Streams the natural blocks of some of the Vecs (which: indices into nat) to write() on rank 0 */
static PetscErrorCode StreamNatural(MPI_Comm comm, const std::vector<Vec> &nat, const std::vector<PetscInt> &bs, const std::vector<PetscInt> &which, const std::function<void(PetscInt, const std::vector<const PetscScalar *> &)> &write)
{
  std::vector<const PetscScalar *> a(which.size());
  std::vector<PetscInt>            b(which.size());
  PetscInt                         n = 0;

  PetscFunctionBegin;
  for (size_t k = 0; k < which.size(); k++) {
    PetscCall(VecGetArrayRead(nat[which[k]], &a[k]));
    PetscCall(VecGetLocalSize(nat[which[k]], &n));
    b[k] = bs[which[k]];
    n /= b[k];
  }
  PetscCall(StreamBlocks<PetscScalar>(comm, MPIU_SCALAR, n, a, b, write));
  for (size_t k = 0; k < which.size(); k++) PetscCall(VecRestoreArrayRead(nat[which[k]], &a[k]));
  PetscFunctionReturn(0);
}

/* The writers only print (fp is NULL except on rank 0): a failed write is seen when the stream is
   closed (GNNAtomicClose_Private) */
static PetscErrorCode WriteCSV(MPI_Comm comm, FILE *fp, PetscInt dim, PetscInt nf, const char *const names[], const std::vector<Vec> &nat, const std::vector<PetscInt> &bs)
{
  const char           *axes[] = {"x", "y", "z"};
  std::vector<PetscInt> all(nf + 1);

  PetscFunctionBegin;
  if (fp) {
    for (PetscInt d = 0; d < dim; d++) fprintf(fp, "%s%s", d ? "," : "", axes[d]);
    for (PetscInt k = 0; k < nf; k++)
      for (PetscInt f = 0; f < bs[k + 1]; f++) fprintf(fp, ",%s_%" PetscInt_FMT, names[k], f);
    fprintf(fp, "\n");
  }
  for (PetscInt k = 0; k <= nf; k++) all[k] = k;
  PetscCall(StreamNatural(comm, nat, bs, all, [&](PetscInt n, const std::vector<const PetscScalar *> &v) {
    for (PetscInt i = 0; i < n; i++) {
      for (PetscInt k = 0; k <= nf; k++)
        for (PetscInt f = 0; f < bs[k]; f++) fprintf(fp, "%s%.17g", (k || f) ? "," : "", (double)PetscRealPart(v[k][i * bs[k] + f]));
      fprintf(fp, "\n");
    }
  }));
  PetscFunctionReturn(0);
}

/* VTK XML unstructured grid: the nodes as points (one VTK_VERTEX cell each) with point data; each
   array streamed in turn */
static PetscErrorCode WriteVTU(MPI_Comm comm, FILE *fp, PetscInt dim, PetscInt N, PetscInt nf, const char *const names[], const std::vector<Vec> &nat, const std::vector<PetscInt> &bs)
{
  PetscFunctionBegin;
  if (fp) {
    fprintf(fp, "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n<UnstructuredGrid>\n");
    fprintf(fp, "<Piece NumberOfPoints=\"%" PetscInt_FMT "\" NumberOfCells=\"%" PetscInt_FMT "\">\n<PointData>\n", N, N);
  }
  for (PetscInt k = 0; k < nf; k++) {
    const PetscInt b = bs[k + 1];
    if (fp) fprintf(fp, "<DataArray type=\"Float64\" Name=\"%s\" NumberOfComponents=\"%" PetscInt_FMT "\" format=\"ascii\">\n", names[k], b);
    PetscCall(StreamNatural(comm, nat, bs, {k + 1}, [&](PetscInt n, const std::vector<const PetscScalar *> &v) {
      for (PetscInt i = 0; i < n * b; i++) fprintf(fp, "%.17g\n", (double)PetscRealPart(v[0][i]));
    }));
    if (fp) fprintf(fp, "</DataArray>\n");
  }
  if (fp) fprintf(fp, "</PointData>\n<Points>\n<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n");
  PetscCall(StreamNatural(comm, nat, bs, {0}, [&](PetscInt n, const std::vector<const PetscScalar *> &v) {
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt d = 0; d < 3; d++) fprintf(fp, "%.17g%s", d < dim ? (double)PetscRealPart(v[0][i * dim + d]) : 0.0, d == 2 ? "\n" : " ");
  }));
  if (fp) {
    fprintf(fp, "</DataArray>\n</Points>\n<Cells>\n<DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">\n");
    for (PetscInt i = 0; i < N; i++) fprintf(fp, "%" PetscInt_FMT "\n", i);
    fprintf(fp, "</DataArray>\n<DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n");
    for (PetscInt i = 0; i < N; i++) fprintf(fp, "%" PetscInt_FMT "\n", i + 1);
    fprintf(fp, "</DataArray>\n<DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n");
    for (PetscInt i = 0; i < N; i++) fprintf(fp, "1\n");
    fprintf(fp, "</DataArray>\n</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n");
  }
  PetscFunctionReturn(0);
}

/* A text file that rank 0 writes from streamed blocks: opened on rank 0 (every rank stops with the
   same error if it cannot be), written by body(fp) on every rank (fp NULL except on rank 0), closed
   and renamed atomically, the outcome again collective */
static PetscErrorCode WriteStreamedText(MPI_Comm comm, const std::string &file, const char *what, const std::function<PetscErrorCode(FILE *)> &body)
{
  PetscMPIInt rank;
  FILE       *fp   = NULL;
  int         good = 1, err = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    fp   = GNNAtomicOpen_Private(file.c_str());
    good = fp != NULL;
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, what, file.c_str()));
  PetscCall(body(fp));
  if (rank == 0) {
    good = GNNAtomicClose_Private(fp, file.c_str(), 1);
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, what, file.c_str()));
  PetscFunctionReturn(0);
}

/* The edges in the natural edge order into an open HDF5 file, written collectively (each rank its
   block of the order): "edges" [E, 2] (sender, receiver: natural node indices, PetscInt),
   "edge_vector" [E, dim] and "edge_length" [E] (the model's edge input). *E = the edge count. */
static PetscErrorCode WriteEdgesHDF5(GNNGraph graph, PetscViewer viewer, PetscInt *E)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)graph);
  const PetscInt dim = graph->dim;
  PetscInt     n, *pairs;
  PetscScalar *feat, *a, *b;
  IS           is;
  Vec          vec, len;

  PetscFunctionBegin;
  PetscCall(GNNGraphCreateNaturalEdges_Private(graph, &n, E, &pairs, &feat));
  PetscCall(ISCreateGeneral(comm, 2 * n, pairs, PETSC_USE_POINTER, &is));
  PetscCall(ISSetBlockSize(is, 2));
  PetscCall(PetscObjectSetName((PetscObject)is, "edges"));
  PetscCall(ISView(is, viewer));
  PetscCall(ISDestroy(&is));
  PetscCall(VecCreateMPI(comm, n * dim, PETSC_DETERMINE, &vec));
  PetscCall(VecSetBlockSize(vec, dim));
  PetscCall(VecCreateMPI(comm, n, PETSC_DETERMINE, &len));
  PetscCall(VecGetArrayWrite(vec, &a));
  PetscCall(VecGetArrayWrite(len, &b));
  for (PetscInt k = 0; k < n; k++) {
    for (PetscInt d = 0; d < dim; d++) a[k * dim + d] = feat[k * (dim + 1) + d];
    b[k] = feat[k * (dim + 1) + dim];
  }
  PetscCall(VecRestoreArrayWrite(vec, &a));
  PetscCall(VecRestoreArrayWrite(len, &b));
  PetscCall(PetscFree2(pairs, feat));
  PetscCall(PetscObjectSetName((PetscObject)vec, "edge_vector"));
  PetscCall(PetscObjectSetName((PetscObject)len, "edge_length"));
  PetscCall(VecView(vec, viewer));
  PetscCall(VecView(len, viewer));
  PetscCall(VecDestroy(&vec));
  PetscCall(VecDestroy(&len));
  PetscFunctionReturn(0);
}

/* FILE.h5 written collectively by every rank (each its block of the natural order through PETSc's
   HDF5 viewer: nothing gathered): "coordinates" and every field, [N, bs] ([N] if bs = 1), and with
   edges the edge datasets (WriteEdgesHDF5; *E = their count). Rank 0 first creates the temporary
   file, so that a path that cannot be written is the library's error on every rank, not HDF5's. */
static PetscErrorCode WriteNaturalHDF5(GNNGraph graph, const std::string &h5, const char *what, PetscInt nf, Vec fields[], const char *const names[], PetscBool edges, std::vector<PetscInt> &bs, PetscInt *E)
{
  MPI_Comm         comm = PetscObjectComm((PetscObject)graph);
  std::vector<Vec> nat;
  PetscViewer      viewer;
  PetscMPIInt      rank;
  int              good = 1, err = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = GNNAtomicOpen_Private(h5.c_str());
    good     = fp && fclose(fp) == 0;
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, what, h5.c_str()));
  PetscCall(CreateNaturalFields(graph, nf, fields, nat, bs));
  *E = 0;
  /* a write that fails (a full disk) leaves no FILE.h5.tmp: the collective atomic writer removes it */
  PetscCall(GNNAtomicWriteCollective_Private(comm, what, h5.c_str(), [&](const char path[]) -> PetscErrorCode {
    PetscErrorCode ierrView = 0;

    PetscFunctionBegin;
    PetscCall(GNNViewerHDF5Open_Private(comm, path, FILE_MODE_WRITE, &viewer));
    for (PetscInt k = 0; k <= nf && !ierrView; k++) {
      PetscCall(PetscObjectSetName((PetscObject)nat[k], k ? names[k - 1] : "coordinates"));
      ierrView = VecView(nat[k], viewer);
    }
    if (edges && !ierrView) ierrView = WriteEdgesHDF5(graph, viewer, E);
    /* A rank whose write failed returns at once, without closing the file: HDF5's calls are
       collective and a failure inside one is not (rank 0 writes the metadata: it can fail in
       H5Dcreate while the others wait in that call's barrier), so closing (H5Fclose, collective)
       would wait for ranks that wait for it. The viewer is left open; the atomic writer removes the
       temporary file and reports, and the program that stops on the error ends the other ranks. */
    PetscCall(ierrView);
    PetscCall(PetscViewerDestroy(&viewer)); /* collective: the file is complete on every rank's return */
    PetscFunctionReturn(0);
  }));
  for (Vec &v : nat) PetscCall(VecDestroy(&v));
  if (rank == 0) {
    good = GNNAtomicCommit_Private(h5.c_str(), 1);
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, what, h5.c_str()));
  PetscFunctionReturn(0);
}

/* XDMF for ParaView/VisIt: the coordinates and every field in FILE.h5 (FILE.xmf's name with .h5
   for .xmf; WriteNaturalHDF5), and FILE.xmf, written by rank 0 (a few lines, no data), describing
   the nodes as a Polyvertex with node attributes; with edges, the edges too and one grid: a
   Polyline of 2-node segments over the same coordinates, the fields as node attributes and the
   edge features as cell attributes, so that ParaView reads the nodes and the edges together. */
static PetscErrorCode WriteXDMF(GNNGraph graph, const std::string &xmf, PetscInt nf, Vec fields[], const char *const names[], PetscBool edges)
{
  MPI_Comm              comm  = PetscObjectComm((PetscObject)graph);
  const size_t          n     = xmf.size();
  const std::string     h5    = (n > 4 && xmf.compare(n - 4, 4, ".xmf") == 0 ? xmf.substr(0, n - 4) : xmf) + ".h5";
  const std::string     h5ref = h5.substr(h5.find_last_of('/') == std::string::npos ? 0 : h5.find_last_of('/') + 1); /* relative to the .xmf */
  std::vector<PetscInt> bs;
  PetscMPIInt           rank;
  PetscInt              E = 0;
  int                   good = 1, err = 0;

  PetscFunctionBegin;
  PetscCheck(graph->dim == 2 || graph->dim == 3, comm, PETSC_ERR_SUP, "XDMF output needs 2 or 3 coordinates per node, the graph has %" PetscInt_FMT, graph->dim);
  PetscCall(WriteNaturalHDF5(graph, h5, "xdmf file", nf, fields, names, edges, bs, &E));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = GNNAtomicOpen_Private(xmf.c_str());
    if (fp) {
      const PetscInt N = graph->N;
      /* an HDF5 dataset [M] for block size 1, else [M, bs] */
      auto item = [&](const char *name, PetscInt M, PetscInt b, const char *type, size_t precision) {
        fprintf(fp, "        <DataItem Dimensions=\"%" PetscInt_FMT, M);
        if (b != 1) fprintf(fp, " %" PetscInt_FMT, b);
        fprintf(fp, "\" NumberType=\"%s\" Precision=\"%zu\" Format=\"HDF\">%s:/%s</DataItem>\n", type, precision, h5ref.c_str(), name);
      };
      auto attribute = [&](const char *name, const char *center, PetscInt M, PetscInt b) {
        fprintf(fp, "      <Attribute Name=\"%s\" AttributeType=\"%s\" Center=\"%s\">\n", name, b == 1 ? "Scalar" : b == 3 ? "Vector" : "Matrix", center);
        item(name, M, b, "Float", sizeof(PetscScalar));
        fprintf(fp, "      </Attribute>\n");
      };
      fprintf(fp, "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"3.0\">\n  <Domain>\n    <Grid Name=\"graph\" GridType=\"Uniform\">\n");
      if (edges) {
        fprintf(fp, "      <Topology TopologyType=\"Polyline\" NumberOfElements=\"%" PetscInt_FMT "\" NodesPerElement=\"2\">\n", E);
        item("edges", E, 2, "Int", sizeof(PetscInt));
        fprintf(fp, "      </Topology>\n");
      } else fprintf(fp, "      <Topology TopologyType=\"Polyvertex\" NumberOfElements=\"%" PetscInt_FMT "\" NodesPerElement=\"1\"/>\n", N);
      fprintf(fp, "      <Geometry GeometryType=\"%s\">\n", graph->dim == 3 ? "XYZ" : "XY");
      item("coordinates", N, graph->dim, "Float", sizeof(PetscScalar));
      fprintf(fp, "      </Geometry>\n");
      for (PetscInt k = 0; k < nf; k++) attribute(names[k], "Node", N, bs[k + 1]);
      if (edges) {
        attribute("edge_vector", "Cell", E, graph->dim);
        attribute("edge_length", "Cell", E, 1);
      }
      fprintf(fp, "    </Grid>\n  </Domain>\n</Xdmf>\n");
    }
    good = fp && GNNAtomicClose_Private(fp, xmf.c_str(), 1);
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, "xdmf file", xmf.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphWriteNodeFields(GNNGraph graph, const char spec[], PetscInt nf, Vec fields[], const char *const names[])
{
  MPI_Comm              comm = PetscObjectComm((PetscObject)graph);
  std::string           s(spec), kind, file;
  std::vector<Vec>      nat;
  std::vector<PetscInt> bs;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  size_t colon = s.find(':');
  kind         = colon == std::string::npos ? "csv" : s.substr(0, colon);
  file         = colon == std::string::npos ? s : s.substr(colon + 1);
  PetscCheck(kind == "csv" || kind == "vtk" || kind == "hdf5" || kind == "xdmf" || kind == "xdmf+edges", comm, PETSC_ERR_ARG_WRONG, "Unknown output kind %s in %s: use csv:FILE, vtk:FILE.vtu, hdf5:FILE.h5, xdmf:FILE.xmf or xdmf+edges:FILE.xmf", kind.c_str(), spec);
  PetscCheck(!file.empty(), comm, PETSC_ERR_ARG_WRONG, "No file name in output specification %s", spec);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  if (kind == "xdmf" || kind == "xdmf+edges") {
    PetscCall(WriteXDMF(graph, file, nf, fields, names, kind == "xdmf+edges" ? PETSC_TRUE : PETSC_FALSE));
    PetscFunctionReturn(0);
  }
  if (kind == "hdf5") {
    PetscInt E;
    PetscCall(WriteNaturalHDF5(graph, file, "hdf5 file", nf, fields, names, PETSC_FALSE, bs, &E));
    PetscFunctionReturn(0);
  }
  if (graph->N > GNN_SERIAL_WARN_NODES) PetscCall(PetscFPrintf(comm, PETSC_STDERR, "Warning: the %s output of %" PetscInt_FMT " nodes is written by rank 0 alone; xdmf:FILE.xmf writes from every rank\n", kind.c_str(), graph->N));
  PetscCall(WriteStreamedText(comm, file, (kind + " file").c_str(), [&](FILE *fp) -> PetscErrorCode {
    PetscCall(CreateNaturalFields(graph, nf, fields, nat, bs));
    if (kind == "csv") PetscCall(WriteCSV(comm, fp, graph->dim, nf, names, nat, bs));
    else PetscCall(WriteVTU(comm, fp, graph->dim, graph->N, nf, names, nat, bs));
    for (Vec &v : nat) PetscCall(VecDestroy(&v));
    return 0;
  }));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphWriteEdges - Writes every directed edge in the natural edge order (by receiver, then
  sender, natural node indices, 0-based: the row order of GNNGraphWriteNodeFields()), the same file
  on any rank count. "FILE" or "csv:FILE": lines "sender,receiver" (written by rank 0, streamed one
  rank's block at a time), from which a plain-PyTorch model can rebuild the graph; "xdmf:FILE.xmf":
  FILE.h5 written collectively by every rank (datasets "coordinates" [N, dim], "edges" [E, 2]
  sender and receiver, "edge_vector" [E, dim] and "edge_length" [E]) and FILE.xmf, the graph as a
  Polyline for ParaView (GNNGraphWriteNodeFields() "xdmf+edges:" adds node fields).
@*/
PetscErrorCode GNNGraphWriteEdges(GNNGraph graph, const char spec[])
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)graph);
  std::string  s(spec), kind = "csv", file(spec);
  PetscInt     n, E, *pairs;
  PetscScalar *feat;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidCharPointer(spec, 2);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  /* a prefix is a known kind followed by ':'; anything else is a CSV file name (which may hold ':') */
  for (const char *k : {"csv", "xdmf"})
    if (s.compare(0, strlen(k) + 1, std::string(k) + ":") == 0) {
      kind = k;
      file = s.substr(strlen(k) + 1);
    }
  PetscCheck(!file.empty(), comm, PETSC_ERR_ARG_WRONG, "No file name in edge output specification %s", spec);
  if (kind == "xdmf") {
    PetscCall(WriteXDMF(graph, file, 0, NULL, NULL, PETSC_TRUE));
    PetscFunctionReturn(0);
  }
  if (graph->N > GNN_SERIAL_WARN_NODES) PetscCall(PetscFPrintf(comm, PETSC_STDERR, "Warning: the edge CSV of %" PetscInt_FMT " nodes is written by rank 0 alone; xdmf:FILE.xmf writes from every rank\n", graph->N));
  PetscCall(GNNGraphCreateNaturalEdges_Private(graph, &n, &E, &pairs, &feat));
  PetscCall(WriteStreamedText(comm, file, "edge file", [&](FILE *fp) -> PetscErrorCode {
    if (fp) fprintf(fp, "sender,receiver\n");
    return StreamBlocks<PetscInt>(comm, MPIU_INT, n, {pairs}, {2}, [&](PetscInt m, const std::vector<const PetscInt *> &p) {
      for (PetscInt k = 0; k < m; k++) fprintf(fp, "%" PetscInt_FMT ",%" PetscInt_FMT "\n", p[0][2 * k], p[0][2 * k + 1]);
    });
  }));
  PetscCall(PetscFree2(pairs, feat));
  PetscFunctionReturn(0);
}
