// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy receive: a NIC writes payload straight into user memory (the
 * area), RECV_ZC hands it out as CQEs that point into the area, and the
 * application gives buffers back through a refill ring.  The user ABI is
 * that of upstream's first release (6.15); see
 * Documentation/networking/iou-zcrx.rst.
 *
 * The area is a page_pool memory provider bound to one rx queue.  Each page
 * of it is a net_iov with two counts: its pp reference (held by the pool,
 * by skbs, and once per CQE handed out) and its user reference (CQEs the
 * application has not returned).  A refill entry drops one of each; the
 * buffer goes back to the pool when the last pp reference goes.
 *
 * Payload the NIC did not write into the area (the linear part of an skb,
 * frags of other memory, any other device) is copied into a free area
 * buffer: the application reads every byte from the area either way, and
 * the CQE's offset tells which path it took.
 */
#include <linux/kernel.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/io_uring.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/skbuff_ref.h>
#include <net/busy_poll.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/memory_provider.h>
#include <net/rps.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <uapi/linux/io_uring.h>

#include "io_uring.h"
#include "memmap.h"
#include "rsrc.h"
#include "zcrx.h"

#define IO_RQ_MAX_ENTRIES		32768
/* Pages: 64 GiB of 4 KiB pages, per-page arrays within kvmalloc(). */
#define IO_ZCRX_MAX_AREA_PAGES		SZ_16M
/* skbs one RECV_ZC issue reads before it lets other requests run */
#define IO_ZCRX_SKBS_PER_CALL		20
#define IO_ZCRX_DMA_ATTR		(DMA_ATTR_SKIP_CPU_SYNC | \
					 DMA_ATTR_WEAK_ORDERING)
/* Kernel pages a queue may borrow when its area is exhausted (reserve). */
#define IO_ZCRX_RESERVE_MAX		4096
#define IO_ZCRX_LEND_BATCH		16
/* Failing that long with nothing held is a stall: see io_zcrx_stuck(). */
#define IO_ZCRX_STUCK			(HZ / 10)
/* Free buffers the pool leaves to the copy fallback while pages are lent. */
#define IO_ZCRX_COPY_FLOOR		64

static const struct memory_provider_ops io_uring_pp_zc_ops;

static struct io_zcrx_area *io_zcrx_iov_to_area(const struct net_iov *niov)
{
	return container_of(net_iov_owner(niov), struct io_zcrx_area, nia);
}

static atomic_t *io_zcrx_user_refs(const struct net_iov *niov)
{
	return &io_zcrx_iov_to_area(niov)->user_refs[net_iov_idx(niov)];
}

static struct page *io_zcrx_iov_page(const struct net_iov *niov)
{
	return io_zcrx_iov_to_area(niov)->pages[net_iov_idx(niov)];
}

/* ------------------------------------------------------------ the area */

/*
 * The area is charged to RLIMIT_MEMLOCK as upstream does from 6.17 on.
 * The charge is dropped when the area is freed, which can be after the
 * ring is gone, so the ifq holds the user and mm it charged.
 */
static int io_zcrx_account(struct io_zcrx_ifq *ifq, unsigned long nr_pages)
{
	int ret;

	if (ifq->user) {
		ret = __io_account_mem(ifq->user, nr_pages);
		if (ret)
			return ret;
	}
	if (ifq->mm_account)
		atomic64_add(nr_pages, &ifq->mm_account->pinned_vm);
	ifq->acct_pages += nr_pages;
	return 0;
}

static void io_zcrx_unaccount(struct io_zcrx_ifq *ifq)
{
	if (ifq->user)
		__io_unaccount_mem(ifq->user, ifq->acct_pages);
	if (ifq->mm_account)
		atomic64_sub(ifq->acct_pages, &ifq->mm_account->pinned_vm);
	ifq->acct_pages = 0;
}

static void io_zcrx_unmap_area(struct io_zcrx_ifq *ifq,
			       struct io_zcrx_area *area, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		struct net_iov *niov = &area->nia.niovs[i];
		dma_addr_t dma;

		dma = page_pool_get_dma_addr_netmem(net_iov_to_netmem(niov));
		dma_unmap_page_attrs(ifq->dev, dma, PAGE_SIZE, DMA_FROM_DEVICE,
				     IO_ZCRX_DMA_ATTR);
		net_mp_niov_set_dma_addr(niov, 0);
	}
	area->is_mapped = false;
}

/* Map every page of the area for the device to write into. */
static int io_zcrx_map_area(struct io_zcrx_ifq *ifq, struct io_zcrx_area *area)
{
	unsigned long i;

	for (i = 0; i < area->nr_pages; i++) {
		struct net_iov *niov = &area->nia.niovs[i];
		dma_addr_t dma;

		dma = dma_map_page_attrs(ifq->dev, area->pages[i], 0, PAGE_SIZE,
					 DMA_FROM_DEVICE, IO_ZCRX_DMA_ATTR);
		if (dma_mapping_error(ifq->dev, dma))
			break;
		if (net_mp_niov_set_dma_addr(niov, dma)) {
			dma_unmap_page_attrs(ifq->dev, dma, PAGE_SIZE,
					     DMA_FROM_DEVICE, IO_ZCRX_DMA_ATTR);
			break;
		}
	}
	if (i != area->nr_pages) {
		io_zcrx_unmap_area(ifq, area, i);
		return -EINVAL;
	}
	area->is_mapped = true;
	return 0;
}

static void io_zcrx_free_area(struct io_zcrx_ifq *ifq,
			      struct io_zcrx_area *area)
{
	if (area->is_mapped)
		io_zcrx_unmap_area(ifq, area, area->nr_pages);
	if (area->pages) {
		unpin_user_pages(area->pages, area->nr_pages);
		kvfree(area->pages);
	}
	kvfree(area->freelist);
	kvfree(area->nia.niovs);
	kvfree(area->user_refs);
	kfree(area);
}

static int io_zcrx_check_area(const struct io_uring_zcrx_area_reg *reg)
{
	if (reg->flags || reg->rq_area_token || reg->__resv1 ||
	    reg->__resv2[0] || reg->__resv2[1])
		return -EINVAL;
	if (!reg->len || ((reg->addr | reg->len) & ~PAGE_MASK))
		return -EINVAL;
	/* Upstream WARNs on an area this large; here it is bad input. */
	if (reg->len >> PAGE_SHIFT > IO_ZCRX_MAX_AREA_PAGES)
		return -EINVAL;
	return 0;
}

