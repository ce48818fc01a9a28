/* Host layer for POSIX systems: module loading, the loader lock, and the
 * privilege-aware getenv. */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef HAVE_ELF_H
#include <elf.h>
#endif
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
static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;

void vmosal__registry_lock(void)
{
	pthread_mutex_lock(&registry_mutex);
}

void vmosal__registry_unlock(void)
{
	pthread_mutex_unlock(&registry_mutex);
}

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

#ifdef HAVE_ELF_H
/* dlopen maps a plugin's segments as they are written in its program
 * headers; one that runs past the end of a truncated file (an upgrade
 * interrupted, a full disk) is mapped anyway, and the first touch of it
 * kills the process with SIGBUS inside dlopen. So the headers are checked
 * against the file's size first. Returns NULL or why the file is bad. */
static const char *posix_elf_damage(const char *path, char *why, size_t len)
{
	unsigned char ident[EI_NIDENT];
	struct stat st;
	uint64_t phoff, phnum, phentsize, end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const char *bad = NULL;

	if (fd < 0)
		return NULL; /* dlopen says why */
	if (fstat(fd, &st) != 0 || pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident ||
	    memcmp(ident, ELFMAG, SELFMAG) != 0) {
		close(fd);
		return NULL; /* not ELF: dlopen refuses it without mapping */
	}
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) {
			bad = "its ELF header is cut short";
			goto out;
		}
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			phnum = 0; /* not ours to judge: dlopen refuses it */
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;
		if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) {
			bad = "its ELF header is cut short";
			goto out;
		}
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			phnum = 0;
	} else {
		goto out;
	}
	if (phnum > 0 && (phoff > (uint64_t)st.st_size ||
			  phnum * phentsize > (uint64_t)st.st_size - phoff)) {
		bad = "its program headers lie past the end of the file";
		goto out;
	}
	for (uint64_t i = 0; i < phnum && bad == NULL; i++) {
		uint64_t type, offset, filesz;
		if (ident[EI_CLASS] == ELFCLASS64) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(phoff + i * phentsize)) !=
			    (ssize_t)sizeof ph)
				break;
			type = ph.p_type;
			offset = ph.p_offset;
			filesz = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(phoff + i * phentsize)) !=
			    (ssize_t)sizeof ph)
				break;
			type = ph.p_type;
			offset = ph.p_offset;
			filesz = ph.p_filesz;
		}
		if (type != PT_LOAD && type != PT_DYNAMIC)
			continue;
		end = offset + filesz;
		if (end < offset || end > (uint64_t)st.st_size) {
			snprintf(why, len,
				 "truncated or damaged: a segment ends at byte %llu, the file has %llu",
				 (unsigned long long)end, (unsigned long long)st.st_size);
			bad = why;
		}
	}
out:
	close(fd);
	return bad;
}
#endif

void *vmosal__dso_open(const char *path, char *err, size_t errlen)
{
	void *dso;

#ifdef HAVE_ELF_H
	char damage[160];
	const char *bad = posix_elf_damage(path, damage, sizeof damage);

	if (bad != NULL) {
		snprintf(err, errlen, "%s", bad);
		return NULL;
	}
#endif
	dso = dlopen(path, RTLD_NOW | RTLD_LOCAL);
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

/* fork() in one thread while another holds the loader lock (a backend or
 * topology load takes milliseconds) would leave the child a lock nobody
 * will release. The lock is taken around every fork instead, so the child
 * gets it free and the loaded state whole. */
static void posix_before_fork(void)
{
	pthread_mutex_lock(&loader_mutex);
	pthread_mutex_lock(&registry_mutex);
}

static void posix_after_fork_parent(void)
{
	pthread_mutex_unlock(&registry_mutex);
	pthread_mutex_unlock(&loader_mutex);
}

static void posix_after_fork_child(void)
{
	pthread_mutex_unlock(&registry_mutex);
	pthread_mutex_unlock(&loader_mutex);
	/* The child's one thread has a tid of its own. */
	vmosal__thread_forget_self();
	vmosal__kick_after_fork();
}

/* From a constructor, so the handlers exist before any thread can hold
 * the lock. pthread_atfork only fails for lack of memory at start-up. */
__attribute__((constructor)) static void posix_register_fork_handlers(void)
{
	pthread_atfork(posix_before_fork, posix_after_fork_parent, posix_after_fork_child);
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
