// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy send policies: the coalesced-notification ABI of io_uring
 * SEND_ZC/SENDMSG_ZC, the kernel's bounds against programs that never
 * flush or return garbage, policies replaced and removed under load, ring
 * teardown, and bad input.
 *
 * Each case runs in a netns of its own with a dummy device: a datagram
 * sent to it is freed at transmit, so its notification completes at once
 * and zero-copy, which makes NOTIF ranges deterministic.  Its MTU is
 * 65535 because a datagram that IP fragments is always copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>
#include <linux/zc_policy.h>

#include "zc.h"
#include "zc_send_test.skel.h"
#include "zc_send_bad.skel.h"
#include "copy_small.skel.h"

#include "kselftest_harness.h"
#include "lib/zc_test.h"
#include "lib/zc_net.h"

#define SEND_LEN	1000
#define NSENDS		64

/* A UDP socket in this netns, connected through a dummy device. */
static int udp_to_dummy(void)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
	};
	int fd;

	if (zc_sh("ip link add zcd0 type dummy && "
	       "ip addr add 10.7.0.1/24 dev zcd0 && "
	       "ip link set zcd0 mtu 65535 up"))
		return -1;
	inet_pton(AF_INET, "10.7.0.2", &dst.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (void *)&dst, sizeof(dst)))
		return -1;
	return fd;
}

static int reg_raw(int ring_fd, void *arg, unsigned int nr)
{
	int ret = syscall(__NR_io_uring_register, ring_fd,
			  IORING_REGISTER_ZC_SEND_POLICY, arg, nr);

	return ret < 0 ? -errno : ret;
}

/* Queue a SEND_ZC of @len bytes of @buf with @ud; submit when @submit. */
static int queue_send(struct io_uring *ring, int fd, const void *buf,
		      size_t len, __u64 ud, unsigned int zc_flags,
		      unsigned int sqe_flags, bool submit)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_send_zc(sqe, fd, buf, len, 0, zc_flags);
	sqe->user_data = ud;
	sqe->flags |= sqe_flags;
	return submit ? io_uring_submit(ring) : 0;
}

/* Read up to @max CQEs, waiting at most @ms for each. */
static int reap(struct io_uring *ring, struct io_uring_cqe *out, int max,
		int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L,
	};
	struct io_uring_cqe *cqe;
	int n = 0;

	while (n < max && !io_uring_wait_cqe_timeout(ring, &cqe, &ts)) {
		out[n++] = *cqe;
		io_uring_cqe_seen(ring, cqe);
	}
	return n;
}

struct split {
	int firsts, notifs, more, bad;
	struct io_uring_cqe first[4 * NSENDS];
	struct io_uring_cqe notif[4 * NSENDS];
};

static void split_cqes(const struct io_uring_cqe *c, int n, struct split *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		if (c[i].flags & IORING_CQE_F_NOTIF)
			s->notif[s->notifs++] = c[i];
		else
			s->first[s->firsts++] = c[i];
		if (!(c[i].flags & IORING_CQE_F_NOTIF) &&
		    (c[i].flags & IORING_CQE_F_MORE))
			s->more++;
	}
}

/*
 * Check that the NOTIFs cover sequence numbers [@first, @first + @n)
 * exactly once; return how many ranges they formed, or -1.
 */
static int check_cover(const struct split *s, unsigned int first,
		       unsigned int n)
{
	unsigned char seen[65536] = {};
	unsigned int i, j, covered = 0;

	for (i = 0; i < (unsigned int)s->notifs; i++) {
		unsigned int lo = zc_cqe_seq(&s->notif[i]);
		unsigned int cnt = zc_notif_count(&s->notif[i]);

		if (!cnt)
			return -1;
		for (j = 0; j < cnt; j++) {
			unsigned int q = (lo + j) & 0xffff;

			if (seen[q]++ || ((q - first) & 0xffff) >= n)
				return -1;
			covered++;
		}
	}
	return covered == n ? s->notifs : -1;
}

/* Send @n sends from sequence number @first: how many NOTIFs cover them? */
static int send_and_cover(struct io_uring *ring, int fd, void *buf,
			  unsigned int first, unsigned int n)
{
	struct io_uring_cqe c[256];
	struct split s;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (queue_send(ring, fd, buf, SEND_LEN, first + i, 0, 0, false))
			return -1;
	if (io_uring_submit(ring) != (int)n)
		return -1;
	split_cqes(c, reap(ring, c, n + n, 2000), &s);
	if (s.firsts != (int)n)
		return -1;
	return check_cover(&s, first, n);
}

FIXTURE(zc) {
	struct io_uring ring;
	int fd;
	int allowed_fd;		/* net.core.zc_send_policy_allowed */
	struct zc_send_test *skel;
	struct bpf_link *link;
	char buf[65536];
};

FIXTURE_SETUP(zc)
{
	memset(self->buf, 0x5a, sizeof(self->buf));
	self->link = NULL;
	/* The sysctls are global, seen from the initial netns only: the
	 * default is stock unless a case says otherwise.
	 */
	ASSERT_EQ(0, zc_policy_set_default(ZC_POLICY_SEND, ""));
	ASSERT_EQ(0, zc_policy_set_allowed(ZC_POLICY_SEND, ""));
	/* Opened here, it stays the initial netns' sysctl. */
	self->allowed_fd = open("/proc/sys/net/core/zc_send_policy_allowed",
				O_WRONLY);
	ASSERT_LE(0, self->allowed_fd);
	ASSERT_EQ(0, zc_netns_new());
	self->fd = udp_to_dummy();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, io_uring_queue_init(256, &self->ring, 0));
	self->skel = zc_send_test__open_and_load();
	ASSERT_NE(NULL, self->skel);
}

FIXTURE_TEARDOWN(zc)
{
	io_uring_queue_exit(&self->ring);
	if (self->link)
		zc_policy_detach(self->link);
	zc_send_test__destroy(self->skel);
	close(self->fd);
	/* The next case starts from an empty list anyway. */
	close(self->allowed_fd);
}

static void attach(struct __test_metadata *_metadata,
		   FIXTURE_DATA(zc) *self, struct bpf_map *ops)
{
	ASSERT_EQ(0, zc_policy_attach(ops, NULL, &self->link));
}

