// SPDX-License-Identifier: GPL-2.0
/*
 * Refill policies of io_uring zero-copy receive queues
 * (IORING_REGISTER_ZCRX_REFILL, struct zc_refill_ops), on the zcrx tests'
 * zcnic pair (lib/zcrx_fixture.h).
 *
 * refill_register_*:  bad input gets a clear errno and changes nothing.
 * refill_by_name_*:   a policy is chosen by name, or by the default sysctl.
 * refill_replaced_*:  policies swapped, updated and unregistered while a
 *                     stream flows: every byte arrives, no buffer is lost
 *                     (the fixture checks the pools drained).
 * refill_misbehaving: garbage verdicts and a starving policy are faults,
 *                     counted, and the queue goes on as stock.
 * refill_notif_*:     notifications are one-shot until re-armed.
 * refill_reserve_*:   with the area exhausted, reserve lends kernel pages
 *                     and the NIC drops nothing; lazy drops.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>	/* before liburing.h: the zcrx ABI */
#include <liburing.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "zc.h"
#include "kselftest_harness.h"
#include "lib/zcrx_fixture.h"

#include "lazy.skel.h"
#include "watermark.skel.h"
#include "reserve.skel.h"
#include "zc_refill_bad.skel.h"

#define DEFAULT_SYSCTL	"/proc/sys/net/core/zc_refill_policy_default"

static int refill(struct zcrx *z, unsigned int flags, const char *name,
		  unsigned int mask, struct io_uring_zcrx_refill *out)
{
	struct io_uring_zcrx_refill r = {
		.flags = flags,
		.notif_mask = mask,
	};
	int ret;

	if (name)
		strncpy(r.name, name, sizeof(r.name) - 1);
	if (flags & IORING_ZCRX_REFILL_ARM)
		r.notif_user_data = ZC_RX_NOTIF_UDATA;
	ret = io_uring_register_zcrx_refill(&z->ring, &r);
	if (out)
		*out = r;
	return ret;
}

static int set_policy(struct zcrx *z, const char *name)
{
	return refill(z, IORING_ZCRX_REFILL_POLICY, name, 0, NULL);
}

static int arm(struct zcrx *z, unsigned int mask)
{
	return refill(z, IORING_ZCRX_REFILL_ARM, NULL, mask, NULL);
}

/* fdinfo "ZcrxRefill:\tpolicy NAME faults N": the name, N. */
static int fdinfo_policy(struct zcrx *z, char *name, long long *faults)
{
	return fdinfo_scanf(z, 2, "ZcrxRefill: policy %15s faults %lld", name,
			    faults);
}

static long long fdinfo_faults(struct zcrx *z)
{
	long long faults = -1;
	char name[16];

	fdinfo_policy(z, name, &faults);
	return faults;
}

/* fdinfo "ZcrxPool:\tF alloc failures, O reserve pages out, L lent" */
static int fdinfo_pool(struct zcrx *z, long long *fails, long long *out,
		       long long *lent)
{
	return fdinfo_scanf(z, 3,
			    "ZcrxPool: %lld alloc failures, %lld reserve pages out, %lld lent",
			    fails, out, lent);
}

/* The policy sysctls live in the initial netns; the test runs in B's. */
static int set_default(const char *name)
{
	return zc_sh("nsenter -t 1 -n sh -c 'echo \"%s\" > %s'", name,
		     DEFAULT_SYSCTL);
}

/* The three policies of bpf-progs/, attached as links. */
struct policies {
	struct lazy *lazy;
	struct watermark *wm;
	struct reserve *res;
	struct bpf_link *l_lazy, *l_wm, *l_res;
};

