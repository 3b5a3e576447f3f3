/* NekRS graphs: the per-rank files of NekRS's gnn plugin as a GNNGraph of type mat
   (include/petscgnnnekrs.h describes the files and the rules).

   How ownership and numbering are decided (scalable, no rank holds more than its share):
   1. each rank reads its NekRS rank's files (one rank: all of them) and merges the copies it holds
      itself: one local node per nonzero id (coordinates of its first copy), one per id-0 point;
   2. rendezvous on a directory: the record (id, coordinates) of every local node with a nonzero id
      goes to directory rank id mod size (MPI_Alltoallv); the directory sorts the records of one id
      by rank, names the lowest rank the owner, checks that all copies sit at the same (periodic)
      position and answers each record with its owner;
   3. the owned nodes (id-0 points and owned ids, in the order of the rank's points) are numbered
      contiguously by rank (MPI_Exscan);
   4. a second round on the same records carries the owner's global number to every rank that holds
      a copy: the ghosts' global numbers;
   5. edges become (receiver, sender) pairs of global numbers, deduplicated locally and inserted
      into the adjacency with INSERT_VALUES (rows of other ranks go through the MatStash, where
      duplicates collapse), after a MATPREALLOCATOR pass. */
#include "gnngraphimpl.h"
#include "sys/gnnoptions.hpp"
#include "sys/gnncollective.hpp"
#include <petscgnnnekrs.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

/* The files of one NekRS rank */
struct Piece {
  PetscInt               nekRank = 0;
  long long              n       = 0; /* points */
  std::vector<long long> gid;         /* [n] */
  std::vector<double>    pos;         /* [n, 3] */
  std::vector<int>       edges;       /* [E, 2]: source, target */
};

/* Where each owned node's coordinates and values come from; composed with the graph */
struct NekMap {
  PetscInt               nekRanks = 0;
  std::vector<PetscInt>  pieceRank; /* NekRS rank of each piece read by this rank */
  std::vector<long long> pieceN;    /* its number of points */
  std::vector<PetscInt>  ownedPiece, ownedPoint;
};

/* The data of a graph of type nekrs: where its files are, the box period, and (after set-up) the
   map of its owned nodes to points of the files */
struct GNNGraph_NekRS {
  std::string dir;
  PetscInt    nekRanks  = 0;
  PetscReal   period[3] = {2 * PETSC_PI, 2 * PETSC_PI, 2 * PETSC_PI};
  NekMap     *map       = nullptr;
};

/* A failure found by one rank: the first one it met */
struct Failure {
  PetscErrorCode code = 0;
  std::string    msg;
  void           set(PetscErrorCode c, const std::string &m)
  {
    if (!code) {
      code = c;
      msg  = m;
    }
  }
};

/* Collective: if any rank failed, every rank returns the error of the lowest failing rank (a
   failing rank reports its own message), so no rank goes on into a collective alone */
PetscErrorCode CheckCollective(MPI_Comm comm, const Failure &f)
{
  PetscMPIInt rank, size, first, bad = f.code ? 1 : 0, nbad, cand;
  char        msg[1024] = "";
  int         code      = (int)f.code;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  cand = bad ? rank : size;
  PetscCallMPI(MPI_Allreduce(&cand, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Allreduce(&bad, &nbad, 1, MPI_INT, MPI_SUM, comm));
  if (rank == first) PetscCall(PetscStrncpy(msg, f.msg.c_str(), sizeof(msg)));
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, first, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, first, comm));
  if (bad) SETERRQ(PETSC_COMM_SELF, f.code, "%s", f.msg.c_str());
  SETERRQ(PETSC_COMM_SELF, (PetscErrorCode)code, "%s (found by rank %d; %d rank(s) failed)", msg, first, nbad);
}

std::string FileName(const char dir[], const std::string &stem, PetscInt R, PetscInt S)
{
  char buf[64];
  std::snprintf(buf, sizeof(buf), "_rank_%d_size_%d.bin", (int)R, (int)S);
  return std::string(dir) + "/" + stem + buf;
}

