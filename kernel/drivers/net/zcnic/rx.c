// SPDX-License-Identifier: GPL-2.0
/*
 * zcnic receive: rx rings of head and data buffers, NAPI, and the
 * queue_mgmt_ops that let the core restart one queue onto a memory provider.
 *
 * Each rx ring has two page pools.  Head buffers come from a pool of kernel
 * pages and become the skb head, so headers are always readable.  Data
 * buffers come from a pool created with PP_FLAG_ALLOW_UNREADABLE_NETMEM:
 * when the queue has a memory provider, page_pool_init() hands the pool to
 * it and the buffers are the provider's net_iovs.
 */
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/netdev_queues.h>
#include <net/page_pool/helpers.h>

#include "zcnic.h"

static struct page_pool *zcnic_pool_create(struct zcnic_priv *priv,
					   unsigned int idx, bool data)
{
	struct page_pool_params pp = {
		.flags		= PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
		.order		= 0,
		.pool_size	= priv->rx_ring_size,
		.nid		= NUMA_NO_NODE,
		.dev		= priv->dmadev,
		.napi		= &priv->rxq[idx].napi,
		.netdev		= priv->netdev,
		.dma_dir	= DMA_FROM_DEVICE,
		.max_len	= PAGE_SIZE,
		.offset		= 0,
	};

	if (data) {
		pp.flags |= PP_FLAG_ALLOW_UNREADABLE_NETMEM;
		pp.queue_idx = idx;
	}
	return page_pool_create(&pp);
}

/* Post free buffers to the device.  Runs in NAPI, or before the queue
 * starts; either way the only user of the pools' alloc side.  Returns
 * how many allocations failed: the ring is short of buffers.
 */
static u32 zcnic_rx_refill(struct zcnic_rxq *q, struct zcnic_rx_ring *ring)
{
	u32 mask = ring->size - 1;
	u32 dpost = ring->data_post, hpost = ring->head_post;
	u32 fails = 0;

	while (dpost - ring->data_clean < ring->size) {
		struct zcnic_data_desc *d = &ring->data[dpost & mask];
		netmem_ref netmem;

		netmem = page_pool_alloc_netmems(ring->data_pool, GFP_ATOMIC);
		if (!netmem) {
			fails++;
			break;
		}
		d->netmem = netmem;
		d->dma = page_pool_get_dma_addr_netmem(netmem);
		dpost++;
	}

	while (hpost - ring->head_clean < ring->size) {
		struct zcnic_head_desc *h = &ring->head[hpost & mask];
		unsigned int off;
		struct page *page;

		page = page_pool_dev_alloc_frag(ring->head_pool, &off,
						ZCNIC_HEAD_BUF);
		if (!page) {
			fails++;
			break;
		}
		h->page = page;
		h->offset = off;
		h->dma = page_pool_get_dma_addr(page) + off;
		hpost++;
	}

	spin_lock(&q->lock);
	ring->data_post = dpost;
	ring->head_post = hpost;
	spin_unlock(&q->lock);

	if (fails) {
		u64_stats_update_begin(&q->stats.syncp);
		u64_stats_add(&q->stats.alloc_fail, fails);
		u64_stats_update_end(&q->stats.syncp);
	}
	return fails;
}

struct zcnic_rx_ring *zcnic_rx_ring_alloc(struct zcnic_priv *priv,
					  unsigned int idx)
{
	struct zcnic_rx_ring *ring;
	int err = -ENOMEM;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	ring->q = &priv->rxq[idx];
	ring->size = priv->rx_ring_size;

	ring->data = kvcalloc(ring->size, sizeof(*ring->data), GFP_KERNEL);
	ring->head = kvcalloc(ring->size, sizeof(*ring->head), GFP_KERNEL);
	ring->cq = kvcalloc(ring->size, sizeof(*ring->cq), GFP_KERNEL);
	if (!ring->data || !ring->head || !ring->cq)
		goto err_free;

	ring->head_pool = zcnic_pool_create(priv, idx, false);
	if (IS_ERR(ring->head_pool)) {
		err = PTR_ERR(ring->head_pool);
		ring->head_pool = NULL;
		goto err_free;
	}
	ring->data_pool = zcnic_pool_create(priv, idx, true);
	if (IS_ERR(ring->data_pool)) {
		err = PTR_ERR(ring->data_pool);
		ring->data_pool = NULL;
		goto err_free;
	}

	/* Nobody else uses the new pools yet; BH off as NAPI would have. */
	local_bh_disable();
	zcnic_rx_refill(&priv->rxq[idx], ring);
	local_bh_enable();
	return ring;

err_free:
	zcnic_rx_ring_free(ring);
	return ERR_PTR(err);
}

/*
 * The pools are tied to the queue's NAPI for direct recycling, and
 * page_pool_destroy() insists that NAPI cannot run.  A ring that was
 * started got cut loose when it stopped.  One that never started (a queue
 * restart that failed after allocating it) may sit beside a live NAPI,
 * which never saw its pages: quiesce NAPI for as long as cutting takes.
 */