static int policies_load(struct policies *p)
{
	memset(p, 0, sizeof(*p));
	p->lazy = lazy__open_and_load();
	p->wm = watermark__open_and_load();
	p->res = reserve__open_and_load();
	if (!p->lazy || !p->wm || !p->res)
		return -ENOENT;
	return zc_policy_attach(p->lazy->maps.lazy, NULL, &p->l_lazy) ?:
	       zc_policy_attach(p->wm->maps.watermark, NULL, &p->l_wm) ?:
	       zc_policy_attach(p->res->maps.reserve, NULL, &p->l_res);
}

static void policies_unload(struct policies *p)
{
	if (p->l_lazy)
		zc_policy_detach(p->l_lazy);
	if (p->l_wm)
		zc_policy_detach(p->l_wm);
	if (p->l_res)
		zc_policy_detach(p->l_res);
	lazy__destroy(p->lazy);
	watermark__destroy(p->wm);
	reserve__destroy(p->res);
}

/* ---------------------------------------------------------- bad input */

TEST_F(zcrx, refill_register_bad_input)
{
	struct io_uring_zcrx_refill r = {}, out;
	struct policies p;
	struct io_uring ring;
	struct zcrx z;
	long long faults;
	char name[16];
	pid_t pid;
	int fd;

	ASSERT_EQ(0, policies_load(&p));
	/* No zcrx queue on the ring. */
	ASSERT_EQ(0, ring_init(&ring, ZCRX_RING_FLAGS));
	r.flags = IORING_ZCRX_REFILL_POLICY;
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_refill(&ring, &r));
	io_uring_queue_exit(&ring);

	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	EXPECT_EQ(-EINVAL, refill(&z, 1U << 3, NULL, 0, NULL));
	/* Fields the call does not use must be 0. */
	EXPECT_EQ(-EINVAL, refill(&z, 0, "lazy", 0, NULL));
	EXPECT_EQ(-EINVAL, refill(&z, IORING_ZCRX_REFILL_POLICY, "lazy", 1,
				  NULL));
	r = (struct io_uring_zcrx_refill){ .flags = IORING_ZCRX_REFILL_DISARM,
					   .notif_mask = 1,
					   .notif_user_data = 5 };
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_refill(&z.ring, &r));
	EXPECT_EQ(-EINVAL, refill(&z, IORING_ZCRX_REFILL_ARM |
				  IORING_ZCRX_REFILL_DISARM, NULL, 1, NULL));
	EXPECT_EQ(-EINVAL, refill(&z, IORING_ZCRX_REFILL_ARM, NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, refill(&z, IORING_ZCRX_REFILL_ARM, NULL, 1U << 3,
				  NULL));
	EXPECT_EQ(-ENOENT, set_policy(&z, "no_such"));
	EXPECT_EQ(-EINVAL, set_policy(&z, "bad name"));

	r = (struct io_uring_zcrx_refill){ .flags = IORING_ZCRX_REFILL_POLICY };
	memset(r.name, 'a', sizeof(r.name));
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_refill(&z.ring, &r));
	r = (struct io_uring_zcrx_refill){ .flags = IORING_ZCRX_REFILL_POLICY };
	r.__resv[3] = 1;
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_refill(&z.ring, &r));
	r.__resv[3] = 0;
	r.__resv1 = 1;
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_refill(&z.ring, &r));
	r.__resv1 = 0;
	r.zcrx_id = 1;
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_refill(&z.ring, &r));
	EXPECT_EQ(-EFAULT, syscall(__NR_io_uring_register, z.ring.ring_fd,
				   IORING_REGISTER_ZCRX_REFILL, (void *)8, 1) ?
			   -errno : 0);
	EXPECT_EQ(-EINVAL, syscall(__NR_io_uring_register, z.ring.ring_fd,
				   IORING_REGISTER_ZCRX_REFILL, &r, 2) ?
			   -errno : 0);
	/* Not an io_uring fd. */
	fd = open("/dev/null", O_RDONLY);
	EXPECT_EQ(-EOPNOTSUPP, syscall(__NR_io_uring_register, fd,
				       IORING_REGISTER_ZCRX_REFILL, &r, 1) ?
			       -errno : 0);
	close(fd);

	/*
	 * Another task, with the ring fd it inherited, may not steer: the
	 * core refuses it before the op (zcrx rings are single-issuer).
	 */
	pid = fork();
	if (!pid)
		_exit(set_policy(&z, "lazy") == -EEXIST ? 0 : 1);
	EXPECT_EQ(0, zc_wait_child(pid));

	/* Nothing above changed the queue: no flags only reports. */
	ASSERT_EQ(0, fdinfo_policy(&z, name, &faults));
	EXPECT_STREQ("-", name);
	memset(&out, 0xff, sizeof(out));
	EXPECT_EQ(0, refill(&z, 0, NULL, 0, &out));
	EXPECT_EQ(0, out.notif_mask);
	EXPECT_STREQ("", out.name);
	EXPECT_EQ(0, refill(&z, IORING_ZCRX_REFILL_ARM, NULL, 5, &out));
	EXPECT_EQ(5, out.notif_mask);
	EXPECT_EQ(0, refill(&z, IORING_ZCRX_REFILL_DISARM, NULL, 7, &out));
	EXPECT_EQ(0, out.notif_mask);
	ifq_free(&z);
	policies_unload(&p);
}

