// SPDX-License-Identifier: GPL-2.0
/*
 * reserve: the watermark policy, and when a burst exhausts the area
 * anyway, the pool borrows kernel pages (ZC_REFILL_RESERVE) instead of
 * letting the NIC drop.  RECV_ZC copies what lands in them into area
 * buffers as the application returns some: a burst costs copies, not
 * drops and retransmissions.  The kernel bounds how many pages a queue
 * borrows.
 *
 * Knobs: those of watermark, in map "knobs".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "watermark.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/reserve_alloc")
int BPF_PROG(reserve_alloc, const struct zc_refill_ctx *c)
{
	return wm_alloc(c, ZC_REFILL_RESERVE);
}

SEC("struct_ops/reserve_ahead")
int BPF_PROG(reserve_ahead, const struct zc_refill_ctx *c)
{
	return wm_ahead(c);
}

SEC("struct_ops/reserve_notify")
int BPF_PROG(reserve_notify, const struct zc_refill_ctx *c)
{
	return wm_notify(c);
}

SEC(".struct_ops.link")
struct zc_refill_ops reserve = {
	.alloc	= (void *)reserve_alloc,
	.ahead	= (void *)reserve_ahead,
	.notify	= (void *)reserve_notify,
	.name	= "reserve",
};
