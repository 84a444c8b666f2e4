/* placeholder */
#include "classify/classifier.h"
