// SPDX-License-Identifier: GPL-2.0
/*
 * zc-rx: receive TCP streams with io_uring zero-copy receive and check
 * them against zc-send's pattern.
 *
 *   zc-rx -i IFNAME -q QUEUE -p PORT [-6] [-c CONNS] [-v MOD] [-a BYTES]
 *         [-r ENTRIES] [-l LIMIT] [-s] [-H] [-K] [-P POLICY] [-N]
 *
 * It is written against liburing 2.10's zcrx interface, the one upstream's
 * examples use (io_uring_register_ifq(), struct io_uring_zcrx_rq,
 * sqe->zcrx_ifq_idx), and builds on Debian's liburing 2.3 through libzc's
 * compat header.  -s sets the NIC up first with libzc's zc_rx_steer():
 * header split on, RSS kept off QUEUE, PORT steered to it.
 *
 * -P chooses the queue's refill policy by name, and -N arms its
 * notifications (libzc, IORING_REGISTER_ZCRX_REFILL): each one is shown,
 * answered by giving back every buffer waiting for the refill ring, and
 * armed again.
 *
 * It prints how many bytes came zero-copy (written into the area by the
 * NIC) and how many the kernel copied there, and exits 0 if every byte
 * matched.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <liburing.h>

static const char *prog = "zc-rx";

struct opts {
	const char *ifname;
	int queue, port, conns, v6;
	unsigned int mod;
	size_t area;
	int rcvbuf;
	unsigned int entries, limit;
	bool steer, huge, kernel_rq, notify;
	const char *policy;
};

struct conn {
	int fd;
	unsigned char seed;	/* next expected byte */
	uint64_t bytes, bad;
	uint64_t armed_at;	/* bytes when the request was armed */
	bool done;
	int res;
};

struct stats {
	uint64_t zc, copied, cqes, rearms, rq_full;
	uint64_t notifs[3];
};

static const char * const notif_names[] = {
	"FILL_LOW", "NO_BUFFERS", "COPY",
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f, int code)
{
	fprintf(f,
		"usage: %s -i IFNAME -q QUEUE -p PORT [-6] [-c CONNS] [-v MOD]\n"
		"             [-a BYTES] [-b BYTES] [-r ENTRIES] [-l LIMIT] [-s] [-H]\n"
		"             [-K]\n"
		"  -i IFNAME   the NIC the streams arrive on\n"
		"  -q QUEUE    its rx queue to bind the area to\n"
		"  -p PORT     TCP port to listen on\n"
		"  -6          listen on IPv6 (also takes IPv4)\n"
		"  -c CONNS    connections to accept, one after the other (1)\n"
		"  -v MOD      zc-send's pattern: byte i is (i + 1) %% MOD (256)\n"
		"  -a BYTES    area size, suffix k, m or g (16m)\n"
		"  -b BYTES    SO_RCVBUF of each connection (default: the sysctl's)\n"
		"  -r ENTRIES  refill ring entries (one per area page)\n"
		"  -l LIMIT    RECV_ZC byte limit per request (0: none)\n"
		"  -s          set the NIC up: header split, RSS, steering\n"
		"  -H          area of 2 MiB huge pages\n"
		"  -K          refill ring in kernel memory, mmap()ed\n"
		"  -P POLICY   the queue's refill policy, by name\n"
		"  -N          arm and show the queue's notifications\n", prog);
	exit(code);
}

static size_t parse_size(const char *s)
{
	size_t v;

	if (zc_parse_size(s, &v))
		die("bad size '%s'", s);
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .queue = -1, .conns = 1, .mod = 256,
			    .area = 16 << 20 };
	while ((c = getopt(argc, argv, "i:q:p:6c:v:a:b:r:l:sHKP:Nh")) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'q':
			o->queue = atoi(optarg);
			break;
		case 'p':
			o->port = atoi(optarg);
			break;
		case '6':
			o->v6 = 1;
			break;
		case 'c':
			o->conns = atoi(optarg);
			break;
		case 'v':
			o->mod = atoi(optarg);
			break;
		case 'a':
			o->area = parse_size(optarg);
			break;
		case 'b': {
			size_t v = parse_size(optarg);

			/* The socket option takes an int. */
			if (!v || v > INT_MAX)
				die("bad receive buffer size '%s'", optarg);
			o->rcvbuf = v;
			break;
		}
		case 'r':
			o->entries = atoi(optarg);
			break;
		case 'l':
			o->limit = parse_size(optarg);
			break;
		case 's':
			o->steer = true;
			break;
		case 'H':
			o->huge = true;
			break;
		case 'K':
			o->kernel_rq = true;
			break;
		case 'P':
			o->policy = optarg;
			break;
		case 'N':
			o->notify = true;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
			break;
		}
	}
	if (!o->ifname || o->queue < 0 || o->port <= 0 || o->conns < 1 ||
	    o->mod < 2 || o->mod > 256)
		usage(stderr, 2);
}

