// SPDX-License-Identifier: GPL-2.0
/*
 * per_send: stock behaviour as a policy.  Every send opens its own
 * notification, goes zero-copy, and closes it right after the send:
 * what a ring without a policy does, plus the statistics.  It is the
 * baseline the other policies are measured against.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "zc_send_policy.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/per_send_join")
int BPF_PROG(per_send_join, const struct zc_send_ctx *zc)
{
	return ZC_SEND_NEW;
}

SEC("struct_ops/per_send_mode")
int BPF_PROG(per_send_mode, const struct zc_send_ctx *zc)
{
	return ZC_SEND_ZEROCOPY;
}

SEC("struct_ops/per_send_flush")
int BPF_PROG(per_send_flush, const struct zc_send_ctx *zc)
{
	zc_count_mode(zc);
	return ZC_SEND_FLUSH;
}

SEC("struct_ops/per_send_closed")
void BPF_PROG(per_send_closed, const struct zc_send_ctx *zc)
{
	zc_count_closed(zc);
}

SEC(".struct_ops.link")
struct zc_send_ops per_send = {
	.join	= (void *)per_send_join,
	.mode	= (void *)per_send_mode,
	.flush	= (void *)per_send_flush,
	.closed	= (void *)per_send_closed,
	.name	= "per_send",
};
