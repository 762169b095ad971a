// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive (zcrx) with upstream 6.15's user ABI, on a
 * zcnic pair: tx%d/rx%d namespaces, 4 queues, tcp-data-split on B, the
 * test's port steered to B's queue 3, which the ifq binds.
 *
 * stream_*: a TCP stream checked byte by byte (1 GiB of it under make
 * check-full).  On zcnic every payload
 * byte comes zero-copy, at an offset inside the area, and fdinfo's copy
 * counter stays 0; over loopback every byte takes the copy fallback.
 * register_*, recv_bad_*: bad input gets upstream's errno.
 * rebind_*: the queue can be bound again as soon as a ring is closed or
 * its process killed while it holds buffers and data is in flight.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>	/* before liburing.h: the zcrx ABI */
#include <liburing.h>

#include "zc.h"

#include "kselftest_harness.h"

#include "lib/zcrx_fixture.h"

static int try_register(struct zcrx *z, unsigned int ring_flags);

TEST_F_TIMEOUT(zcrx, stream_ipv4_zero_copy, 300)
{
	stream(_metadata, self, AF_INET, "10.9.0.2", self->p.nsa, 32 << 20,
	       true);
}

TEST_F_TIMEOUT(zcrx, stream_ipv6_zero_copy, 300)
{
	stream(_metadata, self, AF_INET6, "fd00::2", self->p.nsa, 16 << 20,
	       true);
}

/*
 * Bulk integrity: 64 MiB under the debug kernel's KASAN, 1 GiB under
 * make check-full (ZC_TEST_FULL=1, on the stock kernel).
 */
TEST_F_TIMEOUT(zcrx, stream_bulk_integrity, 300)
{
	const char *full = getenv("ZC_TEST_FULL");
	size_t len = full && *full == '1' ? 1UL << 30 : 64UL << 20;

	stream(_metadata, self, AF_INET, "10.9.0.2", self->p.nsa, len, true);
}

/*
 * libzc end to end: zc_rx_steer() sets the NIC up from code (header split
 * off first, RSS and a rule for a new port), zc_rx_new() binds an area
 * with a kernel refill ring, zc_rx_recv_loop() receives.  The area is
 * the fixture's size, not smaller: see EXACT_RCVBUF.
 */
TEST_F_TIMEOUT(zcrx, libzc_steer_and_recv_loop, 300)
{
	struct zc_rx_params p = {
		.ifindex = self->ifb, .rxq = ZQ, .area_size = AREA_PAGES * 4096,
		.flags = ZC_RX_KERNEL_RQ,
	};
	unsigned short port = PORT + 10;
	struct loop_check c = {};
	struct io_uring ring;
	struct zc_rx *rx;
	int lfd, cfd, err;
	pid_t pid;

	ASSERT_EQ(0, zc_rx_set_header_split(self->p.b, false));
	ASSERT_EQ(-EINVAL, zc_rx_steer(self->p.b, 0, &port, 1, 0));
	ASSERT_EQ(0, zc_rx_steer(self->p.b, ZQ, &port, 1, 0));
	ASSERT_EQ(0, ring_init(&ring, ZCRX_RING_FLAGS));
	rx = zc_rx_new(&ring, &p, &err);
	ASSERT_NE(NULL, rx);
	EXPECT_EQ(AREA_PAGES, zc_rx_area_pages(rx));
	self->rcvbuf = EXACT_RCVBUF;
	cfd = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2", port,
			    16 << 20, &lfd, &pid);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(0, zc_rx_recv_loop(rx, cfd, loop_cb, &c));
	EXPECT_EQ(0, zc_wait_child(pid));
	EXPECT_EQ(16 << 20, c.bytes);
	EXPECT_EQ(0, c.bad);
	/* Steered to the bound queue, split: nothing copied. */
	EXPECT_EQ(0, c.copied);
	close(cfd);
	close(lfd);
	io_uring_queue_exit(&ring);
	zc_rx_free(rx);
}