/* Without the opt-in, 6.12's ABI: a NOTIF per send, no sequence bits. */
TEST_F(zc, stock_ring_unchanged)
{
	struct io_uring_cqe c[16];
	struct split s;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, 100 + i, 0, 0, false));
	ASSERT_EQ(4, io_uring_submit(&self->ring));
	split_cqes(c, reap(&self->ring, c, 8, 2000), &s);
	ASSERT_EQ(4, s.firsts);
	ASSERT_EQ(4, s.notifs);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(IORING_CQE_F_MORE, s.first[i].flags);
		EXPECT_EQ(SEND_LEN, s.first[i].res);
		EXPECT_EQ(IORING_CQE_F_NOTIF, s.notif[i].flags);
		EXPECT_EQ(0, s.notif[i].res);
	}
	/* And SKIP_SUCCESS stays refused there. */
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, SEND_LEN,
				7, 0, IOSQE_CQE_SKIP_SUCCESS, true));
	ASSERT_EQ(1, reap(&self->ring, c, 1, 2000));
	EXPECT_EQ(-EINVAL, c[0].res);
}

/* Bad input: a clear errno for each, and nothing changes on the ring. */
TEST_F(zc, register_errors)
{
	struct io_uring_zc_send_policy p = { .flags = IORING_ZC_SEND_COALESCE };
	struct io_uring_zc_send_policy q;
	char val[128];
	int rfd = self->ring.ring_fd;

	EXPECT_EQ(-EINVAL, reg_raw(rfd, NULL, 1));
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &p, 0));
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &p, 2));
	EXPECT_EQ(-EFAULT, reg_raw(rfd, (void *)8, 1));
	q = p, q.flags = 0;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, q.flags = IORING_ZC_SEND_COALESCE | 8;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, q.flags = IORING_ZC_SEND_COPY_ALONE;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, q.__resv[3] = 1;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, memset(q.name, 'a', sizeof(q.name));
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, strcpy(q.name, "bad name");
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, strcpy(q.name, "nosuchpolicy");
	EXPECT_EQ(-ENOENT, reg_raw(rfd, &q, 1));
	q = p, q.max_sends = 16385;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, q.max_bytes = 1ULL << 30;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, q.timeout_ns = 999;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	q = p, q.timeout_ns = 2000000000ULL;
	EXPECT_EQ(-EINVAL, reg_raw(rfd, &q, 1));
	/* Not an io_uring fd. */
	EXPECT_EQ(-EOPNOTSUPP, reg_raw(self->fd, &p, 1));
	zc_fdinfo(rfd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("", val);

	/* The defaults, written back. */
	ASSERT_EQ(0, reg_raw(rfd, &p, 1));
	EXPECT_EQ(64, p.max_sends);
	EXPECT_EQ(1 << 20, p.max_bytes);
	EXPECT_EQ(1000000, p.timeout_ns);
	zc_fdinfo(rfd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("(stock)", val);
}

/*
 * Opted in without a policy: stock decisions in the coalesced format,
 * one send per NOTIF, sequence numbers in submission order.
 */
TEST_F(zc, coalesced_stock_decisions)
{
	struct io_uring_cqe c[64];
	struct split s;
	int i;

	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "", NULL));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, 100 + i, 0, 0, false));
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	split_cqes(c, reap(&self->ring, c, 16, 2000), &s);
	ASSERT_EQ(8, s.firsts);
	ASSERT_EQ(8, s.more);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ((unsigned int)i, zc_cqe_seq(&s.first[i]));
		EXPECT_EQ(100 + i, s.first[i].user_data);
	}
	EXPECT_EQ(8, check_cover(&s, 0, 8));
	for (i = 0; i < s.notifs; i++) {
		EXPECT_EQ(1, zc_notif_count(&s.notif[i]));
		EXPECT_EQ(100 + zc_cqe_seq(&s.notif[i]), s.notif[i].user_data);
	}
}

/*
 * IORING_ZC_SEND_EARLY_FREE: the dummy device frees a datagram at
 * transmit, so each solo's buffer is free as its send returns, and the
 * send completes with its first CQE alone, taking no number.  One that
 * asked for the usage report, or skips its CQE, keeps its NOTIF, and
 * the numbers and a tracker stay in step.
 */
TEST_F(zc, early_free)
{
	struct zc_tracker *t = zc_tracker_new(64);
	struct io_uring_cqe c[64];
	int i, released = 0;
	struct split s;
	char val[128];

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, zc_register_send_policy_flags(&self->ring, "", NULL,
					IORING_ZC_SEND_EARLY_FREE));
	/* In one submission: each is issued before the next is prepared. */
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, zc_tracker_submit(t, 100 + i));
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, 100 + i, 0, 0, false));
	}
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	ASSERT_EQ(0, zc_tracker_submit(t, 200));
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, SEND_LEN,
				200, IORING_SEND_ZC_REPORT_USAGE, 0, true));
	ASSERT_EQ(0, zc_tracker_submit(t, 201));
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, SEND_LEN,
				201, 0, IOSQE_CQE_SKIP_SUCCESS, true));
	ASSERT_EQ(0, zc_tracker_submit(t, 202));
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, SEND_LEN,
				202, 0, 0, true));
	split_cqes(c, reap(&self->ring, c, 64, 1000), &s);
	ASSERT_EQ(10, s.firsts);
	ASSERT_EQ(2, s.notifs);
	for (i = 0; i < s.firsts; i++) {
		EXPECT_EQ(SEND_LEN, s.first[i].res);
		/* 200 has number 0 */
		EXPECT_EQ(s.first[i].user_data == 200 ? IORING_CQE_F_MORE : 0,
			  s.first[i].flags);
	}
	/* 200 and 201 took numbers 0 and 1; 202 gave 2 back. */
	EXPECT_EQ(2, check_cover(&s, 0, 2));
	for (i = 0; i < s.firsts; i++)
		released += zc_tracker_cqe(t, &s.first[i]);
	for (i = 0; i < s.notifs; i++)
		released += zc_tracker_cqe(t, &s.notif[i]);
	EXPECT_EQ(11, released);
	EXPECT_EQ(0, zc_tracker_inflight(t));
	zc_fdinfo(self->ring.ring_fd, "ZcSendDone", val, sizeof(val));
	EXPECT_STREQ("notifs=11 sends=11 alone=0", val);
	zc_fdinfo(self->ring.ring_fd, "ZcSendNotifs", val, sizeof(val));
	EXPECT_STREQ("0 (0 bytes held)", val);
	zc_tracker_free(t);
}

/* A policy closes every 4 sends: three NOTIFs of 4, contiguous. */
/* Bounds under which only the policy closes a notification. */
static struct zc_send_bounds slow = { .timeout_ns = 1000000000 };

