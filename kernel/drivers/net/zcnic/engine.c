// SPDX-License-Identifier: GPL-2.0
/*
 * The zcnic copy engine: the "hardware" of one device.  A kthread per
 * netdev stands for its DMA engine.  It reads each posted tx frame through
 * the DMA addresses the driver mapped, and writes it through the DMA
 * addresses of buffers the peer's driver posted: the headers into a head
 * buffer, the payload into data buffers.  With dma-direct and no IOMMU a
 * DMA address is a physical address, so the engine reaches memory the way
 * a bus master would, without the kernel virtual addresses of the skb.
 *
 * The engine never runs in the sender's or the receiver's context; pin it
 * with taskset like any unbound kthread.
 */
#include <linux/dma-direct.h>
#include <linux/highmem.h>
#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/kthread.h>
#include <linux/skbuff.h>

#include "zcnic.h"

#define ZCNIC_ENGINE_BUDGET	64

/* The frame being moved: the tx descriptor's segments. */
struct zcnic_src {
	struct device *dmadev;
	const struct zcnic_tx_desc *d;
	u32 len;
};

/* Copy @len bytes between two DMA addresses, a page at a time. */
static void zcnic_dma_copy(struct device *dst_dev, dma_addr_t dst,
			   struct device *src_dev, dma_addr_t src, u32 len)
{
	phys_addr_t dp = dma_to_phys(dst_dev, dst);
	phys_addr_t sp = dma_to_phys(src_dev, src);

	while (len) {
		u32 n = min3(len, (u32)(PAGE_SIZE - offset_in_page(dp)),
			     (u32)(PAGE_SIZE - offset_in_page(sp)));
		void *dv = kmap_local_pfn(PHYS_PFN(dp));
		void *sv = kmap_local_pfn(PHYS_PFN(sp));

		memcpy(dv + offset_in_page(dp), sv + offset_in_page(sp), n);
		kunmap_local(sv);
		kunmap_local(dv);
		dp += n;
		sp += n;
		len -= n;
	}
}

