/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Zero-copy receive refill policies: a BPF struct_ops that steers the
 * buffer pool of a zero-copy rx queue.  It decides how many returned
 * buffers the pool takes back and when (in the pool's alloc path, and
 * ahead of it), whether the free list or the kernel's reserve pages come
 * into play, and when the application is told its buffers run low.  See
 * uapi/linux/zc_policy.h for what programs return.
 */
#ifndef _NET_ZC_REFILL_H
#define _NET_ZC_REFILL_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <net/zc_policy.h>
#include <uapi/linux/zc_policy.h>

/* What a refill program sees: a snapshot, read-only. */
struct zc_refill_ctx {
	u32 decision;		/* ZC_REFILL_DECIDE_* */
	u32 event;		/* ZC_REFILL_EV_*, for notify */
	u32 ifindex;
	u32 queue_id;

	/* Where the area's buffers are; racy reads but for cache. */
	u32 area_buffers;	/* the area's size, in buffers */
	u32 rq_entries;		/* the refill ring's size */
	u32 rq_pending;		/* returned, not yet taken back */
	u32 free;		/* on the free list: owned by no one */
	u32 cache;		/* in the page pool's cache (alloc only) */
	u32 user_held;		/* completions the application holds */
	u32 reserve;		/* kernel pages lent to the pool */
	u32 budget;		/* at most this many entries this call */
	u32 armed;		/* IORING_ZCRX_NOTIF_* the application armed */
	u32 __pad;

	/* Since the queue was bound. */
	u64 alloc_fails;	/* the pool found no buffer: the NIC drops */
	u64 copied_bytes;	/* RECV_ZC copied instead of zero-copy */
	u64 zc_bytes;		/* RECV_ZC handed out zero-copy */
};

struct zc_refill_ops {
	int (*alloc)(const struct zc_refill_ctx *ctx);
	int (*ahead)(const struct zc_refill_ctx *ctx);
	int (*notify)(const struct zc_refill_ctx *ctx);
	char name[ZC_POLICY_NAME_MAX];
};

extern struct zc_policy_type zc_refill_policies;

/*
 * The notification mask of io_uring's zcrx; repeated here so that the
 * kernel checks notify verdicts without including io_uring's uapi.
 */
#define ZC_REFILL_NOTIF_ALL	0x7

#ifdef CONFIG_ZC_POLICY
static inline bool zc_refill_verdict_ok(u32 decision, int v)
{
	switch (decision) {
	case ZC_REFILL_DECIDE_ALLOC:
		return v >= 0 && !(v & ~(ZC_REFILL_COUNT_MASK |
					 ZC_REFILL_FLAGS)) &&
		       (v & ZC_REFILL_FLAGS) != (ZC_REFILL_FREE_FIRST |
						 ZC_REFILL_NO_FREE);
	case ZC_REFILL_DECIDE_AHEAD:
		return v >= 0 && v <= ZC_REFILL_COUNT_MASK;
	case ZC_REFILL_DECIDE_NOTIFY:
		return v >= 0 && !(v & ~ZC_REFILL_NOTIF_ALL);
	}
	return false;
}

/**
 * zc_refill_decide() - ask the refill policy held by @slot
 * @slot: the policy, or NULL
 * @ctx: the context, with ctx->decision set
 * @has_prog: set to whether a program decided
 *
 * Return: the verdict, 0 when no program decides, or -EINVAL when the
 * program returned something that is not a verdict (counted on @slot; the
 * caller counts its own fault and decides as stock).
 */
static inline int zc_refill_decide(struct zc_policy_slot *slot,
				   const struct zc_refill_ctx *ctx,
				   bool *has_prog)
{
	int (*fn)(const struct zc_refill_ctx *ctx) = NULL;
	const struct zc_refill_ops *ops;
	int v = 0;

	rcu_read_lock();
	ops = zc_policy_ops(slot);
	if (ops) {
		if (ctx->decision == ZC_REFILL_DECIDE_ALLOC)
			fn = ops->alloc;
		else if (ctx->decision == ZC_REFILL_DECIDE_AHEAD)
			fn = ops->ahead;
		else
			fn = ops->notify;
	}
	if (fn)
		v = fn(ctx);
	rcu_read_unlock();

	*has_prog = !!fn;
	if (likely(zc_refill_verdict_ok(ctx->decision, v)))
		return v;
	atomic_long_inc(&slot->faults);
	return -EINVAL;
}
#else
static inline int zc_refill_decide(struct zc_policy_slot *slot,
				   const struct zc_refill_ctx *ctx,
				   bool *has_prog)
{
	*has_prog = false;
	return 0;
}
#endif

#endif /* _NET_ZC_REFILL_H */
