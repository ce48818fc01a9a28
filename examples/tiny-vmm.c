/* tiny-vmm: a minimal KVM virtual machine monitor built on libvmosal.
 *
 * Every OS service comes from libvmosal: the device and its ioctls, guest
 * RAM, the vCPU threads (created already pinned where
 * vmosal_topology_place puts them), the kick that stops a vCPU inside
 * KVM_RUN, the event a vCPU thread signals when it ends, and SIGINT and
 * SIGTERM. Only the KVM structures and ioctl numbers come from
 * <linux/kvm.h>.
 *
 * The guest is a few bytes of 16-bit real-mode code that writes
 * "Hello from the guest\n" to port 0x3f8 and halts; with --spin it loops
 * forever instead and the VMM kicks its vCPUs out. Every vCPU runs the
 * same code; with more than one, the VMM puts "vcpuN: " before each line
 * a vCPU writes, so the lines tell which vCPU wrote them.
 *
 * Exit status: 0 success, 1 error, 77 when KVM cannot be used here.
 *
 * Builds on its own, as a copy outside libvmosal's tree would:
 *	cc tiny-vmm.c $(pkg-config --cflags --libs vmosal) */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmosal.h>

#if defined(__x86_64__) || defined(__i386__)
#include <linux/kvm.h>

#define EXIT_SKIP 77

#define GUEST_RAM_SIZE ((size_t)2 << 20)
#define HELLO_ADDR 0x1000
#define MESSAGE_ADDR 0x1100
#define SPIN_ADDR 0x1200
#define GUEST_OUT_PORT 0x3f8
#define MAX_VCPUS 64
#define DEFAULT_STOP_AFTER_MS 10000
#define DEFAULT_SPIN_STOP_AFTER_MS 100
/* How long vCPUs get to leave KVM_RUN once kicked before we give up. */
#define STOP_BOUND_NS (5ull * 1000 * 1000 * 1000)

/* Real mode, cs = ds = 0:
 *	1000  ba f8 03	mov	dx, 0x3f8
 *	1003  be 00 11	mov	si, 0x1100	; the message
 *	1006  ac	lodsb			; al = [ds:si++]
 *	1007  84 c0	test	al, al
 *	1009  74 03	jz	100e
 *	100b  ee	out	dx, al
 *	100c  eb f8	jmp	1006
 *	100e  f4	hlt
 *	100f  eb fd	jmp	100e		; should anything wake it */
static const uint8_t hello_code[] = {
	0xba, 0xf8, 0x03, 0xbe, 0x00, 0x11, 0xac, 0x84, 0xc0, 0x74,
	0x03, 0xee, 0xeb, 0xf8, 0xf4, 0xeb, 0xfd,
};
static const char guest_message[] = "Hello from the guest\n";

/*	1200  eb fe	jmp	1200		; spins until the VMM kicks */
static const uint8_t spin_code[] = {0xeb, 0xfe};

struct options {
	unsigned nvcpus;
	bool spin;
	uint64_t stop_after_ms;
};

enum vcpu_end {
	VCPU_HALTED,  /* the guest ran HLT */
	VCPU_STOPPED, /* the VMM asked it to stop */
	VCPU_FAILED
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	char name[16];
	size_t cpu; /* the host CPU its thread is pinned to */
	vmosal_handle_t fd;
	struct kvm_run *run;
	vmosal_thread_t *thread;
	vmosal_tid_t tid;
	atomic_bool done;
	enum vcpu_end end;
	unsigned kicks;
	char line[128];
	size_t line_len;
};