static int io_zcrx_create_area(struct io_zcrx_ifq *ifq,
			       struct io_uring_zcrx_area_reg *reg)
{
	struct io_zcrx_area *area;
	unsigned long i, nr;
	int nr_pinned, ret;

	ret = io_zcrx_check_area(reg);
	if (ret)
		return ret;
	nr = reg->len >> PAGE_SHIFT;
	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area)
		return -ENOMEM;
	spin_lock_init(&area->freelist_lock);

	area->pages = io_pin_pages(reg->addr, reg->len, &nr_pinned);
	if (IS_ERR(area->pages)) {
		ret = PTR_ERR(area->pages);
		area->pages = NULL;
		goto err;
	}
	area->nr_pages = nr_pinned;
	/* Charged once pinned, as 6.17 does: a bad area is -EFAULT. */
	ret = io_zcrx_account(ifq, nr);
	if (ret)
		goto err;

	ret = -ENOMEM;
	area->nia.niovs = kvmalloc_array(nr, sizeof(area->nia.niovs[0]),
					 GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	area->freelist = kvmalloc_array(nr, sizeof(area->freelist[0]),
					GFP_KERNEL_ACCOUNT);
	area->user_refs = kvmalloc_array(nr, sizeof(area->user_refs[0]),
					 GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!area->nia.niovs || !area->freelist || !area->user_refs)
		goto err;

	area->nia.num_niovs = nr;
	area->nia.base_virtual = 0;
	for (i = 0; i < nr; i++) {
		area->nia.niovs[i].owner = &area->nia;
		area->freelist[i] = i;
	}
	area->free_count = nr;
	/* 6.15 has one area per ifq, with id 0. */
	area->area_id = 0;
	reg->rq_area_token = (u64)area->area_id << IORING_ZCRX_AREA_SHIFT;
	ifq->area = area;
	return 0;
err:
	io_zcrx_free_area(ifq, area);
	return ret;
}

static struct net_iov *io_zcrx_get_free(struct io_zcrx_area *area)
{
	lockdep_assert_held(&area->freelist_lock);

	return &area->nia.niovs[area->freelist[--area->free_count]];
}

static void io_zcrx_put_free(struct net_iov *niov)
{
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);

	spin_lock_bh(&area->freelist_lock);
	area->freelist[area->free_count++] = net_iov_idx(niov);
	spin_unlock_bh(&area->freelist_lock);
}

/*
 * A net_iov whose last pp reference is gone, outside its pool's alloc
 * path: to the free list, through its pool if it has one.  Not into the
 * pool's recycle ring: there only the pool's alloc side could reach it,
 * and the copy fallback could starve while the pool hoards buffers it
 * does not need (its NIC ring full of lent pages, say).
 */
static void io_zcrx_return_niov(struct net_iov *niov)
{
	if (!niov->pp) {
		io_zcrx_put_free(niov);
		return;
	}
	net_mp_netmem_release(niov->pp, net_iov_to_netmem(niov));
}

/* A CQE hands @niov to user space. */
static void io_zcrx_get_uref(struct io_zcrx_ifq *ifq, struct net_iov *niov)
{
	atomic_inc(io_zcrx_user_refs(niov));
	atomic_inc(&ifq->refill.user_held);
}

/* Drop one user reference; false if user space held none. */
static bool io_zcrx_put_uref(struct io_zcrx_ifq *ifq, struct net_iov *niov)
{
	if (atomic_dec_if_positive(io_zcrx_user_refs(niov)) < 0)
		return false;
	atomic_dec(&ifq->refill.user_held);
	return true;
}

/*
 * Take back every buffer user space still holds: the ring is going away
 * and nothing will return them.
 */
static void io_zcrx_scrub(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;
	unsigned long i;

	for (i = 0; i < area->nia.num_niovs; i++) {
		struct net_iov *niov = &area->nia.niovs[i];
		int nr = atomic_xchg(&area->user_refs[i], 0);

		if (!nr)
			continue;
		atomic_sub(nr, &ifq->refill.user_held);
		if (!page_pool_unref_netmem(net_iov_to_netmem(niov), nr))
			io_zcrx_return_niov(niov);
	}
}

/* ----------------------------------------------------- the page pool */

static void io_zcrx_sync_for_device(const struct page_pool *pp,
				    struct net_iov *niov)
{
	dma_addr_t dma;

	if (!pp->dma_sync || !dma_dev_need_sync(pp->p.dev))
		return;
	dma = page_pool_get_dma_addr_netmem(net_iov_to_netmem(niov));
	dma_sync_single_range_for_device(pp->p.dev, dma, pp->p.offset,
					 pp->p.max_len, pp->p.dma_dir);
}

/* One refill entry: the net_iov it returns, or NULL if it is garbage. */
static struct net_iov *io_zcrx_rqe_niov(struct io_zcrx_ifq *ifq,
					const struct io_uring_zcrx_rqe *rqe)
{
	struct io_zcrx_area *area = ifq->area;
	u64 off = READ_ONCE(rqe->off);
	u64 idx = (off & ~IORING_ZCRX_AREA_MASK) >> PAGE_SHIFT;

	if (off >> IORING_ZCRX_AREA_SHIFT != area->area_id ||
	    READ_ONCE(rqe->__pad) || idx >= area->nia.num_niovs)
		return NULL;
	idx = array_index_nospec(idx, area->nia.num_niovs);
	return &area->nia.niovs[idx];
}

/*
 * Take back what the application returned.  Into @pp's alloc cache when
 * the buffer is @pp's, and we are its alloc side; the first free buffer
 * into *@keep when the caller wants one for itself; anything else goes
 * to the free list.  Bad entries and buffers the application did not
 * hold are skipped: a buffer returned twice is returned once.  At most
 * @budget entries.
 */