TEST_F(zc, policy_coalesces)
{
	struct io_uring_cqe c[64];
	struct split s;
	char val[128];
	int i;

	self->skel->data->flush_every = 4;
	attach(_metadata, self, self->skel->maps.join_all);
	/* A long timeout: only the policy closes here. */
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_join_all", &slow));
	zc_fdinfo(self->ring.ring_fd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("t_join_all", val);
	for (i = 0; i < 12; i++)
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, 100 + i, 0, 0, false));
	ASSERT_EQ(12, io_uring_submit(&self->ring));
	split_cqes(c, reap(&self->ring, c, 24, 2000), &s);
	ASSERT_EQ(12, s.firsts);
	ASSERT_EQ(3, check_cover(&s, 0, 12));
	for (i = 0; i < s.notifs; i++) {
		unsigned int lo = zc_cqe_seq(&s.notif[i]);

		EXPECT_EQ(4, zc_notif_count(&s.notif[i]));
		EXPECT_EQ(0, lo % 4);
		/* The range's first send's user_data. */
		EXPECT_EQ(100 + lo, s.notif[i].user_data);
	}
	EXPECT_EQ(3, self->skel->bss->closes);
	EXPECT_EQ(12, self->skel->bss->closed_sends);
	EXPECT_EQ(ZC_SEND_CLOSE_FLUSH, self->skel->bss->last_cause);
	EXPECT_EQ((__u32)getpid(), self->skel->bss->last_owner_pid);
}

/*
 * A program that never flushes: the kernel closes at max_sends, and the
 * rest when the timeout expires.
 */
TEST_F(zc, never_flush_is_bounded)
{
	struct zc_send_bounds b = { .max_sends = 5, .timeout_ns = 20000000 };
	struct io_uring_cqe c[64];
	struct split s;
	char val[128];
	int i;

	attach(_metadata, self, self->skel->maps.never_flush);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_never_flush", &b));
	for (i = 0; i < 12; i++)
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, i, 0, 0, false));
	ASSERT_EQ(12, io_uring_submit(&self->ring));
	/* Two full ones at once; the third when its timer fires. */
	split_cqes(c, reap(&self->ring, c, 15, 3000), &s);
	ASSERT_EQ(12, s.firsts);
	ASSERT_EQ(3, check_cover(&s, 0, 12));
	EXPECT_EQ(3, self->skel->bss->closes);
	EXPECT_EQ(ZC_SEND_CLOSE_TIMEOUT, self->skel->bss->last_cause);
	zc_fdinfo(self->ring.ring_fd, "ZcSendDone", val, sizeof(val));
	EXPECT_STREQ("notifs=3 sends=12 alone=0", val);
}

/*
 * Unknown SEND_ZC flags in sqe->ioprio, the kernel's own bit 15 among
 * them, fail the send with -EINVAL, on a stock ring (whose failed send
 * still has F_MORE and a NOTIF, as 6.12's) and on a coalescing one
 * (without either), and the ring goes on working.
 */
TEST_F(zc, unknown_send_flags)
{
	static const unsigned int bad[] = { 0x8000, 0x4000, 0x0100, 0x0020 };
	struct io_uring_cqe c[8];
	struct split s;
	unsigned int i;

	for (i = 0; i < 2 * ARRAY_SIZE(bad); i++) {
		bool coalesced = i >= ARRAY_SIZE(bad);

		if (i == ARRAY_SIZE(bad))
			ASSERT_EQ(0, zc_register_send_policy(&self->ring, "",
							     NULL));
		ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, i, bad[i % ARRAY_SIZE(bad)],
					0, true));
		split_cqes(c, reap(&self->ring, c, 8, 200), &s);
		ASSERT_EQ(1, s.firsts);
		EXPECT_EQ(-EINVAL, s.first[0].res);
		EXPECT_EQ(!coalesced, s.more);
		EXPECT_EQ(!coalesced, s.notifs);
	}
	ASSERT_EQ(1, send_and_cover(&self->ring, self->fd, self->buf, 0, 1));
}

/*
 * A send refused at submission gets no F_MORE, even in a msghdr that a
 * sendmsg's iovec left in the ring's cache (which marks the request for
 * cleanup, as a stock send with a notification is).
 */
TEST_F(zc, refused_after_sendmsg)
{
	struct iovec iov[4];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 4 };
	struct io_uring_cqe c[8];
	struct io_uring_sqe *sqe;
	struct split s;
	int i;

	for (i = 0; i < 4; i++) {
		iov[i].iov_base = self->buf + 100 * i;
		iov[i].iov_len = 100;
	}
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "", NULL));
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_sendmsg_zc(sqe, self->fd, &msg, 0);
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	split_cqes(c, reap(&self->ring, c, 8, 500), &s);
	ASSERT_EQ(1, s.firsts);
	EXPECT_EQ(400, s.first[0].res);
	EXPECT_EQ(1, s.notifs);
	/* A kernel address: import_ubuf() refuses it in prep. */
	ASSERT_EQ(1, queue_send(&self->ring, self->fd,
				(void *)0xffff888000000000UL, SEND_LEN, 2, 0,
				0, true));
	split_cqes(c, reap(&self->ring, c, 8, 500), &s);
	ASSERT_EQ(1, s.firsts);
	EXPECT_EQ(-EFAULT, s.first[0].res);
	EXPECT_EQ(0, s.first[0].flags);
	EXPECT_EQ(0, s.notifs);
}

/* Garbage verdicts are faults; the kernel decides stock behaviour. */
TEST_F(zc, garbage_verdicts_are_faults)
{
	struct io_uring_cqe c[64];
	struct split s;
	char val[128];
	int i;

	attach(_metadata, self, self->skel->maps.garbage);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_garbage", NULL));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, i, 0, 0, false));
	ASSERT_EQ(6, io_uring_submit(&self->ring));
	split_cqes(c, reap(&self->ring, c, 12, 2000), &s);
	ASSERT_EQ(6, s.firsts);
	/* Stock: each send its own NOTIF, after join (asked with nothing
	 * open), mode and flush each faulted.
	 */
	ASSERT_EQ(6, check_cover(&s, 0, 6));
	zc_fdinfo(self->ring.ring_fd, "ZcSendFaults", val, sizeof(val));
	EXPECT_STREQ("18", val);
}

/*
 * join's verdict n opens a notification that holds n sends: join is
 * asked once per notification, flush never, and the n-th send closes it.
 * A verdict over the bound is clamped to max_sends.
 */
TEST_F(zc, hold_asks_once_per_notification)
{
	struct zc_send_bounds b = slow;

	attach(_metadata, self, self->skel->maps.hold);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_hold", &slow));
	/* Three notifications of at most 4 for 12 sends: 4 each. */
	ASSERT_EQ(3, send_and_cover(&self->ring, self->fd, self->buf, 0, 12));
	EXPECT_EQ(3, self->skel->bss->joins);
	EXPECT_EQ(0, self->skel->bss->flushes);
	EXPECT_EQ(12, self->skel->bss->closed_sends);
	EXPECT_EQ(ZC_SEND_CLOSE_FLUSH, self->skel->bss->last_cause);

	/* 1000 sends asked for, 6 allowed: 2 NOTIFs of 6. */
	self->skel->bss->joins = 0;
	self->skel->data->hold_n = 1000;
	b.max_sends = 6;
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_hold", &b));
	ASSERT_EQ(2, send_and_cover(&self->ring, self->fd, self->buf, 12, 12));
	EXPECT_EQ(2, self->skel->bss->joins);
	EXPECT_EQ(0, self->skel->bss->flushes);
}

