/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Zero-copy send policies: a BPF struct_ops that decides, per send,
 * whether it joins an open notification, whether it is zero-copy or
 * copied, and when the notification closes.  See uapi/linux/zc_policy.h
 * for what programs return, and Documentation/networking/zc-policy.rst.
 */
#ifndef _NET_ZC_SEND_H
#define _NET_ZC_SEND_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <net/zc_policy.h>
#include <uapi/linux/zc_policy.h>

struct sock;

/*
 * What a policy program sees; read-only.  Fields that do not apply to the
 * decision being asked are 0.
 */
struct zc_send_ctx {
	u32 decision;		/* ZC_SEND_DECIDE_* */
	u32 source;		/* ZC_SEND_SRC_* */
	/* The submitter: the decision may run in io-wq, or in softirq. */
	u32 owner_pid;		/* thread group id, in the initial pid ns */
	u32 flags;		/* ZC_SEND_F_* */
	u64 owner_cgroup;	/* cgroup v2 id */
	u64 len;		/* bytes the send asks for; 0 if unknown */
	s32 fd;			/* the target file: fd or registered index */

	/* The open notification (join), or the send's own (mode, flush). */
	u32 open_sends;		/* sends in it; 0 when none is open */
	u64 open_bytes;
	u64 open_since_ns;	/* when it opened, CLOCK_MONOTONIC: the age is
				 * bpf_ktime_get_ns() - open_since_ns; in
				 * closed(), 0 unless something read it
				 */
	u32 open_same_fd;	/* its last send went to this fd */

	/* The kernel's bounds for one notification. */
	u32 max_sends;
	u64 max_bytes;
	u64 timeout_ns;

	/* The socket (mode, flush). */
	u16 family;
	u16 protocol;
	u32 wmem_queued;	/* bytes queued for transmit */
	u32 sndbuf;
	u32 unsent;		/* TCP: written, not yet sent */
	u32 unacked;		/* TCP: sent, not yet acknowledged */

	/* The send's outcome (flush). */
	u32 zerocopy;		/* 1 if it went zero-copy */
	s64 result;		/* bytes sent, or -errno */

	/*
	 * The notifications that completed since the last report (closed):
	 * open_sends and open_bytes are their totals, and they all closed
	 * for the same cause.  On an io_uring ring with
	 * IORING_ZC_SEND_COPY_ALONE the totals also count the sends copied
	 * alone since the last report (counted at submission), in no
	 * notification: notifs may be 0, and cause then means nothing.
	 */
	u32 cause;		/* ZC_SEND_CLOSE_* */
	u32 copy_sends;		/* of their open_sends, those copied */
	u32 notifs;		/* how many notifications */
	u32 aged_sends;		/* of their open_sends, those measured */
	u64 mean_age_ns;	/* the measured sends' mean time from
				 * submission to their notification's
				 * close; 0 if none was measured
				 */

	/* The error queue (report; open_sends, open_bytes and zerocopy
	 * describe the completed range).
	 */
	u32 queued;		/* entries not yet read */
	u32 unwoken;		/* sends completed since the last wakeup */
};

struct zc_send_ops {
	int (*join)(const struct zc_send_ctx *ctx);
	int (*mode)(const struct zc_send_ctx *ctx);
	int (*flush)(const struct zc_send_ctx *ctx);
	void (*closed)(const struct zc_send_ctx *ctx);
	int (*report)(const struct zc_send_ctx *ctx);
	char name[ZC_POLICY_NAME_MAX];
};

extern struct zc_policy_type zc_send_policies;

#ifdef CONFIG_ZC_POLICY
/* The program of @ops for @decision, or NULL. */
static inline void *zc_send_op(const struct zc_send_ops *ops, u32 decision)
{
	if (!ops)
		return NULL;
	switch (decision) {
	case ZC_SEND_DECIDE_JOIN:
		return ops->join;
	case ZC_SEND_DECIDE_MODE:
		return ops->mode;
	case ZC_SEND_DECIDE_FLUSH:
		return ops->flush;
	case ZC_SEND_EVENT_CLOSED:
		return ops->closed;
	case ZC_SEND_DECIDE_REPORT:
		return ops->report;
	}
	return NULL;
}