static void io_zcrx_rq_consume(struct io_zcrx_ifq *ifq, struct page_pool *pp,
			       u32 budget, struct net_iov **keep)
{
	u32 mask = ifq->rq_entries - 1;
	u32 head, avail;

	spin_lock_bh(&ifq->rq_lock);
	/* Freed with the ring; a pool a failed unbind left must not read. */
	if (unlikely(!ifq->rq_ring)) {
		spin_unlock_bh(&ifq->rq_lock);
		return;
	}
	head = ifq->cached_rq_head;
	/* Pairs with the application's store-release of the tail. */
	avail = smp_load_acquire(&ifq->rq_ring->tail) - head;
	avail = min3(avail, ifq->rq_entries, budget);

	while (avail--) {
		struct net_iov *niov;
		netmem_ref netmem;

		niov = io_zcrx_rqe_niov(ifq, &ifq->rqes[head++ & mask]);
		if (!niov || !io_zcrx_put_uref(ifq, niov))
			continue;
		netmem = net_iov_to_netmem(niov);
		if (page_pool_unref_netmem(netmem, 1))
			continue;
		if (keep && !*keep) {
			*keep = niov;
			continue;
		}
		/* A pool this queue had before, a copy buffer, or no pool. */
		if (!pp || unlikely(niov->pp != pp)) {
			io_zcrx_return_niov(niov);
			continue;
		}
		io_zcrx_sync_for_device(pp, niov);
		net_mp_netmem_place_in_cache(pp, netmem);
	}
	ifq->cached_rq_head = head;
	/* Entries up to head are read: pairs with the application's load. */
	smp_store_release(&ifq->rq_ring->head, head);
	spin_unlock_bh(&ifq->rq_lock);
}

/* Refill entries the application returned that are not taken back yet. */
u32 io_zcrx_rq_pending(struct io_zcrx_ifq *ifq)
{
	u32 n = 0;

	spin_lock_bh(&ifq->rq_lock);
	if (ifq->rq_ring) {
		/* Pairs with the application's store-release of the tail. */
		n = min(smp_load_acquire(&ifq->rq_ring->tail) -
			ifq->cached_rq_head, ifq->rq_entries);
	}
	spin_unlock_bh(&ifq->rq_lock);
	return n;
}

/* Hand out area buffers no one holds, leaving @keep on the free list. */
static void io_zcrx_take_free(struct page_pool *pp, struct io_zcrx_ifq *ifq,
			      u32 keep)
{
	struct io_zcrx_area *area = ifq->area;

	spin_lock_bh(&area->freelist_lock);
	while (area->free_count > keep &&
	       pp->alloc.count < PP_ALLOC_CACHE_REFILL) {
		struct net_iov *niov = io_zcrx_get_free(area);

		net_mp_niov_set_page_pool(pp, niov);
		io_zcrx_sync_for_device(pp, niov);
		net_mp_netmem_place_in_cache(pp, net_iov_to_netmem(niov));
	}
	spin_unlock_bh(&area->freelist_lock);
}

/*
 * The area is exhausted: lend the pool kernel pages, which RECV_ZC copies
 * into area buffers once the application returns some.  Bounded per
 * queue; TCP's receive buffer bounds what they can hold anyway.
 */
static void io_zcrx_lend(struct page_pool *pp, struct io_zcrx_ifq *ifq,
			 gfp_t gfp)
{
	struct io_zcrx_refill *r = &ifq->refill;

	while (pp->alloc.count < IO_ZCRX_LEND_BATCH) {
		netmem_ref netmem;

		if (atomic_inc_return(&r->reserve) > IO_ZCRX_RESERVE_MAX)
			break;
		netmem = net_mp_page_alloc(pp, gfp);
		if (!netmem)
			break;
		atomic_long_inc(&r->reserve_allocs);
		net_mp_netmem_place_in_cache(pp, netmem);
	}
	/* The increment that found no page, or no room. */
	if (pp->alloc.count < IO_ZCRX_LEND_BATCH)
		atomic_dec(&r->reserve);
}

/*
 * The alloc verdict @v, which took @n refill entries, left the pool
 * without a buffer: take what it held back, as stock refill would have.
 * True if that found one: the verdict would have starved the queue.
 */
static bool io_zcrx_refill_held_back(struct page_pool *pp,
				     struct io_zcrx_ifq *ifq, u32 v, u32 n)
{
	if (n < PP_ALLOC_CACHE_REFILL)
		io_zcrx_rq_consume(ifq, pp, PP_ALLOC_CACHE_REFILL - n, NULL);
	/* The copy fallback's floor, rather than no buffer at all. */
	if (!pp->alloc.count && (v & ZC_REFILL_NO_FREE))
		io_zcrx_take_free(pp, ifq, 0);
	return pp->alloc.count;
}

/* Free buffers the pool leaves to the copy fallback when asked to. */
static u32 io_zcrx_copy_floor(struct io_zcrx_ifq *ifq)
{
	return min_t(u32, IO_ZCRX_COPY_FLOOR, ifq->area->nia.num_niovs / 8);
}

/*
 * Kernel pages are lent, or about to be: data waiting in them can only be
 * delivered by a copy into the area, and if the pool held every area
 * buffer (posted, cached, or in skbs queued behind that data) the stream
 * would deadlock.  So returned buffers go through the free list, where
 * the copy fallback finds them, the pool leaves the last few free ones to
 * it, and lends pages instead, whatever the policy says, until every lent
 * page is back.
 */
static void io_zcrx_refill_lending(struct page_pool *pp,
				   struct io_zcrx_ifq *ifq, u32 n, gfp_t gfp)
{
	io_zcrx_rq_consume(ifq, NULL, n, NULL);
	io_zcrx_take_free(pp, ifq, io_zcrx_copy_floor(ifq));
	if (!pp->alloc.count)
		io_zcrx_lend(pp, ifq, gfp);
}

/*
 * The pool has found no buffer for a while, none is free and the
 * application holds none: every buffer is posted, cached, or in skbs.  If
 * those are out-of-order data, TCP waits for a retransmission that has
 * nowhere to land, for good (its receive buffer is not full, so it prunes
 * nothing).  Not when buffers are merely all posted (a NIC ring larger
 * than the area): data then keeps flowing, and allocations succeed
 * between failures.
 */
static bool io_zcrx_stuck(struct io_zcrx_ifq *ifq)
{
	unsigned long since = READ_ONCE(ifq->refill.fail_since);

	return since && time_after(jiffies, since + IO_ZCRX_STUCK) &&
	       !atomic_read(&ifq->refill.user_held) &&
	       !READ_ONCE(ifq->area->free_count);
}