/* Load only @map of zc_refill_bad, and its one program @prog. */
static int load_bad_alone(struct bpf_map *(*pick)(struct zc_refill_bad *),
			  struct bpf_program *(*prog)(struct zc_refill_bad *))
{
	struct zc_refill_bad *bad = zc_refill_bad__open();
	struct bpf_program *p;
	struct bpf_map *map;
	int err;

	if (!bad)
		return -ENOENT;
	bpf_object__for_each_map(map, bad->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, map == pick(bad));
	bpf_object__for_each_program(p, bad->obj)
		bpf_program__set_autoload(p, p == prog(bad));
	err = zc_refill_bad__load(bad);
	zc_refill_bad__destroy(bad);
	return err;
}

static struct bpf_map *pick_sleepy(struct zc_refill_bad *b)
{
	return b->maps.sleepy;
}

static struct bpf_program *prog_sleepy(struct zc_refill_bad *b)
{
	return b->progs.sleepy_alloc;
}

static struct bpf_map *pick_writer(struct zc_refill_bad *b)
{
	return b->maps.writer;
}

static struct bpf_program *prog_writer(struct zc_refill_bad *b)
{
	return b->progs.writer_alloc;
}

/* Decisions run in NAPI: no sleeping; the context is read-only. */
TEST_F(zcrx, refill_sleepable_and_writer_refused)
{
	EXPECT_NE(0, load_bad_alone(pick_sleepy, prog_sleepy));
	EXPECT_NE(0, load_bad_alone(pick_writer, prog_writer));
}

/* ------------------------------------------------------------ by name */

TEST_F_TIMEOUT(zcrx, refill_by_name_and_default, 300)
{
	struct io_uring_zcrx_refill out;
	struct policies p;
	struct zcrx z, z2;
	long long faults;
	char name[16];

	ASSERT_EQ(0, policies_load(&p));
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	EXPECT_EQ(0, refill(&z, IORING_ZCRX_REFILL_POLICY, "lazy", 0, &out));
	EXPECT_STREQ("lazy", out.name);
	ASSERT_EQ(0, fdinfo_policy(&z, name, &faults));
	EXPECT_STREQ("lazy", name);
	EXPECT_EQ(0, faults);
	/* "" is the default: none is set, so stock. */
	EXPECT_EQ(0, refill(&z, IORING_ZCRX_REFILL_POLICY, "", 0, &out));
	EXPECT_STREQ("", out.name);
	ifq_free(&z);

	/* A queue starts with the default policy. */
	ASSERT_EQ(0, set_default("watermark"));
	ASSERT_EQ(0, ifq_setup(&z2, self->ifb, ZQ));
	ASSERT_EQ(0, fdinfo_policy(&z2, name, &faults));
	EXPECT_STREQ("watermark", name);
	ifq_free(&z2);
	EXPECT_EQ(0, set_default(""));
	policies_unload(&p);
}

