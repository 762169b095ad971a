/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zcrx tests' fixture and helpers, shared by zcrx.c and zcrx_refill.c:
 * a zcnic pair, tx%d/rx%d namespaces, 4 queues, tcp-data-split on B, the
 * tests' port steered to B's queue 3, which the ifq binds; an ifq with its
 * area and refill ring; streams of pat() checked byte by byte.
 *
 * Include after kselftest_harness.h, liburing.h and zc.h.
 */
#ifndef ZC_SELFTESTS_ZCRX_FIXTURE_H
#define ZC_SELFTESTS_ZCRX_FIXTURE_H

#include <stdarg.h>

#include "ynl.h"
#include "netdev-user.h"

#include "zc_test.h"
#include "zc_net.h"
#include "zc_pp.h"

#define NQ		4
#define ZQ		3
#define PORT		5401
#define AREA_PAGES	1024
#define RQ_ENTRIES	1024
#define RECV_TAG	0x2c7c

static const char *const zctool __attribute__((unused)) = "zc-ethtool";

static inline unsigned char pat(unsigned long long off)
{
	return (off * 7 + (off >> 12)) % 251;
}

/* ------------------------------------------------------------ the ifq */

struct zcrx {
	struct io_uring ring;
	void *area;
	size_t area_len;
	void *rq;
	size_t rq_len;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg areg;
	struct io_uring_region_desc rd;
	__u32 *khead, *ktail, rq_tail;
	struct io_uring_zcrx_rqe *rqes;
};

static inline int ring_init(struct io_uring *ring, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags, .cq_entries = 4096 };

	p.flags |= IORING_SETUP_CQSIZE;
	return io_uring_queue_init_params(256, ring, &p);
}

#define ZCRX_RING_FLAGS (IORING_SETUP_SINGLE_ISSUER | \
			 IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQE32 | \
			 IORING_SETUP_SUBMIT_ALL)

static inline int register_ifq(struct io_uring *ring, void *reg)
{
	int ret = syscall(__NR_io_uring_register, ring->ring_fd,
			  IORING_REGISTER_ZCRX_IFQ, reg, 1);

	return ret < 0 ? -errno : ret;
}

/* Buffers and descriptors for an ifq on @ifindex queue @rxq. */
static inline int ifq_prepare(struct zcrx *z, int ifindex, int rxq)
{
	memset(&z->reg, 0, sizeof(z->reg));
	memset(&z->areg, 0, sizeof(z->areg));
	memset(&z->rd, 0, sizeof(z->rd));
	z->area_len = AREA_PAGES * 4096UL;
	z->area = mmap(NULL, z->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	z->rq_len = 4096 + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	z->rq = mmap(NULL, z->rq_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->area == MAP_FAILED || z->rq == MAP_FAILED)
		return -ENOMEM;
	z->areg.addr = (uintptr_t)z->area;
	z->areg.len = z->area_len;
	z->rd.user_addr = (uintptr_t)z->rq;
	z->rd.size = z->rq_len;
	z->rd.flags = IORING_MEM_REGION_TYPE_USER;
	z->reg.if_idx = ifindex;
	z->reg.if_rxq = rxq;
	z->reg.rq_entries = RQ_ENTRIES;
	z->reg.area_ptr = (uintptr_t)&z->areg;
	z->reg.region_ptr = (uintptr_t)&z->rd;
	return 0;
}

/* Register the prepared @z on its ring; find the refill ring in @rq. */
static inline int ifq_register(struct zcrx *z, void *rq)
{
	int ret = register_ifq(&z->ring, &z->reg);

	if (ret)
		return ret;
	z->khead = rq + z->reg.offsets.head;
	z->ktail = rq + z->reg.offsets.tail;
	z->rqes = rq + z->reg.offsets.rqes;
	z->rq_tail = 0;
	return 0;
}

static inline int ifq_setup(struct zcrx *z, int ifindex, int rxq)
{
	int ret = ifq_prepare(z, ifindex, rxq);

	if (!ret)
		ret = ring_init(&z->ring, ZCRX_RING_FLAGS);
	return ret ?: ifq_register(z, z->rq);
}

static inline void ifq_free(struct zcrx *z)
{
	io_uring_queue_exit(&z->ring);
	munmap(z->area, z->area_len);
	munmap(z->rq, z->rq_len);
}

static inline void ifq_return(struct zcrx *z, __u64 off, __u32 len)
{
	struct io_uring_zcrx_rqe *rqe;

	rqe = &z->rqes[z->rq_tail & (z->reg.rq_entries - 1)];
	rqe->off = (off & ~IORING_ZCRX_AREA_MASK) | z->areg.rq_area_token;
	rqe->len = len;
	rqe->__pad = 0;
	z->rq_tail++;
	__atomic_store_n(z->ktail, z->rq_tail, __ATOMIC_RELEASE);
}

static inline void arm_recv(struct zcrx *z, int fd, unsigned int len, __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);

	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, len, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = 0;
	sqe->user_data = tag;
}

