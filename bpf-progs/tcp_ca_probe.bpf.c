// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_ca_probe: a Reno congestion control that counts its callbacks.
 *
 * It uses only a struct_ops type that the stock kernel already has
 * (tcp_congestion_ops), so it checks clang, libbpf, bpftool, BTF and the
 * kernel's struct_ops support end to end before our own types exist.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* pahole 1.24 leaves kfunc prototypes out of vmlinux.h. */
extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern __u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

/* Statistics, read by user space through the skeleton's bss map. */
__u64 init_calls;
__u64 release_calls;
__u64 cong_avoid_calls;
__u64 acked_pkts;
__u64 ssthresh_calls;

SEC("struct_ops/zc_probe_init")
void BPF_PROG(zc_probe_init, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops/zc_probe_release")
void BPF_PROG(zc_probe_release, struct sock *sk)
{
	__sync_fetch_and_add(&release_calls, 1);
}

SEC("struct_ops/zc_probe_ssthresh")
__u32 BPF_PROG(zc_probe_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&ssthresh_calls, 1);
	return tcp_reno_ssthresh(sk);
}

SEC("struct_ops/zc_probe_cong_avoid")
void BPF_PROG(zc_probe_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	__sync_fetch_and_add(&cong_avoid_calls, 1);
	tcp_reno_cong_avoid(sk, ack, acked);
}

SEC("struct_ops/zc_probe_undo_cwnd")
__u32 BPF_PROG(zc_probe_undo_cwnd, struct sock *sk)
{
	return tcp_reno_undo_cwnd(sk);
}

SEC("struct_ops/zc_probe_pkts_acked")
void BPF_PROG(zc_probe_pkts_acked, struct sock *sk,
	      const struct ack_sample *sample)
{
	__sync_fetch_and_add(&acked_pkts, sample->pkts_acked);
}

SEC(".struct_ops.link")
struct tcp_congestion_ops zc_probe = {
	.init		= (void *)zc_probe_init,
	.release	= (void *)zc_probe_release,
	.ssthresh	= (void *)zc_probe_ssthresh,
	.cong_avoid	= (void *)zc_probe_cong_avoid,
	.undo_cwnd	= (void *)zc_probe_undo_cwnd,
	.pkts_acked	= (void *)zc_probe_pkts_acked,
	.name		= "zc_probe",
};