/* ----------------------------------------------------- under traffic */

struct swapper {
	struct policies *p;
	unsigned long long cqes;
	int step;
	int err;
};

/*
 * Every 256 CQEs: choose the next policy, or update a link in place, or
 * unregister one that is in use, then register it again.
 */
static void swap_hook(void *arg, struct zcrx *z,
		      const struct io_uring_cqe *cqe)
{
	static const char * const names[] = {
		"lazy", "watermark", "reserve", "", "watermark",
	};
	struct swapper *s = arg;
	struct policies *p = s->p;
	int err = 0;

	if (++s->cqes % 256)
		return;
	switch (s->step++ % 8) {
	case 5:
		/* watermark is in use: its link gets reserve's program? No:
		 * names must match; update it with a fresh watermark.
		 */
		{
			struct watermark *w = watermark__open_and_load();

			err = w ? zc_policy_replace(p->l_wm, w->maps.watermark) :
				  -ENOENT;
			watermark__destroy(p->wm);
			p->wm = w;
		}
		break;
	case 6:
		err = zc_policy_detach(p->l_wm);
		p->l_wm = NULL;
		break;
	case 7:
		err = zc_policy_attach(p->wm->maps.watermark, NULL, &p->l_wm);
		break;
	default:
		err = set_policy(z, names[s->step % 5]);
		break;
	}
	if (err && !s->err)
		s->err = err;
}

TEST_F_TIMEOUT(zcrx, refill_replaced_under_traffic, 300)
{
	struct swapper s = {};
	struct rx_result r;
	struct policies p;
	struct zcrx z;

	ASSERT_EQ(0, policies_load(&p));
	s.p = &p;
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	ASSERT_EQ(0, set_policy(&z, "watermark"));
	ASSERT_EQ(0, arm(&z, IORING_ZCRX_NOTIF_FILL_LOW |
			 IORING_ZCRX_NOTIF_NO_BUFFERS));
	stream_hook(_metadata, self, &z, AF_INET, "10.9.0.2", self->p.nsa,
		    48 << 20, RET_ONCE, &r, swap_hook, &s);
	EXPECT_EQ(0, s.err);
	EXPECT_LE(8, s.step);
	EXPECT_EQ(0, fdinfo_faults(&z));
	/* reserve may have lent pages, whose data was copied. */
	EXPECT_EQ(48 << 20, fdinfo_num(&z, "ZcrxZeroCopy") +
			    fdinfo_num(&z, "ZcrxCopied"));
	TH_LOG("%d swaps, %lld bytes copied, %llu -ENOMEM re-arms", s.step,
	       fdinfo_num(&z, "ZcrxCopied"), r.enomem);
	/* Held: exactly the returns the pool has not taken back yet. */
	EXPECT_EQ(z.rq_tail - *z.khead, fdinfo_held(&z));
	ifq_free(&z);
	policies_unload(&p);
}