/*
 * The pool's cache is empty.  The refill policy decides how much comes
 * back from the refill ring and in which order with the free list;
 * returned buffers come first by default, so that the ones the
 * application just touched are reused.  A verdict that leaves the pool
 * without a buffer the area could give is a fault: no policy starves a
 * queue.  0 means the area is exhausted and the NIC drops.
 */
static netmem_ref io_pp_zc_alloc_netmems(struct page_pool *pp, gfp_t gfp)
{
	struct io_zcrx_ifq *ifq = pp->mp_priv;
	u32 v, n;

	if (pp->alloc.count)
		return pp->alloc.cache[--pp->alloc.count];

	v = io_zcrx_decide_alloc(ifq, pp);
	n = v & ZC_REFILL_COUNT_MASK ?: PP_ALLOC_CACHE_REFILL;
	n = min_t(u32, n, PP_ALLOC_CACHE_SIZE);
	if ((v & ZC_REFILL_RESERVE) || atomic_read(&ifq->refill.reserve)) {
		io_zcrx_refill_lending(pp, ifq, n, gfp);
		goto out;
	}
	if (v & ZC_REFILL_FREE_FIRST)
		io_zcrx_take_free(pp, ifq, 0);
	if (!pp->alloc.count)
		io_zcrx_rq_consume(ifq, pp, n, NULL);
	if (!pp->alloc.count)
		io_zcrx_take_free(pp, ifq, v & ZC_REFILL_NO_FREE ?
				  io_zcrx_copy_floor(ifq) : 0);
	if (!pp->alloc.count && v && io_zcrx_refill_held_back(pp, ifq, v, n))
		io_zcrx_refill_fault(ifq);
	if (!pp->alloc.count && io_zcrx_stuck(ifq))
		io_zcrx_lend(pp, ifq, gfp);
out:
	if (!pp->alloc.count) {
		/* The start of a run of failures, for io_zcrx_stuck(). */
		if (!ifq->refill.fail_since)
			WRITE_ONCE(ifq->refill.fail_since, jiffies ?: 1);
		atomic_long_inc(&ifq->refill.alloc_fails);
		io_zcrx_refill_event(ifq, pp, ZC_REFILL_EV_NO_BUFFERS);
		return 0;
	}
	WRITE_ONCE(ifq->refill.fail_since, 0);
	io_zcrx_refill_event(ifq, pp, ZC_REFILL_EV_ALLOC);
	return pp->alloc.cache[--pp->alloc.count];
}

static bool io_pp_zc_release_netmem(struct page_pool *pp, netmem_ref netmem)
{
	struct io_zcrx_ifq *ifq = pp->mp_priv;
	struct net_iov *niov;

	/* A lent page: back to the page allocator. */
	if (!netmem_is_net_iov(netmem)) {
		DEBUG_NET_WARN_ON_ONCE(atomic_read(&ifq->refill.reserve) <= 0);
		atomic_dec(&ifq->refill.reserve);
		return net_mp_page_release(pp, netmem);
	}
	niov = netmem_to_net_iov(netmem);
	net_mp_niov_clear_page_pool(niov);
	io_zcrx_put_free(niov);
	/* Not a page: the pool must not put_page() it. */
	return false;
}

static int io_pp_zc_init(struct page_pool *pp)
{
	struct io_zcrx_ifq *ifq = pp->mp_priv;

	if (WARN_ON_ONCE(!ifq))
		return -EINVAL;
	if (WARN_ON_ONCE(pp->p.dev != ifq->dev))
		return -EINVAL;
	if (!pp->dma_map)
		return -EOPNOTSUPP;
	if (pp->p.order != 0 || pp->p.dma_dir != DMA_FROM_DEVICE)
		return -EOPNOTSUPP;
	refcount_inc(&ifq->refs);
	return 0;
}

static void io_pp_zc_destroy(struct page_pool *pp)
{
	io_zcrx_ifq_put(pp->mp_priv);
}

static int io_pp_nl_fill(void *mp_priv, struct sk_buff *rsp,
			 struct netdev_rx_queue *rxq)
{
	/* 6.12's netdev family has no attribute for an io_uring provider. */
	return 0;
}

/* The netdev is going away (under rtnl): let go of it. */
static void io_pp_uninstall(void *mp_priv, struct netdev_rx_queue *rxq)
{
	struct io_zcrx_ifq *ifq = mp_priv;

	ASSERT_RTNL();
	if (ifq->netdev) {
		netdev_put(ifq->netdev, &ifq->netdev_tracker);
		ifq->netdev = NULL;
	}
	/* Its queues are stopped and their pools gone: nothing DMAs now. */
	if (ifq->area->is_mapped)
		io_zcrx_unmap_area(ifq, ifq->area, ifq->area->nr_pages);
}

static const struct memory_provider_ops io_uring_pp_zc_ops = {
	.alloc_netmems		= io_pp_zc_alloc_netmems,
	.release_netmem		= io_pp_zc_release_netmem,
	.init			= io_pp_zc_init,
	.destroy		= io_pp_zc_destroy,
	.nl_fill		= io_pp_nl_fill,
	.uninstall		= io_pp_uninstall,
};

/* ------------------------------------------------------------ the ifq */

static void io_zcrx_ifq_free_work(struct work_struct *work)
{
	struct io_zcrx_ifq *ifq = container_of(work, struct io_zcrx_ifq,
					       free_work);

	if (ifq->area)
		io_zcrx_free_area(ifq, ifq->area);
	io_zcrx_unaccount(ifq);
	io_zcrx_refill_release(ifq);
	if (ifq->dev)
		put_device(ifq->dev);
	if (ifq->user)
		free_uid(ifq->user);
	if (ifq->mm_account)
		mmdrop(ifq->mm_account);
	kfree(ifq);
}

/*
 * The last reference can go in softirq, with a pool's last buffer;
 * unpinning and unmapping the area waits for process context.
 */
void io_zcrx_ifq_put(struct io_zcrx_ifq *ifq)
{
	if (refcount_dec_and_test(&ifq->refs))
		queue_work(system_unbound_wq, &ifq->free_work);
}

