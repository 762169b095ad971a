// SPDX-License-Identifier: GPL-2.0
/*
 * zcnic and the memory-provider plumbing, tested with devmem TCP, the
 * provider 6.12 already has.
 *
 * Every case builds its own pair: zcnic A in netns "tx", zcnic B in netns
 * "rx", 4 queues each, IPv4 and IPv6 addresses, tcp-data-split on B.  The
 * receiver binds a udmabuf to one of B's queues through the netdev netlink
 * family and reads with MSG_SOCK_DEVMEM.  Each case ends by removing the
 * pair and waiting for every page pool to have no pages in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/errqueue.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/udmabuf.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/*
 * The devmem ABI: linux/uio.h has these structs but its struct iovec
 * clashes with glibc's, and MSG_SOCK_DEVMEM is not in uapi at all.
 */
#define MSG_SOCK_DEVMEM	0x2000000
struct dmabuf_cmsg {
	__u64 frag_offset;
	__u32 frag_size;
	__u32 frag_token;
	__u32 dmabuf_id;
	__u32 flags;
};

struct dmabuf_token {
	__u32 token_start;
	__u32 token_count;
};

#include "ynl.h"
#include "netdev-user.h"

#include "kselftest_harness.h"
#include "lib/zc_test.h"
#include "lib/zc_net.h"
#include "lib/zc_pp.h"

#define NQ		4
#define PORT		5201
#define PATTERN_MOD	251	/* prime, so page offsets show up */

static const char *zctool = "zc-ethtool";

struct udmabuf {
	int devfd, memfd, fd;
	size_t size;
	unsigned char *mem;
};

static int udmabuf_new(struct udmabuf *u, size_t size)
{
	struct udmabuf_create c = {};

	u->size = size;
	u->devfd = open("/dev/udmabuf", O_RDWR);
	u->memfd = memfd_create("zcnic-test", MFD_ALLOW_SEALING);
	if (u->devfd < 0 || u->memfd < 0 ||
	    fcntl(u->memfd, F_ADD_SEALS, F_SEAL_SHRINK) ||
	    ftruncate(u->memfd, size))
		return -errno;
	c.memfd = u->memfd;
	c.size = size;
	u->fd = ioctl(u->devfd, UDMABUF_CREATE, &c);
	if (u->fd < 0)
		return -errno;
	u->mem = mmap(NULL, size, PROT_READ, MAP_SHARED, u->memfd, 0);
	return u->mem == MAP_FAILED ? -errno : 0;
}

static void udmabuf_free(struct udmabuf *u)
{
	if (u->mem && u->mem != MAP_FAILED)
		munmap(u->mem, u->size);
	close(u->fd);
	close(u->memfd);
	close(u->devfd);
}

/*
 * Bind @dmabuf_fd to queue @q of @ifindex from the current netns.  Closing
 * the returned socket unbinds.  Return NULL and set errno on failure.
 */
static struct ynl_sock *bind_rx(int ifindex, int dmabuf_fd, int q)
{
	struct netdev_bind_rx_req *req;
	struct netdev_bind_rx_rsp *rsp;
	struct netdev_queue_id *qid;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	int err;

	ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!ys)
		return NULL;
	qid = calloc(1, sizeof(*qid));
	qid->_present.type = 1;
	qid->_present.id = 1;
	qid->type = NETDEV_QUEUE_TYPE_RX;
	qid->id = q;

	req = netdev_bind_rx_req_alloc();
	netdev_bind_rx_req_set_ifindex(req, ifindex);
	netdev_bind_rx_req_set_fd(req, dmabuf_fd);
	__netdev_bind_rx_req_set_queues(req, qid, 1);
	rsp = netdev_bind_rx(ys, req);
	err = ys->err.code;
	netdev_bind_rx_req_free(req);
	if (!rsp) {
		fprintf(stderr, "# bind queue %d: %s\n", q, ys->err.msg);
		ynl_sock_destroy(ys);
		errno = err > 0 ? err : EINVAL;
		return NULL;
	}
	netdev_bind_rx_rsp_free(rsp);
	return ys;
}

/* Attach a pass-all XDP program in generic mode; return 0 or -errno. */
static int xdp_attach(int ifindex)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "pass", "GPL", insns, 2, NULL);
	if (fd < 0)
		return fd;
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL);
	close(fd);
	return err;
}

static unsigned char pat(unsigned long long off)
{
	return off % PATTERN_MOD;
}

/* Child: connect from netns @ns to @addr:@port and send @len bytes. */
static pid_t sender(const char *ns, const char *addr, int port, size_t len)
{
	return zc_pattern_sender(ns, addr, port, len, pat);
}

