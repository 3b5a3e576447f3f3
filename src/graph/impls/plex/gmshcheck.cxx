/* A check of a Gmsh file before PETSc's reader sees it: DMPlexCreateGmsh() (PETSc 3.18) crashes
   with a segmentation fault on an element that references a node the file does not define. Rank 0
   reads the formats 2.2 and 4.1, ASCII and binary (node tags, element node lists) and every rank
   gets the verdict. A binary file this check cannot follow (another byte order, a data size other
   than 8, an element type it does not know) is refused with the reason rather than passed on
   unchecked; other versions are left to PETSc, which refuses them itself. */
#include <petscgnngraph.h>
#include <petsc/private/petscimpl.h>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

/* Nodes of a Gmsh element type (the binary formats do not list them per element), 0 if unknown */
int GmshTypeNodes(long long type)
{
  static const int n[] = {0, 2, 3, 4, 4, 8, 6, 5, 3, 6, 9, 10, 27, 18, 14, 1, 8, 20, 15, 13, 9, 10, 12, 15, 15, 21, 4, 5, 6, 20, 35, 56};
  if (type >= 1 && type < (long long)(sizeof(n) / sizeof(n[0]))) return n[type];
  if (type == 92) return 64;  /* 64-node hexahedron (order 3) */
  if (type == 93) return 125; /* 125-node hexahedron (order 4) */
  return 0;
}

/* Binary reads of the file's own integers and sizes; false at the end of the file */
struct Binary {
  std::istream &in;
  long long     size; /* of the file, to refuse counts that cannot fit before looping over them */
  template <class T>
  bool get(T &x)
  {
    return (bool)in.read(reinterpret_cast<char *>(&x), sizeof(T));
  }
  long long left() { return size - (long long)in.tellg(); }
  /* skip count items of itemSize bytes, if the file has them */
  bool skip(uint64_t count, uint64_t itemSize) { return itemSize && count <= (uint64_t)left() / itemSize && (bool)in.seekg((std::streamoff)(count * itemSize), std::ios::cur); }
};

std::string BadElement(long long elem, long long node)
{
  return "element " + std::to_string(elem) + " references node " + std::to_string(node) + ", which the file does not define (PETSc's Gmsh reader would crash on it)";
}

/* $Nodes and $Elements of a binary file (the section's name line read): tags into nodes, or why not */
std::string BinaryNodes(Binary &b, const std::string &version, std::unordered_set<long long> &nodes)
{
  std::string line;
  if (version[0] == '2') {
    long long n;
    b.in >> n;
    std::getline(b.in, line);
    if (!b.in || n < 0 || (uint64_t)n > (uint64_t)b.left() / 28) return "its binary $Nodes section has no valid node count";
    for (long long k = 0; k < n; k++) {
      int32_t tag;
      if (!b.get(tag) || !b.skip(3, 8)) return "its binary $Nodes section ends after " + std::to_string(k) + " of " + std::to_string(n) + " nodes";
      nodes.insert(tag);
    }
    return "";
  }
  uint64_t head[4]; /* blocks, nodes, smallest and largest tag */
  for (auto &h : head)
    if (!b.get(h)) return "its binary $Nodes section ends early";
  for (uint64_t blk = 0; blk < head[0]; blk++) {
    int32_t  dim, entity, param;
    uint64_t m;
    if (!b.get(dim) || !b.get(entity) || !b.get(param) || !b.get(m) || dim < 0 || dim > 3 || m > (uint64_t)b.left() / 8) return "its binary $Nodes block " + std::to_string(blk) + " is damaged";
    for (uint64_t k = 0; k < m; k++) {
      uint64_t tag;
      if (!b.get(tag)) return "its binary $Nodes block " + std::to_string(blk) + " ends early";
      nodes.insert((long long)tag);
    }
    if (!b.skip(m, 8 * (3 + (param ? dim : 0)))) return "its binary $Nodes block " + std::to_string(blk) + " ends early";
  }
  return "";
}

