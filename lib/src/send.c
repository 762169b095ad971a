/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Coalesced zero-copy send notifications: opting a ring in, and tracking
 * which send buffers the kernel has released.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "zc.h"

int zc_register_send_policy(struct io_uring *ring, const char *name,
			    struct zc_send_bounds *bounds)
{
	return zc_register_send_policy_flags(ring, name, bounds, 0);
}

int zc_register_send_policy_flags(struct io_uring *ring, const char *name,
				  struct zc_send_bounds *bounds,
				  unsigned int flags)
{
	struct io_uring_zc_send_policy p = {
		.flags = IORING_ZC_SEND_COALESCE | flags,
	};
	int ret;

	if (name && strlen(name) >= sizeof(p.name))
		return -EINVAL;
	if (name)
		strcpy(p.name, name);
	if (bounds) {
		p.max_sends = bounds->max_sends;
		p.max_bytes = bounds->max_bytes;
		p.timeout_ns = bounds->timeout_ns;
	}
	ret = syscall(__NR_io_uring_register, ring->ring_fd,
		      IORING_REGISTER_ZC_SEND_POLICY, &p, 1);
	if (ret < 0)
		return -errno;
	if (bounds) {
		bounds->max_sends = p.max_sends;
		bounds->max_bytes = p.max_bytes;
		bounds->timeout_ns = p.timeout_ns;
	}
	return 0;
}

int zc_sock_set_send_policy(int fd, const char *name,
			    struct zc_send_bounds *bounds)
{
	struct zc_msg_policy p = {};
	socklen_t len = sizeof(p);

	if (name && strlen(name) >= sizeof(p.name))
		return -EINVAL;
	if (name)
		strcpy(p.name, name);
	if (bounds) {
		p.max_sends = bounds->max_sends;
		p.max_bytes = bounds->max_bytes;
		p.timeout_ns = bounds->timeout_ns;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ZC_POLICY, &p, sizeof(p)))
		return -errno;
	if (!bounds)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ZC_POLICY, &p, &len))
		return -errno;
	bounds->max_sends = p.max_sends;
	bounds->max_bytes = p.max_bytes;
	bounds->timeout_ns = p.timeout_ns;
	return 0;
}

int zc_sock_get_send_policy(int fd, char *name, size_t size,
			    struct zc_send_bounds *bounds,
			    struct zc_sock_policy_stats *stats)
{
	struct zc_msg_policy p = {};
	socklen_t len = sizeof(p);

	if (getsockopt(fd, SOL_SOCKET, SO_ZC_POLICY, &p, &len))
		return -errno;
	if (name && size) {
		if (strlen(p.name) >= size)
			return -ENOSPC;
		strcpy(name, p.name);
	}
	if (bounds) {
		bounds->max_sends = p.max_sends;
		bounds->max_bytes = p.max_bytes;
		bounds->timeout_ns = p.timeout_ns;
	}
	if (stats) {
		stats->sends = p.sends;
		stats->copies = p.copies;
		stats->ranges = p.ranges;
		stats->queued = p.queued;
		stats->wakeups = p.wakeups;
		stats->faults = p.faults;
	}
	return 0;
}

/*
 * The tracker keeps the sends in submission order.  A send's sequence
 * number is predicted at submission (the kernel numbers accepted SQEs in
 * order), confirmed by its first CQE, and shifted down when an earlier
 * send turns out to have been rejected (a first CQE without F_MORE
 * consumes no number).  A NOTIF releases every send its range covers.
 * On a ring that did not opt in, a NOTIF covers the one send whose
 * user_data it carries.
 */
enum zc_entry_state {
	ZC_PENDING,	/* submitted, its buffer is the kernel's */
	ZC_RELEASED,	/* the buffer is the application's again */
};

struct zc_entry {
	__u64		user_data;
	__u16		seq;
	__u8		state;
	__u8		confirmed;	/* seen its first CQE */
};

struct zc_tracker {
	struct zc_entry	*e;		/* ring of submitted sends */
	unsigned int	mask;
	unsigned int	head, tail;	/* free running */
	__u16		next_seq;
	unsigned int	pending;
	__u64		*released;	/* FIFO of released user_data */
	unsigned int	rhead, rtail;
};

struct zc_tracker *zc_tracker_new(unsigned int entries)
{
	struct zc_tracker *t;
	unsigned int n = 1;