struct rx_result {
	unsigned long long bytes;	/* stream bytes verified */
	unsigned long long devmem;	/* of which in the dma-buf */
	unsigned long long linear;	/* SCM_DEVMEM_LINEAR bytes */
	unsigned long long tokens_held;
	int err;			/* first recv errno */
	int bad;			/* pattern mismatches */
};

/*
 * Receive a stream on @cfd until EOF, checking every byte against the
 * pattern: copied bytes from the iov, dma-buf frags from @u.  Hold up to
 * @hold tokens before returning them (to exhaust the buffer); with
 * @plain, use recv() without MSG_SOCK_DEVMEM.
 */
/* rx_stream()'s @hold: return no token until the stream ends. */
#define RX_HOLD_ALL	(1U << 30)

static void rx_stream(int cfd, struct udmabuf *u, bool plain,
		      unsigned int hold, struct rx_result *r)
{
	static unsigned char iobuf[65536];
	char ctrl[CMSG_SPACE(sizeof(struct dmabuf_cmsg)) * 128];
	struct dmabuf_token tok[1024];
	unsigned int ntok = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		struct iovec iov = { iobuf, sizeof(iobuf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctrl,
				      .msg_controllen = sizeof(ctrl) };
		struct cmsghdr *cm;
		ssize_t n, i;
		int copied = 1;

		n = recvmsg(cfd, &msg,
			    (plain ? 0 : MSG_SOCK_DEVMEM) | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { cfd, POLLIN, 0 };

			/*
			 * Never wait holding buffers the caller meant to give
			 * back: the device may need them to deliver what we
			 * wait for.  (RX_HOLD_ALL keeps them all, on purpose.)
			 */
			if (ntok && hold != RX_HOLD_ALL)
				setsockopt(cfd, SOL_SOCKET, SO_DEVMEM_DONTNEED,
					   tok, ntok * sizeof(tok[0]));
			ntok = 0;
			poll(&p, 1, -1);
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r->err = errno;
			break;
		}
		if (!n)
			break;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct dmabuf_cmsg *dc = (void *)CMSG_DATA(cm);

			if (cm->cmsg_level != SOL_SOCKET)
				continue;
			copied = 0;
			if (cm->cmsg_type == SCM_DEVMEM_LINEAR) {
				for (i = 0; i < dc->frag_size; i++)
					r->bad += iobuf[i] != pat(r->bytes + i);
				r->linear += dc->frag_size;
				r->bytes += dc->frag_size;
				continue;
			}
			if (cm->cmsg_type != SCM_DEVMEM_DMABUF)
				continue;
			for (i = 0; i < dc->frag_size; i++)
				r->bad += u->mem[dc->frag_offset + i] !=
					  pat(r->bytes + i);
			r->bytes += dc->frag_size;
			r->devmem += dc->frag_size;
			tok[ntok].token_start = dc->frag_token;
			tok[ntok].token_count = 1;
			ntok++;
			if (ntok >= hold || ntok == 1024) {
				setsockopt(cfd, SOL_SOCKET, SO_DEVMEM_DONTNEED,
					   tok, ntok * sizeof(tok[0]));
				ntok = 0;
			}
		}
		if (copied) {
			for (i = 0; i < n; i++)
				r->bad += iobuf[i] != pat(r->bytes + i);
			r->bytes += n;
		}
	}
	r->tokens_held = ntok;
	if (ntok)
		setsockopt(cfd, SOL_SOCKET, SO_DEVMEM_DONTNEED, tok,
			   ntok * sizeof(tok[0]));
}

FIXTURE(zcnic) {
	struct zc_pair p;
	int ifb;			/* B's ifindex, in netns rx */
	struct udmabuf u;
};

FIXTURE_SETUP(zcnic)
{
	int old;

	memset(&self->u, 0, sizeof(self->u));
	self->u.fd = self->u.memfd = self->u.devfd = -1;
	/* The harness forks each case: the pid names its devices. */
	ASSERT_EQ(0, zc_pair_create(&self->p, getpid(), NQ));
	ASSERT_EQ(0, zc_sh("ip netns exec %s %s -G %s tcp-data-split on",
			   self->p.nsb, zctool, self->p.b));
	old = zc_ns_enter(self->p.nsb);
	self->ifb = if_nametoindex(self->p.b);
	zc_ns_leave(old);
	ASSERT_NE(0, self->ifb);
}

FIXTURE_TEARDOWN(zcnic)
{
	zc_pair_unplug(&self->p);
	if (self->u.fd >= 0)
		udmabuf_free(&self->u);
	EXPECT_EQ(0, zc_pair_drain_pools(&self->p));
	zc_pair_netns_del(&self->p);
}