/*
 * IOSQE_CQE_SKIP_SUCCESS: no first CQEs, and the tracker, predicting
 * the numbers, releases every buffer from the NOTIFs alone.
 */
TEST_F(zc, skip_success)
{
	struct zc_tracker *t = zc_tracker_new(64);
	struct io_uring_cqe c[64];
	__u64 ud, seen = 0;
	int i, n, released = 0;

	ASSERT_NE(NULL, t);
	self->skel->data->flush_every = 4;
	attach(_metadata, self, self->skel->maps.join_all);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_join_all", &slow));
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, zc_tracker_submit(t, 100 + i));
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, 100 + i, 0,
					IOSQE_CQE_SKIP_SUCCESS, false));
	}
	ASSERT_EQ(12, io_uring_submit(&self->ring));
	n = reap(&self->ring, c, 20, 2000);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(zc_cqe_is_notif(&c[i]));
		released += zc_tracker_cqe(t, &c[i]);
	}
	EXPECT_EQ(12, released);
	EXPECT_EQ(0, zc_tracker_inflight(t));
	while (!zc_tracker_pop(t, &ud))
		seen |= 1ULL << (ud - 100);
	EXPECT_EQ(0xfffULL, seen);
	zc_tracker_free(t);
}

/*
 * copy_small copies small sends and zero-copies large ones; with
 * REPORT_USAGE, each range says whether any of it was copied.
 */
TEST_F(zc, usage_report_per_range)
{
	struct copy_small *cs = copy_small__open_and_load();
	struct io_uring_cqe c[64];
	struct bpf_link *link;
	struct split s;
	int i, zc_ranges = 0;

	struct { __u32 threshold, sends; } knobs = { 2048, 4 };
	__u32 zero = 0;

	ASSERT_NE(NULL, cs);
	ASSERT_EQ(0, bpf_map__update_elem(cs->maps.knobs, &zero, sizeof(zero),
					  &knobs, sizeof(knobs), 0));
	ASSERT_EQ(0, zc_policy_attach(cs->maps.copy_small, NULL, &link));
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "copy_small", &slow));
	/* Four small sends, then four large ones: copy_small closes every
	 * 4 sends.
	 */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf,
					i < 4 ? 100 : 8000, i,
					IORING_SEND_ZC_REPORT_USAGE, 0, true));
	split_cqes(c, reap(&self->ring, c, 16, 2000), &s);
	ASSERT_EQ(8, s.firsts);
	ASSERT_LE(1, check_cover(&s, 0, 8));
	for (i = 0; i < s.notifs; i++) {
		unsigned int lo = zc_cqe_seq(&s.notif[i]);
		unsigned int hi = lo + zc_notif_count(&s.notif[i]);

		/* A range holding any small send reports a copy. */
		EXPECT_EQ(lo < 4, zc_notif_copied(&s.notif[i]));
		EXPECT_EQ(4, hi - lo);
		zc_ranges += lo >= 4;
	}
	EXPECT_EQ(2, s.notifs);
	EXPECT_EQ(1, zc_ranges);
	zc_policy_detach(link);
	copy_small__destroy(cs);
}

/*
 * A mode verdict from ZC_SEND_COPY_BELOW_MIN up is a rule: mode runs once
 * per notification, and the kernel copies that notification's sends
 * shorter than the threshold.  With REPORT_USAGE, the range with a short
 * send says it was copied, the other does not.
 */
TEST_F(zc, mode_rule_per_notification)
{
	static const unsigned int len[8] = { 2000, 3000, 4000, 5000,
					     2000, 100, 3000, 4000 };
	struct io_uring_cqe c[16];
	struct split s;
	int i;

	attach(_metadata, self, self->skel->maps.rule);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_rule", &slow));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf,
					len[i], i, IORING_SEND_ZC_REPORT_USAGE,
					0, true));
	split_cqes(c, reap(&self->ring, c, 16, 2000), &s);
	ASSERT_EQ(8, s.firsts);
	ASSERT_EQ(2, check_cover(&s, 0, 8));
	for (i = 0; i < s.notifs; i++)
		EXPECT_EQ(zc_cqe_seq(&s.notif[i]) == 4,
			  zc_notif_copied(&s.notif[i]));
	EXPECT_EQ(2, self->skel->bss->modes);
}

/*
 * IORING_ZC_SEND_COPY_ALONE: once copy_small's rule is in force for the
 * open notification, a short SEND_ZC goes alone (no number, no F_MORE,
 * its full length sent); the first send of a notification, long sends
 * and IOSQE_CQE_SKIP_SUCCESS sends take numbers, and the NOTIFs still
 * cover those contiguously.  A lone send counts as one of the 4 sends
 * copy_small holds, so each notification closes on its 4th send.  The
 * tracker releases all of them exactly once, and closed() counts the
 * lone copies with the copied sends.
 */