TEST_F_TIMEOUT(zcrx, refill_misbehaving_contained, 300)
{
	static const char * const names[] = { "t_garbage", "t_starve" };
	struct zc_refill_bad *bad;
	struct bpf_link *links[2];
	struct rx_result r;
	unsigned int i;

	bad = zc_refill_bad__open();
	ASSERT_NE(NULL, bad);
	bpf_map__set_autocreate(bad->maps.sleepy, false);
	bpf_program__set_autoload(bad->progs.sleepy_alloc, false);
	bpf_map__set_autocreate(bad->maps.writer, false);
	bpf_program__set_autoload(bad->progs.writer_alloc, false);
	ASSERT_EQ(0, zc_refill_bad__load(bad));
	ASSERT_EQ(0, zc_policy_attach(bad->maps.garbage, NULL, &links[0]));
	ASSERT_EQ(0, zc_policy_attach(bad->maps.starve, NULL, &links[1]));

	for (i = 0; i < 2; i++) {
		struct zcrx z;

		ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
		ASSERT_EQ(0, set_policy(&z, names[i]));
		ASSERT_EQ(0, arm(&z, IORING_ZCRX_NOTIF_FILL_LOW));
		self->rcvbuf = EXACT_RCVBUF;
		stream_on(_metadata, self, &z, 16 << 20, RET_ONCE, &r);
		/* Every byte came, zero-copy: the queue went on. */
		EXPECT_EQ(16 << 20, fdinfo_num(&z, "ZcrxZeroCopy"));
		/*
		 * Garbage is all faults; starve is legal until it would
		 * leave the pool empty, which the kernel then overrides.
		 */
		if (!i)
			EXPECT_LT(0, fdinfo_faults(&z));
		TH_LOG("%s: %lld faults", names[i], fdinfo_faults(&z));
		ifq_free(&z);
	}
	zc_policy_detach(links[0]);
	zc_policy_detach(links[1]);
	zc_refill_bad__destroy(bad);
}

/* ----------------------------------------------------- notifications */

struct notifs {
	unsigned long long n[3];
	unsigned long long bytes, rearm_below;
	int rearms, err;
};

/* Count notifications; re-arm while fewer than rearm_below bytes came. */
static void notif_hook(void *arg, struct zcrx *z,
		       const struct io_uring_cqe *cqe)
{
	struct notifs *s = arg;
	int i;

	if (cqe->user_data != ZC_RX_NOTIF_UDATA) {
		if (cqe->flags & IORING_CQE_F_MORE)
			s->bytes += cqe->res;
		return;
	}
	for (i = 0; i < 3; i++)
		if (cqe->res == 1 << i)
			s->n[i]++;
	if (s->bytes < s->rearm_below) {
		s->err = s->err ?: arm(z, cqe->res);
		s->rearms++;
	}
}

TEST_F_TIMEOUT(zcrx, refill_notif_one_shot_and_rearm, 300)
{
	struct zc_refill_knobs { __u32 high, low; } k = { 1, 1U << 30 };
	struct notifs s = { .rearm_below = 8 << 20 };
	struct io_uring_zcrx_refill out;
	struct rx_result r;
	struct policies p;
	struct zcrx z;
	__u32 zero = 0;

	ASSERT_EQ(0, policies_load(&p));
	/* The low mark above the area: every event is "fill low". */
	ASSERT_EQ(0, bpf_map_update_elem(bpf_map__fd(p.wm->maps.knobs), &zero,
					 &k, BPF_ANY));
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	ASSERT_EQ(0, set_policy(&z, "watermark"));

	/* Armed and disarmed: nothing comes. */
	ASSERT_EQ(0, arm(&z, IORING_ZCRX_NOTIF_FILL_LOW));
	ASSERT_EQ(0, refill(&z, IORING_ZCRX_REFILL_DISARM, NULL,
			    IORING_ZCRX_NOTIF_FILL_LOW, &out));
	EXPECT_EQ(0, out.notif_mask);
	s.rearm_below = 0;
	stream_hook(_metadata, self, &z, AF_INET, "10.9.0.2", self->p.nsa,
		    4 << 20, RET_ONCE, &r, notif_hook, &s);
	EXPECT_EQ(0, s.n[0]);

	/* One per arm, however many events: re-armed in the first half. */
	memset(&s, 0, sizeof(s));
	s.rearm_below = 8 << 20;
	ASSERT_EQ(0, refill(&z, IORING_ZCRX_REFILL_ARM, NULL,
			    IORING_ZCRX_NOTIF_FILL_LOW, &out));
	EXPECT_EQ(IORING_ZCRX_NOTIF_FILL_LOW, out.notif_mask);
	stream_hook(_metadata, self, &z, AF_INET, "10.9.0.2", self->p.nsa,
		    16 << 20, RET_ONCE, &r, notif_hook, &s);
	EXPECT_EQ(0, s.err);
	EXPECT_LT(1, s.rearms);
	/* The first arm, and each re-arm but none after the last. */
	EXPECT_EQ(s.rearms + 1, s.n[0]);
	EXPECT_EQ(0, s.n[1]);
	EXPECT_EQ(0, s.n[2]);
	TH_LOG("%llu FILL_LOW over 16 MiB, %d re-arms", s.n[0], s.rearms);
	ifq_free(&z);
	policies_unload(&p);
}

