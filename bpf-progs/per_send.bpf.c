// SPDX-License-Identifier: GPL-2.0
/*
 * per_send: stock behaviour as a policy.  Every send opens its own
 * notification, goes zero-copy, and closes it right after the send:
 * what a ring without a policy does, plus the statistics.  It is the
 * baseline the other policies are measured against.
 *
 * That is also what the kernel does for a decision a policy has no
 * program for, so per_send has only closed(), where it counts.  Without
 * join or flush programs, its notifications are ones nothing can join,
 * which the kernel keeps at nearly stock cost, and closed() runs once per
 * completion flush with a batch of them: no program run per send.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "zc_send_policy.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/per_send_closed")
void BPF_PROG(per_send_closed, const struct zc_send_ctx *zc)
{
	zc_count_closed(zc);
}

SEC(".struct_ops.link")
struct zc_send_ops per_send = {
	.closed	= (void *)per_send_closed,
	.name	= "per_send",
};
