// SPDX-License-Identifier: GPL-2.0
/*
 * zc-send: connect over TCP and send a byte pattern that a receiver can
 * check, the one upstream's ncdevmem validates with "-v MOD".
 *
 *   zc-send -s ADDR -p PORT [-6] [-n BYTES] [-v MOD] [-b BUFSIZE]
 *           [-c SRCADDR] [-P SRCPORT] [-w SECONDS]
 *           [-z POLICY [-k BUFFERS] [-i SECONDS] [-T SECONDS] [-t USEC]]
 *   zc-send -l -p PORT [-6] [-v MOD]
 *
 * With -z it sends with io_uring SEND_ZC on a ring whose notifications
 * the policy POLICY coalesces ("default": the sysctl's), refilling a
 * buffer only once a NOTIF has released it: a receiver that checks the
 * pattern sees any buffer the kernel still read after its release.
 * -l is that receiver: it accepts one connection and checks every byte.
 *
 * ncdevmem's validate_buffer() keeps an unsigned char seed, starting at
 * 1, across the whole stream: each byte must equal the seed, which is
 * then incremented and reset to 0 when it equals MOD.  next_byte() runs
 * the same machine, so for 2 <= MOD <= 256 byte i of the stream is
 * (i + 1) % MOD, and without -v (MOD 0) it is (i + 1) % 256.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <liburing.h>

#include "zc.h"

static const char *prog = "zc-send";

struct pattern {
	unsigned char seed;
	uint64_t mod;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -s ADDR -p PORT [-6] [-n BYTES] [-v MOD] [-b BUFSIZE]\n"
		"               [-c SRCADDR] [-P SRCPORT] [-w SECONDS]\n"
		"  -s ADDR     server IPv4 or IPv6 address\n"
		"  -p PORT     server TCP port\n"
		"  -6          connect over IPv6 (an IPv4 ADDR becomes ::ffff:ADDR)\n"
		"  -n BYTES    bytes to send, suffix k, m or g for KiB, MiB, GiB\n"
		"              (default 1m)\n"
		"  -v MOD      the pattern ncdevmem -v MOD validates (default 0:\n"
		"              byte i is (i + 1) %% 256)\n"
		"  -b BUFSIZE  bytes per send() (default 64k)\n"
		"  -c SRCADDR  bind to this local address first\n"
		"  -P SRCPORT  bind to this local port first\n"
		"  -w SECONDS  retry a refused connection for up to SECONDS\n"
		"  -z POLICY   io_uring SEND_ZC, notifications coalesced by the\n"
		"              send policy POLICY (\"default\": the sysctl's)\n"
		"  -k BUFFERS  with -z: buffers of BUFSIZE in flight (default 16)\n"
		"  -i SECONDS  with -z: print sends and notifications every SECONDS\n"
		"  -T SECONDS  stop after SECONDS (with -z; -n still caps the bytes)\n"
		"  -t USEC     with -z: the kernel's time bound on a notification\n"
		"       %s -l -p PORT [-6] [-v MOD]\n"
		"  -l          receive: accept one connection on PORT, check the\n"
		"              pattern, print the bytes received\n",
		prog, prog);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

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

/* A count with an optional binary suffix: 4096, 64k, 1m, 2g. */
static uint64_t parse_size(char opt, const char *s, uint64_t max)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		bad_args("-%c: \"%s\" is not a number", opt, s);
	v = strtoull(s, &end, 10);
	if (*end && !end[1]) {
		switch (*end) {
		case 'k': case 'K':
			shift = 10;
			end++;
			break;
		case 'm': case 'M':
			shift = 20;
			end++;
			break;
		case 'g': case 'G':
			shift = 30;
			end++;
			break;
		}
	}
	if (errno || *end || end == s)
		bad_args("-%c: \"%s\" is not a number", opt, s);
	if (v > (max >> shift))
		bad_args("-%c: %s is more than %" PRIu64, opt, s, max);
	return (uint64_t)v << shift;
}

static unsigned char next_byte(struct pattern *p)
{
	unsigned char b = p->seed;

	p->seed++;
	if (p->seed == p->mod)
		p->seed = 0;
	return b;
}

