// SPDX-License-Identifier: GPL-2.0
/*
 * zc-bench-rx: zero-copy receive against recv(), and the refill policies
 * under bursts.
 *
 *   zc-bench-rx [-o SAMPLES.csv] [-O BURST.csv] [-b BPF_DIR] [-T PHASES]
 *               [-r REPEATS] [-n BYTES] [-s SIZES] [-m MODES] [-A AREA]
 *               [-g RING] [-R REPEATS] [-G RING] [-a AREA] [-z BURST]
 *               [-f RATE] [-c BURSTS] [-H HOLD_MS] [-k LOW[,HIGH]]
 *               [-P POLICIES] [-W low,any]
 *
 * Runs as root inside a tools/vm guest with two vCPUs.  One zcnic pair,
 * bra in netns brtx (10.9.0.1) and brb in netns brrx (10.9.0.2), 4 queues
 * each, header split on brb, RSS over queues 0-2 and ntuple rules that
 * put each mode's port on its queue.  vCPU 0 receives: this thread, and
 * brb's rx interrupts and NAPI.  vCPU 1 sends: the sender thread, both
 * copy engines (the "device"), and bra's NAPI, which takes the ACKs.
 *
 * Stream phase: for every repeat (the outer loop), message size and mode,
 * one TCP connection carries BYTES, written in messages of that size.  The
 * sender writes them with sendfile() from a memfd (-S send: with send()),
 * so that what limits the stream is the receiver: a sender copying from
 * user memory on vCPU 1, which also runs both copy engines, is the
 * bottleneck of every mode, and the ratios would then only say which
 * receiver makes its ACKs cost the sender less.
 *
 *   recv     recv() of the message size into a user buffer (queue 1)
 *   zc_copy  RECV_ZC on its copy fallback (queue 1; see steer())
 *   zc       RECV_ZC, zero-copy: payload on queue 3, the bound one
 *
 * Each run records the receiver's throughput, its CPU time (this thread's
 * CLOCK_THREAD_CPUTIME_ID plus vCPU 0's softirq time, the counter of
 * /proc/stat), the payload bytes the CPU copied (BPF on
 * skb_copy_datagram_iter() and skb_copy_bits(), plus the ring's
 * ZcrxCopied), what the device wrote (brb's rxN_dev_written_bytes) and
 * what RECV_ZC handed out zero-copy (ZcrxZeroCopy), and cross-checks them.
 *
 * Burst phase: for every repeat and refill policy (lazy, watermark,
 * reserve), a fresh ring binds a small area to queue 3; the sender writes
 * bursts at a fixed rate; the receiver holds every buffer for HOLD_MS but
 * returns all it holds when the kernel says the fill queue runs low
 * (IORING_ZCRX_NOTIF_FILL_LOW: reaction "low"), or also when the NIC
 * found no buffer (_NO_BUFFERS, after the drop: reaction "any").  Each
 * policy runs with each reaction (-W).  It records the NIC's drops, the
 * notifications, the policy's statistics and the reserve.
 *
 * One line per run on stdout; SAMPLES.csv and BURST.csv get the same as
 * CSV, which tools/bench-report rx turns into medians, tables and a
 * chart.  A failed cross-check is printed loudly and makes the exit
 * status 1, after every run.  See zc-bench-rx(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>

#include "zc.h"
#include "zc-bench-rx.skel.h"

#define TX_DEV		"bra"
#define RX_DEV		"brb"
#define NQUEUES		4
#define ZC_QUEUE	3	/* the queue the area is bound to */
#define COPY_QUEUE	1	/* recv and zc_copy: a queue without provider */
#define RX_CPU		0
#define TX_CPU		1

enum {
	PORT_RECV = 5410,
	PORT_COPY,
	PORT_ZC,
	PORT_BURST,
	NPORTS = PORT_BURST - PORT_RECV + 1,
};

/*
 * What zcnic writes into the head buffer of a split frame: Ethernet 14,
 * IPv4 20 and TCP 20 + 12 of timestamps.  The SYN's options are 8 bytes
 * longer (MSS, SACK-permitted, timestamps, window scale).
 */
#define HDR_BYTES	66
#define SYN_EXTRA	8

#define MAX_MSG		(1U << 20)
#define GB		1e9

enum { M_RECV, M_ZC_COPY, M_ZC, NMODES };

static const struct {
	const char *name;
	int port;
} modes[NMODES] = {
	[M_RECV]	= { "recv", PORT_RECV },
	[M_ZC_COPY]	= { "zc_copy", PORT_COPY },
	[M_ZC]		= { "zc", PORT_ZC },
};

#define NPOLICIES	3
static const char *const policies[NPOLICIES] = { "lazy", "watermark", "reserve" };
#define NREACTS		2
static const char *const react_names[NREACTS] = { "low", "any" };

static struct {
	const char *out, *burst_out, *bpf_dir;
	bool stream, burst;
	/* stream */
	int repeats;
	size_t volume;
	size_t sizes[16];
	int nsizes;
	bool want[NMODES];
	size_t stream_area;
	int rx_ring;		/* brb's rx ring entries */
	bool splice;		/* the sender: sendfile(), or send() */
	/* burst */
	int burst_repeats, burst_ring;
	size_t area, burst_bytes;
	double rate;
	int bursts;
	double hold_ms;
	unsigned int low, high;	/* the watermark knobs; 0: the defaults */
	bool want_policy[NPOLICIES];
	bool want_react[NREACTS];
} opt = {
	.bpf_dir = "build/bpf", .stream = true, .burst = true,
	.repeats = 5, .volume = 512 << 20,
	.sizes = { 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20 },
	.nsizes = 5, .want = { true, true, true }, .stream_area = 32 << 20,
	/* A ring of 256 drops under TCG's scheduling hiccups; 1024 does not. */
	.rx_ring = 1024, .burst_ring = 256, .splice = true,
	/*
	 * Bursts of 8 MiB into 2 MiB, of which the NIC's 256-entry ring keeps
	 * 1 MiB posted: the application's holding runs the area dry several
	 * times per burst, with a quarter of a second between bursts.
	 */
	.burst_repeats = 5, .area = 2 << 20, .burst_bytes = 8 << 20,
	.rate = 4, .bursts = 16, .hold_ms = 50,
	.want_policy = { true, true, true },
	.want_react = { true, true },
};

static struct zc_bench_rx *skel;
static unsigned char sbuf[MAX_MSG] __attribute__((aligned(4096)));
static int sfd;		/* a memfd with sbuf's bytes, for sendfile() */
static unsigned char rbuf[MAX_MSG] __attribute__((aligned(4096)));
static int failed_checks;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zc-bench-rx: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void run(const char *cmd)
{
	if (system(cmd))
		die("'%s' failed", cmd);
}