TEST_F(zc, copy_alone)
{
	/* 100: copied by the rule, 8000: zero-copy; 'k': skip success */
	static const struct { unsigned int len; char kind; } s_[] = {
		/* numbers 0-2 */
		{ 100, 'm' }, { 100, 'a' }, { 8000, 'm' }, { 100, 'k' },
		/* 3-4 */
		{ 100, 'm' }, { 100, 'a' }, { 100, 'a' }, { 8000, 'm' },
		/* 5-7 */
		{ 100, 'm' }, { 100, 'a' }, { 8000, 'm' }, { 8000, 'm' },
	};
	const int n = sizeof(s_) / sizeof(s_[0]);
	struct { __u32 threshold, sends; } knobs = { 2048, 4 };
	struct copy_small *cs = copy_small__open_and_load();
	struct zc_tracker *t = zc_tracker_new(64);
	struct zc_send_stats st;
	struct io_uring_cqe c[32];
	struct bpf_link *link;
	int i, j, released = 0;
	struct split sp;
	char val[128];
	__u32 zero = 0;
	__u64 ud;

	ASSERT_NE(NULL, cs);
	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, bpf_map__update_elem(cs->maps.knobs, &zero, sizeof(zero),
					  &knobs, sizeof(knobs), 0));
	ASSERT_EQ(0, zc_policy_attach(cs->maps.copy_small, NULL, &link));
	/* An unknown flag beside it is still refused. */
	EXPECT_EQ(-EINVAL, zc_register_send_policy_flags(&self->ring,
			"copy_small", &slow, IORING_ZC_SEND_COPY_ALONE | 8));
	ASSERT_EQ(0, zc_register_send_policy_flags(&self->ring, "copy_small",
			&slow, IORING_ZC_SEND_COPY_ALONE));
	/* One at a time: the rule is set as a notification's first send is
	 * issued, which inline submission does before the next is prepared.
	 */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, zc_tracker_submit(t, i));
		ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf,
					s_[i].len, i, 0, s_[i].kind == 'k' ?
					IOSQE_CQE_SKIP_SUCCESS : 0, true));
	}
	split_cqes(c, reap(&self->ring, c, 32, 2000), &sp);
	ASSERT_EQ(n - 1, sp.firsts);
	EXPECT_EQ(3, check_cover(&sp, 0, 8));
	for (i = 0; i < sp.firsts; i++) {
		const struct io_uring_cqe *f = &sp.first[i];

		ud = f->user_data;
		ASSERT_GT(n, ud);
		EXPECT_EQ((int)s_[ud].len, f->res);
		EXPECT_EQ(s_[ud].kind != 'a', !!(f->flags & IORING_CQE_F_MORE));
	}
	/* CQE order: every first CQE, then the NOTIFs. */
	for (i = 0; i < sp.firsts; i++)
		released += zc_tracker_cqe(t, &sp.first[i]);
	for (i = 0; i < sp.notifs; i++)
		released += zc_tracker_cqe(t, &sp.notif[i]);
	EXPECT_EQ(n, released);
	EXPECT_EQ(0, zc_tracker_inflight(t));
	for (i = 0, j = 0; !zc_tracker_pop(t, &ud); i++)
		j |= 1 << ud;
	EXPECT_EQ(n, i);
	EXPECT_EQ((1 << n) - 1, j);

	zc_fdinfo(self->ring.ring_fd, "ZcSendDone", val, sizeof(val));
	EXPECT_STREQ("notifs=3 sends=8 alone=4", val);
	ASSERT_EQ(0, zc_policy_read_stats(bpf_map__fd(cs->maps.stats), &st));
	EXPECT_EQ(3, st.notifs);
	EXPECT_EQ(12, st.sends);
	/* Four lone copies, and the four short members. */
	EXPECT_EQ(8, st.copy_sends);
	EXPECT_EQ(4, st.zc_sends);
	zc_tracker_free(t);
	zc_policy_detach(link);
	copy_small__destroy(cs);
}

/* A copy alone issued from io-wq is a plain send there as well. */
TEST_F(zc, copy_alone_async)
{
	struct { __u32 threshold, sends; } knobs = { 2048, 4 };
	struct copy_small *cs = copy_small__open_and_load();
	struct io_uring_cqe c[8];
	struct bpf_link *link;
	struct split sp;
	char val[128];
	__u32 zero = 0;
	int i;

	ASSERT_NE(NULL, cs);
	ASSERT_EQ(0, bpf_map__update_elem(cs->maps.knobs, &zero, sizeof(zero),
					  &knobs, sizeof(knobs), 0));
	ASSERT_EQ(0, zc_policy_attach(cs->maps.copy_small, NULL, &link));
	ASSERT_EQ(0, zc_register_send_policy_flags(&self->ring, "copy_small",
			&slow, IORING_ZC_SEND_COPY_ALONE));
	/* The first opens a notification and, issued, sets its rule. */
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, 8000, 1,
				0, 0, true));
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, 100, 2,
				0, IOSQE_ASYNC, true));
	/* The held notification closes at its timeout, 1 s. */
	split_cqes(c, reap(&self->ring, c, 8, 3000), &sp);
	ASSERT_EQ(2, sp.firsts);
	ASSERT_EQ(1, sp.notifs);
	for (i = 0; i < 2; i++) {
		const struct io_uring_cqe *f = &sp.first[i];

		EXPECT_EQ(f->user_data == 1 ? 8000 : 100, f->res);
		EXPECT_EQ(f->user_data == 1, !!(f->flags & IORING_CQE_F_MORE));
	}
	EXPECT_EQ(1, check_cover(&sp, 0, 1));
	zc_fdinfo(self->ring.ring_fd, "ZcSendDone", val, sizeof(val));
	EXPECT_STREQ("notifs=1 sends=1 alone=1", val);
	zc_policy_detach(link);
	copy_small__destroy(cs);
}

/*
 * Feed every CQE to a tracker: 0 once all @n sends are released exactly
 * once, else -1.  -EBADR (a dropped CQE was reported) is not an error.
 */
static int drain_tracked(struct io_uring *ring, struct zc_tracker *t, int n,
			 int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int released = 0, ret;

	while (released < n) {
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
		if (ret == -EBADR)
			continue;
		if (ret)
			return -1;
		ret = zc_tracker_cqe(t, cqe);
		io_uring_cqe_seen(ring, cqe);
		if (ret < 0)
			return -1;
		released += ret;
	}
	return zc_tracker_inflight(t) ? -1 : 0;
}

struct flipper {
	struct bpf_link *link;
	struct bpf_map *a, *b;
	volatile int stop;
	int flips, err;
};

static void *flip_fn(void *arg)
{
	struct flipper *f = arg;

	while (!f->stop) {
		if (zc_policy_replace(f->link, f->flips & 1 ? f->a : f->b))
			f->err++;
		f->flips++;
		usleep(500);
	}
	return NULL;
}

/*
 * Replace the policy back and forth while sends flow, then unregister
 * it: every send is still covered by exactly one NOTIF.
 */
TEST_F_TIMEOUT(zc, replace_and_unregister_under_load, 300)
{
	struct zc_tracker *t = zc_tracker_new(4096);
	struct flipper f = { 0 };
	const int n = 3000;
	pthread_t th;
	char val[128];
	__u64 ud;
	int i;

	ASSERT_NE(NULL, t);
	self->skel->data->flush_every = 1000;
	attach(_metadata, self, self->skel->maps.join_all);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_join_all", &slow));
	f.link = self->link;
	f.a = self->skel->maps.join_all;
	f.b = self->skel->maps.join_all2;
	ASSERT_EQ(0, pthread_create(&th, NULL, flip_fn, &f));

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, zc_tracker_submit(t, i));
		ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, i, 0, 0, true));
		if (i == 2 * n / 3) {
			f.stop = 1;
			pthread_join(th, NULL);
			ASSERT_EQ(0, zc_policy_detach(self->link));
			self->link = NULL;
			zc_fdinfo(self->ring.ring_fd, "ZcSendPolicy", val,
			       sizeof(val));
			EXPECT_STREQ("t_join_all (unregistered)", val);
		}
		/* Keep the CQ and the tracker from filling up. */
		if (i % 64 == 63) {
			struct io_uring_cqe *cqe;

			while (!io_uring_peek_cqe(&self->ring, &cqe)) {
				ASSERT_LE(0, zc_tracker_cqe(t, cqe));
				io_uring_cqe_seen(&self->ring, cqe);
			}
			while (!zc_tracker_pop(t, &ud))
				;
		}
	}
	ASSERT_EQ(0, drain_tracked(&self->ring, t, zc_tracker_inflight(t),
				   5000));
	EXPECT_LT(10, f.flips);
	EXPECT_EQ(0, f.err);
	zc_tracker_free(t);
}

