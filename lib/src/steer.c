/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * What zero-copy receive needs from a NIC, set up in code: header/data
 * split (ethtool netlink: Debian 12's ethtool 6.1 cannot set it), and
 * flows steered to the bound queue with every other flow kept off it
 * (the SIOCETHTOOL ioctl: RSS indirection and ntuple rules).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>

#include "zc.h"

/* --------------------------------------------------------------- netlink */

struct nl_msg {
	struct nlmsghdr		nh;
	struct genlmsghdr	gh;
	char			buf[512];
};

static void nl_put(struct nl_msg *m, __u16 type, const void *data,
		   size_t len)
{
	struct nlattr *a = (void *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static struct nlattr *nl_nest(struct nl_msg *m, __u16 type)
{
	struct nlattr *a = (void *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type | NLA_F_NESTED;
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_HDRLEN;
	return a;
}

static void nl_nest_end(struct nl_msg *m, struct nlattr *a)
{
	a->nla_len = (char *)m + m->nh.nlmsg_len - (char *)a;
}

/*
 * Send @m and read the reply: the error of its ack, or with @family_id
 * set, the id in a CTRL_CMD_GETFAMILY reply.
 */
static int nl_call(int fd, struct nl_msg *m, __u16 *family_id)
{
	char buf[8192];
	ssize_t n;

	m->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, m, m->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h = (void *)buf;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct nlattr *a;
			int len;

			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (!family_id)
				continue;
			a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN;
			     len -= NLA_ALIGN(a->nla_len),
			     a = (void *)((char *)a + NLA_ALIGN(a->nla_len)))
				if (a->nla_type == CTRL_ATTR_FAMILY_ID)
					memcpy(family_id, (char *)a + NLA_HDRLEN,
					       sizeof(*family_id));
		}
	}
}

static void nl_init(struct nl_msg *m, __u16 type, __u8 cmd, __u8 version)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nh.nlmsg_type = type;
	m->gh.cmd = cmd;
	m->gh.version = version;
}

int zc_rx_set_header_split(const char *ifname, bool on)
{
	__u8 split = on ? ETHTOOL_TCP_DATA_SPLIT_ENABLED :
			  ETHTOOL_TCP_DATA_SPLIT_DISABLED;
	struct nl_msg m;
	struct nlattr *hdr;
	__u16 family = 0;
	int fd, ret;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	nl_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME,
	       sizeof(ETHTOOL_GENL_NAME));
	ret = nl_call(fd, &m, &family);
	if (!ret && !family)
		ret = -EOPNOTSUPP;
	if (!ret) {
		nl_init(&m, family, ETHTOOL_MSG_RINGS_SET,
			ETHTOOL_GENL_VERSION);
		hdr = nl_nest(&m, ETHTOOL_A_RINGS_HEADER);
		nl_put(&m, ETHTOOL_A_HEADER_DEV_NAME, ifname,
		       strlen(ifname) + 1);
		nl_nest_end(&m, hdr);
		nl_put(&m, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, &split,
		       sizeof(split));
		ret = nl_call(fd, &m, NULL);
	}
	close(fd);
	return ret;
}

/* -------------------------------------------------------------- SIOCETHTOOL */

static int ethtool_ioctl(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = {};

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* Spread RSS over queues 0 .. @rxq - 1: nothing hashes to @rxq. */
static int rss_below(int fd, const char *ifname, unsigned int rxq)
{
	struct ethtool_rxfh_indir get = { .cmd = ETHTOOL_GRXFHINDIR };
	struct ethtool_rxfh_indir *set;
	unsigned int i;
	int ret;

	ret = ethtool_ioctl(fd, ifname, &get);
	if (ret)
		return ret;
	set = calloc(1, sizeof(*set) + get.size * sizeof(set->ring_index[0]));
	if (!set)
		return -ENOMEM;
	set->cmd = ETHTOOL_SRXFHINDIR;
	set->size = get.size;
	for (i = 0; i < get.size; i++)
		set->ring_index[i] = i % rxq;
	ret = ethtool_ioctl(fd, ifname, set);
	free(set);
	return ret;
}

static int steer_port(int fd, const char *ifname, unsigned int rxq,
		      unsigned short port, bool v6)
{
	struct ethtool_rxnfc nfc = {
		.cmd = ETHTOOL_SRXCLSRLINS,
		.fs.flow_type = v6 ? TCP_V6_FLOW : TCP_V4_FLOW,
		.fs.ring_cookie = rxq,
		.fs.location = RX_CLS_LOC_ANY,
	};

	if (v6) {
		nfc.fs.h_u.tcp_ip6_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip6_spec.pdst = 0xffff;
	} else {
		nfc.fs.h_u.tcp_ip4_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip4_spec.pdst = 0xffff;
	}
	return ethtool_ioctl(fd, ifname, &nfc);
}

int zc_rx_steer(const char *ifname, unsigned int rxq,
		const unsigned short *ports, unsigned int nports,
		unsigned int flags)
{
	unsigned int i;
	int fd, ret;

	/* Other flows must have somewhere else to go. */
	if (!rxq || (flags & ~ZC_STEER_IPV6) || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	ret = zc_rx_set_header_split(ifname, true);
	if (ret)
		return ret;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = rss_below(fd, ifname, rxq);
	for (i = 0; !ret && i < nports; i++) {
		ret = steer_port(fd, ifname, rxq, ports[i], false);
		if (!ret && (flags & ZC_STEER_IPV6))
			ret = steer_port(fd, ifname, rxq, ports[i], true);
	}
	close(fd);
	return ret;
}
