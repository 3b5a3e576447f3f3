/* NekRS graph reader (being written) */
#include "gnngraphimpl.h"