/* Closing the ring with a notification open completes it, leaks nothing. */
TEST_F(zc, ring_close_with_open_notification)
{
	struct zc_send_bounds b = { .timeout_ns = 1000000000 };
	int i;

	attach(_metadata, self, self->skel->maps.never_flush);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_never_flush", &b));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, i, 0, 0, true));
	io_uring_queue_exit(&self->ring);
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	/* The policy hears of it once it completes, in the ring's exit work. */
	for (i = 0; i < 200 && !self->skel->bss->closes; i++)
		usleep(10000);
	EXPECT_EQ(1, self->skel->bss->closes);
	EXPECT_EQ(5, self->skel->bss->closed_sends);
	EXPECT_EQ(ZC_SEND_CLOSE_EXIT, self->skel->bss->last_cause);
}

static int failslab(const char *attr, const char *val)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/kernel/debug/failslab/%s", attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static int make_it_fail(int on)
{
	int fd = open("/proc/thread-self/make-it-fail", O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, on ? "1" : "0", 1) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * A full CQ whose overflow allocations fail: first CQEs are dropped (and
 * reported), NOTIFs never are, since each reserved its entry.
 */
/* Read every CQE posted so far without entering the kernel. */
static void reap_posted(struct io_uring *ring, int *firsts, int *notifs,
			int *busy, unsigned int *covered)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		n++;
		if (cqe->flags & IORING_CQE_F_NOTIF) {
			(*notifs)++;
			*covered += zc_notif_count(cqe);
		} else if (cqe->res == -EBUSY &&
			   !(cqe->flags & IORING_CQE_F_MORE)) {
			(*busy)++;
		} else if (cqe->res == SEND_LEN &&
			   (cqe->flags & IORING_CQE_F_MORE)) {
			(*firsts)++;
		}
	}
	io_uring_cq_advance(ring, n);
}

/*
 * Send @n sends from number @first on, 256 at a time, waiting for the
 * NOTIFs after each batch: 0 if every send took the next number, mod 2^16.
 */
static int seqs_in_turn(struct io_uring *ring, int fd, const void *buf,
			unsigned int first, unsigned int n)
{
	unsigned int want = first, i, j, head, seen;
	struct io_uring_cqe *cqe;

	for (i = 0; i < n; i += 256) {
		for (j = 0; j < 256; j++)
			if (queue_send(ring, fd, buf, SEND_LEN, first + i + j,
				       0, 0, false))
				return -1;
		if (io_uring_submit_and_wait(ring, 256) != 256)
			return -2;
		seen = 0;
		io_uring_for_each_cqe(ring, head, cqe) {
			seen++;
			if (zc_cqe_is_notif(cqe))
				continue;
			if (cqe->res != SEND_LEN ||
			    zc_cqe_seq(cqe) != (want++ & 0xffff))
				return -3;
		}
		io_uring_cq_advance(ring, seen);
		/* Post the NOTIFs of this batch. */
		if (syscall(__NR_io_uring_enter, ring->ring_fd, 0, 0,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0)
			return -4;
		io_uring_for_each_cqe(ring, head, cqe)
			if (!zc_cqe_is_notif(cqe) &&
			    zc_cqe_seq(cqe) != (want++ & 0xffff))
				return -5;
		io_uring_cq_advance(ring, io_uring_cq_ready(ring));
	}
	return want == first + n ? 0 : -6;
}

/*
 * At most 32768 numbers are outstanding.  Under DEFER_TASKRUN a NOTIF is
 * posted only when the application waits for completions, so until then
 * its numbers stay outstanding: 32768 sends go through without waiting,
 * the next is refused with -EBUSY and no F_MORE, and once the NOTIFs are
 * posted it goes through.
 */
TEST_F_TIMEOUT(zc, seq_window_busy, 600)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE,
		.cq_entries = 65536,
	};
	int i, j, firsts = 0, notifs = 0, busy = 0;
	unsigned int covered = 0;

	io_uring_queue_exit(&self->ring);
	ASSERT_EQ(0, io_uring_queue_init_params(256, &self->ring, &p));
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "", NULL));
	for (i = 0; i < 32768; i += 256) {
		for (j = 0; j < 256; j++)
			ASSERT_EQ(0, queue_send(&self->ring, self->fd,
						self->buf, SEND_LEN, i + j, 0,
						0, false));
		ASSERT_EQ(256, io_uring_submit(&self->ring));
		reap_posted(&self->ring, &firsts, &notifs, &busy, &covered);
	}
	EXPECT_EQ(32768, firsts);
	EXPECT_EQ(0, busy);
	/* Nobody waited: not one NOTIF was posted. */
	EXPECT_EQ(0, notifs);

	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, SEND_LEN,
				32768, 0, 0, true));
	reap_posted(&self->ring, &firsts, &notifs, &busy, &covered);
	EXPECT_EQ(1, busy);

	/* Waiting posts the NOTIFs: every number is covered, once. */
	ASSERT_LE(0, syscall(__NR_io_uring_enter, self->ring.ring_fd, 0, 0,
			     IORING_ENTER_GETEVENTS, NULL, 0));
	reap_posted(&self->ring, &firsts, &notifs, &busy, &covered);
	EXPECT_EQ(32768, covered);
	ASSERT_EQ(1, queue_send(&self->ring, self->fd, self->buf, SEND_LEN,
				32769, 0, 0, true));
	reap_posted(&self->ring, &firsts, &notifs, &busy, &covered);
	EXPECT_EQ(32769, firsts);
	EXPECT_EQ(1, busy);

	/* Numbers whose NOTIFs were posted are free again, past the 16-bit
	 * wrap: sends 32769 to 73728 take their numbers in turn.
	 */
	EXPECT_EQ(0, seqs_in_turn(&self->ring, self->fd, self->buf, 32769,
				  40960));
}

