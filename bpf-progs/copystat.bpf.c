// SPDX-License-Identifier: GPL-2.0
/*
 * copystat: count the payload bytes the CPU copies out of TCP skbs into
 * user memory.  A zero-copy receive path must leave these at 0.
 *
 * skb_copy_datagram_iter() is the copy that tcp_recvmsg() does; netlink,
 * UDP and unix sockets use it too, so only skbs owned by a TCP socket
 * count.  More copy sites join this program as the receive path grows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

struct copy_stats {
	__u64 bytes;
	__u64 calls;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct copy_stats);
} tcp_copy SEC(".maps");

SEC("fentry/skb_copy_datagram_iter")
int BPF_PROG(copy_datagram_iter, const struct sk_buff *skb, int offset,
	     struct iov_iter *to, int len)
{
	struct copy_stats *st;
	struct sock *sk = skb->sk;
	__u32 key = 0;

	if (!sk || sk->sk_protocol != IPPROTO_TCP || len <= 0)
		return 0;
	st = bpf_map_lookup_elem(&tcp_copy, &key);
	if (st) {
		st->bytes += len;
		st->calls++;
	}
	return 0;
}
