/* Error translation shared by the Windows backend's files. */
#include "config.h"

#include "win.h"

const struct vmosal_core_services *win_core;

int win_error_from(DWORD err)
{
	switch (err) {
	case ERROR_SUCCESS:
		return 0;
	case ERROR_INVALID_PARAMETER:
	case ERROR_INVALID_ADDRESS:
	case ERROR_INVALID_FLAGS:
	case ERROR_NOACCESS:
	case ERROR_NO_UNICODE_TRANSLATION:
		return VMOSAL_EINVAL;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
	case ERROR_COMMITMENT_LIMIT:
	case ERROR_NO_SYSTEM_RESOURCES:
	case ERROR_WORKING_SET_QUOTA:
		return VMOSAL_ENOMEM;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
		return VMOSAL_EACCES;
	case ERROR_PRIVILEGE_NOT_HELD:
		return VMOSAL_EPERM;
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_MOD_NOT_FOUND:
	case ERROR_PROC_NOT_FOUND:
		return VMOSAL_ENOENT;
	case ERROR_INVALID_HANDLE:
		return VMOSAL_EBADF;
	case ERROR_ALREADY_EXISTS:
	case ERROR_FILE_EXISTS:
		return VMOSAL_EEXIST;
	case ERROR_BUSY:
	case ERROR_LOCK_VIOLATION:
		return VMOSAL_EBUSY;
	case ERROR_BROKEN_PIPE:
	case ERROR_NO_DATA:
	case ERROR_PIPE_NOT_CONNECTED:
		return VMOSAL_EPIPE;
	case ERROR_PIPE_BUSY:
		return VMOSAL_EAGAIN;
	case ERROR_MORE_DATA:
		return VMOSAL_EMSGSIZE;
	case ERROR_FILENAME_EXCED_RANGE:
		return VMOSAL_ENAMETOOLONG;
	case ERROR_NOT_SUPPORTED:
	case ERROR_CALL_NOT_IMPLEMENTED:
		return VMOSAL_ENOTSUP;
	case ERROR_TIMEOUT:
	case WAIT_TIMEOUT:
		return VMOSAL_ETIMEDOUT;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		return VMOSAL_ENOSPC;
	case ERROR_ARITHMETIC_OVERFLOW:
	case ERROR_FILE_TOO_LARGE:
		return VMOSAL_EOVERFLOW;
	case ERROR_INSUFFICIENT_BUFFER:
		return VMOSAL_ERANGE;
	case ERROR_IO_DEVICE:
	case ERROR_CRC:
	case ERROR_READ_FAULT:
	case ERROR_WRITE_FAULT:
		return VMOSAL_EIO;
	default:
		return VMOSAL_EUNKNOWN;
	}
}

int win_last_error(void)
{
	DWORD err = GetLastError();

	/* A call that failed without saying why still failed. */
	return err == ERROR_SUCCESS ? VMOSAL_EUNKNOWN : win_error_from(err);
}

/* A function of a system DLL that older Windows (or Wine) may lack,
 * resolved at run time so the backend loads everywhere. */
win_proc win_system_proc(const wchar_t *dll, const char *name)
{
	HMODULE mod = GetModuleHandleW(dll);

	if (mod == NULL)
		mod = LoadLibraryExW(dll, NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	return mod != NULL ? (win_proc)GetProcAddress(mod, name) : NULL;
}

win_proc win_kernel_proc(const char *name)
{
	win_proc fn = win_system_proc(L"kernelbase.dll", name);

	return fn != NULL ? fn : win_system_proc(L"kernel32.dll", name);
}
