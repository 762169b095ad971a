// SPDX-License-Identifier: GPL-2.0
/*
 * zc_send_ops: the struct_ops type of zero-copy send policies.
 *
 * A policy registers under its name in the "send" registry (see
 * zc_policy.c); rings and sockets choose it by name.  Programs run in
 * process context under the io_uring submission lock, in io-wq, or in
 * softirq under a socket lock, so they may not sleep and get only helpers
 * that are safe in all of those (zc_policy_verifier_ops).  What they
 * return is checked here: the BPF core does not range-check struct_ops
 * return values.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/init.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/zc_send.h>

/* The programs of @ops, a mask of BIT(ZC_SEND_*) by decision. */
static u32 zc_send_ops_progs(const void *ops)
{
	const struct zc_send_ops *s = ops;
	u32 d, progs = 0;

	for (d = ZC_SEND_DECIDE_JOIN; d <= ZC_SEND_DECIDE_REPORT; d++)
		if (zc_send_op(s, d))
			progs |= BIT(d);
	return progs;
}

struct zc_policy_type zc_send_policies =
	ZC_POLICY_TYPE_INIT(zc_send_policies, "send", zc_send_ops_progs);
EXPORT_SYMBOL_GPL(zc_send_policies);

/* The socket fields of @ctx; racy reads, as ss(8) makes them. */
void zc_send_ctx_fill_sock(struct zc_send_ctx *ctx, struct sock *sk)
{
	ctx->family = sk->sk_family;
	ctx->protocol = sk->sk_protocol;
	ctx->wmem_queued = READ_ONCE(sk->sk_wmem_queued);
	ctx->sndbuf = READ_ONCE(sk->sk_sndbuf);
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_type == SOCK_STREAM) {
		const struct tcp_sock *tp = tcp_sk(sk);
		u32 nxt = READ_ONCE(tp->snd_nxt);

		ctx->unsent = READ_ONCE(tp->write_seq) - nxt;
		ctx->unacked = nxt - READ_ONCE(tp->snd_una);
	}
}
EXPORT_SYMBOL_GPL(zc_send_ctx_fill_sock);

/* --------------------------------------------------------- struct_ops */

static int zc_send_bpf_init(struct btf *btf)
{
	return 0;
}

static int zc_send_init_member(const struct btf_type *t,
			       const struct btf_member *member,
			       void *kdata, const void *udata)
{
	return zc_policy_init_name(t, member, kdata, udata,
				   offsetof(struct zc_send_ops, name));
}

static int zc_send_validate(void *kdata)
{
	const struct zc_send_ops *ops = kdata;

	return ops->name[0] ? 0 : -EINVAL;
}

static int zc_send_reg(void *kdata, struct bpf_link *link)
{
	struct zc_send_ops *ops = kdata;

	return zc_policy_register(&zc_send_policies, ops->name, ops);
}

static void zc_send_unreg(void *kdata, struct bpf_link *link)
{
	zc_policy_unregister(&zc_send_policies, kdata);
}

/* A link update replaces the program behind a name, not the name. */
static int zc_send_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	const struct zc_send_ops *ops = kdata, *old = old_kdata;

	if (strcmp(ops->name, old->name))
		return -EINVAL;
	return zc_policy_update(&zc_send_policies, kdata, old_kdata);
}

static int zc_send_ops__join(const struct zc_send_ctx *ctx)
{
	return ZC_SEND_NEW;
}

static int zc_send_ops__mode(const struct zc_send_ctx *ctx)
{
	return ZC_SEND_ZEROCOPY;
}

static int zc_send_ops__flush(const struct zc_send_ctx *ctx)
{
	return ZC_SEND_FLUSH;
}

static void zc_send_ops__closed(const struct zc_send_ctx *ctx)
{
}

static int zc_send_ops__report(const struct zc_send_ctx *ctx)
{
	return 0;
}

static struct zc_send_ops __bpf_zc_send_ops = {
	.join	= zc_send_ops__join,
	.mode	= zc_send_ops__mode,
	.flush	= zc_send_ops__flush,
	.closed	= zc_send_ops__closed,
	.report	= zc_send_ops__report,
};

static struct bpf_struct_ops bpf_zc_send_ops = {
	.verifier_ops	= &zc_policy_verifier_ops,
	.init		= zc_send_bpf_init,
	.check_member	= zc_policy_check_member,
	.init_member	= zc_send_init_member,
	.reg		= zc_send_reg,
	.unreg		= zc_send_unreg,
	.update		= zc_send_update,
	.validate	= zc_send_validate,
	.cfi_stubs	= &__bpf_zc_send_ops,
	.owner		= THIS_MODULE,
	.name		= "zc_send_ops",
};

static int __init zc_send_init(void)
{
	int err;

	err = zc_policy_type_init(&zc_send_policies);
	if (err)
		return err;
	err = register_bpf_struct_ops(&bpf_zc_send_ops, zc_send_ops);
	if (err)
		zc_policy_type_exit(&zc_send_policies);
	return err;
}
late_initcall(zc_send_init);