/* Steer port @port to queue @q and everything else to queues below it. */
static int steer(FIXTURE_DATA(zcnic) *self, int port, int q)
{
	return zc_sh("ip netns exec %s ethtool -X %s equal %d && "
		  "ip netns exec %s ethtool -N %s flow-type tcp4 dst-port %d action %d >/dev/null && "
		  "ip netns exec %s ethtool -N %s flow-type tcp6 dst-port %d action %d >/dev/null",
		  self->p.nsb, self->p.b, q, self->p.nsb, self->p.b, port, q,
		  self->p.nsb, self->p.b, port, q);
}

typedef pid_t (*sender_fn)(const char *ns, const char *addr, int port,
			   size_t len);

/*
 * One TCP stream of @len bytes from A (netns nsa) to B's @family address,
 * sent by @send and checked byte by byte.  With @u, read with
 * MSG_SOCK_DEVMEM, and every byte must be in that dma-buf; without, read
 * with plain recv().
 */
static void stream_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(zcnic) *self, int family, int port,
			 size_t len, sender_fn send, struct udmabuf *u)
{
	const char *addr = family == AF_INET6 ? "fd00::2" : "10.9.0.2";
	int lfd = zc_listener(self->p.nsb, family, port), cfd;
	struct rx_result r;
	pid_t pid;

	ASSERT_LE(0, lfd);
	pid = send(self->p.nsa, addr, port, len);
	cfd = zc_accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	rx_stream(cfd, u, !u, 1, &r);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(len, r.bytes);
	if (u) {
		EXPECT_EQ(r.bytes, r.devmem);
		EXPECT_EQ(0, r.linear);
	}
	EXPECT_EQ(0, zc_wait_child(pid));
	close(cfd);
	close(lfd);
}

static void plain_round(struct __test_metadata *_metadata,
			FIXTURE_DATA(zcnic) *self, int family, int port,
			size_t len, sender_fn send)
{
	stream_round(_metadata, self, family, port, len, send, NULL);
}

static void devmem_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(zcnic) *self, int family, int port,
			 size_t len)
{
	stream_round(_metadata, self, family, port, len, sender, &self->u);
}

/* Plain TCP over both families: payload split from headers, intact. */
TEST_F_TIMEOUT(zcnic, plain_tcp_split, 300)
{
	plain_round(_metadata, self, AF_INET, PORT, 8 << 20, sender);
	plain_round(_metadata, self, AF_INET6, PORT + 1, 8 << 20, sender);
	EXPECT_LT(0, nic_stat(self->p.nsb, self->p.b, -1, "hds_split"));
	EXPECT_LE(16LL << 20, nic_stat(self->p.nsb, self->p.b, -1,
				       "dev_written_bytes"));
	EXPECT_EQ(0, nic_stat(self->p.nsb, self->p.b, -1, "missed"));
}

/* The bind checks, each with its own errno. */
TEST_F(zcnic, bind_errors)
{
	struct ynl_sock *ys, *ys2;
	int old;

	ASSERT_EQ(0, udmabuf_new(&self->u, 1 << 20));
	old = zc_ns_enter(self->p.nsb);

	ASSERT_EQ(NULL, bind_rx(self->ifb, self->u.fd, NQ + 3));
	EXPECT_EQ(ERANGE, errno);

	ASSERT_EQ(0, zc_sh("%s -G %s tcp-data-split off", zctool, self->p.b));
	ASSERT_EQ(NULL, bind_rx(self->ifb, self->u.fd, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, zc_sh("%s -G %s tcp-data-split on", zctool, self->p.b));

	ys = bind_rx(self->ifb, self->u.fd, 1);
	ASSERT_NE(NULL, ys);
	ys2 = bind_rx(self->ifb, self->u.fd, 1);
	EXPECT_EQ(NULL, ys2);
	EXPECT_EQ(EEXIST, errno);

	/* Header split and XDP stay as they are while bound. */
	EXPECT_NE(0, zc_sh("%s -G %s tcp-data-split off 2>/dev/null",
			zctool, self->p.b));
	EXPECT_EQ(-EBUSY, xdp_attach(self->ifb));
	ynl_sock_destroy(ys);

	/* And with XDP on the device, nothing binds. */
	ASSERT_EQ(0, xdp_attach(self->ifb));
	EXPECT_EQ(NULL, bind_rx(self->ifb, self->u.fd, 1));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, bpf_xdp_detach(self->ifb, XDP_FLAGS_SKB_MODE, NULL));
	zc_ns_leave(old);
}

/*
 * devmem TCP on a steered queue, both families: every payload byte lands
 * in the dma-buf, none in the skb head, and other flows stay off the queue.
 */