static void zcnic_rx_ring_unlink_napi(struct zcnic_rx_ring *ring)
{
	struct zcnic_rxq *q = ring->q;

	ASSERT_RTNL();

	if (ring->started)
		return;
	if (q->napi_on)
		napi_disable(&q->napi);
	if (ring->data_pool)
		page_pool_disable_direct_recycling(ring->data_pool);
	if (ring->head_pool)
		page_pool_disable_direct_recycling(ring->head_pool);
	if (q->napi_on) {
		napi_enable(&q->napi);
		/* A refill retry that fired meanwhile found NAPI off. */
		local_bh_disable();
		napi_schedule(&q->napi);
		local_bh_enable();
	}
}

/* Give every buffer the driver or device still holds back to its pool. */
void zcnic_rx_ring_free(struct zcnic_rx_ring *ring)
{
	u32 mask = ring->size - 1, i;

	zcnic_rx_ring_unlink_napi(ring);

	for (i = ring->data_clean; i != ring->data_post; i++)
		page_pool_put_full_netmem(ring->data_pool,
					  ring->data[i & mask].netmem, false);
	for (i = ring->head_clean; i != ring->head_post; i++)
		page_pool_put_full_page(ring->head_pool,
					ring->head[i & mask].page, false);

	if (ring->data_pool)
		page_pool_destroy(ring->data_pool);
	if (ring->head_pool)
		page_pool_destroy(ring->head_pool);
	kvfree(ring->cq);
	kvfree(ring->head);
	kvfree(ring->data);
	kfree(ring);
}

static void zcnic_rx_drop(struct zcnic_rx_ring *ring,
			  const struct zcnic_cqe *cqe)
{
	u32 mask = ring->size - 1;
	unsigned int i;

	page_pool_put_full_page(ring->head_pool,
				ring->head[ring->head_clean & mask].page, true);
	for (i = 0; i < cqe->ndata; i++) {
		u32 slot = (ring->data_clean + i) & mask;

		page_pool_put_full_netmem(ring->data_pool,
					  ring->data[slot].netmem, true);
	}
}

static struct sk_buff *zcnic_rx_build(struct zcnic_rxq *q,
				      struct zcnic_rx_ring *ring,
				      const struct zcnic_cqe *cqe)
{
	struct zcnic_head_desc *h = &ring->head[ring->head_clean &
						(ring->size - 1)];
	struct net_device *dev = q->priv->netdev;
	u32 left = cqe->len - cqe->head_len;
	struct sk_buff *skb;
	unsigned int i;

	page_pool_dma_sync_for_cpu(ring->head_pool, h->page,
				   h->offset + ZCNIC_HEADROOM, cqe->head_len);
	skb = napi_build_skb(page_address(h->page) + h->offset,
			     ZCNIC_HEAD_BUF);
	if (unlikely(!skb))
		return NULL;
	skb_mark_for_recycle(skb);
	skb_reserve(skb, ZCNIC_HEADROOM);
	__skb_put(skb, cqe->head_len);

	for (i = 0; i < cqe->ndata; i++) {
		struct zcnic_data_desc *d;
		u32 len = min_t(u32, left, PAGE_SIZE);

		d = &ring->data[(ring->data_clean + i) & (ring->size - 1)];
		/* A provider's net_iov is not the CPU's to read. */
		if (!netmem_is_net_iov(d->netmem))
			page_pool_dma_sync_netmem_for_cpu(ring->data_pool,
							  d->netmem, 0, len);
		skb_add_rx_frag_netmem(skb, i, d->netmem, 0, len, PAGE_SIZE);
		left -= len;
	}

	skb->protocol = eth_type_trans(skb, dev);
	skb_record_rx_queue(skb, q->idx);
	if (cqe->csum_ok && (dev->features & NETIF_F_RXCSUM))
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (dev->features & NETIF_F_RXHASH)
		skb_set_hash(skb, cqe->hash, cqe->l4_hash ? PKT_HASH_TYPE_L4 :
			     PKT_HASH_TYPE_L3);
	if (cqe->gso_size) {
		u32 segs = DIV_ROUND_UP(cqe->len - cqe->head_len,
					cqe->gso_size);

		skb_shinfo(skb)->gso_size = cqe->gso_size;
		skb_shinfo(skb)->gso_type = cqe->gso_type;
		skb_shinfo(skb)->gso_segs = max_t(u32, 1, segs);
	}
	return skb;
}

void zcnic_refill_timer(struct timer_list *t)
{
	struct zcnic_rxq *q = from_timer(q, t, refill_timer);

	/* Nothing if NAPI is disabled: the queue is stopping. */
	napi_schedule(&q->napi);
}

