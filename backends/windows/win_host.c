/* Host facts, accelerator detection, and the backend's init (its
 * capabilities) and fini for Windows. */
#include "config.h"

#include <stdio.h>

#include "accel.h"
#include "win.h"

typedef LONG(WINAPI *win_rtl_get_version_fn)(OSVERSIONINFOW *info);

/* RtlGetVersion tells the truth; GetVersionEx answers what the
 * executable's manifest claims to support. */
static void win_os_release(char *buf, size_t len)
{
	win_rtl_get_version_fn get =
		(win_rtl_get_version_fn)win_system_proc(L"ntdll.dll", "RtlGetVersion");
	OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof v};

	if (get != NULL && get(&v) == 0)
		snprintf(buf, len, "%lu.%lu.%lu", (unsigned long)v.dwMajorVersion,
			 (unsigned long)v.dwMinorVersion, (unsigned long)v.dwBuildNumber);
	else
		snprintf(buf, len, "unknown");
}

int win_host_info(struct vmosal_backend_host *out)
{
	SYSTEM_INFO si;
	DWORD_PTR process_mask, system_mask;

	GetNativeSystemInfo(&si);
	snprintf(out->os, sizeof out->os, "windows");
	win_os_release(out->os_release, sizeof out->os_release);
#ifdef _UCRT
	snprintf(out->libc, sizeof out->libc, "ucrt");
#else
	snprintf(out->libc, sizeof out->libc, "msvcrt");
#endif
	out->page_size = si.dwPageSize;
	out->cpus_possible = win_groups_limit(win_groups_of_host());
	out->cpus_online = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
	out->cpus_usable = out->cpus_online;
	/* The process mask covers one group; it says more than the count
	 * only where there is one group. */
	if (GetActiveProcessorGroupCount() == 1 &&
	    GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system_mask)) {
		uint64_t n = 0;

		for (; process_mask != 0; process_mask &= process_mask - 1)
			n++;
		out->cpus_usable = n;
	}
	return 0;
}

int win_host_memory(struct vmosal_backend_host_memory *out)
{
	MEMORYSTATUSEX st = {.dwLength = sizeof st};

	if (!GlobalMemoryStatusEx(&st))
		return win_last_error();
	out->total_bytes = st.ullTotalPhys;
	out->available_bytes = st.ullAvailPhys;
	return 0;
}

/* The few declarations of WinHvPlatform.h the probe needs: the DLL is
 * loaded at run time, so neither the header nor the import library is
 * required to build. */
typedef HRESULT(WINAPI *win_whv_get_capability_fn)(UINT32 code, VOID *buf, UINT32 size,
						   UINT32 *written);
typedef HRESULT(WINAPI *win_whv_create_partition_fn)(void **partition);
typedef HRESULT(WINAPI *win_whv_delete_partition_fn)(void *partition);
enum { WIN_WHV_CAPABILITY_HYPERVISOR_PRESENT = 0 };

static void win_accel_refuse(struct vmosal_backend_accel *out, int error, const char *reason)
{
	out->error = error;
	snprintf(out->reason, sizeof out->reason, "%s", reason);
}

static void win_probe_whpx(struct vmosal_backend_accel *out)
{
	HMODULE whv = LoadLibraryExW(L"WinHvPlatform.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	win_whv_get_capability_fn get_capability;
	win_whv_create_partition_fn create;
	win_whv_delete_partition_fn destroy;
	BOOL present = FALSE;
	UINT32 written = 0;
	void *partition = NULL;
	FARPROC fn;

	if (whv == NULL) {
		win_accel_refuse(out, VMOSAL_ENODEV,
				 "WinHvPlatform.dll is missing: turn on the Windows Hypervisor "
				 "Platform feature and restart");
		return;
	}
	fn = GetProcAddress(whv, "WHvGetCapability");
	memcpy(&get_capability, &fn, sizeof fn);
	fn = GetProcAddress(whv, "WHvCreatePartition");
	memcpy(&create, &fn, sizeof fn);
	fn = GetProcAddress(whv, "WHvDeletePartition");
	memcpy(&destroy, &fn, sizeof fn);
	if (get_capability == NULL || create == NULL || destroy == NULL) {
		win_accel_refuse(out, VMOSAL_ENOTSUP,
				 "WinHvPlatform.dll lacks WHvGetCapability or WHvCreatePartition");
		goto done;
	}
	out->checks |= VMOSAL_ACCEL_CHECK_OPENED;
	if (FAILED(get_capability(WIN_WHV_CAPABILITY_HYPERVISOR_PRESENT, &present,
				  sizeof present, &written)) ||
	    !present) {
		win_accel_refuse(out, VMOSAL_ENODEV,
				 "the hypervisor is not running: turn on virtualization in the "
				 "firmware and the Windows Hypervisor Platform feature");
		goto done;
	}
	out->checks |= VMOSAL_ACCEL_CHECK_CAPS;
	if (FAILED(create(&partition))) {
		win_accel_refuse(out, VMOSAL_EPERM, "WHvCreatePartition failed");
		goto done;
	}
	destroy(partition);
	out->checks |= VMOSAL_ACCEL_CHECK_CREATE_VM;
	out->error = 0;
done:
	FreeLibrary(whv);
}

int win_accel_probe(int which, struct vmosal_backend_accel *out)
{
	if (which != VMOSAL_ACCEL_WHPX)
		return accel_refuse_foreign(which, out);
	win_probe_whpx(out);
	return 0;
}

/* ---- lifecycle ---- */

int win_init(const struct vmosal_core_services *core, struct vmosal_backend_caps *caps)
{
	win_core = core;
	caps->flags = VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS | VMOSAL_BACKEND_CAP_REALTIME;
	caps->affinity = VMOSAL_AFFINITY_HARD;
	caps->thread_name_max = WIN_THREAD_NAME_MAX;
	return win_mem_init(caps);
}

void win_fini(void)
{
	win_signal_fini();
	win_io_fini();
}
