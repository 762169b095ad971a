/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Zero-copy receive: an area of user memory and a refill ring bound to a
 * NIC rx queue (IORING_REGISTER_ZCRX_IFQ), RECV_ZC requests, and giving
 * buffers back through the refill ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "zc.h"

#define ZC_RX_AREA_DEFAULT	(32UL << 20)
#define ZC_RX_RQ_MAX		32768U
#define ZC_HUGE_PAGE		(2UL << 20)

struct zc_rx {
	struct io_uring			*ring;
	/* Returns that found the refill ring full, put in first later. */
	struct io_uring_zcrx_rqe	*backlog;
	unsigned int			nr_backlog;
	unsigned int			max_backlog;
	void				*area;
	size_t				area_len;
	void				*rq;
	size_t				rq_len;
	__u32				*khead;
	__u32				*ktail;
	__u32				rq_tail;
	__u32				rq_mask;
	struct io_uring_zcrx_rqe	*rqes;
	__u64				token;
	__u32				zcrx_id;
	/* Notifications: what is armed, who hears of them, how many came. */
	unsigned int			armed;
	zc_rx_notif_cb			notif_cb;
	void				*notif_arg;
	unsigned long long		notifs[3];
};

int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *reg)
{
	int ret = syscall(__NR_io_uring_register, ring->ring_fd,
			  IORING_REGISTER_ZCRX_IFQ, reg, 1);

	return ret < 0 ? -errno : ret;
}

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

static unsigned int pow2_at_least(unsigned int v)
{
	unsigned int p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static void *map_anon(size_t len, bool huge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0),
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void zc_rx_free(struct zc_rx *rx)
{
	if (!rx)
		return;
	/* The ifq lives until the ring is closed; the memory can go now,
	 * as the kernel holds its own pins.
	 */
	if (rx->rq)
		munmap(rx->rq, rx->rq_len);
	if (rx->area)
		munmap(rx->area, rx->area_len);
	free(rx->backlog);
	free(rx);
}

static int zc_rx_register(struct zc_rx *rx, const struct zc_rx_params *p,
			  unsigned int entries, bool kernel_rq)
{
	struct io_uring_zcrx_area_reg area = {
		.addr = (__u64)(unsigned long)rx->area,
		.len = rx->area_len,
	};
	struct io_uring_region_desc rd = {
		.size = rx->rq_len,
	};
	struct io_uring_zcrx_ifq_reg reg = {
		.if_idx = p->ifindex,
		.if_rxq = p->rxq,
		.rq_entries = entries,
		.area_ptr = (__u64)(unsigned long)&area,
		.region_ptr = (__u64)(unsigned long)&rd,
	};
	void *rq;
	int ret;

	if (!kernel_rq) {
		rd.user_addr = (__u64)(unsigned long)rx->rq;
		rd.flags = IORING_MEM_REGION_TYPE_USER;
	}
	ret = io_uring_register_ifq(rx->ring, &reg);
	if (ret)
		return ret;
	if (kernel_rq) {
		rq = mmap(NULL, rx->rq_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, rx->ring->ring_fd,
			  rd.mmap_offset);
		/* Registered: the ring keeps the ifq, with no way to use it. */
		if (rq == MAP_FAILED)
			return -errno;
		rx->rq = rq;
	}
	rx->khead = (__u32 *)((char *)rx->rq + reg.offsets.head);
	rx->ktail = (__u32 *)((char *)rx->rq + reg.offsets.tail);
	rx->rqes = (void *)((char *)rx->rq + reg.offsets.rqes);
	rx->rq_mask = reg.rq_entries - 1;
	rx->token = area.rq_area_token;
	rx->zcrx_id = reg.zcrx_id;
	return 0;
}

struct zc_rx *zc_rx_new(struct io_uring *ring, const struct zc_rx_params *p,
			int *err)
{
	bool huge = p->flags & ZC_RX_HUGEPAGES;
	bool kernel_rq = p->flags & ZC_RX_KERNEL_RQ;
	size_t page = sysconf(_SC_PAGESIZE);
	unsigned int entries;
	struct zc_rx *rx;
	int ret = -EINVAL;

	if (!p->ifindex || (p->flags & ~(ZC_RX_HUGEPAGES | ZC_RX_KERNEL_RQ)))
		goto fail;
	ret = -ENOMEM;
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		goto fail;
	rx->ring = ring;
	rx->area_len = round_up(p->area_size ?: ZC_RX_AREA_DEFAULT,
				huge ? ZC_HUGE_PAGE : page);
	entries = p->rq_entries ?: rx->area_len / page;
	entries = pow2_at_least(entries < ZC_RX_RQ_MAX ? entries : ZC_RX_RQ_MAX);
	/* One page for the head and tail, as upstream's own users do. */
	rx->rq_len = round_up(page + entries * sizeof(struct io_uring_zcrx_rqe),
			      page);

	rx->area = map_anon(rx->area_len, huge);
	if (!rx->area) {
		ret = -errno;
		goto fail_free;
	}
	if (!kernel_rq) {
		rx->rq = map_anon(rx->rq_len, false);
		if (!rx->rq) {
			ret = -errno;
			goto fail_free;
		}
	}
	/* A CQE per chunk, and a page can hold several chunks. */
	rx->max_backlog = 4 * (rx->area_len / page);
	rx->backlog = calloc(rx->max_backlog, sizeof(*rx->backlog));
	if (!rx->backlog) {
		ret = -ENOMEM;
		goto fail_free;
	}
	ret = zc_rx_register(rx, p, entries, kernel_rq);
	if (ret)
		goto fail_free;
	return rx;

fail_free:
	zc_rx_free(rx);
fail:
	if (err)
		*err = ret;
	errno = -ret;
	return NULL;
}

void zc_rx_prep_recv(struct zc_rx *rx, struct io_uring_sqe *sqe, int fd,
		     unsigned int len)
{
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, len, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	/* sqe->zcrx_ifq_idx, which liburing's older header calls this */
	sqe->file_index = rx->zcrx_id;
}

void *zc_rx_cqe_data(const struct zc_rx *rx, const struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);

	return (char *)rx->area + (rc->off & ~IORING_ZCRX_AREA_MASK);
}

