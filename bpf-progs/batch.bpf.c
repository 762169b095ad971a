// SPDX-License-Identifier: GPL-2.0
/*
 * batch: one notification for every N sends or B bytes, whichever comes
 * first, B judged by the size of the send that opens it (a sendmsg, whose
 * size is unknown then, counts N).  The send that fills it closes it.
 * The kernel's own bounds (and its timeout) still apply on top.
 *
 * Knobs, map "knobs" (one entry): sends (default 32), bytes (default 0:
 * the sender's own byte bound, which the kernel enforces anyway, so only
 * the count decides).  For example, 64 sends:
 *   bpftool map update name knobs key 0 0 0 0 value 64 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "zc_send_policy.h"

char _license[] SEC("license") = "GPL";

struct batch_knobs {
	__u32 sends;
	__u32 __pad;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct batch_knobs);
} knobs SEC(".maps");

static __always_inline void batch_limits(const struct zc_send_ctx *zc,
					 __u32 *sends, __u64 *bytes)
{
	struct batch_knobs *k = zc_knobs(knobs);

	*sends = k && k->sends ? k->sends : 32;
	*bytes = k && k->bytes ? k->bytes : zc->max_bytes;
}

/*
 * A new notification holds N sends, or as many of this send's size as fit
 * in B bytes: the kernel joins them without asking, and closes it as the
 * last joins.  So join runs once per notification, and there is no flush.
 */
SEC("struct_ops/batch_join")
int BPF_PROG(batch_join, const struct zc_send_ctx *zc)
{
	__u32 sends;
	__u64 bytes, n;

	batch_limits(zc, &sends, &bytes);
	n = sends;
	if (zc->len && bytes / zc->len < n)
		n = bytes / zc->len;
	return zc_hold(n);
}

SEC("struct_ops/batch_closed")
void BPF_PROG(batch_closed, const struct zc_send_ctx *zc)
{
	zc_count_closed(zc);
}

SEC(".struct_ops.link")
struct zc_send_ops batch = {
	.join	= (void *)batch_join,
	.closed	= (void *)batch_closed,
	.name	= "batch",
};
