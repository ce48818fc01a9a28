/* vhost-device: a device model in another process, built on libvmosal.
 *
 * One program, two roles, each started on its own (the way a VMM and a
 * vhost-user backend meet):
 *	vhost-device --vmm NAME [options]	the VMM side
 *	vhost-device --device NAME		the device process
 *
 * The VMM allocates guest RAM backed by a handle (VMOSAL_GUEST_FD), makes
 * a "kick" and a "call" event and a timer, and listens on the channel
 * NAME. The device connects; the VMM sends it the RAM and both events in
 * one message. The device maps the RAM and serves a split virtqueue in it
 * (vring.h: descriptors, available and used rings, ordered with
 * libvmosal's barriers), signalling "call" after each batch. The VMM
 * submits requests, each a buffer the device transforms, checks every
 * answer, and waits on call, on the timer (a progress line each second)
 * and on SIGINT (an orderly stop) in one wait set.
 *
 * Every OS service is a libvmosal call, nothing is compiled per OS: the
 * same source runs on Linux and on Windows (two Windows processes under
 * Wine in make check; the channel is a named pipe there, its name NAME
 * with each '\' turned into '/'), and is written for macOS, where it is
 * not tested.
 *
 * VMM options:
 *	--requests N	requests to complete (default 100000; 0: until SIGINT)
 *	--queue N	descriptors in the ring (default 256: 128 requests in flight)
 *	--size N	bytes of each request (default 64)
 *	--stall S	seconds without progress before giving up (default 60)
 *
 * Exit status: 0 success, 1 error, 77 when this host's libvmosal lacks
 * wait sets, timers or channels (VMOSAL_ENOTSUP).
 *
 * Builds on its own, as a copy outside libvmosal's tree would:
 *	cc vhost-device.c $(pkg-config --cflags --libs vmosal) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmosal.h>

#include "vring.h"

#define EXIT_SKIP 77
#define PROG "vhost-device"

/* How long the device tries to reach a VMM that is not listening yet,
 * and how long either side waits for a message it is owed. */
#define CONNECT_TRIES 3000
#define CONNECT_RETRY_NS 10000000ll
#define MESSAGE_TIMEOUT_NS 30000000000ll
#define SECOND_NS 1000000000ull
/* Latency histogram: 1 us buckets up to 10 ms, then one for the rest. */
#define LAT_BUCKETS 10001u

enum token { TOKEN_SIGNAL, TOKEN_TIMER, TOKEN_LISTENER, TOKEN_CALL, TOKEN_KICK, TOKEN_CHANNEL };

struct options {
	const char *name;
	bool vmm;
	uint64_t requests;
	uint32_t queue;
	uint32_t size;
	uint64_t stall_s;
};

static int failed(const char *what, int rc)
{
	fprintf(stderr, PROG ": %s: %s\n", what, vmosal_strerror(rc));
	return rc == VMOSAL_ENOTSUP ? EXIT_SKIP : 1;
}

static void close_handle(vmosal_handle_t *h)
{
	if (*h != VMOSAL_NO_HANDLE)
		vmosal_handle_close(*h);
	*h = VMOSAL_NO_HANDLE;
}

/* ---- The VMM ---------------------------------------------------------------- */

struct vmm {
	const struct options *o;
	struct vmosal_guest_ram ram;
	vmosal_handle_t kick, call, timer, sig, listener, ch;
	vmosal_waitset_t *ws;
	struct vring_driver *drv;
	uint64_t submitted, completed, started_ns;
	uint64_t lat_sum_ns, lat_max_ns;
	uint32_t *lat_hist;
	bool stopping;
};

static uint64_t now_ns(void)
{
	uint64_t t = 0;

	vmosal_clock_ns(VMOSAL_CLOCK_MONOTONIC, &t);
	return t;
}

/* Adds requests while the ring has room, then publishes and kicks once. */
static int vmm_submit(struct vmm *m)
{
	uint64_t t = now_ns();
	uint8_t *buf;

	while (!m->stopping && (m->o->requests == 0 || m->submitted < m->o->requests) &&
	       (buf = vring_driver_add(m->drv, m->o->size, m->submitted, t)) != NULL) {
		vring_fill(m->submitted, buf, m->o->size);
		m->submitted++;
	}
	if (vring_driver_publish(m->drv) == 0)
		return 0;
	return vmosal_event_notify(m->kick);
}