int zcnic_poll(struct napi_struct *napi, int budget)
{
	struct zcnic_rxq *q = container_of(napi, struct zcnic_rxq, napi);
	struct zcnic_rx_ring *ring = q->ring;
	u64 bytes = 0;
	int done = 0;
	u32 prod;

	spin_lock(&q->lock);
	prod = ring->cq_prod;
	spin_unlock(&q->lock);

	while (done < budget && ring->cq_cons != prod) {
		const struct zcnic_cqe *cqe;
		struct sk_buff *skb;

		cqe = &ring->cq[ring->cq_cons & (ring->size - 1)];
		skb = zcnic_rx_build(q, ring, cqe);
		if (skb) {
			bytes += skb->len + ETH_HLEN;
			netif_receive_skb(skb);
		} else {
			zcnic_rx_drop(ring, cqe);
			dev_core_stats_rx_dropped_inc(q->priv->netdev);
		}
		ring->head_clean++;
		ring->data_clean += cqe->ndata;
		ring->cq_cons++;
		done++;
	}

	/* A pool runs dry when a memory provider's buffers are all held
	 * (by the socket or by the user).  Nothing arrives into a ring with
	 * no buffers, so nothing would run NAPI to post the ones that come
	 * back: try again shortly, as a driver's refill timer would.
	 */
	if (zcnic_rx_refill(q, ring))
		mod_timer(&q->refill_timer, jiffies + 1);

	u64_stats_update_begin(&q->stats.syncp);
	u64_stats_add(&q->stats.packets, done);
	u64_stats_add(&q->stats.bytes, bytes);
	u64_stats_update_end(&q->stats.syncp);

	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

void zcnic_rxq_start(struct zcnic_rxq *q, struct zcnic_rx_ring *ring)
{
	ASSERT_RTNL();

	ring->started = true;
	spin_lock_bh(&q->lock);
	q->ring = ring;
	q->stopped = false;
	spin_unlock_bh(&q->lock);
	napi_enable(&q->napi);
	q->napi_on = true;
	/* Its first refill may have found a pool dry: NAPI retries it. */
	local_bh_disable();
	napi_schedule(&q->napi);
	local_bh_enable();
}

/*
 * Stop the device writing into the ring, then NAPI reading from it.  Once
 * NAPI is off, cut the ring's pools loose from it: the queue restarts with
 * new pools on the same NAPI while skbs still hold pages of these.
 */
struct zcnic_rx_ring *zcnic_rxq_stop(struct zcnic_rxq *q)
{
	struct zcnic_rx_ring *ring;

	ASSERT_RTNL();

	spin_lock_bh(&q->lock);
	q->stopped = true;
	while (q->busy) {
		spin_unlock_bh(&q->lock);
		usleep_range(20, 100);
		spin_lock_bh(&q->lock);
	}
	spin_unlock_bh(&q->lock);

	napi_disable(&q->napi);
	q->napi_on = false;
	/* An interrupt raised before the stop finds NAPI disabled, and
	 * only NAPI arms the refill timer.
	 */
	irq_work_sync(&q->irq_work);
	timer_delete_sync(&q->refill_timer);

	spin_lock_bh(&q->lock);
	ring = q->ring;
	q->ring = NULL;
	spin_unlock_bh(&q->lock);

	if (ring) {
		page_pool_disable_direct_recycling(ring->data_pool);
		page_pool_disable_direct_recycling(ring->head_pool);
	}
	return ring;
}

static int zcnic_queue_mem_alloc(struct net_device *dev, void *mem, int idx)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	struct zcnic_rx_ring *ring;

	ring = zcnic_rx_ring_alloc(priv, idx);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	*(struct zcnic_rx_ring **)mem = ring;
	return 0;
}

static void zcnic_queue_mem_free(struct net_device *dev, void *mem)
{
	struct zcnic_rx_ring *ring = *(struct zcnic_rx_ring **)mem;

	if (ring)
		zcnic_rx_ring_free(ring);
}

static int zcnic_queue_start(struct net_device *dev, void *mem, int idx)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	zcnic_rxq_start(&priv->rxq[idx], *(struct zcnic_rx_ring **)mem);
	return 0;
}

static int zcnic_queue_stop(struct net_device *dev, void *mem, int idx)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	if (!netif_running(dev))
		return -ENETDOWN;
	*(struct zcnic_rx_ring **)mem = zcnic_rxq_stop(&priv->rxq[idx]);
	return 0;
}

const struct netdev_queue_mgmt_ops zcnic_queue_mgmt_ops = {
	.ndo_queue_mem_size	= sizeof(struct zcnic_rx_ring *),
	.ndo_queue_mem_alloc	= zcnic_queue_mem_alloc,
	.ndo_queue_mem_free	= zcnic_queue_mem_free,
	.ndo_queue_start	= zcnic_queue_start,
	.ndo_queue_stop		= zcnic_queue_stop,
};