static void pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(tid, sizeof(set), &set))
		die("pinning %d to CPU %d: %s", tid, cpu, strerror(errno));
}

static void enter_netns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("%s: %s", path, strerror(errno));
	close(fd);
}

/* ------------------------------------------------------------- counters */

/* vCPU @cpu's softirq time from /proc/stat, in ms: 10 ms ticks. */
static double stat_softirq_ms(int cpu)
{
	unsigned long long v[7];
	char line[512], want[16];
	double ms = -1;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		die("/proc/stat: %s", strerror(errno));
	snprintf(want, sizeof(want), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)) &&
		    sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 7)
			ms = v[6] * 1e3 / sysconf(_SC_CLK_TCK);
	fclose(f);
	if (ms < 0)
		die("no cpu%d line in /proc/stat", cpu);
	return ms;
}

/*
 * The same counter in ns, read by BPF: a run's softirq time is tens of ms,
 * which the ticks of /proc/stat would round off.
 */
static double softirq_ms(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.read_softirq), &o))
		die("reading the softirq time: %s", strerror(errno));
	return skel->bss->softirq_ns / 1e6;
}

/* The value of column @name of the two "@prefix" lines of a /proc file. */
static unsigned long long proc_column(const char *path, const char *prefix,
				      const char *name)
{
	char hdr[2048], val[2048], *h, *v, *hs, *vs;
	unsigned long long r = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(hdr, sizeof(hdr), f)) {
		if (strncmp(hdr, prefix, strlen(prefix)) ||
		    !fgets(val, sizeof(val), f))
			continue;
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while ((h = strtok_r(NULL, " \n", &hs)) &&
		       (v = strtok_r(NULL, " \n", &vs)))
			if (!strcmp(h, name))
				r = strtoull(v, NULL, 10);
		break;
	}
	fclose(f);
	return r;
}

/* brb's per-queue counters, through SIOCETHTOOL from its netns. */
static struct {
	int fd;
	unsigned int n;
	int written[NQUEUES], split[NQUEUES], nosplit[NQUEUES], missed[NQUEUES];
} eth;

struct devstats {
	unsigned long long written[NQUEUES], frames[NQUEUES], missed[NQUEUES];
};

static int eth_ioctl(void *cmd)
{
	struct ifreq ifr = {};

	strcpy(ifr.ifr_name, RX_DEV);
	ifr.ifr_data = cmd;
	return ioctl(eth.fd, SIOCETHTOOL, &ifr);
}

/* If @name is queue @q's counter "rx<q>_@stat", record its index @i. */
static void eth_match(const char *name, const char *stat, unsigned int q,
		      int *idx, int i)
{
	char want[ETH_GSTRING_LEN];

	snprintf(want, sizeof(want), "rx%u_%s", q, stat);
	if (!strcmp(name, want))
		*idx = i;
}

static void eth_index(const char *name, int i)
{
	unsigned int q;

	for (q = 0; q < NQUEUES; q++) {
		eth_match(name, "dev_written_bytes", q, &eth.written[q], i);
		eth_match(name, "hds_split", q, &eth.split[q], i);
		eth_match(name, "hds_nosplit", q, &eth.nosplit[q], i);
		eth_match(name, "missed", q, &eth.missed[q], i);
	}
}

static void eth_init(void)
{
	struct { struct ethtool_sset_info s; __u32 n; } ss = {
		.s = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS },
	};
	struct ethtool_gstrings *gs;
	unsigned int i;

	eth.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (eth.fd < 0 || eth_ioctl(&ss) || !ss.s.sset_mask)
		die("%s: stats count: %s", RX_DEV, strerror(errno));
	eth.n = ss.n;
	gs = calloc(1, sizeof(*gs) + eth.n * ETH_GSTRING_LEN);
	if (!gs)
		die("out of memory");
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_STATS;
	gs->len = eth.n;
	if (eth_ioctl(gs))
		die("%s: stats names: %s", RX_DEV, strerror(errno));
	memset(eth.written, -1, sizeof(eth.written));
	memset(eth.split, -1, sizeof(eth.split));
	memset(eth.nosplit, -1, sizeof(eth.nosplit));
	memset(eth.missed, -1, sizeof(eth.missed));
	for (i = 0; i < eth.n; i++)
		eth_index((char *)gs->data + i * ETH_GSTRING_LEN, i);
	free(gs);
	for (i = 0; i < NQUEUES; i++)
		if (eth.written[i] < 0 || eth.split[i] < 0 ||
		    eth.nosplit[i] < 0 || eth.missed[i] < 0)
			die("%s: no counters of queue %u", RX_DEV, i);
}

static void eth_read(struct devstats *d)
{
	struct ethtool_stats *st = calloc(1, sizeof(*st) + eth.n * 8);
	unsigned int q;

	if (!st)
		die("out of memory");
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = eth.n;
	if (eth_ioctl(st))
		die("%s: stats: %s", RX_DEV, strerror(errno));
	for (q = 0; q < NQUEUES; q++) {
		d->written[q] = st->data[eth.written[q]];
		d->frames[q] = st->data[eth.split[q]] + st->data[eth.nosplit[q]];
		d->missed[q] = st->data[eth.missed[q]];
	}
	free(st);
}

/* What the ring's fdinfo says about its zcrx queue. */
struct fdinfo {
	unsigned long long zc_bytes, copied_bytes;
	unsigned long long alloc_fails, lent, faults, posted;
	long reserve_out;
};

static void read_fdinfo(struct io_uring *ring, struct fdinfo *fi)
{
	char path[64], line[256];
	FILE *f;

	memset(fi, 0, sizeof(*fi));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring->ring_fd);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "ZcrxZeroCopy: %llu", &fi->zc_bytes);
		sscanf(line, "ZcrxCopied: %llu", &fi->copied_bytes);
		sscanf(line, "ZcrxPool: %llu alloc failures, %ld reserve pages out, %llu",
		       &fi->alloc_fails, &fi->reserve_out, &fi->lent);
		sscanf(line, "ZcrxRefill: policy %*s faults %llu", &fi->faults);
		sscanf(line, "ZcrxNotif: armed %*x posted %llu", &fi->posted);
	}
	fclose(f);
}

/* ---------------------------------------------------------------- wires */

