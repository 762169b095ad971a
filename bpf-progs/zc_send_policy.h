/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every zero-copy send policy in bpf-progs/ shares: its statistics,
 * kept in a per-CPU array map named "stats" that user space sums
 * (zc-policy stats, lib/zc_policy.c), and the helpers that fill it.
 *
 * Include after vmlinux.h and <bpf/bpf_helpers.h>.
 */
#ifndef ZC_SEND_POLICY_H
#define ZC_SEND_POLICY_H

#include <linux/zc_policy.h>

/* log2 buckets of a notification's mean send-to-close time, in us:
 * bucket i counts closes with mean age in [2^(i-1), 2^i) us, bucket 0
 * under 1 us, the last everything above.
 */
#define ZC_AGE_BUCKETS	24
#define ZC_CLOSE_CAUSES	5

struct zc_send_stats {
	__u64 notifs;			/* notifications closed */
	__u64 sends;			/* sends in them */
	__u64 zc_sends;			/* sends that went zero-copy */
	__u64 copy_sends;		/* sends that were copied */
	__u64 faults;			/* verdicts this program corrected */
	__u64 causes[ZC_CLOSE_CAUSES];	/* closes by ZC_SEND_CLOSE_* */
	__u64 age_us[ZC_AGE_BUCKETS];	/* measured sends, by their mean
					 * send-to-close time
					 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_send_stats);
} stats SEC(".maps");

static __always_inline struct zc_send_stats *zc_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline __u32 zc_age_bucket(__u64 ns)
{
	__u64 us = ns / 1000;
	__u32 b = 0;

	while (us && b < ZC_AGE_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

/*
 * Count completed notifications and their sends' modes: call from
 * closed(), which reports one or more at a time.  The age histogram
 * counts the sends the kernel measured (a sample), by their mean age.
 */
static __always_inline void zc_count_closed(const struct zc_send_ctx *ctx)
{
	struct zc_send_stats *st = zc_stats();
	__u32 cause = ctx->cause;
	__u32 b;

	if (!st)
		return;
	st->notifs += ctx->notifs;
	st->sends += ctx->open_sends;
	st->copy_sends += ctx->copy_sends;
	st->zc_sends += ctx->open_sends - ctx->copy_sends;
	if (cause < ZC_CLOSE_CAUSES)
		st->causes[cause] += ctx->notifs;
	if (!ctx->aged_sends)
		return;
	b = zc_age_bucket(ctx->mean_age_ns);
	if (b < ZC_AGE_BUCKETS)
		st->age_us[b] += ctx->aged_sends;
}

/*
 * join's verdict for a new notification that holds @n sends: the kernel
 * asks no more until it has them.  Fewer than 2 is a notification per send.
 */
static __always_inline int zc_hold(__u64 n)
{
	if (n < ZC_SEND_HOLD_MIN)
		return ZC_SEND_NEW;
	return n > ZC_SEND_HOLD_MAX ? ZC_SEND_HOLD_MAX : (int)n;
}

/* The first entry of a one-entry array map of knobs, or NULL. */
#define zc_knobs(map) ({ __u32 __zero = 0; bpf_map_lookup_elem(&(map), &__zero); })

#endif /* ZC_SEND_POLICY_H */