/* Loopback in B's netns: the same ifq, every byte copied. */
TEST_F_TIMEOUT(zcrx, stream_loopback_copy_fallback, 300)
{
	ASSERT_EQ(0, zc_sh("ip link set lo up"));
	stream(_metadata, self, AF_INET, "127.0.0.1", NULL, 8 << 20, false);
}

/* Steer @port to ZQ as well (the fixture steers PORT). */
static int steer_port(FIXTURE_DATA(zcrx) *self, int port)
{
	return zc_sh("ip netns exec %s ethtool -N %s flow-type tcp4 dst-port %d action %d >/dev/null",
		     self->p.nsb, self->p.b, port, ZQ);
}

/* Three streams at once on one ifq, each checked against its own bytes. */
TEST_F_TIMEOUT(zcrx, several_connections, 300)
{
	int lfd[3], cfd[3], i;
	struct rx_result r[3];
	pid_t pid[3];
	struct zcrx z;

	self->rcvbuf = EXACT_RCVBUF;
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	for (i = 0; i < 3; i++) {
		if (i)
			ASSERT_EQ(0, steer_port(self, PORT + i));
		cfd[i] = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2",
				       PORT + i, (4 + i) << 20, &lfd[i],
				       &pid[i]);
		ASSERT_LE(0, cfd[i]);
	}
	ifq_drain_n(&z, cfd, 3, r, RET_ONCE);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, zc_wait_child(pid[i]));
		EXPECT_EQ(0, r[i].final);
		EXPECT_EQ((4 + i) << 20, r[i].bytes);
		EXPECT_EQ(0, r[i].bad);
		EXPECT_EQ(0, r[i].copied_cqes);
		close(cfd[i]);
		close(lfd[i]);
	}
	/* Returned, but the kernel reads the refill ring lazily. */
	EXPECT_EQ(z.rq_tail - *z.khead, fdinfo_held(&z));
	ifq_free(&z);
}

/* An area of 2 MiB huge pages. */
TEST_F_TIMEOUT(zcrx, hugepage_area, 300)
{
	struct rx_result r;
	struct zcrx z;

	ASSERT_EQ(0, zc_sh("echo 4 > /proc/sys/vm/nr_hugepages"));
	ASSERT_EQ(0, ifq_prepare(&z, self->ifb, ZQ));
	munmap(z.area, z.area_len);
	z.area_len = 4 << 20;
	z.area = mmap(NULL, z.area_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, z.area);
	z.areg.addr = (uintptr_t)z.area;
	z.areg.len = z.area_len;
	ASSERT_EQ(0, ring_init(&z.ring, ZCRX_RING_FLAGS));
	ASSERT_EQ(0, ifq_register(&z, z.rq));

	self->rcvbuf = EXACT_RCVBUF;
	stream_on(_metadata, self, &z, 16 << 20, RET_ONCE, &r);
	EXPECT_EQ(0, r.copied_cqes);
	ifq_free(&z);
}

/*
 * Garbage in the refill ring (another area, a non-zero pad, an index past
 * the area, a buffer never handed out) and every buffer returned twice:
 * the kernel skips what is not a buffer the application holds, and the
 * stream is intact.
 */
TEST_F_TIMEOUT(zcrx, refill_garbage_and_double_return, 300)
{
	struct rx_result r;
	struct zcrx z;
	int i;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	for (i = 0; i < 64; i++) {
		struct io_uring_zcrx_rqe *rqe = &z.rqes[z.rq_tail++ &
						      (RQ_ENTRIES - 1)];

		switch (i % 4) {
		case 0:
			rqe->off = 1ULL << IORING_ZCRX_AREA_SHIFT;
			rqe->__pad = 0;
			break;
		case 1:
			rqe->off = 0;
			rqe->__pad = 1;
			break;
		case 2:
			rqe->off = (AREA_PAGES + i) * 4096ULL;
			rqe->__pad = 0;
			break;
		default:
			rqe->off = i * 4096ULL;
			rqe->__pad = 0;
			break;
		}
		rqe->len = 4096;
	}
	__atomic_store_n(z.ktail, z.rq_tail, __ATOMIC_RELEASE);

	stream_on(_metadata, self, &z, 24 << 20, RET_TWICE, &r);
	/* Each buffer counts once, however often it sits in the ring. */
	EXPECT_GE((z.rq_tail - *z.khead) / 2, fdinfo_held(&z));
	ifq_free(&z);
}

