// SPDX-License-Identifier: GPL-2.0
/*
 * MSG_ZEROCOPY completion reports: every send's range is reported once,
 * and a send that was copied is reported with SO_EE_CODE_ZEROCOPY_COPIED,
 * through the kernel's merging of adjacent ranges on the error queue.
 *
 * An unconnected UDP socket in a netns of its own sends each datagram
 * either through a dummy device (scatter-gather and checksum offload: the
 * pages go out by reference and the device frees the skb, zerocopy) or
 * to a loopback address (the receive path copies the pages out of the
 * skb: copied).  Both complete before sendto() returns, in order, so the
 * kernel gets to merge each completion into the unread one before it.
 * Ranges of one kind merge; a copied range merged into a zerocopy one
 * used to take its code and lose the copy.
 */
#include <errno.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/errqueue.h>

#include "kselftest_harness.h"
#include "lib/zc_test.h"
#include "lib/zc_net.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY		5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED	1
#endif

#define NS		"mzc0"
#define PORT		5401
#define PAYLOAD		1000	/* under the MTU: checksum offload applies */
#define MAXSENDS	256

/* What one send's report must say, and what the error queue said. */
struct sends {
	int n;
	bool copied[MAXSENDS];	/* sent to loopback */
	int seen[MAXSENDS];	/* times a report covered the id */
	bool seen_copied[MAXSENDS];
	int reports;
};

FIXTURE(copied) {
	int old_ns;
	int fd;
	struct sockaddr_storage nic, lo;
	socklen_t nic_len, lo_len;
	unsigned char buf[PAYLOAD];
};

FIXTURE_VARIANT(copied) {
	int family;
	const char *nic, *lo;
};

FIXTURE_VARIANT_ADD(copied, udp4) {
	.family = AF_INET, .nic = "10.77.0.2", .lo = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(copied, udp6) {
	.family = AF_INET6, .nic = "fd77::2", .lo = "::1",
};

FIXTURE_SETUP(copied)
{
	int one = 1;

	zc_sh("ip netns del " NS " 2>/dev/null");
	ASSERT_EQ(0, zc_sh("ip netns add " NS " && "
			   "ip -n " NS " link set lo up && "
			   "ip -n " NS " link add mzd0 type dummy && "
			   "ip -n " NS " addr add 10.77.0.1/24 dev mzd0 && "
			   "ip -n " NS " addr add fd77::1/64 dev mzd0 nodad && "
			   "ip -n " NS " link set mzd0 up"));
	self->old_ns = zc_ns_enter(NS);
	self->fd = socket(variant->family, SOCK_DGRAM, 0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_ZEROCOPY, &one,
				sizeof(one)));
	self->nic_len = zc_sockaddr_of(variant->nic, PORT, &self->nic);
	self->lo_len = zc_sockaddr_of(variant->lo, PORT, &self->lo);
	memset(self->buf, 0x5a, sizeof(self->buf));
}

FIXTURE_TEARDOWN(copied)
{
	close(self->fd);
	zc_ns_leave(self->old_ns);
	zc_sh("ip netns del " NS " 2>/dev/null");
}

/* Send one datagram, zerocopy-requested, through the NIC or loopback. */
static int send_one(FIXTURE_DATA(copied) *self, struct sends *s, bool lo)
{
	ssize_t n = sendto(self->fd, self->buf, sizeof(self->buf),
			   MSG_ZEROCOPY, lo ? (void *)&self->lo : (void *)&self->nic,
			   lo ? self->lo_len : self->nic_len);

	if (n != sizeof(self->buf))
		return n < 0 ? -errno : -EIO;
	s->copied[s->n++] = lo;
	return 0;
}

/* Read every report on the error queue into @s; 0, or -errno. */
static int drain(int fd, struct sends *s)
{
	char control[128];

	for (;;) {
		struct msghdr msg = {
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		struct sock_extended_err *ee;
		struct cmsghdr *cm;
		__u32 id;

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN ? 0 : -errno;
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || !((cm->cmsg_level == SOL_IP &&
			      cm->cmsg_type == IP_RECVERR) ||
			     (cm->cmsg_level == SOL_IPV6 &&
			      cm->cmsg_type == IPV6_RECVERR)))
			return -EPROTO;
		ee = (void *)CMSG_DATA(cm);
		if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee->ee_errno ||
		    ee->ee_info > ee->ee_data || ee->ee_data >= (__u32)s->n)
			return -EPROTO;
		s->reports++;
		for (id = ee->ee_info; id <= ee->ee_data; id++) {
			s->seen[id]++;
			s->seen_copied[id] = ee->ee_code &
					     SO_EE_CODE_ZEROCOPY_COPIED;
		}
	}
}

/* Each send reported once, copied exactly when it was. */
static void check(struct __test_metadata *_metadata, struct sends *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		EXPECT_EQ(1, s->seen[i]) TH_LOG("send %d reported %d times",
						 i, s->seen[i]);
		EXPECT_EQ(s->copied[i], s->seen_copied[i])
			TH_LOG("send %d went %s but was reported %s", i,
			       s->copied[i] ? "through loopback" : "zerocopy",
			       s->seen_copied[i] ? "copied" : "zerocopy");
	}
}

/* A zerocopy send, then a copied one: the copy must not be hidden. */
TEST_F(copied, zerocopy_then_copied)
{
	struct sends s = {};

	ASSERT_EQ(0, send_one(self, &s, false));
	ASSERT_EQ(0, send_one(self, &s, true));
	ASSERT_EQ(0, drain(self->fd, &s));
	check(_metadata, &s);
	EXPECT_EQ(2, s.reports);
}

/* A copied send, then a zerocopy one: no zerocopy send reported copied. */
TEST_F(copied, copied_then_zerocopy)
{
	struct sends s = {};

	ASSERT_EQ(0, send_one(self, &s, true));
	ASSERT_EQ(0, send_one(self, &s, false));
	ASSERT_EQ(0, drain(self->fd, &s));
	check(_metadata, &s);
	EXPECT_EQ(2, s.reports);
}

/*
 * Runs of each kind in a pseudo-random order, nothing read in between:
 * ranges still merge within a run, never across a change of kind.
 */
TEST_F(copied, runs_merge_apart)
{
	struct sends s = {};
	unsigned int seed = 1, runs = 0;
	bool lo = false;
	int i;

	for (i = 0; i < MAXSENDS; i++) {
		seed = seed * 1103515245 + 12345;
		if (!i || (seed >> 16) % 4 == 0) {
			lo = i ? !lo : false;
			runs++;
		}
		ASSERT_EQ(0, send_one(self, &s, lo));
	}
	ASSERT_EQ(0, drain(self->fd, &s));
	check(_metadata, &s);
	/* Completions can be reordered, which only splits ranges. */
	EXPECT_LE(runs, s.reports);
	EXPECT_GT(MAXSENDS / 2, s.reports)
		TH_LOG("%d reports for %d runs: ranges did not merge",
		       s.reports, runs);
	TH_LOG("%d sends in %u runs: %d reports", MAXSENDS, runs, s.reports);
}

TEST_HARNESS_MAIN
