/* Windows backend internals, shared by its source files. Every slot named
 * here fills one member of the ops table in win_backend.c; the contract of
 * each is the comment above that member in vmosal/backend.h. */
#ifndef VMOSAL_BACKEND_WIN_H
#define VMOSAL_BACKEND_WIN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmosal/backend.h"
/* The public constants (VMOSAL_MAP_*, VMOSAL_PRIORITY_*, ...) slots take. */
#include "vmosal/device.h"
#include "vmosal/event.h"
#include "vmosal/memory.h"
#include "vmosal/platform.h"
#include "vmosal/signal.h"
#include "vmosal/thread.h"

/* The core's services, saved by init(); NULL in tests that call a
 * source file's functions without the plugin. */
extern const struct vmosal_core_services *win_core;

/* A GetLastError() value as a VMOSAL_E* code (win_common.c). */
int win_error_from(DWORD err);
/* The translated code of the calling thread's GetLastError(). */
int win_last_error(void);
/* name from the system DLL dll (loaded from System32 if need be), or NULL:
 * for functions older Windows or Wine lack. Cast the result to the
 * function's type: void (*)(void) converts to any without a warning. */
typedef void (*win_proc)(void);
win_proc win_system_proc(const wchar_t *dll, const char *name);
/* The same for a Win32 function: from kernelbase.dll, where newer ones
 * live, else kernel32.dll, which forwards them. */
win_proc win_kernel_proc(const char *name);

/* Every slot is win_<slot name>, declared from the one slot list: a
 * signature that differs from the table's fails to compile, and the table
 * in win_backend.c is made from the same list. init and fini are
 * win_host.c's; the retired slot is declared and never defined. */
#define VMOSAL_SLOT(kind, name, ret, params, args, minor, groups) ret win_##name params;
#include "vmosal/backend_slots.h"
#undef VMOSAL_SLOT

/* win_thread.c (processor-group arithmetic: win_groups.h, OS-neutral) */
#include "win_groups.h"

/* Opens thread tid of this process (0: the caller's pseudo handle) with
 * access; *h must go to win_thread_close. VMOSAL_ESRCH for other tids. */
int win_thread_open(uint64_t tid, DWORD access, HANDLE *h);
void win_thread_close(uint64_t tid, HANDLE h);
/* Longest name win_thread_set_name takes, in UTF-8 bytes without the NUL:
 * what init() puts in caps->thread_name_max. */
#define WIN_THREAD_NAME_MAX 255
/* The host's processor groups, read once; flat CPU numbers are
 * 64 * group + index (win_groups.h). cpus_possible is
 * win_groups_limit(win_groups_of_host()). */
const struct win_groups *win_groups_of_host(void);

/* win_mem.c */
/* Called by init(): reads the granularity and whether placeholders work. */
int win_mem_init(struct vmosal_backend_caps *caps);
/* The calls of Windows 10 1803 that placeholders need, resolved at run time
 * so the DLL loads without them; virtual_free is VirtualFree. */
typedef PVOID(WINAPI *win_virtual_alloc2_fn)(HANDLE, PVOID, SIZE_T, ULONG, ULONG,
					     MEM_EXTENDED_PARAMETER *, ULONG);
typedef PVOID(WINAPI *win_map_view3_fn)(HANDLE, HANDLE, PVOID, ULONG64, SIZE_T, ULONG, ULONG,
					MEM_EXTENDED_PARAMETER *, ULONG);
typedef BOOL(WINAPI *win_unmap_view2_fn)(HANDLE, PVOID, ULONG);
struct win_mem_api {
	win_virtual_alloc2_fn virtual_alloc2;
	win_map_view3_fn map_view3;
	win_unmap_view2_fn unmap_view2;
	BOOL(WINAPI *virtual_free)(LPVOID, SIZE_T, DWORD);
	/* VirtualLock and the working set calls it needs; NULL in a test's
	 * table: the OS's. */
	BOOL(WINAPI *virtual_lock)(LPVOID, SIZE_T);
	BOOL(WINAPI *get_working_set)(HANDLE, PSIZE_T, PSIZE_T, PDWORD);
	BOOL(WINAPI *set_working_set)(HANDLE, SIZE_T, SIZE_T, DWORD);
};
/* Tests: replaces those calls (NULL: the OS's again; a NULL virtual_free
 * or lock call in the table: the OS's) and probes for placeholders
 * through them; only while no other thread maps. */
void win_mem_test_api(const struct win_mem_api *api);
/* Tests: true makes later reservations take the fallback path even where
 * placeholders work (also VMOSAL_WIN_NO_PLACEHOLDERS=1 at init). */
void win_mem_force_fallback(bool on);
/* Whether the next reservation will be made of placeholders. */
bool win_mem_placeholders(void);
/* How many regions the record holds (tests check for leaks). */
size_t win_mem_regions(void);