/* One entry into the refill ring; false if it is full. */
static bool rq_push(struct zc_rx *rx, const struct io_uring_zcrx_rqe *e)
{
	if (rx->rq_tail - __atomic_load_n(rx->khead, __ATOMIC_ACQUIRE) >
	    rx->rq_mask)
		return false;
	rx->rqes[rx->rq_tail & rx->rq_mask] = *e;
	__atomic_store_n(rx->ktail, ++rx->rq_tail, __ATOMIC_RELEASE);
	return true;
}

/*
 * The kernel reads the refill ring when it needs buffers, so a full ring
 * empties later: a return that finds it full waits in the backlog, and
 * goes in first next time.
 */
int zc_rx_return(struct zc_rx *rx, const struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);
	struct io_uring_zcrx_rqe e = {
		.off = (rc->off & ~IORING_ZCRX_AREA_MASK) | rx->token,
		.len = cqe->res,
	};
	if (!zc_rx_flush(rx) && rq_push(rx, &e))
		return 0;
	if (rx->nr_backlog == rx->max_backlog)
		return -ENOBUFS;
	rx->backlog[rx->nr_backlog++] = e;
	return 1;
}

int io_uring_register_zcrx_refill(struct io_uring *ring,
				  struct io_uring_zcrx_refill *arg)
{
	int ret = syscall(__NR_io_uring_register, ring->ring_fd,
			  IORING_REGISTER_ZCRX_REFILL, arg, 1);

	return ret < 0 ? -errno : ret;
}

int zc_rx_set_refill_policy(struct zc_rx *rx, const char *name)
{
	struct io_uring_zcrx_refill r = {
		.zcrx_id	= rx->zcrx_id,
		.flags		= IORING_ZCRX_REFILL_POLICY,
	};

	if (name && strlen(name) >= sizeof(r.name))
		return -EINVAL;
	if (name)
		strcpy(r.name, name);
	return io_uring_register_zcrx_refill(rx->ring, &r);
}

