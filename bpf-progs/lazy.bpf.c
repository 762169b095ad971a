// SPDX-License-Identifier: GPL-2.0
/*
 * lazy: the kernel's stock refill, as upstream has it, with statistics.
 * The pool takes back up to 64 returned buffers when its cache runs dry,
 * then free ones; nothing is refilled ahead; the application hears only
 * that the NIC found no buffer, or that data was copied.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "zc_refill_policy.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/lazy_alloc")
int BPF_PROG(lazy_alloc, const struct zc_refill_ctx *c)
{
	struct zc_refill_stats *st = zc_refill_stats();

	if (st) {
		st->alloc_calls++;
		st->alloc_taken += c->rq_pending < 64 ? c->rq_pending : 64;
		zc_refill_seen(st, c);
	}
	return 0;
}

SEC("struct_ops/lazy_notify")
int BPF_PROG(lazy_notify, const struct zc_refill_ctx *c)
{
	return zc_refill_count_notify(c, zc_refill_stock_notify(c));
}

SEC(".struct_ops.link")
struct zc_refill_ops lazy = {
	.alloc	= (void *)lazy_alloc,
	.notify	= (void *)lazy_notify,
	.name	= "lazy",
};
