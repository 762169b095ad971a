/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by our kselftest-harness tests.
 *
 * Include after kselftest_harness.h.  Every helper returns 0 or a negative
 * errno and never exits, so a test can ASSERT_EQ(0, helper(...)).
 */
#ifndef ZC_TEST_H
#define ZC_TEST_H

#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

/* The guest's nobody:nogroup. */
#define ZC_UNPRIV_UID	65534
#define ZC_UNPRIV_GID	65534

/* Capabilities that would let accounting or privilege checks be skipped. */
static const int zc_privileged_caps[] = {
	CAP_IPC_LOCK, CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF, CAP_SYS_ADMIN,
	CAP_SYS_RESOURCE, CAP_PERFMON,
};

/* Return 1 if @cap is in the calling thread's effective or permitted set. */
static inline int zc_have_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	return !!((data[cap / 32].effective | data[cap / 32].permitted) &
		  (1U << (cap % 32)));
}

/*
 * Turn the calling process into an ordinary user: uid and gid nobody, no
 * supplementary groups, no capabilities, and RLIMIT_MEMLOCK set to
 * @memlock bytes (RLIM_INFINITY to leave it).  Root skips the memlock
 * and privilege checks we want to test, so tests of those call this first.
 * The harness runs each test in its own child, so only that test changes.
 */
static inline int zc_become_unprivileged(rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };
	unsigned int i;

	if (memlock != RLIM_INFINITY && setrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return -errno;
	if (setgroups(0, NULL) ||
	    setresgid(ZC_UNPRIV_GID, ZC_UNPRIV_GID, ZC_UNPRIV_GID) ||
	    setresuid(ZC_UNPRIV_UID, ZC_UNPRIV_UID, ZC_UNPRIV_UID))
		return -errno;
	/* A uid change makes us undumpable, and /proc/self root's. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	for (i = 0; i < sizeof(zc_privileged_caps) / sizeof(int); i++) {
		if (zc_have_cap(zc_privileged_caps[i]))
			return -EPERM;
	}
	if (getuid() == 0 || geteuid() == 0)
		return -EPERM;
	return 0;
}

/* Read a "Key:   N kB" line of /proc/self/status; N or -errno. */
static inline long zc_status_kb(const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long val = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* The value of "Key:\t..." in the fdinfo of @fd, or "" */
static inline void zc_fdinfo(int fd, const char *key, char *val, size_t size)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	val[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			/* Cut to @size, as meant: no snprintf() warning. */
			size_t n = strcspn(line + klen + 2, "\n");

			if (n >= size)
				n = size - 1;
			memcpy(val, line + klen + 2, n);
			val[n] = '\0';
			break;
		}
	}
	fclose(f);
}

/* Move the calling process into a new network namespace with lo up. */
static inline int zc_netns_new(void)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Free the skbs parked on every CPU's deferred-free list.  recvmsg() on
 * one CPU hands an skb back to the CPU that allocated it, which frees it
 * the next time it runs net_rx_action(); with no traffic after a test,
 * page_pool pages can wait there indefinitely.  A datagram over loopback,
 * sent from each CPU in turn, runs net_rx_action() on that CPU, as any
 * later traffic would.  The calling thread must be in a netns with lo up.
 */
static inline int zc_flush_skb_defer_lists(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	cpu_set_t old, one;
	int fd, ret = 0;
	char c = 0;

	if (sched_getaffinity(0, sizeof(old), &old))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (void *)&sin, sizeof(sin)) ||
	    getsockname(fd, (void *)&sin, &sl)) {
		ret = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpu && !ret; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) ||
		    sendto(fd, &c, 1, 0, (void *)&sin, sizeof(sin)) != 1 ||
		    recv(fd, &c, 1, 0) != 1)
			ret = -errno;
	}
	sched_setaffinity(0, sizeof(old), &old);
out:
	close(fd);
	return ret;
}

#endif /* ZC_TEST_H */
