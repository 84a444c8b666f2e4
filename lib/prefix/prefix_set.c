/* placeholder */
#include "prefix/prefix_set.h"
