/* vring.h: a split virtqueue (virtio 1.x, 2.7) in shared memory, driver
 * and device halves, for examples/vhost-device.c and bench/bench_ring*.c.
 *
 * Header-only and free of OS calls: the memory is whatever both processes
 * mapped, the notifications are the caller's. Only libvmosal's barriers
 * come from outside, so the example and the raw benchmark twin run the
 * very same ring.
 *
 * The layout is the spec's (descriptor table, available ring, used ring),
 * in host byte order: both ends are processes of one host (a guest's ring
 * would be little-endian). One driver thread and one device thread; the
 * indexes are the only words both write and read concurrently, so they go
 * through volatile accesses, ordered by the barriers:
 *   driver: descriptors and buffers, avail->ring[], RELEASE, avail->idx
 *   device: avail->idx, ACQUIRE, descriptors and buffers
 *   device: output buffers, used->ring[], RELEASE, used->idx
 *   driver: used->idx, ACQUIRE, used->ring[] and output buffers
 * Notifications (kick, call) are not suppressed: the driver kicks after
 * each publish, the device calls after each batch; each side takes its
 * notification before it looks at the ring, so none is lost.
 *
 * Each request is a chain of two descriptors: a buffer the device reads,
 * then one it writes (VRING_DESC_F_WRITE). The device writes the input
 * reversed and XORed with 0x5a (vring_transform), which the driver checks
 * against what it sent (vring_check): a device that served the wrong
 * buffer, or not at all, is found. */
#ifndef VMOSAL_EXAMPLE_VRING_H
#define VMOSAL_EXAMPLE_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vmosal/barrier.h>

#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u

/* Queue sizes a layout accepts: powers of two, 2 to VRING_MAX_NUM. */
#define VRING_MAX_NUM 1024u
#define VRING_MAX_SLOTS (VRING_MAX_NUM / 2)

struct vring_desc {
	uint64_t addr; /* offset into the shared memory ("guest physical") */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_used_elem {
	uint32_t id; /* head of the chain */
	uint32_t len; /* bytes written */
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/* Where the ring lies in the shared memory: what the driver tells the
 * device. Offsets from the start of the memory. */
struct vring_layout {
	uint32_t num;      /* descriptors: a power of two up to VRING_MAX_NUM */
	uint32_t buf_size; /* bytes of each request buffer, in and out */
	uint64_t mem_size; /* bytes of the shared memory */
	uint64_t desc, avail, used, data;
};

static inline uint64_t vring__align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Lays a ring of num descriptors, with buffers of buf_size bytes for each
 * of its num / 2 requests, into mem_size bytes. False when it does not fit
 * or num is not a power of two in range. */
static inline bool vring_layout_init(struct vring_layout *l, uint32_t num, uint32_t buf_size,
				     uint64_t mem_size)
{
	if (num < 2 || num > VRING_MAX_NUM || (num & (num - 1)) != 0 || buf_size == 0 ||
	    buf_size > (1u << 20))
		return false;
	l->num = num;
	l->buf_size = buf_size;
	l->mem_size = mem_size;
	l->desc = 0;
	l->avail = l->desc + 16ull * num;
	l->used = vring__align(l->avail + 6 + 2ull * num, 4096);
	l->data = vring__align(l->used + 6 + 8ull * num, 4096);
	return l->data + (uint64_t)num * vring__align(buf_size, 64) <= mem_size;
}

/* Whether a layout received from the other side fits mem_size bytes: the
 * device checks, as it trusts nothing the driver wrote. */
static inline bool vring_layout_valid(const struct vring_layout *l, uint64_t mem_size)
{
	struct vring_layout want;

	return l->mem_size == mem_size && vring_layout_init(&want, l->num, l->buf_size, mem_size) &&
	       memcmp(&want, l, sizeof want) == 0;
}

/* ---- The request's bytes ---------------------------------------------------- */

/* Byte i of request seq's input (splitmix64 of the word it falls in). */
static inline uint8_t vring_pattern(uint64_t seq, uint32_t i)
{
	uint64_t z = seq * 0x9e3779b97f4a7c15ull + (i / 8) + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint8_t)(z >> (8 * (i % 8)));
}

static inline void vring_fill(uint64_t seq, uint8_t *buf, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = vring_pattern(seq, i);
}

/* The device's work: out is in reversed, each byte XORed with 0x5a. */
static inline void vring_transform(const uint8_t *in, uint8_t *out, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)(in[len - 1 - i] ^ 0x5a);
}

