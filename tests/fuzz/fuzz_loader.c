/* Fuzzes the backend loader's refusals. A loaded backend stays for the life
 * of the process, but vmosal_init_backend() may be called again after a
 * failed load, so every input is a fresh attempt that must fail cleanly:
 *   - first byte even: a fuzzed name or path, with fuzzed
 *     VMOSAL_BACKEND_PATH, VMOSAL_BACKEND and VMOSAL_DEBUG values;
 *   - first byte odd: the rest is a plugin file's contents, written to
 *     vmosal_x.so in a private directory and loaded by path or by name
 *     (not complete ELF files, which dlopen runs: elf_complete).
 * Relative paths are taken inside that directory, and no real backend is
 * ever named, so no attempt can succeed; vmosal_backend_error() must then
 * explain it. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "vmosal.h"

static char dir[4096], plugin[4096 + 64];

/* The private directory goes when libFuzzer exits (a time or run limit). */
static void remove_dir(void)
{
	unlink(plugin);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "%s/vmosal-fuzz-loader-XXXXXX",
		 fuzz_tmpdir());
	FUZZ_ASSERT(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(plugin, sizeof plugin, "%s/vmosal_x%s", dir, LT_MODULE_EXT);
	atexit(remove_dir);
	return 0;
}

/* Splits off the next NUL-terminated field; NULL when the input is used
 * up. */
static const char *next_field(struct fuzz_in *in, char *buf, size_t len)
{
	size_t n = 0;

	if (in->n == 0)
		return NULL;
	while (in->n > 0 && *in->p != '\0') {
		if (n < len - 1)
			buf[n++] = (char)*in->p;
		in->p++;
		in->n--;
	}
	if (in->n > 0) {
		in->p++;
		in->n--;
	}
	buf[n] = '\0';
	return buf;
}

/* putenv of one buffer per variable, rewritten each time: setenv would
 * keep every value ever set, and the run would grow without bound. */
static void set_or_unset(const char *name, const char *value, char *buf, size_t len)
{
	if (value == NULL) {
		unsetenv(name);
		return;
	}
	snprintf(buf, len, "%s=%s", name, value);
	putenv(buf);
}

/* A spec that could load a real backend: the default one by name, or any
 * installed or built vmosal_<name> module by path. */
static bool names_real_backend(const char *spec)
{
	const char *base = strrchr(spec, '/');

	if (base == NULL)
		return strcmp(spec, VMOSAL_DEFAULT_BACKEND) == 0;
	return strncmp(base + 1, "vmosal_", 7) == 0;
}