/* win_signal.c */
/* The record of signal handles, for the handle slots (win_io.c).
 * handle_dup made dup, a second handle of orig: when orig is a signal
 * handle, dup gets a record of its own for the same signals (0 when orig
 * is none; VMOSAL_ENOSPC when the record is full). handle_close forgets
 * h's record before closing h. */
int win_signal_handle_dup(HANDLE orig, HANDLE dup);
void win_signal_handle_forget(HANDLE h);
/* Takes the console and exception handlers away again (fini). */
void win_signal_fini(void);
/* The console control handler: queues the event for a waiter, or
 * dispatches it; FALSE passes it to the next handler. For the events that
 * end the process (CLOSE, LOGOFF, SHUTDOWN) it does not return once one was
 * taken, until win_signal_fini. Called by Windows on a thread of its own,
 * and by tests, which have no console under Wine. */
BOOL WINAPI win_console_handler(DWORD ctrl);
/* The hidden window that turns WM_ENDSESSION into TERM, made when TERM is
 * first installed or waited for; NULL before, or when none could be made
 * (tests send it the message). */
HWND win_session_window(void);
/* Tests: the calling thread's innermost fault-guard record (NULL: none),
 * and what the exception handler does to the context of a fault it takes
 * for that guard. */
void *win_guard_current(void);
void win_guard_redirect(CONTEXT *c, const void *guard);

/* win_io.c */
/* Milliseconds for a wait of ns, rounded up so a timeout never comes
 * early, at most 0xfffffffe (below INFINITE). */
DWORD win_wait_ms(uint64_t ns);
/* Whether sleeps and event waits use high-resolution waitable timers
 * (true once one was made); tests: off forces whole milliseconds. */
bool win_hires_timers(void);
void win_hires_timers_off(bool off);
/* The performance counter in nanoseconds (the MONOTONIC clock). */
uint64_t win_monotonic_ns(void);
/* The calling thread's wait timer, set to fire ns from now; NULL: none
 * (wait whole milliseconds, win_wait_ms). Wait on it, never close it. */
HANDLE win_hires_timer(uint64_t ns);
/* What kind of waitable object h is, asked of ntdll: whether a wait on it
 * takes its signal (an auto-reset event, a semaphore) or not. */
enum { WIN_SYNC_OTHER, WIN_SYNC_MANUAL_EVENT, WIN_SYNC_AUTO_EVENT, WIN_SYNC_SEMAPHORE };
int win_sync_kind(HANDLE h);
/* A wait's answer to the kick flag found set: runs the kick's APC, if
 * queued still, so that it does not end the next wait, and returns
 * VMOSAL_EINTR. */
int win_kick_seen(void);
/* Lets every thread's wait timer go, before the DLL unloads. */
void win_io_fini(void);
/* Threads' wait timers open now (tests). */
long win_wait_timers_open(void);
/* cycles at hz in nanoseconds, without overflow (hz below 18 GHz). */
uint64_t win_cycles_to_ns(uint64_t cycles, uint64_t hz);
/* Tests: THREAD_CPU from cycles(thread) at hz; cycles NULL: GetThreadTimes. */
void win_thread_clock_test(BOOL(WINAPI *cycles)(HANDLE, PULONG64), uint64_t hz);

/* win_wait.c: the record of handles that are more than their OS object
 * (timers, channels, listeners), looked up by handle. A record is shared
 * by a handle and its duplicates (handle_dup), and freed with the last;
 * wait sets hold references too. */
enum win_rec_kind { WIN_REC_TIMER = 1, WIN_REC_CHANNEL, WIN_REC_LISTENER };
struct win_rec {
	int kind;
	volatile LONG refs;
	/* What a wait set waits on for the handle: signalled when it is
	 * readable (the timer itself, a channel's read event...). */
	HANDLE wait;
	/* Called when a wait set takes the handle (NULL: nothing): a channel
	 * starts its read, so that wait is signalled by a message. */
	int (*arm)(struct win_rec *o);
	/* What the handle is ready for, wait being signalled (NULL:
	 * VMOSAL_WAIT_READABLE). */
	unsigned (*poll)(struct win_rec *o);
	/* Frees the record and what it holds (its last reference went). */
	void (*free)(struct win_rec *o);
};
/* Records o (one reference, the handle's) for h. VMOSAL_ENOMEM. */
int win_rec_put(HANDLE h, struct win_rec *o);
/* h's record with a reference the caller drops (win_rec_unref), or NULL;
 * kind 0: any. */
struct win_rec *win_rec_get(HANDLE h, int kind);
void win_rec_ref(struct win_rec *o);
void win_rec_unref(struct win_rec *o);
/* handle_close: h's record loses h's reference. */
void win_rec_forget(HANDLE h);
/* handle_dup: dup shares orig's record, if it has one. */
int win_rec_dup(HANDLE orig, HANDLE dup);

#endif
