/* libvmosal: the names of 0.1, kept for one release.
 *
 * 0.2 gave each concept one name (NEWS lists old and new). The old names
 * below still build and link, each a thin call of its new name, and warn
 * where the compiler can; 1.0 removes them, with the soname change. Define
 * VMOSAL_NO_DEPRECATED before including vmosal.h to check that a program
 * no longer uses them. */
#ifndef VMOSAL_DEPRECATED_H
#define VMOSAL_DEPRECATED_H

#include "common.h"
#include "memory.h"
#include "platform.h"
#include "signal.h"

VMOSAL_BEGIN_DECLS

#if defined(VMOSAL_BUILDING_LIBRARY)
#define VMOSAL_DEPRECATED(use)
#elif defined(__GNUC__)
#define VMOSAL_DEPRECATED(use) __attribute__((deprecated("use " use)))
#elif defined(_MSC_VER)
#define VMOSAL_DEPRECATED(use) __declspec(deprecated("use " use))
#else
#define VMOSAL_DEPRECATED(use)
#endif

/* One close for every handle (handle.h). */
VMOSAL_DEPRECATED("vmosal_handle_close") VMOSAL_API int vmosal_shm_close(vmosal_handle_t h);
VMOSAL_DEPRECATED("vmosal_handle_close") VMOSAL_API int vmosal_event_close(vmosal_handle_t h);
VMOSAL_DEPRECATED("vmosal_handle_close") VMOSAL_API int vmosal_device_close(vmosal_handle_t h);
VMOSAL_DEPRECATED("vmosal_handle_close")
VMOSAL_API int vmosal_signal_fd_close(vmosal_handle_t h);

/* An event is notified; "signal" is an OS signal. */
VMOSAL_DEPRECATED("vmosal_event_notify") VMOSAL_API int vmosal_event_signal(vmosal_handle_t event);

/* Handlers are added and removed; signal_fd made like every handle. */
VMOSAL_DEPRECATED("vmosal_signal_add_handler")
VMOSAL_API int vmosal_signal_handle(enum vmosal_signal sig, vmosal_signal_fn fn, void *ctx,
				    vmosal_signal_handler_t **out);
VMOSAL_DEPRECATED("vmosal_signal_remove_handler")
VMOSAL_API int vmosal_signal_unhandle(vmosal_signal_handler_t *h);
VMOSAL_DEPRECATED("vmosal_signal_fd_create")
VMOSAL_API int vmosal_signal_fd_open(const enum vmosal_signal *sigs, size_t n,
				     vmosal_handle_t *out);

/* Memory calls outside mmap, munmap and mprotect are vmosal_mem_<verb>. */
VMOSAL_DEPRECATED("vmosal_mem_advise")
VMOSAL_API int vmosal_madvise(void *addr, size_t size, enum vmosal_advice advice);
VMOSAL_DEPRECATED("vmosal_mem_sync")
VMOSAL_API int vmosal_msync(void *addr, size_t size, unsigned flags);
VMOSAL_DEPRECATED("vmosal_mem_lock") VMOSAL_API int vmosal_mlock(void *addr, size_t size);
VMOSAL_DEPRECATED("vmosal_mem_unlock") VMOSAL_API int vmosal_munlock(void *addr, size_t size);

/* Guest RAM is created and destroyed, as every libvmosal object. */
VMOSAL_DEPRECATED("vmosal_guest_ram_create")
VMOSAL_API int vmosal_guest_ram_alloc(size_t size, const struct vmosal_guest_ram_options *opts,
				      struct vmosal_guest_ram *out);
VMOSAL_DEPRECATED("vmosal_guest_ram_destroy")
VMOSAL_API int vmosal_guest_ram_free(struct vmosal_guest_ram *ram);

/* Physical memory is a host fact: vmosal_host_memory (platform.h). */
struct vmosal_mem_info {
	uint32_t struct_size;
	uint64_t total_bytes;
	uint64_t available_bytes;
};
VMOSAL_DEPRECATED("vmosal_host_memory") VMOSAL_API int vmosal_mem_info(struct vmosal_mem_info *out);

/* vmosal_page_size is the base page; the huge ones are vmosal_huge_page_*. */
struct vmosal_page_sizes {
	uint32_t struct_size;
	uint32_t thp_mode;
	uint64_t base;
	uint64_t thp_size;
	uint64_t huge_default;
	uint32_t huge_count;
};
VMOSAL_DEPRECATED("vmosal_huge_page_sizes")
VMOSAL_API int vmosal_page_sizes(struct vmosal_page_sizes *out);

/* The fault guard fills the one signal record, struct vmosal_siginfo. */
struct vmosal_fault {
	uint32_t struct_size;
	uint32_t signal;
	void *addr;
	int32_t os_signal;
	int32_t os_code;
};
/* Not marked: the dispatch below names it in every call of the guard. */
VMOSAL_API int vmosal_fault_guard_fault(int (*fn)(void *arg), void *arg,
					struct vmosal_fault *fault);
#if !defined(__cplusplus) && !defined(VMOSAL_BUILDING_LIBRARY)
/* A 0.1 caller passing struct vmosal_fault gets the old layout filled. */
#define vmosal_fault_guard(fn, arg, fault)                                         \
	_Generic((fault), struct vmosal_fault *: vmosal_fault_guard_fault,          \
		 default: vmosal_fault_guard)(fn, arg, fault)
#endif

VMOSAL_END_DECLS

#endif