/* Takes every completed request and checks what the device wrote. */
static int vmm_complete(struct vmm *m)
{
	uint64_t t = now_ns(), seq, stamp, lat;
	const uint8_t *out;
	uint32_t len, written;
	int got;

	while ((got = vring_driver_get(m->drv, &seq, &stamp, &out, &len, &written)) == 1) {
		if (written != len || !vring_check(seq, out, len)) {
			fprintf(stderr, PROG ": request %" PRIu64 ": wrong answer (%" PRIu32
					" of %" PRIu32 " bytes written)\n",
				seq, written, len);
			return 1;
		}
		lat = t - stamp;
		m->lat_sum_ns += lat;
		if (lat > m->lat_max_ns)
			m->lat_max_ns = lat;
		m->lat_hist[lat / 1000 < LAT_BUCKETS - 1 ? lat / 1000 : LAT_BUCKETS - 1]++;
		m->completed++;
	}
	if (got < 0) {
		fprintf(stderr, PROG ": the device wrote a used entry no request matches\n");
		return 1;
	}
	return 0;
}

/* The latency below which fraction of the requests finished, in us. */
static double vmm_percentile_us(const struct vmm *m, double fraction)
{
	uint64_t want = (uint64_t)((double)m->completed * fraction), seen = 0;

	for (uint32_t b = 0; b < LAT_BUCKETS; b++) {
		seen += m->lat_hist[b];
		if (seen > want)
			return (double)b + 1;
	}
	return (double)LAT_BUCKETS;
}

/* Waits for the device to connect, counting timer ticks against the
 * stall limit; SIGINT ends the wait with nothing to do. */
static int vmm_accept(struct vmm *m)
{
	struct vmosal_wait_event ev[4];
	struct vmosal_siginfo si = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	uint64_t ticks, idle = 0;
	size_t n;
	int rc;

	while (m->ch == VMOSAL_NO_HANDLE) {
		rc = vmosal_waitset_wait(m->ws, -1, ev, 4, &n);
		if (rc == VMOSAL_EINTR)
			continue;
		if (rc != 0)
			return failed("waitset_wait", rc);
		for (size_t i = 0; i < n; i++) {
			switch (ev[i].token) {
			case TOKEN_SIGNAL:
				if ((rc = vmosal_signal_fd_read(m->sig, &si)) == 0) {
					fprintf(stderr, PROG ": SIGINT before a device came: stopping\n");
					m->stopping = true;
					return 0;
				}
				if (rc != VMOSAL_EAGAIN)
					return failed("signal_fd_read", rc);
				break;
			case TOKEN_TIMER:
				if ((rc = vmosal_timer_read(m->timer, &ticks)) != 0) {
					if (rc != VMOSAL_EAGAIN)
						return failed("timer_read", rc);
					break;
				}
				if ((idle += ticks) >= m->o->stall_s) {
					fprintf(stderr, PROG ": no device connected in %" PRIu64 " s\n",
						idle);
					return 1;
				}
				break;
			case TOKEN_LISTENER:
				rc = vmosal_channel_accept(m->listener, 0, &m->ch);
				if (rc != 0 && rc != VMOSAL_ETIMEDOUT && rc != VMOSAL_EINTR)
					return failed("channel_accept", rc);
				break;
			default:
				break;
			}
		}
	}
	return 0;
}

/* Hands the device the RAM and both events, with the ring's layout. */
static int vmm_setup_device(struct vmm *m)
{
	struct vring_msg msg = {VRING_MAGIC, VRING_MSG_SETUP, 0, m->drv->l};
	vmosal_handle_t handles[3] = {m->ram.handle, m->kick, m->call};
	uint64_t pid = 0;
	int rc;

	if (vmosal_channel_peer_pid(m->ch, &pid) == 0)
		fprintf(stderr, PROG ": device connected: process %" PRIu64 "\n", pid);
	else
		fprintf(stderr, PROG ": device connected\n");
	if ((rc = vmosal_channel_send(m->ch, &msg, sizeof msg, handles, 3)) != 0)
		return failed("channel_send", rc);
	/* The channel now only tells of a device that went away. */
	if ((rc = vmosal_waitset_remove(m->ws, m->listener)) != 0 ||
	    (rc = vmosal_waitset_add(m->ws, m->call, VMOSAL_WAIT_READABLE, TOKEN_CALL)) != 0 ||
	    (rc = vmosal_waitset_add(m->ws, m->ch, VMOSAL_WAIT_READABLE, TOKEN_CHANNEL)) != 0)
		return failed("waitset", rc);
	close_handle(&m->listener);
	return 0;
}