static struct io_zcrx_ifq *io_zcrx_ifq_alloc(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq = kzalloc(sizeof(*ifq), GFP_KERNEL_ACCOUNT);

	if (!ifq)
		return NULL;
	ifq->ctx = ctx;
	refcount_set(&ifq->refs, 1);
	spin_lock_init(&ifq->rq_lock);
	INIT_WORK(&ifq->free_work, io_zcrx_ifq_free_work);
	if (ctx->user)
		ifq->user = get_uid(ctx->user);
	if (ctx->mm_account) {
		mmgrab(ctx->mm_account);
		ifq->mm_account = ctx->mm_account;
	}
	return ifq;
}

/* The refill ring: a struct io_uring header, then the entries. */
static int io_zcrx_create_rq(struct io_zcrx_ifq *ifq,
			     struct io_uring_zcrx_ifq_reg *reg,
			     struct io_uring_region_desc *rd)
{
	size_t off = sizeof(struct io_uring), size;
	int ret;

	size = off + sizeof(struct io_uring_zcrx_rqe) * reg->rq_entries;
	if (size > rd->size)
		return -EINVAL;
	ret = io_create_region(ifq->ctx, &ifq->region, rd,
			       IORING_MAP_OFF_ZCRX_REGION);
	if (ret)
		return ret;
	ifq->rq_ring = ifq->region.ptr;
	ifq->rqes = ifq->region.ptr + off;
	ifq->rq_entries = reg->rq_entries;

	reg->offsets.head = offsetof(struct io_uring, head);
	reg->offsets.tail = offsetof(struct io_uring, tail);
	reg->offsets.rqes = off;
	return 0;
}

static int io_zcrx_check_reg(struct io_ring_ctx *ctx,
			     struct io_uring_zcrx_ifq_reg *reg)
{
	if (memchr_inv(reg->__resv, 0, sizeof(reg->__resv)) || reg->__resv2 ||
	    reg->zcrx_id || reg->flags)
		return -EINVAL;
	if (reg->if_rxq == -1 || !reg->rq_entries)
		return -EINVAL;
	if (reg->rq_entries > IO_RQ_MAX_ENTRIES) {
		if (!(ctx->flags & IORING_SETUP_CLAMP))
			return -EINVAL;
		reg->rq_entries = IO_RQ_MAX_ENTRIES;
	}
	reg->rq_entries = roundup_pow_of_two(reg->rq_entries);
	return 0;
}

/*
 * Find the device, map the area for it, and bind the provider to its
 * queue.  Only the binding takes rtnl: mapping a large area takes a while.
 */
static int io_zcrx_bind(struct io_zcrx_ifq *ifq, u32 if_idx)
{
	struct pp_memory_provider_params p = {
		.mp_ops		= &io_uring_pp_zc_ops,
		.mp_priv	= ifq,
	};
	int ret;

	ifq->netdev = netdev_get_by_index(current->nsproxy->net_ns, if_idx,
					  &ifq->netdev_tracker, GFP_KERNEL);
	if (!ifq->netdev)
		return -ENODEV;
	ret = -EOPNOTSUPP;
	if (!ifq->netdev->dev.parent)
		goto err;
	ifq->dev = get_device(ifq->netdev->dev.parent);
	ret = io_zcrx_map_area(ifq, ifq->area);
	if (ret)
		goto err;

	rtnl_lock();
	ret = net_mp_open_rxq(ifq->netdev, ifq->if_rxq, &p, NULL);
	rtnl_unlock();
	if (!ret)
		return 0;
err:
	netdev_put(ifq->netdev, &ifq->netdev_tracker);
	ifq->netdev = NULL;
	return ret;
}

/* Unbind the queue, if it is still bound, so it can be bound again. */
static void io_zcrx_unbind(struct io_zcrx_ifq *ifq)
{
	struct pp_memory_provider_params p = {
		.mp_ops		= &io_uring_pp_zc_ops,
		.mp_priv	= ifq,
	};

	rtnl_lock();
	if (ifq->netdev) {
		net_mp_close_rxq(ifq->netdev, ifq->if_rxq, &p);
		netdev_put(ifq->netdev, &ifq->netdev_tracker);
		ifq->netdev = NULL;
	}
	rtnl_unlock();
}

/**
 * io_register_zcrx_ifq() - IORING_REGISTER_ZCRX_IFQ
 * @ctx: the ring, with uring_lock held
 * @arg: struct io_uring_zcrx_ifq_reg, updated with what the kernel chose
 *
 * Checks in upstream's order, so that bad input gets upstream's errno.
 * Return: 0 or -errno; on error nothing stays registered or charged.
 */
int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
			 struct io_uring_zcrx_ifq_reg __user *arg)
{
	struct io_uring_zcrx_area_reg area;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_region_desc rd;
	struct io_zcrx_ifq *ifq;
	int ret;

	lockdep_assert_held(&ctx->uring_lock);

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	/* RECV_ZC posts CQEs from its issue, which only these rings allow. */
	if (!(ctx->flags & IORING_SETUP_DEFER_TASKRUN) ||
	    !(ctx->flags & IORING_SETUP_CQE32))
		return -EINVAL;
	if (ctx->ifq)
		return -EBUSY;
	if (copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (copy_from_user(&rd, u64_to_user_ptr(reg.region_ptr), sizeof(rd)))
		return -EFAULT;
	ret = io_zcrx_check_reg(ctx, &reg);
	if (ret)
		return ret;
	if (copy_from_user(&area, u64_to_user_ptr(reg.area_ptr), sizeof(area)))
		return -EFAULT;

	ifq = io_zcrx_ifq_alloc(ctx);
	if (!ifq)
		return -ENOMEM;
	ret = io_zcrx_refill_init(ifq);
	if (ret)
		goto err;
	ret = io_zcrx_create_rq(ifq, &reg, &rd);
	if (ret)
		goto err;
	ret = io_zcrx_create_area(ifq, &area);
	if (ret)
		goto err;
	ifq->if_idx = reg.if_idx;
	ifq->if_rxq = reg.if_rxq;
	ret = io_zcrx_bind(ifq, reg.if_idx);
	if (ret)
		goto err;

	reg.zcrx_id = 0;
	if (copy_to_user(arg, &reg, sizeof(reg)) ||
	    copy_to_user(u64_to_user_ptr(reg.region_ptr), &rd, sizeof(rd)) ||
	    copy_to_user(u64_to_user_ptr(reg.area_ptr), &area, sizeof(area))) {
		ret = -EFAULT;
		goto err_unbind;
	}
	/* Published last: mmap() finds the region through it. */
	smp_store_release(&ctx->ifq, ifq);
	return 0;

err_unbind:
	io_zcrx_unbind(ifq);
err:
	io_zcrx_refill_shutdown(ifq);
	io_free_region(ctx, &ifq->region);
	ifq->ctx = NULL;
	io_zcrx_ifq_put(ifq);
	return ret;
}

/**
 * io_shutdown_zcrx_ifqs() - the ring is closing: unbind and take back
 * @ctx: the ring
 *
 * Runs as the ring closes, not when it is freed: the queue is free to be
 * bound again as soon as close() or exit returns, although skbs may still
 * hold area buffers (their pool keeps the area until they return).
 */
void io_shutdown_zcrx_ifqs(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq = ctx->ifq;

	lockdep_assert_held(&ctx->uring_lock);

	if (!ifq)
		return;
	io_zcrx_refill_shutdown(ifq);
	io_zcrx_unbind(ifq);
	io_zcrx_scrub(ifq);
}

/**
 * io_unregister_zcrx_ifqs() - the ring is being freed
 * @ctx: the ring; every request on it has completed
 */
void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq = ctx->ifq;

