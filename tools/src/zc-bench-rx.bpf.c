// SPDX-License-Identifier: GPL-2.0
/*
 * zc-bench-rx's copy counter: the payload bytes the CPU copies out of the
 * benchmark's received TCP skbs, at every site the receive path copies.
 *
 *   skb_copy_datagram_iter()  recv(): skb to user memory
 *   skb_copy_bits()           skb to kernel memory: TCP's collapse of the
 *                             receive queue, skb_try_coalesce() into the
 *                             tailroom of the previous skb, skb_copy()
 *
 * What counts: skbs of the bench's receiving flows, those whose socket is
 * a TCP socket bound to one of the bench's ports [port_lo, port_hi], or,
 * before the skb has a socket (coalescing in tcp_add_backlog() runs before
 * skb_set_owner_r()), whose IPv4/IPv6 header says TCP to one of those
 * ports.  The sender's skbs (a TCP socket on an ephemeral port) do not
 * count, nor does any other traffic.  The length copied is counted as it
 * is asked for: for skb_copy() of a whole skb that includes its headers.
 *
 * RECV_ZC's copy fallback copies with memcpy() and counts itself in the
 * ring's fdinfo (ZcrxCopied); user space adds the two.
 *
 * And read_softirq: the receiving vCPU's softirq time, the counter that
 * /proc/stat prints in 10 ms ticks (kernel_cpustat, kept in ns with
 * IRQ_TIME_ACCOUNTING), read in ns.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char _license[] SEC("license") = "GPL";

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IPPROTO_TCP_	6
#define TCP_TIME_WAIT_	6
#define TCP_NEW_SYN_RECV_ 12

/* Set before load. */
const volatile __u16 port_lo = 0;
const volatile __u16 port_hi = 0;
const volatile __u32 rx_cpu = 0;

__u64 softirq_ns;

extern struct kernel_cpustat kernel_cpustat __ksym;

enum { SITE_ITER, SITE_BITS, NSITES };

struct site_stats {
	__u64 bytes;
	__u64 calls;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NSITES);
	__type(key, __u32);
	__type(value, struct site_stats);
} copies SEC(".maps");

static __always_inline bool bench_port(__u16 port)
{
	return port >= port_lo && port <= port_hi;
}

/* The TCP destination port in the skb's headers, or 0. */
static __always_inline __u16 hdr_dport(const struct sk_buff *skb)
{
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__be16 proto = BPF_CORE_READ(skb, protocol);
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u8 vihl = 0, l4 = 0;
	__be16 dport = 0;
	__u32 off;

	if (nh == (__u16)~0U)
		return 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		bpf_probe_read_kernel(&vihl, 1, head + nh);
		bpf_probe_read_kernel(&l4, 1, head + nh + 9);
		off = nh + (vihl & 0xf) * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		/* Extension headers are not followed: none on this wire. */
		bpf_probe_read_kernel(&l4, 1, head + nh + 6);
		off = nh + 40;
	} else {
		return 0;
	}
	if (l4 != IPPROTO_TCP_)
		return 0;
	bpf_probe_read_kernel(&dport, 2, head + off + 2);
	return bpf_ntohs(dport);
}

/* Is @skb one of the bench's received TCP skbs? */
static __always_inline bool bench_skb(const struct sk_buff *skb)
{
	struct sock *sk = BPF_CORE_READ(skb, sk);

	if (sk) {
		__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

		/* Early demux may point at a request or timewait sock,
		 * which has no sk_protocol: fall back to the headers.
		 */
		if (state != TCP_TIME_WAIT_ && state != TCP_NEW_SYN_RECV_)
			return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP_ &&
			       bench_port(BPF_CORE_READ(sk, __sk_common.skc_num));
	}
	return bench_port(hdr_dport(skb));
}

static __always_inline void count(__u32 site, int len)
{
	struct site_stats *st = bpf_map_lookup_elem(&copies, &site);

	if (st) {
		st->bytes += len;
		st->calls++;
	}
}

SEC("fentry/skb_copy_datagram_iter")
int BPF_PROG(copy_datagram_iter, const struct sk_buff *skb, int offset,
	     struct iov_iter *to, int len)
{
	if (len > 0 && bench_skb(skb))
		count(SITE_ITER, len);
	return 0;
}

SEC("fentry/skb_copy_bits")
int BPF_PROG(copy_bits, const struct sk_buff *skb, int offset, void *to,
	     int len)
{
	if (len > 0 && bench_skb(skb))
		count(SITE_BITS, len);
	return 0;
}

/* Run by BPF_PROG_TEST_RUN: softirq_ns = rx_cpu's softirq time. */
SEC("syscall")
int read_softirq(void *ctx)
{
	struct kernel_cpustat *kc = bpf_per_cpu_ptr(&kernel_cpustat, rx_cpu);

	if (kc)
		softirq_ns = kc->cpustat[CPUTIME_SOFTIRQ];
	return 0;
}