int zc_rx_arm(struct zc_rx *rx, unsigned int notifs)
{
	struct io_uring_zcrx_refill r = {
		.zcrx_id	= rx->zcrx_id,
		.flags		= IORING_ZCRX_REFILL_ARM,
		.notif_user_data = ZC_RX_NOTIF_UDATA,
		.notif_mask	= notifs,
	};
	int ret = io_uring_register_zcrx_refill(rx->ring, &r);

	if (!ret)
		rx->armed = r.notif_mask;
	return ret;
}

void zc_rx_on_notif(struct zc_rx *rx, zc_rx_notif_cb cb, void *arg)
{
	rx->notif_cb = cb;
	rx->notif_arg = arg;
}

unsigned long long zc_rx_notif_count(const struct zc_rx *rx,
				     unsigned int notif)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (notif == 1U << i)
			return rx->notifs[i];
	return 0;
}

/* Put the backlog into the refill ring; return: entries still waiting. */
int zc_rx_flush(struct zc_rx *rx)
{
	unsigned int i = 0;

	while (i < rx->nr_backlog && rq_push(rx, &rx->backlog[i]))
		i++;
	memmove(rx->backlog, rx->backlog + i,
		(rx->nr_backlog - i) * sizeof(*rx->backlog));
	rx->nr_backlog -= i;
	return rx->nr_backlog;
}

/* A notification CQE: count it, tell the application, arm it again. */
static int zc_rx_notif(struct zc_rx *rx, const struct io_uring_cqe *cqe)
{
	unsigned int n = cqe->res, i;

	for (i = 0; i < 3; i++)
		if (n == 1U << i)
			rx->notifs[i]++;
	rx->armed &= ~n;
	zc_rx_flush(rx);
	if (rx->notif_cb)
		rx->notif_cb(rx->notif_arg, n);
	return zc_rx_arm(rx, n);
}

static void zc_rx_rearm(struct zc_rx *rx, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(rx->ring);

	zc_rx_prep_recv(rx, sqe, fd, 0);
	io_uring_sqe_set_data64(sqe, (__u64)fd);
}

int zc_rx_recv_loop(struct zc_rx *rx, int fd, zc_rx_cb cb, void *arg)
{
	bool done = false;
	int res = 0;

	if (!io_uring_sq_space_left(rx->ring))
		return -EBUSY;
	zc_rx_rearm(rx, fd);
	while (!done) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int ret = io_uring_submit_and_wait(rx->ring, 1);

		if (ret < 0 && ret != -EINTR)
			return ret;
		io_uring_for_each_cqe(rx->ring, head, cqe) {
			seen++;
			if (zc_rx_cqe_is_notif(cqe)) {
				ret = zc_rx_notif(rx, cqe);
				if (ret && !res)
					res = ret;
				continue;
			}
			if (cqe->user_data != (__u64)fd)
				continue;
			if (!zc_rx_cqe_is_data(cqe)) {
				/*
				 * A full CQ, or no area buffer for the copy
				 * fallback (every one returned is back now):
				 * no data was lost, go on.
				 */
				if (cqe->res == -ENOSPC || cqe->res == -ENOMEM) {
					zc_rx_flush(rx);
					zc_rx_rearm(rx, fd);
					continue;
				}
				res = cqe->res;
				done = true;
				continue;
			}
			ret = cb(arg, zc_rx_cqe_data(rx, cqe), cqe->res,
				 zc_rx_cqe_copied(cqe));
			if (zc_rx_return(rx, cqe) < 0 && !res)
				res = -ENOBUFS;
			if (ret && !res)
				res = ret;
		}
		io_uring_cq_advance(rx->ring, seen);
	}
	return res;
}

unsigned int zc_rx_area_pages(const struct zc_rx *rx)
{
	return rx->area_len / sysconf(_SC_PAGESIZE);
}
