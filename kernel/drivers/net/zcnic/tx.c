// SPDX-License-Identifier: GPL-2.0
/*
 * zcnic transmit: the driver maps the frame for the device and posts it on
 * a tx ring; the copy engine reads it by DMA and completes it.  Nothing
 * here copies, linearizes or orphans the frags: a zero-copy sender's pages
 * stay referenced until the device is done with them.
 */
#include <linux/dma-mapping.h>
#include <linux/skbuff.h>

#include "zcnic.h"

int zcnic_tx_rings_alloc(struct zcnic_priv *priv)
{
	unsigned int i;

	for (i = 0; i < priv->netdev->real_num_tx_queues; i++) {
		struct zcnic_txq *txq = &priv->txq[i];

		txq->desc = kvcalloc(priv->tx_ring_size, sizeof(*txq->desc),
				     GFP_KERNEL);
		if (!txq->desc)
			goto err;
		txq->size = priv->tx_ring_size;
		txq->prod = 0;
		txq->done = 0;
		txq->cons = 0;
	}
	return 0;
err:
	zcnic_tx_rings_free(priv);
	return -ENOMEM;
}

/*
 * Frees what is still posted, and completes what was sent but not yet
 * completed: the device is stopped (engine_mutex).
 */
void zcnic_tx_rings_free(struct zcnic_priv *priv)
{
	unsigned int i;

	for (i = 0; i < ZCNIC_MAX_QUEUES; i++) {
		struct zcnic_txq *txq = &priv->txq[i];

		if (!txq->desc)
			continue;
		while (txq->cons != txq->prod) {
			struct zcnic_tx_desc *d;
			/* Sent, its completion held back by moderation. */
			bool sent = txq->cons != txq->done;

			d = &txq->desc[txq->cons & (txq->size - 1)];
			zcnic_tx_complete(priv, txq, d, sent && d->sent);
			/* Past the sent ones, done keeps up with cons. */
			if (!sent)
				txq->done++;
			txq->cons++;
		}
		kvfree(txq->desc);
		txq->desc = NULL;
	}
}

static void zcnic_tx_unmap(struct device *dmadev, struct zcnic_tx_desc *d,
			   unsigned int nseg)
{
	unsigned int i;

	if (nseg && d->len[0])
		dma_unmap_single(dmadev, d->dma[0], d->len[0], DMA_TO_DEVICE);
	for (i = 1; i < nseg; i++)
		dma_unmap_page(dmadev, d->dma[i], d->len[i], DMA_TO_DEVICE);
}

/* The tx "completion interrupt": the device no longer needs the frame. */
void zcnic_tx_complete(struct zcnic_priv *priv, struct zcnic_txq *txq,
		       struct zcnic_tx_desc *d, bool sent)
{
	zcnic_tx_unmap(priv->dmadev, d, d->nseg);
	if (sent)
		dev_consume_skb_any(d->skb);
	else
		dev_kfree_skb_any(d->skb);
	d->skb = NULL;
}

static int zcnic_tx_map(struct device *dmadev, struct sk_buff *skb,
			struct zcnic_tx_desc *d)
{
	unsigned int i, headlen = skb_headlen(skb);

	d->nseg = 0;
	d->len[0] = headlen;
	if (headlen) {
		d->dma[0] = dma_map_single(dmadev, skb->data, headlen,
					   DMA_TO_DEVICE);
		if (dma_mapping_error(dmadev, d->dma[0]))
			return -ENOMEM;
	}
	d->nseg = 1;

	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		d->len[i + 1] = skb_frag_size(frag);
		d->dma[i + 1] = skb_frag_dma_map(dmadev, frag, 0,
						 skb_frag_size(frag),
						 DMA_TO_DEVICE);
		if (dma_mapping_error(dmadev, d->dma[i + 1])) {
			zcnic_tx_unmap(dmadev, d, d->nseg);
			return -ENOMEM;
		}
		d->nseg++;
	}
	return 0;
}

static bool zcnic_txq_full(const struct zcnic_txq *txq)
{
	return txq->prod - READ_ONCE(txq->cons) >= txq->size;
}

netdev_tx_t zcnic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	u16 qid = skb_get_queue_mapping(skb);
	struct zcnic_txq *txq = &priv->txq[qid];
	struct netdev_queue *nq = netdev_get_tx_queue(dev, qid);
	struct zcnic_tx_desc *d;

	if (unlikely(zcnic_txq_full(txq))) {
		/* The stop below should have prevented this. */
		netif_tx_stop_queue(nq);
		return NETDEV_TX_BUSY;
	}

	/* The device gathers from the head and the frags only. */
	if (skb_has_frag_list(skb) && __skb_linearize(skb))
		goto drop;

	d = &txq->desc[txq->prod & (txq->size - 1)];
	if (zcnic_tx_map(priv->dmadev, skb, d))
		goto drop;
	d->skb = skb;
	skb_tx_timestamp(skb);

	/* Publish the descriptor to the engine. */
	smp_store_release(&txq->prod, txq->prod + 1);

	if (zcnic_txq_full(txq)) {
		netif_tx_stop_queue(nq);
		/* Pairs with the barrier in the engine's completion. */
		smp_mb();
		if (!zcnic_txq_full(txq))
			netif_tx_start_queue(nq);
	}

	if (!netdev_xmit_more() || netif_xmit_stopped(nq))
		zcnic_engine_kick(priv);
	return NETDEV_TX_OK;

drop:
	atomic64_inc(&txq->dropped);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}