struct vm {
	vmosal_handle_t kvm;
	vmosal_handle_t fd;
	struct vmosal_guest_ram ram;
	size_t run_size;
	uint64_t entry;
	vmosal_handle_t wake;    /* signalled by every vCPU end and stop signal */
	atomic_bool stop;        /* checked by each vCPU before every KVM_RUN */
	atomic_uint exited;      /* vCPU threads that are done */
	atomic_int stop_signal;  /* enum vmosal_signal that asked us to stop; 0: none */
	unsigned nvcpus;
	struct vcpu *vcpus;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tiny-vmm [-c N] [--spin] [--stop-after MS]\n"
		"Runs a tiny real-mode guest on KVM that writes \"Hello from the guest\"\n"
		"to an I/O port and halts; the guest's output goes to stdout.\n"
		"\n"
		"  -c, --cpus N         N vCPUs (default 1, at most %d), each on a thread\n"
		"                       pinned to a host CPU; they all run the guest, and\n"
		"                       with N > 1 each line is prefixed \"vcpuK: \"\n"
		"      --spin           the guest spins forever; the VMM stops every vCPU\n"
		"                       with a kick after --stop-after, or on SIGINT or\n"
		"                       SIGTERM, and says how long stopping took\n"
		"      --stop-after MS  stop the vCPUs after MS milliseconds (default %d\n"
		"                       with --spin, else %d, when a guest that has not\n"
		"                       halted is an error)\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 success, 1 error, 77 when KVM is not usable here.\n",
		MAX_VCPUS, DEFAULT_SPIN_STOP_AFTER_MS, DEFAULT_STOP_AFTER_MS);
}

static bool parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* 0: parsed; 1: exit with status 0 (help); -1: usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"cpus", required_argument, NULL, 'c'},
		{"spin", no_argument, NULL, 's'},
		{"stop-after", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool stop_after_set = false;
	uint64_t n;
	int c;

	o->nvcpus = 1;
	o->spin = false;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_number(optarg, 1, MAX_VCPUS, &n)) {
				fprintf(stderr, "tiny-vmm: -c wants 1..%d, not '%s'\n", MAX_VCPUS,
					optarg);
				return -1;
			}
			o->nvcpus = (unsigned)n;
			break;
		case 's':
			o->spin = true;
			break;
		case 't':
			if (!parse_number(optarg, 1, 3600 * 1000, &o->stop_after_ms)) {
				fprintf(stderr, "tiny-vmm: --stop-after wants milliseconds, not '%s'\n",
					optarg);
				return -1;
			}
			stop_after_set = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tiny-vmm: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!stop_after_set)
		o->stop_after_ms = o->spin ? DEFAULT_SPIN_STOP_AFTER_MS : DEFAULT_STOP_AFTER_MS;
	return 0;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "tiny-vmm: %s: %s (%s)\n", what, vmosal_strerror(rc), vmosal_err_name(rc));
	return rc;
}

static uint64_t now_ns(void)
{
	uint64_t t = 0;

	/* Cannot fail once the backend is loaded, which main made sure of. */
	vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t);
	return t;
}

/* KVM_CHECK_EXTENSION and the like take an integer where vmosal_ioctl
 * takes a pointer. */
static void *ioctl_int_arg(unsigned long value)
{
	return (void *)(uintptr_t)value;
}

/* ---- the vCPU thread ---- */

/* Prints a guest's line as one write, so lines of different vCPUs never
 * mix. */
static void vcpu_flush_line(struct vcpu *v)
{
	if (v->line_len == 0)
		return;
	if (v->vm->nvcpus > 1)
		printf("%s: %.*s", v->name, (int)v->line_len, v->line);
	else
		printf("%.*s", (int)v->line_len, v->line);
	fflush(stdout);
	v->line_len = 0;
}

static void vcpu_put_char(struct vcpu *v, char c)
{
	v->line[v->line_len++] = c;
	if (c == '\n' || v->line_len == sizeof v->line)
		vcpu_flush_line(v);
}

static bool vcpu_handle_io(struct vcpu *v)
{
	const struct kvm_run *run = v->run;
	const char *data = (const char *)run + run->io.data_offset;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != GUEST_OUT_PORT ||
	    run->io.size != 1) {
		fprintf(stderr, "tiny-vmm: %s: unexpected I/O: %s port %#x, size %u\n", v->name,
			run->io.direction == KVM_EXIT_IO_OUT ? "out to" : "in from",
			(unsigned)run->io.port, (unsigned)run->io.size);
		return false;
	}
	for (uint32_t i = 0; i < run->io.count; i++)
		vcpu_put_char(v, data[i]);
	return true;
}