/*
 * Scan the ring's fdinfo with @fmt, line by line: 0 when a line filled
 * @nfields of its fields (the last such line counts), else -ENOENT.
 */
static inline int fdinfo_scanf(struct zcrx *z, int nfields,
			       const char *fmt, ...)
{
	char path[64], line[256];
	int found = -ENOENT;
	va_list ap, aq;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", z->ring.ring_fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	va_start(ap, fmt);
	while (fgets(line, sizeof(line), f)) {
		va_copy(aq, ap);
		if (vsscanf(line, fmt, aq) == nfields)
			found = 0;
		va_end(aq);
	}
	va_end(ap);
	fclose(f);
	return found;
}

/* A field of the ring's fdinfo, "Name:\t<number> ...": the number, or -1. */
static inline long long fdinfo_num(struct zcrx *z, const char *name)
{
	long long v = -1;
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "%s: %%lld", name);
	return fdinfo_scanf(z, 1, fmt, &v) ? -1 : v;
}

/* fdinfo's "ZcrxArea: N pages, F free, H held by user": H, or -1. */
static inline long long fdinfo_held(struct zcrx *z)
{
	unsigned long long pages, held;
	unsigned int free;

	if (fdinfo_scanf(z, 3, "ZcrxArea: %llu pages, %u free, %llu held",
			 &pages, &free, &held))
		return -1;
	return held;
}

/* Print the ring's Zcrx fdinfo lines, to say why a check failed. */
static inline void fdinfo_dump(struct zcrx *z)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", z->ring.ring_fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Zcrx", 4))
			fprintf(stderr, "# %s", line);
	fclose(f);
}

struct rx_result {
	unsigned long long bytes, bad, outside, cqes, copied_cqes, enospc;
	unsigned long long enomem;
	int final;		/* res of the CQE without F_MORE */
	bool done;
};

/* How a receiver treats the buffers it got. */
enum { RET_ONCE, RET_TWICE, RET_NEVER, RET_HOOK };

/* Called with every CQE before the drain loop looks at it. */
typedef void (*rx_hook)(void *arg, struct zcrx *z,
			const struct io_uring_cqe *cqe);

/*
 * Receive on @n connections until each ends (EOF or an error), checking
 * every byte against pat() of its stream, and return buffers as @ret
 * says.  A request that ends in -ENOSPC (the CQ was full) is re-armed.
 */
static inline void ifq_drain_hook(struct zcrx *z, const int *fds, int n,
				  struct rx_result *r, int ret, rx_hook hook,
				  void *arg)
{
	int i, left = n;

	memset(r, 0, n * sizeof(*r));
	for (i = 0; i < n; i++)
		arm_recv(z, fds[i], 0, RECV_TAG + i);
	while (left) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (io_uring_submit_and_wait(&z->ring, 1) < 0) {
			r[0].final = -EIO;
			return;
		}
		io_uring_for_each_cqe(&z->ring, head, cqe) {
			struct io_uring_zcrx_cqe *rc = (void *)(cqe + 1);
			__u64 off = rc->off & ~IORING_ZCRX_AREA_MASK;
			unsigned char *p = z->area + off;
			struct rx_result *rr;
			int k;

			seen++;
			if (hook)
				hook(arg, z, cqe);
			i = cqe->user_data - RECV_TAG;
			if (i < 0 || i >= n)
				continue;
			rr = &r[i];
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				if (cqe->res == -ENOSPC) {
					rr->enospc++;
					arm_recv(z, fds[i], 0, RECV_TAG + i);
					continue;
				}
				/*
				 * No area buffer to copy data from reserve
				 * pages into: the receiver returns buffers as
				 * it goes, so try again.
				 */
				if (cqe->res == -ENOMEM && ret != RET_NEVER) {
					rr->enomem++;
					arm_recv(z, fds[i], 0, RECV_TAG + i);
					continue;
				}
				rr->final = cqe->res;
				rr->done = true;
				left--;
				continue;
			}
			rr->cqes++;
			rr->copied_cqes += !!(rc->__pad & IORING_ZCRX_CQE_COPIED);
			if (off + cqe->res > z->area_len) {
				rr->outside++;
				continue;
			}
			for (k = 0; k < cqe->res; k++)
				rr->bad += p[k] != pat(rr->bytes + k);
			rr->bytes += cqe->res;
			if (ret == RET_ONCE || ret == RET_TWICE)
				ifq_return(z, rc->off, cqe->res);
			if (ret == RET_TWICE)
				ifq_return(z, rc->off, cqe->res);
		}
		io_uring_cq_advance(&z->ring, seen);
	}
}

