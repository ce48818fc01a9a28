/* Events, clocks, device files and ioctl, and discarding guest RAM, on the
 * host's backend. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "testutil.h"
#include "vmosal.h"

static atomic_int alarms;

/* Counters start at zero for every test, in one process (CK_FORK=no) too. */
static void setup(void)
{
	ck_assert_int_eq(vmosal_init(), 0);
	atomic_store(&alarms, 0);
}

/* ---- events ---- */

START_TEST(test_event_signal_wait)
{
	vmosal_handle_t ev = VMOSAL_NO_HANDLE;
	struct pollfd pfd;

	ck_assert_int_eq(vmosal_event_create(1, &ev), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_create(0, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_ne(fcntl(ev, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_wait(ev, 2000000), VMOSAL_ETIMEDOUT);
	/* Two signals, one wait takes both. */
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(ev), 0);
	pfd = (struct pollfd){.fd = ev, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 0), 1); /* what irqfd and event loops see */
	ck_assert_int_eq(vmosal_event_wait(ev, -1), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, 0), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_event_notify(-1), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_wait(-1, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_close(-1), VMOSAL_EBADF);
}
END_TEST

static void *signal_later(void *arg)
{
	vmosal_sleep_ns(20 * 1000 * 1000);
	vmosal_event_notify(*(vmosal_handle_t *)arg);
	return NULL;
}

static bool count_alarm(const struct vmosal_siginfo *info, void *ctx)
{
	(void)info;
	(void)ctx;
	atomic_fetch_add(&alarms, 1);
	return true;
}

/* A waiter blocks (no spinning) until another thread signals; a signal
 * handler running meanwhile does not end the wait early. */
START_TEST(test_event_wakes_a_blocked_waiter)
{
	vmosal_signal_handler_t *h;
	vmosal_handle_t ev;
	pthread_t t;
	uint64_t before, after;

	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGALRM, count_alarm, NULL, &h), 0);
	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &ev), 0);
	ualarm(5000, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &before), 0);
	ck_assert_int_eq(vmosal_event_wait(ev, (int64_t)5 * 1000000000), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &after), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&alarms), 1);
	/* 20 ms of waiting cost next to no CPU: it blocked. */
	ck_assert_uint_lt(after - before, 5 * 1000 * 1000);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
	ck_assert_int_eq(vmosal_signal_remove_handler(h), 0);
}
END_TEST

/* A short wait takes about as long as it says: nanoseconds (ppoll), not
 * poll()'s milliseconds, which never return before 1 ms. The shortest of
 * many is taken: load only ever makes a wait longer. */
START_TEST(test_short_wait_is_short)
{
	vmosal_handle_t ev;
	uint64_t best = UINT64_MAX;

	ck_assert_int_eq(vmosal_event_create(0, &ev), 0);
	for (int i = 0; i < 50; i++) {
		uint64_t t0, t1;

		ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t0), 0);
		ck_assert_int_eq(vmosal_event_wait(ev, 10000), VMOSAL_ETIMEDOUT);
		ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t1), 0);
		ck_assert_uint_ge(t1 - t0, 10000); /* never early */
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	ck_assert_msg(best < 900000, "a 10 us wait took at least %llu ns",
		      (unsigned long long)best);
	ck_assert_int_eq(vmosal_handle_close(ev), 0);
}
END_TEST

/* Only an event is waited on or signalled: a regular file would read as
 * signalled and take 8 bytes at each signal, a pipe would lose data. */
