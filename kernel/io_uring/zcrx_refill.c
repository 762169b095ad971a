// SPDX-License-Identifier: GPL-2.0
/*
 * Refill policies of zero-copy receive queues, and their notifications.
 *
 * Upstream's refill is fixed and lazy: the pool takes at most 64 returned
 * buffers when its cache runs empty, then free ones, and the application
 * learns that buffers ran out only from the throughput it loses.  Here a
 * BPF refill policy (struct zc_refill_ops, chosen by name per queue) is
 * asked at three points:
 *
 *  - alloc, in the pool's alloc path (NAPI): how much to take back from
 *    the refill ring, in which order with the free list, and whether to
 *    lend the pool kernel pages when the area is exhausted;
 *  - ahead, when RECV_ZC has posted completions: how much to take back
 *    before the pool runs dry.  That is the receiving task, after it has
 *    read what the application returned since it last waited: the
 *    refill costs the receiver instead of lengthening NAPI, and it runs
 *    exactly when the ring has moved.  The end of a NAPI poll would run
 *    it even when the application returned nothing.
 *  - notify, on events, while the application has notifications armed:
 *    which of them to post.
 *
 * Every verdict is checked; anything else is a fault, counted, and the
 * kernel decides as stock instead.  This file holds the policy plumbing;
 * zcrx.c applies the verdicts.
 */
#include <linux/io_uring.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/task_work.h>
#include <net/page_pool/types.h>
#include <uapi/linux/io_uring.h>

#include "io_uring.h"
#include "zcrx.h"
#include "zcrx_refill.h"

static_assert(ZC_REFILL_NOTIF_ALL == (IORING_ZCRX_NOTIF_FILL_LOW |
				      IORING_ZCRX_NOTIF_NO_BUFFERS |
				      IORING_ZCRX_NOTIF_COPY));
static_assert(sizeof_field(struct io_uring_zcrx_refill, name) ==
	      ZC_POLICY_NAME_MAX);

#define IO_ZCRX_REFILL_FLAGS	(IORING_ZCRX_REFILL_POLICY | \
				 IORING_ZCRX_REFILL_ARM | \
				 IORING_ZCRX_REFILL_DISARM)
/* Entries one ahead decision may take back: work per call is bounded. */
#define IO_ZCRX_AHEAD_MAX	256

int io_zcrx_refill_init(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_refill *r = &ifq->refill;
	struct zc_policy_slot *slot;

	spin_lock_init(&r->notif_lock);
	r->ctx = ifq->ctx;
	if (!IS_ENABLED(CONFIG_ZC_POLICY))
		return 0;
	/* net.core.zc_refill_policy_default, which may register later */
	slot = zc_policy_get(&zc_refill_policies, NULL);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	RCU_INIT_POINTER(r->policy, slot);
	return 0;
}

/* The ifq is being freed: no pool and no ring uses it any more. */
void io_zcrx_refill_release(struct io_zcrx_ifq *ifq)
{
	zc_policy_put(rcu_dereference_protected(ifq->refill.policy, 1));
	RCU_INIT_POINTER(ifq->refill.policy, NULL);
}

/* The ring is closing: nothing is posted to it from now on. */
void io_zcrx_refill_shutdown(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_refill *r = &ifq->refill;

	spin_lock_bh(&r->notif_lock);
	r->ctx = NULL;
	WRITE_ONCE(r->armed, 0);
	spin_unlock_bh(&r->notif_lock);
}

void io_zcrx_refill_fault(struct io_zcrx_ifq *ifq)
{
	atomic_inc(&ifq->refill.faults);
}

/* ------------------------------------------------------ notifications */

/* Task work on the ring's submitter: post what is pending. */
static void io_zcrx_notif_tw(struct callback_head *cb)
{
	struct io_zcrx_refill *r = container_of(cb, struct io_zcrx_refill, tw);
	struct io_zcrx_ifq *ifq = container_of(r, struct io_zcrx_ifq, refill);
	u64 data[ARRAY_SIZE(r->pending_data)];
	struct io_ring_ctx *ctx;
	u32 pending;

	spin_lock_bh(&r->notif_lock);
	ctx = r->tw_ctx;
	pending = r->pending;
	memcpy(data, r->pending_data, sizeof(data));
	r->pending = 0;
	/* From here on the work may be queued again: it has left the list. */
	r->queued = false;
	spin_unlock_bh(&r->notif_lock);

	/* An exiting task may not post: the ring is going away anyway. */
	if (!(current->flags & PF_EXITING)) {
		mutex_lock(&ctx->uring_lock);
		while (pending) {
			u32 bit = pending & -pending;

			pending &= ~bit;
			io_post_aux_cqe(ctx, data[ilog2(bit)], bit, 0);
			r->posted++;
		}
		mutex_unlock(&ctx->uring_lock);
	}
	percpu_ref_put(&ctx->refs);
	io_zcrx_ifq_put(ifq);
}