/*
 * Buffers the application holds are counted, and are what it has not
 * returned: the user references are exact.
 */
TEST_F_TIMEOUT(zcrx, user_refs_exact, 300)
{
	struct rx_result r;
	struct zcrx z;
	int lfd, cfd;
	pid_t pid;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	/* Less than the area: it all fits without returning anything. */
	cfd = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2", PORT,
			    1 << 20, &lfd, &pid);
	ASSERT_LE(0, cfd);
	ifq_drain_n(&z, &cfd, 1, &r, RET_NEVER);
	EXPECT_EQ(0, zc_wait_child(pid));
	EXPECT_EQ(0, r.final);
	EXPECT_EQ(1 << 20, r.bytes);
	EXPECT_EQ(r.cqes, fdinfo_held(&z));
	close(cfd);
	close(lfd);
	ifq_free(&z);
}

/*
 * RECV_ZC's data CQEs answer no SQE of their own: a drained request
 * submitted after the receive ended must still run, and at once.
 */
TEST_F_TIMEOUT(zcrx, io_drain_after_recv, 300)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct rx_result r;
	struct zcrx z;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	stream_on(_metadata, self, &z, 1 << 20, RET_ONCE, &r);
	ASSERT_LT(1, r.cqes);
	sqe = io_uring_get_sqe(&z.ring);
	io_uring_prep_nop(sqe);
	sqe->flags |= IOSQE_IO_DRAIN;
	sqe->user_data = 7;
	ASSERT_EQ(1, io_uring_submit(&z.ring));
	ASSERT_EQ(0, io_uring_wait_cqe_timeout(&z.ring, &cqe, &ts));
	EXPECT_EQ(7, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	io_uring_cqe_seen(&z.ring, cqe);
	ifq_free(&z);
}

/*
 * A CQ far smaller than what one issue posts: the request ends with
 * -ENOSPC, is re-armed, and the stream is intact.
 */
TEST_F_TIMEOUT(zcrx, cq_overflow_rearm, 300)
{
	struct io_uring_params p = { .flags = ZCRX_RING_FLAGS };
	struct rx_result r;
	struct zcrx z;

	ASSERT_EQ(0, ifq_prepare(&z, self->ifb, ZQ));
	ASSERT_EQ(0, io_uring_queue_init_params(4, &z.ring, &p));
	ASSERT_EQ(0, ifq_register(&z, z.rq));
	stream_on(_metadata, self, &z, 8 << 20, RET_ONCE, &r);
	EXPECT_LT(0, r.enospc);
	ifq_free(&z);
}

/* A veth pair next to the zcnic pair: every byte takes the copy path. */
TEST_F_TIMEOUT(zcrx, stream_veth_copy_fallback, 300)
{
	ASSERT_EQ(0, zc_sh("ip link add zv%d netns %s type veth peer name zw%d netns %s && "
			   "ip -n %s addr add 10.10.0.1/24 dev zv%d && ip -n %s link set zv%d up && "
			   "ip -n %s addr add 10.10.0.2/24 dev zw%d && ip -n %s link set zw%d up",
			   getpid(), self->p.nsa, getpid(), self->p.nsb,
			   self->p.nsa, getpid(), self->p.nsa, getpid(),
			   self->p.nsb, getpid(), self->p.nsb, getpid()));
	stream(_metadata, self, AF_INET, "10.10.0.2", self->p.nsa, 8 << 20,
	       false);
}

/*
 * Device events while bound, under traffic: down and up, an MTU change.
 * The stream survives (TCP retransmits what the device dropped), and a
 * channel count that would remove the bound queue is refused.
 */