	if (!entries || entries > 32768) {
		errno = EINVAL;
		return NULL;
	}
	while (n < entries)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->e = calloc(n, sizeof(*t->e));
	t->released = calloc(n, sizeof(*t->released));
	if (!t->e || !t->released) {
		zc_tracker_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

void zc_tracker_free(struct zc_tracker *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->released);
	free(t);
}

int zc_tracker_submit(struct zc_tracker *t, __u64 user_data)
{
	struct zc_entry *e;

	/* Room for it, and for every release not yet popped. */
	if ((t->tail - t->head) + (t->rtail - t->rhead) > t->mask)
		return -ENOSPC;
	e = &t->e[t->tail++ & t->mask];
	e->user_data = user_data;
	e->seq = t->next_seq++;
	e->state = ZC_PENDING;
	e->confirmed = 0;
	t->pending++;
	return 0;
}

static void zc_release(struct zc_tracker *t, struct zc_entry *e)
{
	e->state = ZC_RELEASED;
	t->pending--;
	t->released[t->rtail++ & t->mask] = e->user_data;
	while (t->head != t->tail &&
	       t->e[t->head & t->mask].state == ZC_RELEASED)
		t->head++;
}

/* The oldest pending, unconfirmed send with @user_data: its position. */
static int zc_find(struct zc_tracker *t, __u64 user_data, unsigned int *pos)
{
	unsigned int i;

	for (i = t->head; i != t->tail; i++) {
		struct zc_entry *e = &t->e[i & t->mask];

		if (e->state == ZC_PENDING && !e->confirmed &&
		    e->user_data == user_data) {
			*pos = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* A send's first CQE: confirm its number, or release it if it has none. */
static int zc_first_cqe(struct zc_tracker *t, const struct io_uring_cqe *cqe)
{
	struct zc_entry *e;
	unsigned int pos, i;

	if (zc_find(t, cqe->user_data, &pos))
		return -ENOENT;
	e = &t->e[pos & t->mask];
	if (cqe->flags & IORING_CQE_F_MORE) {
		e->seq = zc_cqe_seq(cqe);
		e->confirmed = 1;
		return 0;
	}
	/* Rejected: it took no number, so every later prediction moves. */
	for (i = pos + 1; i != t->tail; i++) {
		struct zc_entry *l = &t->e[i & t->mask];

		if (!l->confirmed)
			l->seq--;
	}
	t->next_seq--;
	zc_release(t, e);
	return 1;
}

/* A stock ring's NOTIF: no range, the send's own user_data. */
static int zc_stock_notif_cqe(struct zc_tracker *t,
			      const struct io_uring_cqe *cqe)
{
	unsigned int i;

	for (i = t->head; i != t->tail; i++) {
		struct zc_entry *e = &t->e[i & t->mask];

		if (e->state == ZC_PENDING && e->user_data == cqe->user_data) {
			zc_release(t, e);
			return 1;
		}
	}
	return -ENOENT;
}

/*
 * Release the pending sends, @confirmed or predicted, whose numbers lie in
 * [@first, @first + @count), until @n of them are: the new @n.
 */
static unsigned int zc_release_range(struct zc_tracker *t, __u16 first,
				     unsigned int count, unsigned int n,
				     bool confirmed)
{
	unsigned int i;

	for (i = t->head; i != t->tail && n < count; i++) {
		struct zc_entry *e = &t->e[i & t->mask];

		if (e->state == ZC_PENDING && e->confirmed == confirmed &&
		    (__u16)(e->seq - first) < count) {
			zc_release(t, e);
			n++;
		}
	}
	return n;
}

static int zc_notif_cqe(struct zc_tracker *t, const struct io_uring_cqe *cqe)
{
	__u16 first = zc_cqe_seq(cqe);
	unsigned int count = zc_notif_count(cqe), n;

	if (!count)
		return zc_stock_notif_cqe(t, cqe);
	/* Confirmed numbers first: a send whose first CQE is still to come
	 * may have taken none (IORING_ZC_SEND_COPY_ALONE), and its predicted
	 * number then belongs to a later send.  Then the predicted ones:
	 * IOSQE_CQE_SKIP_SUCCESS sends.
	 */
	n = zc_release_range(t, first, count, 0, true);
	n = zc_release_range(t, first, count, n, false);
	return n == count ? (int)n : -EINVAL;
}

int zc_tracker_cqe(struct zc_tracker *t, const struct io_uring_cqe *cqe)
{
	if (zc_cqe_is_notif(cqe))
		return zc_notif_cqe(t, cqe);
	return zc_first_cqe(t, cqe);
}

int zc_tracker_pop(struct zc_tracker *t, __u64 *user_data)
{
	if (t->rhead == t->rtail)
		return -EAGAIN;
	*user_data = t->released[t->rhead++ & t->mask];
	return 0;
}

unsigned int zc_tracker_inflight(const struct zc_tracker *t)
{
	return t->pending;
}