START_TEST(test_event_refuses_other_descriptors)
{
	int file = vmosal_test_tmpfile(), fds[2];
	struct stat st;

	ck_assert_int_ge(file, 0);
	ck_assert_int_eq(write(file, "0123456789abcdef", 16), 16);
	ck_assert_int_eq(lseek(file, 0, SEEK_SET), 0);
	ck_assert_int_eq(vmosal_event_wait(file, 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_wait(file, 1000000), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_notify(file), VMOSAL_EBADF);
	ck_assert_int_eq(fstat(file, &st), 0);
	ck_assert_int_eq(st.st_size, 16);
	ck_assert_int_eq(lseek(file, 0, SEEK_CUR), 0); /* nothing read */
	close(file);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "01234567", 8), 8);
	ck_assert_int_eq(vmosal_event_wait(fds[0], 0), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_event_notify(fds[1]), VMOSAL_EBADF);
	{
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		ck_assert_int_eq(poll(&pfd, 1, 0), 1); /* its data still there */
	}
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* An eventfd made elsewhere (a vhost-user peer's) is an event too. One in
 * blocking mode is refused for a wait, whose read could outlast the
 * timeout; before, the wait read it first and blocked for good. */
START_TEST(test_event_foreign_eventfd)
{
	int nb = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), blocking = eventfd(0, EFD_CLOEXEC);
	uint64_t v = 0;

	ck_assert_int_ge(nb, 0);
	ck_assert_int_ge(blocking, 0);
	ck_assert_int_eq(vmosal_event_wait(nb, 1000000), VMOSAL_ETIMEDOUT);
	ck_assert_int_eq(vmosal_event_notify(nb), 0);
	ck_assert_int_eq(vmosal_event_wait(nb, -1), 0);
	ck_assert_int_eq(vmosal_event_wait(blocking, 10 * 1000000), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_wait(blocking, 0), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_event_notify(blocking), 0);
	ck_assert_int_eq(read(blocking, &v, sizeof v), (ssize_t)sizeof v);
	ck_assert_uint_eq(v, 1);
	close(nb);
	close(blocking);
}
END_TEST

/* ---- clocks ---- */

static uint64_t raw_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

START_TEST(test_clocks)
{
	uint64_t mono, mono2, rt, boot, cpu1, cpu2, raw;
	volatile uint64_t sink = 0;

	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_COUNT, &mono), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns((enum vmosal_clock)-1, &mono), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &mono), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &mono2), 0);
	ck_assert_uint_ge(mono2, mono);
	raw = raw_ns(CLOCK_MONOTONIC); /* the same clock, read just after */
	ck_assert_uint_ge(raw, mono2);
	ck_assert_uint_lt(raw - mono2, 100 * 1000 * 1000);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC_RAW, &raw), 0);
	ck_assert_uint_gt(raw, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_REALTIME, &rt), 0);
	ck_assert_uint_le((uint64_t)time(NULL) - rt / 1000000000u, 1);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_BOOTTIME, &boot), 0);
	ck_assert_uint_ge(boot + 1000000u, mono);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu1), 0);
	for (int i = 0; i < 2000000; i++)
		sink += (uint64_t)i;
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_THREAD_CPU, &cpu2), 0);
	ck_assert_uint_gt(sink, 0);
	ck_assert_uint_gt(cpu2, cpu1);
}
END_TEST

/* The whole duration, even when a handler runs in the middle. */
START_TEST(test_sleep_resumes_after_signals)
{
	vmosal_signal_handler_t *h;
	uint64_t start, end;

	ck_assert_int_eq(vmosal_signal_add_handler(VMOSAL_SIGALRM, count_alarm, NULL, &h), 0);
	ualarm(5000, 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &start), 0);
	ck_assert_int_eq(vmosal_sleep_ns(30 * 1000 * 1000), 0);
	ck_assert_int_eq(vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &end), 0);
	ck_assert_int_eq(atomic_load(&alarms), 1);
	ck_assert_uint_ge(end - start, 30 * 1000 * 1000);
	ck_assert_int_eq(vmosal_signal_remove_handler(h), 0);
}
END_TEST

/* ---- devices ---- */