/* Real mode at the entry point, code and data segments at 0. */
static int vcpu_reset(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int rc;

	if ((rc = vmosal_ioctl(v->fd, KVM_GET_SREGS, &sregs, 0, NULL)) != 0)
		return fail("KVM_GET_SREGS", rc);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if ((rc = vmosal_ioctl(v->fd, KVM_SET_SREGS, &sregs, 0, NULL)) != 0)
		return fail("KVM_SET_SREGS", rc);
	memset(&regs, 0, sizeof regs);
	regs.rip = v->vm->entry;
	regs.rflags = 0x2; /* bit 1 is always set; DF clear for lodsb */
	if ((rc = vmosal_ioctl(v->fd, KVM_SET_REGS, &regs, 0, NULL)) != 0)
		return fail("KVM_SET_REGS", rc);
	return 0;
}

/* The thread was pinned before it ran any of our code; check it is. */
static int vcpu_check_pinned(struct vcpu *v)
{
	size_t cpus[4], n = 0;
	int rc = vmosal_thread_get_affinity(VMOSAL_TID_SELF, cpus, 4, &n);

	if (rc != 0 && rc != VMOSAL_ERANGE)
		return fail("vmosal_thread_get_affinity", rc);
	if (rc == VMOSAL_ERANGE || n != 1 || cpus[0] != v->cpu) {
		fprintf(stderr, "tiny-vmm: %s: not pinned to CPU %zu alone\n", v->name, v->cpu);
		return VMOSAL_EINVAL;
	}
	fprintf(stderr, "tiny-vmm: %s: thread pinned to CPU %zu\n", v->name, v->cpu);
	return 0;
}

/* One exit from KVM_RUN: true to run the vCPU again, false when it ends
 * (*end says how). */
static bool vcpu_handle_exit(struct vcpu *v, enum vcpu_end *end)
{
	*end = VCPU_FAILED;
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		return vcpu_handle_io(v);
	case KVM_EXIT_HLT:
		*end = VCPU_HALTED;
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(stderr, "tiny-vmm: %s: entry failed, hardware reason %#llx\n", v->name,
			(unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "tiny-vmm: %s: KVM internal error, suberror %u\n", v->name,
			(unsigned)v->run->internal.suberror);
		return false;
	default:
		fprintf(stderr, "tiny-vmm: %s: unexpected exit reason %u\n", v->name,
			(unsigned)v->run->exit_reason);
		return false;
	}
}

/* What a kicker asked of this vCPU besides vm->stop, which the loop reads
 * before every KVM_RUN: here nothing, so the kick is only counted. */
static void vcpu_handle_requests(struct vcpu *v)
{
	v->kicks++;
}

/* KVM_RUN until the guest halts or the VMM sets vm->stop: the vCPU loop
 * that README and <vmosal/thread.h> show. The kick target is registered
 * before the first look at the stop flag, so a kick can never fall
 * between that look and KVM_RUN unseen: it has set run->immediate_exit,
 * and KVM_RUN returns EINTR at once. */
static enum vcpu_end vcpu_loop(struct vcpu *v)
{
	struct vmosal_kick_target target = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	enum vcpu_end end;
	bool kicked;
	int rc;

	target.immediate_exit = &run->immediate_exit;
	if ((rc = vmosal_thread_kick_register(&target)) != 0) {
		fail("vmosal_thread_kick_register", rc);
		return VCPU_FAILED;
	}
	if (vcpu_check_pinned(v) != 0 || vcpu_reset(v) != 0)
		return VCPU_FAILED;
	while (!atomic_load(&vm->stop)) {
		rc = vmosal_ioctl(v->fd, KVM_RUN, NULL, VMOSAL_IOCTL_NO_RESTART, NULL);
		if (rc == VMOSAL_EINTR) {
			/* A kick, or another signal. immediate_exit first (an
			 * atomic store: a kicker may be writing it), then the
			 * thread's pending flag, which keeps blocking calls
			 * returning EINTR until it is cleared. */
			__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
			vmosal_thread_kick_pending(true, &kicked);
			if (kicked)
				vcpu_handle_requests(v);
			continue;
		}
		if (rc == VMOSAL_EAGAIN)
			continue; /* KVM asks for KVM_RUN again */
		if (rc != 0) {
			fail("KVM_RUN", rc);
			return VCPU_FAILED;
		}
		if (!vcpu_handle_exit(v, &end))
			return end;
	}
	return VCPU_STOPPED;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;

