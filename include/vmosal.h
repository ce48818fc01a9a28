/* libvmosal: the OS abstraction layer a virtual machine monitor links against.
 * This umbrella header includes every public area. */
#ifndef VMOSAL_H
#define VMOSAL_H

#include "vmosal/common.h"
#include "vmosal/error.h"
#include "vmosal/barrier.h"
#include "vmosal/platform.h"
#include "vmosal/memory.h"
#include "vmosal/thread.h"
#include "vmosal/topology.h"

#endif
