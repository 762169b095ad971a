// SPDX-License-Identifier: GPL-2.0
/*
 * zcnic: pairs of virtual NICs with real DMA semantics.
 *
 * Pairs are made and removed through the platform driver's directory:
 *
 *   echo "zc0 zc1 [QUEUES]" > /sys/bus/platform/drivers/zcnic/new_pair
 *   echo zc0 > /sys/bus/platform/drivers/zcnic/del_pair
 *
 * Each netdev sits on its own platform device, which stands for a PCI
 * function: it has a 64-bit DMA mask and no IOMMU, so the DMA API is
 * dma-direct and never bounces.  Unbinding one device from the driver is a
 * hot unplug; its peer loses carrier.
 */
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/platform_device.h>
#include <linux/rtnetlink.h>
#include <linux/swiotlb.h>
#include <net/netdev_queues.h>

#include "zcnic.h"

#define DRV_NAME	"zcnic"

struct zcnic_pdata {
	char name[IFNAMSIZ];
	unsigned int queues;
};

static void zcnic_carrier_update(struct zcnic_priv *priv)
{
	struct zcnic_priv *peer = rtnl_dereference(priv->peer);

	ASSERT_RTNL();

	if (peer && netif_running(priv->netdev) &&
	    netif_running(peer->netdev)) {
		netif_carrier_on(priv->netdev);
		netif_carrier_on(peer->netdev);
	} else {
		netif_carrier_off(priv->netdev);
		if (peer)
			netif_carrier_off(peer->netdev);
	}
}

/* Bring up every rx ring and the tx rings: ndo_open, or after a reshape. */
int zcnic_queues_up(struct zcnic_priv *priv)
{
	struct net_device *dev = priv->netdev;
	unsigned int i;
	int err;

	ASSERT_RTNL();

	err = zcnic_tx_rings_alloc(priv);
	if (err)
		return err;

	for (i = 0; i < dev->real_num_rx_queues; i++) {
		struct zcnic_rx_ring *ring = zcnic_rx_ring_alloc(priv, i);

		if (IS_ERR(ring)) {
			err = PTR_ERR(ring);
			goto err_down;
		}
		zcnic_rxq_start(&priv->rxq[i], ring);
	}

	mutex_lock(&priv->engine_mutex);
	priv->tx_running = true;
	mutex_unlock(&priv->engine_mutex);
	netif_tx_start_all_queues(dev);
	return 0;

err_down:
	while (i--)
		zcnic_rx_ring_free(zcnic_rxq_stop(&priv->rxq[i]));
	zcnic_tx_rings_free(priv);
	return err;
}

void zcnic_queues_down(struct zcnic_priv *priv)
{
	struct net_device *dev = priv->netdev;
	unsigned int i;

	ASSERT_RTNL();

	netif_tx_disable(dev);
	mutex_lock(&priv->engine_mutex);
	priv->tx_running = false;
	zcnic_tx_rings_free(priv);
	mutex_unlock(&priv->engine_mutex);

	for (i = 0; i < dev->real_num_rx_queues; i++) {
		struct zcnic_rx_ring *ring = zcnic_rxq_stop(&priv->rxq[i]);

		if (ring)
			zcnic_rx_ring_free(ring);
	}
}

static int zcnic_open(struct net_device *dev)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	int err;

	err = zcnic_queues_up(priv);
	if (err)
		return err;
	zcnic_carrier_update(priv);
	return 0;
}

static int zcnic_stop(struct net_device *dev)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	netif_carrier_off(dev);
	zcnic_carrier_update(priv);
	zcnic_queues_down(priv);
	return 0;
}

static void zcnic_get_stats64(struct net_device *dev,
			      struct rtnl_link_stats64 *s)
{
	struct zcnic_priv *priv = netdev_priv(dev);
	unsigned int i, start;