START_TEST(test_device_open_and_ioctl)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint64_t pid = 0;
	int result = -1;

	ck_assert_int_eq(vmosal_device_open(NULL, VMOSAL_DEVICE_READ, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/dev/null", 0, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/dev/null", 0x80, &h), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ, NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_device_open("/nonexistent", VMOSAL_DEVICE_READ, &h),
			 VMOSAL_ENOENT);
	ck_assert_int_eq(h, VMOSAL_NO_HANDLE);
	ck_assert_int_eq(vmosal_device_open("/dev/null", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE,
					    &h),
			 0);
	ck_assert_int_ne(fcntl(h, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(fcntl(h, F_GETFL) & O_ACCMODE, O_RDWR);
	/* /dev/null takes no ioctl: ENOTTY is ENOTSUP. An emulator answers
	 * an ioctl it does not know itself, with ENOSYS. */
	if (vmosal_test_emulator() == NULL)
		ck_assert_int_eq(vmosal_ioctl(h, VMOSAL_IO(0xAE, 0x00), NULL, 0, &result),
				 VMOSAL_ENOTSUP);
	ck_assert_int_eq(vmosal_ioctl(h, 0, NULL, 0x80, &result), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_ioctl(-1, 0, NULL, 0, &result), VMOSAL_EBADF);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
	ck_assert_int_eq(vmosal_process_id(NULL), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_process_id(&pid), 0);
	ck_assert_uint_eq(pid, (uint64_t)getpid());
}
END_TEST

/* The number helpers encode as the host's own macros do. */
START_TEST(test_ioctl_numbers)
{
	ck_assert_uint_eq(VMOSAL_IO(KVMIO, 0x00), KVM_GET_API_VERSION);
	ck_assert_uint_eq(VMOSAL_IO(KVMIO, 0x80), KVM_RUN);
	ck_assert_uint_eq(VMOSAL_IOW(KVMIO, 0x46, sizeof(struct kvm_userspace_memory_region)),
			  KVM_SET_USER_MEMORY_REGION);
	ck_assert_uint_eq(VMOSAL_IOR(KVMIO, 0x81, sizeof(struct kvm_regs)), KVM_GET_REGS);
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_uint_eq(VMOSAL_IOWR(KVMIO, 0x05, sizeof(struct kvm_cpuid2)),
			  KVM_GET_SUPPORTED_CPUID);
#endif
}
END_TEST

/* Both layouts, whatever the host: Linux's against <asm/ioctl.h>'s own
 * macros, BSD's against Darwin's numbers for well-known requests (from
 * <sys/filio.h>, <sys/ttycom.h>, <sys/sockio.h>), in which READ is
 * 0x40000000 and WRITE 0x80000000, the other way round from Linux. */
START_TEST(test_ioctl_layouts)
{
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_NONE, 'f', 1, 0), _IO('f', 1));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ, 'f', 127, sizeof(int)),
			  _IOR('f', 127, int));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_WRITE, 't', 103, 8),
			  _IOW('t', 103, uint64_t));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, 'i', 17, 32),
			  _IOWR('i', 17, char[32]));
	ck_assert_uint_eq(VMOSAL_IOC_LINUX(VMOSAL_IOC_READ, 'f', 127, 4), 0x8004667ful);

	/* FIONREAD = _IOR('f', 127, int); TIOCGWINSZ = _IOR('t', 104,
	 * struct winsize); TIOCSWINSZ = _IOW('t', 103, struct winsize);
	 * FIOCLEX = _IO('f', 1); TIOCEXCL = _IO('t', 13); SIOCGIFFLAGS =
	 * _IOWR('i', 17, struct ifreq). */
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 'f', 127, 4), 0x4004667ful);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 't', 104, 8), 0x40087468ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_WRITE, 't', 103, 8), 0x80087467ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_NONE, 'f', 1, 0), 0x20006601ul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_NONE, 't', 13, 0), 0x2000740dul);
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ | VMOSAL_IOC_WRITE, 'i', 17, 32),
			  0xc0206911ul);
	/* The size keeps its 13 bits, as IOCPARM_MASK does. */
	ck_assert_uint_eq(VMOSAL_IOC_BSD(VMOSAL_IOC_READ, 'x', 1, 0x2004), 0x40047801ul);

	/* The short forms take the host's layout. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
	defined(__OpenBSD__) || defined(__DragonFly__)
	ck_assert_uint_eq(VMOSAL_IOR('f', 127, sizeof(int)), 0x4004667ful);
	ck_assert_uint_eq(VMOSAL_IO('f', 1), 0x20006601ul);
#else
	ck_assert_uint_eq(VMOSAL_IOR('f', 127, sizeof(int)), _IOR('f', 127, int));
	ck_assert_uint_eq(VMOSAL_IOW('t', 103, 8), _IOW('t', 103, uint64_t));
	ck_assert_uint_eq(VMOSAL_IO('f', 1), _IO('f', 1));
	ck_assert_uint_eq(VMOSAL_IOWR('i', 17, 32), _IOWR('i', 17, char[32]));
#endif
}
END_TEST

/* The guest below is x86 code. */
#if defined(__x86_64__) || defined(__i386__)
static vmosal_handle_t kvm_or_skip_reason(const char **why)
{
	vmosal_handle_t kvm = VMOSAL_NO_HANDLE;
	int rc = vmosal_device_open("/dev/kvm", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE, &kvm);

	*why = rc == 0 ? NULL : vmosal_strerror(rc);
	return kvm;
}

