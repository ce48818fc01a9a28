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
/* Which lock the calling thread holds: a plugin's init (run under the
 * loader lock) may fork or call system(), and the fork handlers must not
 * take again what this same thread already holds. */
static _Thread_local bool holds_loader, holds_registry;
/* What posix_before_fork took, for the two handlers after it. */
static _Thread_local bool fork_took_loader, fork_took_registry;

void vmosal__registry_lock(void)
{
	pthread_mutex_lock(&registry_mutex);
	holds_registry = true;
}

void vmosal__registry_unlock(void)
{
	holds_registry = false;
	pthread_mutex_unlock(&registry_mutex);
}

void vmosal__loader_lock(void)
{
	pthread_mutex_lock(&loader_mutex);
	holds_loader = true;
}

void vmosal__loader_unlock(void)
{
	holds_loader = false;
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
/* The fields of an ELF header, or of program header i, of either class. */
static bool posix_elf_header(int fd, int cls, uint64_t *phoff, uint64_t *phnum,
			     uint64_t *phentsize)
{
	Elf64_Ehdr h64;
	Elf32_Ehdr h32;

	if (cls == ELFCLASS64 && pread(fd, &h64, sizeof h64, 0) == (ssize_t)sizeof h64) {
		*phoff = h64.e_phoff;
		*phnum = h64.e_phnum;
		*phentsize = h64.e_phentsize;
		return *phentsize == sizeof(Elf64_Phdr) || *phnum == 0;
	}
	if (cls == ELFCLASS32 && pread(fd, &h32, sizeof h32, 0) == (ssize_t)sizeof h32) {
		*phoff = h32.e_phoff;
		*phnum = h32.e_phnum;
		*phentsize = h32.e_phentsize;
		return *phentsize == sizeof(Elf32_Phdr) || *phnum == 0;
	}
	return false;
}

static bool posix_elf_segment(int fd, int cls, uint64_t at, uint64_t *type, uint64_t *offset,
			      uint64_t *filesz)
{
	Elf64_Phdr p64;
	Elf32_Phdr p32;

	if (cls == ELFCLASS64 && pread(fd, &p64, sizeof p64, (off_t)at) == (ssize_t)sizeof p64) {
		*type = p64.p_type;
		*offset = p64.p_offset;
		*filesz = p64.p_filesz;
		return true;
	}
	if (cls == ELFCLASS32 && pread(fd, &p32, sizeof p32, (off_t)at) == (ssize_t)sizeof p32) {
		*type = p32.p_type;
		*offset = p32.p_offset;
		*filesz = p32.p_filesz;
		return true;
	}
	return false;
}

/* dlopen maps a plugin's segments as they are written in its program
 * headers; one that runs past the end of a truncated file (an upgrade
 * interrupted, a full disk) is mapped anyway, and the first touch of it
 * kills the process with SIGBUS inside dlopen. So the headers are checked
 * against the file's size first. Returns NULL or why the file is bad;
 * what is not ELF at all is left to dlopen, which maps nothing of it. */
static const char *posix_elf_damage(const char *path, char *why, size_t len)
{
	unsigned char ident[EI_NIDENT];
	uint64_t phoff, phnum, phentsize, size;
	const char *bad = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident ||
	    memcmp(ident, ELFMAG, SELFMAG) != 0)
		goto out;
	size = (uint64_t)st.st_size;
	if (!posix_elf_header(fd, ident[EI_CLASS], &phoff, &phnum, &phentsize)) {
		bad = "its ELF header is cut short or damaged";
		goto out;
	}
	if (phnum > 0 && (phoff > size || phnum * phentsize > size - phoff)) {
		bad = "its program headers lie past the end of the file";
		goto out;
	}
	for (uint64_t i = 0; i < phnum && bad == NULL; i++) {
		uint64_t type, offset, filesz, end;

		if (!posix_elf_segment(fd, ident[EI_CLASS], phoff + i * phentsize, &type, &offset,
				       &filesz))
			break;
		end = offset + filesz;
		if ((type == PT_LOAD || type == PT_DYNAMIC) && (end < offset || end > size)) {
			snprintf(why, len,
				 "truncated or damaged: a segment ends at byte %llu, the file has %llu",
				 (unsigned long long)end, (unsigned long long)size);
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
 * gets it free and the loaded state whole. A lock the forking thread holds
 * itself (a plugin's init that forks) is left alone: taking it would
 * deadlock, and the child's one thread is its holder, which releases it
 * when it returns from the load as the parent's does. */
static void posix_before_fork(void)
{
	fork_took_loader = !holds_loader;
	fork_took_registry = !holds_registry;
	if (fork_took_loader)
		pthread_mutex_lock(&loader_mutex);
	if (fork_took_registry)
		pthread_mutex_lock(&registry_mutex);
}

static void posix_after_fork_parent(void)
{
	if (fork_took_registry)
		pthread_mutex_unlock(&registry_mutex);
	if (fork_took_loader)
		pthread_mutex_unlock(&loader_mutex);
}

static void posix_after_fork_child(void)
{
	if (fork_took_registry)
		pthread_mutex_unlock(&registry_mutex);
	if (fork_took_loader)
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

char vmosal__dir_separator(void)
{
	return '/';
}

bool vmosal__backend_dir(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", VMOSAL_BACKEND_DIR);

	return n >= 0 && (size_t)n < len;
}

bool vmosal__is_path(const char *s)
{
	return strchr(s, '/') != NULL;
}
