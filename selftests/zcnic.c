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
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/udmabuf.h>
#include <arpa/inet.h>
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

#define NQ		4
#define PORT		5201
#define PATTERN_MOD	251	/* prime, so page offsets show up */

static const char *zctool = "zc-ethtool";

/* Run a shell command; return its exit status, or -1. */
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Enter netns @name; return an fd for the namespace we left. */
static int ns_enter(const char *name)
{
	char path[128];
	int old, fd;

	old = open("/proc/self/ns/net", O_RDONLY);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (old < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		perror(path);
		exit(1);
	}
	close(fd);
	return old;
}

static void ns_leave(int old)
{
	if (setns(old, CLONE_NEWNET))
		exit(1);
	close(old);
}

/* Sum a counter over one queue (@q >= 0) or all of them from ethtool -S. */
static long long nic_stat(const char *ns, const char *dev, int q,
			  const char *name)
{
	char cmd[256], line[256], key[64];
	long long sum = 0, v;
	FILE *f;
	int qq;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ethtool -S %s", ns, dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " rx%d_%63[a-z_]: %lld", &qq, key, &v) != 3)
			continue;
		if (strcmp(key, name) || (q >= 0 && q != qq))
			continue;
		sum += v;
	}
	pclose(f);
	return sum;
}

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

/* Pages still in flight in all page pools of this netns (and detached). */
static long long pp_inflight(void)
{
	struct netdev_page_pool_get_list *pools;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	long long sum = 0;

	ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!ys)
		return -1;
	pools = netdev_page_pool_get_dump(ys);
	if (!pools) {
		ynl_sock_destroy(ys);
		return -1;
	}
	ynl_dump_foreach(pools, pp)
		if (pp->_present.inflight)
			sum += pp->inflight;
	netdev_page_pool_get_list_free(pools);
	ynl_sock_destroy(ys);
	return sum;
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
	pid_t pid = fork();
	unsigned char buf[65536];
	struct sockaddr_storage ss = {};
	unsigned long long off = 0;
	socklen_t sl;
	int fd, i;

	if (pid)
		return pid;
	close(ns_enter(ns));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	for (i = 0; i < 100; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (!connect(fd, (void *)&ss, sl))
			break;
		close(fd);
		usleep(100000);
	}
	if (i == 100)
		_exit(2);
	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ssize_t w;
		size_t j;

		for (j = 0; j < n; j++)
			buf[j] = pat(off + j);
		w = send(fd, buf, n, 0);
		if (w <= 0)
			_exit(3);
		off += w;
	}
	close(fd);
	_exit(0);
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A listening socket in netns @ns. */
static int listener(const char *ns, int family, int port)
{
	int old = ns_enter(ns), fd, one = 1;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	fd = socket(family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6 ?
	    bind(fd, (void *)&s6, sizeof(s6)) : bind(fd, (void *)&s4, sizeof(s4)))
		fd = -errno;
	else
		listen(fd, 4);
	ns_leave(old);
	return fd;
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

		n = recvmsg(cfd, &msg, plain ? 0 : MSG_SOCK_DEVMEM);
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

static int accept_in(int lfd, int timeout_ms)
{
	struct pollfd p = { lfd, POLLIN, 0 };

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return accept(lfd, NULL, NULL);
}

FIXTURE(zcnic) {
	char a[16], b[16], nsa[16], nsb[16];
	int ifb;			/* B's ifindex, in netns rx */
	struct udmabuf u;
};

FIXTURE_SETUP(zcnic)
{
	/* The harness forks each case: the pid names its devices. */
	int seq = getpid(), old;

	snprintf(self->a, 16, "zta%d", seq);
	snprintf(self->b, 16, "ztb%d", seq);
	snprintf(self->nsa, 16, "tx%d", seq);
	snprintf(self->nsb, 16, "rx%d", seq);
	memset(&self->u, 0, sizeof(self->u));
	self->u.fd = self->u.memfd = self->u.devfd = -1;

	ASSERT_EQ(0, sh("echo '%s %s %d' > /sys/bus/platform/drivers/zcnic/new_pair",
			self->a, self->b, NQ));
	ASSERT_EQ(0, sh("ip netns add %s && ip netns add %s && "
			"ip link set %s netns %s && ip link set %s netns %s",
			self->nsa, self->nsb, self->a, self->nsa,
			self->b, self->nsb));
	ASSERT_EQ(0, sh("ip -n %s addr add 10.9.0.1/24 dev %s && "
			"ip -n %s addr add fd00::1/64 dev %s nodad && "
			"ip -n %s link set %s up",
			self->nsa, self->a, self->nsa, self->a,
			self->nsa, self->a));
	ASSERT_EQ(0, sh("ip -n %s addr add 10.9.0.2/24 dev %s && "
			"ip -n %s addr add fd00::2/64 dev %s nodad && "
			"ip -n %s link set %s up",
			self->nsb, self->b, self->nsb, self->b,
			self->nsb, self->b));
	ASSERT_EQ(0, sh("ip netns exec %s %s -G %s tcp-data-split on",
			self->nsb, zctool, self->b));
	old = ns_enter(self->nsb);
	self->ifb = if_nametoindex(self->b);
	ns_leave(old);
	ASSERT_NE(0, self->ifb);
}

/*
 * Pages in flight in the page pools of netns @ns.  Pools whose device was
 * unregistered while pages were out move to that netns' loopback and stay
 * listed until their last page returns; deleting the netns would hide
 * them, so ask before deleting it.
 */
static long long ns_pp_inflight(const char *ns)
{
	int old = ns_enter(ns);
	long long n = pp_inflight();

	ns_leave(old);
	return n;
}

FIXTURE_TEARDOWN(zcnic)
{
	long long inflight = -1;
	int i;

	sh("echo %s > /sys/bus/platform/drivers/zcnic/del_pair 2>/dev/null",
	   self->a);
	if (self->u.fd >= 0)
		udmabuf_free(&self->u);
	/* Pools of a gone device drain as their skbs are freed. */
	for (i = 0; i < 100; i++) {
		inflight = ns_pp_inflight(self->nsa);
		if (inflight >= 0)
			inflight += ns_pp_inflight(self->nsb);
		if (!inflight)
			break;
		usleep(100000);
	}
	if (inflight)
		fprintf(stderr, "# pages still in flight: %lld\n", inflight);
	EXPECT_EQ(0, inflight);
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
	   self->nsa, self->nsb);
}

