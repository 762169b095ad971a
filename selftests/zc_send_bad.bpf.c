// SPDX-License-Identifier: GPL-2.0
/*
 * Send policies the kernel must refuse to load: each case of zc_send
 * loads one of these maps alone and expects the load to fail.
 *
 * sleepy:   a sleepable program (decisions run in softirq)
 * nosy:     calls a helper outside the policy's whitelist
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/zc_policy.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/sleepy_join")
int BPF_PROG(sleepy_join, const struct zc_send_ctx *zc)
{
	return ZC_SEND_NEW;
}

SEC(".struct_ops.link")
struct zc_send_ops sleepy = {
	.join	= (void *)sleepy_join,
	.name	= "t_sleepy",
};

SEC("struct_ops/nosy_join")
int BPF_PROG(nosy_join, const struct zc_send_ctx *zc)
{
	/* current is arbitrary where decisions run */
	return bpf_get_current_pid_tgid() & 1;
}

SEC(".struct_ops.link")
struct zc_send_ops nosy = {
	.join	= (void *)nosy_join,
	.name	= "t_nosy",
};
