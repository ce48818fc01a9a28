/* POSIX thread creation and joining, shared by the POSIX backends. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "posix.h"

size_t posix_stack_size(size_t size, size_t min, size_t page)
{
	if (size < min)
		size = min;
	if (page == 0 || size % page == 0 || size > SIZE_MAX - page)
		return size;
	return (size / page + 1) * page;
}

int posix_thread_create(void *(*start)(void *), void *arg, size_t stack_size,
			void **handle)
{
	pthread_attr_t attr;
	pthread_t *thread;
	int err;

	thread = malloc(sizeof *thread);
	if (thread == NULL)
		return VMOSAL_ENOMEM;
	err = pthread_attr_init(&attr);
	if (err == 0 && stack_size != 0) {
		long page = sysconf(_SC_PAGESIZE);

		stack_size = posix_stack_size(stack_size, (size_t)PTHREAD_STACK_MIN,
					      page > 0 ? (size_t)page : 0);
		err = pthread_attr_setstacksize(&attr, stack_size);
	}
	if (err == 0)
		err = pthread_create(thread, &attr, start, arg);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		free(thread);
		return posix_error_from_errno(err);
	}
	*handle = thread;
	return 0;
}

int posix_thread_join(void *handle, void **result)
{
	pthread_t *thread = handle;
	void *value;
	int err = pthread_join(*thread, &value);

	if (err != 0)
		return posix_error_from_errno(err);
	free(thread);
	if (result != NULL)
		*result = value;
	return 0;
}
