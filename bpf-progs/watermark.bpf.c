// SPDX-License-Identifier: GPL-2.0
/*
 * watermark: refill ahead below a high mark, notify below a low mark.
 *
 * Knobs, map "knobs": high and low, in buffers (defaults: a quarter and
 * an eighth of the area).  For example high 512, low 128:
 *   bpftool map update name knobs key 0 0 0 0 value 0 2 0 0 128 0 0 0
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "watermark.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/watermark_alloc")
int BPF_PROG(watermark_alloc, const struct zc_refill_ctx *c)
{
	return wm_alloc(c, 0);
}

SEC("struct_ops/watermark_ahead")
int BPF_PROG(watermark_ahead, const struct zc_refill_ctx *c)
{
	return wm_ahead(c);
}

SEC("struct_ops/watermark_notify")
int BPF_PROG(watermark_notify, const struct zc_refill_ctx *c)
{
	return wm_notify(c);
}

SEC(".struct_ops.link")
struct zc_refill_ops watermark = {
	.alloc	= (void *)watermark_alloc,
	.ahead	= (void *)watermark_ahead,
	.notify	= (void *)watermark_notify,
	.name	= "watermark",
};