/* The pid of the kernel thread called @comm. */
static pid_t kthread_pid(const char *comm)
{
	char path[300], name[64];
	struct dirent *de;
	pid_t pid = 0;
	DIR *d = opendir("/proc");

	while (d && !pid && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (f && fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = 0;
			if (!strcmp(name, comm))
				pid = atoi(de->d_name);
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	if (!pid)
		die("no kernel thread %s", comm);
	return pid;
}

/*
 * The pair, and where it runs: each device's copy engine on vCPU 1 with
 * the sender; brb's rx interrupts (and so its NAPI) on vCPU 0 with the
 * receiver; bra's, which carry the ACKs to the sender, on vCPU 1.  The
 * interrupt placement is the platform device's, set while the netdevs
 * are still in this netns.
 */
static void setup_wires(void)
{
	run("echo '" TX_DEV " " RX_DEV " 4' > /sys/bus/platform/drivers/zcnic/new_pair");
	run("echo 1 > /sys/class/net/" TX_DEV "/device/irq_affinity && "
	    "echo 0 > /sys/class/net/" RX_DEV "/device/irq_affinity");
	pin(kthread_pid("zcnic/" TX_DEV), TX_CPU);
	pin(kthread_pid("zcnic/" RX_DEV), TX_CPU);
	run("ip netns add brtx && ip netns add brrx && "
	    "ip link set " TX_DEV " netns brtx && ip link set " RX_DEV " netns brrx && "
	    "ip -n brtx link set lo up && ip -n brrx link set lo up && "
	    "ip -n brtx addr add 10.9.0.1/24 dev " TX_DEV " && "
	    "ip -n brrx addr add 10.9.0.2/24 dev " RX_DEV " && "
	    "ip -n brtx link set " TX_DEV " up && ip -n brrx link set " RX_DEV " up");
}

static void teardown_wires(void)
{
	if (system("echo " TX_DEV " > /sys/bus/platform/drivers/zcnic/del_pair; "
		   "ip netns del brtx; ip netns del brrx"))
		fprintf(stderr, "zc-bench-rx: teardown incomplete\n");
}

/*
 * Header split on, RSS over queues 0-2, and the ports on their queues:
 * recv and zc_copy on COPY_QUEUE, zc and the bursts on ZC_QUEUE.  (The
 * second call widens RSS from queue 0 to queues 0-2.)
 *
 * zc_copy is RECV_ZC with the area bound to ZC_QUEUE and the flow on
 * COPY_QUEUE, whose payload sits in that queue's own page_pool pages: not
 * the area's, so RECV_ZC copies every byte into area buffers.  Everything
 * else is as in zc (the ring, the area, header split, the same device),
 * so the difference between the two is the copy alone.  Turning header
 * split off instead is refused while a queue is bound, and would not copy
 * everything: without split, zcnic puts the first ~1.7 KB of each frame
 * in the head buffer and the rest still in the area.
 */
static void steer(void)
{
	unsigned short copy[] = { PORT_RECV, PORT_COPY };
	unsigned short zc[] = { PORT_ZC, PORT_BURST };
	int ret;

	ret = zc_rx_steer(RX_DEV, COPY_QUEUE, copy, 2, 0);
	if (!ret)
		ret = zc_rx_steer(RX_DEV, ZC_QUEUE, zc, 2, 0);
	if (ret)
		die("steering on %s: %s", RX_DEV, strerror(-ret));
}

/* brb's rx ring size: every queue restarts, none may be bound. */
static void set_rx_ring(int entries)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ethtool -G %s rx %d", RX_DEV, entries);
	run(cmd);
}

static int listeners[NPORTS];

static void listen_all(void)
{
	int i, one = 1;

	for (i = 0; i < NPORTS; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(PORT_RECV + i) };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (void *)&sin, sizeof(sin)) ||
		    listen(fd, 4))
			die("listen on %d: %s", PORT_RECV + i, strerror(errno));
		listeners[i] = fd;
	}
}

static int accept_on(int port)
{
	int fd = accept4(listeners[port - PORT_RECV], NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		die("accept on %d: %s", port, strerror(errno));
	return fd;
}

/* --------------------------------------------------------------- sender */

/* One connection's worth of sending, handed to the sender thread. */
struct job {
	int port;
	size_t msg;		/* bytes per send() */
	size_t bytes;		/* per burst, or the whole stream */
	int bursts;		/* 0: one stream */
	bool splice;		/* sendfile() from sfd, not send() */
	double interval;	/* seconds from one burst's start to the next */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job job;
	bool pending, busy;
	pid_t tid;
	int fd;		/* the job's socket, -1 between jobs */
} snd = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
	  .fd = -1 };

static int connect_to(int port)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(0x0a090002) };
	int fd, i;

	for (i = 0; i < 100; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (!connect(fd, (void *)&dst, sizeof(dst)))
			return fd;
		close(fd);
		usleep(50000);
	}
	die("connect to port %d: %s", port, strerror(errno));
}

/*
 * Write @bytes in messages of @msg: send() copies each one from sbuf;
 * sendfile() hands the memfd's pages to TCP by reference, as a server
 * sending from its page cache would.  Return: 0, or -errno when the
 * receiver reset the connection.
 */
static int send_all(int fd, size_t bytes, size_t msg, bool splice)
{
	while (bytes) {
		size_t n = bytes < msg ? bytes : msg;
		off_t off = 0;
		ssize_t w = splice ? sendfile(fd, sfd, &off, n) :
				     send(fd, sbuf, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == ECONNRESET || errno == EPIPE))
			return -errno;
		if (w < 0)
			die("send: %s", strerror(errno));
		bytes -= w;
	}
	return 0;
}

static void sleep_until(double t)
{
	double d = t - now();

	if (d > 0)
		usleep(d * 1e6);
}

/* A stream must arrive whole; bursts end early if the receiver gave up. */
static void run_job(const struct job *j)
{
	int fd = connect_to(j->port), i, err = 0;
	double t0 = now();

	pthread_mutex_lock(&snd.lock);
	snd.fd = fd;
	pthread_mutex_unlock(&snd.lock);
	if (!j->bursts)
		err = send_all(fd, j->bytes, j->msg, j->splice);
	for (i = 0; i < j->bursts && !err; i++) {
		sleep_until(t0 + i * j->interval);
		err = send_all(fd, j->bytes, j->msg, j->splice);
	}
	if (err && !j->bursts)
		die("send: %s", strerror(-err));
	pthread_mutex_lock(&snd.lock);
	snd.fd = -1;
	pthread_mutex_unlock(&snd.lock);
	close(fd);
}

