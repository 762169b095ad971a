/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcnic: a virtual NIC pair that behaves like DMA hardware.
 *
 * Each zcnic is a platform device with a 64-bit DMA mask and one netdev.
 * Two of them are wired back to back.  The "device" is a kthread per netdev
 * (the copy engine) that reads transmitted frames through their DMA
 * addresses and writes them into the buffers the peer's driver posted on
 * its rx rings, splitting headers from payload, then raises the peer's
 * rx "interrupt" (NAPI).  Payload lands in page_pool buffers, which are
 * a memory provider's net_iovs when one is bound to the queue.
 */
#ifndef _ZCNIC_H
#define _ZCNIC_H

#include <linux/ethtool.h>
#include <linux/in6.h>
#include <linux/irq_work.h>
#include <linux/netdevice.h>
#include <linux/platform_device.h>
#include <linux/u64_stats_sync.h>
#include <net/page_pool/types.h>

#define ZCNIC_MAX_QUEUES	16
#define ZCNIC_DEF_QUEUES	4

#define ZCNIC_RING_MIN		64
#define ZCNIC_RING_DEF		256
#define ZCNIC_RING_MAX		4096

/* Head buffers are 2 KiB page_pool frags that become the skb head. */
#define ZCNIC_HEAD_BUF		2048
#define ZCNIC_HEADROOM		(NET_SKB_PAD + NET_IP_ALIGN)
#define ZCNIC_HEAD_MAX		(ZCNIC_HEAD_BUF - ZCNIC_HEADROOM - \
				 SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))

/* A TSO frame of up to 64 KiB arrives whole (hardware GRO). */
#define ZCNIC_MAX_FRAME		(GSO_LEGACY_MAX_SIZE + ETH_HLEN)
#define ZCNIC_MAX_DATA_BUFS	DIV_ROUND_UP(ZCNIC_MAX_FRAME, PAGE_SIZE)

/* Tx completion moderation (ethtool -C tx-usecs, tx-frames): bounds. */
#define ZCNIC_TX_USECS_MAX	10000
#define ZCNIC_TX_FRAMES_MAX	ZCNIC_RING_MAX

#define ZCNIC_RSS_KEY_SIZE	40
#define ZCNIC_RSS_INDIR_SIZE	128
#define ZCNIC_MAX_RULES		64

struct zcnic_data_desc {
	netmem_ref netmem;
	dma_addr_t dma;
};

struct zcnic_head_desc {
	struct page *page;
	u32 offset;
	dma_addr_t dma;
};

/* What the device reports for one received frame. */
struct zcnic_cqe {
	u32 len;		/* frame length */
	u16 head_len;		/* bytes in the head buffer */
	u16 ndata;		/* data buffers used, in ring order */
	u16 gso_size;
	u8 gso_type;		/* 0, SKB_GSO_TCPV4 or SKB_GSO_TCPV6 */
	u8 csum_ok:1;
	u8 l4_hash:1;
	u32 hash;
};

/*
 * An rx ring: the queue memory that queue_mgmt_ops allocates, starts,
 * stops and frees.  Indices are free running.  The driver posts buffers
 * (*_post) and cleans completed ones (*_clean); the device takes them
 * (*_take) and completes frames (cq_prod).  post/take/cq_prod change
 * under the queue's lock; *_clean and cq_cons belong to NAPI.
 */
struct zcnic_rx_ring {
	struct zcnic_rxq *q;
	struct page_pool *data_pool;
	struct page_pool *head_pool;
	u32 size;			/* power of two */
	/* Has been the queue's ring; its pools were then cut from NAPI. */
	bool started;

	struct zcnic_data_desc *data;
	u32 data_post, data_take, data_clean;

	struct zcnic_head_desc *head;
	u32 head_post, head_take, head_clean;

	struct zcnic_cqe *cq;
	u32 cq_prod, cq_cons;
};

struct zcnic_rx_stats {
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t alloc_fail;
	struct u64_stats_sync syncp;
};

/* Written by the peer's copy engine, the only writer. */
struct zcnic_dev_stats {
	u64_stats_t written;		/* bytes the device wrote */
	u64_stats_t split;		/* frames split at the L4 payload */
	u64_stats_t nosplit;		/* frames not split */
	u64_stats_t missed;		/* dropped: no buffer posted */
	u64_stats_t dropped;		/* dropped: queue stopped, too long */
	struct u64_stats_sync syncp;
};

struct zcnic_rxq {
	struct zcnic_priv *priv;
	unsigned int idx;
	struct napi_struct napi;
	/* Protects ring, stopped and the device side of the ring. */
	spinlock_t lock;
	struct zcnic_rx_ring *ring;
	bool stopped;
	/* The engine is writing into buffers it took; stop waits for it. */
	bool busy;
	/* NAPI is enabled: between zcnic_rxq_start() and _stop(), rtnl. */
	bool napi_on;
	/* The queue's rx interrupt, taken on irq_cpu (-1: the engine's CPU). */
	struct irq_work irq_work;
	int irq_cpu;
	/* Runs NAPI again while a refill finds its pools dry. */
	struct timer_list refill_timer;
	struct zcnic_rx_stats stats;
	struct zcnic_dev_stats dev_stats;
};