/* Over loopback every byte is copied: COPY comes once per arm. */
TEST_F_TIMEOUT(zcrx, refill_notif_copy_without_policy, 300)
{
	struct notifs s = { .rearm_below = 0 };
	struct rx_result r;
	struct zcrx z;

	ASSERT_EQ(0, zc_sh("ip link set lo up"));
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	ASSERT_EQ(0, arm(&z, IORING_ZCRX_NOTIF_COPY |
			 IORING_ZCRX_NOTIF_FILL_LOW));
	stream_hook(_metadata, self, &z, AF_INET, "127.0.0.1", NULL,
		    4 << 20, RET_ONCE, &r, notif_hook, &s);
	EXPECT_EQ(1, s.n[2]);
	/* Without a policy nothing posts FILL_LOW. */
	EXPECT_EQ(0, s.n[0]);
	ifq_free(&z);
}

/* libzc's receive loop handles notifications: counts, callback, re-arm. */
static void count_notif(void *arg, unsigned int notif)
{
	(*(unsigned long long *)arg)++;
}

TEST_F_TIMEOUT(zcrx, refill_libzc_recv_loop_notifications, 300)
{
	struct zc_refill_knobs { __u32 high, low; } k = { 0, 1U << 30 };
	struct zc_rx_params prm = {
		.ifindex = self->ifb, .rxq = ZQ, .area_size = 2 << 20,
	};
	unsigned long long calls = 0, counted = 0;
	struct loop_check c = {};
	struct io_uring ring;
	struct policies p;
	struct zc_rx *rx;
	int lfd, cfd, err;
	__u32 zero = 0;
	unsigned int i;
	pid_t pid;

	ASSERT_EQ(0, policies_load(&p));
	ASSERT_EQ(0, bpf_map_update_elem(bpf_map__fd(p.res->maps.knobs),
					 &zero, &k, BPF_ANY));
	ASSERT_EQ(0, ring_init(&ring, ZCRX_RING_FLAGS));
	rx = zc_rx_new(&ring, &prm, &err);
	ASSERT_NE(NULL, rx);
	ASSERT_EQ(0, zc_rx_set_refill_policy(rx, "reserve"));
	EXPECT_EQ(-ENOENT, zc_rx_set_refill_policy(rx, "no_such"));
	ASSERT_EQ(0, zc_rx_arm(rx, IORING_ZCRX_NOTIF_FILL_LOW |
			       IORING_ZCRX_NOTIF_NO_BUFFERS |
			       IORING_ZCRX_NOTIF_COPY));
	zc_rx_on_notif(rx, count_notif, &calls);
	cfd = accept_stream(self, AF_INET, self->p.nsa, "10.9.0.2", PORT,
			    32 << 20, &lfd, &pid);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(0, zc_rx_recv_loop(rx, cfd, loop_cb, &c));
	EXPECT_EQ(0, zc_wait_child(pid));
	EXPECT_EQ(32 << 20, c.bytes);
	EXPECT_EQ(0, c.bad);
	for (i = 0; i < 3; i++)
		counted += zc_rx_notif_count(rx, 1U << i);
	/* The low mark is above the area: FILL_LOW at least once. */
	EXPECT_LT(0, zc_rx_notif_count(rx, IORING_ZCRX_NOTIF_FILL_LOW));
	EXPECT_EQ(calls, counted);
	TH_LOG("%llu notifications, %llu bytes copied", counted, c.copied);
	close(cfd);
	close(lfd);
	io_uring_queue_exit(&ring);
	zc_rx_free(rx);
	policies_unload(&p);
}