/* Steer port @port to queue @q and everything else to queues below it. */
static int steer(FIXTURE_DATA(zcnic) *self, int port, int q)
{
	return sh("ip netns exec %s ethtool -X %s equal %d && "
		  "ip netns exec %s ethtool -N %s flow-type tcp4 dst-port %d action %d >/dev/null && "
		  "ip netns exec %s ethtool -N %s flow-type tcp6 dst-port %d action %d >/dev/null",
		  self->nsb, self->b, q, self->nsb, self->b, port, q,
		  self->nsb, self->b, port, q);
}

/* Plain TCP over both families: payload split from headers, intact. */
TEST_F_TIMEOUT(zcnic, plain_tcp_split, 300)
{
	const char *addrs[] = { "10.9.0.2", "fd00::2" };
	int fam[] = { AF_INET, AF_INET6 };
	struct rx_result r;
	int i;

	for (i = 0; i < 2; i++) {
		int lfd = listener(self->nsb, fam[i], PORT + i), cfd;
		pid_t pid = sender(self->nsa, addrs[i], PORT + i, 8 << 20);

		ASSERT_LE(0, lfd);
		cfd = accept_in(lfd, 20000);
		ASSERT_LE(0, cfd);
		rx_stream(cfd, NULL, true, 1, &r);
		EXPECT_EQ(0, r.err);
		EXPECT_EQ(0, r.bad);
		EXPECT_EQ(8ULL << 20, r.bytes);
		EXPECT_EQ(0, wait_child(pid));
		close(cfd);
		close(lfd);
	}
	EXPECT_LT(0, nic_stat(self->nsb, self->b, -1, "hds_split"));
	EXPECT_LE(16LL << 20, nic_stat(self->nsb, self->b, -1,
				       "dev_written_bytes"));
	EXPECT_EQ(0, nic_stat(self->nsb, self->b, -1, "missed"));
}

/* The bind checks, each with its own errno. */
TEST_F(zcnic, bind_errors)
{
	struct ynl_sock *ys, *ys2;
	int old;

	ASSERT_EQ(0, udmabuf_new(&self->u, 1 << 20));
	old = ns_enter(self->nsb);

	ASSERT_EQ(NULL, bind_rx(self->ifb, self->u.fd, NQ + 3));
	EXPECT_EQ(ERANGE, errno);

	ASSERT_EQ(0, sh("%s -G %s tcp-data-split off", zctool, self->b));
	ASSERT_EQ(NULL, bind_rx(self->ifb, self->u.fd, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, sh("%s -G %s tcp-data-split on", zctool, self->b));

	ys = bind_rx(self->ifb, self->u.fd, 1);
	ASSERT_NE(NULL, ys);
	ys2 = bind_rx(self->ifb, self->u.fd, 1);
	EXPECT_EQ(NULL, ys2);
	EXPECT_EQ(EEXIST, errno);

	/* Header split and XDP stay as they are while bound. */
	EXPECT_NE(0, sh("%s -G %s tcp-data-split off 2>/dev/null",
			zctool, self->b));
	EXPECT_EQ(-EBUSY, xdp_attach(self->ifb));
	ynl_sock_destroy(ys);

	/* And with XDP on the device, nothing binds. */
	ASSERT_EQ(0, xdp_attach(self->ifb));
	EXPECT_EQ(NULL, bind_rx(self->ifb, self->u.fd, 1));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, bpf_xdp_detach(self->ifb, XDP_FLAGS_SKB_MODE, NULL));
	ns_leave(old);
}