TEST_F_TIMEOUT(zcrx, device_events_under_traffic, 300)
{
	struct rx_result r;
	unsigned int rxq;
	pid_t pid, ev;
	struct zcrx z;
	int lfd, cfd, bound;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	EXPECT_NE(0, zc_sh("ethtool -L %s combined 2 2>/dev/null", self->p.b));
	cfd = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2", PORT,
			    48 << 20, &lfd, &pid);
	ASSERT_LE(0, cfd);
	ev = fork();
	if (!ev) {
		int i;

		for (i = 0; i < 3; i++) {
			usleep(300000);
			zc_sh("ip link set %s down; sleep 0.1; ip link set %s up",
			      self->p.b, self->p.b);
			usleep(300000);
			zc_sh("ip link set %s mtu 4000; sleep 0.1; ip link set %s mtu 1500",
			      self->p.b, self->p.b);
		}
		_exit(0);
	}
	ifq_drain(&z, cfd, &r);
	EXPECT_EQ(0, zc_wait_child(ev));
	EXPECT_EQ(0, zc_wait_child(pid));
	EXPECT_EQ(0, r.final);
	EXPECT_EQ(48 << 20, r.bytes);
	EXPECT_EQ(0, r.bad);
	/* Still bound to its queue, through every event. */
	ASSERT_EQ(0, fdinfo_scanf(&z, 2, "ZcrxIfq: if_idx %*u rxq %u bound %d",
				  &rxq, &bound));
	EXPECT_EQ(ZQ, rxq);
	EXPECT_EQ(1, bound);
	close(cfd);
	close(lfd);
	ifq_free(&z);
}

/*
 * The device goes away (unregistered, or moved to another netns) while
 * bound, with buffers held and a stream in flight; the ring then closes
 * cleanly.
 */
static void device_gone(struct __test_metadata *_metadata,
			FIXTURE_DATA(zcrx) *self, bool unplug)
{
	struct zcrx z;
	int lfd, cfd;
	pid_t pid;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	cfd = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2", PORT,
			    256 << 20, &lfd, &pid);
	ASSERT_LE(0, cfd);
	hold_buffers(&z, cfd, 64);
	if (unplug)
		zc_pair_unplug(&self->p);
	else
		ASSERT_EQ(0, zc_sh("ip netns add zm%d && ip link set %s netns zm%d",
				   getpid(), self->p.b, getpid()));
	kill(pid, SIGKILL);
	zc_wait_child(pid);
	EXPECT_LT(0, fdinfo_held(&z));
	close(cfd);
	close(lfd);
	ifq_free(&z);
	if (!unplug)
		zc_sh("ip netns del zm%d", getpid());
}

TEST_F_TIMEOUT(zcrx, device_unregistered_while_bound, 300)
{
	device_gone(_metadata, self, true);
}

TEST_F_TIMEOUT(zcrx, device_netns_move_while_bound, 300)
{
	device_gone(_metadata, self, false);
}

/*
 * As a user with CAP_NET_ADMIN only: the area and the refill ring are
 * charged to RLIMIT_MEMLOCK (an area past it is refused), and the locked
 * memory returns to its baseline after the ring closes.
 */
static int become_nobody_with_net_admin(rlim_t memlock)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	struct rlimit rl = { memlock, memlock };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) ||
	    setresgid(ZC_UNPRIV_GID, ZC_UNPRIV_GID, ZC_UNPRIV_GID) ||
	    setresuid(ZC_UNPRIV_UID, ZC_UNPRIV_UID, ZC_UNPRIV_UID) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	data[0].effective = data[0].permitted = 1U << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return zc_have_cap(CAP_IPC_LOCK) || !zc_have_cap(CAP_NET_ADMIN) ?
	       -EPERM : 0;
}

#define CHILD_CHECK(cond, code) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: %s\n", __FILE__, __LINE__, #cond);\
		_exit(code);						\
	}								\
} while (0)