static void vmm_progress(const struct vmm *m)
{
	double s = (double)(now_ns() - m->started_ns) / 1e9;

	fprintf(stderr, PROG ": %" PRIu64 " requests done, %.0f requests/s\n", m->completed,
		s > 0 ? (double)m->completed / s : 0);
}

/* The event loop: submit, wait on call, the timer and SIGINT, complete. */
static int vmm_run(struct vmm *m)
{
	struct vmosal_wait_event ev[8];
	struct vmosal_siginfo si = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	uint64_t ticks, count, idle = 0, last_completed = 0;
	size_t n;
	int rc;

	m->started_ns = now_ns();
	for (;;) {
		if ((rc = vmm_submit(m)) != 0)
			return failed("event_notify", rc);
		if (m->completed == m->submitted &&
		    (m->stopping || (m->o->requests != 0 && m->completed == m->o->requests)))
			return 0;
		rc = vmosal_waitset_wait(m->ws, -1, ev, 8, &n);
		if (rc == VMOSAL_EINTR)
			continue;
		if (rc != 0)
			return failed("waitset_wait", rc);
		for (size_t i = 0; i < n; i++) {
			switch (ev[i].token) {
			case TOKEN_CALL:
				/* Taken before the ring is read: a call for what
				 * lands after the read is not lost. */
				rc = vmosal_event_read(m->call, &count);
				if (rc != 0 && rc != VMOSAL_EAGAIN)
					return failed("event_read", rc);
				if ((rc = vmm_complete(m)) != 0)
					return rc;
				break;
			case TOKEN_TIMER:
				if ((rc = vmosal_timer_read(m->timer, &ticks)) != 0) {
					if (rc != VMOSAL_EAGAIN)
						return failed("timer_read", rc);
					break;
				}
				vmm_progress(m);
				idle = m->completed == last_completed ? idle + ticks : 0;
				last_completed = m->completed;
				if (idle >= m->o->stall_s) {
					fprintf(stderr, PROG ": no request completed in %" PRIu64 " s\n",
						idle);
					return 1;
				}
				break;
			case TOKEN_SIGNAL:
				rc = vmosal_signal_fd_read(m->sig, &si);
				if (rc != 0 && rc != VMOSAL_EAGAIN)
					return failed("signal_fd_read", rc);
				if (rc == 0 && !m->stopping) {
					fprintf(stderr, PROG ": SIGINT: stopping after the requests in flight\n");
					m->stopping = true;
				}
				break;
			case TOKEN_CHANNEL:
				fprintf(stderr, PROG ": the device went away\n");
				return 1;
			default:
				break;
			}
		}
	}
}

/* Tells the device to stop, and checks it served what was completed. */
static int vmm_stop_device(struct vmm *m)
{
	struct vring_msg msg = {VRING_MAGIC, VRING_MSG_STOP, 0, m->drv->l};
	struct vmosal_channel_msg got = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	int rc;

	if ((rc = vmosal_channel_send(m->ch, &msg, sizeof msg, NULL, 0)) != 0)
		return failed("channel_send", rc);
	if ((rc = vmosal_channel_recv(m->ch, &msg, sizeof msg, NULL, 0, MESSAGE_TIMEOUT_NS, &got)) !=
	    0)
		return failed("channel_recv (the device's count)", rc);
	if (got.len != sizeof msg || msg.magic != VRING_MAGIC || msg.type != VRING_MSG_DONE ||
	    msg.count != m->completed) {
		fprintf(stderr, PROG ": the device says it served %" PRIu64 ", not %" PRIu64 "\n",
			msg.count, m->completed);
		return 1;
	}
	return 0;
}