	for (i = 0; i < ZCNIC_MAX_QUEUES; i++) {
		struct zcnic_rxq *q = &priv->rxq[i];
		struct zcnic_txq *t = &priv->txq[i];
		u64 pk, by, miss, drop;

		do {
			start = u64_stats_fetch_begin(&q->stats.syncp);
			pk = u64_stats_read(&q->stats.packets);
			by = u64_stats_read(&q->stats.bytes);
		} while (u64_stats_fetch_retry(&q->stats.syncp, start));
		s->rx_packets += pk;
		s->rx_bytes += by;

		do {
			start = u64_stats_fetch_begin(&q->dev_stats.syncp);
			miss = u64_stats_read(&q->dev_stats.missed);
			drop = u64_stats_read(&q->dev_stats.dropped);
		} while (u64_stats_fetch_retry(&q->dev_stats.syncp, start));
		s->rx_missed_errors += miss;
		s->rx_dropped += drop;

		do {
			start = u64_stats_fetch_begin(&t->syncp);
			pk = u64_stats_read(&t->packets);
			by = u64_stats_read(&t->bytes);
		} while (u64_stats_fetch_retry(&t->syncp, start));
		s->tx_packets += pk;
		s->tx_bytes += by;
		s->tx_dropped += atomic64_read(&t->dropped);
	}
}

static int zcnic_change_mtu(struct net_device *dev, int mtu)
{
	/* Buffers are pages and frames span as many as they need. */
	WRITE_ONCE(dev->mtu, mtu);
	return 0;
}

static int zcnic_set_features(struct net_device *dev,
			      netdev_features_t features)
{
	struct zcnic_priv *priv = netdev_priv(dev);

	if ((dev->features & NETIF_F_NTUPLE) && !(features & NETIF_F_NTUPLE))
		zcnic_rules_flush(priv);
	return 0;
}

const struct net_device_ops zcnic_netdev_ops = {
	.ndo_open		= zcnic_open,
	.ndo_stop		= zcnic_stop,
	.ndo_start_xmit		= zcnic_start_xmit,
	.ndo_get_stats64	= zcnic_get_stats64,
	.ndo_change_mtu		= zcnic_change_mtu,
	.ndo_set_features	= zcnic_set_features,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static void zcnic_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &zcnic_netdev_ops;
	dev->ethtool_ops = &zcnic_ethtool_ops;
	dev->queue_mgmt_ops = &zcnic_queue_mgmt_ops;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	dev->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
			   NETIF_F_TSO | NETIF_F_TSO6 | NETIF_F_RXCSUM |
			   NETIF_F_RXHASH | NETIF_F_NTUPLE | NETIF_F_HIGHDMA;
	dev->features = dev->hw_features;
	dev->vlan_features = dev->features;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = 9000;
}

static int zcnic_probe(struct platform_device *pdev)
{
	const struct zcnic_pdata *pd = dev_get_platdata(&pdev->dev);
	struct zcnic_priv *priv;
	struct net_device *dev;
	unsigned int i;
	int err;

	if (!pd || !pd->queues || pd->queues > ZCNIC_MAX_QUEUES)
		return -EINVAL;

	/* A bounce buffer would be a hidden CPU copy: refuse to work. */
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	if (is_swiotlb_force_bounce(&pdev->dev) ||
	    dma_addressing_limited(&pdev->dev)) {
		dev_err(&pdev->dev, "DMA would bounce: no zero-copy possible\n");
		return -EOPNOTSUPP;
	}

	dev = alloc_netdev_mqs(sizeof(*priv), pd->name, NET_NAME_USER,
			       zcnic_setup, pd->queues, pd->queues);
	if (!dev)
		return -ENOMEM;
	SET_NETDEV_DEV(dev, &pdev->dev);
	eth_hw_addr_random(dev);

	priv = netdev_priv(dev);
	priv->netdev = dev;
	priv->dmadev = &pdev->dev;
	priv->rx_ring_size = ZCNIC_RING_DEF;
	priv->tx_ring_size = ZCNIC_RING_DEF;
	mutex_init(&priv->engine_mutex);
	spin_lock_init(&priv->steer_lock);
	zcnic_steer_init(priv);
	for (i = 0; i < ZCNIC_MAX_QUEUES; i++) {
		struct zcnic_rxq *q = &priv->rxq[i];

		q->priv = priv;
		q->idx = i;
		q->stopped = true;
		q->irq_work = IRQ_WORK_INIT_HARD(zcnic_rx_irq_fn);
		/* One vector per queue, spread over the CPUs as drivers
		 * spread MSI-X vectors: NAPI stays on one CPU, whichever
		 * CPU the engine runs on.
		 */
		q->irq_cpu = cpumask_local_spread(i, NUMA_NO_NODE);
		spin_lock_init(&q->lock);
		timer_setup(&q->refill_timer, zcnic_refill_timer, 0);
		u64_stats_init(&q->stats.syncp);
		u64_stats_init(&q->dev_stats.syncp);
		u64_stats_init(&priv->txq[i].syncp);
		if (i < pd->queues)
			netif_napi_add(dev, &q->napi, zcnic_poll);
	}

	err = register_netdev(dev);
	if (err)
		goto err_free;

	rtnl_lock();
	for (i = 0; i < pd->queues; i++) {
		netif_queue_set_napi(dev, i, NETDEV_QUEUE_TYPE_RX,
				     &priv->rxq[i].napi);
	}
	rtnl_unlock();

	err = zcnic_engine_start(priv);
	if (err)
		goto err_unregister;

	platform_set_drvdata(pdev, priv);
	return 0;

err_unregister:
	unregister_netdev(dev);
err_free:
	for (i = 0; i < pd->queues; i++)
		netif_napi_del(&priv->rxq[i].napi);
	free_netdev(dev);
	return err;
}