	v->end = vcpu_loop(v);
	vcpu_flush_line(v);
	/* Before we say we are done: the kick target points into v->run,
	 * which the main thread unmaps once every vCPU is done. */
	vmosal_thread_kick_unregister();
	atomic_store(&v->done, true);
	atomic_fetch_add(&vm->exited, 1);
	vmosal_event_notify(vm->wake);
	return NULL;
}

/* ---- the VM ---- */

static void vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof *vm);
	vm->kvm = VMOSAL_NO_HANDLE;
	vm->fd = VMOSAL_NO_HANDLE;
	vm->wake = VMOSAL_NO_HANDLE;
	vm->ram.struct_size = sizeof vm->ram;
	vm->ram.handle = VMOSAL_NO_HANDLE;
}

/* Opens /dev/kvm and makes a VM with its RAM and the guest code in it.
 * Returns 0, EXIT_SKIP where this host has no KVM for us (no /dev/kvm, no
 * permission, no immediate_exit), or a VMOSAL_E* code for a failure. */
static int vm_create(struct vm *vm, bool spin)
{
	struct kvm_userspace_memory_region region;
	uint8_t *ram;
	int rc, value = 0;

	rc = vmosal_device_open("/dev/kvm", VMOSAL_DEVICE_READ | VMOSAL_DEVICE_WRITE, &vm->kvm);
	if (rc == VMOSAL_ENOENT || rc == VMOSAL_EACCES || rc == VMOSAL_EPERM) {
		/* No KVM here, or not for this user: nothing to test. */
		fprintf(stderr, "tiny-vmm: /dev/kvm: %s\n", vmosal_strerror(rc));
		return EXIT_SKIP;
	}
	if (rc != 0)
		return fail("/dev/kvm", rc);
	/* kick's promise rests on immediate_exit (Linux 4.11). */
	rc = vmosal_ioctl(vm->kvm, KVM_CHECK_EXTENSION, ioctl_int_arg(KVM_CAP_IMMEDIATE_EXIT), 0,
			  &value);
	if (rc != 0)
		return fail("KVM_CHECK_EXTENSION", rc);
	if (value <= 0) {
		fprintf(stderr, "tiny-vmm: KVM lacks KVM_CAP_IMMEDIATE_EXIT\n");
		return EXIT_SKIP;
	}
	rc = vmosal_ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, 0, &value);
	if (rc != 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE", rc);
	vm->run_size = (size_t)value;
	/* vmosal_accel_probe found KVM usable: a VM that cannot be made now
	 * is a failure, not a host without KVM. */
	if ((rc = vmosal_ioctl(vm->kvm, KVM_CREATE_VM, NULL, 0, &value)) != 0)
		return fail("KVM_CREATE_VM", rc);
	vm->fd = value;
	/* Intel without unrestricted guest runs real mode through a TSS in
	 * guest-physical space; this is where QEMU puts it. */
	rc = vmosal_ioctl(vm->fd, KVM_SET_TSS_ADDR, ioctl_int_arg(0xfffbd000), 0, NULL);
	if (rc != 0)
		return fail("KVM_SET_TSS_ADDR", rc);

	rc = vmosal_guest_ram_create(GUEST_RAM_SIZE, NULL, &vm->ram);
	if (rc != 0)
		return fail("guest RAM", rc);
	ram = vm->ram.addr;
	memcpy(ram + HELLO_ADDR, hello_code, sizeof hello_code);
	memcpy(ram + MESSAGE_ADDR, guest_message, sizeof guest_message);
	memcpy(ram + SPIN_ADDR, spin_code, sizeof spin_code);
	vm->entry = spin ? SPIN_ADDR : HELLO_ADDR;

	memset(&region, 0, sizeof region);
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = vm->ram.size;
	region.userspace_addr = (uintptr_t)vm->ram.addr;
	rc = vmosal_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region, 0, NULL);
	if (rc != 0)
		return fail("KVM_SET_USER_MEMORY_REGION", rc);
	return 0;
}

