// SPDX-License-Identifier: GPL-2.0
/*
 * copy_small: copy sends below a size threshold, zero-copy the rest, and
 * batch notifications as batch does.
 *
 * Below a few KiB, pinning pages and waiting for the data to be
 * acknowledged costs more than copying it; a copied send's buffer is free
 * as soon as the send returns, and its notification only confirms that.
 * Batching keeps those notifications few.  Sendmsg sizes are unknown when
 * the mode is chosen (len 0) and go zero-copy.
 *
 * Knobs, map "knobs" (one entry): threshold in bytes (default 2048;
 * sends of fewer bytes are copied), sends per notification (default 32).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "zc_send_policy.h"

char _license[] SEC("license") = "GPL";

struct copy_small_knobs {
	__u32 threshold;
	__u32 sends;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct copy_small_knobs);
} knobs SEC(".maps");

static __always_inline struct copy_small_knobs cs_knobs(void)
{
	struct copy_small_knobs *k = zc_knobs(knobs);
	struct copy_small_knobs v = { 2048, 32 };

	if (k && k->threshold)
		v.threshold = k->threshold;
	if (k && k->sends)
		v.sends = k->sends;
	return v;
}

/* Each notification holds "sends" sends: join runs once per notification. */
SEC("struct_ops/copy_small_join")
int BPF_PROG(copy_small_join, const struct zc_send_ctx *zc)
{
	return zc_hold(cs_knobs().sends);
}

/*
 * The threshold as a rule: the kernel copies the sends shorter than it
 * and asks no more until the next notification opens, so mode runs once
 * per notification too.
 */
SEC("struct_ops/copy_small_mode")
int BPF_PROG(copy_small_mode, const struct zc_send_ctx *zc)
{
	__u32 threshold = cs_knobs().threshold;

	if (threshold < ZC_SEND_COPY_BELOW_MIN)
		return ZC_SEND_ZEROCOPY;
	if (threshold > 0x7fffffff)
		threshold = 0x7fffffff;
	return threshold;
}

SEC("struct_ops/copy_small_closed")
void BPF_PROG(copy_small_closed, const struct zc_send_ctx *zc)
{
	zc_count_closed(zc);
}

SEC(".struct_ops.link")
struct zc_send_ops copy_small = {
	.join	= (void *)copy_small_join,
	.mode	= (void *)copy_small_mode,
	.closed	= (void *)copy_small_closed,
	.name	= "copy_small",
};
