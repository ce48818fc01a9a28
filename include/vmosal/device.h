/* libvmosal: device files, ioctl, and process ids.
 *
 * The ioctl number helpers encode as the host's own _IO/_IOR/_IOW/_IOWR
 * do. Two layouts exist, both spelled out below so that either can be
 * computed (and tested) on any host:
 *   Linux (asm-generic: x86_64, aarch64, riscv64): direction in bits
 *     30-31 (READ 2, WRITE 1, none 0), size in 16-29, type in 8-15,
 *     number in 0-7.
 *   BSD (macOS and the BSDs): IOC_OUT 0x40000000 for READ, IOC_IN
 *     0x80000000 for WRITE (the bits Linux uses the other way round),
 *     IOC_VOID 0x20000000 for neither, size in 16-28 (13 bits, masked as
 *     <sys/ioccom.h> does), type in 8-15, number in 0-7.
 * VMOSAL_IOC picks the host's by the compiler's predefined OS macros.
 * Windows has no ioctl on handles (DeviceIoControl codes differ); there
 * these calls are VMOSAL_ENOTSUP, the numbers are Linux's, and device
 * files open with CreateFileW. */
#ifndef VMOSAL_DEVICE_H
#define VMOSAL_DEVICE_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* Directions, as the caller sees the data: READ, the OS fills arg. */
#define VMOSAL_IOC_NONE 0u
#define VMOSAL_IOC_WRITE 1u
#define VMOSAL_IOC_READ 2u
#define VMOSAL_IOC_LINUX(dir, type, nr, size)                                        \
	((unsigned long)(((unsigned long)(dir) << 30) | ((unsigned long)(size) << 16) | \
			 ((unsigned long)(type) << 8) | (unsigned long)(nr)))
#define VMOSAL_IOC_BSD(dir, type, nr, size)                                          \
	((unsigned long)(((dir) == VMOSAL_IOC_NONE ? 0x20000000ul : 0ul) |              \
			 (((dir) & VMOSAL_IOC_READ) ? 0x40000000ul : 0ul) |               \
			 (((dir) & VMOSAL_IOC_WRITE) ? 0x80000000ul : 0ul) |              \
			 (((unsigned long)(size) & 0x1ffful) << 16) |                     \
			 ((unsigned long)(type) << 8) | (unsigned long)(nr)))
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
	defined(__OpenBSD__) || defined(__DragonFly__)
#define VMOSAL_IOC(dir, type, nr, size) VMOSAL_IOC_BSD(dir, type, nr, size)
#else
#define VMOSAL_IOC(dir, type, nr, size) VMOSAL_IOC_LINUX(dir, type, nr, size)
#endif
#define VMOSAL_IO(type, nr) VMOSAL_IOC(VMOSAL_IOC_NONE, type, nr, 0)
#define VMOSAL_IOR(type, nr, size) VMOSAL_IOC(VMOSAL_IOC_READ, type, nr, size)
#define VMOSAL_IOW(type, nr, size) VMOSAL_IOC(VMOSAL_IOC_WRITE, type, nr, size)
#define VMOSAL_IOWR(type, nr, size) VMOSAL_IOC(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, type, nr, size)

#define VMOSAL_DEVICE_READ 0x1u  /* open for reading */
#define VMOSAL_DEVICE_WRITE 0x2u /* open for writing; both: read-write */

/* Opens a device file (flags: READ and/or WRITE), close-on-exec, and
 * stores its handle in *out. */
VMOSAL_API int vmosal_device_open(const char *path, unsigned flags, vmosal_handle_t *out);

/* Don't retry this ioctl when a signal interrupts it: return VMOSAL_EINTR
 * to the caller (what a vCPU loop needs from KVM_RUN to see a kick). */
#define VMOSAL_IOCTL_NO_RESTART 0x1u

/* ioctl(device, request, arg), retried when a signal interrupts it unless
 * flags has NO_RESTART (KVM_RUN is never retried, whatever flags say).
 * Stores the call's non-negative return value in *result (NULL: not
 * wanted); where that is a new descriptor (KVM_CREATE_VM), it is a
 * vmosal_handle_t that vmosal_handle_close closes. Integer arguments are
 * passed as (void *)(uintptr_t)value, as with ioctl itself. Errors are
 * translated (VMOSAL_ENOTSUP for ENOTTY). Windows: VMOSAL_ENOTSUP, as
 * DeviceIoControl needs the buffer sizes a request does not carry. */
VMOSAL_API int vmosal_ioctl(vmosal_handle_t device, unsigned long request, void *arg,
			    unsigned flags, int *result);

/* The calling process's id. */
VMOSAL_API int vmosal_process_id(uint64_t *out);

VMOSAL_END_DECLS

#endif
