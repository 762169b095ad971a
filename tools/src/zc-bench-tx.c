// SPDX-License-Identifier: GPL-2.0
/*
 * zc-bench-tx: send throughput, every mode side by side.
 *
 *   zc-bench-tx [-o SAMPLES.csv] [-r REPEATS] [-t SECONDS] [-n BATCH]
 *               [-s SIZES] [-p udp,tcp] [-m MODES] [-b BPF_DIR]
 *
 * Runs as root inside a tools/vm guest.  Wires: UDP to a dummy device
 * (MTU 65535) and TCP over a zcnic pair to a receiver that discards.
 * For every repeat, size and protocol it runs every mode once, in an
 * order that rotates with the repeat, each for SECONDS, with BATCH
 * requests per submission on a ring set up the same way for every mode:
 *
 *   copy            IORING_OP_SEND
 *   zc              stock IORING_OP_SEND_ZC, a NOTIF per send
 *   zc_bound        SEND_ZC, one notification per run (bench_bound)
 *   zc_per_send     SEND_ZC under the per_send policy, on a ring
 *                   whose sends complete without a NOTIF when their
 *                   buffer is free as they return
 *                   (IORING_ZC_SEND_EARLY_FREE, every policy ring)
 *   zc_batch        ... batch (64 sends per notification)
 *   zc_adaptive     ... adaptive
 *   zc_copy_small   ... copy_small (64 sends per notification, lone
 *                   copies counted), on a ring that lets the sends it
 *                   copies go alone (IORING_ZC_SEND_COPY_ALONE)
 *   msg_zerocopy    send(2) with MSG_ZEROCOPY, error queue drained
 *   msg_zerocopy_per_send, _batch, _adaptive, _copy_small
 *                   ... under that policy (SO_ZC_POLICY)
 *
 * and each io_uring mode again with "_fixed": the same buffer,
 * registered (6.12's plain SEND takes no registered buffer, so
 * copy_fixed sends from the registered memory as a plain buffer).
 * With -m only: zc_coalesced (opted in, no policy: the ABI's own cost),
 * zc_per_send_notify (per_send without IORING_ZC_SEND_EARLY_FREE: a
 * NOTIF for every send, even one whose buffer was free as it returned)
 * and zc_copy_small_members (copy_small without the flag: its copies
 * join notifications).
 *
 * Prints one line per run and writes them to SAMPLES.csv:
 *   proto,size,mode,repeat,rps,notifs_per_send,errq_calls_per_mb,
 *   pkts_per_send
 * (errq_calls_per_mb: recvmsg(MSG_ERRQUEUE) calls per 10^6 bytes sent,
 * those that found the queue empty included, 0 for the io_uring modes;
 * pkts_per_send: frames the sender's device sent per send, counted once
 * a TCP run's data is acknowledged).
 * tools/bench-report turns them into medians, ratios and a chart.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>

#include "zc.h"
#include "zc-bench-tx.skel.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY	5
#endif

#define MAX_SIZE	65000
#define TCP_PORT	5401
/*
 * The TCP sender's NIC completes its frames as a moderated tx interrupt
 * would, 1 ms after the first (some 20 to 50 us of hardware time, at the
 * speed TCG runs the guest).  Completed at once, each frame is done as
 * soon as the engine took it, and how many small sends autocorking merges
 * into the next one follows the race between sender and engine: the
 * frames per send of one cell varied 2x between repeats, and its rate
 * with them.
 */
#define TX_USECS_DEF	1000
#define TX_FRAMES_DEF	0

enum kind { K_COPY, K_ZC, K_MSGZC };

struct mode {
	const char *name;
	enum kind kind;
	const char *policy;	/* NULL: a stock ring */
	bool fixed;
	bool extra;		/* run with -m only */
	/* IORING_ZC_SEND_COPY_ALONE not set: copies stay members */
	bool members;
	/* IORING_ZC_SEND_EARLY_FREE not set: a NOTIF for every send */
	bool notify;
};

