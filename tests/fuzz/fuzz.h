/* Helpers shared by the libFuzzer harnesses: reading typed values off the
 * input, and stopping with a message when the library broke a promise. */
#ifndef VMOSAL_FUZZ_H
#define VMOSAL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The unread rest of an input. Reads past the end give zeros, so every
 * input, however short, is a complete sequence of calls. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fuzz_bytes(struct fuzz_in *in, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && in->n > 0; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_bytes(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_bytes(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_bytes(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_bytes(in, 8);
}

/* Where a harness writes its files: $TMPDIR, else /dev/shm, since the
 * harnesses that write files for every input run several times faster
 * on tmpfs than on a disk. */
static inline const char *fuzz_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp != NULL && tmp[0] != '\0')
		return tmp;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* A broken promise is a finding like a crash: abort() makes libFuzzer save
 * the input that led here. */
#define FUZZ_FAIL(...)                                                     \
	do {                                                               \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);            \
		fprintf(stderr, __VA_ARGS__);                              \
		fputc('\n', stderr);                                       \
		abort();                                                   \
	} while (0)

/* what: the call or check that failed, for the report. */
#define FUZZ_ASSERT(cond, what)                                            \
	do {                                                               \
		if (!(cond))                                               \
			FUZZ_FAIL("%s: '%s' does not hold", what, #cond);  \
	} while (0)

#endif