TEST_F_TIMEOUT(zcnic, devmem_rx, 300)
{
	struct ynl_sock *ys;
	long long q3;
	int old;

	ASSERT_EQ(0, udmabuf_new(&self->u, 16 << 20));
	ASSERT_EQ(0, steer(self, PORT, 3));
	old = zc_ns_enter(self->p.nsb);
	ys = bind_rx(self->ifb, self->u.fd, 3);
	zc_ns_leave(old);
	ASSERT_NE(NULL, ys);

	devmem_round(_metadata, self, AF_INET, PORT, 8 << 20);
	devmem_round(_metadata, self, AF_INET6, PORT, 8 << 20);

	/* A plain flow on another port: readable, and not on queue 3. */
	q3 = nic_stat(self->p.nsb, self->p.b, 3, "packets");
	plain_round(_metadata, self, AF_INET, PORT + 1, 4 << 20, sender);
	EXPECT_EQ(q3, nic_stat(self->p.nsb, self->p.b, 3, "packets"));
	ynl_sock_destroy(ys);
}

/* Unreadable payload is not for a plain recv(). */
TEST_F(zcnic, plain_recv_efault)
{
	struct ynl_sock *ys;
	struct rx_result r;
	int lfd, cfd, old;
	pid_t pid;

	ASSERT_EQ(0, udmabuf_new(&self->u, 4 << 20));
	ASSERT_EQ(0, steer(self, PORT, 2));
	old = zc_ns_enter(self->p.nsb);
	ys = bind_rx(self->ifb, self->u.fd, 2);
	zc_ns_leave(old);
	ASSERT_NE(NULL, ys);

	lfd = zc_listener(self->p.nsb, AF_INET, PORT);
	pid = sender(self->p.nsa, "10.9.0.2", PORT, 1 << 20);
	cfd = zc_accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	rx_stream(cfd, NULL, true, 1, &r);
	EXPECT_EQ(EFAULT, r.err);
	close(cfd);
	close(lfd);
	kill(pid, SIGKILL);
	zc_wait_child(pid);
	ynl_sock_destroy(ys);
}

/*
 * Bind and unbind over and over while the flow runs on that queue: each
 * restart swaps the pool, data in flight keeps its old buffers, and the
 * stream stays intact whichever memory a segment landed in.
 */
TEST_F_TIMEOUT(zcnic, restart_under_traffic, 300)
{
	struct rx_result r;
	int lfd, cfd, i;
	pid_t pid, binder;

	ASSERT_EQ(0, udmabuf_new(&self->u, 16 << 20));
	ASSERT_EQ(0, steer(self, PORT, 1));
	lfd = zc_listener(self->p.nsb, AF_INET6, PORT);
	ASSERT_LE(0, lfd);
	pid = sender(self->p.nsa, "fd00::2", PORT, 32 << 20);
	cfd = zc_accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);

	binder = fork();
	if (!binder) {
		close(zc_ns_enter(self->p.nsb));
		for (i = 0; i < 20; i++) {
			struct ynl_sock *ys = bind_rx(self->ifb, self->u.fd, 1);

			if (!ys)
				_exit(1);
			usleep(50000);
			ynl_sock_destroy(ys);
			/* A queue restart without provider: new ring size. */
			if (zc_sh("ethtool -G %s rx %d", self->p.b, i & 1 ? 256 : 512))
				_exit(2);
		}
		_exit(0);
	}
	rx_stream(cfd, &self->u, false, 1, &r);
	EXPECT_EQ(0, zc_wait_child(binder));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(32ULL << 20, r.bytes);
	EXPECT_EQ(0, zc_wait_child(pid));
	close(cfd);
	close(lfd);
}

/*
 * Unbind while the socket holds dma-buf frags (queued skbs and tokens not
 * yet returned) and the sender is still sending: the queued buffers go
 * back to the provider when their skbs are freed, and the rest of the
 * stream lands in kernel pages, readable, on the restarted queue.
 */
TEST_F_TIMEOUT(zcnic, unbind_inflight, 300)
{
	struct ynl_sock *ys;
	struct rx_result r;
	int lfd, cfd, old, inq = 0, i;
	pid_t pid;

	ASSERT_EQ(0, udmabuf_new(&self->u, 8 << 20));
	ASSERT_EQ(0, steer(self, PORT, 3));
	/* Fork before binding: a child holding the netlink socket would
	 * keep the binding alive after we close it.  It connects once the
	 * listener is up.
	 */
	pid = sender(self->p.nsa, "10.9.0.2", PORT, 4 << 20);
	old = zc_ns_enter(self->p.nsb);
	ys = bind_rx(self->ifb, self->u.fd, 3);
	zc_ns_leave(old);
	ASSERT_NE(NULL, ys);

	lfd = zc_listener(self->p.nsb, AF_INET, PORT);
	cfd = zc_accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	/* Let provider buffers pile up unread, then unbind under them. */
	for (i = 0; i < 400 && inq < (32 << 10); i++) {
		if (ioctl(cfd, SIOCINQ, &inq))
			break;
		usleep(25000);
	}
	EXPECT_LE(32 << 10, inq);
	ynl_sock_destroy(ys);
	rx_stream(cfd, &self->u, false, RX_HOLD_ALL, &r);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(4ULL << 20, r.bytes);
	/* Both kinds of memory carried part of the stream. */
	EXPECT_LE(32ULL << 10, r.devmem);
	EXPECT_GT(r.bytes, r.devmem);
	EXPECT_EQ(0, zc_wait_child(pid));
	close(cfd);
	close(lfd);
}

