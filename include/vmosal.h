/* libvmosal: the OS abstraction layer a virtual machine monitor links against.
 * This umbrella header includes every public area.
 *
 * Conventions, the same for every call:
 *  - Errors. A call that can fail returns int: 0 on success or a negative
 *    VMOSAL_E* code (error.h), the same value on every OS. A call that fails
 *    has changed nothing: no output written, no partial state left behind.
 *  - Arguments are checked before the OS is asked. NULL pointers, zero
 *    sizes, unaligned addresses, unknown flags or enum values are
 *    VMOSAL_EINVAL; a range that wraps around is VMOSAL_EOVERFLOW; a CPU
 *    number the machine does not have is VMOSAL_ERANGE.
 *  - Argument order: inputs first, outputs (what the call fills) last.
 *  - The calls that return a value instead of a code cannot fail, and say
 *    why: the barriers (an instruction), vmosal_host_arch() (fixed when the
 *    library is built), vmosal_strerror() and vmosal_err_name() (a table),
 *    and the host facts read once when the backend loads
 *    (vmosal_host_os(), vmosal_os_release(), vmosal_libc_name(),
 *    vmosal_is_harmonyos(), vmosal_page_size(), vmosal_thread_name_max(),
 *    vmosal_backend_name()). When no backend can be loaded those answer
 *    "unknown", 0, false or NULL; vmosal_init() returns the error.
 *  - Thread ids: VMOSAL_TID_SELF (0) means the calling thread and is never
 *    the id of a thread; vmosal_thread_self() stores the caller's real id.
 *  - Numbers: CPUs are the OS's logical CPU numbers (size_t) and NUMA
 *    nodes the OS's node numbers (as numactl and /sys show them), an int
 *    in every header; an argument of VMOSAL_NUMA_ANY (-1) means any node.
 *    A struct member that must read as "not set" when zeroed (growable
 *    structs are zero-filled) comes with a flag that says it was set
 *    (VMOSAL_GUEST_NUMA).
 *  - Version: VMOSAL_VERSION is the headers', vmosal_version() the
 *    library's (platform.h).
 *  - Names. Every function is vmosal_<area>_<verb>[_<object>], the area
 *    being the header it lives in or the object it acts on
 *    (vmosal_thread_set_affinity, vmosal_event_notify,
 *    vmosal_signal_add_handler). Memory keeps the three POSIX names the
 *    original API had, vmosal_mmap, vmosal_munmap and vmosal_mprotect;
 *    every other call on address space is vmosal_mem_<verb>
 *    (vmosal_mem_advise, _lock, _sync, _reserve, _release). Host facts
 *    are vmosal_host_* or read once at load (vmosal_page_size); huge page
 *    facts are vmosal_huge_page_*. Getters and setters pair as get/set.
 *  - Lifecycle verbs, one pair per kind of thing:
 *    create / vmosal_handle_close  an OS object behind a vmosal_handle_t
 *        (vmosal_shm_create, vmosal_event_create, vmosal_signal_fd_create,
 *        vmosal_timer_create, vmosal_channel_pair);
 *        open instead of create when the object exists already and is
 *        found by name (vmosal_device_open); listen / accept / connect for
 *        a channel's two ends meeting by name. Every handle, whatever made
 *        it, is closed, duplicated and made inheritable by handle.h.
 *    create / destroy  a libvmosal object in a struct the caller owns
 *        (vmosal_jit_create, vmosal_guest_ram_create), or one libvmosal
 *        allocates (vmosal_waitset_create);
 *    create / join  a thread;
 *    reserve / release  address space; mmap / munmap a mapping;
 *    add / remove  a callback in a process-wide table
 *        (vmosal_signal_add_handler);
 *    register / unregister  the calling thread, for a service
 *        (vmosal_thread_kick_register).
 *    Calls that switch a state on and off pair as lock/unlock,
 *    block/unblock, begin/end.
 *  - Files. <vmosal/X.h> is implemented in core/X.c, and its OS part in
 *    backends/<os>/<os>_<area>.c, the area being host (platform.h), mem
 *    (memory.h), thread, signal (signal.h and the kick), io (event.h,
 *    device.h, handle.h), wait (waitset.h, timer.h) or channel (channel.h;
 *    one shared file for Linux and macOS, backends/posix/posix_channel.c);
 *    each slot function is <os>_<slot name>. The README's "Source layout"
 *    has the table.
 *  - OS objects cross the API as vmosal_handle_t (common.h), "none" being
 *    VMOSAL_NO_HANDLE.
 *  - Structs begin with struct_size, set by the caller (common.h).
 *  - The first call of any function loads the OS backend (platform.h);
 *    vmosal_init() does it at a time of your choosing.
 *  - Every function may be called from any thread. Locks libvmosal holds
 *    are never held across a call back into your code.
 *  - Kicks and blocking waits. Each thread has a pending-kick flag, set by
 *    vmosal_thread_kick (thread.h) and cleared only by the thread itself,
 *    with vmosal_thread_kick_pending(true, ...). Every wait for work
 *    (vmosal_event_wait, vmosal_waitset_wait, vmosal_channel_accept and
 *    vmosal_channel_recv, and each blocking call added later) returns
 *    VMOSAL_EINTR when the thread is kicked during it, and at once, without
 *    waiting, while the flag is set. The flag is read with the kick signal
 *    blocked, and the signal unblocked only inside the wait (ppoll's mask,
 *    as KVM does for KVM_RUN with immediate_exit), so a kick that lands
 *    between the check and the wait is never lost. Sleeps and signal waits
 *    (vmosal_sleep_ns, vmosal_signal_wait) are not waits for work: a kick
 *    does not end them. */
#ifndef VMOSAL_H
#define VMOSAL_H

#include "vmosal/common.h"
#include "vmosal/error.h"
#include "vmosal/barrier.h"
#include "vmosal/platform.h"
#include "vmosal/memory.h"
#include "vmosal/thread.h"
#include "vmosal/topology.h"
#include "vmosal/signal.h"
#include "vmosal/event.h"
#include "vmosal/device.h"
#include "vmosal/handle.h"
#include "vmosal/waitset.h"
#include "vmosal/timer.h"
#include "vmosal/channel.h"
#if !defined(VMOSAL_NO_DEPRECATED)
#include "vmosal/deprecated.h"
#endif

#endif