TEST_F(zc, notifs_survive_cq_overflow)
{
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE,
				     .cq_entries = 8 };
	struct zc_tracker *t = zc_tracker_new(64);
	struct io_uring_cqe *cqe;
	int i, notifs = 0, firsts = 0, ret;

	ASSERT_NE(NULL, t);
	io_uring_queue_exit(&self->ring);
	ASSERT_EQ(0, io_uring_queue_init_params(4, &self->ring, &p));
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "", NULL));

	/* Fail every non-sleeping slab allocation of this thread. */
	if (failslab("task-filter", "Y") || failslab("ignore-gfp-wait", "Y") ||
	    failslab("probability", "100") || failslab("interval", "1") ||
	    failslab("times", "-1") || failslab("verbose", "0"))
		SKIP(return, "no failslab in debugfs");
	ASSERT_EQ(0, make_it_fail(1));
	for (i = 0; i < 32; i++) {
		ret = queue_send(&self->ring, self->fd, self->buf, SEND_LEN, i,
				 0, 0, true);
		if (ret == -EBADR)
			ret = queue_send(&self->ring, self->fd, self->buf,
					 SEND_LEN, i, 0, 0, true);
		EXPECT_EQ(1, ret);
	}
	ASSERT_EQ(0, make_it_fail(0));
	failslab("probability", "0");

	while (!(ret = io_uring_peek_cqe(&self->ring, &cqe)) ||
	       ret == -EBADR) {
		if (ret == -EBADR)
			continue;
		if (cqe->flags & IORING_CQE_F_NOTIF)
			notifs += zc_notif_count(cqe);
		else
			firsts++;
		io_uring_cqe_seen(&self->ring, cqe);
	}
	/* Some first CQEs were dropped: the injection did bite. */
	EXPECT_LT(firsts, 32);
	EXPECT_LT(0, (int)*self->ring.cq.koverflow);
	EXPECT_EQ(32, notifs);
	zc_tracker_free(t);
}

/* The result of a lone SEND_ZC of @len bytes: its first CQE's res. */
static int send_one(struct io_uring *ring, struct zc_tracker *t, int fd,
		    const void *buf, size_t len, __u64 ud)
{
	struct io_uring_cqe *cqe;
	int res;

	if (zc_tracker_submit(t, ud) ||
	    queue_send(ring, fd, buf, len, ud, 0, 0, true) != 1)
		return -1000;
	for (;;) {
		if (io_uring_wait_cqe(ring, &cqe))
			return -1001;
		res = cqe->res;
		if (zc_tracker_cqe(t, cqe) < 0)
			return -1002;
		if (!zc_cqe_is_notif(cqe) && cqe->user_data == ud) {
			io_uring_cqe_seen(ring, cqe);
			return res;
		}
		io_uring_cqe_seen(ring, cqe);
	}
}

/*
 * As an unprivileged user: only the default and the allowed policies,
 * and pages charged to RLIMIT_MEMLOCK until the NOTIF covering them: a
 * send beyond the limit fails (and still gets its NOTIF), and once the
 * NOTIFs are in, the same sends fit again.
 */
TEST_F(zc, unprivileged)
{
	const char allowed[] = "t_join_all";
	struct bpf_link *other;
	pid_t pid;
	int st;

	self->skel->data->flush_every = 4;
	attach(_metadata, self, self->skel->maps.join_all);
	/* Registered, but not allowed. */
	ASSERT_EQ(0, zc_policy_attach(self->skel->maps.never_flush, NULL,
				      &other));
	ASSERT_LT(0, pwrite(self->allowed_fd, allowed, strlen(allowed), 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct zc_send_bounds b = { .timeout_ns = 1000000000 };
		struct zc_tracker *t = zc_tracker_new(64);
		static char big[65000];
		struct io_uring ring;
		int i, round;

		/* 64 pages; a 65000-byte send charges 17. */
		if (zc_become_unprivileged(256 << 10) ||
		    io_uring_queue_init(64, &ring, 0) || !t)
			_exit(10);
		if (zc_register_send_policy(&ring, "t_never_flush", &b) !=
		    -EPERM)
			_exit(11);
		if (zc_register_send_policy(&ring, "t_join_all", &b))
			_exit(12);
		for (round = 0; round < 2; round++) {
			/* Three fit in one open notification (51 pages)... */
			for (i = 0; i < 3; i++)
				if (send_one(&ring, t, self->fd, big,
					     sizeof(big), i) != sizeof(big))
					_exit(20 + round);
			/* ... a fourth does not; it closes the range. */
			if (send_one(&ring, t, self->fd, big, sizeof(big),
				     3) != -ENOMEM)
				_exit(30 + round);
			/* Its NOTIF returns all 51: the next round fits. */
			if (drain_tracked(&ring, t, zc_tracker_inflight(t),
					  5000))
				_exit(40 + round);
		}
		/* Freed early, a send gives its pages back with its CQE:
		 * eight in turn fit where four would not.
		 */
		if (zc_register_send_policy_flags(&ring, "", &b,
						  IORING_ZC_SEND_EARLY_FREE))
			_exit(50);
		for (i = 0; i < 8; i++)
			if (send_one(&ring, t, self->fd, big, sizeof(big),
				     10 + i) != sizeof(big))
				_exit(51);
		if (zc_tracker_inflight(t))
			_exit(52);
		io_uring_queue_exit(&ring);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_LT(0, pwrite(self->allowed_fd, "\n", 1, 0));
	zc_policy_detach(other);
}

/* Another process holding the ring fd cannot set its policy. */
TEST_F(zc, foreign_process_refused)
{
	pid_t pid = fork();
	int st;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct io_uring_zc_send_policy p = {
			.flags = IORING_ZC_SEND_COALESCE,
		};

		_exit(reg_raw(self->ring.ring_fd, &p, 1) == -EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, zc_register_send_policy(&self->ring, "", NULL));
}

/* Names are unique; programs that may sleep or call unsafe helpers
 * do not load.
 */
TEST_F(zc, registration_refusals)
{
	struct zc_send_test *again = zc_send_test__open_and_load();
	struct zc_send_bad *bad;
	struct bpf_link *link = NULL;
	struct bpf_map *map;

	ASSERT_NE(NULL, again);
	attach(_metadata, self, self->skel->maps.join_all);
	EXPECT_EQ(-EEXIST, zc_policy_attach(again->maps.join_all, NULL, &link));
	zc_send_test__destroy(again);

	bad = zc_send_bad__open();
	ASSERT_NE(NULL, bad);
	bpf_object__for_each_map(map, bad->obj)
		bpf_map__set_autocreate(map, map == bad->maps.sleepy);
	bpf_program__set_autoload(bad->progs.nosy_join, false);
	EXPECT_NE(0, zc_send_bad__load(bad));
	zc_send_bad__destroy(bad);

	bad = zc_send_bad__open();
	ASSERT_NE(NULL, bad);
	bpf_object__for_each_map(map, bad->obj)
		bpf_map__set_autocreate(map, map == bad->maps.nosy);
	bpf_program__set_autoload(bad->progs.sleepy_join, false);
	EXPECT_NE(0, zc_send_bad__load(bad));
	zc_send_bad__destroy(bad);
}

/*
 * SENDMSG_ZC, registered buffers and sends issued from io-wq all join
 * coalesced notifications and are covered exactly once.
 */
TEST_F(zc, sendmsg_fixed_and_iowq)
{
	struct iovec reg = { self->buf, sizeof(self->buf) };
	struct iovec iov = { self->buf, SEND_LEN };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct zc_tracker *t = zc_tracker_new(64);
	struct io_uring_sqe *sqe;
	int i;

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &reg, 1));
	self->skel->data->flush_every = 5;
	attach(_metadata, self, self->skel->maps.join_all);
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "t_join_all", &slow));
	for (i = 0; i < 30; i++) {
		sqe = io_uring_get_sqe(&self->ring);
		switch (i % 3) {
		case 0:
			io_uring_prep_sendmsg_zc(sqe, self->fd, &msg, 0);
			break;
		case 1:
			io_uring_prep_send_zc_fixed(sqe, self->fd, self->buf,
						    SEND_LEN, 0, 0, 0);
			break;
		case 2:
			io_uring_prep_send_zc(sqe, self->fd, self->buf,
					      SEND_LEN, 0, 0);
			sqe->flags |= IOSQE_ASYNC;
			break;
		}
		sqe->user_data = i;
		ASSERT_EQ(0, zc_tracker_submit(t, i));
		ASSERT_EQ(1, io_uring_submit(&self->ring));
	}
	ASSERT_EQ(0, drain_tracked(&self->ring, t, 30, 5000));
	/* The buffers can go: no notification holds them any more. */
	EXPECT_EQ(0, io_uring_unregister_buffers(&self->ring));
	zc_tracker_free(t);
}