/* In a child: the teardown needs root back. */
static int unprivileged_memlock_child(int ifindex)
{
	long base, during, after = -1;
	struct zcrx z;
	int i;

	/* 4 MiB area + 5 pages of refill ring, under an 8 MiB limit. */
	CHILD_CHECK(!become_nobody_with_net_admin(8 << 20), 10);
	base = zc_status_kb("VmPin");
	CHILD_CHECK(base >= 0, 11);

	CHILD_CHECK(!ifq_prepare(&z, ifindex, ZQ), 12);
	munmap(z.area, z.area_len);
	z.area_len = 16 << 20;
	z.area = mmap(NULL, z.area_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	z.areg.addr = (uintptr_t)z.area;
	z.areg.len = z.area_len;
	CHILD_CHECK(try_register(&z, ZCRX_RING_FLAGS) == -ENOMEM, 13);
	CHILD_CHECK(zc_status_kb("VmPin") == base, 14);
	munmap(z.area, z.area_len);
	munmap(z.rq, z.rq_len);

	CHILD_CHECK(!ifq_setup(&z, ifindex, ZQ), 15);
	during = zc_status_kb("VmPin");
	fprintf(stderr, "# VmPin: %ld kB before, %ld kB bound\n", base, during);
	CHILD_CHECK(during == base + AREA_PAGES * 4 + (long)(z.rq_len >> 10),
		    16);
	ifq_free(&z);
	/* The area is released once its page pool lets go of it. */
	for (i = 0; i < 50; i++) {
		after = zc_status_kb("VmPin");
		if (after == base)
			break;
		usleep(100000);
	}
	CHILD_CHECK(after == base, 17);
	return 0;
}

TEST_F_TIMEOUT(zcrx, unprivileged_memlock, 300)
{
	pid_t pid = fork();

	if (!pid)
		_exit(unprivileged_memlock_child(self->ifb));
	EXPECT_EQ(0, zc_wait_child(pid));
}

/* ----------------------------------------------------------- bad input */

static int try_register(struct zcrx *z, unsigned int ring_flags)
{
	struct io_uring ring;
	int ret = ring_init(&ring, ring_flags);

	if (ret)
		return ret;
	ret = register_ifq(&ring, &z->reg);
	io_uring_queue_exit(&ring);
	return ret;
}

TEST_F(zcrx, register_bad_input)
{
	struct io_uring ring;
	void *ro, *none;
	struct zcrx z;

	ASSERT_EQ(0, ifq_prepare(&z, self->ifb, ZQ));
	EXPECT_EQ(-EINVAL, try_register(&z, IORING_SETUP_CQE32));
	EXPECT_EQ(-EINVAL, try_register(&z, IORING_SETUP_SINGLE_ISSUER |
					IORING_SETUP_DEFER_TASKRUN));

	z.reg.rq_entries = 0;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.rq_entries = 65536;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.rq_entries = RQ_ENTRIES;
	z.reg.__resv[1] = 1;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.__resv[1] = 0;
	z.reg.flags = 1;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.flags = 0;
	z.reg.zcrx_id = 1;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.zcrx_id = 0;

	z.reg.region_ptr = 0;
	EXPECT_EQ(-EFAULT, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.region_ptr = (uintptr_t)&z.rd;
	z.rd.size = 4096;	/* too small for 1024 entries */
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.rd.size = z.rq_len;

	z.reg.area_ptr = 0;
	EXPECT_EQ(-EFAULT, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.area_ptr = (uintptr_t)&z.areg;
	z.areg.addr = 0;
	EXPECT_EQ(-EFAULT, try_register(&z, ZCRX_RING_FLAGS));
	z.areg.addr = (uintptr_t)z.area + 1;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.areg.addr = (uintptr_t)z.area;
	z.areg.len = 4095;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.areg.len = z.area_len;
	z.areg.rq_area_token = 1;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.areg.rq_area_token = 0;

	ro = mmap(NULL, 16 << 12, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, 16 << 12, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	z.areg.len = 16 << 12;
	z.areg.addr = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, try_register(&z, ZCRX_RING_FLAGS));
	z.areg.addr = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, try_register(&z, ZCRX_RING_FLAGS));
	/* Unmapped once the ring is there: its rings may take the hole. */
	ASSERT_EQ(0, ring_init(&ring, ZCRX_RING_FLAGS));
	munmap(none, 16 << 12);
	EXPECT_EQ(-EFAULT, register_ifq(&ring, &z.reg));
	io_uring_queue_exit(&ring);
	munmap(ro, 16 << 12);
	z.areg.addr = (uintptr_t)z.area;
	z.areg.len = z.area_len;

	z.reg.if_idx = 0x7fffffff;
	EXPECT_EQ(-ENODEV, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.if_idx = self->ifb;
	z.reg.if_rxq = -1;
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.if_rxq = NQ;
	EXPECT_EQ(-ERANGE, try_register(&z, ZCRX_RING_FLAGS));
	z.reg.if_rxq = ZQ;
	/* The queue must split headers from payload. */
	ASSERT_EQ(0, zc_sh("%s -G %s tcp-data-split off", zctool, self->p.b));
	EXPECT_EQ(-EINVAL, try_register(&z, ZCRX_RING_FLAGS));
	ASSERT_EQ(0, zc_sh("%s -G %s tcp-data-split on", zctool, self->p.b));
	EXPECT_EQ(0, try_register(&z, ZCRX_RING_FLAGS));
	munmap(z.area, z.area_len);
	munmap(z.rq, z.rq_len);
}

/* A queue is bound once: the same ring or another gets an error. */
TEST_F(zcrx, register_twice)
{
	struct zcrx a, b;

	ASSERT_EQ(0, ifq_setup(&a, self->ifb, ZQ));
	EXPECT_EQ(-EBUSY, register_ifq(&a.ring, &a.reg));
	ASSERT_EQ(0, ifq_prepare(&b, self->ifb, ZQ));
	EXPECT_EQ(-EEXIST, try_register(&b, ZCRX_RING_FLAGS));
	/* Another queue on another ring is fine. */
	b.reg.if_rxq = ZQ - 1;
	EXPECT_EQ(0, try_register(&b, ZCRX_RING_FLAGS));
	ifq_free(&a);
	/* Closed: bound again at once. */
	b.reg.if_rxq = ZQ;
	EXPECT_EQ(0, try_register(&b, ZCRX_RING_FLAGS));
	munmap(b.area, b.area_len);
	munmap(b.rq, b.rq_len);
}

/* The kernel-allocated refill ring, mmap()ed at the offset it returns. */
TEST_F(zcrx, region_mmap)
{
	struct rx_result r;
	struct zcrx z;
	void *rq;

	ASSERT_EQ(0, ifq_prepare(&z, self->ifb, ZQ));
	z.rd.user_addr = 0;
	z.rd.flags = 0;
	ASSERT_EQ(0, ring_init(&z.ring, ZCRX_RING_FLAGS));
	ASSERT_EQ(0, register_ifq(&z.ring, &z.reg));
	ASSERT_NE(0, z.rd.mmap_offset);
	rq = mmap(NULL, z.rq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		  z.ring.ring_fd, z.rd.mmap_offset);
	ASSERT_NE(MAP_FAILED, rq);
	munmap(z.rq, z.rq_len);
	z.rq = rq;
	z.khead = rq + z.reg.offsets.head;
	z.ktail = rq + z.reg.offsets.tail;
	z.rqes = rq + z.reg.offsets.rqes;
	z.rq_tail = 0;

	/* More than the area: the stream needs the refill ring to work. */
	stream_on(_metadata, self, &z, 3 * AREA_PAGES * 4096UL, RET_ONCE, &r);
	EXPECT_NE(0, *z.khead);
	ifq_free(&z);
}

static int recv_once(struct zcrx *z, int fd, unsigned int ifq_idx,
		     unsigned int ioprio, struct io_uring_cqe *out)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, 0, 0);
	sqe->ioprio = ioprio;
	sqe->zcrx_ifq_idx = ifq_idx;
	sqe->user_data = RECV_TAG;
	io_uring_submit(&z->ring);
	ret = io_uring_wait_cqe(&z->ring, &cqe);
	if (ret)
		return ret;
	*out = *cqe;
	io_uring_cqe_seen(&z->ring, cqe);
	return 0;
}

TEST_F(zcrx, recv_bad_input)
{
	struct io_uring_cqe cqe;
	struct zcrx z;
	int udp;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	ASSERT_EQ(0, recv_once(&z, z.ring.ring_fd, 0, IORING_RECV_MULTISHOT,
			       &cqe));
	EXPECT_EQ(-ENOTSOCK, cqe.res);
	EXPECT_EQ(0, cqe.flags & IORING_CQE_F_MORE);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, recv_once(&z, udp, 0, IORING_RECV_MULTISHOT, &cqe));
	EXPECT_EQ(-EPROTONOSUPPORT, cqe.res);
	ASSERT_EQ(0, recv_once(&z, udp, 1, IORING_RECV_MULTISHOT, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	ASSERT_EQ(0, recv_once(&z, udp, 0, 0, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	close(udp);
	ifq_free(&z);
}

/*
 * A receiver that holds every buffer and is killed mid-stream, or exits
 * without closing its ring: the queue can be bound again right away and
 * the stream's remaining data is dropped cleanly.
 */
static void rebind_after(struct __test_metadata *_metadata,
			 FIXTURE_DATA(zcrx) *self, int how)
{
	int lfd, round;

	lfd = zc_listener(self->p.nsb, AF_INET, PORT);
	ASSERT_LE(0, lfd);
	for (round = 0; round < 3; round++) {
		pid_t snd, rcv;
		int st, go[2];
		struct zcrx z;

		ASSERT_EQ(0, pipe(go));
		snd = sender(self->p.nsa, "10.9.0.2", PORT, 64 << 20);
		rcv = fork();
		if (!rcv) {
			int cfd;

			if (ifq_setup(&z, self->ifb, ZQ))
				_exit(10);
			cfd = zc_accept_in(lfd, 20000);
			if (cfd < 0)
				_exit(11);
			/* Take buffers and never give them back. */
			hold_buffers(&z, cfd, 64);
			if (write(go[1], "x", 1) != 1)
				_exit(12);
			if (how == 1)
				_exit(0);	/* exit with the ring open */
			pause();
		}
		ASSERT_EQ(1, read(go[0], &st, 1));
		if (how == 0)
			kill(rcv, SIGKILL);
		zc_wait_child(rcv);
		kill(snd, SIGKILL);
		zc_wait_child(snd);
		close(go[0]);
		close(go[1]);
		/* No EEXIST: the queue was unbound as the ring closed. */
		ASSERT_EQ(0, ifq_prepare(&z, self->ifb, ZQ));
		EXPECT_EQ(0, try_register(&z, ZCRX_RING_FLAGS));
		munmap(z.area, z.area_len);
		munmap(z.rq, z.rq_len);
	}
	close(lfd);
}

/*
 * The ring and the socket closed in either order while a stream flows
 * and the application holds buffers; then the queue binds again.
 */
static void close_under_traffic(struct __test_metadata *_metadata,
				FIXTURE_DATA(zcrx) *self, bool ring_first)
{
	struct zcrx z;
	int lfd, cfd;
	pid_t pid;

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	cfd = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2", PORT,
			    256 << 20, &lfd, &pid);
	ASSERT_LE(0, cfd);
	hold_buffers(&z, cfd, 128);
	if (ring_first) {
		ifq_free(&z);
		close(cfd);
	} else {
		close(cfd);
		ifq_free(&z);
	}
	kill(pid, SIGKILL);
	zc_wait_child(pid);
	close(lfd);
	ASSERT_EQ(0, ifq_prepare(&z, self->ifb, ZQ));
	EXPECT_EQ(0, try_register(&z, ZCRX_RING_FLAGS));
	munmap(z.area, z.area_len);
	munmap(z.rq, z.rq_len);
}

TEST_F(zcrx, close_ring_then_socket_under_traffic)
{
	close_under_traffic(_metadata, self, true);
}

TEST_F(zcrx, close_socket_then_ring_under_traffic)
{
	close_under_traffic(_metadata, self, false);
}

TEST_F(zcrx, rebind_after_kill)
{
	rebind_after(_metadata, self, 0);
}

TEST_F(zcrx, rebind_after_exit)
{
	rebind_after(_metadata, self, 1);
}

TEST_HARNESS_MAIN