std::string BinaryElements(Binary &b, const std::string &version, const std::unordered_set<long long> &nodes)
{
  std::string line;
  auto        unknown = [](long long type) { return "it has elements of type " + std::to_string(type) + ", which this check does not know (a binary file cannot be checked past them)"; };
  if (version[0] == '2') {
    long long n;
    b.in >> n;
    std::getline(b.in, line);
    if (!b.in || n < 0) return "its binary $Elements section has no valid element count";
    for (long long k = 0; k < n;) {
      int32_t h[3]; /* type, elements that follow, tags per element */
      if (!b.get(h[0]) || !b.get(h[1]) || !b.get(h[2]) || h[1] <= 0 || h[2] < 0 || h[1] > n - k) return "its binary $Elements section is damaged after " + std::to_string(k) + " elements";
      const int nn = GmshTypeNodes(h[0]);
      if (!nn) return unknown(h[0]);
      for (int32_t e = 0; e < h[1]; e++, k++) {
        int32_t num, node;
        if (!b.get(num) || !b.skip(h[2], 4)) return "its binary $Elements section ends early";
        for (int q = 0; q < nn; q++) {
          if (!b.get(node)) return "its binary $Elements section ends early";
          if (!nodes.count(node)) return BadElement(num, node);
        }
      }
    }
    return "";
  }
  uint64_t head[4]; /* blocks, elements, smallest and largest tag */
  for (auto &h : head)
    if (!b.get(h)) return "its binary $Elements section ends early";
  for (uint64_t blk = 0; blk < head[0]; blk++) {
    int32_t  dim, entity, type;
    uint64_t m, tag, node;
    if (!b.get(dim) || !b.get(entity) || !b.get(type) || !b.get(m)) return "its binary $Elements block " + std::to_string(blk) + " is damaged";
    const int nn = GmshTypeNodes(type);
    if (!nn) return unknown(type);
    if (m > (uint64_t)b.left() / (8 * (nn + 1))) return "its binary $Elements block " + std::to_string(blk) + " ends early";
    for (uint64_t k = 0; k < m; k++) {
      if (!b.get(tag)) return "its binary $Elements block " + std::to_string(blk) + " ends early";
      for (int q = 0; q < nn; q++) {
        if (!b.get(node)) return "its binary $Elements block " + std::to_string(blk) + " ends early";
        if (!nodes.count((long long)node)) return BadElement((long long)tag, (long long)node);
      }
    }
  }
  return "";
}

/* $Entities of a binary 4.1 file, skipped by its structure (its bytes may hold anything) */
std::string BinaryEntities(Binary &b)
{
  uint64_t count[4]; /* points, curves, surfaces, volumes */
  for (auto &c : count)
    if (!b.get(c)) return "its binary $Entities section ends early";
  for (int d = 0; d < 4; d++)
    for (uint64_t k = 0; k < count[d]; k++) {
      uint64_t n;
      /* tag, then a point (3 doubles) or a bounding box (6), physical tags, bounding entities */
      if (!b.skip(1, 4) || !b.skip(d ? 6 : 3, 8) || !b.get(n) || !b.skip(n, 4) || (d && (!b.get(n) || !b.skip(n, 4)))) return "its binary $Entities section is damaged";
    }
  return "";
}