struct run_vcpu {
	vmosal_handle_t vcpu;
	struct kvm_run *run;
	_Atomic vmosal_tid_t tid;
	int rc;
};

/* KVM_RUN of a vCPU whose guest spins forever; only a kick ends it. */
static void *run_until_kicked(void *arg)
{
	struct run_vcpu *r = arg;
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	vmosal_tid_t self = 0;

	k.immediate_exit = &r->run->immediate_exit;
	vmosal_thread_kick_register(&k);
	vmosal_thread_self(&self);
	atomic_store(&r->tid, self);
	/* No NO_RESTART flag: KVM_RUN is never retried all the same. */
	r->rc = vmosal_ioctl(r->vcpu, KVM_RUN, NULL, 0, NULL);
	return NULL;
}

/* KVM_RUN returns EINTR to the caller when kicked, and a kick that came
 * before KVM_RUN makes it return at once (immediate_exit). */
START_TEST(test_kvm_run_is_kicked)
{
	const char *why;
	vmosal_handle_t kvm = kvm_or_skip_reason(&why), vm, vcpu;
	struct kvm_userspace_memory_region region = {0};
	struct kvm_sregs sregs;
	struct kvm_regs regs = {0};
	struct run_vcpu r = {0};
	vmosal_thread_t *t;
	int api = 0, vm_fd, vcpu_fd, map_size;
	void *mem;

	if (why != NULL)
		VMOSAL_SKIP("/dev/kvm cannot be opened: %s", why);
	ck_assert_int_eq(vmosal_ioctl(kvm, KVM_GET_API_VERSION, NULL, 0, &api), 0);
	ck_assert_int_eq(api, KVM_API_VERSION);
	if (vmosal_ioctl(kvm, KVM_CREATE_VM, NULL, 0, &vm_fd) != 0)
		VMOSAL_SKIP("KVM_CREATE_VM failed: no usable virtualization here");
	vm = vm_fd;
	ck_assert_int_eq(vmosal_mmap(NULL, 0x1000, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE,
				     0, &mem),
			 0);
	((unsigned char *)mem)[0] = 0xeb; /* jmp $ */
	((unsigned char *)mem)[1] = 0xfe;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	ck_assert_int_eq(vmosal_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region, 0, NULL), 0);
	ck_assert_int_eq(vmosal_ioctl(vm, KVM_CREATE_VCPU, (void *)0, 0, &vcpu_fd), 0);
	vcpu = vcpu_fd;
	ck_assert_int_eq(vmosal_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, 0, &map_size), 0);
	ck_assert_int_eq(vmosal_mmap(NULL, (size_t)map_size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, vcpu, 0, (void **)&r.run),
			 0);
	ck_assert_int_eq(vmosal_ioctl(vcpu, KVM_GET_SREGS, &sregs, 0, NULL), 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ck_assert_int_eq(vmosal_ioctl(vcpu, KVM_SET_SREGS, &sregs, 0, NULL), 0);
	regs.rip = 0;
	regs.rflags = 2;
	ck_assert_int_eq(vmosal_ioctl(vcpu, KVM_SET_REGS, &regs, 0, NULL), 0);
	r.vcpu = vcpu;

	/* A kick before KVM_RUN: the byte makes it return at once. */
	r.run->immediate_exit = 1;
	ck_assert_int_eq(vmosal_ioctl(vcpu, KVM_RUN, NULL, 0, NULL), VMOSAL_EINTR);
	r.run->immediate_exit = 0;

	/* A kick while the guest spins inside KVM_RUN. */
	ck_assert_int_eq(vmosal_thread_create(NULL, run_until_kicked, &r, &t), 0);
	while (atomic_load(&r.tid) == 0)
		vmosal_sleep_ns(1000000);
	vmosal_sleep_ns(50 * 1000 * 1000);
	ck_assert_int_eq(vmosal_thread_kick(atomic_load(&r.tid)), 0);
	ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
	ck_assert_int_eq(r.rc, VMOSAL_EINTR);
	vmosal_munmap(r.run, (size_t)map_size);
	vmosal_handle_close(vcpu);
	vmosal_handle_close(vm);
	vmosal_munmap(mem, 0x1000);
	vmosal_handle_close(kvm);
}
END_TEST
#else
START_TEST(test_kvm_run_is_kicked)
{
	VMOSAL_SKIP("the spinning guest is x86 code; this host is %s", vmosal_host_arch());
}
END_TEST
#endif