	lockdep_assert_held(&ctx->uring_lock);

	if (!ifq)
		return;
	ctx->ifq = NULL;
	io_zcrx_refill_shutdown(ifq);
	/* Requests that ran after the shutdown may hold buffers again. */
	io_zcrx_unbind(ifq);
	io_zcrx_scrub(ifq);
	spin_lock_bh(&ifq->rq_lock);
	ifq->rq_ring = NULL;
	ifq->rqes = NULL;
	spin_unlock_bh(&ifq->rq_lock);
	io_free_region(ctx, &ifq->region);
	ifq->ctx = NULL;
	io_zcrx_ifq_put(ifq);
}

void *io_zcrx_region_mmap_ptr(struct io_ring_ctx *ctx, size_t sz)
{
	/* Pairs with the store-release that published a complete ifq. */
	struct io_zcrx_ifq *ifq = smp_load_acquire(&ctx->ifq);

	if (!ifq || ifq->region.user || !ifq->region.ptr ||
	    sz > (size_t)ifq->region.nr_pages << PAGE_SHIFT)
		return ERR_PTR(-EINVAL);
	return ifq->region.ptr;
}

int io_zcrx_region_mmap(struct io_ring_ctx *ctx, struct vm_area_struct *vma)
{
	/* Pairs with the store-release that published a complete ifq. */
	struct io_zcrx_ifq *ifq = smp_load_acquire(&ctx->ifq);
	unsigned long nr = vma_pages(vma);

	if (!ifq || nr > ifq->region.nr_pages)
		return -EINVAL;
	return io_uring_mmap_pages(ctx, vma, ifq->region.pages, nr);
}

void io_zcrx_fdinfo(struct io_ring_ctx *ctx, struct seq_file *m)
{
	struct io_zcrx_ifq *ifq = ctx->ifq;
	struct io_zcrx_area *area;
	unsigned long long held = 0;
	unsigned long i;

	lockdep_assert_held(&ctx->uring_lock);

	if (!ifq)
		return;
	area = ifq->area;
	seq_printf(m, "ZcrxIfq:\tif_idx %u rxq %u bound %d\n", ifq->if_idx,
		   ifq->if_rxq, !!READ_ONCE(ifq->netdev));
	for (i = 0; i < area->nr_pages; i++)
		held += atomic_read(&area->user_refs[i]);
	seq_printf(m, "ZcrxArea:\t%lu pages, %u free, %llu held by user\n",
		   area->nr_pages, READ_ONCE(area->free_count), held);
	seq_printf(m, "ZcrxZeroCopy:\t%llu bytes in %llu cqes\n",
		   ifq->zc_bytes, ifq->zc_cqes);
	seq_printf(m, "ZcrxCopied:\t%llu bytes in %llu cqes\n",
		   ifq->copy_bytes, ifq->copy_cqes);
	io_zcrx_refill_fdinfo(ifq, m);
}

/* ------------------------------------------------------------ delivery */

struct io_recvzc {
	struct file			*file;
	u16				flags;
	u32				len;	/* bytes left; 0: no limit */
	struct io_zcrx_ifq		*ifq;
};

struct io_zcrx_args {
	struct io_kiocb		*req;
	struct io_zcrx_ifq	*ifq;
	unsigned int		nr_skbs;
	int			err;	/* why delivery stopped short */
};

/*
 * Post a CQE for @len bytes at @off in @niov.  Written into the CQ from
 * the issuing task, under uring_lock, and committed with the batch; it
 * never goes to the overflow list, so a full CQ ends the request.
 */
static bool io_zcrx_post(struct io_kiocb *req, struct net_iov *niov,
			 unsigned int off, unsigned int len, bool copied)
{
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);
	struct io_ring_ctx *ctx = req->ctx;
	struct io_uring_zcrx_cqe *rcqe;
	struct io_uring_cqe *cqe;

	lockdep_assert_held(&ctx->uring_lock);

	ctx->submit_state.cq_flush = true;
	if (!io_get_cqe(ctx, &cqe))
		return false;
	/* A CQE no SQE accounts for: IOSQE_IO_DRAIN must count it. */
	ctx->cq_extra++;
	cqe->user_data = req->cqe.user_data;
	cqe->res = len;
	cqe->flags = IORING_CQE_F_MORE;
	rcqe = (struct io_uring_zcrx_cqe *)(cqe + 1);
	rcqe->off = ((u64)area->area_id << IORING_ZCRX_AREA_SHIFT) |
		    ((u64)net_iov_idx(niov) << PAGE_SHIFT) | off;
	rcqe->__pad = copied ? IORING_ZCRX_CQE_COPIED : 0;
	return true;
}

static struct net_iov *io_zcrx_get_free_locked(struct io_zcrx_area *area)
{
	struct net_iov *niov = NULL;

