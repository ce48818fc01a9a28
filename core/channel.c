/* Channels (channel.h): argument checks, the kick rule around the
 * blocking calls, and dispatch. */
#include "config.h"

#include <string.h>

#include "internal.h"

/* 0 for a name of 1 to VMOSAL_CHANNEL_NAME_MAX bytes, read no further. */
static int channel_name_check(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return VMOSAL_EINVAL;
	if (memchr(name, '\0', VMOSAL_CHANNEL_NAME_MAX + 1) == NULL)
		return VMOSAL_ENAMETOOLONG;
	return 0;
}

int vmosal_channel_pair(unsigned flags, vmosal_handle_t out[2])
{
	const struct vmosal__state *s;
	vmosal_handle_t pair[2] = {VMOSAL_NO_HANDLE, VMOSAL_NO_HANDLE};
	int rc;

	if (out == NULL || flags != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_CHANNEL)) != 0 ||
	    (rc = s->ops->channel_pair(flags, pair)) != 0)
		return rc;
	out[0] = pair[0];
	out[1] = pair[1];
	return 0;
}

int vmosal_channel_listen(const char *name, unsigned flags, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || flags != 0)
		return VMOSAL_EINVAL;
	if ((rc = channel_name_check(name)) != 0)
		return rc;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_CHANNEL)) != 0)
		return rc;
	return s->ops->channel_listen(name, flags, out);
}

struct accept_try {
	vmosal_handle_t listener;
	vmosal_handle_t *out;
};

static int accept_try_once(const struct vmosal__state *s, void *ctx, int64_t timeout_ns,
			   const uint32_t *kick)
{
	const struct accept_try *t = ctx;

	return s->ops->channel_accept(t->listener, timeout_ns, t->out, kick);
}

int vmosal_channel_accept(vmosal_handle_t listener, int64_t timeout_ns, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	vmosal_handle_t ch = VMOSAL_NO_HANDLE;
	int rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(listener))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_CHANNEL)) != 0)
		return rc;
	rc = vmosal__kick_wait(s, accept_try_once, &(struct accept_try){listener, &ch}, timeout_ns,
			       (const uint32_t *)vmosal__kick_flag());
	if (rc == 0)
		*out = ch;
	return rc;
}

int vmosal_channel_connect(const char *name, unsigned flags, vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || flags != 0)
		return VMOSAL_EINVAL;
	if ((rc = channel_name_check(name)) != 0)
		return rc;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_CHANNEL)) != 0)
		return rc;
	return s->ops->channel_connect(name, flags, out);
}

int vmosal_channel_send(vmosal_handle_t ch, const void *buf, size_t len,
			const vmosal_handle_t *handles, size_t nhandles)
{
	const struct vmosal__state *s;
	int rc;

	if (buf == NULL || len == 0 || (handles == NULL && nhandles != 0))
		return VMOSAL_EINVAL;
	if (len > VMOSAL_CHANNEL_MAX_MESSAGE || nhandles > VMOSAL_CHANNEL_MAX_HANDLES)
		return VMOSAL_EMSGSIZE;
	if (!VMOSAL_HANDLE_VALID(ch))
		return VMOSAL_EBADF;
	for (size_t i = 0; i < nhandles; i++)
		if (!VMOSAL_HANDLE_VALID(handles[i]))
			return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_CHANNEL)) != 0)
		return rc;
	return s->ops->channel_send(ch, buf, len, handles, nhandles);
}

struct recv_try {
	vmosal_handle_t ch;
	void *buf;
	size_t capacity;
	size_t *len;
	vmosal_handle_t *handles;
	size_t handle_capacity;
	size_t *nhandles;
};

static int recv_try_once(const struct vmosal__state *s, void *ctx, int64_t timeout_ns,
			 const uint32_t *kick)
{
	const struct recv_try *t = ctx;

	return s->ops->channel_recv(t->ch, t->buf, t->capacity, t->len, t->handles,
				    t->handle_capacity, t->nhandles, timeout_ns, kick);
}

int vmosal_channel_recv(vmosal_handle_t ch, void *buf, size_t capacity, vmosal_handle_t *handles,
			size_t handle_capacity, int64_t timeout_ns, struct vmosal_channel_msg *msg)
{
	const struct vmosal__state *s;
	struct vmosal_channel_msg got = {.struct_size = sizeof got};
	int rc;

	if (buf == NULL || capacity == 0 || (handles == NULL && handle_capacity != 0))
		return VMOSAL_EINVAL;
	if ((rc = vmosal__struct_out_check(msg, sizeof *msg)) != 0)
		return rc;
	if (!VMOSAL_HANDLE_VALID(ch))
		return VMOSAL_EBADF;
	if ((rc = vmosal__ready(&s, VMOSAL_SLOT_CHANNEL)) != 0)
		return rc;
	if (handle_capacity > VMOSAL_CHANNEL_MAX_HANDLES)
		handle_capacity = VMOSAL_CHANNEL_MAX_HANDLES;
	rc = vmosal__kick_wait(s, recv_try_once,
			       &(struct recv_try){ch, buf, capacity, &got.len, handles, handle_capacity,
						  &got.nhandles},
			       timeout_ns, (const uint32_t *)vmosal__kick_flag());
	if (rc == 0 || rc == VMOSAL_EMSGSIZE) {
		if (rc != 0)
			got.nhandles = 0;
		vmosal__struct_out(msg, &got, sizeof got);
	}
	return rc;
}

int vmosal_channel_peer_pid(vmosal_handle_t ch, uint64_t *pid)
{
	const struct vmosal__state *s;
	int rc;

	if (pid == NULL)
		return VMOSAL_EINVAL;
	if (!VMOSAL_HANDLE_VALID(ch))
		return VMOSAL_EBADF;
	if ((rc = VMOSAL__READY_SLOT(&s, channel_peer_pid)) != 0)
		return rc;
	return s->ops->channel_peer_pid(ch, pid);
}
