/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The watermark decisions, shared by watermark.bpf.c and reserve.bpf.c:
 * take back everything returned whenever the pool refills, refill ahead
 * while fewer than the high mark of buffers are free, and tell the
 * application when fewer than the low mark are, so that it returns what
 * it holds before the NIC runs dry.
 */
#ifndef ZC_WATERMARK_H
#define ZC_WATERMARK_H

#include "zc_refill_policy.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zc_refill_knobs);
} knobs SEC(".maps");

static __always_inline void wm_marks(const struct zc_refill_ctx *c,
				     __u32 *high, __u32 *low)
{
	struct zc_refill_knobs *k = zc_knobs(knobs);

	*high = k && k->high ? k->high : c->area_buffers / 4;
	*low = k && k->low ? k->low : c->area_buffers / 8;
}

/* alloc: the whole budget, so that nothing waits in the ring. */
static __always_inline int wm_alloc(const struct zc_refill_ctx *c, int flags)
{
	struct zc_refill_stats *st = zc_refill_stats();
	__u32 n = c->budget;

	if (st) {
		st->alloc_calls++;
		st->alloc_taken += n < c->rq_pending ? n : c->rq_pending;
		if (flags & ZC_REFILL_RESERVE)
			st->reserve_asks++;
		zc_refill_seen(st, c);
	}
	return (n & ZC_REFILL_COUNT_MASK) | flags;
}

/* ahead: below the high mark, take back what the application returned. */
static __always_inline int wm_ahead(const struct zc_refill_ctx *c)
{
	struct zc_refill_stats *st = zc_refill_stats();
	__u32 high, low, n = 0;

	wm_marks(c, &high, &low);
	if (c->free + c->cache < high)
		n = c->rq_pending < c->budget ? c->rq_pending : c->budget;
	if (st) {
		st->ahead_calls++;
		st->ahead_taken += n;
		zc_refill_seen(st, c);
	}
	return n;
}

/* notify: FILL_LOW below the low mark, and the stock notifications. */
static __always_inline int wm_notify(const struct zc_refill_ctx *c)
{
	int mask = zc_refill_stock_notify(c);
	__u32 high, low;

	wm_marks(c, &high, &low);
	if (zc_refill_avail(c) < low)
		mask |= ZCRX_NOTIF_FILL_LOW;
	return zc_refill_count_notify(c, mask);
}

#endif /* ZC_WATERMARK_H */