/* ----------------------------------------------------------- reserve */

struct burst {
	unsigned long long held;
	__u64 *offs;
	__u32 *lens;
	unsigned int max;
	bool released;
	__u64 last_off;
	__u32 last_len;
};

/*
 * The application of a burst: it holds every buffer until max are held,
 * sleeps while the sender runs the area dry, then returns them all and
 * from then on returns each buffer as soon as it is read.  A CQE's buffer
 * is read (checked) once the drain loop shows the hook the next CQE.
 */
static void burst_hook(void *arg, struct zcrx *z,
		       const struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);
	struct burst *b = arg;
	unsigned int i;

	if (cqe->user_data != RECV_TAG || !(cqe->flags & IORING_CQE_F_MORE))
		return;
	if (b->last_len) {
		if (b->released) {
			ifq_return(z, b->last_off, b->last_len);
		} else {
			b->offs[b->held] = b->last_off;
			b->lens[b->held++] = b->last_len;
		}
	}
	b->last_off = rc->off;
	b->last_len = cqe->res;
	if (b->released || b->held < b->max)
		return;
	usleep(300 * 1000);
	for (i = 0; i < b->held; i++)
		ifq_return(z, b->offs[i], b->lens[i]);
	b->released = true;
}

static void burst_round(struct __test_metadata *_metadata,
			FIXTURE_DATA(zcrx) *self, const char *policy,
			long long *missed, long long *lent, long long *out)
{
	struct burst b = { .max = AREA_PAGES * 3 / 4 };
	struct rx_result r;
	struct policies p;
	long long fails, m0;
	struct zcrx z;

	b.offs = calloc(b.max, sizeof(*b.offs));
	b.lens = calloc(b.max, sizeof(*b.lens));
	ASSERT_EQ(0, policies_load(&p));
	ASSERT_EQ(0, ifq_setup(&z, self->ifb, ZQ));
	ASSERT_EQ(0, set_policy(&z, policy));
	m0 = nic_stat(self->p.nsb, self->p.b, ZQ, "missed");
	stream_hook(_metadata, self, &z, AF_INET, "10.9.0.2", self->p.nsa,
		    16 << 20, RET_HOOK, &r, burst_hook, &b);
	EXPECT_TRUE(b.released);
	*missed = nic_stat(self->p.nsb, self->p.b, ZQ, "missed") - m0;
	ASSERT_EQ(0, fdinfo_pool(&z, &fails, out, lent));
	EXPECT_EQ(0, fdinfo_faults(&z));
	TH_LOG("%s: %lld missed, %lld alloc failures, %lld pages lent, %lld out",
	       policy, *missed, fails, *lent, *out);
	ifq_free(&z);
	policies_unload(&p);
	free(b.offs);
	free(b.lens);
}

TEST_F_TIMEOUT(zcrx, refill_reserve_absorbs_exhaustion, 300)
{
	long long missed, lent, out;

	/* For the log: what the same burst does without the reserve. */
	burst_round(_metadata, self, "lazy", &missed, &lent, &out);
	EXPECT_EQ(0, lent);
	burst_round(_metadata, self, "reserve", &missed, &lent, &out);
	EXPECT_EQ(0, missed);
	EXPECT_LT(0, lent);
	/*
	 * Lent pages still out are posted to the NIC, unused; they go back
	 * with the pool, which the fixture checks drains to 0.
	 */
	EXPECT_GE(lent, out);
}

TEST_HARNESS_MAIN