static void vmm_report(const struct vmm *m)
{
	double s = (double)(now_ns() - m->started_ns) / 1e9;

	printf(PROG ": %" PRIu64 " requests of %" PRIu32 " bytes checked in %.3f s: %.0f requests/s\n",
	       m->completed, m->o->size, s, s > 0 ? (double)m->completed / s : 0);
	if (m->completed != 0)
		printf(PROG ": latency mean %.1f us, p50 <%.0f us, p99 <%.0f us, max %.1f us\n",
		       (double)m->lat_sum_ns / (double)m->completed / 1e3, vmm_percentile_us(m, 0.5),
		       vmm_percentile_us(m, 0.99), (double)m->lat_max_ns / 1e3);
	fflush(stdout);
}

static int vmm_open(struct vmm *m)
{
	const enum vmosal_signal sigint = VMOSAL_SIGINT;
	struct vmosal_guest_ram_options ro = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
	struct vring_layout l;
	size_t granule = (size_t)2 << 20, size;
	int rc;

	/* The RAM: room for the ring and every buffer, whole 2 MiB. */
	if (!vring_layout_init(&l, m->o->queue, m->o->size, UINT64_MAX)) {
		fprintf(stderr, PROG ": --queue must be a power of two, 2 to %u; --size 1 to 1 MiB\n",
			VRING_MAX_NUM);
		return 1;
	}
	size = (size_t)(l.data + (uint64_t)l.num * vring__align(l.buf_size, 64));
	size = (size + granule - 1) / granule * granule;
	vring_layout_init(&l, m->o->queue, m->o->size, size);
	ro.flags = VMOSAL_GUEST_FD;
	ro.pages = VMOSAL_PAGES_BASE;
	m->ram.struct_size = sizeof m->ram;
	if ((rc = vmosal_guest_ram_create(size, &ro, &m->ram)) != 0)
		return failed("guest_ram_create", rc);
	if ((m->drv = malloc(sizeof *m->drv)) == NULL ||
	    (m->lat_hist = calloc(LAT_BUCKETS, sizeof *m->lat_hist)) == NULL)
		return failed("malloc", VMOSAL_ENOMEM);
	vring_driver_init(m->drv, m->ram.addr, &l);

	/* SIGINT as a handle: blocked, so that only the handle sees it
	 * (Windows has no signal mask: there the handle takes Ctrl+C). */
	rc = vmosal_signal_block(&sigint, 1);
	if (rc != 0 && rc != VMOSAL_ENOTSUP)
		return failed("signal_block", rc);
	if ((rc = vmosal_signal_fd_create(&sigint, 1, &m->sig)) != 0)
		return failed("signal_fd_create", rc);
	if ((rc = vmosal_event_create(0, &m->kick)) != 0 ||
	    (rc = vmosal_event_create(0, &m->call)) != 0)
		return failed("event_create", rc);
	if ((rc = vmosal_timer_create(VMOSAL_CLOCK_MONOTONIC, 0, &m->timer)) != 0)
		return failed("timer_create", rc);
	if ((rc = vmosal_timer_arm(m->timer, SECOND_NS, SECOND_NS)) != 0)
		return failed("timer_arm", rc);
	if ((rc = vmosal_channel_listen(m->o->name, 0, &m->listener)) != 0)
		return failed("channel_listen", rc);
	if ((rc = vmosal_waitset_create(0, &m->ws)) != 0)
		return failed("waitset_create", rc);
	if ((rc = vmosal_waitset_add(m->ws, m->sig, VMOSAL_WAIT_READABLE, TOKEN_SIGNAL)) != 0 ||
	    (rc = vmosal_waitset_add(m->ws, m->timer, VMOSAL_WAIT_READABLE, TOKEN_TIMER)) != 0 ||
	    (rc = vmosal_waitset_add(m->ws, m->listener, VMOSAL_WAIT_READABLE, TOKEN_LISTENER)) != 0)
		return failed("waitset_add", rc);
	fprintf(stderr, PROG ": vmm listening on %s\n", m->o->name);
	return 0;
}

static void vmm_close(struct vmm *m)
{
	if (m->ws != NULL)
		vmosal_waitset_destroy(m->ws);
	close_handle(&m->ch);
	close_handle(&m->listener);
	close_handle(&m->timer);
	close_handle(&m->call);
	close_handle(&m->kick);
	close_handle(&m->sig);
	if (m->ram.addr != NULL)
		vmosal_guest_ram_destroy(&m->ram);
	free(m->lat_hist);
	free(m->drv);
}