/* Creates the vCPUs, each with its kvm_run page, and places them on host
 * CPUs: one per physical core first. */
static int vm_create_vcpus(struct vm *vm, unsigned n)
{
	size_t *cpus;
	int rc;

	vm->vcpus = calloc(n, sizeof *vm->vcpus);
	cpus = calloc(n, sizeof *cpus);
	if (vm->vcpus == NULL || cpus == NULL) {
		free(cpus);
		return fail("vCPUs", VMOSAL_ENOMEM);
	}
	for (unsigned i = 0; i < n; i++)
		vm->vcpus[i].fd = VMOSAL_NO_HANDLE;
	rc = vmosal_topology_place(n, VMOSAL_PLACE_SPREAD, -1, cpus);
	if (rc != 0) {
		free(cpus);
		return fail("vmosal_topology_place", rc);
	}
	for (unsigned i = 0; i < n; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int fd;

		v->vm = vm;
		v->index = i;
		v->cpu = cpus[i];
		snprintf(v->name, sizeof v->name, "vcpu%u", i);
		if ((rc = vmosal_ioctl(vm->fd, KVM_CREATE_VCPU, ioctl_int_arg(i), 0, &fd)) != 0) {
			fail("KVM_CREATE_VCPU", rc);
			break;
		}
		v->fd = fd;
		vm->nvcpus++;
		rc = vmosal_mmap(NULL, vm->run_size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				 VMOSAL_MAP_SHARED, v->fd, 0, (void **)&v->run);
		if (rc != 0) {
			fail("mapping the vCPU's kvm_run", rc);
			break;
		}
	}
	free(cpus);
	return rc;
}

/* Starts each vCPU on its own thread, named and pinned before it runs. */
static int vm_start_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vmosal_thread_opts opts = VMOSAL_STRUCT_INIT(struct vmosal_thread_opts);
		struct vcpu *v = &vm->vcpus[i];
		int rc;

		opts.name = v->name;
		opts.cpus = &v->cpu;
		opts.ncpus = 1;
		rc = vmosal_thread_create(&opts, vcpu_thread, v, &v->thread);
		if (rc == 0)
			rc = vmosal_thread_tid(v->thread, &v->tid);
		if (rc != 0)
			return fail("starting a vCPU thread", rc);
	}
	return 0;
}

/* Sets the stop flag, then kicks every vCPU still running: the order the
 * kick recipe needs. Waits until all are done or STOP_BOUND_NS passed and
 * stores how long that took. */
static int vm_stop_vcpus(struct vm *vm, unsigned started, uint64_t *took_ns)
{
	uint64_t start = now_ns(), now = start;
	int rc;

	atomic_store(&vm->stop, true);
	for (unsigned i = 0; i < started; i++) {
		struct vcpu *v = &vm->vcpus[i];

		/* One that is done may have given its tid back to the OS;
		 * tid 0 would kick ourselves. */
		if (atomic_load(&v->done) || v->tid == VMOSAL_TID_SELF)
			continue;
		rc = vmosal_thread_kick(v->tid);
		if (rc != 0 && rc != VMOSAL_ESRCH)
			return fail("vmosal_thread_kick", rc);
	}
	while (atomic_load(&vm->exited) < started) {
		if (now - start >= STOP_BOUND_NS) {
			fprintf(stderr, "tiny-vmm: vCPUs still running %llu ms after the kick\n",
				(unsigned long long)(STOP_BOUND_NS / 1000000));
			return VMOSAL_ETIMEDOUT;
		}
		rc = vmosal_event_wait(vm->wake, (int64_t)(STOP_BOUND_NS - (now - start)));
		if (rc != 0 && rc != VMOSAL_ETIMEDOUT)
			return fail("vmosal_event_wait", rc);
		now = now_ns();
	}
	*took_ns = now_ns() - start;
	return 0;
}

