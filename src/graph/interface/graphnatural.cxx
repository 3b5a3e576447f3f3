/* The natural node order: partition-independent (lexicographic in the coordinates, the global
   number breaking ties, GNNCompareKeys_Private), used for every file the library writes so that
   the files do not depend on the rank count.

   It is computed by a parallel sample sort, so that no rank ever holds more than its own nodes,
   one bucket of the sort (about N/P keys, under about 2N/P) and the samples (at most P per rank, P^2 in all). The
   result is the natural index of every owned node and one PetscSF, graph->naturalSF, from the
   owned nodes (leaves, global numbering) to the "natural layout" (roots: rank r holds the block r
   of PetscSplitOwnership()'s split of the natural indices 0..N-1). Natural-order files are read
   and written collectively from a Vec in that layout, so rank 0 holds no more than the others. */
#include "gnngraphimpl.h"
#include "sys/gnncollective.hpp"
#include "sys/gnnhash.hpp"
#include "gnnfileio.h"
#include <cerrno>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <petscviewerhdf5.h>
#include <petsclayouthdf5.h>
#include <cstring>
#include <algorithm>
#include <numeric>
#include <vector>

namespace {

/* A key of the sort: the coordinates (the first dim of them) and the global number */
struct NaturalKey {
  PetscReal x[3];
  PetscInt  g;
};

struct NaturalLess {
  PetscInt dim;
  bool     operator()(const NaturalKey &a, const NaturalKey &b) const { return GNNCompareKeys_Private(dim, a.x, a.g, b.x, b.g) < 0; }
};

/* A Vec of bs values per node in the natural layout (the natural SF's roots) */
PetscErrorCode CreateNaturalVec(GNNGraph graph, PetscInt bs, Vec *v)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(PetscSFGetGraph(graph->naturalSF, &n, NULL, NULL, NULL));
  PetscCall(VecCreate(PetscObjectComm((PetscObject)graph), v));
  PetscCall(VecSetSizes(*v, n * bs, graph->N * bs));
  PetscCall(VecSetBlockSize(*v, bs));
  PetscCall(VecSetType(*v, VECSTANDARD));
  PetscFunctionReturn(0);
}

/* The values of the owned nodes (bs each) into the natural layout (toNatural) or back. Each root
   has exactly one leaf, so the reduce with MPI_REPLACE is a plain move. */
PetscErrorCode MoveNatural(GNNGraph graph, PetscBool toNatural, Vec from, Vec to)
{
  PetscInt           bs;
  MPI_Datatype       unit;
  const PetscScalar *a;
  PetscScalar       *b;

  PetscFunctionBegin;
  PetscCall(VecGetBlockSize(from, &bs));
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)bs, MPIU_SCALAR, &unit));
  PetscCallMPI(MPI_Type_commit(&unit));
  PetscCall(VecGetArrayRead(from, &a));
  PetscCall(VecGetArrayWrite(to, &b));
  if (toNatural) {
    PetscCall(PetscSFReduceBegin(graph->naturalSF, unit, a, b, MPI_REPLACE));
    PetscCall(PetscSFReduceEnd(graph->naturalSF, unit, a, b, MPI_REPLACE));
  } else {
    PetscCall(PetscSFBcastBegin(graph->naturalSF, unit, a, b, MPI_REPLACE));
    PetscCall(PetscSFBcastEnd(graph->naturalSF, unit, a, b, MPI_REPLACE));
  }
  PetscCall(VecRestoreArrayWrite(to, &b));
  PetscCall(VecRestoreArrayRead(from, &a));
  PetscCallMPI(MPI_Type_free(&unit));
  PetscFunctionReturn(0);
}

/* The splitters of the sample sort of keys (sorted on each rank): bucket b receives the keys in
   [split[b-1], split[b]). Each rank draws up to P evenly spaced samples of its keys, each weighted
   by the number of keys it stands for, so that ranks with few or no nodes do not skew the buckets;
   splitter b is the first sample at which the weight before it reaches range[b], the first natural
   index of rank b, so that bucket b is close to the natural block b. Every rank computes the same
   splitters from the same gathered samples. */
