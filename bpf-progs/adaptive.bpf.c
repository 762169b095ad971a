// SPDX-License-Identifier: GPL-2.0
/*
 * adaptive: keep the notification open while the socket has data waiting
 * to go out, close it once the socket's write queue drains, and in any
 * case close it a short while after the send.
 *
 * Sends always join the open notification.  After each send: a TCP
 * socket with nothing unsent (or a datagram socket, which queues
 * nothing) closes the notification; otherwise it stays open at most
 * "keep_ns" more (default 50 us), and at most the ring's own timeout.
 *
 * Knobs, map "knobs" (one entry): keep_ns.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "zc_send_policy.h"

char _license[] SEC("license") = "GPL";

struct adaptive_knobs {
	__u64 keep_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct adaptive_knobs);
} knobs SEC(".maps");

SEC("struct_ops/adaptive_join")
int BPF_PROG(adaptive_join, const struct zc_send_ctx *zc)
{
	return ZC_SEND_JOIN;
}

SEC("struct_ops/adaptive_flush")
int BPF_PROG(adaptive_flush, const struct zc_send_ctx *zc)
{
	struct adaptive_knobs *k = zc_knobs(knobs);
	__u64 keep = k && k->keep_ns ? k->keep_ns : 50000;

	if (!zc->unsent)
		return ZC_SEND_FLUSH;
	if (keep < ZC_SEND_KEEP_NS_MIN)
		keep = ZC_SEND_KEEP_NS_MIN;
	if (keep > 0x7fffffff)
		keep = 0x7fffffff;
	return keep;
}

/*
 * MSG_ZEROCOPY: while TCP still has data unsent or unacknowledged, more
 * ranges complete soon, so wake the socket once for several of them; the
 * kernel wakes it within timeout_ns anyway.
 */
SEC("struct_ops/adaptive_report")
int BPF_PROG(adaptive_report, const struct zc_send_ctx *zc)
{
	return zc->unsent || zc->unacked ? ZC_SEND_REPORT_QUIET : 0;
}

SEC("struct_ops/adaptive_closed")
void BPF_PROG(adaptive_closed, const struct zc_send_ctx *zc)
{
	zc_count_closed(zc);
}

SEC(".struct_ops.link")
struct zc_send_ops adaptive = {
	.join	= (void *)adaptive_join,
	.flush	= (void *)adaptive_flush,
	.closed	= (void *)adaptive_closed,
	.report	= (void *)adaptive_report,
	.name	= "adaptive",
};
