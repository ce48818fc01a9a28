/* libvmosal: definitions every public header shares. */
#ifndef VMOSAL_COMMON_H
#define VMOSAL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VMOSAL_BEGIN_DECLS extern "C" {
#define VMOSAL_END_DECLS }
#else
#define VMOSAL_BEGIN_DECLS
#define VMOSAL_END_DECLS
#endif

/* Marks the library's exported functions; everything else is hidden. */
#if defined(_WIN32)
#if defined(VMOSAL_BUILDING_LIBRARY)
#define VMOSAL_API __declspec(dllexport)
#else
#define VMOSAL_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define VMOSAL_API __attribute__((visibility("default")))
#else
#define VMOSAL_API
#endif

#define VMOSAL_VERSION_MAJOR 0
#define VMOSAL_VERSION_MINOR 1
#define VMOSAL_VERSION_PATCH 0

/* OS thread id, valid for any thread of the process (Linux: kernel tid;
 * Windows: thread id). 0 always means "the calling thread". */
typedef uint64_t vmosal_tid_t;

#endif