/* Reads a raw little-endian file of records of `per` items of type T; expect >= 0: the number of
   records it must hold. Returns false and sets the failure otherwise. */
template <typename T>
bool ReadArray(const std::string &file, long long per, long long expect, const char *what, std::vector<T> &out, Failure &f)
{
  FILE     *fp = std::fopen(file.c_str(), "rb");
  long long bytes, rec = per * (long long)sizeof(T);
  char      buf[512];

  if (!fp) {
    f.set(PETSC_ERR_FILE_OPEN, "Cannot open NekRS file " + file + " (" + std::strerror(errno) + ")");
    return false;
  }
  std::fseek(fp, 0, SEEK_END);
  bytes = std::ftell(fp);
  std::fseek(fp, 0, SEEK_SET);
  if (bytes < 0 || bytes % rec || (expect >= 0 && bytes != expect * rec)) {
    if (expect >= 0) std::snprintf(buf, sizeof(buf), "NekRS file %s has %lld bytes, expected %lld (%lld %s of %lld bytes)%s", file.c_str(), bytes, expect * rec, expect, what, rec, bytes < expect * rec ? ": it is short" : "");
    else std::snprintf(buf, sizeof(buf), "NekRS file %s has %lld bytes, not a whole number of %s of %lld bytes", file.c_str(), bytes, what, rec);
    f.set(PETSC_ERR_FILE_UNEXPECTED, buf);
    std::fclose(fp);
    return false;
  }
  out.resize((size_t)(bytes / (long long)sizeof(T)));
  if (bytes && std::fread(out.data(), 1, (size_t)bytes, fp) != (size_t)bytes) {
    f.set(PETSC_ERR_FILE_READ, "Cannot read NekRS file " + file);
    std::fclose(fp);
    return false;
  }
  std::fclose(fp);
  return true;
}

bool ReadPiece(const char dir[], PetscInt R, PetscInt S, Piece &p, Failure &f)
{
  const std::string gfile = FileName(dir, "global_ids", R, S), efile = FileName(dir, "edge_index", R, S);
  char              buf[512];

  p.nekRank = R;
  if (!ReadArray(gfile, 1, -1, "int64 ids", p.gid, f)) return false;
  p.n = (long long)p.gid.size();
  if (p.n >= PETSC_MAX_INT) {
    f.set(PETSC_ERR_SUP, "NekRS file " + gfile + " has more points than PetscInt can index");
    return false;
  }
  const std::string pfile = FileName(dir, "pos_node", R, S);
  if (!ReadArray(pfile, 3, p.n, "points x 3 float64", p.pos, f)) return false;
  /* a NaN would pass every comparison of the merge and the natural sort: coordinates are checked here */
  for (size_t i = 0; i < p.pos.size(); i++)
    if (!std::isfinite(p.pos[i])) {
      std::snprintf(buf, sizeof(buf), "NekRS file %s: point %zu has a non-finite coordinate %zu (%g)", pfile.c_str(), i / 3, i % 3, p.pos[i]);
      f.set(PETSC_ERR_FP, buf);
      return false;
    }
  if (!ReadArray(efile, 2, -1, "edges (2 x int32)", p.edges, f)) return false;
  for (size_t i = 0; i < p.gid.size(); i++)
    if (p.gid[i] < 0) {
      std::snprintf(buf, sizeof(buf), "NekRS file %s: point %zu has a negative global id %lld", gfile.c_str(), i, p.gid[i]);
      f.set(PETSC_ERR_FILE_UNEXPECTED, buf);
      return false;
    }
  for (size_t e = 0; e < p.edges.size(); e++)
    if (p.edges[e] < 0 || p.edges[e] >= p.n) {
      std::snprintf(buf, sizeof(buf), "NekRS file %s: edge %zu has point index %d, outside [0, %lld) of %s", efile.c_str(), e / 2, p.edges[e], p.n, gfile.c_str());
      f.set(PETSC_ERR_FILE_UNEXPECTED, buf);
      return false;
    }
  return true;
}