static void *sender(void *arg)
{
	(void)arg;
	pin(0, TX_CPU);
	enter_netns("brtx");
	/* Its /proc/self/task/TID/net is brtx's: the retransmits. */
	__atomic_store_n(&snd.tid, gettid(), __ATOMIC_RELEASE);
	pthread_mutex_lock(&snd.lock);
	for (;;) {
		struct job j;

		while (!snd.pending)
			pthread_cond_wait(&snd.cond, &snd.lock);
		j = snd.job;
		snd.pending = false;
		pthread_mutex_unlock(&snd.lock);
		run_job(&j);
		pthread_mutex_lock(&snd.lock);
		snd.busy = false;
		pthread_cond_broadcast(&snd.cond);
	}
	return NULL;
}

static void job_start(const struct job *j)
{
	pthread_mutex_lock(&snd.lock);
	snd.job = *j;
	snd.pending = snd.busy = true;
	pthread_cond_broadcast(&snd.cond);
	pthread_mutex_unlock(&snd.lock);
}

/*
 * Stop the job's sends: after a stall nothing it sends can land, not even
 * what would carry the receiver's reset back, so it would retransmit for
 * many minutes.
 */
static void job_abort(void)
{
	pthread_mutex_lock(&snd.lock);
	if (snd.fd >= 0)
		shutdown(snd.fd, SHUT_RDWR);
	pthread_mutex_unlock(&snd.lock);
}

static void job_wait(void)
{
	pthread_mutex_lock(&snd.lock);
	while (snd.busy)
		pthread_cond_wait(&snd.cond, &snd.lock);
	pthread_mutex_unlock(&snd.lock);
}

/* TCP segments the sender retransmitted, from its netns. */
static unsigned long long sender_retrans(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/net/snmp", snd.tid);
	return proc_column(path, "Tcp:", "RetransSegs");
}

/* -------------------------------------------------------------- the ring */

struct rxring {
	struct io_uring ring;
	struct zc_rx *rx;
	unsigned long long enomem;	/* copy fallback without a buffer */
};

#define RECV_TAG	1

static void rxring_open(struct rxring *r, size_t area)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_CQE32 | IORING_SETUP_SUBMIT_ALL |
			 IORING_SETUP_CQSIZE,
		.cq_entries = 8192,
	};
	struct zc_rx_params zp = {
		.ifindex = if_nametoindex(RX_DEV),
		.rxq = ZC_QUEUE,
		.area_size = area,
	};
	int ret = io_uring_queue_init_params(64, &r->ring, &p), err = 0;

	if (ret)
		die("io_uring_queue_init: %s", strerror(-ret));
	r->rx = zc_rx_new(&r->ring, &zp, &err);
	if (!r->rx)
		die("zc_rx_new(%s queue %d): %s", RX_DEV, ZC_QUEUE, strerror(-err));
	r->enomem = 0;
}

/* Closing the ring unbinds the queue at once: the next one may bind. */
static void rxring_close(struct rxring *r)
{
	io_uring_queue_exit(&r->ring);
	zc_rx_free(r->rx);
}

static void arm_recv(struct rxring *r, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe)
		die("no SQE");
	zc_rx_prep_recv(r->rx, sqe, fd, 0);
	io_uring_sqe_set_data64(sqe, RECV_TAG);
}

/*
 * RECV_ZC ended with @res: 0 is the end of the stream.  A full CQ loses
 * nothing; the copy fallback without a free buffer neither, once the
 * returns waiting in the backlog are in (@out_of_buffers lets the caller
 * give back what it holds first).  Return: true at the end.
 */
static bool recv_ended(struct rxring *r, int fd, int res,
		       void (*out_of_buffers)(void *), void *arg)
{
	if (!res)
		return true;
	if (res != -ENOSPC && res != -ENOMEM)
		die("RECV_ZC: %s", strerror(-res));
	if (res == -ENOMEM) {
		r->enomem++;
		if (out_of_buffers)
			out_of_buffers(arg);
		zc_rx_flush(r->rx);
	}
	arm_recv(r, fd);
	return false;
}

/* ------------------------------------------------------- stream phase */

struct snap {
	double thread_ms, softirq_ms, stat_softirq_ms;
	unsigned long long cpu_copied;
	struct fdinfo fi;
	struct devstats dev;
	unsigned long long retrans, acks;
};

struct result {
	double secs, thread_ms, softirq_ms, stat_softirq_ms;
	unsigned long long bytes, cpu_copied, zcrx_copied, zc_bytes, retrans;
	unsigned long long drops;	/* frames the device found no buffer for */
	unsigned long long acks;	/* segments the receiver sent */
	/* what the device wrote: all queues, and the bound queue */
	unsigned long long written, frames, zq_written, zq_frames;
};

static unsigned long long cpu_copied(void)
{
	struct { __u64 bytes, calls; } st;
	unsigned long long sum = 0;
	__u32 site;

	for (site = 0; site < 2; site++) {
		if (zc_percpu_sum(bpf_map__fd(skel->maps.copies), site, &st,
				  sizeof(st)))
			die("reading the copy counters: %s", strerror(errno));
		sum += st.bytes;
	}
	return sum;
}

static void snap_cpu(struct snap *s)
{
	s->thread_ms = thread_ms();
	s->softirq_ms = softirq_ms();
	s->stat_softirq_ms = stat_softirq_ms(RX_CPU);
}

/*
 * The counters around a run.  Reading them costs this thread CPU time:
 * the CPU times are read last before the run and first after it.
 */
static void snapshot(struct snap *s, struct rxring *r, bool after)
{
	if (after)
		snap_cpu(s);
	s->cpu_copied = cpu_copied();
	if (r)
		read_fdinfo(&r->ring, &s->fi);
	else
		memset(&s->fi, 0, sizeof(s->fi));
	eth_read(&s->dev);
	s->retrans = sender_retrans();
	/* The receiver's netns: what it sends is ACKs and window updates. */
	s->acks = proc_column("/proc/thread-self/net/snmp", "Tcp:", "OutSegs");
	if (!after)
		snap_cpu(s);
}

static void result_of(const struct snap *a, const struct snap *b,
		      struct result *res)
{
	unsigned int q;