static int vmm_main(const struct options *o)
{
	struct vmm m = {.o = o};
	int rc;

	m.kick = m.call = m.timer = m.sig = m.listener = m.ch = VMOSAL_NO_HANDLE;
	m.ram.handle = VMOSAL_NO_HANDLE;
	rc = vmm_open(&m);
	if (rc == 0)
		rc = vmm_accept(&m);
	if (rc == 0 && m.ch != VMOSAL_NO_HANDLE) {
		rc = vmm_setup_device(&m);
		if (rc == 0)
			rc = vmm_run(&m);
		if (rc == 0)
			rc = vmm_stop_device(&m);
		if (rc == 0)
			vmm_report(&m);
	}
	vmm_close(&m);
	return rc;
}

/* ---- The device process -------------------------------------------------------- */

/* Connects to the VMM, which may not be listening yet. */
static int device_connect(const char *name, vmosal_handle_t *ch)
{
	int rc = VMOSAL_ENOENT;

	for (int i = 0; i < CONNECT_TRIES; i++) {
		rc = vmosal_channel_connect(name, 0, ch);
		if (rc != VMOSAL_ENOENT && rc != VMOSAL_EAGAIN)
			break;
		vmosal_sleep_ns((uint64_t)CONNECT_RETRY_NS);
	}
	return rc;
}

static int device_main(const struct options *o)
{
	vmosal_handle_t ch = VMOSAL_NO_HANDLE, handles[3];
	struct vmosal_channel_msg got = VMOSAL_STRUCT_INIT(struct vmosal_channel_msg);
	struct vmosal_wait_event ev[2];
	struct vring_device dev;
	struct vring_msg msg;
	vmosal_waitset_t *ws = NULL;
	uint64_t served = 0, count;
	void *ram = NULL;
	size_t ram_size = 0;
	bool done = false;
	size_t n;
	int rc, status = 1;

	for (size_t i = 0; i < 3; i++)
		handles[i] = VMOSAL_NO_HANDLE;
	/* Ctrl+C reaches the whole process group (a console's, on Windows):
	 * the VMM decides when the device stops, and says so over the
	 * channel. */
	rc = vmosal_signal_set_ignored(VMOSAL_SIGINT, true);
	if (rc != 0 && rc != VMOSAL_ENOTSUP)
		return failed("signal_set_ignored", rc);
	if ((rc = device_connect(o->name, &ch)) != 0)
		return failed("channel_connect", rc);
	rc = vmosal_channel_recv(ch, &msg, sizeof msg, handles, 3, MESSAGE_TIMEOUT_NS, &got);
	if (rc != 0) {
		status = failed("channel_recv (the ring's setup)", rc);
		goto out;
	}
	if (got.len != sizeof msg || got.nhandles != 3 || msg.magic != VRING_MAGIC ||
	    msg.type != VRING_MSG_SETUP) {
		fprintf(stderr, PROG ": device: not a ring's setup (%lu bytes, %lu handles)\n",
			(unsigned long)got.len, (unsigned long)got.nhandles);
		goto out;
	}
	/* The memory's size is the VMM's word; its object is sealed, so the
	 * VMM cannot shrink it under this mapping afterwards. */
	if (msg.layout.mem_size == 0 || msg.layout.mem_size > SIZE_MAX) {
		fprintf(stderr, PROG ": device: bad memory size\n");
		goto out;
	}
	rc = vmosal_mmap(NULL, (size_t)msg.layout.mem_size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
			 VMOSAL_MAP_SHARED, handles[0], 0, &ram);
	if (rc != 0) {
		ram = NULL;
		status = failed("mmap of the guest RAM", rc);
		goto out;
	}
	ram_size = (size_t)msg.layout.mem_size;
	if (!vring_device_init(&dev, ram, msg.layout.mem_size, &msg.layout)) {
		fprintf(stderr, PROG ": device: the ring does not fit the memory\n");
		goto out;
	}
	if ((rc = vmosal_waitset_create(0, &ws)) != 0 ||
	    (rc = vmosal_waitset_add(ws, handles[1], VMOSAL_WAIT_READABLE, TOKEN_KICK)) != 0 ||
	    (rc = vmosal_waitset_add(ws, ch, VMOSAL_WAIT_READABLE, TOKEN_CHANNEL)) != 0) {
		status = failed("waitset", rc);
		goto out;
	}
	fprintf(stderr, PROG ": device serving a ring of %" PRIu32 " in %" PRIu64 " bytes\n",
		msg.layout.num, msg.layout.mem_size);
	while (!done) {
		rc = vmosal_waitset_wait(ws, -1, ev, 2, &n);
		if (rc == VMOSAL_EINTR)
			continue;
		if (rc != 0) {
			status = failed("waitset_wait", rc);
			goto out;
		}
		for (size_t i = 0; i < n && !done; i++) {
			if (ev[i].token == TOKEN_KICK) {
				int served_now;

				/* Taken before the ring is read (vring.h). */
				rc = vmosal_event_read(handles[1], &count);
				if (rc != 0 && rc != VMOSAL_EAGAIN) {
					status = failed("event_read", rc);
					goto out;
				}
				if ((served_now = vring_device_serve(&dev)) < 0) {
					fprintf(stderr, PROG ": device: the VMM wrote a broken ring\n");
					goto out;
				}
				if (served_now == 0)
					continue;
				served += (uint64_t)served_now;
				if ((rc = vmosal_event_notify(handles[2])) != 0) {
					status = failed("event_notify", rc);
					goto out;
				}
				continue;
			}
			rc = vmosal_channel_recv(ch, &msg, sizeof msg, NULL, 0, 0, &got);
			if (rc == VMOSAL_ETIMEDOUT)
				continue;
			if (rc != 0) {
				status = failed("channel_recv", rc);
				goto out;
			}
			if (got.len != sizeof msg || msg.magic != VRING_MAGIC ||
			    msg.type != VRING_MSG_STOP) {
				fprintf(stderr, PROG ": device: unexpected message\n");
				goto out;
			}
			done = true;
		}
	}
	msg = (struct vring_msg){VRING_MAGIC, VRING_MSG_DONE, served, dev.l};
	if ((rc = vmosal_channel_send(ch, &msg, sizeof msg, NULL, 0)) != 0) {
		status = failed("channel_send", rc);
		goto out;
	}
	fprintf(stderr, PROG ": device served %" PRIu64 " requests\n", served);
	status = 0;
out:
	if (ws != NULL)
		vmosal_waitset_destroy(ws);
	if (ram != NULL)
		vmosal_munmap(ram, ram_size);
	for (size_t i = 0; i < 3; i++)
		close_handle(&handles[i]);
	close_handle(&ch);
	return status;
}

