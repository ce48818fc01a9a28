/* Host layer for Windows: module loading with a restricted search, the
 * loader locks, the token's elevation for the environment rule, and the
 * installed backend directory found from libvmosal's own DLL. */
#include "config.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"

/* No fork() on Windows, so a plain SRW lock is all the loader needs. */
static SRWLOCK loader_lock = SRWLOCK_INIT;
static SRWLOCK registry_lock = SRWLOCK_INIT;

void vmosal__registry_lock(void)
{
	AcquireSRWLockExclusive(&registry_lock);
}

void vmosal__registry_unlock(void)
{
	ReleaseSRWLockExclusive(&registry_lock);
}

void vmosal__loader_lock(void)
{
	AcquireSRWLockExclusive(&loader_lock);
}

void vmosal__loader_unlock(void)
{
	ReleaseSRWLockExclusive(&loader_lock);
}

static INIT_ONCE privilege_once = INIT_ONCE_STATIC_INIT;
static bool privileged;

/* Elevated (UAC) or high integrity, as the Vulkan loader decides it. A
 * token that cannot be read counts as elevated: the safe way to fail. */
static BOOL CALLBACK win_read_privilege(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	union {
		TOKEN_MANDATORY_LABEL label;
		char bytes[sizeof(TOKEN_MANDATORY_LABEL) + SECURITY_MAX_SID_SIZE];
	} integrity;
	TOKEN_ELEVATION elevation;
	HANDLE token;
	DWORD got;

	(void)once;
	(void)param;
	(void)ctx;
	privileged = true;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return TRUE;
	if (GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &got) &&
	    GetTokenInformation(token, TokenIntegrityLevel, &integrity, sizeof integrity, &got)) {
		PSID sid = integrity.label.Label.Sid;
		DWORD rid = *GetSidSubAuthority(sid, *GetSidSubAuthorityCount(sid) - 1);

		privileged = elevation.TokenIsElevated != 0 || rid >= SECURITY_MANDATORY_HIGH_RID;
	}
	CloseHandle(token);
	return TRUE;
}

bool vmosal__privileged(void)
{
	InitOnceExecuteOnce(&privilege_once, win_read_privilege, NULL, NULL);
	return privileged;
}

const char *vmosal__secure_getenv(const char *name)
{
	return vmosal__privileged() ? NULL : getenv(name);
}

static void win_message(DWORD code, const char *what, char *err, size_t errlen)
{
	char text[256] = "";
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
				 code, 0, text, sizeof text, NULL);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	snprintf(err, errlen, "%s: error %lu%s%s", what, (unsigned long)code, n > 0 ? ": " : "",
		 text);
}

/* Only an absolute path may reach LoadLibraryExW, whose search would
 * otherwise include the current directory; the search for the plugin's
 * own imports is its directory and System32, nothing else. */
void *vmosal__dso_open(const char *path, char *err, size_t errlen)
{
	wchar_t wide[MAX_PATH * 4], full[MAX_PATH * 4];
	HMODULE dso;
	DWORD n;

	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wide,
				(int)(sizeof wide / sizeof wide[0])) == 0) {
		win_message(GetLastError(), "not a UTF-8 path Windows can take", err, errlen);
		return NULL;
	}
	n = GetFullPathNameW(wide, (DWORD)(sizeof full / sizeof full[0]), full, NULL);
	if (n == 0 || n >= sizeof full / sizeof full[0]) {
		win_message(n == 0 ? GetLastError() : ERROR_FILENAME_EXCED_RANGE,
			    "GetFullPathNameW", err, errlen);
		return NULL;
	}
	dso = LoadLibraryExW(full, NULL,
			     LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (dso == NULL)
		win_message(GetLastError(), "LoadLibraryExW", err, errlen);
	return (void *)dso;
}

void *vmosal__dso_sym(void *dso, const char *name)
{
	FARPROC fn = GetProcAddress((HMODULE)dso, name);
	void *sym;

	/* A function pointer in a data pointer, as dlsym() hands it out. */
	memcpy(&sym, &fn, sizeof sym);
	return sym;
}

void vmosal__dso_close(void *dso)
{
	FreeLibrary((HMODULE)dso);
}

/* Installs move on Windows: the backends are found from where this DLL
 * is, <prefix>\bin\libvmosal-0.dll, as <prefix>\lib\libvmosal\backends. */
bool vmosal__backend_dir(char *buf, size_t len)
{
	static const wchar_t tail[] = L"lib\\libvmosal\\backends";
	wchar_t path[MAX_PATH * 4];
	HMODULE self;
	wchar_t *cut;
	DWORD n;
	int i;

	if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
				       GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
			       (LPCWSTR)(void *)&loader_lock, &self))
		return false;
	n = GetModuleFileNameW(self, path, (DWORD)(sizeof path / sizeof path[0]));
	if (n == 0 || n >= sizeof path / sizeof path[0])
		return false;
	/* Drop the file name, then bin\. */
	for (i = 0; i < 2; i++) {
		cut = wcsrchr(path, L'\\');
		if (cut == NULL)
			return false;
		cut[i == 0 ? 0 : 1] = L'\0';
	}
	if (wcslen(path) + wcslen(tail) >= sizeof path / sizeof path[0])
		return false;
	wcscat(path, tail);
	return WideCharToMultiByte(CP_UTF8, 0, path, -1, buf, (int)len, NULL, NULL) > 0;
}

char vmosal__dir_separator(void)
{
	return '\\';
}

char vmosal__path_list_separator(void)
{
	return ';';
}

bool vmosal__is_path(const char *s)
{
	return strpbrk(s, "/\\:") != NULL;
}

/* FreeLibrary of libvmosal gives the backend its fini. At process exit
 * (reserved != NULL) other threads are gone mid-call and the loader lock
 * is held: nothing may run then. */
BOOL WINAPI DllMain(HINSTANCE self, DWORD reason, LPVOID reserved);
BOOL WINAPI DllMain(HINSTANCE self, DWORD reason, LPVOID reserved)
{
	(void)self;
	if (reason == DLL_PROCESS_DETACH && reserved == NULL)
		vmosal__unload();
	return TRUE;
}