	res->thread_ms = b->thread_ms - a->thread_ms;
	res->softirq_ms = b->softirq_ms - a->softirq_ms;
	res->stat_softirq_ms = b->stat_softirq_ms - a->stat_softirq_ms;
	res->cpu_copied = b->cpu_copied - a->cpu_copied;
	res->zcrx_copied = b->fi.copied_bytes - a->fi.copied_bytes;
	res->zc_bytes = b->fi.zc_bytes - a->fi.zc_bytes;
	res->retrans = b->retrans - a->retrans;
	res->acks = b->acks - a->acks;
	for (q = 0; q < NQUEUES; q++) {
		res->written += b->dev.written[q] - a->dev.written[q];
		res->frames += b->dev.frames[q] - a->dev.frames[q];
		res->drops += b->dev.missed[q] - a->dev.missed[q];
	}
	res->zq_written = b->dev.written[ZC_QUEUE] - a->dev.written[ZC_QUEUE];
	res->zq_frames = b->dev.frames[ZC_QUEUE] - a->dev.frames[ZC_QUEUE];
}

/* Payload the device wrote, per byte received: less headers, one SYN. */
static double dev_per_byte(const struct result *res)
{
	double payload = (double)res->written - HDR_BYTES * res->frames -
			 SYN_EXTRA;

	return res->bytes ? payload / res->bytes : 0;
}

/*
 * What the device wrote into the area, in zc mode: on the bound queue
 * every frame is split, its headers into a head buffer (kernel memory),
 * the rest into data buffers, which are the area's.  So: what it wrote
 * there, less the headers of its frames, one of them the run's SYN.
 */
static long long area_written(const struct result *res)
{
	return (long long)res->zq_written - HDR_BYTES * res->zq_frames -
	       SYN_EXTRA;
}

static unsigned long long recv_plain(int fd, size_t msg)
{
	unsigned long long bytes = 0;
	ssize_t n;

	while ((n = recv(fd, rbuf, msg, 0)) > 0)
		bytes += n;
	if (n < 0)
		die("recv: %s", strerror(errno));
	return bytes;
}

/* RECV_ZC until the end of the stream, every buffer given back at once. */
static unsigned long long recv_zc(struct rxring *r, int fd)
{
	unsigned long long bytes = 0;
	bool done = false;

	arm_recv(r, fd);
	while (!done) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int ret = io_uring_submit_and_wait(&r->ring, 1);

		if (ret < 0 && ret != -EINTR)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		io_uring_for_each_cqe(&r->ring, head, cqe) {
			seen++;
			if (cqe->user_data != RECV_TAG)
				continue;
			if (!zc_rx_cqe_is_data(cqe)) {
				done = recv_ended(r, fd, cqe->res, NULL, NULL);
				continue;
			}
			bytes += cqe->res;
			if (zc_rx_return(r->rx, cqe) < 0)
				die("more buffers held than the area has");
		}
		io_uring_cq_advance(&r->ring, seen);
	}
	return bytes;
}

static struct result stream_run(int mode, size_t msg, size_t volume,
				struct rxring *r)
{
	struct job j = { .port = modes[mode].port, .msg = msg, .bytes = volume,
			 .splice = opt.splice };
	struct rxring *ring = mode == M_RECV ? NULL : r;
	struct result res = {};
	struct snap a, b;
	double t0;
	int fd;

	snapshot(&a, ring, false);
	job_start(&j);
	fd = accept_on(j.port);
	t0 = now();
	res.bytes = ring ? recv_zc(ring, fd) : recv_plain(fd, msg);
	res.secs = now() - t0;
	close(fd);
	job_wait();
	snapshot(&b, ring, true);
	result_of(&a, &b, &res);
	return res;
}

static void check_failed(const char *what, size_t msg, int mode, int rep,
			 const char *fmt, ...)
{
	va_list ap;

	failed_checks++;
	printf("!!! CROSS-CHECK FAILED: %s, size %zu, %s, r%d: ", what, msg,
	       modes[mode].name, rep);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" !!!\n");
}

/* Return true if every cross-check holds. */
static bool stream_check(const struct result *res, size_t msg, int mode,
			 int rep)
{
	double dpb = dev_per_byte(res);
	long long area = area_written(res);
	int before = failed_checks;

	if (res->bytes != opt.volume)
		check_failed("bytes received", msg, mode, rep, "%llu, sent %zu",
			     res->bytes, opt.volume);
	/* The same counter, in ticks of 10 ms, rounded down at each end. */
	if (fabs(res->softirq_ms - res->stat_softirq_ms) > 11)
		check_failed("softirq time: BPF vs /proc/stat", msg, mode, rep,
			     "%.1f vs %.0f ms", res->softirq_ms,
			     res->stat_softirq_ms);
	if (fabs(dpb - 1) > 0.05)
		check_failed("device bytes per byte received", msg, mode, rep,
			     "%.4f, not within 5%% of 1", dpb);
	/* Without retransmissions the area got each byte once; with them,
	 * also the duplicates TCP dropped.
	 */
	if (mode == M_ZC && (res->retrans ? area < (long long)res->zc_bytes ||
			     area > res->zc_bytes * 1.05 :
			     area != (long long)res->zc_bytes))
		check_failed("zero-copy bytes vs bytes the device wrote into the area",
			     msg, mode, rep, "%llu zero-copy, %lld into the area, %llu retransmits",
			     res->zc_bytes, area, res->retrans);
	if (mode == M_ZC_COPY && (res->zc_bytes || res->zcrx_copied != res->bytes))
		check_failed("the copy fallback took every byte", msg, mode, rep,
			     "%llu copied, %llu zero-copy, of %llu",
			     res->zcrx_copied, res->zc_bytes, res->bytes);
	return failed_checks == before;
}

static void stream_print(FILE *out, const struct result *res, size_t msg,
			 int mode, int rep, bool ok)
{
	double gbps = res->bytes * 8 / res->secs / 1e9;
	double cpu = res->thread_ms + res->softirq_ms;
	double cpu_gb = cpu / (res->bytes / GB);
	double copied = res->cpu_copied + res->zcrx_copied;
	double cpb = copied / res->bytes;

	printf("%8zu %-8s r%d %7.3f gbps %8.1f cpu_ms/GB (thread %.0f + softirq %.1f ms) "
	       "copied/B %.4f dev/B %.4f zc %llu drops %llu retrans %llu "
	       "acks/frame %.3f%s\n",
	       msg, modes[mode].name, rep, gbps, cpu_gb, res->thread_ms,
	       res->softirq_ms, cpb, dev_per_byte(res), res->zc_bytes,
	       res->drops, res->retrans,
	       res->frames ? (double)res->acks / res->frames : 0.0,
	       ok ? "" : "  CHECK FAILED");
	fflush(stdout);
	if (out)
		fprintf(out, "%zu,%s,%d,%llu,%.6f,%.4f,%.2f,%.2f,%.0f,%.2f,%llu,%llu,%.6f,%llu,%llu,%llu,%.6f,%lld,%llu,%llu,%s\n",
			msg, modes[mode].name, rep, res->bytes, res->secs, gbps,
			res->thread_ms, res->softirq_ms, res->stat_softirq_ms,
			cpu_gb,
			res->cpu_copied, res->zcrx_copied, cpb, res->zc_bytes,
			res->written, res->frames, dev_per_byte(res),
			mode == M_ZC ? area_written(res) : 0, res->drops,
			res->retrans, ok ? "ok" : "FAIL");
	/* A run that hangs later must not take these rows with it. */
	if (out)
		fflush(out);
}

