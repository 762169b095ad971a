// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy send policies over the virtual NIC, where the device reads
 * the sender's pages by DMA after the send returned, and TCP holds them
 * until they are acknowledged.
 *
 * buffer_reuse: the sender rewrites every buffer with garbage the moment
 * a NOTIF releases it, and reuses it for later data; a receiver checks
 * every byte.  A buffer released while the device or TCP still needed it
 * shows up as garbage in the stream.  Run under every policy, under
 * coalescing without a policy, and on a stock ring.
 *
 * exit_with_sends_in_flight: a sender killed, or exiting without closing
 * its ring, while its data sits unacknowledged: nothing leaks or splats.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>

#include "zc.h"

#include "kselftest_harness.h"
#include "lib/zc_test.h"
#include "lib/zc_net.h"
#include "lib/zc_bpf.h"

#define PORT		5301
#define NBUF		16
#define BUFSZ		(64 << 10)
#define STREAM		(12 << 20)
#define GARBAGE		0xee

static unsigned char pat(unsigned long long off)
{
	return off % 251;
}

/* Child in netns @ns: accept one stream and check it; exit 0 if intact. */
static pid_t checker(const char *ns, int port, size_t len)
{
	int lfd = zc_listener(ns, AF_INET, port);
	pid_t pid = fork();
	static unsigned char buf[1 << 16];
	unsigned long long off = 0, bad = 0;
	ssize_t n, i;
	int cfd;

	if (pid)
		return pid;
	cfd = zc_accept_in(lfd, 20000);
	if (cfd < 0)
		_exit(2);
	while ((n = recv(cfd, buf, sizeof(buf), 0)) > 0) {
		for (i = 0; i < n; i++)
			bad += buf[i] != pat(off + i);
		off += n;
	}
	if (bad)
		fprintf(stderr, "# %llu bad bytes in %llu\n", bad, off);
	_exit(n < 0 ? 3 : bad ? 4 : off != len ? 5 : 0);
}

FIXTURE(nic) {
	struct zc_pair p;
	struct zc_test_policy pol;
};

FIXTURE_VARIANT(nic) {
	const char *obj;	/* NULL: no BPF policy */
	const char *map;
	const char *name;	/* NULL: no opt-in, a stock ring */
	unsigned int flags;	/* IORING_ZC_SEND_* beside COALESCE */
	/* copy_small's knobs, 0: its own */
	unsigned int copy_below, hold;
	unsigned long long timeout_ns;	/* 0: 2 ms */
};

FIXTURE_VARIANT_ADD(nic, stock) { };
FIXTURE_VARIANT_ADD(nic, coalesced) { .name = "" };
FIXTURE_VARIANT_ADD(nic, per_send) {
	.obj = "bpf/per_send.bpf.o", .map = "per_send", .name = "per_send",
};
/* Freeing early never releases a buffer zcnic still reads. */
FIXTURE_VARIANT_ADD(nic, per_send_early_free) {
	.obj = "bpf/per_send.bpf.o", .map = "per_send", .name = "per_send",
	.flags = IORING_ZC_SEND_EARLY_FREE,
};
FIXTURE_VARIANT_ADD(nic, batch) {
	.obj = "bpf/batch.bpf.o", .map = "batch", .name = "batch",
};
FIXTURE_VARIANT_ADD(nic, adaptive) {
	.obj = "bpf/adaptive.bpf.o", .map = "adaptive", .name = "adaptive",
};
FIXTURE_VARIANT_ADD(nic, copy_small) {
	.obj = "bpf/copy_small.bpf.o", .map = "copy_small",
	.name = "copy_small",
};
/* Every send copied, all but each notification's first alone. */
FIXTURE_VARIANT_ADD(nic, copy_alone) {
	.obj = "bpf/copy_small.bpf.o", .map = "copy_small",
	.name = "copy_small", .flags = IORING_ZC_SEND_COPY_ALONE,
	.copy_below = 2 * BUFSZ, .hold = 8,
	/* Long enough that the sends after a notification's first find
	 * its rule still in force, however slow the kernel: a notification
	 * closes on its 8th send, alone or not.
	 */
	.timeout_ns = 1000000000,
};
FIXTURE_VARIANT_ADD(nic, never_flush) {
	.obj = "selftests/bpf/zc_send_test.bpf.o", .map = "never_flush",
	.name = "t_never_flush",
};

FIXTURE_SETUP(nic)
{
	memset(&self->pol, 0, sizeof(self->pol));
	ASSERT_EQ(0, zc_pair_create(&self->p, getpid(), 4));
	if (variant->obj)
		ASSERT_EQ(0, zc_test_policy_load(&self->pol, variant->obj,
					 variant->map));
	if (variant->copy_below) {
		struct bpf_map *m = bpf_object__find_map_by_name(self->pol.obj,
								 "knobs");
		__u32 knobs[2] = { variant->copy_below, variant->hold };
		__u32 zero = 0;

		ASSERT_NE(NULL, m);
		ASSERT_EQ(0, bpf_map__update_elem(m, &zero, sizeof(zero),
						  knobs, sizeof(knobs), 0));
	}
}

FIXTURE_TEARDOWN(nic)
{
	if (variant->obj)
		zc_test_policy_unload(&self->pol);
	zc_pair_unplug(&self->p);
	zc_pair_netns_del(&self->p);
}

/* Opt @ring in as the variant says. */
static int opt_in(const FIXTURE_VARIANT(nic) *variant, struct io_uring *ring)
{
	/* never_flush relies on the timeout: keep it short but real. */
	struct zc_send_bounds b = { .timeout_ns = 2000000 };

	if (variant->timeout_ns)
		b.timeout_ns = variant->timeout_ns;
	if (!variant->name)
		return 0;
	return zc_register_send_policy_flags(ring, variant->name, &b,
					     variant->flags);
}

