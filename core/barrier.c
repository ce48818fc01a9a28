/* Exported twins of the inline barriers in vmosal/barrier.h. */
#include "config.h"

#include "internal.h"

void vmosal_barrier_acquire_fn(void) { vmosal_barrier_acquire(); }
void vmosal_barrier_release_fn(void) { vmosal_barrier_release(); }
void vmosal_barrier_full_fn(void) { vmosal_barrier_full(); }
void vmosal_barrier_mandatory_fn(void) { vmosal_barrier_mandatory(); }
void vmosal_barrier_compiler_fn(void) { vmosal_barrier_compiler(); }
void vmosal_cpu_relax_fn(void) { vmosal_cpu_relax(); }
