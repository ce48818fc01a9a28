/* libvmosal memory barriers.
 *
 * These are static inline so that they cost what the instruction costs.
 *
 *   vmosal_barrier_acquire()    later loads and stores stay after earlier loads
 *   vmosal_barrier_release()    earlier loads and stores stay before later stores
 *   vmosal_barrier_full()       orders everything, store->load included
 *   vmosal_barrier_mandatory()  also orders device and write-combining memory
 *                               (MMIO, non-temporal stores); use for DMA rings
 *   vmosal_barrier_compiler()   stops the compiler only; emits no instruction
 *   vmosal_cpu_relax()          spin-wait hint (pause / yield)
 *
 * On x86_64 acquire and release emit no instruction (TSO already orders
 * them), full is a locked RMW on the stack rather than mfence (about 12x
 * cheaper; mfence is what clang emits for a C11 seq_cst fence) and mandatory
 * is mfence. aarch64 uses dmb, riscv64 fence; anything else falls back to C11
 * atomic_thread_fence. Each has an exported twin, *_fn(), for callers that
 * cannot inline (FFI). */
#ifndef VMOSAL_BARRIER_H
#define VMOSAL_BARRIER_H

#include "common.h"

#if !defined(__GNUC__) && !defined(__cplusplus)
#include <stdatomic.h>
#elif !defined(__GNUC__)
#include <atomic>
#endif

VMOSAL_BEGIN_DECLS

#if defined(__GNUC__)
#define VMOSAL__ASM_BARRIER(insn) __asm__ __volatile__(insn ::: "memory")
#endif

static inline void vmosal_barrier_compiler(void)
{
#if defined(__GNUC__)
	VMOSAL__ASM_BARRIER("");
#elif defined(__cplusplus)
	std::atomic_signal_fence(std::memory_order_seq_cst);
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

#if defined(__GNUC__) && defined(__x86_64__)

static inline void vmosal_barrier_acquire(void) { VMOSAL__ASM_BARRIER(""); }
static inline void vmosal_barrier_release(void) { VMOSAL__ASM_BARRIER(""); }
static inline void vmosal_barrier_full(void)
{
	__asm__ __volatile__("lock; orq $0, (%%rsp)" ::: "memory", "cc");
}
static inline void vmosal_barrier_mandatory(void) { VMOSAL__ASM_BARRIER("mfence"); }
static inline void vmosal_cpu_relax(void) { VMOSAL__ASM_BARRIER("pause"); }

#elif defined(__GNUC__) && defined(__aarch64__)

static inline void vmosal_barrier_acquire(void) { VMOSAL__ASM_BARRIER("dmb ishld"); }
static inline void vmosal_barrier_release(void) { VMOSAL__ASM_BARRIER("dmb ish"); }
static inline void vmosal_barrier_full(void) { VMOSAL__ASM_BARRIER("dmb ish"); }
static inline void vmosal_barrier_mandatory(void) { VMOSAL__ASM_BARRIER("dmb sy"); }
static inline void vmosal_cpu_relax(void) { VMOSAL__ASM_BARRIER("yield"); }

#elif defined(__GNUC__) && defined(__riscv) && __riscv_xlen == 64

static inline void vmosal_barrier_acquire(void) { VMOSAL__ASM_BARRIER("fence r, rw"); }
static inline void vmosal_barrier_release(void) { VMOSAL__ASM_BARRIER("fence rw, w"); }
static inline void vmosal_barrier_full(void) { VMOSAL__ASM_BARRIER("fence rw, rw"); }
static inline void vmosal_barrier_mandatory(void) { VMOSAL__ASM_BARRIER("fence iorw, iorw"); }
/* Zihintpause "pause" as its encoding: older assemblers lack the name,
 * and cores without the extension run it as a no-op fence. */
static inline void vmosal_cpu_relax(void) { VMOSAL__ASM_BARRIER(".4byte 0x0100000f"); }

#elif defined(__GNUC__)

static inline void vmosal_barrier_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void vmosal_barrier_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void vmosal_barrier_full(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void vmosal_barrier_mandatory(void) { __sync_synchronize(); }
static inline void vmosal_cpu_relax(void) { VMOSAL__ASM_BARRIER(""); }

#elif defined(__cplusplus)

static inline void vmosal_barrier_acquire(void) { std::atomic_thread_fence(std::memory_order_acquire); }
static inline void vmosal_barrier_release(void) { std::atomic_thread_fence(std::memory_order_release); }
static inline void vmosal_barrier_full(void) { std::atomic_thread_fence(std::memory_order_seq_cst); }
static inline void vmosal_barrier_mandatory(void) { std::atomic_thread_fence(std::memory_order_seq_cst); }
static inline void vmosal_cpu_relax(void) { std::atomic_signal_fence(std::memory_order_seq_cst); }

#else

static inline void vmosal_barrier_acquire(void) { atomic_thread_fence(memory_order_acquire); }
static inline void vmosal_barrier_release(void) { atomic_thread_fence(memory_order_release); }
static inline void vmosal_barrier_full(void) { atomic_thread_fence(memory_order_seq_cst); }
static inline void vmosal_barrier_mandatory(void) { atomic_thread_fence(memory_order_seq_cst); }
static inline void vmosal_cpu_relax(void) { atomic_signal_fence(memory_order_seq_cst); }

#endif

/* Exported twins of the inline barriers, for FFI and function pointers. */
VMOSAL_API void vmosal_barrier_acquire_fn(void);
VMOSAL_API void vmosal_barrier_release_fn(void);
VMOSAL_API void vmosal_barrier_full_fn(void);
VMOSAL_API void vmosal_barrier_mandatory_fn(void);
VMOSAL_API void vmosal_barrier_compiler_fn(void);
VMOSAL_API void vmosal_cpu_relax_fn(void);

VMOSAL_END_DECLS

#endif