static const struct mode all_modes[] = {
	{ .name = "copy", .kind = K_COPY },
	{ .name = "zc", .kind = K_ZC },
	{ .name = "zc_bound", .kind = K_ZC, .policy = "bench_bound" },
	{ .name = "zc_per_send", .kind = K_ZC, .policy = "per_send" },
	{ .name = "zc_batch", .kind = K_ZC, .policy = "batch" },
	{ .name = "zc_adaptive", .kind = K_ZC, .policy = "adaptive" },
	{ .name = "zc_copy_small", .kind = K_ZC, .policy = "copy_small" },
	{ .name = "msg_zerocopy", .kind = K_MSGZC },
	{ .name = "msg_zerocopy_per_send", .kind = K_MSGZC,
	  .policy = "per_send" },
	{ .name = "msg_zerocopy_batch", .kind = K_MSGZC, .policy = "batch" },
	{ .name = "msg_zerocopy_adaptive", .kind = K_MSGZC,
	  .policy = "adaptive" },
	{ .name = "msg_zerocopy_copy_small", .kind = K_MSGZC,
	  .policy = "copy_small" },
	/* opted in without a policy: the ABI's own cost */
	{ .name = "zc_coalesced", .kind = K_ZC, .policy = "", .extra = true },
	/* copy_small whose copies join notifications: what the flag saves */
	{ .name = "zc_copy_small_members", .kind = K_ZC,
	  .policy = "copy_small", .extra = true, .members = true },
	/* per_send with a NOTIF for every send, freed early or not */
	{ .name = "zc_per_send_notify", .kind = K_ZC,
	  .policy = "per_send", .extra = true, .notify = true },
	{ .name = "copy_fixed", .kind = K_COPY, .fixed = true },
	{ .name = "zc_fixed", .kind = K_ZC, .fixed = true },
	{ .name = "zc_bound_fixed", .kind = K_ZC,
	  .policy = "bench_bound", .fixed = true },
	{ .name = "zc_per_send_fixed", .kind = K_ZC,
	  .policy = "per_send", .fixed = true },
	{ .name = "zc_batch_fixed", .kind = K_ZC,
	  .policy = "batch", .fixed = true },
	{ .name = "zc_adaptive_fixed", .kind = K_ZC,
	  .policy = "adaptive", .fixed = true },
	{ .name = "zc_copy_small_fixed", .kind = K_ZC,
	  .policy = "copy_small", .fixed = true },
};
#define NMODES	(sizeof(all_modes) / sizeof(all_modes[0]))

static struct {
	const char *out;
	int repeats;
	double secs, tcp_secs;
	int batch;
	int sizes[16], nsizes;
	bool udp, tcp;
	bool want[NMODES];
	const char *bpf_dir;
	/* bta's tx completion moderation: ethtool -C tx-usecs, tx-frames */
	unsigned int tx_usecs, tx_frames;
} opt = {
	.repeats = 5, .secs = 0.5, .tcp_secs = 1, .batch = 32,
	.sizes = { 600, 1000, 1500, 4000, 8000, 32000, 65000 }, .nsizes = 7,
	.udp = true, .tcp = true, .bpf_dir = "build/bpf",
	.tx_usecs = TX_USECS_DEF, .tx_frames = TX_FRAMES_DEF,
};

static char buf[MAX_SIZE] __attribute__((aligned(4096)));

/*
 * How long one run on @fd lasts.  TCP gets longer: its throughput moves
 * with the connection's state (cwnd, the receiver's window, ACK timing),
 * and in 0.5 s runs the spread between repeats of one cell reached 2x.
 */
static double run_secs(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	return type == SOCK_STREAM ? opt.tcp_secs : opt.secs;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "zc-bench-tx: %s: %s\n", what, strerror(err));
	exit(1);
}

static void run(const char *cmd)
{
	if (system(cmd))
		fprintf(stderr, "zc-bench-tx: '%s' failed\n", cmd), exit(1);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ------------------------------------------------------------- wires */

/* Move the calling thread into network namespace @name. */
static void enter_netns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path, errno);
	if (setns(fd, CLONE_NEWNET))
		die(path, errno);
	close(fd);
}

/*
 * The TCP pair, and where it runs, fixed so that no run depends on where
 * RSS hashed its connection: vCPU 0 sends, and takes bta's rx interrupts,
 * the ACKs that complete its zero-copy sends, as a sender's CPU would;
 * vCPU 1 receives, takes btb's rx interrupts, and runs both copy engines
 * (the kthreads that stand for the NICs' DMA).  Left to RSS, the data's
 * NAPI landed on the sender's vCPU in some runs and not in others: the
 * same mode's runs spread by up to 30%.  bta's tx completions are
 * moderated (-c).
 */