/* No buffer posted: the device drops and counts, the sender never stalls
 * for good, and the stream completes once buffers come back.  The reader
 * holds up to 48 tokens while data flows, and none while it waits.
 */
TEST_F_TIMEOUT(zcnic, exhaustion_drops, 300)
{
	long long missed;
	struct ynl_sock *ys;
	struct rx_result r;
	int lfd, cfd, old;
	pid_t pid;

	/* 64 pages against a 256-entry ring: the pool runs dry. */
	ASSERT_EQ(0, udmabuf_new(&self->u, 64 * 4096));
	ASSERT_EQ(0, steer(self, PORT, 3));
	old = zc_ns_enter(self->p.nsb);
	ys = bind_rx(self->ifb, self->u.fd, 3);
	zc_ns_leave(old);
	ASSERT_NE(NULL, ys);

	lfd = zc_listener(self->p.nsb, AF_INET, PORT);
	pid = sender(self->p.nsa, "10.9.0.2", PORT, 4 << 20);
	cfd = zc_accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	rx_stream(cfd, &self->u, false, 48, &r);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(4ULL << 20, r.bytes);
	EXPECT_EQ(0, zc_wait_child(pid));
	missed = nic_stat(self->p.nsb, self->p.b, 3, "missed");
	fprintf(stderr, "# rx3_missed: %lld\n", missed);
	EXPECT_LT(0, missed);
	close(cfd);
	close(lfd);
	ynl_sock_destroy(ys);
}

/*
 * Device events while a provider is bound: down/up, MTU, channels, netns
 * move, and unregister.  After each one still bound, data still lands in
 * the dma-buf.
 */
TEST_F_TIMEOUT(zcnic, device_events, 300)
{
	struct ynl_sock *ys;
	int old;

	ASSERT_EQ(0, udmabuf_new(&self->u, 8 << 20));
	ASSERT_EQ(0, zc_sh("ip netns exec %s ethtool -X %s equal 1 && "
			"ip netns exec %s ethtool -N %s flow-type tcp4 dst-port %d action 1 >/dev/null",
			self->p.nsb, self->p.b, self->p.nsb, self->p.b, PORT));
	old = zc_ns_enter(self->p.nsb);
	ys = bind_rx(self->ifb, self->u.fd, 1);
	ASSERT_NE(NULL, ys);
	devmem_round(_metadata, self, AF_INET, PORT, 1 << 20);

	ASSERT_EQ(0, zc_sh("ip link set %s down && ip link set %s up",
			self->p.b, self->p.b));
	devmem_round(_metadata, self, AF_INET, PORT, 1 << 20);

	ASSERT_EQ(0, zc_sh("ip link set %s mtu 4000 && ip link set %s mtu 1500",
			self->p.b, self->p.b));
	devmem_round(_metadata, self, AF_INET, PORT, 1 << 20);

	/* Queue 1 is bound: one channel is too few, two are enough. */
	EXPECT_NE(0, zc_sh("ethtool -L %s combined 1 2>/dev/null", self->p.b));
	EXPECT_EQ(0, zc_sh("ethtool -L %s combined 2", self->p.b));
	devmem_round(_metadata, self, AF_INET, PORT, 1 << 20);
	zc_ns_leave(old);

	/* Move B to a third netns and back; still bound. */
	ASSERT_EQ(0, zc_sh("ip netns add %sm && ip -n %s link set %s netns %sm && "
			"ip -n %sm link set %s netns %s && "
			"ip -n %s addr add 10.9.0.2/24 dev %s && "
			"ip -n %s link set %s up && ip netns del %sm",
			self->p.nsb, self->p.nsb, self->p.b, self->p.nsb,
			self->p.nsb, self->p.b, self->p.nsb,
			self->p.nsb, self->p.b, self->p.nsb, self->p.b, self->p.nsb));
	devmem_round(_metadata, self, AF_INET, PORT, 1 << 20);

	/* Unregister with the binding alive; unbinding later is a no-op. */
	ASSERT_EQ(0, zc_sh("echo %s > /sys/bus/platform/drivers/zcnic/del_pair",
			self->p.a));
	ynl_sock_destroy(ys);
}

/*
 * UDP crosses the pair in both families: datagrams split at the UDP
 * payload, IP fragments unsplit, every byte intact.  Sender and receiver
 * go in lockstep, a batch of datagrams then an acknowledgement, so that a
 * burst cannot outrun the rx ring: that would be a legitimate drop.
 */
