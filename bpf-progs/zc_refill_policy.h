/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every zero-copy receive refill policy in bpf-progs/ shares: its
 * statistics, in a per-CPU array map named "stats" that user space reads
 * with zc_refill_read_stats(3), its knobs, in a one-entry array map named
 * "knobs", and the stock decisions.
 *
 * Include after vmlinux.h and <bpf/bpf_helpers.h>.
 */
#ifndef ZC_REFILL_POLICY_H
#define ZC_REFILL_POLICY_H

#include <linux/zc_policy.h>

/* io_uring's IORING_ZCRX_NOTIF_* (linux/io_uring.h is not BPF-clean). */
#define ZCRX_NOTIF_FILL_LOW	(1U << 0)
#define ZCRX_NOTIF_NO_BUFFERS	(1U << 1)
#define ZCRX_NOTIF_COPY		(1U << 2)

struct zc_refill_stats {
	__u64 alloc_calls;	/* alloc decisions */
	__u64 alloc_taken;	/* refill entries they asked for */
	__u64 reserve_asks;	/* alloc decisions that allowed the reserve */
	__u64 ahead_calls;	/* ahead decisions */
	__u64 ahead_taken;	/* refill entries they asked for */
	__u64 notify_calls;	/* notify decisions */
	__u64 notifs[3];	/* notifications asked, by bit */
	__u64 min_free;		/* fewest free + returned buffers seen, + 1 */
	__u64 max_held;		/* most buffers the application held */
};

/*
 * Marks, in buffers; 0 picks the default, a fraction of the area.  The
 * watermark policies refill ahead while fewer than high are free and
 * notify FILL_LOW below low.
 */
struct zc_refill_knobs {
	__u32 high;		/* default: area / 4 */
	__u32 low;		/* default: area / 8 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_refill_stats);
} stats SEC(".maps");

static __always_inline struct zc_refill_stats *zc_refill_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

/* Buffers the pool can get without the application: free or returned. */
static __always_inline __u32 zc_refill_avail(const struct zc_refill_ctx *c)
{
	return c->free + c->rq_pending + c->cache;
}

/* Keep the levels the policy saw. */
static __always_inline void zc_refill_seen(struct zc_refill_stats *st,
					   const struct zc_refill_ctx *c)
{
	__u64 avail = zc_refill_avail(c) + 1;

	if (!st->min_free || avail < st->min_free)
		st->min_free = avail;
	if (c->user_held > st->max_held)
		st->max_held = c->user_held;
}

/* The kernel's own notify decision (what a policy returning it mirrors). */
static __always_inline int zc_refill_stock_notify(const struct zc_refill_ctx *c)
{
	if (c->event == ZC_REFILL_EV_NO_BUFFERS)
		return ZCRX_NOTIF_NO_BUFFERS;
	if (c->event == ZC_REFILL_EV_COPY)
		return ZCRX_NOTIF_COPY;
	return 0;
}

/* Count a notify verdict. */
static __always_inline int zc_refill_count_notify(const struct zc_refill_ctx *c,
						  int mask)
{
	struct zc_refill_stats *st = zc_refill_stats();
	int i;

	if (!st)
		return mask;
	st->notify_calls++;
	zc_refill_seen(st, c);
	for (i = 0; i < 3; i++)
		if (mask & (1 << i))
			st->notifs[i]++;
	return mask;
}

#define zc_knobs(map) ({ __u32 __zero = 0; bpf_map_lookup_elem(&(map), &__zero); })

#endif /* ZC_REFILL_POLICY_H */