static void fill(struct pattern *p, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = next_byte(p);
}

static void resolve(const char *what, const char *host, const char *port,
		    int port_given, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
			    (family == AF_INET6 ? AI_V4MAPPED : 0) |
			    (host ? 0 : AI_PASSIVE),
	};
	struct addrinfo *ai;
	int err;

	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "%s: %s \"%s\"%s%s: %s\n", prog, what,
			host ? host : "*", port_given ? " port " : "",
			port_given ? port : "", gai_strerror(err));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

static const char *addr_str(const struct sockaddr_storage *ss)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, sizeof(buf), "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, sizeof(buf), "%s:%u", host, ntohs(s4->sin_port));
	}
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* -l: accept one connection on @port and check the stream against @pat. */
static int receive(const char *port, int family, struct pattern *pat)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t got = 0;
	unsigned char buf[64 << 10];
	int one = 1, lfd, fd;
	ssize_t n, i;

	resolve("listen address", NULL, port, 1,
		family == AF_UNSPEC ? AF_INET : family, &ss, &len);
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1))
		die("listen on %s: %s", addr_str(&ss), strerror(errno));
	printf("listening on %s\n", addr_str(&ss));
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(lfd);
	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recv after %" PRIu64 " bytes: %s", got, strerror(errno));
		for (i = 0; i < n; i++) {
			unsigned char want = next_byte(pat);

			if (buf[i] != want)
				die("byte %" PRIu64 " is %u, the pattern says %u",
				    got + i, buf[i], want);
		}
		got += n;
	}
	close(fd);
	printf("received %" PRIu64 " bytes, every one as the pattern says\n", got);
	return 0;
}

struct zc_run {
	const char *policy;
	struct zc_send_bounds bounds;
	unsigned int nbuf;
	double interval, secs;
	uint64_t sends, notifs, notif_sends, copied, last_sends, last_notifs;
	uint64_t bytes, last_bytes;
	double last;
};

static void report(struct zc_run *r, double t0, double t)
{
	uint64_t s = r->sends - r->last_sends, n = r->notifs - r->last_notifs;

	printf("%6.1fs %8" PRIu64 " sends %7" PRIu64 " notifs %7.4f notifs/send %8.1f MB/s\n",
	       t - t0, s, n, s ? (double)n / s : 0.0,
	       (r->bytes - r->last_bytes) / (t - r->last) / 1e6);
	fflush(stdout);
	r->last_sends = r->sends;
	r->last_notifs = r->notifs;
	r->last_bytes = r->bytes;
	r->last = t;
}

/* One CQE: a send's completion (@len[id] expected) or a NOTIF. */
static void zc_cqe(struct zc_run *r, struct zc_tracker *t,
		   const struct io_uring_cqe *cqe, const size_t *len,
		   unsigned int *inflight)
{
	int ret = zc_tracker_cqe(t, cqe);

	if (ret < 0)
		die("a CQE the tracker did not expect: %s", strerror(-ret));
	if (zc_cqe_is_notif(cqe)) {
		r->notifs++;
		r->notif_sends += zc_notif_count(cqe);
		r->copied += zc_notif_copied(cqe);
		return;
	}
	if (cqe->res < 0)
		die("SEND_ZC after %" PRIu64 " bytes: %s", r->bytes,
		    strerror(-cqe->res));
	if ((size_t)cqe->res != len[cqe->user_data])
		die("SEND_ZC sent %d of %zu bytes", cqe->res, len[cqe->user_data]);
	r->sends++;
	r->bytes += cqe->res;
	(*inflight)--;
}

/*
 * -z: each round queues a linked chain of sends (so the stream stays in
 * order) from the buffers the NOTIFs have released, and waits for their
 * completions; a buffer is refilled only when a NOTIF has covered it.
 */
