/* Filled in by the device-half work (wait sets, timers, channels). */
#include "config.h"
typedef int vmosal_placeholder_t;
