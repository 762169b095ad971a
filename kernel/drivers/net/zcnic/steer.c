// SPDX-License-Identifier: GPL-2.0
/*
 * zcnic flow steering, as the device does it: parse the headers, match the
 * ntuple rules in location order, else hash with Toeplitz and look the
 * queue up in the RSS indirection table.
 */
#include <linux/etherdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>

#include "zcnic.h"

void zcnic_parse(const u8 *pkt, unsigned int len, struct zcnic_flow *fl)
{
	const struct ethhdr *eth = (const struct ethhdr *)pkt;
	unsigned int off = ETH_HLEN, l4len;

	memset(fl, 0, sizeof(*fl));
	if (len < ETH_HLEN)
		return;
	fl->proto = eth->h_proto;

	if (fl->proto == htons(ETH_P_IP)) {
		const struct iphdr *iph = (const void *)(pkt + off);

		if (len < off + sizeof(*iph) || iph->ihl < 5 ||
		    len < off + iph->ihl * 4)
			return;
		fl->v4[0] = iph->saddr;
		fl->v4[1] = iph->daddr;
		/* Only a first fragment carries ports; none is split. */
		if (ip_is_fragment(iph))
			return;
		fl->l4proto = iph->protocol;
		off += iph->ihl * 4;
	} else if (fl->proto == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = (const void *)(pkt + off);

		if (len < off + sizeof(*ip6))
			return;
		fl->v6[0] = ip6->saddr;
		fl->v6[1] = ip6->daddr;
		/* Extension headers: leave the frame unsplit. */
		fl->l4proto = ip6->nexthdr;
		off += sizeof(*ip6);
	} else {
		return;
	}

	if (fl->l4proto == IPPROTO_TCP) {
		const struct tcphdr *th = (const void *)(pkt + off);

		if (len < off + sizeof(*th) || th->doff < 5)
			goto not_l4;
		l4len = th->doff * 4;
		fl->sport = th->source;
		fl->dport = th->dest;
	} else if (fl->l4proto == IPPROTO_UDP) {
		const struct udphdr *uh = (const void *)(pkt + off);

		if (len < off + sizeof(*uh))
			goto not_l4;
		l4len = sizeof(*uh);
		fl->sport = uh->source;
		fl->dport = uh->dest;
	} else {
		goto not_l4;
	}
	if (len < off + l4len)
		goto not_l4;
	fl->payload_off = off + l4len;
	return;

not_l4:
	fl->l4proto = 0;
}

/* Toeplitz over the bytes of @in with the 40-byte key. */
static u32 zcnic_toeplitz(const u8 *key, const u8 *in, unsigned int n)
{
	u32 v = get_unaligned_be32(key), hash = 0;
	unsigned int i, b;

	for (i = 0; i < n; i++) {
		for (b = 0; b < 8; b++) {
			if (in[i] & (0x80 >> b))
				hash ^= v;
			v <<= 1;
			if (i + 4 < ZCNIC_RSS_KEY_SIZE &&
			    key[i + 4] & (0x80 >> b))
				v |= 1;
		}
	}
	return hash;
}

static u32 zcnic_hash(const struct zcnic_priv *rx, const struct zcnic_flow *fl,
		      bool *l4)
{
	u8 in[2 * sizeof(struct in6_addr) + 4];
	unsigned int n;

	if (fl->proto == htons(ETH_P_IP)) {
		memcpy(in, fl->v4, 8);
		n = 8;
	} else if (fl->proto == htons(ETH_P_IPV6)) {
		memcpy(in, fl->v6, 32);
		n = 32;
	} else {
		*l4 = false;
		return 0;
	}
	*l4 = !!fl->l4proto;
	if (*l4) {
		memcpy(in + n, &fl->sport, 2);
		memcpy(in + n + 2, &fl->dport, 2);
		n += 4;
	}
	return zcnic_toeplitz(rx->rss_key, in, n);
}

static bool zcnic_match_ports(const struct ethtool_tcpip4_spec *v,
			      const struct ethtool_tcpip4_spec *m,
			      const struct zcnic_flow *fl)
{
	return !((fl->sport ^ v->psrc) & m->psrc) &&
	       !((fl->dport ^ v->pdst) & m->pdst);
}

static bool zcnic_match_addr6(const __be32 *v, const __be32 *m,
			      const struct in6_addr *a)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if ((a->s6_addr32[i] ^ v[i]) & m[i])
			return false;
	return true;
}

static bool zcnic_rule_match(const struct ethtool_rx_flow_spec *fs,
			     const struct zcnic_flow *fl)
{
	u32 type = fs->flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
	const struct ethtool_tcpip4_spec *v4 = &fs->h_u.tcp_ip4_spec;
	const struct ethtool_tcpip4_spec *m4 = &fs->m_u.tcp_ip4_spec;
	const struct ethtool_tcpip6_spec *v6 = &fs->h_u.tcp_ip6_spec;
	const struct ethtool_tcpip6_spec *m6 = &fs->m_u.tcp_ip6_spec;
	struct ethtool_tcpip4_spec p6 = {
		.psrc = v6->psrc, .pdst = v6->pdst,
	}, pm6 = {
		.psrc = m6->psrc, .pdst = m6->pdst,
	};
	bool v4flow = fl->proto == htons(ETH_P_IP);
	bool v6flow = fl->proto == htons(ETH_P_IPV6);

	switch (type) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW:
		if (!v4flow || fl->l4proto != (type == TCP_V4_FLOW ?
					       IPPROTO_TCP : IPPROTO_UDP))
			return false;
		return !((fl->v4[0] ^ v4->ip4src) & m4->ip4src) &&
		       !((fl->v4[1] ^ v4->ip4dst) & m4->ip4dst) &&
		       zcnic_match_ports(v4, m4, fl);
	case TCP_V6_FLOW:
	case UDP_V6_FLOW:
		if (!v6flow || fl->l4proto != (type == TCP_V6_FLOW ?
					       IPPROTO_TCP : IPPROTO_UDP))
			return false;
		return zcnic_match_addr6(v6->ip6src, m6->ip6src, &fl->v6[0]) &&
		       zcnic_match_addr6(v6->ip6dst, m6->ip6dst, &fl->v6[1]) &&
		       zcnic_match_ports(&p6, &pm6, fl);
	}
	return false;
}