PetscErrorCode ChooseSplitters(MPI_Comm comm, MPI_Datatype keytype, const NaturalLess &less, const std::vector<NaturalKey> &keys, const PetscInt range[], std::vector<NaturalKey> &split)
{
  PetscMPIInt size, s;
  PetscInt64  n = (PetscInt64)keys.size(), cum = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  s = (PetscMPIInt)std::min<PetscInt64>(n, size);
  std::vector<NaturalKey> mine(s);
  std::vector<PetscInt64> mineWeight(s);
  for (PetscMPIInt j = 0; j < s; j++) {
    PetscInt64 p = j * n / s, q = (j + 1) * n / s;
    mine[j]       = keys[p];
    mineWeight[j] = q - p;
  }
  std::vector<PetscMPIInt> counts(size), displs(size + 1, 0);
  PetscCallMPI(MPI_Allgather(&s, 1, MPI_INT, counts.data(), 1, MPI_INT, comm));
  for (PetscMPIInt r = 0; r < size; r++) displs[r + 1] = displs[r] + counts[r];
  std::vector<NaturalKey> samples(displs[size]);
  std::vector<PetscInt64> weight(displs[size]);
  PetscCallMPI(MPI_Allgatherv(mine.data(), s, keytype, samples.data(), counts.data(), displs.data(), keytype, comm));
  PetscCallMPI(MPI_Allgatherv(mineWeight.data(), s, MPIU_INT64, weight.data(), counts.data(), displs.data(), MPIU_INT64, comm));
  std::vector<PetscMPIInt> order(displs[size]);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](PetscMPIInt i, PetscMPIInt j) { return less(samples[i], samples[j]); });
  split.clear();
  for (PetscMPIInt k : order) {
    while ((PetscMPIInt)split.size() < size - 1 && cum >= range[split.size() + 1]) split.push_back(samples[k]);
    cum += weight[k];
  }
  PetscFunctionReturn(0);
}

/* The natural index of every owned node (natural[i], i < nOwned) by a sample sort of the keys,
   with the layout of the natural indices (map) giving the splitters their targets */
PetscErrorCode SortNatural(GNNGraph graph, PetscLayout map, PetscInt natural[])
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)graph);
  const NaturalLess  less = {graph->dim};
  const PetscInt    *range;
  PetscMPIInt        size;
  MPI_Datatype       keytype;
  PetscInt64         m = 0, offset = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscLayoutGetRanges(map, &range));
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)sizeof(NaturalKey), MPI_BYTE, &keytype));
  PetscCallMPI(MPI_Type_commit(&keytype));

  std::vector<NaturalKey> keys(graph->nOwned);
  for (PetscInt i = 0; i < graph->nOwned; i++) {
    for (PetscInt d = 0; d < 3; d++) keys[i].x[d] = d < graph->dim ? graph->coords[i * graph->dim + d] : 0;
    keys[i].g = graph->rstart + i;
  }
  std::sort(keys.begin(), keys.end(), less);

  /* The keys go to their buckets, which are contiguous in the sorted keys */
  std::vector<NaturalKey> split;
  PetscCall(ChooseSplitters(comm, keytype, less, keys, range, split));
  std::vector<PetscMPIInt> scount(size, 0), sdispl(size, 0), rcount(size), rdispl(size, 0);
  {
    std::vector<PetscInt64> start(size + 1, (PetscInt64)keys.size());
    start[0] = 0;
    for (size_t b = 1; b <= split.size(); b++) start[b] = std::lower_bound(keys.begin(), keys.end(), split[b - 1], less) - keys.begin();
    for (PetscMPIInt b = 0; b < size; b++) {
      scount[b] = (PetscMPIInt)(start[b + 1] - start[b]);
      sdispl[b] = (PetscMPIInt)start[b];
    }
  }
  PetscCallMPI(MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, comm));
  for (PetscMPIInt r = 0; r < size; r++) m += rcount[r];
  GNNCheckCollective(comm, m <= PETSC_MPI_INT_MAX, PETSC_ERR_SUP, "A bucket of the natural-order sort holds more nodes than MPI counts allow: use more ranks");
  for (PetscMPIInt r = 1; r < size; r++) rdispl[r] = rdispl[r - 1] + rcount[r - 1];
  std::vector<NaturalKey> bucket(m);
  PetscCallMPI(MPI_Alltoallv(keys.data(), scount.data(), sdispl.data(), keytype, bucket.data(), rcount.data(), rdispl.data(), keytype, comm));
  PetscCallMPI(MPI_Type_free(&keytype));

  /* The buckets are in order: a bucket's natural indices start after those of the buckets before */
  PetscCallMPI(MPI_Exscan(&m, &offset, 1, MPIU_INT64, MPI_SUM, comm));
  {
    PetscMPIInt rank;
    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    if (rank == 0) offset = 0; /* MPI_Exscan leaves rank 0's result undefined */
  }
  std::vector<PetscInt> order(m), index(m), back(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](PetscInt i, PetscInt j) { return less(bucket[i], bucket[j]); });
  for (PetscInt64 k = 0; k < m; k++) index[order[k]] = (PetscInt)(offset + k);

  /* The indices return to the keys' owners in the order the keys came, i.e. the sorted order */
  PetscCallMPI(MPI_Alltoallv(index.data(), rcount.data(), rdispl.data(), MPIU_INT, back.data(), scount.data(), sdispl.data(), MPIU_INT, comm));
  for (size_t k = 0; k < keys.size(); k++) natural[keys[k].g - graph->rstart] = back[k];
  PetscFunctionReturn(0);
}

} // namespace

