/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network helpers shared by our tests: shell commands, network
 * namespaces, TCP endpoints, and zcnic pairs across two namespaces.
 *
 * Include after kselftest_harness.h and lib/zc_test.h.  Like those, they
 * return errors instead of exiting, but for a namespace that cannot be
 * entered or left, after which nothing a test does would mean anything.
 */
#ifndef ZC_NET_H
#define ZC_NET_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run a shell command; return its exit status, or -1. */
static inline int __attribute__((format(printf, 1, 2)))
zc_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Enter netns @name (ip netns); return an fd for the namespace we left. */
static inline int zc_ns_enter(const char *name)
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

static inline void zc_ns_leave(int old)
{
	if (setns(old, CLONE_NEWNET))
		exit(1);
	close(old);
}

/* @addr:@port as a socket address; return its length. */
static inline socklen_t zc_sockaddr_of(const char *addr, int port,
				       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		return sizeof(*s4);
	}
}

/* A TCP connection to @addr:@port, retried while the listener comes up. */
static inline int zc_connect_retry(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl = zc_sockaddr_of(addr, port, &ss);
	int fd, i;

	for (i = 0; i < 100; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (!connect(fd, (void *)&ss, sl))
			return fd;
		close(fd);
		usleep(100000);
	}
	return -1;
}

/* A listening TCP socket on @port in netns @ns, or -errno. */
static inline int zc_listener(const char *ns, int family, int port)
{
	int old = zc_ns_enter(ns), fd, one = 1;
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
	zc_ns_leave(old);
	return fd;
}

static inline int zc_accept_in(int lfd, int timeout_ms)
{
	struct pollfd p = { lfd, POLLIN, 0 };

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return accept(lfd, NULL, NULL);
}

/*
 * A child that connects from netns @ns (NULL: the caller's) to
 * @addr:@port, sends @len bytes, byte i being @pat(i), and exits 0.
 */
static inline pid_t zc_pattern_sender(const char *ns, const char *addr,
				      int port, size_t len,
				      unsigned char (*pat)(unsigned long long))
{
	static unsigned char buf[1 << 16];
	unsigned long long off = 0;
	pid_t pid = fork();
	int fd, old;

	if (pid)
		return pid;
	old = ns ? zc_ns_enter(ns) : -1;
	fd = zc_connect_retry(addr, port);
	if (old >= 0)
		zc_ns_leave(old);
	if (fd < 0)
		_exit(2);
	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ssize_t w;
		size_t i;

		for (i = 0; i < n; i++)
			buf[i] = pat(off + i);
		w = send(fd, buf, n, 0);
		if (w <= 0)
			_exit(3);
		off += w;
	}
	close(fd);
	_exit(0);
}

/* A child's exit status, 128 + signal, or -1. */
static inline int zc_wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * A zcnic pair: device a in netns nsa (10.9.0.1, fd00::1), device b in
 * netns nsb (10.9.0.2, fd00::2), both up, nq queues each.
 */
struct zc_pair {
	char a[16], b[16], nsa[16], nsb[16];
};

static inline int zc_pair_create(struct zc_pair *p, int tag, int nq)
{
	snprintf(p->a, sizeof(p->a), "zta%d", tag);
	snprintf(p->b, sizeof(p->b), "ztb%d", tag);
	snprintf(p->nsa, sizeof(p->nsa), "tx%d", tag);
	snprintf(p->nsb, sizeof(p->nsb), "rx%d", tag);

	if (zc_sh("echo '%s %s %d' > /sys/bus/platform/drivers/zcnic/new_pair",
		  p->a, p->b, nq) ||
	    zc_sh("ip netns add %s && ip netns add %s && "
		  "ip link set %s netns %s && ip link set %s netns %s",
		  p->nsa, p->nsb, p->a, p->nsa, p->b, p->nsb) ||
	    zc_sh("ip -n %s addr add 10.9.0.1/24 dev %s && "
		  "ip -n %s addr add fd00::1/64 dev %s nodad && "
		  "ip -n %s link set %s up",
		  p->nsa, p->a, p->nsa, p->a, p->nsa, p->a) ||
	    zc_sh("ip -n %s addr add 10.9.0.2/24 dev %s && "
		  "ip -n %s addr add fd00::2/64 dev %s nodad && "
		  "ip -n %s link set %s up",
		  p->nsb, p->b, p->nsb, p->b, p->nsb, p->b))
		return -1;
	return 0;
}

/* Remove the devices; the namespaces stay for what is still in them. */
static inline void zc_pair_unplug(struct zc_pair *p)
{
	zc_sh("echo %s > /sys/bus/platform/drivers/zcnic/del_pair 2>/dev/null",
	      p->a);
}

static inline void zc_pair_netns_del(struct zc_pair *p)
{
	zc_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
	      p->nsa, p->nsb);
}

/* @rel under the build directory, found from this binary's path. */
static inline const char *zc_build_file(const char *rel, char *buf,
					size_t size)
{
	char exe[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(buf, size, "%s/../%s", exe, rel);
	return buf;
}

/*
 * Sum an ethtool -S counter "<dir>Q_<name>" (dir "rx" or "tx") over queue
 * @q, or over all queues when @q < 0.
 */
static inline long long nic_counter(const char *ns, const char *dev, const char *dir,
			     int q, const char *name)
{
	char cmd[256], line[256], key[64], fmt[32];
	long long sum = 0, v;
	FILE *f;
	int qq;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ethtool -S %s", ns, dev);
	snprintf(fmt, sizeof(fmt), " %s%%d_%%63[a-z_]: %%lld", dir);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, fmt, &qq, key, &v) != 3)
			continue;
		if (strcmp(key, name) || (q >= 0 && q != qq))
			continue;
		sum += v;
	}
	pclose(f);
	return sum;
}

static inline long long nic_stat(const char *ns, const char *dev, int q,
			  const char *name)
{
	return nic_counter(ns, dev, "rx", q, name);
}

#endif /* ZC_NET_H */