	spin_lock_bh(&area->freelist_lock);
	if (area->free_count)
		niov = io_zcrx_get_free(area);
	spin_unlock_bh(&area->freelist_lock);
	return niov;
}

/*
 * An area buffer for copied payload: a free one, or else one the
 * application returned.  On a queue with no traffic of its own (loopback,
 * another device) the pool never reads the refill ring, and copy buffers
 * would never come back.  A returned buffer may still belong to a pool
 * (it carried zero-copy data before): it is used as it is, and goes back
 * to that pool when returned again.
 */
static struct net_iov *io_zcrx_alloc_copy_buf(struct io_zcrx_ifq *ifq)
{
	struct net_iov *niov = io_zcrx_get_free_locked(ifq->area);

	if (!niov)
		io_zcrx_rq_consume(ifq, NULL, PP_ALLOC_CACHE_REFILL, &niov);
	if (!niov)
		niov = io_zcrx_get_free_locked(ifq->area);
	if (niov)
		page_pool_fragment_netmem(net_iov_to_netmem(niov), 1);
	return niov;
}

/*
 * Copy @len bytes at @off in @page (which may be compound) into area
 * buffers, a page each.  Return: bytes delivered, or -errno if none.
 */
static int io_zcrx_copy(struct io_zcrx_args *args, struct page *page,
			unsigned int off, unsigned int len)
{
	struct io_zcrx_ifq *ifq = args->ifq;
	unsigned int done = 0;

	/* Before it may fail for want of a buffer: then most of all. */
	io_zcrx_refill_event(ifq, NULL, ZC_REFILL_EV_COPY);
	while (done < len) {
		struct net_iov *niov = io_zcrx_alloc_copy_buf(ifq);
		unsigned int n = min(len - done, (unsigned int)PAGE_SIZE);
		unsigned int src = off + done;
		unsigned int chunk;
		void *dst;

		if (!niov) {
			args->err = -ENOMEM;
			return done ? done : -ENOMEM;
		}
		dst = kmap_local_page(io_zcrx_iov_page(niov));
		/* Source pages one at a time: they may be highmem. */
		for (chunk = 0; chunk < n; ) {
			struct page *sp = page + ((src + chunk) >> PAGE_SHIFT);
			unsigned int so = offset_in_page(src + chunk);
			unsigned int c = min(n - chunk,
					     (unsigned int)PAGE_SIZE - so);
			void *s = kmap_local_page(sp);

			memcpy(dst + chunk, s + so, c);
			kunmap_local(s);
			chunk += c;
		}
		kunmap_local(dst);

		if (!io_zcrx_post(args->req, niov, 0, n, true)) {
			io_zcrx_return_niov(niov);
			args->err = -ENOSPC;
			return done ? done : -ENOSPC;
		}
		io_zcrx_get_uref(ifq, niov);
		/* Policies read it from NAPI. */
		WRITE_ONCE(ifq->copy_bytes, ifq->copy_bytes + n);
		ifq->copy_cqes++;
		done += n;
	}
	return done;
}

static bool io_zcrx_niov_is_ours(struct io_zcrx_ifq *ifq, struct net_iov *niov)
{
	struct page_pool *pp = niov->pp;

	return pp && pp->mp_ops == &io_uring_pp_zc_ops && pp->mp_priv == ifq;
}

/* @len bytes at @off in @frag.  Return: bytes delivered, or -errno. */
static int io_zcrx_frag(struct io_zcrx_args *args, const skb_frag_t *frag,
			unsigned int off, unsigned int len)
{
	netmem_ref netmem = skb_frag_netmem(frag);
	struct io_zcrx_ifq *ifq = args->ifq;
	struct net_iov *niov;

	off += skb_frag_off(frag);
	if (!netmem_is_net_iov(netmem))
		return io_zcrx_copy(args, netmem_to_page(netmem), off, len);

	niov = netmem_to_net_iov(netmem);
	/* Another provider's memory: not ours to hand out, nor to read. */
	if (!io_zcrx_niov_is_ours(ifq, niov)) {
		args->err = -EFAULT;
		return -EFAULT;
	}
	if (!io_zcrx_post(args->req, niov, off, len, false)) {
		args->err = -ENOSPC;
		return -ENOSPC;
	}
	/* The CQE's references: dropped by a refill entry, or the scrub. */
	page_pool_ref_netmem(netmem);
	io_zcrx_get_uref(ifq, niov);
	WRITE_ONCE(ifq->zc_bytes, ifq->zc_bytes + len);
	ifq->zc_cqes++;
	return len;
}

static int io_zcrx_deliver(struct io_zcrx_args *args, struct sk_buff *skb,
			   unsigned int off, unsigned int len);

/*
 * Where the bytes still to deliver, [@from, @from + @left), meet a piece
 * of the skb at [@start, @end): the offset into the piece and the length.
 */
static bool io_zcrx_piece(unsigned int start, unsigned int end,
			  unsigned int from, unsigned int left,
			  unsigned int *o, unsigned int *n)
{
	if (!left || from >= end)
		return false;
	*o = from - start;
	*n = min(end - from, left);
	return true;
}

/* Count what a piece delivered; true if delivery stops here. */
static bool io_zcrx_stop(int ret, unsigned int n, unsigned int *done)
{
	if (ret < 0)
		return true;
	*done += ret;
	return ret < n;
}

/*
 * Hand out [off, off + len) of @skb: its linear part (copied), its frags
 * (zero-copy when they are this ifq's), and its frag list.
 * Return: bytes delivered, or -errno if none could be.
 */
static int io_zcrx_deliver(struct io_zcrx_args *args, struct sk_buff *skb,
			   unsigned int off, unsigned int len)
{
	unsigned int done = 0, start = 0, end, o, n;
	struct sk_buff *iter;
	int i, ret = 0;

	/* The linear part: headers header split left there, or payload. */
	end = skb_headlen(skb);
	if (io_zcrx_piece(start, end, off, len, &o, &n)) {
		ret = io_zcrx_copy(args, virt_to_page(skb->data),
				   offset_in_page(skb->data) + o, n);
		if (io_zcrx_stop(ret, n, &done))
			return done ?: ret;
	}
	start = end;

	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		end = start + skb_frag_size(frag);
		if (io_zcrx_piece(start, end, off + done, len - done, &o, &n)) {
			ret = io_zcrx_frag(args, frag, o, n);
			if (io_zcrx_stop(ret, n, &done))
				return done ?: ret;
		}
		start = end;
	}

	skb_walk_frags(skb, iter) {
		end = start + iter->len;
		if (io_zcrx_piece(start, end, off + done, len - done, &o, &n)) {
			ret = io_zcrx_deliver(args, iter, o, n);
			if (io_zcrx_stop(ret, n, &done))
				return done ?: ret;
		}
		start = end;
	}
	return done;
}