/*
 * Post the armed ones of @mask and disarm them.  Any context.
 *
 * Not a signal-like task work: that would interrupt whatever the task is
 * doing (an epoll_wait() would fail with EINTR).  The work runs when the
 * task next returns to user space or waits in io_uring, which it is woken
 * for if it sleeps there: with DEFER_TASKRUN, that is when it would see a
 * CQE anyway.
 */
static void io_zcrx_notif_post(struct io_zcrx_ifq *ifq, u32 mask)
{
	struct io_zcrx_refill *r = &ifq->refill;
	struct io_ring_ctx *ctx;
	unsigned long bits;
	int bit;

	spin_lock_bh(&r->notif_lock);
	ctx = r->ctx;
	mask &= r->armed;
	if (!mask || !ctx)
		goto out;
	WRITE_ONCE(r->armed, r->armed & ~mask);
	r->pending |= mask;
	/* The event's own user_data, whatever a later arm sets. */
	bits = mask;
	for_each_set_bit(bit, &bits, ARRAY_SIZE(r->pending_data))
		r->pending_data[bit] = r->user_data;
	if (r->queued)
		goto out;
	/* The ring may be closing: its refs are killed before it unbinds. */
	if (!percpu_ref_tryget_live(&ctx->refs)) {
		r->pending = 0;
		goto out;
	}
	/* The work's references: the ring cannot be freed before it runs. */
	refcount_inc(&ifq->refs);
	init_task_work(&r->tw, io_zcrx_notif_tw);
	r->tw_ctx = ctx;
	if (!task_work_add(ctx->submitter_task, &r->tw, TWA_RESUME)) {
		r->queued = true;
		wake_up_state(ctx->submitter_task, TASK_INTERRUPTIBLE);
	} else {
		/* The task is exiting; the ring still holds the ifq. */
		r->pending = 0;
		percpu_ref_put(&ctx->refs);
		refcount_dec(&ifq->refs);
	}
out:
	spin_unlock_bh(&r->notif_lock);
}

/* ------------------------------------------------------------ policy */

static void io_zcrx_refill_snapshot(struct io_zcrx_ifq *ifq,
				    struct page_pool *pp, u32 decision,
				    struct zc_refill_ctx *c)
{
	struct io_zcrx_refill *r = &ifq->refill;
	struct io_zcrx_area *area = ifq->area;

	c->decision = decision;
	c->ifindex = ifq->if_idx;
	c->queue_id = ifq->if_rxq;
	c->area_buffers = area->nia.num_niovs;
	c->rq_entries = ifq->rq_entries;
	c->rq_pending = io_zcrx_rq_pending(ifq);
	c->free = READ_ONCE(area->free_count);
	/* Only the pool's alloc side may read its cache. */
	c->cache = pp ? pp->alloc.count : 0;
	c->user_held = max(atomic_read(&r->user_held), 0);
	c->reserve = atomic_read(&r->reserve);
	c->armed = READ_ONCE(r->armed);
	c->alloc_fails = atomic_long_read(&r->alloc_fails);
	c->copied_bytes = READ_ONCE(ifq->copy_bytes);
	c->zc_bytes = READ_ONCE(ifq->zc_bytes);
}

/* The policy's verdict on @c, or @stock without a program or on a fault. */
static int io_zcrx_refill_ask(struct io_zcrx_ifq *ifq,
			      const struct zc_refill_ctx *c, int stock)
{
	struct zc_policy_slot *slot;
	bool has_prog = false;
	int v = 0;

	rcu_read_lock();
	slot = rcu_dereference(ifq->refill.policy);
	if (slot)
		v = zc_refill_decide(slot, c, &has_prog);
	rcu_read_unlock();

	if (!has_prog)
		return stock;
	if (v < 0) {
		io_zcrx_refill_fault(ifq);
		return stock;
	}
	return v;
}

