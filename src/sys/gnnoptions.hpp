/* The library's integer options go through GNNOptionsInt() (range-checked against PetscInt: no
   silent wrap), whose one home is the public include/petscgnnoptions.h, shared with the examples */
#ifndef GNNOPTIONS_HPP
#define GNNOPTIONS_HPP

#include <petscgnnoptions.h>

#endif
