/* Package initialisation: class ids, log events and type registration in one place. */
#include "gnngraphimpl.h" /* the graph types' constructors and their list */
#include <petscgnntrain.h>
#include <petscgnnts.h>
#include "ts/tsgnnimpl.h"

PetscClassId GNNGRAPH_CLASSID   = 0;
PetscClassId GNN_CLASSID        = 0;
PetscClassId GNNTRAINER_CLASSID = 0;

PetscLogEvent GNN_GraphSetUp, GNN_HaloExchange, GNN_HaloReverse, GNN_Encode, GNN_EdgeMLP, GNN_Aggregate, GNN_NodeMLP, GNN_Decode, GNN_Backward, GNN_GradReduce;

PetscFunctionList GNNGraphList = NULL;

static PetscBool GNNPackageInitialized = PETSC_FALSE;

PetscErrorCode GNNFinalizePackage(void)
{
  PetscFunctionBegin;
  PetscCall(GNNTSCheckOptionsUsed_Private()); /* the plug-in's options given to a program that never read them */
  PetscCall(PetscFunctionListDestroy(&GNNGraphList));
  GNNPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode GNNInitializePackage(void)
{
  PetscFunctionBegin;
  if (GNNPackageInitialized) PetscFunctionReturn(0);
  GNNPackageInitialized = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("GNN Graph", &GNNGRAPH_CLASSID));
  PetscCall(PetscClassIdRegister("GNN", &GNN_CLASSID));
  PetscCall(PetscClassIdRegister("GNN Trainer", &GNNTRAINER_CLASSID));

  PetscCall(PetscFunctionListAdd(&GNNGraphList, GNNGRAPHVERTEX, GNNGraphCreate_Vertex));
  PetscCall(PetscFunctionListAdd(&GNNGraphList, GNNGRAPHGLL, GNNGraphCreate_GLL));
  PetscCall(PetscFunctionListAdd(&GNNGraphList, GNNGRAPHMAT, GNNGraphCreate_Mat));
  PetscCall(PetscFunctionListAdd(&GNNGraphList, GNNGRAPHNEKRS, GNNGraphCreate_NekRS));
  PetscCall(PetscFunctionListAdd(&GNNGraphList, GNNGRAPHDA, GNNGraphCreate_DA));

  /* a type of a PETSc class: a TS program that calls TSSetFromOptions() gets it by options alone */
  PetscCall(TSTrajectoryRegister(TSTRAJECTORYGNN, TSTrajectoryCreate_GNN));
  PetscCall(TSRegister(TSGNN, TSCreate_GNN)); /* -ts_type gnn: the surrogate */

  PetscCall(PetscLogEventRegister("GNNGraphSetUp", GNNGRAPH_CLASSID, &GNN_GraphSetUp));
  PetscCall(PetscLogEventRegister("GNNHaloExchange", GNNGRAPH_CLASSID, &GNN_HaloExchange));
  PetscCall(PetscLogEventRegister("GNNHaloReverse", GNNGRAPH_CLASSID, &GNN_HaloReverse));
  PetscCall(PetscLogEventRegister("GNNEncode", GNN_CLASSID, &GNN_Encode));
  PetscCall(PetscLogEventRegister("GNNEdgeMLP", GNN_CLASSID, &GNN_EdgeMLP));
  PetscCall(PetscLogEventRegister("GNNAggregate", GNN_CLASSID, &GNN_Aggregate));
  PetscCall(PetscLogEventRegister("GNNNodeMLP", GNN_CLASSID, &GNN_NodeMLP));
  PetscCall(PetscLogEventRegister("GNNDecode", GNN_CLASSID, &GNN_Decode));
  PetscCall(PetscLogEventRegister("GNNBackward", GNN_CLASSID, &GNN_Backward));
  PetscCall(PetscLogEventRegister("GNNGradReduce", GNN_CLASSID, &GNN_GradReduce));
  PetscCall(PetscRegisterFinalize(GNNFinalizePackage));
  PetscFunctionReturn(0);
}

/* Entry point used when the library is loaded with -dll_append / -dll_prepend */
PETSC_EXTERN PetscErrorCode PetscDLLibraryRegister_petscgnn(void)
{
  PetscFunctionBegin;
  PetscCall(GNNInitializePackage());
  PetscFunctionReturn(0);
}
