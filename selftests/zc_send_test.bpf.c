// SPDX-License-Identifier: GPL-2.0
/*
 * Send policies for the selftests, misbehaving on purpose.
 *
 * never_flush: joins every send and never closes: only the kernel's
 *              bounds close its notifications.
 * garbage:     returns values that are no verdict: every decision is a
 *              fault and the kernel decides stock behaviour instead.
 * join_all:    joins every send, closes when "flush_every" sends are in
 *              (bss), counts its calls.
 * rule:        holds 4 sends, and its mode returns a copy threshold,
 *              "rule_below", that the kernel applies to the rest of them.
 * hold:        opens notifications that hold "hold_n" sends (bss), so
 *              join runs once per notification; counts its calls.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/zc_policy.h>

char _license[] SEC("license") = "GPL";

__u64 joins, modes, flushes, closes, closed_sends;
__u32 flush_every = 4;
__s32 hold_n = 4;
__s32 rule_below = 1000;
__u32 last_cause;
__u32 last_owner_pid;

SEC("struct_ops/never_flush_join")
int BPF_PROG(never_flush_join, const struct zc_send_ctx *zc)
{
	return ZC_SEND_JOIN;
}

SEC("struct_ops/never_flush_flush")
int BPF_PROG(never_flush_flush, const struct zc_send_ctx *zc)
{
	return ZC_SEND_KEEP;
}

SEC("struct_ops/never_flush_closed")
void BPF_PROG(never_flush_closed, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&closes, zc->notifs);
	__sync_fetch_and_add(&closed_sends, zc->open_sends);
	last_cause = zc->cause;
}

SEC(".struct_ops.link")
struct zc_send_ops never_flush = {
	.join	= (void *)never_flush_join,
	.flush	= (void *)never_flush_flush,
	.closed	= (void *)never_flush_closed,
	.name	= "t_never_flush",
};

SEC("struct_ops/garbage_join")
int BPF_PROG(garbage_join, const struct zc_send_ctx *zc)
{
	return ZC_SEND_HOLD_MAX + 1;
}

SEC("struct_ops/garbage_mode")
int BPF_PROG(garbage_mode, const struct zc_send_ctx *zc)
{
	return -3;
}

SEC("struct_ops/garbage_flush")
int BPF_PROG(garbage_flush, const struct zc_send_ctx *zc)
{
	return 2;	/* between KEEP and ZC_SEND_KEEP_NS_MIN */
}

SEC(".struct_ops.link")
struct zc_send_ops garbage = {
	.join	= (void *)garbage_join,
	.mode	= (void *)garbage_mode,
	.flush	= (void *)garbage_flush,
	.name	= "t_garbage",
};

SEC("struct_ops/join_all_join")
int BPF_PROG(join_all_join, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&joins, 1);
	last_owner_pid = zc->owner_pid;
	return ZC_SEND_JOIN;
}

SEC("struct_ops/join_all_mode")
int BPF_PROG(join_all_mode, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&modes, 1);
	return ZC_SEND_ZEROCOPY;
}

SEC("struct_ops/join_all_flush")
int BPF_PROG(join_all_flush, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&flushes, 1);
	return zc->open_sends >= flush_every ? ZC_SEND_FLUSH : ZC_SEND_KEEP;
}

SEC("struct_ops/join_all_closed")
void BPF_PROG(join_all_closed, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&closes, zc->notifs);
	__sync_fetch_and_add(&closed_sends, zc->open_sends);
	last_cause = zc->cause;
}

SEC(".struct_ops.link")
struct zc_send_ops join_all = {
	.join	= (void *)join_all_join,
	.mode	= (void *)join_all_mode,
	.flush	= (void *)join_all_flush,
	.closed	= (void *)join_all_closed,
	.name	= "t_join_all",
};

/* A second program under the same name, to replace join_all by. */
SEC("struct_ops/join_all2_join")
int BPF_PROG(join_all2_join, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&joins, 1);
	return ZC_SEND_JOIN;
}

SEC("struct_ops/join_all2_flush")
int BPF_PROG(join_all2_flush, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&flushes, 1);
	return ZC_SEND_FLUSH;
}

SEC(".struct_ops.link")
struct zc_send_ops join_all2 = {
	.join	= (void *)join_all2_join,
	.flush	= (void *)join_all2_flush,
	.name	= "t_join_all",
};

SEC("struct_ops/hold_join")
int BPF_PROG(hold_join, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&joins, 1);
	return hold_n;
}

SEC("struct_ops/hold_flush")
int BPF_PROG(hold_flush, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&flushes, 1);
	return ZC_SEND_FLUSH;
}

SEC("struct_ops/hold_closed")
void BPF_PROG(hold_closed, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&closes, zc->notifs);
	__sync_fetch_and_add(&closed_sends, zc->open_sends);
	last_cause = zc->cause;
}

SEC(".struct_ops.link")
struct zc_send_ops hold = {
	.join	= (void *)hold_join,
	.flush	= (void *)hold_flush,
	.closed	= (void *)hold_closed,
	.name	= "t_hold",
};

/* Four sends per notification, and a mode rule: copy below rule_below. */
SEC("struct_ops/rule_join")
int BPF_PROG(rule_join, const struct zc_send_ctx *zc)
{
	return 4;
}

SEC("struct_ops/rule_mode")
int BPF_PROG(rule_mode, const struct zc_send_ctx *zc)
{
	__sync_fetch_and_add(&modes, 1);
	return rule_below;
}

SEC(".struct_ops.link")
struct zc_send_ops rule = {
	.join	= (void *)rule_join,
	.mode	= (void *)rule_mode,
	.name	= "t_rule",
};