/**
 * zcnic_steer() - pick the rx queue of @rx for a frame
 * @rx: the receiving device
 * @fl: the frame's parsed flow
 * @hash: set to the RSS hash
 *
 * Return: the queue, or ZCNIC_MAX_QUEUES for a rule that discards.
 */
unsigned int zcnic_steer(struct zcnic_priv *rx, const struct zcnic_flow *fl,
			 u32 *hash)
{
	unsigned int nq = READ_ONCE(rx->netdev->real_num_rx_queues);
	unsigned int i, q = 0;
	bool l4;

	*hash = zcnic_hash(rx, fl, &l4);

	spin_lock_bh(&rx->steer_lock);
	for (i = 0; i < ZCNIC_MAX_RULES && rx->nrules; i++) {
		const struct ethtool_rx_flow_spec *fs = &rx->rules[i].fs;

		if (!rx->rules[i].used || !zcnic_rule_match(fs, fl))
			continue;
		if (fs->ring_cookie == RX_CLS_FLOW_DISC)
			q = ZCNIC_MAX_QUEUES;
		else
			q = ethtool_get_flow_spec_ring(fs->ring_cookie);
		goto out;
	}
	q = rx->indir[*hash % ZCNIC_RSS_INDIR_SIZE];
out:
	spin_unlock_bh(&rx->steer_lock);
	if (q != ZCNIC_MAX_QUEUES && q >= nq)
		q = 0;
	return q;
}

void zcnic_steer_init(struct zcnic_priv *priv)
{
	unsigned int n = priv->netdev->real_num_rx_queues, i;

	netdev_rss_key_fill(priv->rss_key, sizeof(priv->rss_key));
	for (i = 0; i < ZCNIC_RSS_INDIR_SIZE; i++)
		priv->indir[i] = ethtool_rxfh_indir_default(i, n);
}

/* The highest queue the indirection table uses, plus one. */
unsigned int zcnic_indir_max(struct zcnic_priv *priv)
{
	unsigned int i, max = 0;

	for (i = 0; i < ZCNIC_RSS_INDIR_SIZE; i++)
		max = max(max, priv->indir[i] + 1);
	return max;
}

static bool zcnic_flow_type_ok(u32 flow_type)
{
	switch (flow_type) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW:
	case TCP_V6_FLOW:
	case UDP_V6_FLOW:
		return true;
	}
	return false;
}

int zcnic_rule_insert(struct zcnic_priv *priv, struct ethtool_rx_flow_spec *fs)
{
	u32 loc = fs->location;
	int err = 0;

	ASSERT_RTNL();

	if (!(priv->netdev->features & NETIF_F_NTUPLE))
		return -EOPNOTSUPP;
	if (!zcnic_flow_type_ok(fs->flow_type))
		return -EOPNOTSUPP;
	if (fs->ring_cookie != RX_CLS_FLOW_DISC &&
	    (ethtool_get_flow_spec_ring_vf(fs->ring_cookie) ||
	     ethtool_get_flow_spec_ring(fs->ring_cookie) >=
	     priv->netdev->real_num_rx_queues))
		return -EINVAL;

	spin_lock_bh(&priv->steer_lock);
	if (loc == RX_CLS_LOC_ANY || loc == RX_CLS_LOC_FIRST) {
		for (loc = 0; loc < ZCNIC_MAX_RULES; loc++)
			if (!priv->rules[loc].used)
				break;
		if (loc == ZCNIC_MAX_RULES)
			err = -ENOSPC;
	} else if (loc == RX_CLS_LOC_LAST) {
		for (loc = ZCNIC_MAX_RULES; loc > 0; loc--)
			if (!priv->rules[loc - 1].used)
				break;
		if (!loc--)
			err = -ENOSPC;
	} else if (loc >= ZCNIC_MAX_RULES) {
		err = -EINVAL;
	}
	if (!err) {
		fs->location = loc;
		if (!priv->rules[loc].used)
			priv->nrules++;
		priv->rules[loc].fs = *fs;
		priv->rules[loc].used = true;
	}
	spin_unlock_bh(&priv->steer_lock);
	return err;
}

int zcnic_rule_delete(struct zcnic_priv *priv, u32 loc)
{
	int err = 0;

	if (loc >= ZCNIC_MAX_RULES)
		return -EINVAL;
	spin_lock_bh(&priv->steer_lock);
	if (priv->rules[loc].used) {
		priv->rules[loc].used = false;
		priv->nrules--;
	} else {
		err = -ENOENT;
	}
	spin_unlock_bh(&priv->steer_lock);
	return err;
}

void zcnic_rules_flush(struct zcnic_priv *priv)
{
	spin_lock_bh(&priv->steer_lock);
	memset(priv->rules, 0, sizeof(priv->rules));
	priv->nrules = 0;
	spin_unlock_bh(&priv->steer_lock);
}