static inline void ifq_drain_n(struct zcrx *z, const int *fds, int n,
			       struct rx_result *r, int ret)
{
	ifq_drain_hook(z, fds, n, r, ret, NULL, NULL);
}

static inline void ifq_drain(struct zcrx *z, int fd, struct rx_result *r)
{
	ifq_drain_n(z, &fd, 1, r, RET_ONCE);
}

/* Arm RECV_ZC on @fd and take @n CQEs, returning no buffer. */
static inline void hold_buffers(struct zcrx *z, int fd, unsigned int n)
{
	struct io_uring_cqe *cqe;

	arm_recv(z, fd, 0, RECV_TAG);
	while (n && !io_uring_submit_and_wait(&z->ring, 1) &&
	       !io_uring_peek_cqe(&z->ring, &cqe)) {
		n--;
		io_uring_cqe_seen(&z->ring, cqe);
	}
}

/* ---------------------------------------------------------- endpoints */

/* A child in netns @ns that sends @len bytes of pat() to @addr. */
static inline pid_t sender(const char *ns, const char *addr, int port, size_t len)
{
	return zc_pattern_sender(ns, addr, port, len, pat);
}

/*
 * Zero-copy is exact only while the area outlasts everything that can
 * hold its buffers at once: the NIC ring (256), the pool's cache (128),
 * and the receive queues of the sockets.  When the receiver stalls (a
 * busy host deschedules its vCPU), TCP fills a default 6 MiB receive
 * buffer with about 1300 4 KiB buffers, more than a 1024-buffer area;
 * the pool then finds none for IO_ZCRX_STUCK and lends kernel pages,
 * whose data is copied.  Tests that count a copy as a failure bound each
 * receive buffer with this instead; the kernel doubles it to 512 KiB of
 * truesize, about 110 packets, which leaves room for three streams.
 */
#define EXACT_RCVBUF	(256 << 10)

FIXTURE(zcrx) {
	struct zc_pair p;
	int ifb;
	int old_ns;
	int rcvbuf;	/* SO_RCVBUF of the streams' listener, 0: default */
};

FIXTURE_SETUP(zcrx)
{
	ASSERT_EQ(0, zc_pair_create(&self->p, getpid(), NQ));
	ASSERT_EQ(0, zc_sh("ip netns exec %s %s -G %s tcp-data-split on",
			   self->p.nsb, zctool, self->p.b));
	ASSERT_EQ(0, zc_sh("ip netns exec %s ethtool -X %s equal %d && "
			   "ip netns exec %s ethtool -N %s flow-type tcp4 dst-port %d action %d >/dev/null && "
			   "ip netns exec %s ethtool -N %s flow-type tcp6 dst-port %d action %d >/dev/null",
			   self->p.nsb, self->p.b, ZQ, self->p.nsb, self->p.b,
			   PORT, ZQ, self->p.nsb, self->p.b, PORT, ZQ));
	/* The receiver, and so the registration, lives in B's netns. */
	self->old_ns = zc_ns_enter(self->p.nsb);
	self->ifb = if_nametoindex(self->p.b);
	ASSERT_NE(0, self->ifb);
}

FIXTURE_TEARDOWN(zcrx)
{
	zc_ns_leave(self->old_ns);
	zc_pair_unplug(&self->p);
	/* Every page the pools handed out came back: kernel refs exact. */
	EXPECT_EQ(0, zc_pair_drain_pools(&self->p));
	zc_pair_netns_del(&self->p);
}

