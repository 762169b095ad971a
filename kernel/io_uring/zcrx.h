/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOU_ZCRX_H
#define IOU_ZCRX_H

#include <linux/io_uring_types.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <net/netmem.h>
#include <net/page_pool/types.h>

#include "memmap.h"
#include "zcrx_refill.h"

/* The user memory that payload lands in, carved into one net_iov a page. */
struct io_zcrx_area {
	struct net_iov_area	nia;
	/* Per net_iov: CQEs handed to user space, not yet returned. */
	atomic_t		*user_refs;
	struct page		**pages;
	unsigned long		nr_pages;
	bool			is_mapped;
	u16			area_id;

	/* net_iovs owned by neither a page pool nor user space. */
	spinlock_t		freelist_lock ____cacheline_aligned_in_smp;
	u32			free_count;
	u32			*freelist;
};

/*
 * An interface queue bound to a ring: its area, its refill ring, and the
 * rx queue whose page pools take buffers from them.  The ring holds one
 * reference and each page pool on the queue one: a pool can outlive the
 * ring while skbs still hold its buffers.
 */
struct io_zcrx_ifq {
	struct io_ring_ctx		*ctx;	/* NULL once the ring let go */
	struct io_zcrx_area		*area;
	refcount_t			refs;

	/* The refill ring, read in the pool's alloc path. */
	spinlock_t			rq_lock ____cacheline_aligned_in_smp;
	struct io_uring			*rq_ring;
	struct io_uring_zcrx_rqe	*rqes;
	u32				rq_entries;
	u32				cached_rq_head;
	struct io_mapped_region		region;

	/* The queue; netdev is NULL once unbound or unregistered.  rtnl. */
	u32				if_idx;
	u32				if_rxq;
	struct net_device		*netdev;
	netdevice_tracker		netdev_tracker;
	struct device			*dev;

	/* Who the area is charged to, which may outlive the ring. */
	struct user_struct		*user;
	struct mm_struct		*mm_account;
	unsigned long			acct_pages;

	/* What RECV_ZC delivered; under uring_lock. */
	u64				zc_bytes;
	u64				zc_cqes;
	u64				copy_bytes;
	u64				copy_cqes;

	struct io_zcrx_refill		refill;
	struct work_struct		free_work;
};

#if defined(CONFIG_IO_URING_ZCRX)
int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
			 struct io_uring_zcrx_ifq_reg __user *arg);
void io_shutdown_zcrx_ifqs(struct io_ring_ctx *ctx);
void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx);
int io_recvzc_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_recvzc(struct io_kiocb *req, unsigned int issue_flags);
void *io_zcrx_region_mmap_ptr(struct io_ring_ctx *ctx, size_t sz);
int io_zcrx_region_mmap(struct io_ring_ctx *ctx, struct vm_area_struct *vma);
void io_zcrx_fdinfo(struct io_ring_ctx *ctx, struct seq_file *m);
void io_zcrx_ifq_put(struct io_zcrx_ifq *ifq);
u32 io_zcrx_rq_pending(struct io_zcrx_ifq *ifq);
#else
static inline int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
				       struct io_uring_zcrx_ifq_reg __user *arg)
{
	return -EOPNOTSUPP;
}

static inline void io_shutdown_zcrx_ifqs(struct io_ring_ctx *ctx)
{
}

static inline void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx)
{
}

static inline void *io_zcrx_region_mmap_ptr(struct io_ring_ctx *ctx,
					    size_t sz)
{
	return ERR_PTR(-EINVAL);
}

static inline int io_zcrx_region_mmap(struct io_ring_ctx *ctx,
				      struct vm_area_struct *vma)
{
	return -EINVAL;
}

static inline void io_zcrx_fdinfo(struct io_ring_ctx *ctx, struct seq_file *m)
{
}
#endif

#endif