static void setup_wires(void)
{
	char cmd[128];

	run("ip netns add bud && ip -n bud link set lo up && "
	    "ip -n bud link add zcd0 type dummy && "
	    "ip -n bud addr add 10.8.0.1/24 dev zcd0 && "
	    "ip -n bud link set zcd0 mtu 65535 up");
	run("echo 'bta btb 2' > /sys/bus/platform/drivers/zcnic/new_pair && "
	    "echo 0 > /sys/class/net/bta/device/irq_affinity && "
	    "echo 1 > /sys/class/net/btb/device/irq_affinity && "
	    "taskset -p 2 $(pgrep -x zcnic/bta) > /dev/null && "
	    "taskset -p 2 $(pgrep -x zcnic/btb) > /dev/null && "
	    "ip netns add btx && ip netns add brx && "
	    "ip link set bta netns btx && ip link set btb netns brx && "
	    "ip -n btx addr add 10.8.1.1/24 dev bta && "
	    "ip -n brx addr add 10.8.1.2/24 dev btb && "
	    "ip -n btx link set bta mtu 9000 up && "
	    "ip -n brx link set btb mtu 9000 up");
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec btx ethtool -C bta tx-usecs %u tx-frames %u",
		 opt.tx_usecs, opt.tx_frames);
	run(cmd);
}

static void teardown_wires(void)
{
	if (system("echo bta > /sys/bus/platform/drivers/zcnic/del_pair; "
		   "ip netns del btx; ip netns del brx; ip netns del bud"))
		fprintf(stderr, "zc-bench-tx: teardown incomplete\n");
}

/* The TCP receiver: a thread in netns brx, on CPU 1, discarding. */
static void *receiver(void *arg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(TCP_PORT) };
	static char sink[1 << 16];
	int lfd, cfd, one = 1;

	(void)arg;
	pin(1);
	enter_netns("brx");
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&sin, sizeof(sin)) || listen(lfd, 16))
		die("receiver", errno);
	while ((cfd = accept(lfd, NULL, NULL)) >= 0) {
		while (recv(cfd, sink, sizeof(sink), 0) > 0)
			;
		close(cfd);
	}
	return NULL;
}

/* A socket for @proto, from the sender's side of its wire. */
static int wire_socket(bool tcp)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int old = open("/proc/self/ns/net", O_RDONLY), fd, i;

	/* One run per mode, size and repeat: leak no fd per run. */
	enter_netns(tcp ? "btx" : "bud");
	if (tcp) {
		dst.sin_port = htons(TCP_PORT);
		dst.sin_addr.s_addr = htonl(0x0a080102);	/* 10.8.1.2 */
	} else {
		dst.sin_port = htons(9);
		dst.sin_addr.s_addr = htonl(0x0a080002);	/* 10.8.0.2 */
	}
	for (i = 0; i < 100; i++) {
		fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket", errno);
		if (!connect(fd, (void *)&dst, sizeof(dst)))
			break;
		close(fd);
		usleep(50000);
	}
	if (i == 100)
		die("connect", errno);
	if (setns(old, CLONE_NEWNET))
		die("setns back", errno);
	close(old);
	return fd;
}

/* ---------------------------------------------------------------- modes */

struct result {
	double rps;
	double notifs_per_send;
	double errq_calls_per_mb;
	double pkts_per_send;
	unsigned long long sends;
};

static void ring_for(const struct mode *m, struct io_uring *ring)
{
	/* SUBMIT_ALL: a send refused at submission (-EBUSY) must not
	 * leave the rest of its batch in the SQ, unsubmitted.
	 */
	struct io_uring_params p = {
		.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_SUBMIT_ALL,
	};
	struct iovec iov = { buf, sizeof(buf) };
	int err;

	err = io_uring_queue_init_params(512, ring, &p);
	if (err)
		die("io_uring_queue_init", -err);
	if (m->fixed) {
		err = io_uring_register_buffers(ring, &iov, 1);
		if (err)
			die("io_uring_register_buffers", -err);
	}
	if (m->policy) {
		struct zc_send_bounds b = { 0 };

		/* zc_bound: nothing closes but the kernel's widest bounds. */
		if (!strcmp(m->policy, "bench_bound")) {
			/* Leaves room for several in the 32768-send window. */
			b.max_sends = 4096;
			b.max_bytes = 256ULL << 20;
			b.timeout_ns = 1000000000ULL;
		} else {
			b.max_sends = 1024;
			b.max_bytes = 16ULL << 20;
			b.timeout_ns = 10000000ULL;
		}
		/* Only copy_small copies by rule, and only policies that
		 * keep nothing open (per_send) free sends early; for the
		 * others the flags change nothing.
		 */
		err = zc_register_send_policy_flags(ring, m->policy, &b,
				(m->members ? 0 : IORING_ZC_SEND_COPY_ALONE) |
				(m->notify ? 0 : IORING_ZC_SEND_EARLY_FREE));
		if (err)
			die(m->policy, -err);
	}
}