/* Gather [off, off + len) of the frame into one destination DMA range. */
static void zcnic_gather(struct device *dst_dev, dma_addr_t dst,
			 const struct zcnic_src *src, u32 off, u32 len)
{
	const struct zcnic_tx_desc *d = src->d;
	unsigned int i;

	for (i = 0; i < d->nseg && len; i++) {
		u32 seg = d->len[i], n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = min(seg - off, len);
		zcnic_dma_copy(dst_dev, dst, src->dmadev, d->dma[i] + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
}

/* Read the first bytes of the frame, to parse it as a NIC's parser would. */
static u32 zcnic_peek(const struct zcnic_src *src, u8 *buf, u32 len)
{
	const struct zcnic_tx_desc *d = src->d;
	u32 done = 0;
	unsigned int i;

	len = min(len, src->len);
	for (i = 0; i < d->nseg && done < len; i++) {
		phys_addr_t p = dma_to_phys(src->dmadev, d->dma[i]);
		u32 seg = min(d->len[i], len - done);

		while (seg) {
			u32 n = min_t(u32, seg, PAGE_SIZE - offset_in_page(p));
			void *v = kmap_local_pfn(PHYS_PFN(p));

			memcpy(buf + done, v + offset_in_page(p), n);
			kunmap_local(v);
			p += n;
			done += n;
			seg -= n;
		}
	}
	return done;
}

static void zcnic_count_drop(struct zcnic_rxq *q, bool missed)
{
	u64_stats_update_begin(&q->dev_stats.syncp);
	if (missed)
		u64_stats_inc(&q->dev_stats.missed);
	else
		u64_stats_inc(&q->dev_stats.dropped);
	u64_stats_update_end(&q->dev_stats.syncp);
}

/* The rx interrupt's handler, in hard-irq context on the chosen CPU. */
void zcnic_rx_irq_fn(struct irq_work *work)
{
	struct zcnic_rxq *q = container_of(work, struct zcnic_rxq, irq_work);

	napi_schedule(&q->napi);
}

/*
 * Raise the queue's rx interrupt.  Like an MSI-X vector with its affinity
 * set, it fires on the queue's irq_cpu, and NAPI then runs as softirq
 * there; an interrupt still pending absorbs this one.  Without a CPU, or
 * when it is this one, NAPI runs here, in the engine's softirq.
 */
static void zcnic_rx_irq(struct zcnic_rxq *q)
{
	int cpu = READ_ONCE(q->irq_cpu);

	if (cpu >= 0 && cpu != raw_smp_processor_id() && cpu_online(cpu)) {
		irq_work_queue_on(&q->irq_work, cpu);
		return;
	}
	local_bh_disable();
	napi_schedule(&q->napi);
	local_bh_enable();
}

/*
 * Deliver one frame into @rx's queue @q.  Returns false if it was dropped.
 * The frame's buffers are taken under the queue lock and written outside
 * it; q->busy makes a queue stop wait for the write.
 */
static bool zcnic_deliver(struct zcnic_priv *rx, struct zcnic_rxq *q,
			  const struct zcnic_src *src,
			  const struct zcnic_flow *fl, u32 hash)
{
	const struct sk_buff *skb = src->d->skb;
	u32 len = src->len, head_len, ndata, i, mask;
	struct zcnic_rx_ring *ring;
	struct zcnic_cqe *cqe;
	u32 dtake, htake;
	bool split;

	split = READ_ONCE(rx->hds) && fl->payload_off &&
		fl->payload_off <= ZCNIC_HEAD_MAX;
	head_len = split ? fl->payload_off : min_t(u32, len, ZCNIC_HEAD_MAX);
	ndata = DIV_ROUND_UP(len - head_len, PAGE_SIZE);

	spin_lock_bh(&q->lock);
	ring = q->ring;
	if (!ring || q->stopped) {
		spin_unlock_bh(&q->lock);
		zcnic_count_drop(q, false);
		return false;
	}
	if (ring->head_post == ring->head_take ||
	    ring->data_post - ring->data_take < ndata) {
		spin_unlock_bh(&q->lock);
		zcnic_count_drop(q, true);
		/* Let the driver refill, as a "no buffer" interrupt would. */
		zcnic_rx_irq(q);
		return false;
	}
	htake = ring->head_take++;
	dtake = ring->data_take;
	ring->data_take += ndata;
	q->busy = true;
	spin_unlock_bh(&q->lock);

	mask = ring->size - 1;
	zcnic_gather(rx->dmadev, ring->head[htake & mask].dma + ZCNIC_HEADROOM,
		     src, 0, head_len);
	for (i = 0; i < ndata; i++) {
		u32 off = head_len + i * PAGE_SIZE;

		zcnic_gather(rx->dmadev, ring->data[(dtake + i) & mask].dma,
			     src, off, min_t(u32, len - off, PAGE_SIZE));
	}

	spin_lock_bh(&q->lock);
	cqe = &ring->cq[ring->cq_prod & mask];
	memset(cqe, 0, sizeof(*cqe));
	cqe->len = len;
	cqe->head_len = head_len;
	cqe->ndata = ndata;
	cqe->hash = hash;
	cqe->l4_hash = !!fl->l4proto;
	cqe->csum_ok = !!fl->l4proto;
	if (skb_is_gso(skb) && skb_is_gso_tcp(skb) && fl->l4proto) {
		cqe->gso_size = skb_shinfo(skb)->gso_size;
		cqe->gso_type = fl->proto == htons(ETH_P_IP) ? SKB_GSO_TCPV4 :
							      SKB_GSO_TCPV6;
	}
	ring->cq_prod++;
	q->busy = false;
	spin_unlock_bh(&q->lock);

	u64_stats_update_begin(&q->dev_stats.syncp);
	u64_stats_add(&q->dev_stats.written, len);
	if (split)
		u64_stats_inc(&q->dev_stats.split);
	else
		u64_stats_inc(&q->dev_stats.nosplit);
	u64_stats_update_end(&q->dev_stats.syncp);

	zcnic_rx_irq(q);
	return true;
}

/* Move one tx frame to the peer, if there is one that can take it. */
static bool zcnic_transmit(struct zcnic_priv *tx, struct zcnic_tx_desc *d)
{
	struct zcnic_src src = {
		.dmadev = tx->dmadev, .d = d, .len = d->skb->len,
	};
	u8 hdr[ETH_HLEN + sizeof(struct ipv6hdr) + 60];
	struct zcnic_flow fl;
	struct zcnic_priv *rx;
	unsigned int qid;
	bool ok = false;
	u32 hash, n;

	rcu_read_lock();
	rx = rcu_dereference(tx->peer);
	if (!rx || !netif_running(rx->netdev) || src.len < ETH_HLEN)
		goto out;

	n = zcnic_peek(&src, hdr, sizeof(hdr));
	zcnic_parse(hdr, n, &fl);
	qid = zcnic_steer(rx, &fl, &hash);
	if (qid == ZCNIC_MAX_QUEUES)
		goto out;

	/* Hardware GRO may build frames beyond the MTU; others may not. */
	if (!skb_is_gso(d->skb) &&
	    src.len > rx->netdev->mtu + ETH_HLEN + VLAN_HLEN) {
		zcnic_count_drop(&rx->rxq[qid], false);
		goto out;
	}
	ok = zcnic_deliver(rx, &rx->rxq[qid], &src, &fl, hash);
out:
	rcu_read_unlock();
	return ok;
}

/*
 * Is it time to complete the frames sent on @txq?  At once without
 * moderation; else when tx_frames are waiting or the oldest has waited
 * tx_usecs.  Otherwise lower *@deadline to when it will be.
 */
static bool zcnic_tx_due(struct zcnic_priv *priv, struct zcnic_txq *txq,
			 u64 *deadline)
{
	u32 usecs = READ_ONCE(priv->tx_usecs);
	u32 frames = READ_ONCE(priv->tx_frames);
	u32 waiting = txq->done - txq->cons;
	u64 due;

	if (!waiting)
		return false;
	if (!usecs || (frames && waiting >= frames))
		return true;
	due = txq->done_ns + (u64)usecs * NSEC_PER_USEC;
	if (ktime_get_ns() >= due)
		return true;
	*deadline = min(*deadline, due);
	return false;
}

/*
 * The tx "completion interrupt": the device no longer needs the frames it
 * sent, the driver frees them and their slots.  A real NIC moderates this
 * interrupt; without it a TCP sender's autocorking sees each frame done as
 * soon as the engine took it, and how much it merges into the next one
 * follows the race between the two.
 */
static void zcnic_tx_clean(struct zcnic_priv *priv, struct zcnic_txq *txq,
			   struct netdev_queue *nq)
{
	while (txq->cons != txq->done) {
		struct zcnic_tx_desc *d = &txq->desc[txq->cons & (txq->size - 1)];

		zcnic_tx_complete(priv, txq, d, d->sent);
		/* Free the slot before looking at the queue state. */
		smp_store_release(&txq->cons, txq->cons + 1);
	}

	/* Pairs with the barrier in zcnic_start_xmit(). */
	smp_mb();
	if (netif_tx_queue_stopped(nq) && txq->prod - txq->cons < txq->size)
		netif_tx_wake_queue(nq);
}

static unsigned int zcnic_engine_txq(struct zcnic_priv *priv, unsigned int qid,
				     unsigned int budget, u64 *deadline)
{
	struct zcnic_txq *txq = &priv->txq[qid];
	struct netdev_queue *nq = netdev_get_tx_queue(priv->netdev, qid);
	u64 bytes = 0, pkts = 0;
	unsigned int done = 0;
	/* Pairs with the release in zcnic_start_xmit(): descriptors first. */
	u32 prod = smp_load_acquire(&txq->prod);

	while (done < budget && txq->done != prod) {
		struct zcnic_tx_desc *d = &txq->desc[txq->done & (txq->size - 1)];
		u32 len = d->skb->len;

		d->sent = zcnic_transmit(priv, d);
		if (d->sent) {
			pkts++;
			bytes += len;
		}
		/* The first to wait for its completion starts the clock. */
		if (txq->done == txq->cons && READ_ONCE(priv->tx_usecs))
			txq->done_ns = ktime_get_ns();
		txq->done++;
		done++;
	}
	if (done) {
		u64_stats_update_begin(&txq->syncp);
		u64_stats_add(&txq->packets, pkts);
		u64_stats_add(&txq->bytes, bytes);
		u64_stats_add(&txq->read, bytes);
		u64_stats_update_end(&txq->syncp);
	}
	if (zcnic_tx_due(priv, txq, deadline))
		zcnic_tx_clean(priv, txq, nq);
	return done;
}

/* Are there frames posted that the engine has not sent? */
static bool zcnic_engine_pending(struct zcnic_priv *priv)
{
	unsigned int i;

	if (!READ_ONCE(priv->tx_running))
		return false;
	for (i = 0; i < priv->netdev->real_num_tx_queues; i++)
		if (READ_ONCE(priv->txq[i].prod) != priv->txq[i].done)
			return true;
	return false;
}

/*
 * Sleep until a frame is posted (zcnic_engine_kick()) or, if sent frames
 * wait for their moderated completion, until the first is due.
 */
static void zcnic_engine_sleep(struct zcnic_priv *priv, u64 deadline)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (zcnic_engine_pending(priv) || kthread_should_stop()) {
		__set_current_state(TASK_RUNNING);
		return;
	}
	if (deadline == U64_MAX) {
		schedule();
	} else {
		ktime_t t = ns_to_ktime(deadline);

		schedule_hrtimeout(&t, HRTIMER_MODE_ABS);
	}
	__set_current_state(TASK_RUNNING);
}

static int zcnic_engine_fn(void *arg)
{
	struct zcnic_priv *priv = arg;

	while (!kthread_should_stop()) {
		u64 deadline = U64_MAX;
		unsigned int i, done = 0;

		mutex_lock(&priv->engine_mutex);
		if (priv->tx_running)
			for (i = 0; i < priv->netdev->real_num_tx_queues; i++)
				done += zcnic_engine_txq(priv, i,
							 ZCNIC_ENGINE_BUDGET,
							 &deadline);
		mutex_unlock(&priv->engine_mutex);

		if (done) {
			cond_resched();
			continue;
		}
		zcnic_engine_sleep(priv, deadline);
	}
	return 0;
}

int zcnic_engine_start(struct zcnic_priv *priv)
{
	struct task_struct *t;

	t = kthread_run(zcnic_engine_fn, priv, "zcnic/%s",
			priv->netdev->name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	priv->engine = t;
	return 0;
}

void zcnic_engine_stop(struct zcnic_priv *priv)
{
	if (priv->engine)
		kthread_stop(priv->engine);
	priv->engine = NULL;
}
