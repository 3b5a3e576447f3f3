/* A check of a Gmsh file before PETSc's reader sees it: DMPlexCreateGmsh() (PETSc 3.18) crashes
   with a segmentation fault on an element that references a node the file does not define. Rank 0
   reads the ASCII formats 2.2 and 4.1 (node tags, element node lists) and every rank gets the
   verdict; binary files are left to PETSc. */
#include <petscgnngraph.h>
#include <petsc/private/petscimpl.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

/* Why the Gmsh file's elements do not fit its nodes, or "" (also for what this check does not read) */
std::string GmshProblem(const char file[])
{
  std::ifstream in(file);
  std::string   line, version;
  int           binary = 0;
  if (!in) return ""; /* PETSc reports a missing file itself */
  std::unordered_set<long long> nodes;
  bool                          haveNodes = false;
  auto                          bad       = [&](long long elem, long long node) {
    return "element " + std::to_string(elem) + " references node " + std::to_string(node) + ", which the file does not define (PETSc's Gmsh reader would crash on it)";
  };
  while (std::getline(in, line)) {
    if (line.rfind("$MeshFormat", 0) == 0) {
      std::getline(in, line);
      std::istringstream s(line);
      s >> version >> binary;
      if (binary) return "";
    } else if (line.rfind("$Nodes", 0) == 0) {
      if (version.rfind("2", 0) == 0) {
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
      } else if (version.rfind("4", 0) == 0) {
        long long blocks, n, lo, hi;
        in >> blocks >> n >> lo >> hi;
        if (!in || blocks < 0) return "its $Nodes section has no block count";
        for (long long b = 0; b < blocks; b++) {
          long long dim, entity, param, m;
          in >> dim >> entity >> param >> m;
          if (!in || m < 0) return "its $Nodes block " + std::to_string(b) + " is damaged";
          for (long long k = 0; k < m; k++) {
            long long tag;
            in >> tag;
            if (!in) return "its $Nodes block " + std::to_string(b) + " ends early";
            nodes.insert(tag);
          }
          std::getline(in, line);
          for (long long k = 0; k < m; k++) std::getline(in, line); /* coordinates */
        }
      } else return "";
      haveNodes = true;
    } else if (line.rfind("$Elements", 0) == 0) {
      if (!haveNodes) return "its $Elements section comes before any $Nodes section";
      std::vector<long long> v;
      auto                   tokens = [&](const std::string &l) {
        std::istringstream s(l);
        long long          x;
        v.clear();
        while (s >> x) v.push_back(x);
      };
      std::getline(in, line);
      tokens(line);
      if (version.rfind("2", 0) == 0) {
        if (v.size() != 1) return "its $Elements section has no element count";
        for (long long k = 0; k < v[0]; k++) {
          std::vector<long long> e;
          if (!std::getline(in, line)) return "its $Elements section ends early";
          std::istringstream s(line);
          for (long long x; s >> x;) e.push_back(x);
          if (e.size() < 3 || e[2] < 0 || e[2] > (long long)e.size() - 3) return "its element line " + std::to_string(k) + " is damaged";
          for (size_t q = 3 + e[2]; q < e.size(); q++)
            if (!nodes.count(e[q])) return bad(e[0], e[q]);
        }
      } else {
        if (v.size() != 4) return "its $Elements section has no block count";
        const long long blocks = v[0];
        for (long long b = 0; b < blocks; b++) {
          if (!std::getline(in, line)) return "its $Elements section ends early";
          tokens(line);
          if (v.size() != 4) return "its $Elements block " + std::to_string(b) + " is damaged";
          const long long m = v[3];
          for (long long k = 0; k < m; k++) {
            if (!std::getline(in, line)) return "its $Elements block " + std::to_string(b) + " ends early";
            tokens(line);
            for (size_t q = 1; q < v.size(); q++)
              if (!nodes.count(v[q])) return bad(v[0], v[q]);
          }
        }
      }
    }
  }
  return "";
}

} // namespace

/*@C
  GNNGmshCheckFile - Checks an ASCII Gmsh file (formats 2.2 and 4.1) before DMPlexCreateFromFile():
  every element's nodes must be nodes of the file, which PETSc 3.18's reader assumes (it crashes
  otherwise). Collective; rank 0 reads. Binary files and other formats are left to PETSc.
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
