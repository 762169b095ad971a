// SPDX-License-Identifier: GPL-2.0
/*
 * bench_bound: the zc_bound mode of zc-bench-tx.  Every send joins, and
 * nothing closes a notification but the kernel's bounds, which the bench
 * sets to their maximum: about one notification per run, the upper bound
 * of what coalescing can gain (the "zc" column of the 2022 series).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/zc_policy.h>

char _license[] SEC("license") = "GPL";

/* Hold as many sends as the kernel lets one notification take. */
SEC("struct_ops/bound_join")
int BPF_PROG(bound_join, const struct zc_send_ctx *zc)
{
	return ZC_SEND_HOLD_MAX;
}

SEC(".struct_ops.link")
struct zc_send_ops bench_bound = {
	.join	= (void *)bound_join,
	.name	= "bench_bound",
};