#define UDP_BATCH	8

static pid_t udp_sender(const char *ns, const struct sockaddr_storage *ss,
			socklen_t sl, const int *sizes, int nsizes, int n)
{
	static unsigned char buf[65536];
	pid_t pid = fork();
	int fd, i, j;

	if (pid)
		return pid;
	close(zc_ns_enter(ns));
	fd = socket(ss->ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (void *)ss, sl))
		_exit(2);
	for (i = 0; i < n; i++) {
		int len = sizes[i % nsizes];
		struct pollfd p = { fd, POLLIN, 0 };

		for (j = 0; j < len; j++)
			buf[j] = (i * 7 + j) % PATTERN_MOD;
		if (send(fd, buf, len, 0) != len)
			_exit(3);
		if ((i + 1) % UDP_BATCH && i + 1 < n)
			continue;
		if (poll(&p, 1, 10000) != 1 || recv(fd, buf, 1, 0) != 1)
			_exit(4);
	}
	_exit(0);
}

TEST_F_TIMEOUT(zcnic, udp, 300)
{
	static const int sizes[] = { 1, 100, 1000, 1400, 4000, 8000 };
	const char *addrs[] = { "10.9.0.2", "fd00::2" };
	int fam[] = { AF_INET, AF_INET6 };
	const int n = 120, big = 8 << 20;	/* n < PATTERN_MOD */
	static unsigned char buf[65536];
	long long split0 = nic_stat(self->p.nsb, self->p.b, -1, "hds_split");
	int f;

	for (f = 0; f < 2; f++) {
		struct sockaddr_storage ss, any, peer;
		socklen_t sl = zc_sockaddr_of(addrs[f], PORT, &ss), pl;
		int old, rfd, i, j, k, got = 0, bad = 0;
		bool seen[120] = {};
		pid_t pid;

		/* Bind to the wildcard of the family, on PORT. */
		zc_sockaddr_of(f ? "::" : "0.0.0.0", PORT, &any);
		old = zc_ns_enter(self->p.nsb);
		rfd = socket(fam[f], SOCK_DGRAM, 0);
		zc_ns_leave(old);
		ASSERT_LE(0, rfd);
		ASSERT_EQ(0, setsockopt(rfd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
					sizeof(big)));
		ASSERT_EQ(0, bind(rfd, (void *)&any, sl));

		pid = udp_sender(self->p.nsa, &ss, sl, sizes, 6, n);
		for (i = 0; i < n; i++) {
			struct pollfd p = { rfd, POLLIN, 0 };
			ssize_t len;

			if (poll(&p, 1, 10000) != 1)
				break;
			pl = sizeof(peer);
			len = recvfrom(rfd, buf, sizeof(buf), 0,
				       (void *)&peer, &pl);
			/*
			 * RSS hashes IP fragments on addresses only, so they
			 * take another queue than whole datagrams and may
			 * overtake them: tell datagrams by content.  Byte 0 of
			 * datagram k is 7k mod 251, and 36 * 7 = 1 mod 251.
			 */
			k = len > 0 ? buf[0] * 36 % PATTERN_MOD : n;
			if (k >= n || seen[k] || len != sizes[k % 6]) {
				bad++;
			} else {
				for (j = 0; j < len; j++)
					bad += buf[j] != (k * 7 + j) % PATTERN_MOD;
				seen[k] = true;
				got++;
			}
			if (((i + 1) % UDP_BATCH == 0 || i + 1 == n) &&
			    sendto(rfd, buf, 1, 0, (void *)&peer, pl) != 1)
				break;
		}
		EXPECT_EQ(0, zc_wait_child(pid));
		EXPECT_EQ(n, got);
		EXPECT_EQ(0, bad);
		close(rfd);
	}
	/* Four of the six sizes fit the MTU: those are split. */
	EXPECT_LE(split0 + 2 * n * 4 / 6,
		  nic_stat(self->p.nsb, self->p.b, -1, "hds_split"));
	EXPECT_EQ(0, nic_stat(self->p.nsb, self->p.b, -1, "missed"));
}

/*
 * Child: send @len bytes with MSG_ZEROCOPY from a buffer never reused,
 * then collect every completion from the error queue.  Exit 0 when all
 * came back zero-copy, 10 when a range says the data was copied, 11 when
 * completions are missing.
 */