static FILE *open_csv(const char *path, const char *header)
{
	FILE *f;

	if (!path)
		return NULL;
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "%s\n", header);
	return f;
}

static void stream_phase(void)
{
	FILE *out = open_csv(opt.out, "size,mode,repeat,bytes,secs,gbps,thread_ms,"
			     "softirq_ms,stat_softirq_ms,cpu_ms_per_gb,cpu_copied,"
			     "zcrx_copied,copied_per_byte,zc_bytes,dev_written,"
			     "dev_frames,dev_per_byte,area_written,drops,retrans,"
			     "check");
	struct rxring r;
	int rep, s, i;

	set_rx_ring(opt.rx_ring);
	/* One ring for the whole phase; recv does not use it. */
	rxring_open(&r, opt.stream_area);
	/* Warm up every path (page tables, caches, slow start's metrics). */
	for (i = 0; i < NMODES; i++)
		if (opt.want[i])
			stream_run(i, 64 << 10, 16 << 20, &r);
	for (rep = 0; rep < opt.repeats; rep++) {
		for (s = 0; s < opt.nsizes; s++) {
			/* Interleave: the order rotates from repeat to repeat. */
			for (i = 0; i < NMODES; i++) {
				int m = (i + rep) % NMODES;
				struct result res;
				bool ok;

				if (!opt.want[m])
					continue;
				res = stream_run(m, opt.sizes[s], opt.volume, &r);
				ok = stream_check(&res, opt.sizes[s], m, rep);
				stream_print(out, &res, opt.sizes[s], m, rep, ok);
			}
		}
	}
	rxring_close(&r);
	if (out)
		fclose(out);
}

/* -------------------------------------------------------- burst phase */

/* A received chunk the application holds: its CQE, and since when. */
struct held {
	unsigned char cqe[32];
	double since;
};

struct holder {
	struct rxring *r;
	struct held *q;
	unsigned int cap, head, n, max;
};

static void hold(struct holder *h, const struct io_uring_cqe *cqe)
{
	struct held *e;

	if (h->n == h->cap)
		die("holding more chunks than the area has buffers");
	e = &h->q[(h->head + h->n++) % h->cap];
	memcpy(e->cqe, cqe, sizeof(e->cqe));
	e->since = now();
	if (h->n > h->max)
		h->max = h->n;
}

static void give_back(struct holder *h)
{
	struct held *e = &h->q[h->head];

	if (zc_rx_return(h->r->rx, (const struct io_uring_cqe *)e->cqe) < 0)
		die("the refill backlog is full");
	h->head = (h->head + 1) % h->cap;
	h->n--;
}

/* The fill queue runs dry: give back everything, as an application would. */
static void give_back_all(void *arg)
{
	struct holder *h = arg;

	while (h->n)
		give_back(h);
}

static void give_back_expired(struct holder *h, double hold_s)
{
	double t = now();

	while (h->n && t - h->q[h->head].since >= hold_s)
		give_back(h);
}

/*
 * What the burst application gives its held buffers back early for:
 * "low", only FILL_LOW (the fill queue runs low, before the NIC drops),
 * or "any" notification, NO_BUFFERS too (the NIC already dropped).
 */
enum { REACT_LOW, REACT_ANY };

struct burst_result {
	int react;
	double secs;
	unsigned long long bytes, drops, notifs[2], retrans;
	unsigned int app_max_held;
	struct zc_refill_stats st;
	struct fdinfo fi;
	unsigned long long enomem;
	bool stalled;
};

/* No data for this long, the stream not ended: the flow is stuck. */
#define STALL_S		10

static void on_notif(struct burst_result *br, struct holder *h,
		     const struct io_uring_cqe *cqe)
{
	int ret;

	if (cqe->res == IORING_ZCRX_NOTIF_FILL_LOW)
		br->notifs[0]++;
	else if (cqe->res == IORING_ZCRX_NOTIF_NO_BUFFERS)
		br->notifs[1]++;
	else
		die("unexpected notification %#x", cqe->res);
	if (cqe->res == IORING_ZCRX_NOTIF_FILL_LOW || br->react == REACT_ANY)
		give_back_all(h);
	/* One-shot: arm it again for the next time. */
	ret = zc_rx_arm(h->r->rx, cqe->res);
	if (ret)
		die("zc_rx_arm: %s", strerror(-ret));
}

/* Wait for CQEs, but not past the oldest held chunk's return time. */
static void burst_wait(struct holder *h, double hold_s)
{
	double wait = h->n ? h->q[h->head].since + hold_s - now() : 0.1;
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int ret;

	if (wait < 0)
		wait = 0;
	ts.tv_sec = (long)wait;
	ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
	ret = io_uring_submit_and_wait_timeout(&h->r->ring, &cqe, 1, &ts, NULL);
	if (ret < 0 && ret != -ETIME && ret != -EINTR)
		die("io_uring_submit_and_wait_timeout: %s", strerror(-ret));
}

static void burst_receive(struct holder *h, int fd, struct burst_result *br)
{
	double hold_s = opt.hold_ms / 1e3, last = now();
	bool done = false;

	arm_recv(h->r, fd);
	while (!done) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		burst_wait(h, hold_s);
		io_uring_for_each_cqe(&h->r->ring, head, cqe) {
			seen++;
			if (zc_rx_cqe_is_notif(cqe)) {
				on_notif(br, h, cqe);
			} else if (!zc_rx_cqe_is_data(cqe)) {
				done = recv_ended(h->r, fd, cqe->res,
						  give_back_all, h);
			} else {
				br->bytes += cqe->res;
				hold(h, cqe);
				last = now();
			}
		}
		io_uring_cq_advance(&h->r->ring, seen);
		give_back_expired(h, hold_s);
		if (!done && now() - last > STALL_S) {
			br->stalled = true;
			break;
		}
	}
	give_back_all(h);
}

/* Say loudly where a stuck flow stands: the ring's fdinfo, the socket. */
static void stall_report(const char *policy, int rep, int fd,
			 struct rxring *r, const struct burst_result *br)
{
	char path[64], line[256];
	int inq = -1;
	FILE *f;

