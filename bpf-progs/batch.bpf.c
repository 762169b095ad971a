// SPDX-License-Identifier: GPL-2.0
/*
 * batch: one notification for every N sends or B bytes, whichever comes
 * first.  Sends join the open notification until it holds N sends or B
 * bytes; the send that fills it closes it.  The kernel's own bounds (and
 * its timeout) still apply on top.
 *
 * Knobs, map "knobs" (one entry): sends (default 32), bytes (default
 * 1 MiB).  For example, 64 sends:
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

static __always_inline void batch_limits(__u32 *sends, __u64 *bytes)
{
	struct batch_knobs *k = zc_knobs(knobs);

	*sends = k && k->sends ? k->sends : 32;
	*bytes = k && k->bytes ? k->bytes : 1 << 20;
}

SEC("struct_ops/batch_join")
int BPF_PROG(batch_join, const struct zc_send_ctx *zc)
{
	__u32 sends;
	__u64 bytes;

	batch_limits(&sends, &bytes);
	if (zc->open_sends && zc->open_sends < sends &&
	    zc->open_bytes + zc->len <= bytes)
		return ZC_SEND_JOIN;
	return ZC_SEND_NEW;
}

SEC("struct_ops/batch_mode")
int BPF_PROG(batch_mode, const struct zc_send_ctx *zc)
{
	return ZC_SEND_ZEROCOPY;
}

SEC("struct_ops/batch_flush")
int BPF_PROG(batch_flush, const struct zc_send_ctx *zc)
{
	__u32 sends;
	__u64 bytes;

	zc_count_mode(zc);
	batch_limits(&sends, &bytes);
	if (zc->open_sends >= sends || zc->open_bytes >= bytes)
		return ZC_SEND_FLUSH;
	return ZC_SEND_KEEP;
}

SEC("struct_ops/batch_closed")
void BPF_PROG(batch_closed, const struct zc_send_ctx *zc)
{
	zc_count_closed(zc);
}

SEC(".struct_ops.link")
struct zc_send_ops batch = {
	.join	= (void *)batch_join,
	.mode	= (void *)batch_mode,
	.flush	= (void *)batch_flush,
	.closed	= (void *)batch_closed,
	.name	= "batch",
};
