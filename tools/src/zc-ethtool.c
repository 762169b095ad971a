// SPDX-License-Identifier: GPL-2.0
/*
 * zc-ethtool: the ring parameter part of ethtool, over ethtool netlink,
 * with TCP header/data split, which Debian 12's ethtool 6.1 cannot set.
 *
 *   zc-ethtool -g IF
 *   zc-ethtool -G IF [rx N] [tx N] [rx-buf-len N] [tcp-data-split on|off|auto]
 *
 * Raw generic netlink, no libmnl.  A failed request prints the kernel's
 * errno and its extack message and exits 1; a bad command line exits 2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define MSG_BUF		8192
#define RECV_BUF	65536
#define MAX_NAMED	16

static const char *prog = "zc-ethtool";

/* A request under construction, and which attribute sits where in it. */
struct req {
	union {
		struct nlmsghdr nlh;
		char buf[MSG_BUF];
	};
	struct {
		unsigned int off;
		const char *name;
	} named[MAX_NAMED];
	int n_named;
};

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -g|--show-ring IF\n"
		"       %s -G|--set-ring IF [rx N] [tx N] [rx-buf-len N]\n"
		"                 [tcp-data-split on|off|auto]\n",
		prog, prog);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ------------------------------------------------ building requests */

static void req_init(struct req *r, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = NLMSG_DATA(&r->nlh);
	g->cmd = cmd;
	g->version = 1;
}

static struct nlattr *req_put(struct req *r, uint16_t type, const void *data,
			      size_t len, const char *name)
{
	unsigned int off = NLMSG_ALIGN(r->nlh.nlmsg_len);
	struct nlattr *a = (struct nlattr *)(r->buf + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(r->buf))
		die("request too large");
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = off + NLA_ALIGN(a->nla_len);
	if (name && r->n_named < MAX_NAMED) {
		r->named[r->n_named].off = off;
		r->named[r->n_named].name = name;
		r->n_named++;
	}
	return a;
}

static void req_put_u8(struct req *r, uint16_t type, uint8_t v, const char *name)
{
	req_put(r, type, &v, sizeof(v), name);
}

static void req_put_u32(struct req *r, uint16_t type, uint32_t v, const char *name)
{
	req_put(r, type, &v, sizeof(v), name);
}

static void req_put_str(struct req *r, uint16_t type, const char *s, const char *name)
{
	req_put(r, type, s, strlen(s) + 1, name);
}

static struct nlattr *req_nest_start(struct req *r, uint16_t type, const char *name)
{
	return req_put(r, type | NLA_F_NESTED, NULL, 0, name);
}

static void req_nest_end(struct req *r, struct nlattr *nest)
{
	nest->nla_len = r->buf + r->nlh.nlmsg_len - (char *)nest;
}

/* The ethtool request header every ethtool message starts with. */
static void req_put_header(struct req *r, uint16_t type, const char *ifname,
			   uint32_t flags)
{
	struct nlattr *nest = req_nest_start(r, type, "header");

	req_put_str(r, ETHTOOL_A_HEADER_DEV_NAME, ifname, "device name");
	if (flags)
		req_put_u32(r, ETHTOOL_A_HEADER_FLAGS, flags, "header flags");
	req_nest_end(r, nest);
}

/* ------------------------------------------------ parsing attributes */

/* Index the attributes in [data, data + len) by type; later ones win. */
static void parse_attrs(const void *data, size_t len, const struct nlattr **tb,
			int max)
{
	const char *p = data;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t step;
		int type;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		type = a->nla_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = a;
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static int attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return 0;
	memcpy(v, attr_data(a), sizeof(*v));
	return 1;
}

static int attr_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return 0;
	memcpy(v, attr_data(a), sizeof(*v));
	return 1;
}

static int attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return 0;
	memcpy(v, attr_data(a), sizeof(*v));
	return 1;
}

/* ------------------------------------------------ talking to the kernel */

static void nl_open(struct nl *nl)
{
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		die("socket(AF_NETLINK, NETLINK_GENERIC): %s", strerror(errno));
	/*
	 * Extended ACKs carry the kernel's message; without them a failure
	 * is a bare errno.  Capped ACKs do not echo our request back.
	 */
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)))
		fprintf(stderr, "%s: warning: NETLINK_EXT_ACK: %s\n", prog,
			strerror(errno));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = time(NULL);
}

/* Name of the request attribute at offset off, if we put one there. */
static const char *named_at(const struct req *r, uint32_t off)
{
	int i;

	for (i = 0; i < r->n_named; i++)
		if (r->named[i].off == off)
			return r->named[i].name;
	return NULL;
}

/*
 * Report the kernel's answer to a request: errno, its name, and the
 * extended ACK's message and offending attribute when there are some.
 * With error 0 the message, if any, is a warning.
 */