/* ------------------------------------------------ the liburing 2.10 way */

struct ifq {
	struct io_uring ring;
	struct io_uring_zcrx_rq rq;
	void *area;
	size_t area_len;
	uint64_t token;
	uint32_t zcrx_id;
	/* Returns that found the refill ring full, retried first. */
	struct io_uring_zcrx_rqe *backlog;
	unsigned int nr_backlog, max_backlog;
};

static void ifq_setup(struct ifq *q, const struct opts *o)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_CQE32 | IORING_SETUP_SUBMIT_ALL |
			 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE,
		.cq_entries = 8192,
	};
	struct io_uring_zcrx_area_reg area = {};
	struct io_uring_region_desc rd = {};
	struct io_uring_zcrx_ifq_reg reg = {};
	size_t page = sysconf(_SC_PAGESIZE), rq_len;
	unsigned int entries;
	void *rq = NULL;
	int ret;

	ret = io_uring_queue_init_params(256, &q->ring, &p);
	if (ret)
		die("io_uring_queue_init: %s", strerror(-ret));

	q->area_len = o->area;
	q->area = mmap(NULL, q->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (o->huge ? MAP_HUGETLB : 0),
		       -1, 0);
	if (q->area == MAP_FAILED)
		die("area of %zu bytes: %s", q->area_len, strerror(errno));
	entries = o->entries ?: q->area_len / page;
	rq_len = page + entries * sizeof(struct io_uring_zcrx_rqe);
	rq_len = (rq_len + page - 1) / page * page;
	rd.size = rq_len;
	if (!o->kernel_rq) {
		rq = mmap(NULL, rq_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (rq == MAP_FAILED)
			die("refill ring: %s", strerror(errno));
		rd.user_addr = (uintptr_t)rq;
		rd.flags = IORING_MEM_REGION_TYPE_USER;
	}
	area.addr = (uintptr_t)q->area;
	area.len = q->area_len;
	reg.if_idx = if_nametoindex(o->ifname);
	if (!reg.if_idx)
		die("%s: no such interface", o->ifname);
	reg.if_rxq = o->queue;
	reg.rq_entries = entries;
	reg.area_ptr = (uintptr_t)&area;
	reg.region_ptr = (uintptr_t)&rd;

	ret = io_uring_register_ifq(&q->ring, &reg);
	if (ret)
		die("io_uring_register_ifq(%s, queue %d): %s", o->ifname,
		    o->queue, strerror(-ret));
	if (o->kernel_rq) {
		rq = mmap(NULL, rq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			  q->ring.ring_fd, rd.mmap_offset);
		if (rq == MAP_FAILED)
			die("mmap of the refill ring: %s", strerror(errno));
	}
	q->rq = (struct io_uring_zcrx_rq){
		.khead = (uint32_t *)((char *)rq + reg.offsets.head),
		.ktail = (uint32_t *)((char *)rq + reg.offsets.tail),
		.rqes = (void *)((char *)rq + reg.offsets.rqes),
		.ring_entries = reg.rq_entries,
		.ring_ptr = rq,
	};
	q->token = area.rq_area_token;
	q->zcrx_id = reg.zcrx_id;
	/* A CQE per chunk: a page can hold several. */
	q->max_backlog = 4 * (q->area_len / page);
	q->backlog = calloc(q->max_backlog, sizeof(*q->backlog));
	if (!q->backlog)
		die("out of memory");
}