/*
 * devmem TCP on a steered queue, both families: every payload byte lands
 * in the dma-buf, none in the skb head, and other flows stay off the queue.
 */
TEST_F_TIMEOUT(zcnic, devmem_rx, 300)
{
	const char *addrs[] = { "10.9.0.2", "fd00::2" };
	int fam[] = { AF_INET, AF_INET6 };
	struct rx_result r;
	struct ynl_sock *ys;
	long long q3;
	int i, old;

	ASSERT_EQ(0, udmabuf_new(&self->u, 16 << 20));
	ASSERT_EQ(0, steer(self, PORT, 3));
	old = ns_enter(self->nsb);
	ys = bind_rx(self->ifb, self->u.fd, 3);
	ns_leave(old);
	ASSERT_NE(NULL, ys);

	for (i = 0; i < 2; i++) {
		int lfd = listener(self->nsb, fam[i], PORT), cfd;
		pid_t pid = sender(self->nsa, addrs[i], PORT, 8 << 20);

		ASSERT_LE(0, lfd);
		cfd = accept_in(lfd, 20000);
		ASSERT_LE(0, cfd);
		rx_stream(cfd, &self->u, false, 1, &r);
		EXPECT_EQ(0, r.err);
		EXPECT_EQ(0, r.bad);
		EXPECT_EQ(8ULL << 20, r.bytes);
		EXPECT_EQ(r.bytes, r.devmem);
		EXPECT_EQ(0, r.linear);
		EXPECT_EQ(0, wait_child(pid));
		close(cfd);
		close(lfd);
	}

	/* A plain flow on another port: readable, and not on queue 3. */
	q3 = nic_stat(self->nsb, self->b, 3, "packets");
	{
		int lfd = listener(self->nsb, AF_INET, PORT + 1), cfd;
		pid_t pid = sender(self->nsa, "10.9.0.2", PORT + 1, 4 << 20);

		cfd = accept_in(lfd, 20000);
		ASSERT_LE(0, cfd);
		rx_stream(cfd, NULL, true, 1, &r);
		EXPECT_EQ(0, r.err);
		EXPECT_EQ(0, r.bad);
		EXPECT_EQ(4ULL << 20, r.bytes);
		EXPECT_EQ(0, wait_child(pid));
		close(cfd);
		close(lfd);
	}
	EXPECT_EQ(q3, nic_stat(self->nsb, self->b, 3, "packets"));
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
	old = ns_enter(self->nsb);
	ys = bind_rx(self->ifb, self->u.fd, 2);
	ns_leave(old);
	ASSERT_NE(NULL, ys);

	lfd = listener(self->nsb, AF_INET, PORT);
	pid = sender(self->nsa, "10.9.0.2", PORT, 1 << 20);
	cfd = accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	rx_stream(cfd, NULL, true, 1, &r);
	EXPECT_EQ(EFAULT, r.err);
	close(cfd);
	close(lfd);
	kill(pid, SIGKILL);
	wait_child(pid);
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
	lfd = listener(self->nsb, AF_INET6, PORT);
	ASSERT_LE(0, lfd);
	pid = sender(self->nsa, "fd00::2", PORT, 32 << 20);
	cfd = accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);

	binder = fork();
	if (!binder) {
		close(ns_enter(self->nsb));
		for (i = 0; i < 20; i++) {
			struct ynl_sock *ys = bind_rx(self->ifb, self->u.fd, 1);

			if (!ys)
				_exit(1);
			usleep(50000);
			ynl_sock_destroy(ys);
			/* A queue restart without provider: new ring size. */
			if (sh("ethtool -G %s rx %d", self->b, i & 1 ? 256 : 512))
				_exit(2);
		}
		_exit(0);
	}
	rx_stream(cfd, &self->u, false, 1, &r);
	EXPECT_EQ(0, wait_child(binder));
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(32ULL << 20, r.bytes);
	EXPECT_EQ(0, wait_child(pid));
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
	old = ns_enter(self->nsb);
	ys = bind_rx(self->ifb, self->u.fd, 3);
	ns_leave(old);
	ASSERT_NE(NULL, ys);

	lfd = listener(self->nsb, AF_INET, PORT);
	pid = sender(self->nsa, "10.9.0.2", PORT, 4 << 20);
	cfd = accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	/* Let provider buffers pile up unread, then unbind under them. */
	for (i = 0; i < 400 && inq < (32 << 10); i++) {
		if (ioctl(cfd, SIOCINQ, &inq))
			break;
		usleep(25000);
	}
	EXPECT_LE(32 << 10, inq);
	ynl_sock_destroy(ys);
	rx_stream(cfd, &self->u, false, 1 << 30, &r);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(4ULL << 20, r.bytes);
	/* Both kinds of memory carried part of the stream. */
	EXPECT_LE(32ULL << 10, r.devmem);
	EXPECT_GT(r.bytes, r.devmem);
	EXPECT_EQ(0, wait_child(pid));
	close(cfd);
	close(lfd);
}

