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
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>
#include <linux/zc_policy.h>

#include "zc.h"
#include "zc_send_test.skel.h"
#include "copy_small.skel.h"

#include "kselftest_harness.h"
#include "lib/zc_test.h"

#define SEND_LEN	1000
#define NSENDS		64

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A UDP socket in this netns, connected through a dummy device. */
static int udp_to_dummy(void)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
	};
	int fd;

	if (sh("ip link add zcd0 type dummy && "
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

/* The value of "Key:\t..." in the ring's fdinfo, or "" */
static void fdinfo(int ring_fd, const char *key, char *val, size_t size)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	val[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			snprintf(val, size, "%s", line + klen + 2);
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
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

FIXTURE(zc) {
	struct io_uring ring;
	int fd;
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
	q = p, q.flags = 3;
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
	fdinfo(rfd, "ZcSendPolicy", val, sizeof(val));
	EXPECT_STREQ("", val);

	/* The defaults, written back. */
	ASSERT_EQ(0, reg_raw(rfd, &p, 1));
	EXPECT_EQ(64, p.max_sends);
	EXPECT_EQ(1 << 20, p.max_bytes);
	EXPECT_EQ(1000000, p.timeout_ns);
	fdinfo(rfd, "ZcSendPolicy", val, sizeof(val));
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
	fdinfo(self->ring.ring_fd, "ZcSendPolicy", val, sizeof(val));
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
	fdinfo(self->ring.ring_fd, "ZcSendClosed", val, sizeof(val));
	EXPECT_STREQ("notifs=3 sends=12", val);
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
	/* Stock: each send its own NOTIF, so join was never asked. */
	ASSERT_EQ(6, check_cover(&s, 0, 6));
	fdinfo(self->ring.ring_fd, "ZcSendFaults", val, sizeof(val));
	EXPECT_STREQ("12", val);
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

TEST_HARNESS_MAIN