static void report_ack(const struct req *r, const char *what,
		       const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	const char *msg = NULL, *attr = NULL;
	size_t off, len = h->nlmsg_len - NLMSG_HDRLEN;
	uint32_t bad_off;
	int err = -e->error;

	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		if (off < len)
			parse_attrs((const char *)e + off, len - off, tb,
				    NLMSGERR_ATTR_MAX);
	}
	if (tb[NLMSGERR_ATTR_MSG] && attr_len(tb[NLMSGERR_ATTR_MSG]) > 1 &&
	    ((const char *)attr_data(tb[NLMSGERR_ATTR_MSG]))
		[attr_len(tb[NLMSGERR_ATTR_MSG]) - 1] == '\0')
		msg = attr_data(tb[NLMSGERR_ATTR_MSG]);
	if (attr_u32(tb[NLMSGERR_ATTR_OFFS], &bad_off))
		attr = named_at(r, bad_off);

	if (!err) {
		if (msg)
			fprintf(stderr, "%s: %s: warning: %s\n", prog, what, msg);
		return;
	}
	fprintf(stderr, "%s: %s: %s (%s, errno %d)", prog, what, strerror(err),
		strerrorname_np(err) ? strerrorname_np(err) : "?", err);
	if (msg)
		fprintf(stderr, ": %s", msg);
	if (attr)
		fprintf(stderr, " [attribute: %s]", attr);
	fputc('\n', stderr);
}

typedef void (*reply_fn)(const struct nlmsghdr *h, void *arg);

/*
 * Send r and read until its ACK.  Replies of the request's family go to
 * fn.  Returns 0, or the kernel's positive errno after reporting it.
 */
static int nl_transact(struct nl *nl, struct req *r, const char *what,
		       reply_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[RECV_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = ++nl->seq;
	ssize_t n;

	r->nlh.nlmsg_seq = seq;
	do {
		n = sendto(nl->fd, r->buf, r->nlh.nlmsg_len, 0,
			   (struct sockaddr *)&sa, sizeof(sa));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die("%s: sending to the kernel: %s", what, strerror(errno));
	if ((size_t)n != r->nlh.nlmsg_len)
		die("%s: short netlink send", what);

	for (;;) {
		const struct nlmsghdr *h;
		size_t left;

		n = recv(nl->fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: reading the kernel's answer: %s", what,
			    strerror(errno));
		if ((size_t)n > sizeof(buf))
			die("%s: netlink answer truncated (%zd bytes)", what, n);
		left = n;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;	/* stale, or a notification */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					die("%s: short netlink error message", what);
				report_ack(r, what, h);
				return -e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == r->nlh.nlmsg_type && fn)
				fn(h, arg);
		}
	}
}

static void family_reply(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;

	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return;
	parse_attrs(p, h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), tb, CTRL_ATTR_MAX);
	attr_u16(tb[CTRL_ATTR_FAMILY_ID], arg);
}

static void resolve_family(struct nl *nl)
{
	struct req *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		die("out of memory");
	req_init(r, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	req_put_str(r, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME, "family name");
	nl->family = 0;
	err = nl_transact(nl, r, "resolving the \"" ETHTOOL_GENL_NAME
			  "\" generic netlink family", family_reply, &nl->family);
	free(r);
	if (err == ENOENT)
		die("this kernel has no ethtool netlink interface (CONFIG_ETHTOOL_NETLINK)");
	if (err)
		exit(1);
	if (!nl->family)
		die("no family id in the kernel's CTRL_CMD_GETFAMILY reply");
}

/* ------------------------------------------------ -g */

static const char *split_name(uint8_t v)
{
	switch (v) {
	case ETHTOOL_TCP_DATA_SPLIT_UNKNOWN:
		return "unknown";
	case ETHTOOL_TCP_DATA_SPLIT_DISABLED:
		return "off";
	case ETHTOOL_TCP_DATA_SPLIT_ENABLED:
		return "on";
	}
	return NULL;
}

static void print_u32(const char *label, const struct nlattr *a)
{
	uint32_t v;

	if (attr_u32(a, &v))
		printf("%s\t%u\n", label, v);
	else
		printf("%s\tn/a\n", label);
}

struct show {
	const char *ifname;
	int seen;
};

static void rings_reply(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *tb[ETHTOOL_A_RINGS_MAX + 1];
	const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
	struct show *show = arg;
	const char *name;
	uint8_t split = ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;

	if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return;
	parse_attrs(p, h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), tb,
		    ETHTOOL_A_RINGS_MAX);
	show->seen++;

	printf("Ring parameters for %s:\n", show->ifname);
	printf("Pre-set maximums:\n");
	print_u32("RX:\t", tb[ETHTOOL_A_RINGS_RX_MAX]);
	print_u32("RX Mini:", tb[ETHTOOL_A_RINGS_RX_MINI_MAX]);
	print_u32("RX Jumbo:", tb[ETHTOOL_A_RINGS_RX_JUMBO_MAX]);
	print_u32("TX:\t", tb[ETHTOOL_A_RINGS_TX_MAX]);
	printf("Current hardware settings:\n");
	print_u32("RX:\t", tb[ETHTOOL_A_RINGS_RX]);
	print_u32("RX Mini:", tb[ETHTOOL_A_RINGS_RX_MINI]);
	print_u32("RX Jumbo:", tb[ETHTOOL_A_RINGS_RX_JUMBO]);
	print_u32("TX:\t", tb[ETHTOOL_A_RINGS_TX]);
	if (tb[ETHTOOL_A_RINGS_RX_BUF_LEN])
		print_u32("RX Buf Len:", tb[ETHTOOL_A_RINGS_RX_BUF_LEN]);
	/* The kernel leaves the attribute out when the driver does not know. */
	attr_u8(tb[ETHTOOL_A_RINGS_TCP_DATA_SPLIT], &split);
	name = split_name(split);
	if (name)
		printf("TCP data split:\t%s\n", name);
	else
		printf("TCP data split:\tvalue %u\n", split);
}

