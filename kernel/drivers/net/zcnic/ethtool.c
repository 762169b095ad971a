// SPDX-License-Identifier: GPL-2.0
/*
 * zcnic ethtool: rings and tcp-data-split, tx completion moderation,
 * channels, ntuple rules, RSS, and the per-queue counters of the driver
 * and of the device.
 */
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "zcnic.h"

static void zcnic_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	strscpy(info->driver, "zcnic", sizeof(info->driver));
	strscpy(info->bus_info, dev_name(priv->dmadev),
		sizeof(info->bus_info));
}

static void zcnic_get_ringparam(struct net_device *dev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	ring->rx_max_pending = ZCNIC_RING_MAX;
	ring->tx_max_pending = ZCNIC_RING_MAX;
	ring->rx_pending = priv->rx_ring_size;
	ring->tx_pending = priv->tx_ring_size;
	kring->tcp_data_split = READ_ONCE(priv->hds) ?
				ETHTOOL_TCP_DATA_SPLIT_ENABLED :
				ETHTOOL_TCP_DATA_SPLIT_DISABLED;
}

static int zcnic_set_ringparam(struct net_device *dev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	bool running = netif_running(dev);
	int err = 0;

	if (ring->rx_pending < ZCNIC_RING_MIN ||
	    ring->tx_pending < ZCNIC_RING_MIN ||
	    !is_power_of_2(ring->rx_pending) ||
	    !is_power_of_2(ring->tx_pending)) {
		NL_SET_ERR_MSG_FMT(extack,
				   "ring sizes must be powers of two, at least %u",
				   ZCNIC_RING_MIN);
		return -EINVAL;
	}
	if (ring->rx_mini_pending || ring->rx_jumbo_pending)
		return -EINVAL;

	/* Auto means the default, which is off. */
	WRITE_ONCE(priv->hds, kring->tcp_data_split ==
		   ETHTOOL_TCP_DATA_SPLIT_ENABLED);

	if (ring->rx_pending == priv->rx_ring_size &&
	    ring->tx_pending == priv->tx_ring_size)
		return 0;

	if (running)
		zcnic_queues_down(priv);
	priv->rx_ring_size = ring->rx_pending;
	priv->tx_ring_size = ring->tx_pending;
	if (running) {
		err = zcnic_queues_up(priv);
		if (err)
			NL_SET_ERR_MSG(extack, "could not allocate the new rings");
	}
	return err;
}

static void zcnic_get_channels(struct net_device *dev,
			       struct ethtool_channels *ch)
{
	ch->max_combined = dev->num_rx_queues;
	ch->combined_count = dev->real_num_rx_queues;
}

/* The core has checked the new count against bound queues, rules and a
 * configured indirection table.
 */
static int zcnic_set_channels(struct net_device *dev,
			      struct ethtool_channels *ch)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	bool running = netif_running(dev);
	unsigned int i;
	int err;

	if (ch->rx_count || ch->tx_count || ch->other_count ||
	    !ch->combined_count)
		return -EINVAL;

	if (running)
		zcnic_queues_down(priv);
	err = netif_set_real_num_queues(dev, ch->combined_count,
					ch->combined_count);
	if (!err && !netif_is_rxfh_configured(dev)) {
		u32 n = ch->combined_count;

		spin_lock_bh(&priv->steer_lock);
		for (i = 0; i < ZCNIC_RSS_INDIR_SIZE; i++)
			priv->indir[i] = ethtool_rxfh_indir_default(i, n);
		spin_unlock_bh(&priv->steer_lock);
	}
	if (running) {
		int uerr = zcnic_queues_up(priv);

		err = err ?: uerr;
	}
	return err;
}

static int zcnic_get_rule(struct zcnic_priv *priv, struct ethtool_rxnfc *cmd)
{
	u32 loc = cmd->fs.location;
	int err = -ENOENT;

	if (loc >= ZCNIC_MAX_RULES)
		return -EINVAL;
	spin_lock_bh(&priv->steer_lock);
	if (priv->rules[loc].used) {
		cmd->fs = priv->rules[loc].fs;
		err = 0;
	}
	spin_unlock_bh(&priv->steer_lock);
	return err;
}

static int zcnic_get_rule_locs(struct zcnic_priv *priv,
			       struct ethtool_rxnfc *cmd, u32 *locs)
{
	unsigned int i, n = 0;
	int err = 0;

	spin_lock_bh(&priv->steer_lock);
	for (i = 0; i < ZCNIC_MAX_RULES; i++) {
		if (!priv->rules[i].used)
			continue;
		if (n == cmd->rule_cnt) {
			err = -EMSGSIZE;
			break;
		}
		locs[n++] = i;
	}
	spin_unlock_bh(&priv->steer_lock);
	cmd->rule_cnt = n;
	cmd->data = ZCNIC_MAX_RULES;
	return err;
}