struct zcnic_tx_desc {
	struct sk_buff *skb;
	bool sent;			/* reached the peer: consumed, not dropped */
	u8 nseg;
	dma_addr_t dma[MAX_SKB_FRAGS + 1];
	u32 len[MAX_SKB_FRAGS + 1];
};

struct zcnic_txq {
	struct zcnic_tx_desc *desc;
	u32 size;
	/*
	 * Three free-running indices: the driver posts at prod; the engine
	 * sends up to done, and completes up to cons, which frees the slots.
	 * Between done and cons are frames sent whose completion is being
	 * held back (tx completion moderation), since done_ns.
	 */
	u32 prod;			/* ndo_start_xmit, under the txq lock */
	u32 done;			/* the copy engine */
	u32 cons;			/* the copy engine */
	u64 done_ns;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t read;		/* bytes the device read */
	struct u64_stats_sync syncp;	/* the engine writes the above */
	atomic64_t dropped;		/* xmit could not post */
};

struct zcnic_rule {
	struct ethtool_rx_flow_spec fs;
	bool used;
};

struct zcnic_priv {
	struct net_device *netdev;
	struct device *dmadev;		/* the platform device */
	struct zcnic_priv __rcu *peer;

	struct task_struct *engine;
	/* Held by the engine while it works on our tx rings. */
	struct mutex engine_mutex;
	bool tx_running;

	u32 rx_ring_size;
	u32 tx_ring_size;
	bool hds;			/* tcp-data-split enabled */
	/* Tx completion moderation: complete sent frames once the oldest
	 * waited tx_usecs, or tx_frames are waiting; tx_usecs 0: at once.
	 */
	u32 tx_usecs;
	u32 tx_frames;

	/* Steering, read by the peer's engine under rcu. */
	spinlock_t steer_lock;
	u32 indir[ZCNIC_RSS_INDIR_SIZE];
	u8 rss_key[ZCNIC_RSS_KEY_SIZE];
	struct zcnic_rule rules[ZCNIC_MAX_RULES];
	unsigned int nrules;

	struct zcnic_rxq rxq[ZCNIC_MAX_QUEUES];
	struct zcnic_txq txq[ZCNIC_MAX_QUEUES];
};

/* main.c */
extern const struct net_device_ops zcnic_netdev_ops;
int zcnic_queues_up(struct zcnic_priv *priv);
void zcnic_queues_down(struct zcnic_priv *priv);

/* rx.c */
extern const struct netdev_queue_mgmt_ops zcnic_queue_mgmt_ops;
int zcnic_poll(struct napi_struct *napi, int budget);
void zcnic_refill_timer(struct timer_list *t);
struct zcnic_rx_ring *zcnic_rx_ring_alloc(struct zcnic_priv *priv,
					  unsigned int idx);
void zcnic_rx_ring_free(struct zcnic_rx_ring *ring);
void zcnic_rxq_start(struct zcnic_rxq *q, struct zcnic_rx_ring *ring);
struct zcnic_rx_ring *zcnic_rxq_stop(struct zcnic_rxq *q);

/* tx.c */
netdev_tx_t zcnic_start_xmit(struct sk_buff *skb, struct net_device *dev);
int zcnic_tx_rings_alloc(struct zcnic_priv *priv);
void zcnic_tx_rings_free(struct zcnic_priv *priv);
void zcnic_tx_complete(struct zcnic_priv *priv, struct zcnic_txq *txq,
		       struct zcnic_tx_desc *d, bool sent);

/* engine.c */
void zcnic_rx_irq_fn(struct irq_work *work);
int zcnic_engine_start(struct zcnic_priv *priv);
void zcnic_engine_stop(struct zcnic_priv *priv);
static inline void zcnic_engine_kick(struct zcnic_priv *priv)
{
	wake_up_process(priv->engine);
}

/* A frame's flow, as the device parses it from the first bytes. */
struct zcnic_flow {
	__be16 proto;			/* ETH_P_IP, ETH_P_IPV6 or other */
	u8 l4proto;			/* IPPROTO_TCP/UDP, or 0 */
	union {
		__be32 v4[2];		/* saddr, daddr */
		struct in6_addr v6[2];
	};
	__be16 sport, dport;
	u16 payload_off;		/* where the L4 payload starts */
};

/* steer.c */
void zcnic_parse(const u8 *pkt, unsigned int len, struct zcnic_flow *fl);
unsigned int zcnic_steer(struct zcnic_priv *rx, const struct zcnic_flow *fl,
			 u32 *hash);
void zcnic_steer_init(struct zcnic_priv *priv);
int zcnic_rule_insert(struct zcnic_priv *priv, struct ethtool_rx_flow_spec *fs);
int zcnic_rule_delete(struct zcnic_priv *priv, u32 loc);
void zcnic_rules_flush(struct zcnic_priv *priv);
unsigned int zcnic_indir_max(struct zcnic_priv *priv);

/* ethtool.c */
extern const struct ethtool_ops zcnic_ethtool_ops;

#endif /* _ZCNIC_H */