/*
 * Is a policy registered under the queue's name?  So that the alloc path
 * takes no snapshot (and no rq_lock) for a default that never registered.
 */
static bool io_zcrx_has_policy(struct io_zcrx_ifq *ifq)
{
	struct zc_policy_slot *slot;
	bool ret;

	rcu_read_lock();
	slot = rcu_dereference(ifq->refill.policy);
	ret = slot && rcu_access_pointer(slot->ops);
	rcu_read_unlock();
	return ret;
}

/**
 * io_zcrx_decide_alloc() - the alloc verdict, in @pp's alloc path
 * @ifq: the queue's ifq
 * @pp: the pool, whose cache is empty
 *
 * Return: a checked verdict (ZC_REFILL_COUNT_MASK and ZC_REFILL_*), 0 for
 * stock behaviour.
 */
u32 io_zcrx_decide_alloc(struct io_zcrx_ifq *ifq, struct page_pool *pp)
{
	struct zc_refill_ctx c = {};

	if (!io_zcrx_has_policy(ifq))
		return 0;
	io_zcrx_refill_snapshot(ifq, pp, ZC_REFILL_DECIDE_ALLOC, &c);
	c.budget = PP_ALLOC_CACHE_SIZE - pp->alloc.count;
	return io_zcrx_refill_ask(ifq, &c, 0);
}

/**
 * io_zcrx_decide_ahead() - how many refill entries to take back now
 * @ifq: the ifq, from RECV_ZC after it posted completions
 *
 * Return: at most IO_ZCRX_AHEAD_MAX; 0 for none (stock).
 */
u32 io_zcrx_decide_ahead(struct io_zcrx_ifq *ifq)
{
	struct zc_refill_ctx c = {};

	if (!io_zcrx_has_policy(ifq))
		return 0;
	io_zcrx_refill_snapshot(ifq, NULL, ZC_REFILL_DECIDE_AHEAD, &c);
	c.budget = IO_ZCRX_AHEAD_MAX;
	return min(io_zcrx_refill_ask(ifq, &c, 0), IO_ZCRX_AHEAD_MAX);
}

/**
 * io_zcrx_refill_event() - something happened: notify the application?
 * @ifq: the ifq
 * @pp: the pool, when called from its alloc path; else NULL
 * @event: ZC_REFILL_EV_*
 *
 * Free unless the application armed a notification.
 */
void io_zcrx_refill_event(struct io_zcrx_ifq *ifq, struct page_pool *pp,
			  u32 event)
{
	struct zc_refill_ctx c = {};
	u32 stock = 0, mask;

	if (!READ_ONCE(ifq->refill.armed))
		return;
	if (event == ZC_REFILL_EV_NO_BUFFERS)
		stock = IORING_ZCRX_NOTIF_NO_BUFFERS;
	else if (event == ZC_REFILL_EV_COPY)
		stock = IORING_ZCRX_NOTIF_COPY;

	mask = stock;
	if (io_zcrx_has_policy(ifq)) {
		io_zcrx_refill_snapshot(ifq, pp, ZC_REFILL_DECIDE_NOTIFY, &c);
		c.event = event;
		mask = io_zcrx_refill_ask(ifq, &c, stock);
	}
	if (mask)
		io_zcrx_notif_post(ifq, mask);
}

/* ---------------------------------------------------------- register */

static int io_zcrx_refill_check(const struct io_uring_zcrx_refill *p)
{
	u32 arm = p->flags & (IORING_ZCRX_REFILL_ARM |
			      IORING_ZCRX_REFILL_DISARM);

	if ((p->flags & ~IO_ZCRX_REFILL_FLAGS) || p->zcrx_id ||
	    p->__resv1 || memchr_inv(p->__resv, 0, sizeof(p->__resv)))
		return -EINVAL;
	if (strnlen(p->name, sizeof(p->name)) == sizeof(p->name))
		return -EINVAL;
	if (arm == (IORING_ZCRX_REFILL_ARM | IORING_ZCRX_REFILL_DISARM))
		return -EINVAL;
	if (arm && (!p->notif_mask || (p->notif_mask & ~ZC_REFILL_NOTIF_ALL)))
		return -EINVAL;
	/* What the call does not use must be 0, to be given a meaning later. */
	if (!arm && p->notif_mask)
		return -EINVAL;
	if (!(p->flags & IORING_ZCRX_REFILL_ARM) && p->notif_user_data)
		return -EINVAL;
	if (!(p->flags & IORING_ZCRX_REFILL_POLICY) && p->name[0])
		return -EINVAL;
	return 0;
}