static uint64_t send_uring(int fd, struct zc_run *r, struct pattern *pat,
			   size_t bufsize, uint64_t bytes)
{
	unsigned int i, nfree = r->nbuf, inflight = 0;
	unsigned int *freelist = calloc(r->nbuf, sizeof(*freelist));
	size_t *len = calloc(r->nbuf, sizeof(*len));
	unsigned char *bufs = malloc((size_t)r->nbuf * bufsize);
	struct io_uring_cqe *cqe;
	struct zc_tracker *t;
	struct io_uring ring;
	uint64_t queued = 0;
	double t0, end, tick;
	__u64 id;
	int ret;

	if (!freelist || !len || !bufs)
		die("cannot allocate %u buffers of %zu bytes", r->nbuf, bufsize);
	for (i = 0; i < r->nbuf; i++)
		freelist[i] = i;
	ret = io_uring_queue_init(r->nbuf * 2, &ring, 0);
	if (ret)
		die("io_uring_queue_init: %s", strerror(-ret));
	ret = zc_register_send_policy(&ring, strcmp(r->policy, "default") ?
				      r->policy : NULL, &r->bounds);
	if (ret)
		die("send policy \"%s\": %s", r->policy, strerror(-ret));
	printf("policy %s; the kernel bounds a notification to %u sends, "
	       "%llu bytes, %llu us\n", r->policy, r->bounds.max_sends,
	       r->bounds.max_bytes, r->bounds.timeout_ns / 1000);
	t = zc_tracker_new(r->nbuf);
	if (!t)
		die("zc_tracker_new: %s", strerror(errno));

	t0 = r->last = now();
	end = r->secs > 0 ? t0 + r->secs : 0;
	tick = t0 + r->interval;
	while (queued < bytes && (!end || now() < end)) {
		struct io_uring_sqe *sqe = NULL;
		unsigned int n = 0;

		while (nfree && queued < bytes) {
			unsigned int b = freelist[--nfree];

			sqe = io_uring_get_sqe(&ring);
			len[b] = bytes - queued < bufsize ? bytes - queued : bufsize;
			fill(pat, bufs + b * bufsize, len[b]);
			if (zc_tracker_submit(t, b))
				die("tracker full");
			io_uring_prep_send_zc(sqe, fd, bufs + b * bufsize, len[b],
					      MSG_WAITALL | MSG_NOSIGNAL, 0);
			sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
			sqe->flags |= IOSQE_IO_LINK;
			sqe->user_data = b;
			queued += len[b];
			n++;
		}
		if (sqe) {
			/* The last of the chain ends it. */
			sqe->flags &= ~IOSQE_IO_LINK;
			inflight += n;
		}
		/* Wait for the chain, or for a NOTIF to free a buffer. */
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		do {
			while (!io_uring_peek_cqe(&ring, &cqe)) {
				zc_cqe(r, t, cqe, len, &inflight);
				io_uring_cqe_seen(&ring, cqe);
			}
			if (inflight && io_uring_wait_cqe(&ring, &cqe))
				die("io_uring_wait_cqe");
		} while (inflight);
		while (!zc_tracker_pop(t, &id))
			freelist[nfree++] = id;
		if (r->interval > 0 && now() >= tick) {
			report(r, t0, now());
			tick += r->interval;
		}
	}
	/* Every buffer back: each NOTIF arrives within the policy's bound. */
	while (zc_tracker_inflight(t)) {
		if (io_uring_wait_cqe(&ring, &cqe))
			die("io_uring_wait_cqe");
		zc_cqe(r, t, cqe, len, &inflight);
		io_uring_cqe_seen(&ring, cqe);
	}
	if (r->interval > 0)
		report(r, t0, now());
	printf("%" PRIu64 " sends, %" PRIu64 " notifications (%.4f per send), "
	       "%" PRIu64 " of them flagged IORING_NOTIF_USAGE_ZC_COPIED\n",
	       r->sends, r->notifs,
	       r->sends ? (double)r->notifs / r->sends : 0.0, r->copied);
	zc_tracker_free(t);
	io_uring_queue_exit(&ring);
	free(bufs);
	free(len);
	free(freelist);
	return r->bytes;
}