static void arm(struct ifq *q, struct conn *c, unsigned int limit)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, c->fd, NULL, limit, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = q->zcrx_id;
	sqe->user_data = (uintptr_t)c;
	c->armed_at = c->bytes;
}

/* Put one entry in the refill ring; false if it is full. */
static bool rq_push(struct ifq *q, uint64_t off, uint32_t len)
{
	struct io_uring_zcrx_rq *rq = &q->rq;
	struct io_uring_zcrx_rqe *rqe;

	if (rq->rq_tail - __atomic_load_n(rq->khead, __ATOMIC_ACQUIRE) >=
	    rq->ring_entries)
		return false;
	rqe = &rq->rqes[rq->rq_tail & (rq->ring_entries - 1)];
	rqe->off = off;
	rqe->len = len;
	rqe->__pad = 0;
	__atomic_store_n(rq->ktail, ++rq->rq_tail, __ATOMIC_RELEASE);
	return true;
}

/*
 * Give a buffer back.  The kernel reads the refill ring when it needs
 * buffers, so a full ring empties later: keep the return until then
 * rather than lose the buffer.  Return false if it had to wait.
 */
/* Give back what waits for the refill ring; true if nothing is left. */
static bool flush_backlog(struct ifq *q)
{
	unsigned int i = 0;

	while (i < q->nr_backlog && rq_push(q, q->backlog[i].off,
					     q->backlog[i].len))
		i++;
	memmove(q->backlog, q->backlog + i,
		(q->nr_backlog - i) * sizeof(*q->backlog));
	q->nr_backlog -= i;
	return !q->nr_backlog;
}

static bool refill(struct ifq *q, const struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);
	uint64_t off = (rc->off & ~IORING_ZCRX_AREA_MASK) | q->token;

	if (flush_backlog(q) && rq_push(q, off, cqe->res))
		return true;
	if (q->nr_backlog == q->max_backlog)
		die("more buffers held than the area has pages");
	q->backlog[q->nr_backlog++] = (struct io_uring_zcrx_rqe){
		.off = off, .len = cqe->res,
	};
	return false;
}

static void check(struct conn *c, const unsigned char *p, int n,
		  unsigned int mod)
{
	int i;

	for (i = 0; i < n; i++) {
		c->bad += p[i] != c->seed;
		c->seed = (c->seed + 1) % mod;
	}
	c->bytes += n;
}

/* Choose the refill policy, arm every notification: libzc's way. */
static int refill_setup(struct ifq *q, const char *policy, unsigned int arm)
{
	struct io_uring_zcrx_refill r = {
		.zcrx_id = q->zcrx_id,
		.notif_mask = arm,
	};

	if (policy) {
		r.flags |= IORING_ZCRX_REFILL_POLICY;
		snprintf(r.name, sizeof(r.name), "%s", policy);
	}
	if (arm) {
		r.flags |= IORING_ZCRX_REFILL_ARM;
		r.notif_user_data = ZC_RX_NOTIF_UDATA;
	}
	return r.flags ? io_uring_register_zcrx_refill(&q->ring, &r) : 0;
}

/*
 * A notification: show the first few of each, give back what waits for
 * the refill ring (an application would also return what it holds), and
 * arm it again.
 */
static void notified(struct ifq *q, const struct io_uring_cqe *cqe,
		     struct stats *st)
{
	unsigned int i;
	int ret;

	for (i = 0; i < 3; i++)
		if (cqe->res == 1 << i && st->notifs[i]++ < 3)
			printf("%s: notification %s (%" PRIu64 " returns waiting)\n",
			       prog, notif_names[i], (uint64_t)q->nr_backlog);
	flush_backlog(q);
	ret = refill_setup(q, NULL, cqe->res);
	if (ret)
		die("arming notification %d again: %s", cqe->res,
		    strerror(-ret));
}

/* Receive @c until it ends; return 0 if it ended cleanly. */
static int receive(struct ifq *q, struct conn *c, const struct opts *o,
		   struct stats *st)
{
	c->seed = 1 % o->mod;
	arm(q, c, o->limit);
	while (!c->done) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int ret = io_uring_submit_and_wait(&q->ring, 1);

		if (ret < 0 && ret != -EINTR)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		io_uring_for_each_cqe(&q->ring, head, cqe) {
			const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);