static void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus != NULL && i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run != NULL)
			vmosal_munmap(v->run, vm->run_size);
		if (v->fd != VMOSAL_NO_HANDLE)
			vmosal_handle_close(v->fd);
	}
	free(vm->vcpus);
	if (vm->fd != VMOSAL_NO_HANDLE)
		vmosal_handle_close(vm->fd);
	vmosal_guest_ram_destroy(&vm->ram);
	if (vm->kvm != VMOSAL_NO_HANDLE)
		vmosal_handle_close(vm->kvm);
	if (vm->wake != VMOSAL_NO_HANDLE)
		vmosal_handle_close(vm->wake);
}

/* ---- signals ---- */

static const enum vmosal_signal stop_signals[] = {VMOSAL_SIGINT, VMOSAL_SIGTERM};
#define NSTOP_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

/* Signal context: an atomic store and an eventfd write, both safe there.
 * The main thread, waiting on vm->wake, does the rest. */
static bool on_stop_signal(const struct vmosal_siginfo *info, void *ctx)
{
	struct vm *vm = ctx;

	atomic_store(&vm->stop_signal, (int)info->signal);
	vmosal_event_notify(vm->wake);
	return true;
}

static const char *signal_name(int sig)
{
	return sig == VMOSAL_SIGINT ? "SIGINT" : sig == VMOSAL_SIGTERM ? "SIGTERM" : "a signal";
}

/* ---- main ---- */

/* Joins the first `started` vCPU threads once they are stopped; false when
 * some are still in KVM_RUN and must be left alone. */
static bool vm_join_vcpus(struct vm *vm, unsigned started, uint64_t *took_ns)
{
	if (vm_stop_vcpus(vm, started, took_ns) != 0)
		return false;
	for (unsigned i = 0; i < started; i++)
		vmosal_thread_join(vm->vcpus[i].thread, NULL);
	return true;
}

/* One failed vCPU ends the VM: the others are stopped too. */
static bool any_vcpu_failed(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (atomic_load(&vm->vcpus[i].done) && vm->vcpus[i].end == VCPU_FAILED)
			return true;
	return false;
}

/* Waits for every vCPU to end, the deadline, or a stop signal; then stops
 * whatever still runs and joins the threads (*joined false when it could
 * not). Returns the exit status. */