int main(int argc, char **argv)
{
	const char *server = NULL, *port = NULL, *src = NULL, *src_port = NULL;
	struct sockaddr_storage dst, local;
	socklen_t dst_len, local_len;
	uint64_t bytes = 1 << 20, sent = 0, wait_s = 0;
	struct pattern pat = { .seed = 1, .mod = 0 };
	size_t bufsize = 64 << 10;
	struct zc_run run = { .nbuf = 16 };
	unsigned char *buf;
	double deadline;
	int family = AF_UNSPEC, fd, opt, listen_mode = 0, bytes_given = 0;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "s:p:6n:v:b:c:P:w:z:k:i:T:t:lh")) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'n':
			bytes = parse_size('n', optarg, UINT64_MAX);
			bytes_given = 1;
			break;
		case 'v':
			pat.mod = parse_size('v', optarg, UINT64_MAX);
			break;
		case 'b':
			bufsize = parse_size('b', optarg, 1 << 30);
			if (!bufsize)
				bad_args("-b: the buffer size must be at least 1");
			break;
		case 'c':
			src = optarg;
			break;
		case 'P':
			src_port = optarg;
			break;
		case 'w':
			wait_s = parse_size('w', optarg, 86400);
			break;
		case 'z':
			if (!*optarg || strlen(optarg) >= 16)
				bad_args("-z: \"%s\" is not a policy name", optarg);
			run.policy = optarg;
			break;
		case 'k':
			run.nbuf = parse_size('k', optarg, 4096);
			if (!run.nbuf)
				bad_args("-k: at least one buffer");
			break;
		case 'i':
			run.interval = atof(optarg);
			if (run.interval <= 0)
				bad_args("-i: \"%s\" is not a positive time", optarg);
			break;
		case 'T':
			run.secs = atof(optarg);
			if (run.secs <= 0)
				bad_args("-T: \"%s\" is not a positive time", optarg);
			break;
		case 't':
			run.bounds.timeout_ns = parse_size('t', optarg, 1000000) * 1000;
			if (!run.bounds.timeout_ns)
				bad_args("-t: at least 1 us");
			break;
		case 'l':
			listen_mode = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		bad_args("unexpected argument \"%s\"", argv[optind]);
	if (listen_mode) {
		if (!port || server)
			bad_args("-l takes -p PORT and no -s");
		return receive(port, family, &pat);
	}
	if (!server || !port)
		bad_args("-s ADDR and -p PORT are required");
	if (!run.policy && (run.interval > 0 || run.secs > 0 ||
			    run.nbuf != 16 || run.bounds.timeout_ns))
		bad_args("-k, -i, -T and -t go with -z");
	if (run.secs > 0 && !bytes_given)
		bytes = UINT64_MAX;

	resolve("server address", server, port, 1, family, &dst, &dst_len);
	if (src || src_port) {
		resolve("source address", src, src_port ? src_port : "0",
			!!src_port, dst.ss_family, &local, &local_len);
	}

	buf = malloc(bufsize);
	if (!buf)
		die("cannot allocate %zu bytes", bufsize);
	signal(SIGPIPE, SIG_IGN);

	deadline = now() + wait_s;
	for (;;) {
		int one = 1;

		fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (src || src_port) {
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&local, local_len))
				die("bind to %s: %s", addr_str(&local), strerror(errno));
		}
		if (!connect(fd, (struct sockaddr *)&dst, dst_len))
			break;
		if (errno != ECONNREFUSED || now() >= deadline)
			die("connect to %s: %s", addr_str(&dst), strerror(errno));
		close(fd);
		usleep(100 * 1000);
	}

	if (run.policy)
		sent = send_uring(fd, &run, &pat, bufsize, bytes);
	while (!run.policy && sent < bytes) {
		size_t chunk = bytes - sent < bufsize ? bytes - sent : bufsize;
		size_t off = 0;

		fill(&pat, buf, chunk);
		while (off < chunk) {
			ssize_t n = send(fd, buf + off, chunk - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("send to %s after %" PRIu64 " bytes: %s",
				    addr_str(&dst), sent + off, strerror(errno));
			off += n;
		}
		sent += chunk;
	}

	if (shutdown(fd, SHUT_WR))
		die("shutdown to %s after %" PRIu64 " bytes: %s", addr_str(&dst),
		    sent, strerror(errno));
	if (close(fd))
		die("close to %s after %" PRIu64 " bytes: %s", addr_str(&dst),
		    sent, strerror(errno));
	free(buf);
	printf("sent %" PRIu64 " bytes to %s\n", sent, addr_str(&dst));
	return 0;
}
