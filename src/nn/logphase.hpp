/* Times a phase of the network with a PETSc log event */
#ifndef GNNLOGPHASE_HPP
#define GNNLOGPHASE_HPP

#include "gnntorch.hpp"
#include <torch/cuda.h>

/* With sync (a GPU model under -gnn_log_sync) the device's work before and in the phase is waited
   for, so the time is the phase's and not its launches' */
struct LogPhase {
  PetscLogEvent ev;
  bool          sync;
  LogPhase(PetscLogEvent e, bool s) : ev(e), sync(s)
  {
    if (sync) torch::cuda::synchronize();
    GNNCallThrow(PetscLogEventBegin(ev, 0, 0, 0, 0));
  }
  ~LogPhase()
  {
    if (sync) torch::cuda::synchronize();
    PetscLogEventEnd(ev, 0, 0, 0, 0);
  }
};

#endif
