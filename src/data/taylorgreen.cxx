/* The Taylor-Green vortex as a node field: the input of the examples and the built-in task */
#include <petscgnndata.h>
#include <petsc/private/petscimpl.h> /* argument validation */

PetscErrorCode GNNDataTaylorGreen(GNNGraph graph, PetscReal t, PetscReal nu, Vec u)
{
  PetscInt         dim, n, nOwned;
  PetscScalar     *ua;
  const PetscReal *coords;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(graph, GNNGRAPH_CLASSID, 1);
  PetscValidHeaderSpecific(u, VEC_CLASSID, 4);
  PetscCall(GNNGraphGetDimension(graph, &dim));
  PetscCheck(dim == 2 || dim == 3, PetscObjectComm((PetscObject)graph), PETSC_ERR_SUP, "The Taylor-Green field is defined in 2-D and 3-D, not %" PetscInt_FMT "-D", dim);
  PetscCall(GNNGraphGetSizes(graph, &nOwned, NULL, NULL, NULL));
  PetscCall(GNNGraphGetCoordinates(graph, &coords));
  PetscCall(VecGetLocalSize(u, &n));
  PetscCheck(n == dim * nOwned, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "The velocity Vec must hold %" PetscInt_FMT " values per owned node", dim);
  const PetscReal decay = PetscExpReal(-dim * nu * t);
  PetscCall(VecGetArrayWrite(u, &ua));
  for (PetscInt i = 0; i < nOwned; i++) {
    const PetscReal *x = coords + i * dim;
    const PetscReal  z = dim == 3 ? PetscCosReal(x[2]) : 1.0;
    ua[i * dim + 0]    = PetscSinReal(x[0]) * PetscCosReal(x[1]) * z * decay;
    ua[i * dim + 1]    = -PetscCosReal(x[0]) * PetscSinReal(x[1]) * z * decay;
    if (dim == 3) ua[i * dim + 2] = 0.0;
  }
  PetscCall(VecRestoreArrayWrite(u, &ua));
  PetscFunctionReturn(0);
}