/* dlopen reads what it is given: a FIFO or a terminal would block it. */
static bool names_special_file(const char *spec)
{
	struct stat st;

	return stat(spec, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

/* "loader" or "all" in VMOSAL_DEBUG would print every refusal. */
static bool debug_prints(const char *value)
{
	return value != NULL && (strstr(value, "loader") != NULL || strstr(value, "all") != NULL);
}

/* The explanation a failed load leaves, read into buffers of fuzzed
 * sizes: always terminated, ERANGE exactly when cut. */
static void check_error_text(uint8_t len_byte)
{
	char full[8192], *cut;
	size_t len = 1 + len_byte % 64;
	int rc;

	rc = vmosal_backend_error(full, sizeof full);
	FUZZ_ASSERT(rc == 0, "vmosal_backend_error");
	FUZZ_ASSERT(full[0] != '\0', "a refused load explains itself");
	cut = malloc(len);
	FUZZ_ASSERT(cut != NULL, "malloc");
	rc = vmosal_backend_error(cut, len);
	FUZZ_ASSERT(memchr(cut, '\0', len) != NULL, "vmosal_backend_error terminates");
	FUZZ_ASSERT((rc == VMOSAL_ERANGE) == (strlen(full) >= len),
		    "vmosal_backend_error ERANGE exactly when cut");
	FUZZ_ASSERT(strncmp(cut, full, len - 1) == 0, "vmosal_backend_error prefix");
	free(cut);
}

static void expect_refused(int rc, const char *spec)
{
	if (rc != VMOSAL_EBACKEND)
		FUZZ_FAIL("vmosal_init_backend(\"%s\"): %s, want EBACKEND", spec,
			  vmosal_err_name(rc));
}

static void load_by_spec(struct fuzz_in *in, uint8_t len_byte)
{
	static char path_env[1100], backend_env[600], debug_env[200];
	char spec[512], path[1024], backend[512], debug[128], inside[4096 + 512];
	const char *s = next_field(in, spec, sizeof spec);
	const char *p = next_field(in, path, sizeof path);
	const char *b = next_field(in, backend, sizeof backend);
	const char *d = next_field(in, debug, sizeof debug);
	int rc;

	if (s == NULL || names_real_backend(s) || debug_prints(d))
		return;
	/* Not the working directory, where libFuzzer keeps its files. */
	if (s[0] != '/' && strchr(s, '/') != NULL) {
		snprintf(inside, sizeof inside, "%s/%s", dir, s);
		s = inside;
	}
	if (names_special_file(s))
		return;
	set_or_unset("VMOSAL_BACKEND_PATH", p, path_env, sizeof path_env);
	/* An explicit spec overrides it; it must not change that. */
	set_or_unset("VMOSAL_BACKEND", b, backend_env, sizeof backend_env);
	set_or_unset("VMOSAL_DEBUG", d, debug_env, sizeof debug_env);
	rc = vmosal_init_backend(s);
	if (s[0] == '\0') {
		FUZZ_ASSERT(rc == VMOSAL_EINVAL, "vmosal_init_backend(\"\")");
		return;
	}
	expect_refused(rc, s);
	check_error_text(len_byte);
}

/* 1 for an ELF file of this machine's class whose program headers dlopen
 * reads (the right entry size), and *fits set when those headers and the
 * segments dlopen maps all lie inside the file; 0 for anything else,
 * which dlopen refuses without mapping. */
static bool elf64_mapped_by_dlopen(const uint8_t *data, size_t size, bool *fits)
{
	Elf64_Ehdr eh;

	*fits = false;
	if (size < sizeof eh || memcmp(data, ELFMAG, SELFMAG) != 0 ||
	    data[EI_CLASS] != ELFCLASS64)
		return false;
	memcpy(&eh, data, sizeof eh);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return false;
	if (eh.e_phoff > size || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff)
		return true;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, data + eh.e_phoff + i * sizeof ph, sizeof ph);
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_DYNAMIC) &&
		    (ph.p_offset > size || ph.p_filesz > size - ph.p_offset))
			return true;
	}
	*fits = true;
	return true;
}

/* A complete ELF file: dlopen maps, relocates and runs it trusting every
 * table in it, as loading any plugin runs its code, so a malformed one
 * crashes inside dlopen whoever calls it. The loader promises to refuse
 * files dlopen rejects on their headers, and cut short ones, not to make a
 * plugin's contents safe; complete files are left out. */
static bool elf_complete(const uint8_t *data, size_t size)
{
	bool fits;

	return elf64_mapped_by_dlopen(data, size, &fits) && fits;
}

static void load_file(struct fuzz_in *in, uint8_t how)
{
	int fd, rc;

	/* Cut-short files go to the loader: it refuses them before dlopen
	 * (core/host/posix.c). */
	if (elf_complete(in->p, in->n))
		return;
	fd = open(plugin, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fd >= 0, "open the plugin file");
	FUZZ_ASSERT(write(fd, in->p, in->n) == (ssize_t)in->n, "write the plugin file");
	FUZZ_ASSERT(close(fd) == 0, "close the plugin file");
	unsetenv("VMOSAL_DEBUG");
	if (how & 2) {
		/* By name, found through VMOSAL_BACKEND_PATH. */
		setenv("VMOSAL_BACKEND_PATH", dir, 1);
		rc = vmosal_init_backend("x");
		expect_refused(rc, "x");
	} else {
		rc = vmosal_init_backend(plugin);
		expect_refused(rc, plugin);
	}
	check_error_text(how >> 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t how = fuzz_u8(&in);

	if (how & 1)
		load_file(&in, how);
	else
		load_by_spec(&in, how >> 1);
	return 0;
}
