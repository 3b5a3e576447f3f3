#include "sys/gnncollective.hpp"
#include <cmath>
#include <cstdint>
#include <cstdio>

PetscErrorCode GNNGatherLayout_Private(MPI_Comm comm, PetscMPIInt cnt, std::vector<PetscMPIInt> &counts, std::vector<PetscMPIInt> &displs)
{
  PetscMPIInt rank, size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  counts.assign(rank == 0 ? size : 0, 0);
  displs.assign(rank == 0 ? size + 1 : 0, 0);
  PetscCallMPI(MPI_Gather(&cnt, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm));
  for (PetscMPIInt r = 0; r < (rank == 0 ? size : 0); r++) displs[r + 1] = displs[r] + counts[r];
  PetscFunctionReturn(0);
}

PetscErrorCode GNNFindNonFinite_Private(MPI_Comm comm, PetscInt nblocks, PetscInt bs, const PetscScalar a[], const PetscInt index[], PetscInt blockStart, PetscInt64 *first, PetscReal *value)
{
  PetscInt64 mine = INT64_MAX, all;
  int        kind = -1; /* of the entry at `all` on the rank that holds it: 0 NaN, 1 +Inf, 2 -Inf */
  PetscInt   at   = -1;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < nblocks; i++)
    for (PetscInt f = 0; f < bs; f++) {
      if (PetscIsInfOrNanScalar(a[i * bs + f])) {
        const PetscInt64 pos = (PetscInt64)(index ? index[i] : blockStart + i) * bs + f;
        if (pos < mine) {
          mine = pos;
          at   = i * bs + f;
        }
      }
    }
  PetscCallMPI(MPI_Allreduce(&mine, &all, 1, MPIU_INT64, MPI_MIN, comm));
  if (all != INT64_MAX && mine == all) {
    const PetscReal x = PetscRealPart(a[at]);
    kind              = std::isinf((double)x) ? (x > 0 ? 1 : 2) : 0;
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &kind, 1, MPI_INT, MPI_MAX, comm));
  *first = all == INT64_MAX ? -1 : all;
  *value = kind == 1 ? (PetscReal)INFINITY : (kind == 2 ? -(PetscReal)INFINITY : (kind == 0 ? (PetscReal)NAN : 0)); /* PETSC_INFINITY is finite (PETSC_MAX_REAL / 4) */
  PetscFunctionReturn(0);
}

PetscErrorCode GNNRanksSharing_Private(MPI_Comm comm, PetscMPIInt color, PetscMPIInt *n)
{
  MPI_Comm node, same;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Comm_split(node, color, 0, &same));
  PetscCallMPI(MPI_Comm_size(same, n));
  PetscCallMPI(MPI_Comm_free(&same));
  PetscCallMPI(MPI_Comm_free(&node));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNHostAvailableMemory_Private(PetscLogDouble *bytes)
{
  double kb = 0;
  char   line[256];

  PetscFunctionBegin;
  if (FILE *fp = fopen("/proc/meminfo", "r")) {
    while (fgets(line, sizeof(line), fp))
      if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    fclose(fp);
  }
  *bytes = (PetscLogDouble)(kb * 1024.0);
  PetscFunctionReturn(0);
}

/* ---- reproducible sums ---- */
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace {

/* One element is a whole vector of n int64 (the datatype says n): v[0] summed (a count), v[1..]
   maximised (exponents). A whole vector per element, so that MPI never hands the operation a
   segment of it (segmented and ring algorithms split long buffers of plain elements) */
void CountMaxOp(void *in, void *inout, int *len, MPI_Datatype *dt)
{
  int size;
  MPI_Type_size(*dt, &size);
  const int n = size / (int)sizeof(int64_t);
  for (int k = 0; k < *len; k++) {
    const int64_t *a = (const int64_t *)in + (size_t)k * n;
    int64_t       *b = (int64_t *)inout + (size_t)k * n;
    for (int i = 0; i < n; i++) b[i] = i == 0 ? b[i] + a[i] : std::max(a[i], b[i]);
  }
}

MPI_Op countMaxOp = MPI_OP_NULL;

PetscErrorCode FreeCountMaxOp(void)
{
  PetscFunctionBegin;
  if (countMaxOp != MPI_OP_NULL) PetscCallMPI(MPI_Op_free(&countMaxOp));
  countMaxOp = MPI_OP_NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode Agree(MPI_Comm comm, int64_t *v, PetscMPIInt n)
{
  PetscFunctionBegin;
  if (countMaxOp == MPI_OP_NULL) {
    PetscCallMPI(MPI_Op_create(CountMaxOp, 1, &countMaxOp));
    PetscCall(PetscRegisterFinalize(FreeCountMaxOp));
  }
  MPI_Datatype vec;
  PetscCallMPI(MPI_Type_contiguous(n, MPI_INT64_T, &vec));
  PetscCallMPI(MPI_Type_commit(&vec));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 1, vec, countMaxOp, comm));
  PetscCallMPI(MPI_Type_free(&vec));
  PetscFunctionReturn(0);
}

void AgreeCB(void *ctx, int64_t *v, int64_t n)
{
  if (Agree(*(MPI_Comm *)ctx, v, (PetscMPIInt)n)) throw std::runtime_error("the all-reduce of a reproducible sum's bounds failed");
}

void SumCB(void *ctx, int64_t *v, int64_t n)
{
  if (MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_INT64_T, MPI_SUM, *(MPI_Comm *)ctx) != MPI_SUCCESS) throw std::runtime_error("the all-reduce of a reproducible sum failed");
}

const GNNReproReduce *current = nullptr;

} // namespace

GNNReproComm::GNNReproComm(MPI_Comm c) : comm(c)
{
  rr.ctx   = &comm;
  rr.agree = AgreeCB;
  rr.sum   = SumCB;
}

const GNNReproReduce *GNNReproCurrent() { return current; }
GNNReproScope::GNNReproScope(const GNNReproReduce *r) : prev(current) { current = r; }
GNNReproScope::~GNNReproScope() { current = prev; }

PetscErrorCode GNNSumReproducible(MPI_Comm comm, PetscInt m, PetscInt ncols, const double terms[], double sums[])
{
  std::vector<int64_t> ag(1 + ncols, 0), s(ncols, 0);
  std::vector<double>  mx(ncols, 0.0), f(ncols);

  PetscFunctionBegin;
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt c = 0; c < ncols; c++) mx[c] = gnnrepro::MaxAbs(mx[c], terms[i * ncols + c]);
  ag[0] = m;
  for (PetscInt c = 0; c < ncols; c++) ag[1 + c] = gnnrepro::BoundExponent(mx[c]);
  PetscCall(Agree(comm, ag.data(), (PetscMPIInt)(1 + ncols)));
  const int64_t room = gnnrepro::kFixedBits - gnnrepro::BitLength(ag[0]);
  for (PetscInt c = 0; c < ncols; c++) f[c] = gnnrepro::Pow2(room - ag[1 + c]);
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt c = 0; c < ncols; c++) s[c] += gnnrepro::ToFixed(terms[i * ncols + c] * f[c]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s.data(), (PetscMPIInt)ncols, MPI_INT64_T, MPI_SUM, comm));
  for (PetscInt c = 0; c < ncols; c++) sums[c] = gnnrepro::FromFixed(s[c], ag[1 + c] - room, ag[1 + c] == gnnrepro::kNonFinite);
  PetscFunctionReturn(0);
}