/* Canonical position on a periodic axis: in [0, L); within 1e-9 L of 0 or L becomes 0 exactly, so
   periodic copies get the same bits */
double Wrap(double x, double L)
{
  if (!(L > 0)) return x;
  double y = x - L * std::floor(x / L);
  if (std::fabs(y) <= 1e-9 * L || y >= L * (1 - 1e-9)) y = 0.0;
  return y;
}

/* Whether two wrapped positions are one point (periodic distance on periodic axes) */
bool SamePoint(const double a[3], const double b[3], const PetscReal period[3])
{
  for (int d = 0; d < 3; d++) {
    double L = period[d], diff = a[d] - b[d];
    if (L > 0) diff -= L * std::round(diff / L);
    if (std::fabs(diff) > 1e-8 * (L > 0 ? L : 1.0 + std::fabs(a[d]))) return false;
  }
  return true;
}

/* Personalised all-to-all of trivially copyable records; sendCounts in records, per destination;
   the receive counts come back in recvCounts (exchanged first unless known) */
template <typename T>
PetscErrorCode Exchange(MPI_Comm comm, const std::vector<int> &sendCounts, const std::vector<T> &send, std::vector<int> &recvCounts, PetscBool countsKnown, std::vector<T> &recv)
{
  PetscMPIInt      size;
  std::vector<int> sc, rc, sd, rd;
  long long        stot = 0, rtot = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (!countsKnown) {
    recvCounts.assign(size, 0);
    PetscCallMPI(MPI_Alltoall(sendCounts.data(), 1, MPI_INT, recvCounts.data(), 1, MPI_INT, comm));
  }
  sc.resize(size);
  rc.resize(size);
  sd.resize(size);
  rd.resize(size);
  for (PetscMPIInt r = 0; r < size; r++) {
    sd[r] = (int)(stot * sizeof(T));
    rd[r] = (int)(rtot * sizeof(T));
    sc[r] = (int)(sendCounts[r] * sizeof(T));
    rc[r] = (int)(recvCounts[r] * sizeof(T));
    stot += sendCounts[r];
    rtot += recvCounts[r];
  }
  PetscCheck((stot + 1) * (long long)sizeof(T) < 2147483647LL && (rtot + 1) * (long long)sizeof(T) < 2147483647LL, PETSC_COMM_SELF, PETSC_ERR_SUP, "NekRS graph: exchange of more than 2 GB per rank");
  recv.resize(rtot);
  PetscCallMPI(MPI_Alltoallv(send.data(), sc.data(), sd.data(), MPI_BYTE, recv.data(), rc.data(), rd.data(), MPI_BYTE, comm));
  PetscFunctionReturn(0);
}

struct IdRecord {
  long long id;
  double    x[3];
};

} // namespace

/* Reads the files (type nekrs's adjacency): one graph node per physical point, see
   include/petscgnnnekrs.h */