static struct result run_uring(const struct mode *m, int fd, int size)
{
	unsigned long long sends = 0, notifs = 0;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	double t0, t1, end;
	int i, busy = 0;

	ring_for(m, &ring);
	t0 = now();
	end = t0 + run_secs(fd);
	do {
		int done = 0, want = opt.batch;

	again:
		for (i = 0; i < want; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (m->kind == K_COPY)
				io_uring_prep_send(sqe, fd, buf, size,
						   MSG_WAITALL);
			else if (m->fixed)
				io_uring_prep_send_zc_fixed(sqe, fd, buf, size,
							    MSG_WAITALL, 0, 0);
			else
				io_uring_prep_send_zc(sqe, fd, buf, size,
						      MSG_WAITALL, 0);
		}
		if (io_uring_submit(&ring) != want)
			die("io_uring_submit", EIO);
		while (done < want) {
			if (io_uring_wait_cqe(&ring, &cqe))
				die("io_uring_wait_cqe", EIO);
			if (cqe->flags & IORING_CQE_F_NOTIF) {
				notifs++;
			} else if (cqe->res == -EBUSY) {
				/* Too many sends await their NOTIF: wait for
				 * one and resubmit, as an application would.
				 */
				busy++;
				done++;
			} else {
				if (cqe->res < 0)
					die(m->name, -cqe->res);
				done++;
				sends++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		if (busy) {
			/* The NOTIF that reopens the window may have been
			 * reaped above already: wait for one, but not for long.
			 */
			struct __kernel_timespec ts = { .tv_nsec = 1000000 };

			want = busy;
			busy = 0;
			done = 0;
			io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
			goto again;
		}
		t1 = now();
	} while (t1 < end);

	/* Outstanding NOTIFs come in as the ring closes. */
	io_uring_queue_exit(&ring);
	return (struct result){ sends / (t1 - t0),
				m->kind == K_COPY ? 0 : (double)notifs / sends,
				0, 0, sends };
}

/*
 * Read what the error queue holds; return the notifications, and count
 * the recvmsg() calls in @calls.
 */
static unsigned long long drain_errqueue(int fd, unsigned long long *calls)
{
	unsigned long long n = 0;
	char ctrl[128];

	for (;;) {
		struct msghdr msg = { .msg_control = ctrl,
				      .msg_controllen = sizeof(ctrl) };
		struct cmsghdr *cm;

		++*calls;
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return n;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct sock_extended_err *ee = (void *)CMSG_DATA(cm);

			if (ee->ee_origin == SO_EE_ORIGIN_ZEROCOPY)
				n++;
		}
	}
}

/*
 * The socket's MSG_ZEROCOPY policy for @m: its own, or for stock modes ""
 * (no default is set here: stock behaviour) once a policy was chosen, as
 * the choice cannot be taken back.
 */
static void msgzc_policy(const struct mode *m, int fd)
{
	/* The ring modes' bounds: ranges are not cut short by the guest. */
	struct zc_send_bounds b = {
		.max_sends = 1024, .max_bytes = 16ULL << 20,
		.timeout_ns = 10000000ULL,
	};
	static bool chosen[2];
	socklen_t len = sizeof(int);
	int type, tcp, err;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
		die("SO_TYPE", errno);
	tcp = type == SOCK_STREAM;
	if (!m->policy && !chosen[tcp])
		return;
	err = zc_sock_set_send_policy(fd, m->policy ? m->policy : "", &b);
	if (err)
		die("SO_ZC_POLICY", -err);
	chosen[tcp] = true;
}

static struct result run_msgzc(const struct mode *m, int fd, int size)
{
	unsigned long long sends = 0, notifs = 0, calls = 0;
	double t0, t1, end;
	int one = 1, i;