static int run_vm(struct vm *vm, const struct options *o, bool *joined)
{
	uint64_t start = now_ns(), limit = o->stop_after_ms * 1000000, now = start, took = 0;
	unsigned halted = 0, failed = 0, kicks = 0;
	bool timed_out = false;
	int rc, sig = 0;

	while (atomic_load(&vm->exited) < vm->nvcpus && !any_vcpu_failed(vm)) {
		if ((sig = atomic_load(&vm->stop_signal)) != 0)
			break;
		if (now - start >= limit) {
			timed_out = true;
			break;
		}
		rc = vmosal_event_wait(vm->wake, (int64_t)(limit - (now - start)));
		if (rc != 0 && rc != VMOSAL_ETIMEDOUT) {
			fail("vmosal_event_wait", rc);
			break;
		}
		now = now_ns();
	}
	if (sig != 0)
		fprintf(stderr, "tiny-vmm: %s: stopping\n", signal_name(sig));
	now = now_ns();
	*joined = vm_join_vcpus(vm, vm->nvcpus, &took);
	if (!*joined)
		return EXIT_FAILURE;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		halted += vm->vcpus[i].end == VCPU_HALTED;
		failed += vm->vcpus[i].end == VCPU_FAILED;
		kicks += vm->vcpus[i].kicks;
	}
	if (halted < vm->nvcpus && failed == 0)
		fprintf(stderr, "tiny-vmm: %u vCPU%s stopped by kick in %.3f ms "
			"(%u kick%s seen), %llu ms after start\n",
			vm->nvcpus - halted, vm->nvcpus - halted == 1 ? "" : "s",
			(double)took / 1e6, kicks, kicks == 1 ? "" : "s",
			(unsigned long long)((now - start) / 1000000));
	if (failed > 0)
		return EXIT_FAILURE;
	if (timed_out && !o->spin) {
		fprintf(stderr, "tiny-vmm: the guest did not halt within %llu ms\n",
			(unsigned long long)o->stop_after_ms);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* Opens the VM and runs it; the caller's part is only what needs no
 * undoing. */
static int tiny_vmm(const struct options *o)
{
	vmosal_signal_handler_t *handlers[NSTOP_SIGNALS] = {NULL};
	bool joined = true;
	struct vm vm;
	int rc, status = EXIT_FAILURE;

	vm_init(&vm);
	if ((rc = vm_create(&vm, o->spin)) != 0) {
		status = rc == EXIT_SKIP ? EXIT_SKIP : EXIT_FAILURE;
		goto out;
	}
	if (vm_create_vcpus(&vm, o->nvcpus) != 0)
		goto out;
	if ((rc = vmosal_event_create(0, &vm.wake)) != 0) {
		fail("vmosal_event_create", rc);
		goto out;
	}
	for (size_t i = 0; i < NSTOP_SIGNALS; i++) {
		rc = vmosal_signal_add_handler(stop_signals[i], on_stop_signal, &vm, &handlers[i]);
		if (rc != 0) {
			fail("vmosal_signal_add_handler", rc);
			goto out;
		}
	}
	/* vCPU threads inherit the mask: the stop signals reach only this
	 * thread, and never interrupt a KVM_RUN. */
	if ((rc = vmosal_signal_block(stop_signals, NSTOP_SIGNALS)) != 0) {
		fail("vmosal_signal_block", rc);
		goto out;
	}
	rc = vm_start_vcpus(&vm);
	vmosal_signal_unblock(stop_signals, NSTOP_SIGNALS);
	if (rc != 0) {
		unsigned started = 0;
		uint64_t took;

		while (started < vm.nvcpus && vm.vcpus[started].thread != NULL)
			started++;
		joined = vm_join_vcpus(&vm, started, &took);
		goto out;
	}
	fprintf(stderr, "tiny-vmm: %u vCPU%s running%s\n", vm.nvcpus, vm.nvcpus == 1 ? "" : "s",
		o->spin ? " a spinning guest" : "");
	status = run_vm(&vm, o, &joined);
out:
	/* Threads still in KVM_RUN use the VM: the process exit takes it. */
	if (!joined)
		return EXIT_FAILURE;
	for (size_t i = 0; i < NSTOP_SIGNALS; i++)
		if (handlers[i] != NULL)
			vmosal_signal_remove_handler(handlers[i]);
	vm_destroy(&vm);
	return status;
}

int main(int argc, char **argv)
{
	struct vmosal_accel_status kvm = VMOSAL_STRUCT_INIT(struct vmosal_accel_status);
	struct options o;
	int rc;

	if ((rc = parse_options(argc, argv, &o)) != 0) {
		if (rc < 0)
			usage(stderr);
		return rc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if ((rc = vmosal_init()) != 0) {
		char why[1024];

		vmosal_backend_error(why, sizeof why);
		fprintf(stderr, "tiny-vmm: libvmosal: %s\n%s\n", vmosal_strerror(rc), why);
		return EXIT_FAILURE;
	}
	if ((rc = vmosal_accel_probe(VMOSAL_ACCEL_KVM, &kvm)) != 0) {
		fail("vmosal_accel_probe", rc);
		return EXIT_FAILURE;
	}
	if (!kvm.available) {
		fprintf(stderr, "tiny-vmm: KVM not usable: %s\n", kvm.reason);
		return EXIT_SKIP;
	}
	return tiny_vmm(&o);
}

#else /* not x86 */

int main(void)
{
	fprintf(stderr, "tiny-vmm: the guest is x86 real-mode code; this host is %s\n",
		vmosal_host_arch());
	return 77;
}

#endif