/* bpftool registers a policy, and a ring chooses it by name. */
TEST_F(zc, bpftool_register_and_choose)
{
	char bpftool[300], obj[300], cmd[1024], val[128];
	struct io_uring_cqe c[256];
	struct split s;
	int i;

	zc_build_file("tools/bpftool/bpftool", bpftool, sizeof(bpftool));
	zc_build_file("bpf/batch.bpf.o", obj, sizeof(obj));
	snprintf(cmd, sizeof(cmd),
		 "%s struct_ops register %s /sys/fs/bpf/zc_t >/dev/null",
		 bpftool, obj);
	ASSERT_EQ(0, zc_sh("%s", cmd));
	snprintf(cmd, sizeof(cmd),
		 "%s struct_ops show | grep -q 'batch.*zc_send_ops'", bpftool);
	EXPECT_EQ(0, zc_sh("%s", cmd));
	/* dump decodes the value by its vmlinux BTF: our ops, by name */
	snprintf(cmd, sizeof(cmd),
		 "%s struct_ops dump name batch | grep -q 'batch_join'", bpftool);
	EXPECT_EQ(0, zc_sh("%s", cmd));
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "batch", &slow));
	zc_fdinfo(self->ring.ring_fd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("batch", val);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, queue_send(&self->ring, self->fd, self->buf,
					SEND_LEN, i, 0, 0, false));
	ASSERT_EQ(64, io_uring_submit(&self->ring));
	split_cqes(c, reap(&self->ring, c, 66, 2000), &s);
	EXPECT_EQ(64, s.firsts);
	/* batch closes every 32 sends */
	EXPECT_EQ(2, check_cover(&s, 0, 64));
	snprintf(cmd, sizeof(cmd),
		 "%s link detach pinned /sys/fs/bpf/zc_t/batch && rm -rf /sys/fs/bpf/zc_t",
		 bpftool);
	EXPECT_EQ(0, zc_sh("%s", cmd));
	zc_fdinfo(self->ring.ring_fd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("batch (unregistered)", val);
}

/*
 * zc-policy registers a policy with its maps pinned beside its link,
 * replaces it live from a pinned link (bpftool has no "link update"),
 * re-pinning the maps, and unregisters it.
 */
TEST_F(zc, zc_policy_tool_pinned)
{
	char tool[300], bpftool[300], obj[300], val[128];
	const char *dir = "/sys/fs/bpf/zc_tool";

	zc_build_file("tools/bin/zc-policy", tool, sizeof(tool));
	zc_build_file("tools/bpftool/bpftool", bpftool, sizeof(bpftool));
	zc_build_file("bpf/batch.bpf.o", obj, sizeof(obj));
	ASSERT_EQ(0, zc_sh("%s register %s %s >/dev/null", tool, obj, dir));
	ASSERT_EQ(0, zc_sh("test -e %s/batch && test -e %s/batch_stats && "
			   "test -e %s/batch_knobs", dir, dir, dir));
	/* 8 sends per notification, set through the pinned knobs map */
	ASSERT_EQ(0, zc_sh("%s map update pinned %s/batch_knobs key 0 0 0 0 "
			   "value 8 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", bpftool, dir));
	ASSERT_EQ(0, zc_register_send_policy(&self->ring, "batch", &slow));
	EXPECT_EQ(4, send_and_cover(&self->ring, self->fd, self->buf, 0, 32));

	/* A fresh batch has the default knobs, 32 sends, and its own stats. */
	ASSERT_EQ(0, zc_sh("%s replace %s/batch %s >/dev/null", tool, dir, obj));
	EXPECT_EQ(2, send_and_cover(&self->ring, self->fd, self->buf, 32, 64));
	EXPECT_EQ(0, zc_sh("%s stats %s/batch_stats | grep -qx 'notifications 2'",
			   tool, dir));
	zc_fdinfo(self->ring.ring_fd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("batch", val);

	/* Not a link, and not there: refused with the reason. */
	EXPECT_NE(0, zc_sh("%s replace %s/batch_stats %s 2>/dev/null",
			   tool, dir, obj));
	EXPECT_NE(0, zc_sh("%s replace %s/nothing %s 2>/dev/null",
			   tool, dir, obj));

	ASSERT_EQ(0, zc_sh("%s unregister %s/batch >/dev/null", tool, dir));
	EXPECT_NE(0, zc_sh("test -e %s/batch", dir));
	zc_fdinfo(self->ring.ring_fd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("batch (unregistered)", val);
	zc_sh("rm -rf %s", dir);
}

TEST_HARNESS_MAIN