	/* Stays set: other modes do not pass MSG_ZEROCOPY. */
	if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY", errno);
	msgzc_policy(m, fd);
	t0 = now();
	end = t0 + run_secs(fd);
	do {
		for (i = 0; i < opt.batch; ) {
			ssize_t r = send(fd, buf, size, MSG_ZEROCOPY);

			if (r < 0 && errno == ENOBUFS) {
				notifs += drain_errqueue(fd, &calls);
				continue;
			}
			if (r < 0)
				die("send MSG_ZEROCOPY", errno);
			i++;
		}
		sends += opt.batch;
		notifs += drain_errqueue(fd, &calls);
		t1 = now();
	} while (t1 < end);
	return (struct result){ sends / (t1 - t0), (double)notifs / sends,
				calls * 1e6 / ((double)sends * size), 0, sends };
}

/*
 * One connection per wire for the whole bench: a fresh TCP connection per
 * run would measure slow start as much as the mode.  Before each run the
 * previous one's data must be out and acknowledged, so that no mode pays
 * for another's backlog.
 */
static int wire_fd[2] = { -1, -1 };

static void wire_drain(int fd)
{
	double until = now() + 2;
	int queued;

	do {
		/* Bytes not yet acknowledged, sent or not. */
		if (ioctl(fd, SIOCOUTQ, &queued))
			die("SIOCOUTQ", errno);
		if (!queued)
			return;
		usleep(1000);
	} while (now() < until);
	fprintf(stderr, "zc-bench-tx: %d bytes still unacknowledged\n", queued);
}

/*
 * Frames the sender's device of a wire has sent, from its netns's
 * /proc/net/dev.  Over TCP they say how the stream was cut into packets,
 * which moves with how fast the sender is against the device: a slower
 * sender leaves autocorking less to merge.
 */
static unsigned long long wire_tx_packets(bool tcp)
{
	const char *dev = tcp ? "bta:" : "zcd0:";
	int old = open("/proc/self/ns/net", O_RDONLY);
	unsigned long long v[10] = { 0 };
	char line[512];
	FILE *f;

	enter_netns(tcp ? "btx" : "bud");
	f = fopen("/proc/thread-self/net/dev", "r");
	if (!f)
		die("/proc/thread-self/net/dev", errno);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, dev);

		/* rx: bytes packets errs drop fifo frame compressed
		 * multicast; tx: bytes packets
		 */
		if (p && sscanf(p + strlen(dev),
				"%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
				&v[7], &v[8], &v[9]) == 10)
			break;
	}
	fclose(f);
	if (setns(old, CLONE_NEWNET))
		die("setns back", errno);
	close(old);
	return v[9];
}

static struct result run_mode(const struct mode *m, bool tcp, int size)
{
	unsigned long long pkts;
	struct result res;
	int fd;

	if (wire_fd[tcp] < 0)
		wire_fd[tcp] = wire_socket(tcp);
	fd = wire_fd[tcp];
	if (tcp)
		wire_drain(fd);
	pkts = wire_tx_packets(tcp);
	res = m->kind == K_MSGZC ? run_msgzc(m, fd, size) :
				   run_uring(m, fd, size);
	/* Outside the timed run: what it sent, once it is all out. */
	if (tcp)
		wire_drain(fd);
	pkts = wire_tx_packets(tcp) - pkts;
	res.pkts_per_send = res.sends ? (double)pkts / res.sends : 0;
	return res;
}

/* ------------------------------------------------------------- policies */

static struct bpf_object *attach_policy(const char *file, const char *map)
{
	char path[512];
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *m;

	snprintf(path, sizeof(path), "%s/%s", opt.bpf_dir, file);
	obj = bpf_object__open_file(path, NULL);
	if (!obj || bpf_object__load(obj))
		die(path, errno);
	m = bpf_object__find_map_by_name(obj, map);
	if (!m || zc_policy_attach(m, NULL, &link))
		die(map, errno);
	return obj;
}

/* Write @size bytes of @k to the policy's "knobs" map. */
static void set_knobs(struct bpf_object *obj, const void *k, __u32 size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "knobs");
	__u32 zero = 0;

	if (!m || bpf_map__update_elem(m, &zero, sizeof(zero), k, size, 0))
		die("knobs", errno);
}

/*
 * Both batching policies close every 64 sends (their knob), bytes left to
 * the bounds: batch, and copy_small, whose lone copies count among them,
 * with its default threshold.
 */
static void batch_knobs(struct bpf_object *obj)
{
	struct { __u32 sends, pad; __u64 bytes; } k = { 64, 0, 0 };

	set_knobs(obj, &k, sizeof(k));
}

static void copy_small_knobs(struct bpf_object *obj)
{
	struct { __u32 threshold, sends; } k = { 0, 64 };

	set_knobs(obj, &k, sizeof(k));
}

/* Select the modes named in the comma-separated @list. */
static void want_modes(const char *list)
{
	char have[512], want[64];
	int i;

	snprintf(have, sizeof(have), ",%s,", list);
	for (i = 0; i < (int)NMODES; i++) {
		snprintf(want, sizeof(want), ",%s,", all_modes[i].name);
		opt.want[i] = strstr(have, want);
	}
}