/* The natural index of every owned node and the SF to the natural layout (collective) */
PetscErrorCode GNNGraphEnsureNaturalOrder_Private(GNNGraph graph)
{
  MPI_Comm       comm = PetscObjectComm((PetscObject)graph);
  PetscLayout    map;
  char           prefix[256] = "";
  const char    *gprefix;
  static PetscLogEvent event = -1;

  PetscFunctionBegin;
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  if (graph->naturalSF) PetscFunctionReturn(0); /* set on every rank at once */
  /* registered here, on first use, so that the natural order keeps to the graph's sources */
  if (event < 0) PetscCall(PetscLogEventRegister("GNNGraphNatural", GNNGRAPH_CLASSID, &event));
  PetscCall(PetscLogEventBegin(event, graph, 0, 0, 0));
  PetscCall(PetscLayoutCreate(comm, &map));
  PetscCall(PetscLayoutSetSize(map, graph->N));
  PetscCall(PetscLayoutSetBlockSize(map, 1));
  PetscCall(PetscLayoutSetUp(map));
  PetscCall(PetscMalloc1(graph->nOwned + 1, &graph->naturalIndex));
  PetscCall(SortNatural(graph, map, graph->naturalIndex));

  /* Its own options prefix, so that a global -sf_type does not reach it (as the halo SF) */
  PetscCall(PetscSFCreate(comm, &graph->naturalSF));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)graph, &gprefix));
  PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "%sgnn_natural_", gprefix ? gprefix : ""));
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)graph->naturalSF, prefix));
  PetscCall(PetscSFSetGraphLayout(graph->naturalSF, map, graph->nOwned, NULL, PETSC_OWN_POINTER, graph->naturalIndex));
  PetscCall(PetscSFSetFromOptions(graph->naturalSF));
  PetscCall(PetscSFSetUp(graph->naturalSF));
  PetscCall(PetscLayoutDestroy(&map));
  PetscCall(PetscLogEventEnd(event, graph, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* A node Vec (global numbering) moved into a new Vec in the natural layout */
PetscErrorCode GNNGraphCreateNaturalCopy_Private(GNNGraph graph, Vec v, Vec *nv)
{
  PetscInt bs, nl;

  PetscFunctionBegin;
  PetscCall(VecGetBlockSize(v, &bs));
  PetscCall(VecGetLocalSize(v, &nl));
  GNNCheckCollective(PetscObjectComm((PetscObject)graph), nl == bs * graph->nOwned, PETSC_ERR_ARG_SIZ, "The Vec does not hold block size %" PetscInt_FMT " values per owned node of the graph", bs);
  PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
  PetscCall(CreateNaturalVec(graph, bs, nv));
  PetscCall(MoveNatural(graph, PETSC_TRUE, v, *nv));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGatherNatural - Gathers a node Vec (block size bs, the graph's global numbering) on
  rank 0 in the natural node order. On rank 0 *n = number of nodes and *values a new array of
  n*bs entries (free with PetscFree()); elsewhere *n = 0 and *values = NULL. For small graphs and
  tests only: it does not scale beyond what rank 0 can hold, and the library's own outputs do not use
  it (GNNGraphSaveNaturalVec() and GNNGraphWriteNodeFields() write without gathering).
@*/
PetscErrorCode GNNGraphGatherNatural(GNNGraph graph, Vec v, PetscInt *n, PetscScalar *values[])
{
  MPI_Comm                 comm = PetscObjectComm((PetscObject)graph);
  PetscInt                 bs, nl;
  PetscMPIInt              rank, cnt;
  Vec                      nv;
  const PetscScalar       *a;
  std::vector<PetscMPIInt> counts, displs;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 2);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  PetscCall(VecGetBlockSize(v, &bs));
  PetscCall(GNNGraphCreateNaturalCopy_Private(graph, v, &nv));
  /* the natural blocks are in rank order: a gather in rank order is the natural order */
  PetscCall(VecGetLocalSize(nv, &nl));
  PetscCall(PetscMPIIntCast(nl, &cnt));
  PetscCall(GNNGatherLayout_Private(comm, cnt, counts, displs));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  *n      = rank == 0 ? graph->N : 0;
  *values = NULL;
  if (rank == 0) PetscCall(PetscMalloc1(graph->N * bs, values));
  PetscCall(VecGetArrayRead(nv, &a));
  PetscCallMPI(MPI_Gatherv(a, cnt, MPIU_SCALAR, *values, counts.data(), displs.data(), MPIU_SCALAR, 0, comm));
  PetscCall(VecRestoreArrayRead(nv, &a));
  PetscCall(VecDestroy(&nv));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetNaturalIndices - The natural (partition-independent) index of every owned node, e.g. to
  draw random numbers per node that do not depend on the rank count.
@*/
PetscErrorCode GNNGraphGetNaturalIndices(GNNGraph graph, const PetscInt *idx[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
  *idx = graph->naturalIndex;
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphGetFingerprint - A 64-bit hash of the graph's nodes (natural index and coordinates, bit
  for bit) and their number: the same on any rank count and partition (the nodes' hashes are
  summed modulo 2^64, an order-free reduction), different for another mesh, resolution or
  ordering. Checkpoints carry it, so that a run cannot resume on another graph. Collective.
@*/
PetscErrorCode GNNGraphGetFingerprint(GNNGraph graph, PetscInt64 *fingerprint)
{
  uint64_t h = 0, all;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidPointer(fingerprint, 2);
  PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
  for (PetscInt i = 0; i < graph->nOwned; i++) {
    uint64_t z = GNNMix64((uint64_t)graph->naturalIndex[i]);
    for (PetscInt d = 0; d < graph->dim; d++) z = GNNMix64(z ^ GNNDoubleBits((double)graph->coords[i * graph->dim + d]));
    h += z;
  }
  PetscCallMPI(MPI_Allreduce(&h, &all, 1, MPI_UINT64_T, MPI_SUM, PetscObjectComm((PetscObject)graph)));
  all = GNNMix64(all ^ GNNMix64((uint64_t)graph->N) ^ ((uint64_t)graph->dim << 56));
  std::memcpy(fingerprint, &all, sizeof(all));
  PetscFunctionReturn(0);
}

/* Natural-order files whose name ends in .h5 are HDF5: one dataset, [N, bs] ([N] if bs = 1),
   written and read collectively (MPI-IO) by every rank; other names are PETSc binary */
#define NATURAL_DATASET "natural"

static PetscBool IsHDF5File(const char file[])
{
  size_t n = strlen(file);
  return n > 3 && !strcmp(file + n - 3, ".h5") ? PETSC_TRUE : PETSC_FALSE;
}

/* Opens a natural-order file collectively, binary or HDF5 by the name of the file it is (path: the
   file itself, or its temporary file while it is written) */
static PetscErrorCode OpenNaturalFile(MPI_Comm comm, const char file[], const char path[], PetscFileMode mode, PetscViewer *viewer)
{
  PetscFunctionBegin;
  if (IsHDF5File(file)) {
    PetscCall(GNNViewerHDF5Open_Private(comm, path, mode, viewer));
  } else PetscCall(PetscViewerBinaryOpen(comm, path, mode, viewer));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphSaveNaturalVec - Writes a node Vec (block size F) to a file in natural order: PETSc binary,
  or HDF5 if the name ends in .h5 (dataset "natural", [N, F]). Every rank writes its block of the
  natural order (VecView() of a Vec in the natural layout): a binary file is the one a single rank
  would write, header, values and .info (block size) alike. The file is written as FILE.tmp and
  renamed when complete (with its .info), as every output of the library: a failed or killed write
  leaves the previous file or none.
@*/
PetscErrorCode GNNGraphSaveNaturalVec(GNNGraph graph, Vec v, const char file[])
{
  MPI_Comm          comm = PetscObjectComm((PetscObject)graph);
  PetscMPIInt       rank;
  int               good = 1, err = 0;
  Vec               nv;
  PetscErrorCode    ierr;
  const std::string tmp = GNNAtomicTempName_Private(file), info = std::string(file) + ".info";

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 2);
  PetscValidCharPointer(file, 3);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  /* The binary viewer opens the file on rank 0 alone and would fail there alone while the others
     wait in VecView(): rank 0 tries first and every rank learns the outcome */
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = GNNAtomicOpen_Private(file);
    good     = fp && fclose(fp) == 0;
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, "data file", file));
  PetscCall(GNNGraphCreateNaturalCopy_Private(graph, v, &nv));
  PetscCall(PetscObjectSetName((PetscObject)nv, NATURAL_DATASET));
  /* a write that fails (a full disk) leaves no FILE.tmp: the collective atomic writer removes it */
  ierr = GNNAtomicWriteCollective_Private(comm, "data file", file, [&](const char path[]) -> PetscErrorCode {
    PetscViewer    viewer;
    PetscErrorCode ierrView;

    PetscFunctionBegin;
    PetscCall(OpenNaturalFile(comm, file, path, FILE_MODE_WRITE, &viewer));
    ierrView = VecView(nv, viewer);
    /* a rank whose view failed returns at once, without closing the viewer: closing is collective
       (HDF5's H5Fclose) and the other ranks may be waiting for this one inside the view */
    PetscCall(ierrView);
    PetscCall(PetscViewerDestroy(&viewer));
    PetscFunctionReturn(0);
  });
  PetscCall(VecDestroy(&nv));
  PetscCall(ierr);
  if (rank == 0) {
    /* the binary viewer wrote the block size to FILE.tmp.info: it becomes FILE.info first, so the
       data never sit next to another file's block size */
    const std::string tmpInfo = tmp + ".info";
    if (!IsHDF5File(file) && access(tmpInfo.c_str(), F_OK) == 0) {
      good = std::rename(tmpInfo.c_str(), GNNAtomicTempName_Private(info.c_str()).c_str()) == 0;
      if (!good) err = errno;
      good = GNNAtomicCommit_Private(info.c_str(), good);
      if (!good && !err) err = errno;
    }
    good = GNNAtomicCommit_Private(file, good);
    if (!good && !err) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(comm, good, err, "data file", file));
  PetscFunctionReturn(0);
}

/* What rank 0 finds in a natural-order file before the collective read: whether it opens (status
   1 if not); for a binary file whether it holds a Vec header (2 if not) and all the values it
   announces (3 if not), *length = the announced number of values (HDF5: checked collectively) */
static PetscErrorCode InspectNaturalFile(const char file[], PetscInt *status, PetscInt *length)
{
  PetscBool      exists;
  PetscErrorCode ierr;
  int            fd;
  PetscInt       header[2] = {0, 0};
  off_t          end       = 0;
  size_t         scalar;

  PetscFunctionBegin;
  *status = 0;
  *length = 0;
  PetscCall(PetscTestFile(file, 'r', &exists));
  if (!exists) *status = 1;
  if (!exists || IsHDF5File(file)) PetscFunctionReturn(0);
  PetscCall(PetscDataTypeGetSize(PETSC_SCALAR, &scalar));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = PetscBinaryOpen(file, FILE_MODE_READ, &fd);
  if (ierr) *status = 1;
  else {
    if (PetscBinaryRead(fd, header, 2, NULL, PETSC_INT) || header[0] != VEC_FILE_CLASSID || header[1] < 0) *status = 2;
    else if (PetscBinarySeek(fd, 0, PETSC_BINARY_SEEK_END, &end) || (PetscInt64)end < (PetscInt64)(2 * sizeof(PetscInt)) + (PetscInt64)header[1] * (PetscInt64)scalar) *status = 3;
    *length = header[1];
    (void)PetscBinaryClose(fd);
  }
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphLoadNaturalVec - Reads a node Vec written by GNNGraphSaveNaturalVec() (on any rank count)
  into v, whose block size must match the file's values per node. Every rank reads its block of
  the natural order (VecLoad() into a Vec in the natural layout).
@*/
PetscErrorCode GNNGraphLoadNaturalVec(GNNGraph graph, const char file[], Vec v)
{
  MPI_Comm    comm = PetscObjectComm((PetscObject)graph);
  PetscInt    bs, nl, info[2] = {0, 0}; /* status, length */
  PetscMPIInt rank;
  Vec         nv;
  PetscViewer viewer;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidCharPointer(file, 2);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 3);
  PetscCheck(graph->setupcalled, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first");
  PetscCall(VecGetBlockSize(v, &bs));
  PetscCall(VecGetLocalSize(v, &nl));
  GNNCheckCollective(comm, nl == bs * graph->nOwned, PETSC_ERR_ARG_SIZ, "The Vec does not hold block size %" PetscInt_FMT " values per owned node of the graph", bs);
  /* The binary viewer reads on rank 0 and fails there alone: rank 0 checks the file first */
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCall(InspectNaturalFile(file, &info[0], &info[1]));
  PetscCallMPI(MPI_Bcast(info, 2, MPIU_INT, 0, comm));
  PetscCheck(info[0] != 1, comm, PETSC_ERR_FILE_OPEN, "Cannot open the data file %s", file);
  PetscCheck(info[0] != 2, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s is not a PETSc binary Vec", file);
  PetscCheck(info[0] != 3, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s is truncated: it holds fewer than the %" PetscInt_FMT " values its header announces", file, info[1]);
  PetscCall(OpenNaturalFile(comm, file, file, FILE_MODE_READ, &viewer));
  if (IsHDF5File(file)) { /* every rank reads the same metadata: the checks agree */
    PetscBool has;
    PetscInt  fbs = 1;
    PetscCall(PetscViewerHDF5HasDataset(viewer, "/" NATURAL_DATASET, &has));
    PetscCheck(has, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s has no dataset /%s", file, NATURAL_DATASET);
    PetscCall(PetscViewerHDF5ReadSizes(viewer, NATURAL_DATASET, &fbs, &info[1]));
    PetscCheck(fbs == bs, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s holds %" PetscInt_FMT " values per node, the Vec %" PetscInt_FMT, file, fbs, bs);
  }
  PetscCheck(info[1] == graph->N * bs, comm, PETSC_ERR_FILE_UNEXPECTED, "The data file %s holds %" PetscInt_FMT " values, the graph needs %" PetscInt_FMT " nodes x %" PetscInt_FMT, file, info[1], graph->N, bs);
  PetscCall(GNNGraphEnsureNaturalOrder_Private(graph));
  PetscCall(CreateNaturalVec(graph, bs, &nv));
  PetscCall(PetscObjectSetName((PetscObject)nv, NATURAL_DATASET));
  /* VecLoad() takes -<prefix>vecload_block_size from the options, where the binary viewer puts the
     .info files it opens: a prefix of our own keeps another file's block size away from this Vec,
     whose block size is already the caller's */
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)nv, "gnn_natural_"));
  PetscCall(VecLoad(nv, viewer));
  PetscCall(PetscViewerDestroy(&viewer));
  { /* data enter here: a NaN or Inf in a file is named now, not found as a non-finite loss later */
    const PetscScalar *a;
    PetscInt           lo, nn;
    PetscInt64         bad;
    PetscReal          val;
    PetscCall(VecGetOwnershipRange(nv, &lo, NULL));
    PetscCall(VecGetLocalSize(nv, &nn));
    PetscCall(VecGetArrayRead(nv, &a));
    PetscCall(GNNFindNonFinite_Private(comm, nn / bs, bs, a, NULL, lo / bs, &bad, &val));
    PetscCall(VecRestoreArrayRead(nv, &a));
    if (bad >= 0) PetscCall(VecDestroy(&nv));
    PetscCheck(bad < 0, comm, PETSC_ERR_FP, "The data file %s holds a non-finite value (%s) at node %" PetscInt64_FMT " of the natural order, value %" PetscInt64_FMT " of %" PetscInt_FMT " (entry %" PetscInt64_FMT " of the file)", file, GNNNonFiniteName(val), bad / bs, bad % bs, bs, bad);
  }
  PetscCall(MoveNatural(graph, PETSC_FALSE, nv, v));
  PetscCall(VecDestroy(&nv));
  PetscFunctionReturn(0);
}
