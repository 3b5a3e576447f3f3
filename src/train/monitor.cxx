/* What training reports as it goes: the monitor line and the history file (step,loss CSV,
   rank 0) */
#include "gnntrainimpl.h"
#include "gnnfileio.h"
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>

/* One monitor line: step, loss, learning rate, gradient norm, step time, throughput, ETA, and
   whether the step was skipped (non-finite) with the count so far */
PetscErrorCode GNNTrainerMonitor_Private(GNNTrainer tr, PetscReal loss, PetscReal lr, PetscReal gnorm, PetscLogDouble dt, PetscBool skipped)
{
  GNNTrainerState &s = *tr->s;
  GNNGraph         graph;
  PetscInt         N;
  PetscLogDouble   now;

  PetscFunctionBegin;
  PetscCall(GNNGetGraph(tr->gnn, &graph));
  PetscCall(GNNGraphGetSizes(graph, NULL, NULL, NULL, &N));
  PetscCall(PetscTime(&now));
  const double done = (double)s.history.size(), eta = (now - tr->trainStart) / done * (double)PetscMax(0, s.opt.steps - tr->step);
  char skip[64] = "";
  if (tr->skipped) PetscCall(PetscSNPrintf(skip, sizeof(skip), "%s %" PetscInt_FMT " skipped", skipped ? " SKIPPED (not finite)," : "", tr->skipped));
  PetscCall(PetscPrintf(PetscObjectComm((PetscObject)tr), "GNN train step %5" PetscInt_FMT "/%" PetscInt_FMT " loss %.6e lr %.3e |g| %.3e step %.3f s %.3e nodes/s [%3.0f%%, ETA %.1f s]%s\n", tr->step, s.opt.steps, (double)loss, (double)lr, (double)gnorm, dt, (double)N / dt,
                        100.0 * PetscMin(tr->step, s.opt.steps) / PetscMax(1, s.opt.steps), eta, skip));
  PetscFunctionReturn(0);
}

/* Starts the history file: a new file, or on resume the lines of steps before the resumed one
   (a run killed after its last checkpoint may have written more). The file is replaced atomically,
   so a crash here keeps the previous history; each step then appends one whole line. */
PetscErrorCode GNNTrainerHistoryRestart_Private(GNNTrainer tr)
{
  PetscMPIInt rank;
  int         good = 1, err = 0;

  PetscFunctionBegin;
  if (!tr->historyFile[0]) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)tr), &rank));
  if (rank == 0) {
    std::string kept = "step,loss\n", line;
    if (tr->step > 0) {
      std::ifstream in(tr->historyFile);
      std::getline(in, line); /* header */
      /* a line cut by a crash (a full disk, a kill mid-write) has no newline: getline then stops at
         the end of the file, and the line is dropped */
      while (std::getline(in, line) && !in.eof()) {
        long s = -1;
        if (sscanf(line.c_str(), "%ld,", &s) == 1 && s < tr->step) kept += line + "\n";
      }
    }
    FILE *fp = GNNAtomicOpen_Private(tr->historyFile);
    if (fp) fputs(kept.c_str(), fp);
    good = fp && GNNAtomicClose_Private(fp, tr->historyFile, 1);
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(PetscObjectComm((PetscObject)tr), good, err, "history file", tr->historyFile));
  PetscFunctionReturn(0);
}

PetscErrorCode GNNTrainerHistoryAppend_Private(GNNTrainer tr, PetscInt step, PetscReal loss)
{
  PetscMPIInt rank;
  int         good = 1, err = 0;

  PetscFunctionBegin;
  if (!tr->historyFile[0]) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)tr), &rank));
  if (rank == 0) { /* a full disk or a vanished file is an error, not a cut line and exit 0 */
    FILE *fp = fopen(tr->historyFile, "a");
    good     = fp && fprintf(fp, "%" PetscInt_FMT ",%.17g\n", step, (double)loss) > 0;
    if (fp) good = (fclose(fp) == 0) && good;
    if (!good) err = errno;
  }
  PetscCall(GNNCheckWritten_Private(PetscObjectComm((PetscObject)tr), good, err, "history file", tr->historyFile));
  PetscFunctionReturn(0);
}