/*
 * The programs of the policy held by @slot, a mask of BIT(ZC_SEND_*) by
 * decision: one look at the policy for all of a send's decisions.  Under
 * rcu_read_lock(); the answer can be stale by the time it is used.
 */
static inline u32 zc_send_progs(struct zc_policy_slot *slot)
{
	return slot ? READ_ONCE(slot->progs) : 0;
}

/**
 * zc_send_wants() - does the policy held by @slot decide @decision?
 * @slot: the policy, or NULL
 * @decision: ZC_SEND_DECIDE_* or ZC_SEND_EVENT_CLOSED
 *
 * So that users fill a context only for a program that reads it: inline,
 * as it runs for every send.  Under rcu_read_lock().  The answer can be
 * stale by the time it is used; zc_send_decide() copes.
 */
static inline bool zc_send_wants(struct zc_policy_slot *slot, u32 decision)
{
	return zc_send_op(zc_policy_ops(slot), decision);
}

static inline bool zc_send_verdict_ok(u32 decision, int v)
{
	if (decision == ZC_SEND_DECIDE_REPORT)
		return !(v & ~ZC_SEND_REPORT_MASK);
	if (v == 0 || v == 1)
		return true;
	if (decision == ZC_SEND_DECIDE_JOIN)
		return v >= ZC_SEND_HOLD_MIN && v <= ZC_SEND_HOLD_MAX;
	if (decision == ZC_SEND_DECIDE_MODE)
		return v >= ZC_SEND_COPY_BELOW_MIN;
	return decision == ZC_SEND_DECIDE_FLUSH && v >= ZC_SEND_KEEP_NS_MIN;
}

/**
 * zc_send_decide() - ask the policy held by @slot for the decision in @ctx
 * @slot: the policy the user chose, or NULL for stock behaviour
 * @ctx: the context, with ctx->decision set
 * @faults: the user's fault counter
 *
 * Inline, as it runs for every decision: the program's own call is the one
 * it costs.  The BPF core does not range-check struct_ops return values,
 * so this does.
 *
 * Return: the policy's verdict, or 0 (stock behaviour) when there is no
 * policy, it has no program for this decision, or it returned something
 * that is not a verdict, which counts as a fault.
 */
static inline int zc_send_decide(struct zc_policy_slot *slot,
				 struct zc_send_ctx *ctx, atomic_t *faults)
{
	int (*fn)(const struct zc_send_ctx *ctx) = NULL;
	int v = 0;

	if (!slot)
		return 0;

	rcu_read_lock();
	if (ctx->decision != ZC_SEND_EVENT_CLOSED)
		fn = zc_send_op(zc_policy_ops(slot), ctx->decision);
	if (fn)
		v = fn(ctx);
	rcu_read_unlock();

	if (likely(zc_send_verdict_ok(ctx->decision, v)))
		return v;
	atomic_inc(faults);
	atomic_long_inc(&slot->faults);
	return 0;
}

/**
 * zc_send_closed() - report completed notifications to the policy at @slot
 * @slot: the policy, or NULL
 * @ctx: the context, with the open_* fields, cause, notifs and ages set
 */
static inline void zc_send_closed(struct zc_policy_slot *slot,
				  struct zc_send_ctx *ctx)
{
	const struct zc_send_ops *ops;

	if (!slot)
		return;
	ctx->decision = ZC_SEND_EVENT_CLOSED;
	rcu_read_lock();
	ops = zc_policy_ops(slot);
	if (ops && ops->closed)
		ops->closed(ctx);
	rcu_read_unlock();
}

void zc_send_ctx_fill_sock(struct zc_send_ctx *ctx, struct sock *sk);
#else
static inline bool zc_send_wants(struct zc_policy_slot *slot, u32 decision)
{
	return false;
}

static inline int zc_send_decide(struct zc_policy_slot *slot,
				 struct zc_send_ctx *ctx, atomic_t *faults)
{
	return 0;
}

static inline void zc_send_closed(struct zc_policy_slot *slot,
				  struct zc_send_ctx *ctx)
{
}

static inline void zc_send_ctx_fill_sock(struct zc_send_ctx *ctx,
					 struct sock *sk)
{
}
#endif

#endif /* _NET_ZC_SEND_H */