/* Sends of @ring that went alone (fdinfo ZcSendDone), or -1. */
static long long sends_alone(struct io_uring *ring)
{
	unsigned long long notifs, sends, alone;
	char val[128];

	zc_fdinfo(ring->ring_fd, "ZcSendDone", val, sizeof(val));
	if (sscanf(val, "notifs=%llu sends=%llu alone=%llu",
		   &notifs, &sends, &alone) != 3)
		return -1;
	return alone;
}

TEST_F_TIMEOUT(nic, buffer_reuse, 600)
{
	struct zc_tracker *t = zc_tracker_new(2 * NBUF);
	unsigned long long off = 0, acked = 0;
	int freel[NBUF], nfree = NBUF, i, fd, old;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned char *bufs;
	pid_t rx;
	__u64 ud;

	ASSERT_NE(NULL, t);
	bufs = mmap(NULL, NBUF * BUFSZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bufs);
	for (i = 0; i < NBUF; i++)
		freel[i] = i;

	rx = checker(self->p.nsb, PORT, STREAM);
	old = zc_ns_enter(self->p.nsa);
	fd = zc_connect_retry("10.9.0.2", PORT);
	zc_ns_leave(old);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, io_uring_queue_init(64, &ring, 0));
	ASSERT_EQ(0, opt_in(variant, &ring));

	/*
	 * One send in flight at a time, as on any stream socket: unlinked
	 * sends may be issued out of order.  Buffers stay the kernel's
	 * until their NOTIF, so several are out at once all the same.
	 */
	while (acked < STREAM) {
		if (acked == off && nfree) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			int b = freel[--nfree];
			unsigned char *p = bufs + (size_t)b * BUFSZ;
			size_t n = STREAM - off < BUFSZ ? STREAM - off : BUFSZ;
			size_t j;

			for (j = 0; j < n; j++)
				p[j] = pat(off + j);
			io_uring_prep_send_zc(sqe, fd, p, n, MSG_WAITALL, 0);
			sqe->user_data = b;
			ASSERT_EQ(0, zc_tracker_submit(t, b));
			ASSERT_EQ(1, io_uring_submit(&ring));
			off += n;
		}
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		if (!zc_cqe_is_notif(cqe)) {
			ASSERT_LT(0, cqe->res);
			acked += cqe->res;
		}
		ASSERT_LE(0, zc_tracker_cqe(t, cqe));
		io_uring_cqe_seen(&ring, cqe);
		/* Released: garbage in it at once, then reuse it. */
		while (!zc_tracker_pop(t, &ud)) {
			memset(bufs + ud * BUFSZ, GARBAGE, BUFSZ);
			freel[nfree++] = ud;
		}
	}
	close(fd);
	/* Every buffer comes back, and each only once. */
	while (nfree < NBUF) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		ASSERT_LE(0, zc_tracker_cqe(t, cqe));
		io_uring_cqe_seen(&ring, cqe);
		while (!zc_tracker_pop(t, &ud))
			freel[nfree++] = ud;
	}
	EXPECT_EQ(0, zc_tracker_inflight(t));
	EXPECT_EQ(0, zc_wait_child(rx));
	/* Copies went alone: all but each notification's first, which
	 * depends on the clock; zc.copy_alone counts them exactly.
	 */
	if (variant->flags & IORING_ZC_SEND_COPY_ALONE)
		EXPECT_LT(0, sends_alone(&ring));
	io_uring_queue_exit(&ring);
	zc_tracker_free(t);
	munmap(bufs, NBUF * BUFSZ);
}

/*
 * Data in flight, unacknowledged (the receiver does not read), in open
 * notifications: the sender dies by SIGKILL, or exits without closing
 * its ring.  Its ring's teardown completes everything.
 */
TEST_F_TIMEOUT(nic, exit_with_sends_in_flight, 300)
{
	int how;

	for (how = 0; how < 2; how++) {
		int lfd = zc_listener(self->p.nsb, AF_INET, PORT + how);
		int cfd, ready[2];
		pid_t tx;
		char c;

		ASSERT_LE(0, lfd);
		ASSERT_EQ(0, pipe(ready));
		tx = fork();
		ASSERT_LE(0, tx);
		if (!tx) {
			static unsigned char buf[BUFSZ];
			struct io_uring ring;
			int fd, i;

			close(zc_ns_enter(self->p.nsa));
			fd = zc_connect_retry("10.9.0.2", PORT + how);
			if (fd < 0 || io_uring_queue_init(64, &ring, 0) ||
			    opt_in(variant, &ring))
				_exit(2);
			/* More than the receiver will take unread. */
			for (i = 0; i < 48; i++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				io_uring_prep_send_zc(sqe, fd, buf, sizeof(buf),
						      0, 0);
				sqe->user_data = i;
				io_uring_submit(&ring);
			}
			if (write(ready[1], "x", 1) != 1)
				_exit(3);
			if (how)
				_exit(0);	/* no io_uring_queue_exit() */
			pause();
		}
		cfd = zc_accept_in(lfd, 20000);
		ASSERT_LE(0, cfd);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		usleep(200000);
		if (!how)
			kill(tx, SIGKILL);
		EXPECT_EQ(how ? 0 : 128 + SIGKILL, zc_wait_child(tx));
		/* Now let the data drain, and the connection go. */
		close(cfd);
		close(lfd);
		close(ready[0]);
		close(ready[1]);
	}
}

TEST_HARNESS_MAIN