			seen++;
			if (cqe->user_data == ZC_RX_NOTIF_UDATA) {
				notified(q, cqe, st);
				continue;
			}
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				/*
				 * A full CQ, or the limit reached (0 after
				 * data; 0 with none is the end of the stream).
				 */
				/*
				 * -ENOMEM: no area buffer for the copy
				 * fallback; those returned since are there.
				 */
				if (cqe->res == -ENOSPC || cqe->res == -ENOMEM ||
				    (!cqe->res && o->limit &&
				     c->bytes != c->armed_at)) {
					st->rearms++;
					arm(q, c, o->limit);
					continue;
				}
				c->res = cqe->res;
				c->done = true;
				continue;
			}
			check(c, (unsigned char *)q->area +
			      (rc->off & ~IORING_ZCRX_AREA_MASK), cqe->res,
			      o->mod);
			st->cqes++;
			if (rc->__pad & IORING_ZCRX_CQE_COPIED)
				st->copied += cqe->res;
			else
				st->zc += cqe->res;
			if (!refill(q, cqe))
				st->rq_full++;
		}
		io_uring_cq_advance(&q->ring, seen);
	}
	return c->res;
}

/* The queue's refill lines of the ring's fdinfo. */
static void show_fdinfo(struct ifq *q)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", q->ring.ring_fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Zcrx", 4))
			printf("%s: %s", prog, line);
	fclose(f);
}

static int listener(const struct opts *o)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(o->port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(o->port) };
	int fd = socket(o->v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Before the handshake: accepted sockets take their window from it. */
	if (o->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf,
				    sizeof(o->rcvbuf)))
		die("SO_RCVBUF %d: %s", o->rcvbuf, strerror(errno));
	if ((o->v6 ? bind(fd, (void *)&s6, sizeof(s6)) :
		     bind(fd, (void *)&s4, sizeof(s4))) || listen(fd, 8))
		die("listen on port %d: %s", o->port, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	struct stats st = {};
	unsigned short port;
	uint64_t bytes = 0, bad = 0;
	struct opts o;
	struct ifq q;
	int lfd, i, ret, fails = 0;

	parse(argc, argv, &o);
	if (o.steer) {
		port = o.port;
		ret = zc_rx_steer(o.ifname, o.queue, &port, 1,
				  o.v6 ? ZC_STEER_IPV6 : 0);
		if (ret)
			die("setting %s up for queue %d: %s", o.ifname, o.queue,
			    strerror(-ret));
	}
	ifq_setup(&q, &o);
	ret = refill_setup(&q, o.policy, o.notify ? IORING_ZCRX_NOTIF_FILL_LOW |
			   IORING_ZCRX_NOTIF_NO_BUFFERS |
			   IORING_ZCRX_NOTIF_COPY : 0);
	if (ret)
		die("refill policy %s: %s", o.policy ?: "", strerror(-ret));
	lfd = listener(&o);
	for (i = 0; i < o.conns; i++) {
		struct conn c = {};

		c.fd = accept(lfd, NULL, NULL);
		if (c.fd < 0)
			die("accept: %s", strerror(errno));
		ret = receive(&q, &c, &o, &st);
		if (ret) {
			fprintf(stderr, "%s: connection %d ended: %s\n", prog,
				i, strerror(-ret));
			fails++;
		}
		bytes += c.bytes;
		bad += c.bad;
		close(c.fd);
	}
	printf("%s: received %" PRIu64 " bytes in %d connection(s): "
	       "%" PRIu64 " zero-copy, %" PRIu64 " copied, %" PRIu64
	       " bad; %" PRIu64 " cqes, %" PRIu64 " re-arms, %" PRIu64
	       " returns waited for the refill ring\n", prog, bytes, o.conns, st.zc, st.copied,
	       bad, st.cqes, st.rearms, st.rq_full);
	if (o.notify)
		printf("%s: notifications: %" PRIu64 " FILL_LOW, %" PRIu64
		       " NO_BUFFERS, %" PRIu64 " COPY\n", prog, st.notifs[0],
		       st.notifs[1], st.notifs[2]);
	if (o.policy || o.notify)
		show_fdinfo(&q);
	close(lfd);
	io_uring_queue_exit(&q.ring);
	return fails || bad ? 1 : 0;
}