/* ---------------------------------------------------------------- main */

static void parse_list(char *s, int *out, int *n, int max)
{
	char *tok;

	*n = 0;
	while ((tok = strsep(&s, ",")) && *n < max)
		out[(*n)++] = atoi(tok);
}

int main(int argc, char **argv)
{
	struct zc_bench_tx *skel;
	struct bpf_link *bound;
	FILE *out = NULL;
	pthread_t rx;
	int c, r, s, i, p;
	bool any = false;

	while ((c = getopt(argc, argv, "o:r:t:T:n:s:p:m:b:c:h")) != -1) {
		switch (c) {
		case 'o': opt.out = optarg; break;
		case 'r': opt.repeats = atoi(optarg); break;
		case 't': opt.secs = atof(optarg); break;
		case 'T': opt.tcp_secs = atof(optarg); break;
		case 'n': opt.batch = atoi(optarg); break;
		case 's': parse_list(optarg, opt.sizes, &opt.nsizes, 16); break;
		case 'p':
			opt.udp = strstr(optarg, "udp");
			opt.tcp = strstr(optarg, "tcp");
			break;
		case 'm':
			want_modes(optarg);
			any = true;
			break;
		case 'b': opt.bpf_dir = optarg; break;
		case 'c':
			if (sscanf(optarg, "%u,%u", &opt.tx_usecs,
				   &opt.tx_frames) < 1)
				die("-c", EINVAL);
			break;
		default:
			fprintf(stderr, "usage: zc-bench-tx [-o FILE] [-r N] [-t S] [-T S] [-n BATCH] [-s SIZES] [-p udp,tcp] [-m MODES] [-b BPF_DIR] [-c USECS[,FRAMES]]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!any)
		for (i = 0; i < (int)NMODES; i++)
			opt.want[i] = !all_modes[i].extra;
	if (opt.repeats < 1 || opt.secs <= 0 || opt.tcp_secs <= 0 ||
	    opt.batch < 1 || opt.batch > 256)
		die("options", EINVAL);

	memset(buf, 0x5a, sizeof(buf));
	pin(0);
	setup_wires();
	pthread_create(&rx, NULL, receiver, NULL);

	attach_policy("per_send.bpf.o", "per_send");
	batch_knobs(attach_policy("batch.bpf.o", "batch"));
	attach_policy("adaptive.bpf.o", "adaptive");
	copy_small_knobs(attach_policy("copy_small.bpf.o", "copy_small"));
	skel = zc_bench_tx__open_and_load();
	if (!skel || zc_policy_attach(skel->maps.bench_bound, NULL, &bound))
		die("bench_bound", errno);

	if (opt.out) {
		out = fopen(opt.out, "w");
		if (!out)
			die(opt.out, errno);
		fprintf(out, "proto,size,mode,repeat,rps,notifs_per_send,"
			"errq_calls_per_mb,pkts_per_send\n");
	}
	for (r = 0; r < opt.repeats; r++) {
		for (s = 0; s < opt.nsizes; s++) {
			for (p = 0; p < 2; p++) {
				bool tcp = p;

				if ((tcp && !opt.tcp) || (!tcp && !opt.udp))
					continue;
				/* Interleave: every mode once, the order
				 * rotating from repeat to repeat.
				 */
				for (i = 0; i < (int)NMODES; i++) {
					int k = (i + r * 3) % NMODES;
					const struct mode *m = &all_modes[k];
					struct result res;

					if (!opt.want[k])
						continue;
					res = run_mode(m, tcp, opt.sizes[s]);
					printf("%s %6d %-20s r%d %12.0f rps %.4f notifs/send %.3f pkts/send\n",
					       tcp ? "tcp" : "udp", opt.sizes[s],
					       m->name, r, res.rps,
					       res.notifs_per_send,
					       res.pkts_per_send);
					fflush(stdout);
					if (out)
						fprintf(out, "%s,%d,%s,%d,%.0f,%.5f,%.2f,%.4f\n",
							tcp ? "tcp" : "udp",
							opt.sizes[s], m->name, r,
							res.rps,
							res.notifs_per_send,
							res.errq_calls_per_mb,
							res.pkts_per_send);
				}
			}
		}
	}
	if (out)
		fclose(out);
	for (p = 0; p < 2; p++)
		if (wire_fd[p] >= 0)
			close(wire_fd[p]);
	teardown_wires();
	return 0;
}