static int zcnic_get_rxnfc(struct net_device *dev, struct ethtool_rxnfc *cmd,
			   u32 *rule_locs)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	switch (cmd->cmd) {
	case ETHTOOL_GRXRINGS:
		cmd->data = dev->real_num_rx_queues;
		return 0;
	case ETHTOOL_GRXCLSRLCNT:
		cmd->rule_cnt = READ_ONCE(priv->nrules);
		cmd->data = ZCNIC_MAX_RULES | RX_CLS_LOC_SPECIAL;
		return 0;
	case ETHTOOL_GRXCLSRULE:
		return zcnic_get_rule(priv, cmd);
	case ETHTOOL_GRXCLSRLALL:
		return zcnic_get_rule_locs(priv, cmd, rule_locs);
	case ETHTOOL_GRXFH:
		cmd->data = RXH_IP_SRC | RXH_IP_DST;
		if (cmd->flow_type == TCP_V4_FLOW ||
		    cmd->flow_type == TCP_V6_FLOW ||
		    cmd->flow_type == UDP_V4_FLOW ||
		    cmd->flow_type == UDP_V6_FLOW)
			cmd->data |= RXH_L4_B_0_1 | RXH_L4_B_2_3;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int zcnic_set_rxnfc(struct net_device *dev, struct ethtool_rxnfc *cmd)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	switch (cmd->cmd) {
	case ETHTOOL_SRXCLSRLINS:
		return zcnic_rule_insert(priv, &cmd->fs);
	case ETHTOOL_SRXCLSRLDEL:
		return zcnic_rule_delete(priv, cmd->fs.location);
	}
	return -EOPNOTSUPP;
}

static u32 zcnic_get_rxfh_key_size(struct net_device *dev)
{
	return ZCNIC_RSS_KEY_SIZE;
}

static u32 zcnic_get_rxfh_indir_size(struct net_device *dev)
{
	return ZCNIC_RSS_INDIR_SIZE;
}

static int zcnic_get_rxfh(struct net_device *dev, struct ethtool_rxfh_param *p)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	p->hfunc = ETH_RSS_HASH_TOP;
	spin_lock_bh(&priv->steer_lock);
	if (p->indir)
		memcpy(p->indir, priv->indir, sizeof(priv->indir));
	if (p->key)
		memcpy(p->key, priv->rss_key, sizeof(priv->rss_key));
	spin_unlock_bh(&priv->steer_lock);
	return 0;
}

static int zcnic_set_rxfh(struct net_device *dev, struct ethtool_rxfh_param *p,
			  struct netlink_ext_ack *extack)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	unsigned int i;

	if (p->hfunc != ETH_RSS_HASH_NO_CHANGE && p->hfunc != ETH_RSS_HASH_TOP)
		return -EOPNOTSUPP;
	if (p->indir)
		for (i = 0; i < ZCNIC_RSS_INDIR_SIZE; i++)
			if (p->indir[i] >= dev->real_num_rx_queues)
				return -EINVAL;

	spin_lock_bh(&priv->steer_lock);
	if (p->indir)
		memcpy(priv->indir, p->indir, sizeof(priv->indir));
	if (p->key)
		memcpy(priv->rss_key, p->key, sizeof(priv->rss_key));
	spin_unlock_bh(&priv->steer_lock);
	return 0;
}

static const char zcnic_rxq_stat_names[][ETH_GSTRING_LEN] = {
	"packets", "bytes", "alloc_fail",
	"dev_written_bytes", "hds_split", "hds_nosplit", "missed", "dropped",
};

static const char zcnic_txq_stat_names[][ETH_GSTRING_LEN] = {
	"packets", "bytes", "dev_read_bytes", "dropped",
};

#define ZCNIC_RXQ_STATS	ARRAY_SIZE(zcnic_rxq_stat_names)
#define ZCNIC_TXQ_STATS	ARRAY_SIZE(zcnic_txq_stat_names)

static int zcnic_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return dev->num_rx_queues * ZCNIC_RXQ_STATS +
	       dev->num_tx_queues * ZCNIC_TXQ_STATS;
}