static void zcnic_remove(struct platform_device *pdev)
{
	struct zcnic_priv *priv = platform_get_drvdata(pdev);
	struct net_device *dev = priv->netdev;
	struct zcnic_priv *peer;
	unsigned int i;

	rtnl_lock();
	peer = rtnl_dereference(priv->peer);
	if (peer) {
		RCU_INIT_POINTER(peer->peer, NULL);
		RCU_INIT_POINTER(priv->peer, NULL);
		netif_carrier_off(peer->netdev);
	}
	rtnl_unlock();
	/* Neither engine may still be delivering into the other. */
	synchronize_net();

	unregister_netdev(dev);
	zcnic_engine_stop(priv);
	for (i = 0; i < dev->num_rx_queues; i++) {
		irq_work_sync(&priv->rxq[i].irq_work);
		timer_delete_sync(&priv->rxq[i].refill_timer);
		netif_napi_del(&priv->rxq[i].napi);
	}
	free_netdev(dev);
}

/*
 * irq_affinity: the CPU that takes each rx queue's interrupt, one number
 * per queue, -1 for whichever CPU the engine runs on.  Writing one number
 * sets every queue.
 */
static ssize_t irq_affinity_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct zcnic_priv *priv = dev_get_drvdata(d);
	unsigned int i, n = priv->netdev->num_rx_queues;
	int len = 0;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%d%c",
				     READ_ONCE(priv->rxq[i].irq_cpu),
				     i + 1 < n ? ' ' : '\n');
	return len;
}

