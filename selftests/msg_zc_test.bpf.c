// SPDX-License-Identifier: GPL-2.0
/*
 * A send policy for msg_zc's report cases: ranges of hold sends, each
 * completed range reported with the verdict the test sets.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/zc_policy.h>

char _license[] SEC("license") = "GPL";

__u32 hold = 4;
__u32 report_verdict;
__u64 reports, reported_sends, zerocopy_reports;

SEC("struct_ops/msg_report_join")
int BPF_PROG(msg_report_join, const struct zc_send_ctx *zc)
{
	return hold < ZC_SEND_HOLD_MIN ? ZC_SEND_NEW : hold;
}

SEC("struct_ops/msg_report_report")
int BPF_PROG(msg_report_report, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&reports, 1);
	__sync_fetch_and_add(&reported_sends, zc->open_sends);
	if (zc->zerocopy)
		__sync_fetch_and_add(&zerocopy_reports, 1);
	return report_verdict;
}

SEC(".struct_ops.link")
struct zc_send_ops msg_report = {
	.join	= (void *)msg_report_join,
	.report	= (void *)msg_report_report,
	.name	= "t_msg_report",
};