/* Whether out is what the device must make of request seq's input. */
static inline bool vring_check(uint64_t seq, const uint8_t *out, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (out[i] != (uint8_t)(vring_pattern(seq, len - 1 - i) ^ 0x5a))
			return false;
	return true;
}

/* ---- Driver (the VMM's side) ---------------------------------------------------- */

struct vring_driver {
	struct vring_layout l;
	uint8_t *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;  /* next entry of avail->ring, published or not */
	uint16_t published;  /* avail->idx as last written */
	uint16_t last_used;  /* next used entry to take */
	uint32_t nfree;
	uint16_t free_slots[VRING_MAX_SLOTS];
	bool busy[VRING_MAX_SLOTS];
	uint32_t len[VRING_MAX_SLOTS];
	uint64_t tag[VRING_MAX_SLOTS];
	uint64_t stamp[VRING_MAX_SLOTS];
};

static inline uint16_t vring__load16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}

static inline void vring__store16(uint16_t *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

/* Sets up an empty ring in mem (mem_size bytes, as l says). */
static inline void vring_driver_init(struct vring_driver *d, void *mem, const struct vring_layout *l)
{
	memset(d, 0, sizeof *d);
	d->l = *l;
	d->mem = mem;
	d->desc = (struct vring_desc *)(d->mem + l->desc);
	d->avail = (struct vring_avail *)(d->mem + l->avail);
	d->used = (struct vring_used *)(d->mem + l->used);
	memset(d->mem, 0, (size_t)l->data);
	d->nfree = l->num / 2;
	for (uint32_t s = 0; s < d->nfree; s++)
		d->free_slots[s] = (uint16_t)(d->nfree - 1 - s);
}

static inline uint8_t *vring__buf(const struct vring_layout *l, uint8_t *mem, uint32_t i)
{
	return mem + l->data + (uint64_t)i * vring__align(l->buf_size, 64);
}

/* Requests that may be added now. */
static inline uint32_t vring_driver_room(const struct vring_driver *d)
{
	return d->nfree;
}

/* Takes a free request, len bytes (1 to buf_size) each way, tagged with
 * tag and stamp (the caller's: a sequence number, a time), and returns its input buffer for the caller to fill before
 * vring_driver_publish; NULL when the ring is full. */
static inline uint8_t *vring_driver_add(struct vring_driver *d, uint32_t len, uint64_t tag,
					uint64_t stamp)
{
	uint16_t slot, head;

	if (d->nfree == 0 || len == 0 || len > d->l.buf_size)
		return NULL;
	slot = d->free_slots[--d->nfree];
	head = (uint16_t)(2 * slot);
	d->busy[slot] = true;
	d->len[slot] = len;
	d->tag[slot] = tag;
	d->stamp[slot] = stamp;
	d->desc[head] = (struct vring_desc){d->l.data + (uint64_t)head * vring__align(d->l.buf_size, 64),
					    len, VRING_DESC_F_NEXT, (uint16_t)(head + 1)};
	d->desc[head + 1] = (struct vring_desc){
		d->l.data + (uint64_t)(head + 1) * vring__align(d->l.buf_size, 64), len,
		VRING_DESC_F_WRITE, 0};
	d->avail->ring[d->avail_idx & (d->l.num - 1)] = head;
	d->avail_idx++;
	return vring__buf(&d->l, d->mem, head);
}

/* Makes the requests added since the last publish visible to the device,
 * and returns how many (0: nothing to kick for). */
static inline uint16_t vring_driver_publish(struct vring_driver *d)
{
	uint16_t n = (uint16_t)(d->avail_idx - d->published);

	if (n == 0)
		return 0;
	vmosal_barrier_release(); /* descriptors, buffers, ring entries before the index */
	vring__store16(&d->avail->idx, d->avail_idx);
	d->published = d->avail_idx;
	return n;
}

/* Takes one completed request: 1, with its tag and stamp, its output
 * (valid until the next vring_driver_add), its length and the bytes the
 * device wrote; 0 when none is there; -1 when the
 * device wrote something no request matches. */
static inline int vring_driver_get(struct vring_driver *d, uint64_t *tag, uint64_t *stamp,
				   const uint8_t **out, uint32_t *len, uint32_t *written)
{
	struct vring_used_elem e;
	uint16_t slot;

	if (vring__load16(&d->used->idx) == d->last_used)
		return 0;
	vmosal_barrier_acquire(); /* the index before the entry and the buffer it names */
	e = d->used->ring[d->last_used & (d->l.num - 1)];
	if (e.id >= d->l.num || (e.id & 1) != 0 || !d->busy[e.id / 2])
		return -1;
	d->last_used++;
	slot = (uint16_t)(e.id / 2);
	d->busy[slot] = false;
	d->free_slots[d->nfree++] = slot;
	*tag = d->tag[slot];
	*stamp = d->stamp[slot];
	*len = d->len[slot];
	*written = e.len;
	*out = vring__buf(&d->l, d->mem, e.id + 1);
	return 1;
}

/* ---- Device (the other process) --------------------------------------------- */

struct vring_device {
	struct vring_layout l;
	uint8_t *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
};

/* Attaches to the ring the driver laid out in mem (mem_size bytes mapped
 * here); false when the layout does not fit it. */
static inline bool vring_device_init(struct vring_device *v, void *mem, uint64_t mem_size,
				     const struct vring_layout *l)
{
	if (!vring_layout_valid(l, mem_size))
		return false;
	memset(v, 0, sizeof *v);
	v->l = *l;
	v->mem = mem;
	v->desc = (struct vring_desc *)(v->mem + l->desc);
	v->avail = (struct vring_avail *)(v->mem + l->avail);
	v->used = (struct vring_used *)(v->mem + l->used);
	return true;
}

/* A buffer a descriptor names, or NULL when it leaves the memory. */
static inline uint8_t *vring__device_buf(const struct vring_device *v, const struct vring_desc *d)
{
	if (d->addr > v->l.mem_size || d->len > v->l.mem_size - d->addr)
		return NULL;
	return v->mem + d->addr;
}

/* Serves every request available now: reads each chain's input, writes
 * its transform to the chain's writable buffer, and publishes the used
 * entries. Returns how many it served (0: notify nobody), or -1 when the
 * driver wrote a ring no device could serve (an index beyond the queue, a
 * chain that loops or leaves the memory). */
static inline int vring_device_serve(struct vring_device *v)
{
	uint16_t avail_idx = vring__load16(&v->avail->idx);
	uint16_t n = (uint16_t)(avail_idx - v->last_avail);
	uint32_t mask = v->l.num - 1;

	if (n == 0)
		return 0;
	if (n > v->l.num)
		return -1;
	vmosal_barrier_acquire(); /* the index before the entries, descriptors, buffers */
	for (uint16_t k = 0; k < n; k++) {
		uint16_t head = v->avail->ring[(uint16_t)(v->last_avail + k) & mask];
		struct vring_desc in, out;
		uint8_t *inb, *outb;
		uint32_t len;

		if (head >= v->l.num)
			return -1;
		in = v->desc[head];
		if (!(in.flags & VRING_DESC_F_NEXT) || (in.flags & VRING_DESC_F_WRITE) ||
		    in.next >= v->l.num || in.next == head)
			return -1;
		out = v->desc[in.next];
		if (!(out.flags & VRING_DESC_F_WRITE) || (out.flags & VRING_DESC_F_NEXT))
			return -1;
		if ((inb = vring__device_buf(v, &in)) == NULL ||
		    (outb = vring__device_buf(v, &out)) == NULL)
			return -1;
		len = in.len < out.len ? in.len : out.len;
		vring_transform(inb, outb, len);
		v->used->ring[v->used_idx & mask] = (struct vring_used_elem){head, len};
		v->used_idx++;
	}
	v->last_avail = avail_idx;
	vmosal_barrier_release(); /* buffers and used entries before the index */
	vring__store16(&v->used->idx, v->used_idx);
	return n;
}

/* ---- The messages that set a ring up over a channel --------------------------- */

#define VRING_MAGIC 0x76726e67u /* "vrng" */
enum vring_msg_type {
	VRING_MSG_SETUP = 1, /* driver -> device: the layout; handles: memory, kick, call */
	VRING_MSG_STOP,      /* driver -> device: no more requests */
	VRING_MSG_DONE       /* device -> driver: count, the requests it served */
};

struct vring_msg {
	uint32_t magic;
	uint32_t type;
	uint64_t count;
	struct vring_layout layout;
};

#endif