static ssize_t irq_affinity_store(struct device *d,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct zcnic_priv *priv = dev_get_drvdata(d);
	unsigned int i, n = priv->netdev->num_rx_queues, got = 0;
	int cpus[ZCNIC_MAX_QUEUES];
	const char *p = buf;

	while (got <= n) {
		int cpu, used;

		if (sscanf(p, "%d%n", &cpu, &used) != 1)
			break;
		if (got == n)
			return -E2BIG;
		if (cpu < -1 || (cpu >= 0 && (cpu >= nr_cpu_ids ||
					      !cpu_online(cpu))))
			return -EINVAL;
		cpus[got++] = cpu;
		p += used;
	}
	if (got != 1 && got != n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		WRITE_ONCE(priv->rxq[i].irq_cpu, cpus[got == 1 ? 0 : i]);
	return count;
}
static DEVICE_ATTR_RW(irq_affinity);

static struct attribute *zcnic_dev_attrs[] = {
	&dev_attr_irq_affinity.attr,
	NULL,
};
ATTRIBUTE_GROUPS(zcnic_dev);

static struct platform_driver zcnic_driver = {
	.probe		= zcnic_probe,
	.remove_new	= zcnic_remove,
	.driver		= {
		.name		= DRV_NAME,
		.dev_groups	= zcnic_dev_groups,
	},
};

static struct platform_device *zcnic_pdev_new(const char *name,
					      unsigned int queues)
{
	struct zcnic_pdata pd = { .queues = queues };
	struct platform_device_info info = {
		.name		= DRV_NAME,
		.id		= PLATFORM_DEVID_AUTO,
		.dma_mask	= DMA_BIT_MASK(64),
		.data		= &pd,
		.size_data	= sizeof(pd),
	};
	struct platform_device *pdev;

	strscpy(pd.name, name, sizeof(pd.name));
	pdev = platform_device_register_full(&info);
	if (IS_ERR(pdev))
		return pdev;
	if (!platform_get_drvdata(pdev)) {
		/* The probe failed; the log says why. */
		platform_device_unregister(pdev);
		return ERR_PTR(-EIO);
	}
	return pdev;
}

static ssize_t new_pair_store(struct device_driver *drv, const char *buf,
			      size_t count)
{
	char n0[IFNAMSIZ + 1], n1[IFNAMSIZ + 1];
	struct platform_device *p0, *p1;
	struct zcnic_priv *a, *b;
	unsigned int queues = ZCNIC_DEF_QUEUES;
	int n;

	n = sscanf(buf, "%16s %16s %u", n0, n1, &queues);
	if (n < 2 || !dev_valid_name(n0) || !dev_valid_name(n1))
		return -EINVAL;
	if (!queues || queues > ZCNIC_MAX_QUEUES)
		return -ERANGE;
	if (!strcmp(n0, n1))
		return -EINVAL;
	rtnl_lock();
	n = __dev_get_by_name(&init_net, n0) || __dev_get_by_name(&init_net, n1);
	rtnl_unlock();
	if (n)
		return -EEXIST;

	p0 = zcnic_pdev_new(n0, queues);
	if (IS_ERR(p0))
		return PTR_ERR(p0);
	p1 = zcnic_pdev_new(n1, queues);
	if (IS_ERR(p1)) {
		platform_device_unregister(p0);
		return PTR_ERR(p1);
	}
	a = platform_get_drvdata(p0);
	b = platform_get_drvdata(p1);

	rtnl_lock();
	rcu_assign_pointer(a->peer, b);
	rcu_assign_pointer(b->peer, a);
	zcnic_carrier_update(a);
	rtnl_unlock();
	return count;
}
static DRIVER_ATTR_WO(new_pair);

static int zcnic_match_name(struct device *dev, const void *name)
{
	struct zcnic_priv *priv = dev_get_drvdata(dev);

	return priv && !strcmp(priv->netdev->name, name);
}

/* Remove the pair that has a device named @buf in any namespace. */
static ssize_t del_pair_store(struct device_driver *drv, const char *buf,
			      size_t count)
{
	struct zcnic_priv *priv, *peer;
	struct device *d0, *d1 = NULL;
	char name[IFNAMSIZ + 1];

	if (sscanf(buf, "%16s", name) != 1)
		return -EINVAL;
	d0 = driver_find_device(drv, NULL, name, zcnic_match_name);
	if (!d0)
		return -ENODEV;

	rtnl_lock();
	priv = dev_get_drvdata(d0);
	peer = rtnl_dereference(priv->peer);
	if (peer)
		d1 = get_device(peer->dmadev);
	rtnl_unlock();

	platform_device_unregister(to_platform_device(d0));
	put_device(d0);
	if (d1) {
		platform_device_unregister(to_platform_device(d1));
		put_device(d1);
	}
	return count;
}
static DRIVER_ATTR_WO(del_pair);

static struct attribute *zcnic_drv_attrs[] = {
	&driver_attr_new_pair.attr,
	&driver_attr_del_pair.attr,
	NULL,
};
ATTRIBUTE_GROUPS(zcnic_drv);

static int __init zcnic_init(void)
{
	zcnic_driver.driver.groups = zcnic_drv_groups;
	return platform_driver_register(&zcnic_driver);
}

static void __exit zcnic_exit(void)
{
	struct device *d;

	while ((d = driver_find_device(&zcnic_driver.driver, NULL, NULL,
				       device_match_any))) {
		platform_device_unregister(to_platform_device(d));
		put_device(d);
	}
	platform_driver_unregister(&zcnic_driver);
}

module_init(zcnic_init);
module_exit(zcnic_exit);
MODULE_DESCRIPTION("Virtual NIC pairs with DMA, header split and steering");
MODULE_LICENSE("GPL");