/* No buffer posted: the device drops and counts, the sender never stalls
 * for good, and the stream completes once buffers come back.
 */
TEST_F_TIMEOUT(zcnic, exhaustion_drops, 300)
{
	struct ynl_sock *ys;
	struct rx_result r;
	int lfd, cfd, old;
	pid_t pid;

	/* 64 pages against a 256-entry ring: the pool runs dry. */
	ASSERT_EQ(0, udmabuf_new(&self->u, 64 * 4096));
	ASSERT_EQ(0, steer(self, PORT, 3));
	old = ns_enter(self->nsb);
	ys = bind_rx(self->ifb, self->u.fd, 3);
	ns_leave(old);
	ASSERT_NE(NULL, ys);

	lfd = listener(self->nsb, AF_INET, PORT);
	pid = sender(self->nsa, "10.9.0.2", PORT, 4 << 20);
	cfd = accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	rx_stream(cfd, &self->u, false, 32, &r);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(4ULL << 20, r.bytes);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_LT(0, nic_stat(self->nsb, self->b, 3, "missed"));
	close(cfd);
	close(lfd);
	ynl_sock_destroy(ys);
}

/*
 * Device events while a provider is bound: down/up, MTU, channels, netns
 * move, and unregister.  After each one still bound, data still lands in
 * the dma-buf.
 */
static void devmem_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(zcnic) *self, const char *nsb, int port)
{
	struct rx_result r;
	int lfd, cfd;
	pid_t pid;

	lfd = listener(nsb, AF_INET, port);
	ASSERT_LE(0, lfd);
	pid = sender(self->nsa, "10.9.0.2", port, 1 << 20);
	cfd = accept_in(lfd, 20000);
	ASSERT_LE(0, cfd);
	rx_stream(cfd, &self->u, false, 1, &r);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(1ULL << 20, r.bytes);
	EXPECT_EQ(r.bytes, r.devmem);
	EXPECT_EQ(0, wait_child(pid));
	close(cfd);
	close(lfd);
}

TEST_F_TIMEOUT(zcnic, device_events, 300)
{
	struct ynl_sock *ys;
	int old;

	ASSERT_EQ(0, udmabuf_new(&self->u, 8 << 20));
	ASSERT_EQ(0, sh("ip netns exec %s ethtool -X %s equal 1 && "
			"ip netns exec %s ethtool -N %s flow-type tcp4 dst-port %d action 1 >/dev/null",
			self->nsb, self->b, self->nsb, self->b, PORT));
	old = ns_enter(self->nsb);
	ys = bind_rx(self->ifb, self->u.fd, 1);
	ASSERT_NE(NULL, ys);
	devmem_round(_metadata, self, self->nsb, PORT);

	ASSERT_EQ(0, sh("ip link set %s down && ip link set %s up",
			self->b, self->b));
	devmem_round(_metadata, self, self->nsb, PORT);

	ASSERT_EQ(0, sh("ip link set %s mtu 4000 && ip link set %s mtu 1500",
			self->b, self->b));
	devmem_round(_metadata, self, self->nsb, PORT);

	/* Queue 1 is bound: one channel is too few, two are enough. */
	EXPECT_NE(0, sh("ethtool -L %s combined 1 2>/dev/null", self->b));
	EXPECT_EQ(0, sh("ethtool -L %s combined 2", self->b));
	devmem_round(_metadata, self, self->nsb, PORT);
	ns_leave(old);

	/* Move B to a third netns and back; still bound. */
	ASSERT_EQ(0, sh("ip netns add %sm && ip -n %s link set %s netns %sm && "
			"ip -n %sm link set %s netns %s && "
			"ip -n %s addr add 10.9.0.2/24 dev %s && "
			"ip -n %s link set %s up && ip netns del %sm",
			self->nsb, self->nsb, self->b, self->nsb,
			self->nsb, self->b, self->nsb,
			self->nsb, self->b, self->nsb, self->b, self->nsb));
	devmem_round(_metadata, self, self->nsb, PORT);

	/* Unregister with the binding alive; unbinding later is a no-op. */
	ASSERT_EQ(0, sh("echo %s > /sys/bus/platform/drivers/zcnic/del_pair",
			self->a));
	ynl_sock_destroy(ys);
}

TEST_HARNESS_MAIN