	failed_checks++;
	ioctl(fd, SIOCINQ, &inq);
	printf("!!! STALL: %s r%d: no data for %d s, %llu of %llu bytes received, "
	       "%d unread in the socket, RECV_ZC ended with ENOMEM %llu times; "
	       "the ring's fdinfo:\n", policy, rep, STALL_S, br->bytes,
	       (unsigned long long)opt.burst_bytes * opt.bursts, inq,
	       r->enomem);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", r->ring.ring_fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Zcrx", 4))
			printf("!!!   %s", line);
	if (f)
		fclose(f);
	fflush(stdout);
}

static unsigned long long missed(void)
{
	struct devstats d;
	unsigned long long sum = 0;
	unsigned int q;

	eth_read(&d);
	for (q = 0; q < NQUEUES; q++)
		sum += d.missed[q];
	return sum;
}

static void stats_reset(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	void *zero = calloc(ncpu, sizeof(struct zc_refill_stats));
	__u32 key = 0;

	if (!zero || bpf_map_update_elem(fd, &key, zero, 0))
		die("resetting the policy's stats: %s", strerror(errno));
	free(zero);
}

static struct burst_result burst_run(const char *policy, int react, int rep,
				     int stats_fd)
{
	/* send(): a fixed arrival pattern for the policies, not a ceiling. */
	struct job j = { .port = PORT_BURST, .msg = 64 << 10,
			 .bytes = opt.burst_bytes, .bursts = opt.bursts,
			 .interval = 1 / opt.rate };
	struct burst_result br = { .react = react };
	struct rxring r;
	struct holder h = { .r = &r };
	unsigned long long m0, rt0;
	double t0;
	int fd, ret;

	rxring_open(&r, opt.area);
	h.cap = 4 * zc_rx_area_pages(r.rx) + 64;
	h.q = calloc(h.cap, sizeof(*h.q));
	if (!h.q)
		die("out of memory");
	ret = zc_rx_set_refill_policy(r.rx, policy);
	if (!ret)
		ret = zc_rx_arm(r.rx, IORING_ZCRX_NOTIF_FILL_LOW |
				IORING_ZCRX_NOTIF_NO_BUFFERS);
	if (ret)
		die("refill policy %s: %s", policy, strerror(-ret));
	stats_reset(stats_fd);
	m0 = missed();
	rt0 = sender_retrans();

	job_start(&j);
	fd = accept_on(PORT_BURST);
	t0 = now();
	burst_receive(&h, fd, &br);
	br.secs = now() - t0;
	if (br.stalled)
		stall_report(policy, rep, fd, &r, &br);
	close(fd);
	if (br.stalled)
		job_abort();
	job_wait();

	br.drops = missed() - m0;
	br.retrans = sender_retrans() - rt0;
	br.app_max_held = h.max;
	br.enomem = r.enomem;
	read_fdinfo(&r.ring, &br.fi);
	if (zc_refill_read_stats(stats_fd, &br.st))
		die("reading the policy's stats: %s", strerror(errno));
	rxring_close(&r);
	free(h.q);
	return br;
}

static void burst_print(FILE *out, const char *policy, int rep,
			const struct burst_result *br)
{
	long long min_free = (long long)br->st.min_free - 1;
	double gbps = br->bytes * 8 / br->secs / 1e9;

	printf("%-9s %-3s r%d %6.3f gbps drops %4llu notifs %llu fill_low %llu no_buffers "
	       "max_held %llu min_free %lld lent %llu copied %llu retrans %llu "
	       "faults %llu enomem %llu%s\n",
	       policy, react_names[br->react], rep, gbps, br->drops,
	       br->notifs[0], br->notifs[1], br->st.max_held, min_free, br->fi.lent, br->fi.copied_bytes,
	       br->retrans, br->fi.faults, br->enomem,
	       br->stalled ? "  STALLED" : "");
	fflush(stdout);
	if (out)
		fprintf(out, "%s,%s,%d,%llu,%.6f,%.4f,%llu,%llu,%llu,%llu,%llu,%lld,%u,%llu,%llu,%llu,%llu,%llu,%llu,%d\n",
			policy, react_names[br->react], rep, br->bytes, br->secs, gbps, br->drops,
			br->notifs[0], br->notifs[1], br->fi.posted,
			br->st.max_held, min_free, br->app_max_held,
			br->fi.lent, br->fi.copied_bytes, br->retrans,
			br->fi.faults, br->enomem, br->fi.alloc_fails,
			br->stalled);
	if (out)
		fflush(out);
}

static struct bpf_object *policy_objs[NPOLICIES];

/* Register a refill policy: build/bpf/NAME.bpf.o's struct_ops NAME. */
static void load_policy(int i)
{
	char path[512];
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *m;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", opt.bpf_dir, policies[i]);
	obj = bpf_object__open_file(path, NULL);
	if (!obj || bpf_object__load(obj))
		die("%s: %s", path, strerror(errno));
	m = bpf_object__find_map_by_name(obj, policies[i]);
	if (!m || zc_policy_attach(m, NULL, &link))
		die("registering %s: %s", policies[i], strerror(errno));
	policy_objs[i] = obj;
}

/* watermark and reserve: FILL_LOW below low, refill ahead below high. */
static void set_marks(int i)
{
	struct bpf_map *m = bpf_object__find_map_by_name(policy_objs[i], "knobs");
	struct zc_refill_knobs_v { __u32 high, low; } k = { opt.high, opt.low };
	__u32 zero = 0;

	if (m && bpf_map__update_elem(m, &zero, sizeof(zero), &k, sizeof(k), 0))
		die("%s knobs: %s", policies[i], strerror(errno));
}

static int stats_fd_of(int i)
{
	struct bpf_map *m = bpf_object__find_map_by_name(policy_objs[i], "stats");

	if (!m)
		die("%s has no stats map", policies[i]);
	return bpf_map__fd(m);
}