/* ---- Command line ---------------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " --vmm NAME [--requests N] [--queue N] [--size N]"
			" [--stall S]\n       " PROG " --device NAME\n");
}

int main(int argc, char **argv)
{
	struct options o = {NULL, false, 100000, 256, 64, 60};
	char why[512];
	uint64_t v;
	int rc;

	/* Every option takes a value: two arguments a round. */
	for (int i = 1; i < argc; i += 2) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(arg, "--vmm") == 0 || strcmp(arg, "--device") == 0) {
			if (val == NULL || o.name != NULL) {
				usage();
				return 1;
			}
			o.vmm = strcmp(arg, "--vmm") == 0;
			o.name = val;
		} else if (strcmp(arg, "--requests") == 0 && parse_u64(val, UINT64_MAX, &v)) {
			o.requests = v;
		} else if (strcmp(arg, "--queue") == 0 && parse_u64(val, VRING_MAX_NUM, &v)) {
			o.queue = (uint32_t)v;
		} else if (strcmp(arg, "--size") == 0 && parse_u64(val, 1u << 20, &v) && v > 0) {
			o.size = (uint32_t)v;
		} else if (strcmp(arg, "--stall") == 0 && parse_u64(val, 86400, &v) && v > 0) {
			o.stall_s = v;
		} else {
			usage();
			return 1;
		}
	}
	if (o.name == NULL) {
		usage();
		return 1;
	}
	if ((rc = vmosal_init()) != 0) {
		vmosal_backend_error(why, sizeof why);
		fprintf(stderr, PROG ": no backend: %s\n", why);
		return 1;
	}
	/* Unbuffered progress, so that a script sees each line as it comes. */
	setvbuf(stderr, NULL, _IONBF, 0);
	return o.vmm ? vmm_main(&o) : device_main(&o);
}