/**
 * io_register_zcrx_refill() - IORING_REGISTER_ZCRX_REFILL
 * @ctx: the ring, under uring_lock
 * @arg: a struct io_uring_zcrx_refill
 * @nr_args: 1
 *
 * Without flags, it only reports the policy and what is armed.
 *
 * Return: 0, -EINVAL (bad flags, mask, name or reserved fields, a field
 * the call does not use that is not 0, or no zcrx queue), -EFAULT,
 * -EACCES (the ring is not enabled yet: only its submitter may steer, and
 * there is none), -ENOENT (no such policy), -EPERM (the caller may not
 * choose it), -ENOMEM.
 */
int io_register_zcrx_refill(struct io_ring_ctx *ctx, void __user *arg,
			    unsigned int nr_args)
{
	struct zc_policy_slot *slot = NULL, *cur;
	struct io_uring_zcrx_refill p;
	struct io_zcrx_ifq *ifq = ctx->ifq;
	struct io_zcrx_refill *r;
	u32 armed, mask;
	int ret;

	lockdep_assert_held(&ctx->uring_lock);

	if (!arg || nr_args != 1)
		return -EINVAL;
	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	ret = io_zcrx_refill_check(&p);
	if (ret)
		return ret;
	if (!ifq)
		return -EINVAL;
	/* Notifications go to its task work; nobody else's fd may steer. */
	if (current != ctx->submitter_task)
		return -EACCES;
	r = &ifq->refill;
	mask = p.notif_mask;

	if (p.flags & IORING_ZCRX_REFILL_POLICY) {
		slot = zc_policy_get(&zc_refill_policies, p.name);
		if (IS_ERR(slot))
			return PTR_ERR(slot);
		cur = slot;
	} else {
		cur = rcu_dereference_protected(r->policy,
						lockdep_is_held(&ctx->uring_lock));
	}
	armed = READ_ONCE(r->armed);
	if (p.flags & IORING_ZCRX_REFILL_ARM)
		armed |= mask;
	else if (p.flags & IORING_ZCRX_REFILL_DISARM)
		armed &= ~mask;
	memset(p.name, 0, sizeof(p.name));
	if (cur)
		strscpy(p.name, cur->name, sizeof(p.name));
	p.notif_mask = armed;
	if (copy_to_user(arg, &p, sizeof(p))) {
		zc_policy_put(slot);
		return -EFAULT;
	}

	if (p.flags & IORING_ZCRX_REFILL_POLICY)
		zc_policy_put(rcu_replace_pointer(r->policy, slot,
						  lockdep_is_held(&ctx->uring_lock)));
	spin_lock_bh(&r->notif_lock);
	if (p.flags & IORING_ZCRX_REFILL_ARM) {
		WRITE_ONCE(r->armed, r->armed | mask);
		r->user_data = p.notif_user_data;
	} else if (p.flags & IORING_ZCRX_REFILL_DISARM) {
		WRITE_ONCE(r->armed, r->armed & ~mask);
		/* Nothing disarmed comes after this call. */
		r->pending &= ~mask;
	}
	spin_unlock_bh(&r->notif_lock);
	return 0;
}

void io_zcrx_refill_fdinfo(struct io_zcrx_ifq *ifq, struct seq_file *m)
{
	struct io_zcrx_refill *r = &ifq->refill;
	struct zc_policy_slot *slot;

	rcu_read_lock();
	slot = rcu_dereference(r->policy);
	seq_printf(m, "ZcrxRefill:\tpolicy %s faults %u\n",
		   slot ? slot->name : "-", atomic_read(&r->faults));
	rcu_read_unlock();
	seq_printf(m, "ZcrxNotif:\tarmed 0x%x posted %llu\n",
		   READ_ONCE(r->armed), r->posted);
	seq_printf(m, "ZcrxPool:\t%ld alloc failures, %d reserve pages out, ",
		   atomic_long_read(&r->alloc_fails), atomic_read(&r->reserve));
	seq_printf(m, "%ld lent\n", atomic_long_read(&r->reserve_allocs));
}