/* Why the Gmsh file's elements do not fit its nodes, or "" (also for what PETSc refuses itself) */
std::string GmshProblem(const char file[])
{
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  std::string   line, version;
  int           binary = 0, dsize = 0;
  if (!in) return ""; /* PETSc reports a missing file itself */
  Binary b{in, (long long)in.tellg()};
  in.seekg(0);
  std::unordered_set<long long> nodes;
  bool                          haveNodes = false;
  while (std::getline(in, line)) {
    if (line.rfind("$MeshFormat", 0) == 0) {
      std::getline(in, line);
      std::istringstream s(line);
      s >> version >> binary >> dsize;
      if (binary && version != "2.2" && version != "4.1") return "it is binary format " + version + ", which this check does not read (2.2 and 4.1 are)";
      if (version[0] != '2' && version[0] != '4') return ""; /* PETSc refuses the others itself */
      if (binary) {
        int32_t one = 0;
        if (!b.get(one) || one != 1) return "it is binary with another byte order than this machine's, which this check does not read (write it with gmsh -bin on this kind of machine, or as ASCII)";
        if (dsize != 8) return "it is binary with data size " + std::to_string(dsize) + ", which this check does not read (8 expected)";
        std::getline(in, line);
      }
    } else if (line.rfind("$Nodes", 0) == 0) {
      if (version.empty()) return "its $Nodes section comes before a $MeshFormat section";
      if (binary) {
        const std::string why = BinaryNodes(b, version, nodes);
        if (!why.empty()) return why;
      } else if (version[0] == '2') {
        long long n;
        in >> n;
        if (!in || n < 0) return "its $Nodes section has no node count";
        for (long long k = 0; k < n; k++) {
          long long tag;
          in >> tag;
          if (!in) return "its $Nodes section ends after " + std::to_string(k) + " of " + std::to_string(n) + " nodes";
          nodes.insert(tag);
          std::getline(in, line);
        }
      } else {
        long long blocks, n, lo, hi;
        in >> blocks >> n >> lo >> hi;
        if (!in || blocks < 0) return "its $Nodes section has no block count";
        for (long long blk = 0; blk < blocks; blk++) {
          long long dim, entity, param, m;
          in >> dim >> entity >> param >> m;
          if (!in || m < 0) return "its $Nodes block " + std::to_string(blk) + " is damaged";
          for (long long k = 0; k < m; k++) {
            long long tag;
            in >> tag;
            if (!in) return "its $Nodes block " + std::to_string(blk) + " ends early";
            nodes.insert(tag);
          }
          std::getline(in, line);
          for (long long k = 0; k < m; k++) std::getline(in, line); /* coordinates */
        }
      }
      haveNodes = true;
    } else if (line.rfind("$Elements", 0) == 0) {
      if (!haveNodes) return "its $Elements section comes before any $Nodes section";
      if (binary) {
        const std::string why = BinaryElements(b, version, nodes);
        if (!why.empty()) return why;
        continue;
      }
      std::vector<long long> v;
      auto                   tokens = [&](const std::string &l) {
        std::istringstream s(l);
        long long          x;
        v.clear();
        while (s >> x) v.push_back(x);
      };
      std::getline(in, line);
      tokens(line);
      if (version[0] == '2') {
        if (v.size() != 1) return "its $Elements section has no element count";
        for (long long k = 0; k < v[0]; k++) {
          std::vector<long long> e;
          if (!std::getline(in, line)) return "its $Elements section ends early";
          std::istringstream s(line);
          for (long long x; s >> x;) e.push_back(x);
          if (e.size() < 3 || e[2] < 0 || e[2] > (long long)e.size() - 3) return "its element line " + std::to_string(k) + " is damaged";
          for (size_t q = 3 + e[2]; q < e.size(); q++)
            if (!nodes.count(e[q])) return BadElement(e[0], e[q]);
        }
      } else {
        if (v.size() != 4) return "its $Elements section has no block count";
        const long long blocks = v[0];
        for (long long blk = 0; blk < blocks; blk++) {
          if (!std::getline(in, line)) return "its $Elements section ends early";
          tokens(line);
          if (v.size() != 4) return "its $Elements block " + std::to_string(blk) + " is damaged";
          const long long m = v[3];
          for (long long k = 0; k < m; k++) {
            if (!std::getline(in, line)) return "its $Elements block " + std::to_string(blk) + " ends early";
            tokens(line);
            for (size_t q = 1; q < v.size(); q++)
              if (!nodes.count(v[q])) return BadElement(v[0], v[q]);
          }
        }
      }
    } else if (binary && line.rfind("$Entities", 0) == 0 && version == "4.1") {
      const std::string why = BinaryEntities(b);
      if (!why.empty()) return why;
    } else if (binary && line.size() > 1 && line[0] == '$' && line.rfind("$End", 0) != 0) {
      /* another section of a binary file ($PhysicalNames, $Periodic, ...): its end line */
      const std::string end = "$End" + line.substr(1);
      while (std::getline(in, line) && line != end) {}
    }
  }
  return "";
}

} // namespace

/*@C
  GNNGmshCheckFile - Checks a Gmsh file (formats 2.2 and 4.1, ASCII or binary) before
  DMPlexCreateFromFile(): every element's nodes must be nodes of the file, which PETSc 3.18's reader
  assumes (it crashes otherwise). A binary file this check cannot follow (another byte order, a data
  size other than 8, an unknown element type) is an error saying so. Collective; rank 0 reads.
  Other format versions are left to PETSc.
@*/
PetscErrorCode GNNGmshCheckFile(MPI_Comm comm, const char file[])
{
  PetscMPIInt rank;
  char        why[512] = "";

  PetscFunctionBegin;
  PetscValidCharPointer(file, 2);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    std::string w;
    try {
      w = GmshProblem(file);
    } catch (const std::exception &e) {
      w = e.what();
    }
    PetscCall(PetscStrncpy(why, w.c_str(), sizeof(why)));
  }
  PetscCallMPI(MPI_Bcast(why, sizeof(why), MPI_CHAR, 0, comm));
  PetscCheck(!why[0], comm, PETSC_ERR_FILE_UNEXPECTED, "Gmsh file %s: %s", file, why);
  PetscFunctionReturn(0);
}
