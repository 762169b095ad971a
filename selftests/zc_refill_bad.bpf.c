// SPDX-License-Identifier: GPL-2.0
/*
 * Refill policies that misbehave, for zcrx_refill: the kernel must
 * contain each of them.
 *
 * t_garbage: every decision returns something that is not a verdict
 * t_starve:  keeps the copy fallback's free buffers from the pool, and
 *            takes one returned buffer at a time: the pool would starve
 * t_sleepy:  a sleepable program, which the kernel refuses to load
 * t_writer:  writes to its context, which is read-only: refused too
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/zc_policy.h>

char _license[] SEC("license") = "GPL";

__u32 calls;

SEC("struct_ops/garbage_alloc")
int BPF_PROG(garbage_alloc, const struct zc_refill_ctx *c)
{
	return calls++ & 1 ? -1 : 0x7fffffff;
}

SEC("struct_ops/garbage_ahead")
int BPF_PROG(garbage_ahead, const struct zc_refill_ctx *c)
{
	return -5;
}

SEC("struct_ops/garbage_notify")
int BPF_PROG(garbage_notify, const struct zc_refill_ctx *c)
{
	return 0xff;
}

SEC(".struct_ops.link")
struct zc_refill_ops garbage = {
	.alloc	= (void *)garbage_alloc,
	.ahead	= (void *)garbage_ahead,
	.notify	= (void *)garbage_notify,
	.name	= "t_garbage",
};

SEC("struct_ops/starve_alloc")
int BPF_PROG(starve_alloc, const struct zc_refill_ctx *c)
{
	return ZC_REFILL_NO_FREE | 1;
}

SEC(".struct_ops.link")
struct zc_refill_ops starve = {
	.alloc	= (void *)starve_alloc,
	.name	= "t_starve",
};

SEC("struct_ops.s/sleepy_alloc")
int BPF_PROG(sleepy_alloc, const struct zc_refill_ctx *c)
{
	return 0;
}

SEC(".struct_ops.link")
struct zc_refill_ops sleepy = {
	.alloc	= (void *)sleepy_alloc,
	.name	= "t_sleepy",
};

SEC("struct_ops/writer_alloc")
int BPF_PROG(writer_alloc, struct zc_refill_ctx *c)
{
	c->budget = 4096;
	return 0;
}

SEC(".struct_ops.link")
struct zc_refill_ops writer = {
	.alloc	= (void *)writer_alloc,
	.name	= "t_writer",
};