static pid_t zc_sender(const char *ns, const char *addr, int port, size_t len)
{
	unsigned long long sends = 0, done = 0, copied = 0, off = 0;
	pid_t pid = fork();
	unsigned char *buf;
	int fd, one = 1;

	if (pid)
		return pid;
	close(zc_ns_enter(ns));
	buf = malloc(len);
	if (!buf)
		_exit(4);
	for (off = 0; off < len; off++)
		buf[off] = pat(off);
	fd = zc_connect_retry(addr, port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		_exit(2);

	off = 0;
	while (off < len || done < sends) {
		char ctrl[256];
		struct msghdr msg = { .msg_control = ctrl,
				      .msg_controllen = sizeof(ctrl) };
		struct pollfd p = { fd, 0, 0 };
		struct cmsghdr *cm;

		if (off < len) {
			size_t n = len - off < 65536 ? len - off : 65536;
			ssize_t w = send(fd, buf + off, n,
					 MSG_ZEROCOPY | MSG_DONTWAIT);

			if (w > 0) {
				off += w;
				sends++;
				continue;
			}
			if (w < 0 && errno != EAGAIN && errno != ENOBUFS)
				_exit(3);
			p.events = POLLOUT;
		}
		if (poll(&p, 1, 10000) < 1)
			_exit(11);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE) < 0)
			continue;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct sock_extended_err *ee = (void *)CMSG_DATA(cm);

			if (!((cm->cmsg_level == SOL_IP &&
			       cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)) ||
			    ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				continue;
			done += ee->ee_data - ee->ee_info + 1;
			copied += !!(ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED);
		}
	}
	close(fd);
	_exit(copied ? 10 : 0);
}

/*
 * MSG_ZEROCOPY over the pair: the device reads the sender's pages by DMA
 * and frees the skb only then, so every completion reports zero-copy (on
 * veth or loopback each one says "copied"), and the receiver gets every
 * byte.
 */
TEST_F_TIMEOUT(zcnic, zerocopy_tx, 300)
{
	long long read0, read1;

	read0 = nic_counter(self->p.nsa, self->p.a, "tx", -1, "dev_read_bytes");
	plain_round(_metadata, self, AF_INET, PORT, 4 << 20, zc_sender);
	plain_round(_metadata, self, AF_INET6, PORT + 1, 4 << 20, zc_sender);
	read1 = nic_counter(self->p.nsa, self->p.a, "tx", -1, "dev_read_bytes");
	EXPECT_LE(read0 + (8LL << 20), read1);
}

/* @dev's tx completion moderation, from "ethtool -c"; 0 or -1. */
static int tx_coalesce_get(const char *ns, const char *dev, long *usecs,
			   long *frames)
{
	char cmd[128], line[128];
	int found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ethtool -c %s", ns, dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "tx-usecs: %ld", usecs) == 1;
		found += sscanf(line, "tx-frames: %ld", frames) == 1;
	}
	return pclose(f) || found != 2 ? -1 : 0;
}

/*
 * Tx completion moderation (ethtool -C tx-usecs, tx-frames): off by
 * default, read back as set, out-of-range and unsupported values refused.
 * With completions held back, zero-copy streams still arrive whole and
 * every MSG_ZEROCOPY completion comes back: a TCP send's completes only
 * once the device completed its frame, and the tail of each stream,
 * fewer frames than tx-frames, is completed by the time bound alone.
 */
TEST_F_TIMEOUT(zcnic, tx_coalesce, 300)
{
	const char *ns = self->p.nsa, *a = self->p.a;
	long usecs = -1, frames = -1;

	ASSERT_EQ(0, tx_coalesce_get(ns, a, &usecs, &frames));
	EXPECT_EQ(0, usecs);
	EXPECT_EQ(0, frames);
	EXPECT_NE(0, zc_sh("ip netns exec %s ethtool -C %s tx-usecs 10001 2>/dev/null",
			   ns, a));
	EXPECT_NE(0, zc_sh("ip netns exec %s ethtool -C %s tx-frames 4097 2>/dev/null",
			   ns, a));
	EXPECT_NE(0, zc_sh("ip netns exec %s ethtool -C %s rx-usecs 8 2>/dev/null",
			   ns, a));
	ASSERT_EQ(0, tx_coalesce_get(ns, a, &usecs, &frames));
	EXPECT_EQ(0, usecs);
	EXPECT_EQ(0, frames);

	ASSERT_EQ(0, zc_sh("ip netns exec %s ethtool -C %s tx-usecs 2000 tx-frames 32",
			   ns, a));
	ASSERT_EQ(0, tx_coalesce_get(ns, a, &usecs, &frames));
	EXPECT_EQ(2000, usecs);
	EXPECT_EQ(32, frames);
	plain_round(_metadata, self, AF_INET, PORT, 4 << 20, zc_sender);

	/* The time bound alone, at its longest. */
	ASSERT_EQ(0, zc_sh("ip netns exec %s ethtool -C %s tx-usecs 10000 tx-frames 0",
			   ns, a));
	plain_round(_metadata, self, AF_INET6, PORT + 1, 4 << 20, zc_sender);
	EXPECT_EQ(0, nic_stat(self->p.nsb, self->p.b, -1, "missed"));
}