static int show_rings(struct nl *nl, const char *ifname)
{
	struct show show = { .ifname = ifname };
	struct req *r = calloc(1, sizeof(*r));
	char what[64];
	int err;

	if (!r)
		die("out of memory");
	snprintf(what, sizeof(what), "-g %s", ifname);
	req_init(r, nl->family, 0, ETHTOOL_MSG_RINGS_GET);
	req_put_header(r, ETHTOOL_A_RINGS_HEADER, ifname, 0);
	err = nl_transact(nl, r, what, rings_reply, &show);
	free(r);
	if (err)
		return 1;
	if (!show.seen) {
		fprintf(stderr, "%s: %s: the kernel sent no ring parameters\n",
			prog, what);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------ -G */

static uint32_t parse_u32(const char *key, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		bad_args("-G: %s \"%s\" is not a number", key, s);
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		bad_args("-G: %s \"%s\" is not a number up to %u", key, s, UINT32_MAX);
	return v;
}

/*
 * Build the RINGS_SET request from the command line before talking to the
 * kernel, so that a bad argument never gets half-way.  The message type,
 * the family id, is filled in once it is known.
 */
static struct req *build_set(const char *ifname, int argc, char **argv)
{
	static const struct {
		const char *key;
		uint16_t type;
	} u32_keys[] = {
		{ "rx", ETHTOOL_A_RINGS_RX },
		{ "tx", ETHTOOL_A_RINGS_TX },
		{ "rx-buf-len", ETHTOOL_A_RINGS_RX_BUF_LEN },
	};
	const int n_keys = sizeof(u32_keys) / sizeof(u32_keys[0]);
	unsigned int seen = 0;
	struct req *r;
	int i, k;

	if (argc == 0)
		bad_args("-G %s: no ring parameter to set", ifname);
	r = calloc(1, sizeof(*r));
	if (!r)
		die("out of memory");
	req_init(r, 0, 0, ETHTOOL_MSG_RINGS_SET);
	req_put_header(r, ETHTOOL_A_RINGS_HEADER, ifname, 0);

	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		for (k = 0; k < n_keys; k++)
			if (!strcmp(key, u32_keys[k].key))
				break;
		if (k == n_keys && strcmp(key, "tcp-data-split"))
			bad_args("-G: unknown ring parameter \"%s\"", key);
		if (!val)
			bad_args("-G: %s needs a value", key);
		if (seen & (1u << k))
			bad_args("-G: %s given twice", key);
		seen |= 1u << k;

		if (k < n_keys) {
			req_put_u32(r, u32_keys[k].type, parse_u32(key, val),
				    u32_keys[k].key);
		} else {
			uint8_t v;

			if (!strcmp(val, "on"))
				v = ETHTOOL_TCP_DATA_SPLIT_ENABLED;
			else if (!strcmp(val, "off"))
				v = ETHTOOL_TCP_DATA_SPLIT_DISABLED;
			else if (!strcmp(val, "auto"))
				/* No explicit choice: the driver decides. */
				v = ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
			else
				bad_args("-G: tcp-data-split \"%s\" is not on, off or auto",
					 val);
			req_put_u8(r, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, v,
				   "tcp-data-split");
		}
	}
	return r;
}

static int set_rings(struct nl *nl, struct req *r, const char *ifname)
{
	char what[64];
	int err;

	snprintf(what, sizeof(what), "-G %s", ifname);
	r->nlh.nlmsg_type = nl->family;
	err = nl_transact(nl, r, what, NULL, NULL);
	free(r);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct req *set = NULL;
	const char *ifname;
	struct nl nl;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2)
		bad_args("missing command");
	if (strcmp(argv[1], "-g") && strcmp(argv[1], "--show-ring") &&
	    strcmp(argv[1], "-G") && strcmp(argv[1], "--set-ring"))
		bad_args("unknown command \"%s\"", argv[1]);
	if (argc < 3 || !*argv[2])
		bad_args("%s: missing interface", argv[1]);
	ifname = argv[2];
	if (!strcmp(argv[1], "-G") || !strcmp(argv[1], "--set-ring"))
		set = build_set(ifname, argc - 3, argv + 3);
	else if (argc > 3)
		bad_args("%s takes only an interface, not \"%s\"", argv[1], argv[3]);

	nl_open(&nl);
	resolve_family(&nl);
	return set ? set_rings(&nl, set, ifname) : show_rings(&nl, ifname);
}