static void burst_phase(void)
{
	FILE *out = open_csv(opt.burst_out, "policy,react,repeat,bytes,secs,gbps,drops,"
			     "notif_fill_low,notif_no_buffers,notif_posted,"
			     "max_held,min_free,app_max_held,reserve_lent,"
			     "copied_bytes,retrans,faults,enomem,alloc_fails,"
			     "stalled");
	int rep, i;

	for (i = 0; i < NPOLICIES; i++)
		if (opt.want_policy[i]) {
			load_policy(i);
			set_marks(i);
		}
	set_rx_ring(opt.burst_ring);
	printf("bursts: %zu bytes x %d at %.1f/s, area %zu bytes, held %.0f ms, "
	       "rx ring %d\n", opt.burst_bytes, opt.bursts, opt.rate, opt.area,
	       opt.hold_ms, opt.burst_ring);
	for (rep = 0; rep < opt.burst_repeats; rep++) {
		for (i = 0; i < NPOLICIES * NREACTS; i++) {
			int k = (i + rep) % (NPOLICIES * NREACTS);
			int p = k % NPOLICIES, react = k / NPOLICIES;
			struct burst_result br;

			if (!opt.want_policy[p] || !opt.want_react[react])
				continue;
			br = burst_run(policies[p], react, rep, stats_fd_of(p));
			burst_print(out, policies[p], rep, &br);
		}
	}
	if (out)
		fclose(out);
}

/* ------------------------------------------------------------------ main */

static size_t parse_size(const char *s)
{
	size_t v;

	if (zc_parse_size(s, &v))
		die("bad size '%s'", s);
	return v;
}

/* Which of @names (@n of them) the comma-separated @list names. */
static void parse_names(const char *list, const char *const *names, int n,
			bool *want)
{
	char have[256], one[32];
	int i;

	snprintf(have, sizeof(have), ",%s,", list);
	for (i = 0; i < n; i++) {
		snprintf(one, sizeof(one), ",%s,", names[i]);
		want[i] = strstr(have, one);
	}
}

static void parse_sizes(char *s)
{
	char *tok;

	opt.nsizes = 0;
	while ((tok = strsep(&s, ",")) && opt.nsizes < 16) {
		opt.sizes[opt.nsizes] = parse_size(tok);
		if (opt.sizes[opt.nsizes++] > MAX_MSG)
			die("message size %s over %u", tok, MAX_MSG);
	}
}

static void usage(FILE *f, int code)
{
	fprintf(f,
		"usage: zc-bench-rx [-o SAMPLES.csv] [-O BURST.csv] [-b BPF_DIR] [-T stream,burst]\n"
		"  stream: [-r REPEATS] [-n BYTES] [-s SIZES] [-m recv,zc_copy,zc] [-A AREA]\n"
		"          [-g RING] [-S sendfile|send]\n"
		"  burst:  [-R REPEATS] [-G RING] [-a AREA] [-z BURST] [-f RATE] [-c BURSTS]\n"
		"          [-H HOLD_MS] [-k LOW[,HIGH]] [-P lazy,watermark,reserve]\n"
		"          [-W low,any]\n");
	exit(code);
}

static void parse(int argc, char **argv)
{
	const char *mode_names[NMODES], *phases[] = { "stream", "burst" };
	bool ph[2];
	int c, i;

	for (i = 0; i < NMODES; i++)
		mode_names[i] = modes[i].name;
	while ((c = getopt(argc, argv, "o:O:b:T:r:n:s:m:A:g:S:R:G:a:z:f:c:H:k:P:W:h")) != -1) {
		switch (c) {
		case 'o': opt.out = optarg; break;
		case 'O': opt.burst_out = optarg; break;
		case 'b': opt.bpf_dir = optarg; break;
		case 'T':
			parse_names(optarg, phases, 2, ph);
			opt.stream = ph[0];
			opt.burst = ph[1];
			break;
		case 'r': opt.repeats = atoi(optarg); break;
		case 'n': opt.volume = parse_size(optarg); break;
		case 's': parse_sizes(optarg); break;
		case 'm': parse_names(optarg, mode_names, NMODES, opt.want); break;
		case 'A': opt.stream_area = parse_size(optarg); break;
		case 'g': opt.rx_ring = atoi(optarg); break;
		case 'S':
			if (strcmp(optarg, "sendfile") && strcmp(optarg, "send"))
				usage(stderr, 2);
			opt.splice = !strcmp(optarg, "sendfile");
			break;
		case 'R': opt.burst_repeats = atoi(optarg); break;
		case 'G': opt.burst_ring = atoi(optarg); break;
		case 'a': opt.area = parse_size(optarg); break;
		case 'z': opt.burst_bytes = parse_size(optarg); break;
		case 'f': opt.rate = atof(optarg); break;
		case 'c': opt.bursts = atoi(optarg); break;
		case 'H': opt.hold_ms = atof(optarg); break;
		case 'k':
			if (sscanf(optarg, "%u,%u", &opt.low, &opt.high) < 1)
				usage(stderr, 2);
			break;
		case 'P':
			parse_names(optarg, policies, NPOLICIES, opt.want_policy);
			break;
		case 'W':
			parse_names(optarg, react_names, NREACTS, opt.want_react);
			break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2); break;
		}
	}
	if (optind != argc || opt.repeats < 1 || opt.burst_repeats < 1 ||
	    opt.rate <= 0 || opt.bursts < 1 || opt.hold_ms < 0 || !opt.nsizes)
		usage(stderr, 2);
}

static void load_copy_counter(void)
{
	skel = zc_bench_rx__open();
	if (!skel)
		die("opening the copy counter: %s", strerror(errno));
	skel->rodata->port_lo = PORT_RECV;
	skel->rodata->port_hi = PORT_RECV + NPORTS - 1;
	skel->rodata->rx_cpu = RX_CPU;
	if (zc_bench_rx__load(skel) || zc_bench_rx__attach(skel))
		die("loading the copy counter: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	pthread_t tx;

	parse(argc, argv);
	memset(sbuf, 0x5a, sizeof(sbuf));
	/* sendfile() has no MSG_NOSIGNAL: an aborted job must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sfd = memfd_create("zc-bench-rx", 0);
	if (sfd < 0 || write(sfd, sbuf, sizeof(sbuf)) != sizeof(sbuf))
		die("memfd: %s", strerror(errno));
	setup_wires();
	/* This thread is the receiver: vCPU 0, in brrx, from here on. */
	pin(0, RX_CPU);
	enter_netns("brrx");
	steer();
	eth_init();
	listen_all();
	load_copy_counter();
	if (pthread_create(&tx, NULL, sender, NULL))
		die("pthread_create");
	while (!__atomic_load_n(&snd.tid, __ATOMIC_ACQUIRE))
		usleep(1000);

	if (opt.stream)
		stream_phase();
	if (opt.burst)
		burst_phase();
	teardown_wires();
	if (failed_checks) {
		printf("!!! %d CROSS-CHECKS FAILED: see the lines marked above !!!\n",
		       failed_checks);
		return 1;
	}
	printf("all cross-checks passed\n");
	return 0;
}