static PetscErrorCode GNNGraphBuildAdjacency_NekRS(GNNGraph graph, Mat *Aout, Vec *coordsOut)
{
  GNNGraph_NekRS                     *nek = (GNNGraph_NekRS *)graph->data;
  MPI_Comm                            comm = PetscObjectComm((PetscObject)graph);
  const char                         *dir  = nek->dir.c_str();
  const PetscInt                      nekRanks = nek->nekRanks;
  PetscMPIInt                         rank, size;
  const PetscReal                    *period = nek->period;
  std::vector<Piece>                  pieces;
  Failure                             fail;
  NekMap                             *map = NULL;
  std::vector<IdRecord>               nodes;  /* local nodes: id (0: interior) and coordinates */
  std::vector<PetscInt>               srcPiece; /* first copy of each local node */
  std::vector<PetscInt>               srcPoint;
  std::vector<std::vector<PetscInt>>  nodeOf; /* per piece: point -> local node */
  std::vector<PetscMPIInt>            owner;
  std::vector<long long>              gnum;
  long long                           nOwned = 0, rstart = 0, nTotal = 0;

  PetscFunctionBegin;
  PetscCheck(nekRanks >= 1 && !nek->dir.empty(), comm, PETSC_ERR_ARG_WRONGSTATE, "A graph of type nekrs needs its files: GNNGraphNekRSSetFiles() or -gnn_nekrs_dir and -gnn_nekrs_ranks");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCheck(size == nekRanks || size == 1, comm, PETSC_ERR_ARG_SIZ, "A NekRS graph of %" PetscInt_FMT " ranks is read on %" PetscInt_FMT " ranks (its own partition) or on 1 rank (merged), not on %d", nekRanks, nekRanks, size);
  {
    const uint16_t one = 1;
    PetscCheck(*(const unsigned char *)&one == 1, comm, PETSC_ERR_SUP, "NekRS files are little-endian; this machine is not");
  }
  /* 1. Read, merge the copies held by this rank */
  if (size == nekRanks) pieces.resize(1), pieces[0].nekRank = rank;
  else {
    pieces.resize(nekRanks);
    for (PetscInt R = 0; R < nekRanks; R++) pieces[R].nekRank = R;
  }
  for (auto &p : pieces)
    if (!ReadPiece(dir, p.nekRank, nekRanks, p, fail)) break;
  PetscCall(CheckCollective(comm, fail));
  {
    std::unordered_map<long long, PetscInt> idToNode;
    nodeOf.resize(pieces.size());
    for (size_t k = 0; k < pieces.size() && !fail.code; k++) {
      const Piece &p = pieces[k];
      nodeOf[k].resize(p.n);
      for (long long i = 0; i < p.n; i++) {
        IdRecord r;
        r.id = p.gid[i];
        for (int d = 0; d < 3; d++) r.x[d] = Wrap(p.pos[3 * i + d], period[d]);
        auto it = r.id ? idToNode.find(r.id) : idToNode.end();
        if (it == idToNode.end()) {
          if (r.id) idToNode[r.id] = (PetscInt)nodes.size();
          nodeOf[k][i] = (PetscInt)nodes.size();
          nodes.push_back(r);
          srcPiece.push_back((PetscInt)k);
          srcPoint.push_back((PetscInt)i);
        } else {
          nodeOf[k][i] = it->second;
          if (!SamePoint(nodes[it->second].x, r.x, period)) {
            char buf[512];
            std::snprintf(buf, sizeof(buf), "NekRS rank %d: point %lld has global id %lld like point %d of NekRS rank %d, but lies at (%g, %g, %g), not (%g, %g, %g) (wrapped into the periodic box %g x %g x %g)", (int)p.nekRank, i, r.id, (int)srcPoint[it->second], (int)pieces[srcPiece[it->second]].nekRank, r.x[0], r.x[1], r.x[2], nodes[it->second].x[0], nodes[it->second].x[1], nodes[it->second].x[2], (double)period[0], (double)period[1], (double)period[2]);
            fail.set(PETSC_ERR_FILE_UNEXPECTED, buf);
            break;
          }
        }
      }
    }
  }
  PetscCall(CheckCollective(comm, fail));

  /* 2.-4. Owners and global numbers */
  const PetscInt nLocal = (PetscInt)nodes.size();
  owner.assign(nLocal, rank);
  gnum.assign(nLocal, -1);
  if (size > 1) {
    std::vector<int>       sendCounts(size, 0), recvCounts, offs(size + 1, 0);
    std::vector<PetscInt>  slot;     /* send slot -> local node */
    std::vector<IdRecord>  send, recv;
    std::vector<int>       recvSrc;  /* source rank of each received record */
    std::vector<size_t>    order;    /* received records sorted by (id, source) */
    std::vector<size_t>    groupHead;
    for (PetscInt k = 0; k < nLocal; k++)
      if (nodes[k].id) sendCounts[nodes[k].id % size]++;
    for (PetscMPIInt r = 0; r < size; r++) offs[r + 1] = offs[r] + sendCounts[r];
    send.resize(offs[size]);
    slot.resize(offs[size]);
    {
      std::vector<int> pos(offs.begin(), offs.end() - 1);
      for (PetscInt k = 0; k < nLocal; k++)
        if (nodes[k].id) {
          int s   = pos[nodes[k].id % size]++;
          send[s] = nodes[k];
          slot[s] = k;
        }
    }
    PetscCall(Exchange(comm, sendCounts, send, recvCounts, PETSC_FALSE, recv));
    for (PetscMPIInt r = 0; r < size; r++) recvSrc.insert(recvSrc.end(), recvCounts[r], r);
    order.resize(recv.size());
    for (size_t q = 0; q < order.size(); q++) order[q] = q;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return recv[a].id < recv[b].id; }); /* stable: sources ascending */
    groupHead.resize(recv.size());
    {
      std::vector<int> replyOwner(recv.size());
      for (size_t q = 0; q < order.size(); q++) {
        size_t head  = (q > 0 && recv[order[q - 1]].id == recv[order[q]].id) ? groupHead[order[q - 1]] : order[q];
        groupHead[order[q]] = head;
        replyOwner[order[q]] = recvSrc[head];
        if (!fail.code && !SamePoint(recv[head].x, recv[order[q]].x, period)) {
          char buf[512];
          std::snprintf(buf, sizeof(buf), "NekRS global id %lld lies at (%g, %g, %g) on rank %d but at (%g, %g, %g) on rank %d (wrapped into the periodic box %g x %g x %g)", recv[head].id, recv[head].x[0], recv[head].x[1], recv[head].x[2], recvSrc[head], recv[order[q]].x[0], recv[order[q]].x[1], recv[order[q]].x[2], recvSrc[order[q]], (double)period[0], (double)period[1], (double)period[2]);
          fail.set(PETSC_ERR_FILE_UNEXPECTED, buf);
        }
      }
      std::vector<int> got;
      PetscCall(Exchange(comm, recvCounts, replyOwner, sendCounts, PETSC_TRUE, got));
      for (size_t s = 0; s < got.size(); s++) owner[slot[s]] = got[s];
    }
    PetscCall(CheckCollective(comm, fail));

    for (PetscInt k = 0; k < nLocal; k++) nOwned += owner[k] == rank;
    PetscCallMPI(MPI_Exscan(&nOwned, &rstart, 1, MPI_LONG_LONG, MPI_SUM, comm));
    if (rank == 0) rstart = 0;
    for (PetscInt k = 0, i = 0; k < nLocal; k++)
      if (owner[k] == rank) gnum[k] = rstart + i++;

    /* the owners' numbers to every copy, through the same directory records */
    {
      std::vector<long long> mine(send.size()), reply(recv.size()), got;
      for (size_t s = 0; s < send.size(); s++) mine[s] = gnum[slot[s]];
      std::vector<long long> theirs;
      PetscCall(Exchange(comm, sendCounts, mine, recvCounts, PETSC_TRUE, theirs));
      for (size_t q = 0; q < recv.size(); q++) reply[q] = theirs[groupHead[q]];
      PetscCall(Exchange(comm, recvCounts, reply, sendCounts, PETSC_TRUE, got));
      for (size_t s = 0; s < got.size(); s++) {
        PetscCheck(got[s] >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "NekRS graph: no global number for id %lld", nodes[slot[s]].id);
        gnum[slot[s]] = got[s];
      }
    }
  } else {
    nOwned = nLocal;
    for (PetscInt k = 0; k < nLocal; k++) gnum[k] = k;
  }
  PetscCallMPI(MPI_Allreduce(&nOwned, &nTotal, 1, MPI_LONG_LONG, MPI_SUM, comm));
  PetscCheck(nTotal < PETSC_MAX_INT, comm, PETSC_ERR_SUP, "The NekRS graph has %lld nodes, more than PetscInt can number", nTotal);

  /* 5. Adjacency: row = receiver (target), column = sender (source) */
  {
    std::vector<std::pair<PetscInt, PetscInt>> pairs;
    std::vector<PetscInt>                      flat;
    Mat                                        A;
    Vec                                        coords;
    PetscScalar                               *c;

    for (size_t k = 0; k < pieces.size(); k++) {
      const std::vector<int> &E = pieces[k].edges;
      for (size_t e = 0; e + 1 < E.size(); e += 2) {
        PetscInt s = nodeOf[k][E[e]], t = nodeOf[k][E[e + 1]];
        if (s != t) pairs.emplace_back((PetscInt)gnum[t], (PetscInt)gnum[s]);
      }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    flat.resize(2 * pairs.size());
    for (size_t e = 0; e < pairs.size(); e++) {
      flat[2 * e]     = pairs[e].first;
      flat[2 * e + 1] = pairs[e].second;
    }
    PetscCall(GNNGraphAssembleAdjacency_Private(graph, (PetscInt)nOwned, (PetscInt)pairs.size(), flat.data(), &A));

    map           = new NekMap;
    map->nekRanks = nekRanks;
    for (auto &p : pieces) {
      map->pieceRank.push_back(p.nekRank);
      map->pieceN.push_back(p.n);
    }
    PetscCall(VecCreate(comm, &coords));
    PetscCall(VecSetSizes(coords, 3 * (PetscInt)nOwned, PETSC_DETERMINE));
    PetscCall(VecSetBlockSize(coords, 3));
    PetscCall(VecSetType(coords, VECSTANDARD));
    PetscCall(VecGetArrayWrite(coords, &c));
    for (PetscInt k = 0, i = 0; k < nLocal; k++)
      if (owner[k] == rank) {
        for (int d = 0; d < 3; d++) c[3 * i + d] = nodes[k].x[d];
        map->ownedPiece.push_back(srcPiece[k]);
        map->ownedPoint.push_back(srcPoint[k]);
        i++;
      }
    PetscCall(VecRestoreArrayWrite(coords, &c));

    PetscCall(GNNGraphSetPeriodicity(graph, period));
    delete nek->map;
    nek->map   = map;
    *Aout      = A;
    *coordsOut = coords;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphNekRSSetFiles_NekRS(GNNGraph graph, const char dir[], PetscInt nekRanks)
{
  GNNGraph_NekRS *nek = (GNNGraph_NekRS *)graph->data;

  PetscFunctionBegin;
  PetscCheck(!graph->setupcalled, PetscObjectComm((PetscObject)graph), PETSC_ERR_ORDER, "Set the files before GNNGraphSetUp()");
  nek->dir      = dir;
  nek->nekRanks = nekRanks;
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphSetFromOptions_NekRS(GNNGraph graph, PetscOptionItems *PetscOptionsObject)
{
  GNNGraph_NekRS *nek  = (GNNGraph_NekRS *)graph->data;
  MPI_Comm        comm = PetscObjectComm((PetscObject)graph);
  char            dir[PETSC_MAX_PATH_LEN];
  PetscInt        ranks = nek->nekRanks, np = 3;
  PetscReal       p[3]  = {nek->period[0], nek->period[1], nek->period[2]};
  PetscBool       fdir, franks, flg;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(dir, nek->dir.c_str(), sizeof(dir)));
  PetscOptionsHeadBegin(PetscOptionsObject, "GNNGraph NekRS options");
  PetscCall(PetscOptionsString("-gnn_nekrs_dir", "Directory of the NekRS files", "GNNGraphNekRSSetFiles", dir, dir, sizeof(dir), &fdir));
  PetscCall(GNNOptionsInt("-gnn_nekrs_ranks", "Number of NekRS ranks that wrote them", "GNNGraphNekRSSetFiles", ranks, &ranks, &franks));
  if (fdir || franks) PetscCall(GNNGraphNekRSSetFiles(graph, dir, ranks));
  PetscCall(PetscOptionsRealArray("-gnn_nekrs_period", "Box period: one value for all axes or one per axis, 0 for a non-periodic axis", "GNNGraphCreateNekRS", p, &np, &flg));
  if (flg) {
    PetscCheck(np == 1 || np == 3, comm, PETSC_ERR_ARG_WRONG, "-gnn_nekrs_period takes 1 or 3 values, got %" PetscInt_FMT, np);
    for (int d = 0; d < 3; d++) PetscCheck(p[np == 1 ? 0 : d] >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-gnn_nekrs_period must be non-negative");
    for (int d = 0; d < 3; d++) nek->period[d] = p[np == 1 ? 0 : d];
  }
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphView_NekRS(GNNGraph graph, PetscViewer viewer)
{
  GNNGraph_NekRS *nek = (GNNGraph_NekRS *)graph->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "NekRS files of %" PetscInt_FMT " ranks in %s, period %g %g %g\n", nek->nekRanks, nek->dir.c_str(), (double)nek->period[0], (double)nek->period[1], (double)nek->period[2]));
  PetscFunctionReturn(0);
}

static PetscErrorCode GNNGraphDestroy_NekRS(GNNGraph graph)
{
  GNNGraph_NekRS *nek = (GNNGraph_NekRS *)graph->data;

  PetscFunctionBegin;
  delete nek->map;
  delete nek;
  graph->data = NULL;
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphNekRSSetFiles_C", NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNGraphCreate_NekRS(GNNGraph graph)
{
  PetscFunctionBegin;
  graph->data                = new GNNGraph_NekRS;
  graph->ops->buildadjacency = GNNGraphBuildAdjacency_NekRS;
  graph->ops->setfromoptions = GNNGraphSetFromOptions_NekRS;
  graph->ops->view           = GNNGraphView_NekRS;
  graph->ops->destroy        = GNNGraphDestroy_NekRS;
  PetscCall(PetscObjectComposeFunction((PetscObject)graph, "GNNGraphNekRSSetFiles_C", GNNGraphNekRSSetFiles_NekRS));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphNekRSSetFiles - The NekRS files a graph of type nekrs is read from (at GNNGraphSetUp())

  Input Parameters:
+ graph    - the graph
. dir      - the directory of the files pos_node_rank_R_size_S.bin, global_ids_..., edge_index_...
- nekRanks - S, the number of NekRS ranks that wrote them; the graph's communicator has S ranks
             (NekRS's own partition) or one (all NekRS ranks merged)

  Options Database Keys:
+ -gnn_nekrs_dir <dir>, -gnn_nekrs_ranks <S> - the same
- -gnn_nekrs_period <L or Lx,Ly,Lz> - box period per axis, 0 for a non-periodic axis (default 2 pi)
@*/
PetscErrorCode GNNGraphNekRSSetFiles(GNNGraph graph, const char dir[], PetscInt nekRanks)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidCharPointer(dir, 2);
  PetscCheck(nekRanks >= 1, PetscObjectComm((PetscObject)graph), PETSC_ERR_ARG_OUTOFRANGE, "The number of NekRS ranks must be positive, got %" PetscInt_FMT, nekRanks);
  PetscUseMethod(graph, "GNNGraphNekRSSetFiles_C", (GNNGraph, const char[], PetscInt), (graph, dir, nekRanks));
  PetscFunctionReturn(0);
}

/*@C
  GNNGraphCreateNekRS - Creates a graph of type nekrs for the GLL points written by NekRS's gnn
  plugin (see include/petscgnnnekrs.h): GNNGraphCreate(), GNNGraphSetType(nekrs) and
  GNNGraphNekRSSetFiles(). The files are read by GNNGraphSetUp(); call GNNGraphSetFromOptions()
  first for the options (-gnn_nekrs_period).
@*/
PetscErrorCode GNNGraphCreateNekRS(MPI_Comm comm, const char dir[], PetscInt nekRanks, GNNGraph *graph)
{
  PetscFunctionBegin;
  PetscValidCharPointer(dir, 2);
  PetscValidPointer(graph, 4);
  PetscCall(GNNGraphCreate(comm, graph));
  PetscCall(GNNGraphSetType(*graph, GNNGRAPHNEKRS));
  PetscCall(GNNGraphNekRSSetFiles(*graph, dir, nekRanks));
  PetscFunctionReturn(0);
}

/*@C
  GNNNekRSLoadField - Fills a node Vec of a graph made by GNNGraphCreateNekRS() from NekRS field
  files fld_NAME_rank_R_size_S.bin (float64, ncomp values per point).

  Collective

  Input Parameters:
+ graph    - the graph, set up
. dir      - the directory of the field files
. nekRanks - S, as given to GNNGraphCreateNekRS()
. name     - the part of the file name between "fld_" and "_rank_"; without "_time_" it means time
             0.0 ("u" reads fld_u_time_0.0_rank_R_size_S.bin)
. ncomp    - values per point (3 for the velocity, 1 for the pressure)
- v        - a node Vec with ncomp values per owned node (GNNGraphCreateNodeVec(graph, ncomp, &v))
@*/
PetscErrorCode GNNNekRSLoadField(GNNGraph graph, const char dir[], PetscInt nekRanks, const char name[], PetscInt ncomp, Vec v)
{
  MPI_Comm       comm;
  PetscBool      isNek;
  NekMap        *map;
  Failure        fail;
  std::string    stem;
  PetscInt       nloc, bs;
  PetscScalar   *a;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidCharPointer(dir, 2);
  PetscValidCharPointer(name, 4);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 6);
  comm = PetscObjectComm((PetscObject)graph);
  PetscCall(PetscObjectTypeCompare((PetscObject)graph, GNNGRAPHNEKRS, &isNek));
  PetscCheck(isNek, comm, PETSC_ERR_ARG_WRONG, "The graph is not of type nekrs (GNNGraphCreateNekRS())");
  map = ((GNNGraph_NekRS *)graph->data)->map;
  PetscCheck(map, comm, PETSC_ERR_ORDER, "Call GNNGraphSetUp() first: it reads the NekRS files");
  PetscCheck(nekRanks == map->nekRanks, comm, PETSC_ERR_ARG_INCOMP, "The graph was read from %" PetscInt_FMT " NekRS ranks, not %" PetscInt_FMT, map->nekRanks, nekRanks);
  PetscCheck(ncomp >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "The number of components must be positive, got %" PetscInt_FMT, ncomp);
  PetscCall(VecGetLocalSize(v, &nloc));
  PetscCall(VecGetBlockSize(v, &bs));
  GNNCheckCollective(comm, nloc == ncomp * (PetscInt)map->ownedPiece.size() && bs == ncomp, PETSC_ERR_ARG_SIZ, "The Vec must have block size %" PetscInt_FMT " and %" PetscInt_FMT " values per owned node (GNNGraphCreateNodeVec(graph, %" PetscInt_FMT ", &v))", ncomp, ncomp, ncomp);
  stem = std::string("fld_") + name + (std::strstr(name, "_time_") ? "" : "_time_0.0");
  std::vector<std::vector<double>> fld(map->pieceRank.size());
  for (size_t k = 0; k < fld.size(); k++)
    if (!ReadArray(FileName(dir, stem, map->pieceRank[k], nekRanks), ncomp, map->pieceN[k], "points x ncomp float64", fld[k], fail)) break;
  PetscCall(CheckCollective(comm, fail));
  PetscCall(VecGetArrayWrite(v, &a));
  for (size_t i = 0; i < map->ownedPiece.size(); i++)
    for (PetscInt c = 0; c < ncomp; c++) a[i * ncomp + c] = fld[map->ownedPiece[i]][(size_t)map->ownedPoint[i] * ncomp + c];
  PetscCall(VecRestoreArrayWrite(v, &a));
  PetscFunctionReturn(0);
}