/*
 * RECV_ZC posted completions: the application may have returned buffers
 * since it last waited.  Take back what the policy says, onto the free
 * list, where the pool's next refill and the copy fallback find them.
 */
static void io_zcrx_refill_ahead(struct io_zcrx_ifq *ifq)
{
	u32 n = io_zcrx_decide_ahead(ifq);

	if (n)
		io_zcrx_rq_consume(ifq, NULL, n, NULL);
	io_zcrx_refill_event(ifq, NULL, ZC_REFILL_EV_RECV);
}

/* tcp_read_sock()'s actor. */
static int io_zcrx_recv_skb(read_descriptor_t *desc, struct sk_buff *skb,
			    unsigned int off, size_t len)
{
	struct io_zcrx_args *args = desc->arg.data;
	int ret;

	len = min_t(size_t, len, desc->count);
	/* tcp_read_sock() asks once more after the limit is reached. */
	if (!len)
		return 0;
	if (args->nr_skbs++ >= IO_ZCRX_SKBS_PER_CALL)
		return -EAGAIN;
	ret = io_zcrx_deliver(args, skb, off, len);
	if (ret > 0)
		desc->count -= ret;
	return ret;
}

static int io_zcrx_tcp_recv(struct io_kiocb *req, struct io_zcrx_ifq *ifq,
			    struct sock *sk, unsigned int issue_flags,
			    u32 *limit)
{
	struct io_zcrx_args args = { .req = req, .ifq = ifq };
	read_descriptor_t desc = {
		.count		= *limit ?: UINT_MAX,
		.arg.data	= &args,
	};
	int ret, read;

	lock_sock(sk);
	ret = tcp_read_sock(sk, &desc, io_zcrx_recv_skb);
	read = ret;
	if (*limit && ret > 0)
		*limit -= ret;
	if (ret > 0) {
		/*
		 * Stopped by a full CQ or an exhausted area: end now, as no
		 * wakeup may come for what is already queued.  Otherwise more
		 * may be queued: let others run, then come back.
		 */
		if (args.err)
			ret = args.err;
		else if (args.nr_skbs > IO_ZCRX_SKBS_PER_CALL ||
			 sock_flag(sk, SOCK_DONE))
			ret = IOU_REQUEUE;
	} else if ((!ret || ret == -EAGAIN) && !sock_flag(sk, SOCK_DONE)) {
		if (sk->sk_err)
			ret = sock_error(sk);
		else if (sk->sk_shutdown & RCV_SHUTDOWN)
			ret = 0;
		else if (sk->sk_state == TCP_CLOSE)
			ret = -ENOTCONN;
		else
			ret = -EAGAIN;
	}
	release_sock(sk);
	if (read > 0)
		io_zcrx_refill_ahead(ifq);
	return ret;
}

int io_recvzc_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe)
{
	struct io_recvzc *zc = io_kiocb_to_cmd(req, struct io_recvzc);

	if (READ_ONCE(sqe->addr) || READ_ONCE(sqe->addr2) ||
	    READ_ONCE(sqe->addr3) || READ_ONCE(sqe->msg_flags))
		return -EINVAL;
	/* 6.15 has one ifq per ring, and its zcrx_id is 0. */
	if (READ_ONCE(sqe->zcrx_ifq_idx) != 0)
		return -EINVAL;
	zc->ifq = req->ctx->ifq;
	if (!zc->ifq)
		return -EINVAL;
	zc->len = READ_ONCE(sqe->len);
	zc->flags = READ_ONCE(sqe->ioprio);
	if (zc->flags & ~(IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT))
		return -EINVAL;
	/* Data arrives only as CQEs with F_MORE. */
	if (!(zc->flags & IORING_RECV_MULTISHOT))
		return -EINVAL;
	req->flags |= REQ_F_APOLL_MULTISHOT;
	return 0;
}

int io_recvzc(struct io_kiocb *req, unsigned int issue_flags)
{
	struct io_recvzc *zc = io_kiocb_to_cmd(req, struct io_recvzc);
	bool mshot = issue_flags & IO_URING_F_MULTISHOT;
	u32 limit = zc->len;
	struct socket *sock;
	int ret;

	if (!(req->flags & REQ_F_POLLED) &&
	    (zc->flags & IORING_RECVSEND_POLL_FIRST))
		return -EAGAIN;
	/*
	 * CQEs are written straight into the CQ, which only the submitter
	 * may do: from io-wq, arm poll and come back in the task.
	 */
	if (issue_flags & IO_URING_F_UNLOCKED)
		return -EAGAIN;

	sock = sock_from_file(req->file);
	if (unlikely(!sock))
		return -ENOTSOCK;
	if (READ_ONCE(sock->sk->sk_prot)->recvmsg != tcp_recvmsg)
		return -EPROTONOSUPPORT;
	sock_rps_record_flow(sock->sk);

	ret = io_zcrx_tcp_recv(req, zc->ifq, sock->sk, issue_flags, &limit);
	if (zc->len && !limit) {
		/* The limit is reached: done. */
		io_req_set_res(req, 0, 0);
		return mshot ? IOU_STOP_MULTISHOT : IOU_OK;
	}
	zc->len = limit;
	if (ret == IOU_REQUEUE)
		return mshot ? IOU_REQUEUE : -EAGAIN;
	if (ret > 0 || ret == -EAGAIN)
		return mshot ? IOU_ISSUE_SKIP_COMPLETE : -EAGAIN;
	/* EOF (0), a full CQ (-ENOSPC), no buffer (-ENOMEM), or an error */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	/* As upstream: links of a request that ended, even at EOF, fail. */
	req_set_fail(req);
	io_req_set_res(req, ret, 0);
	return mshot ? IOU_STOP_MULTISHOT : IOU_OK;
}
