/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOU_ZCRX_REFILL_H
#define IOU_ZCRX_REFILL_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <net/zc_refill.h>

struct io_ring_ctx;
struct io_zcrx_ifq;
struct page_pool;
struct seq_file;

/*
 * A zcrx queue's refill policy, its notifications, and the counts its
 * programs see.
 */
struct io_zcrx_refill {
	struct zc_policy_slot __rcu	*policy;
	atomic_t			faults;

	/* Completions the application holds, and kernel pages lent. */
	atomic_t			user_held;
	atomic_t			reserve;
	atomic_long_t			alloc_fails;
	unsigned long			fail_since;	/* jiffies, 0: none */
	atomic_long_t			reserve_allocs;

	/*
	 * Notifications.  Armed and pending bits move under notif_lock,
	 * from NAPI or the task; the CQEs are posted by task work on the
	 * ring's submitter, which holds a reference to the ifq and the ring.
	 * ctx is NULL once the ring is closing: nothing is queued then.
	 */
	spinlock_t			notif_lock;
	u32				armed;
	u32				pending;
	bool				queued;
	u64				user_data;
	u64				pending_data[3];	/* per bit */
	struct io_ring_ctx		*ctx;
	struct io_ring_ctx		*tw_ctx;
	struct callback_head		tw;
	u64				posted;		/* uring_lock */
};

#if defined(CONFIG_IO_URING_ZCRX)
int io_zcrx_refill_init(struct io_zcrx_ifq *ifq);
void io_zcrx_refill_release(struct io_zcrx_ifq *ifq);
void io_zcrx_refill_shutdown(struct io_zcrx_ifq *ifq);
int io_register_zcrx_refill(struct io_ring_ctx *ctx, void __user *arg,
			    unsigned int nr_args);
u32 io_zcrx_decide_alloc(struct io_zcrx_ifq *ifq, struct page_pool *pp);
u32 io_zcrx_decide_ahead(struct io_zcrx_ifq *ifq);
void io_zcrx_refill_event(struct io_zcrx_ifq *ifq, struct page_pool *pp,
			  u32 event);
void io_zcrx_refill_fault(struct io_zcrx_ifq *ifq);
void io_zcrx_refill_fdinfo(struct io_zcrx_ifq *ifq, struct seq_file *m);
#else
static inline int io_register_zcrx_refill(struct io_ring_ctx *ctx,
					  void __user *arg,
					  unsigned int nr_args)
{
	return -EOPNOTSUPP;
}
#endif

#endif
