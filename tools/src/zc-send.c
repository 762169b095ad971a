// SPDX-License-Identifier: GPL-2.0
/*
 * zc-send: connect over TCP and send a byte pattern that a receiver can
 * check, the one upstream's ncdevmem validates with "-v MOD".
 *
 *   zc-send -s ADDR -p PORT [-6] [-n BYTES] [-v MOD] [-b BUFSIZE]
 *           [-c SRCADDR] [-P SRCPORT] [-w SECONDS]
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
		"  -w SECONDS  retry a refused connection for up to SECONDS\n",
		prog);
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

int main(int argc, char **argv)
{
	const char *server = NULL, *port = NULL, *src = NULL, *src_port = NULL;
	struct sockaddr_storage dst, local;
	socklen_t dst_len, local_len;
	uint64_t bytes = 1 << 20, sent = 0, wait_s = 0;
	struct pattern pat = { .seed = 1, .mod = 0 };
	size_t bufsize = 64 << 10;
	unsigned char *buf;
	double deadline;
	int family = AF_UNSPEC, fd, opt;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "s:p:6n:v:b:c:P:w:h")) != -1) {
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
	if (!server || !port)
		bad_args("-s ADDR and -p PORT are required");

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

	while (sent < bytes) {
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
