/* Host layer for POSIX systems: module loading, the loader lock, and the
 * privilege-aware getenv. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SYS_AUXV_H
#include <sys/auxv.h>
#endif

#include "../internal.h"

static pthread_mutex_t loader_mutex = PTHREAD_MUTEX_INITIALIZER;

void vmosal__loader_lock(void)
{
	pthread_mutex_lock(&loader_mutex);
}

void vmosal__loader_unlock(void)
{
	pthread_mutex_unlock(&loader_mutex);
}

/* AT_SECURE covers setuid, setgid and file capabilities; a uid != euid test
 * alone misses the last, which VMMs are often given. */
bool vmosal__privileged(void)
{
#if defined(HAVE_GETAUXVAL) && defined(AT_SECURE)
	return getauxval(AT_SECURE) != 0;
#elif defined(HAVE_ISSETUGID)
	return issetugid() != 0;
#else
	return getuid() != geteuid() || getgid() != getegid();
#endif
}

const char *vmosal__secure_getenv(const char *name)
{
#ifdef HAVE_SECURE_GETENV
	return secure_getenv(name);
#else
	return vmosal__privileged() ? NULL : getenv(name);
#endif
}

void *vmosal__dso_open(const char *path, char *err, size_t errlen)
{
	void *dso = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dso == NULL) {
		const char *why = dlerror();
		snprintf(err, errlen, "%s", why != NULL ? why : "dlopen failed");
	}
	return dso;
}

void *vmosal__dso_sym(void *dso, const char *name)
{
	return dlsym(dso, name);
}

void vmosal__dso_close(void *dso)
{
	dlclose(dso);
}

int vmosal__on_fork_child(void (*fn)(void))
{
	return pthread_atfork(NULL, NULL, fn) == 0 ? 0 : VMOSAL_ENOMEM;
}

/* Runs at exit() or when libvmosal itself is unloaded: the backend's fini
 * gets its one call. */
__attribute__((destructor)) static void posix_unload(void)
{
	vmosal__unload();
}

char vmosal__path_list_separator(void)
{
	return ':';
}

bool vmosal__is_path(const char *s)
{
	return strchr(s, '/') != NULL;
}