/* ---- discarding guest RAM ---- */

START_TEST(test_guest_ram_discard)
{
	const size_t size = (size_t)4 << 20, page = vmosal_page_size();
	const unsigned kinds[] = {0, VMOSAL_GUEST_SHARED, VMOSAL_GUEST_FD};

	VMOSAL_SKIP_IF_EMULATED("madvise(MADV_DONTNEED)");
	for (size_t i = 0; i < 3; i++) {
		struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
		struct vmosal_guest_ram ram = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
		char *p;

		o.flags = kinds[i];
		ck_assert_int_eq(vmosal_guest_ram_create(size, &o, &ram), 0);
		p = ram.addr;
		memset(p, 0x5a, size);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, page, 2 * page), 0);
		ck_assert_int_eq(p[page - 1], 0x5a);
		ck_assert_int_eq(p[page], 0);
		ck_assert_int_eq(p[3 * page - 1], 0);
		ck_assert_int_eq(p[3 * page], 0x5a);
		if (kinds[i] == VMOSAL_GUEST_FD) {
			struct stat st;
			/* The hole is in the object: its size stays. */
			ck_assert_int_eq(fstat(ram.handle, &st), 0);
			ck_assert_int_eq(st.st_size, (off_t)size);
		}
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, 1, page), VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, 0, 0), VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, size - page, 2 * page),
				 VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, SIZE_MAX - page + 1, 2 * page),
				 VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_discard(NULL, 0, page), VMOSAL_EINVAL);
		ck_assert_int_eq(vmosal_guest_ram_destroy(&ram), 0);
		ck_assert_int_eq(vmosal_guest_ram_discard(&ram, 0, page), VMOSAL_EINVAL);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_event_signal_wait);
	tcase_add_test(tc, test_event_wakes_a_blocked_waiter);
	tcase_add_test(tc, test_short_wait_is_short);
	tcase_add_test(tc, test_event_refuses_other_descriptors);
	tcase_add_test(tc, test_event_foreign_eventfd);
	tcase_add_test(tc, test_clocks);
	tcase_add_test(tc, test_sleep_resumes_after_signals);
	tcase_add_test(tc, test_device_open_and_ioctl);
	tcase_add_test(tc, test_ioctl_numbers);
	tcase_add_test(tc, test_ioctl_layouts);
	tcase_add_test(tc, test_kvm_run_is_kicked);
	tcase_add_test(tc, test_guest_ram_discard);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