/* The platform device behind @dev of netns @ns, from its bus-info. */
static int pdev_attr(const char *ns, const char *dev, const char *attr,
		     char *path, size_t size)
{
	char cmd[128], line[128], bus[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ethtool -i %s", ns, dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "bus-info: %63s", bus) == 1)
			break;
	pclose(f);
	if (!bus[0])
		return -1;
	snprintf(path, size, "/sys/bus/platform/devices/%s/%s", bus, attr);
	return 0;
}

/* Write @val to sysfs @path in one write(); 0 or -errno. */
static int write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int read_attr(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* NET_RX softirqs taken so far on CPUs 0 and 1. */
static int net_rx_softirqs(long long cnt[2])
{
	char line[512];
	FILE *f = fopen("/proc/softirqs", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " NET_RX: %lld %lld", &cnt[0], &cnt[1]) == 2) {
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/* Pin the copy engine of @dev (kthread "zcnic/<dev>") to @cpu. */
static int pin_engine(const char *dev, int cpu)
{
	char want[32], path[300], comm[32];
	struct dirent *de;
	cpu_set_t set;
	int ret = -ENOENT;
	DIR *d;

	snprintf(want, sizeof(want), "zcnic/%s\n", dev);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			ret = sched_setaffinity(atoi(de->d_name), sizeof(set),
						&set) ? -errno : 0;
		}
		fclose(f);
	}
	closedir(d);
	return ret;
}

/*
 * irq_affinity routes each rx queue's interrupt, so its NAPI softirq runs
 * on the chosen CPU, whichever CPU the copy engine runs on.  Bad input is
 * refused with EINVAL (no such CPU, malformed, wrong count) or E2BIG.
 */
TEST_F_TIMEOUT(zcnic, irq_affinity, 300)
{
	char pa[256], pb[256], buf[64], want[64];
	int target;

	ASSERT_EQ(0, pdev_attr(self->p.nsa, self->p.a, "irq_affinity", pa,
			       sizeof(pa)));
	ASSERT_EQ(0, pdev_attr(self->p.nsb, self->p.b, "irq_affinity", pb,
			       sizeof(pb)));
	/* Spread over the two CPUs by default, as MSI-X vectors are. */
	ASSERT_EQ(0, read_attr(pb, buf, sizeof(buf)));
	EXPECT_STREQ("0 1 0 1\n", buf);
	EXPECT_EQ(-EINVAL, write_attr(pb, "4096"));
	EXPECT_EQ(-EINVAL, write_attr(pb, "-2"));
	EXPECT_EQ(-EINVAL, write_attr(pb, "0 0"));
	EXPECT_EQ(-EINVAL, write_attr(pb, "zero"));
	EXPECT_EQ(-E2BIG, write_attr(pb, "0 0 0 0 0"));
	ASSERT_EQ(0, read_attr(pb, buf, sizeof(buf)));
	EXPECT_STREQ("0 1 0 1\n", buf);

	/* Both engines on CPU 1: only the routing moves rx to CPU 0. */
	ASSERT_EQ(0, pin_engine(self->p.a, 1));
	ASSERT_EQ(0, pin_engine(self->p.b, 1));
	for (target = 0; target < 2; target++) {
		long long c0[2], c1[2], d[2];

		snprintf(want, sizeof(want), "%d", target);
		ASSERT_EQ(0, write_attr(pa, want));
		snprintf(want, sizeof(want), "%d %d %d %d", target, target,
			 target, target);
		ASSERT_EQ(0, write_attr(pb, want));
		ASSERT_EQ(0, read_attr(pa, buf, sizeof(buf)));
		snprintf(want, sizeof(want), "%d %d %d %d\n", target, target,
			 target, target);
		EXPECT_STREQ(want, buf);

		ASSERT_EQ(0, net_rx_softirqs(c0));
		plain_round(_metadata, self, AF_INET, PORT + target, 4 << 20,
			    sender);
		ASSERT_EQ(0, net_rx_softirqs(c1));

		d[0] = c1[0] - c0[0];
		d[1] = c1[1] - c0[1];
		fprintf(stderr, "# interrupts on CPU %d: NET_RX cpu0 +%lld cpu1 +%lld\n",
			target, d[0], d[1]);
		/* Counts of events, not times: at least 10 rx interrupts
		 * (NAPI once took 2 MiB in 16 on an idle CPU), and
		 * ten times as many on the target as on the other CPU.
		 */
		EXPECT_LE(10, d[target]);
		EXPECT_LT(d[!target] * 10, d[target]);
	}
	/* -1: the engine's CPU, 1 here. */
	EXPECT_EQ(0, write_attr(pb, "-1"));
	ASSERT_EQ(0, read_attr(pb, buf, sizeof(buf)));
	EXPECT_STREQ("-1 -1 -1 -1\n", buf);
}

TEST_HARNESS_MAIN
