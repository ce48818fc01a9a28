/* Growable structs (common.h): the one place that decides how a caller's
 * struct of another size is read and written. */
#include "config.h"

#include <string.h>

#include "internal.h"

/* Every public struct begins with this. */
struct sized {
	uint32_t struct_size;
};

/* How far past the struct this library knows a caller's may reach. A
 * newer header grows a struct by a few members; a struct_size beyond that
 * is garbage (an uninitialised field, another struct's size), and trusting
 * it would read or clear that much of the caller's memory. */
#define STRUCT_SLACK ((size_t)4096)

/* min_size is what this library knows of the struct (the oldest layout it
 * accepts, which is today its own): struct_size below it, or more than
 * STRUCT_SLACK past it, is refused. */
static bool struct_size_ok(size_t size, size_t min_size)
{
	return size >= min_size && size - min_size <= STRUCT_SLACK;
}

int vmosal__struct_in(void *dst, size_t dst_size, const void *src, size_t min_size)
{
	const unsigned char *bytes = src;
	size_t size;

	memset(dst, 0, dst_size);
	if (src == NULL) {
		((struct sized *)dst)->struct_size = (uint32_t)dst_size;
		return 0;
	}
	size = ((const struct sized *)src)->struct_size;
	if (!struct_size_ok(size, min_size) || size > dst_size + STRUCT_SLACK)
		return VMOSAL_EINVAL;
	/* A newer caller's members beyond ours must be left at zero: a
	 * request this library cannot see must not pass as granted. */
	for (size_t i = dst_size; i < size; i++)
		if (bytes[i] != 0)
			return VMOSAL_ENOTSUP;
	memcpy(dst, src, size < dst_size ? size : dst_size);
	((struct sized *)dst)->struct_size = (uint32_t)dst_size;
	return 0;
}

int vmosal__struct_out_check(const void *out, size_t min_size)
{
	if (out == NULL || !struct_size_ok(((const struct sized *)out)->struct_size, min_size))
		return VMOSAL_EINVAL;
	return 0;
}

void vmosal__struct_out(void *out, const void *src, size_t src_size)
{
	uint32_t size = ((struct sized *)out)->struct_size;
	size_t keep = sizeof(struct sized);

	memcpy((char *)out + keep, (const char *)src + keep,
	       (size < src_size ? size : src_size) - keep);
	if (size > src_size)
		memset((char *)out + src_size, 0, size - src_size);
}