static void zcnic_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	unsigned int q, i;

	if (sset != ETH_SS_STATS)
		return;
	for (q = 0; q < dev->num_rx_queues; q++)
		for (i = 0; i < ZCNIC_RXQ_STATS; i++)
			ethtool_sprintf(&buf, "rx%u_%s", q,
					zcnic_rxq_stat_names[i]);
	for (q = 0; q < dev->num_tx_queues; q++)
		for (i = 0; i < ZCNIC_TXQ_STATS; i++)
			ethtool_sprintf(&buf, "tx%u_%s", q,
					zcnic_txq_stat_names[i]);
}

static void zcnic_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	unsigned int q, start;

	for (q = 0; q < dev->num_rx_queues; q++) {
		const struct zcnic_rxq *rq = &priv->rxq[q];

		do {
			start = u64_stats_fetch_begin(&rq->stats.syncp);
			data[0] = u64_stats_read(&rq->stats.packets);
			data[1] = u64_stats_read(&rq->stats.bytes);
			data[2] = u64_stats_read(&rq->stats.alloc_fail);
		} while (u64_stats_fetch_retry(&rq->stats.syncp, start));
		do {
			start = u64_stats_fetch_begin(&rq->dev_stats.syncp);
			data[3] = u64_stats_read(&rq->dev_stats.written);
			data[4] = u64_stats_read(&rq->dev_stats.split);
			data[5] = u64_stats_read(&rq->dev_stats.nosplit);
			data[6] = u64_stats_read(&rq->dev_stats.missed);
			data[7] = u64_stats_read(&rq->dev_stats.dropped);
		} while (u64_stats_fetch_retry(&rq->dev_stats.syncp, start));
		data += ZCNIC_RXQ_STATS;
	}
	for (q = 0; q < dev->num_tx_queues; q++) {
		const struct zcnic_txq *tq = &priv->txq[q];

		do {
			start = u64_stats_fetch_begin(&tq->syncp);
			data[0] = u64_stats_read(&tq->packets);
			data[1] = u64_stats_read(&tq->bytes);
			data[2] = u64_stats_read(&tq->read);
		} while (u64_stats_fetch_retry(&tq->syncp, start));
		data[3] = atomic64_read(&tq->dropped);
		data += ZCNIC_TXQ_STATS;
	}
}

static int zcnic_get_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	ec->tx_coalesce_usecs = READ_ONCE(priv->tx_usecs);
	ec->tx_max_coalesced_frames = READ_ONCE(priv->tx_frames);
	return 0;
}

/*
 * Tx completion moderation: the engine completes sent frames once the
 * oldest has waited tx-usecs (0: at once, the default) or tx-frames wait
 * (0: no frame limit).  Applies from the engine's next pass.
 */
static int zcnic_set_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	if (ec->tx_coalesce_usecs > ZCNIC_TX_USECS_MAX) {
		NL_SET_ERR_MSG_FMT(extack, "tx-usecs is at most %u",
				   ZCNIC_TX_USECS_MAX);
		return -EINVAL;
	}
	if (ec->tx_max_coalesced_frames > ZCNIC_TX_FRAMES_MAX) {
		NL_SET_ERR_MSG_FMT(extack, "tx-frames is at most %u",
				   ZCNIC_TX_FRAMES_MAX);
		return -EINVAL;
	}
	WRITE_ONCE(priv->tx_usecs, ec->tx_coalesce_usecs);
	WRITE_ONCE(priv->tx_frames, ec->tx_max_coalesced_frames);
	/* A sleeping engine may wait for a deadline the change moved. */
	if (priv->engine)
		zcnic_engine_kick(priv);
	return 0;
}

const struct ethtool_ops zcnic_ethtool_ops = {
	.supported_ring_params	= ETHTOOL_RING_USE_TCP_DATA_SPLIT,
	.supported_coalesce_params = ETHTOOL_COALESCE_TX_USECS |
				     ETHTOOL_COALESCE_TX_MAX_FRAMES,
	.get_drvinfo		= zcnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_ringparam		= zcnic_get_ringparam,
	.set_ringparam		= zcnic_set_ringparam,
	.get_coalesce		= zcnic_get_coalesce,
	.set_coalesce		= zcnic_set_coalesce,
	.get_channels		= zcnic_get_channels,
	.set_channels		= zcnic_set_channels,
	.get_rxnfc		= zcnic_get_rxnfc,
	.set_rxnfc		= zcnic_set_rxnfc,
	.get_rxfh_key_size	= zcnic_get_rxfh_key_size,
	.get_rxfh_indir_size	= zcnic_get_rxfh_indir_size,
	.get_rxfh		= zcnic_get_rxfh,
	.set_rxfh		= zcnic_set_rxfh,
	.get_sset_count		= zcnic_get_sset_count,
	.get_strings		= zcnic_get_strings,
	.get_ethtool_stats	= zcnic_get_ethtool_stats,
};