/*
 * A stream of @len bytes from A (or @sns) to @addr:@port, accepted in B:
 * its socket, with the listener in *@lfd and the sender in *@pid.
 */
static inline int accept_stream(FIXTURE_DATA(zcrx) *self, int family,
			 const char *sns, const char *addr, int port,
			 size_t len, int *lfd, pid_t *pid)
{
	*lfd = zc_listener(self->p.nsb, family, port);
	if (*lfd < 0)
		return *lfd;
	/* Accepted sockets inherit it, and their window scale from it. */
	if (self->rcvbuf &&
	    setsockopt(*lfd, SOL_SOCKET, SO_RCVBUF, &self->rcvbuf,
		       sizeof(self->rcvbuf))) {
		int err = -errno;

		close(*lfd);
		return err;
	}
	*pid = sender(sns, addr, port, len);
	return zc_accept_in(*lfd, 20000);
}

/* One stream of @len bytes to @addr:PORT, received with RECV_ZC. */
/*
 * A stream of @len bytes from @sns to @addr, received on @z and returned
 * as @ret says; it must arrive whole and intact.
 */
static inline void stream_hook(struct __test_metadata *_metadata,
			       FIXTURE_DATA(zcrx) *self, struct zcrx *z,
			       int family, const char *addr, const char *sns,
			       size_t len, int ret, struct rx_result *r,
			       rx_hook hook, void *arg)
{
	int lfd, cfd;
	pid_t pid;

	cfd = accept_stream(self, family, sns, addr, PORT, len, &lfd, &pid);
	ASSERT_LE(0, cfd);
	ifq_drain_hook(z, &cfd, 1, r, ret, hook, arg);
	EXPECT_EQ(0, zc_wait_child(pid));
	EXPECT_EQ(0, r->final);
	EXPECT_EQ(len, r->bytes);
	EXPECT_EQ(0, r->bad);
	EXPECT_EQ(0, r->outside);
	close(cfd);
	close(lfd);
}

static inline void stream_from(struct __test_metadata *_metadata,
			       FIXTURE_DATA(zcrx) *self, struct zcrx *z,
			       int family, const char *addr, const char *sns,
			       size_t len, int ret, struct rx_result *r)
{
	stream_hook(_metadata, self, z, family, addr, sns, len, ret, r, NULL,
		    NULL);
}

/* The usual stream: A to B's IPv4 address over the zcnic pair. */
static inline void stream_on(struct __test_metadata *_metadata,
		      FIXTURE_DATA(zcrx) *self, struct zcrx *z, size_t len,
		      int ret, struct rx_result *r)
{
	stream_from(_metadata, self, z, AF_INET, "10.9.0.2", self->p.nsa, len,
		    ret, r);
}

static inline void stream(struct __test_metadata *_metadata, FIXTURE_DATA(zcrx) *self,
		   int family, const char *addr, const char *sns, size_t len,
		   bool expect_zc)
{
	struct rx_result r;
	struct zcrx z;

	self->rcvbuf = EXACT_RCVBUF;
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	stream_from(_metadata, self, &z, family, addr, sns, len, RET_ONCE, &r);
	if (expect_zc) {
		EXPECT_EQ(0, fdinfo_num(&z, "ZcrxCopied"));
		EXPECT_EQ(len, fdinfo_num(&z, "ZcrxZeroCopy"));
		EXPECT_EQ(0, r.copied_cqes);
	} else {
		EXPECT_EQ(len, fdinfo_num(&z, "ZcrxCopied"));
		EXPECT_EQ(0, fdinfo_num(&z, "ZcrxZeroCopy"));
		EXPECT_EQ(r.cqes, r.copied_cqes);
	}
	if (!__test_passed(_metadata))
		fdinfo_dump(&z);
	ifq_free(&z);
}

/* zc_rx_recv_loop()'s callback: check the bytes against pat(). */
struct loop_check {
	unsigned long long bytes, bad, copied;
};

static inline int loop_cb(void *arg, const void *data, unsigned int len,
		   bool copied)
{
	struct loop_check *c = arg;
	const unsigned char *p = data;
	unsigned int i;

	for (i = 0; i < len; i++)
		c->bad += p[i] != pat(c->bytes + i);
	c->bytes += len;
	c->copied += copied ? len : 0;
	return 0;
}

#endif
