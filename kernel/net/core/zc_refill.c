// SPDX-License-Identifier: GPL-2.0
/*
 * zc_refill_ops: the struct_ops type of zero-copy receive refill policies.
 *
 * A policy registers under its name in the "refill" registry (see
 * zc_policy.c); zero-copy rx queues choose it by name.  Programs run in
 * the page pool's alloc path, in NAPI, and in the receiving task, so they
 * may not sleep and get the helpers of zc_policy_verifier_ops.  The user
 * of the policy checks what they return (zc_refill_decide()).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/init.h>
#include <net/zc_refill.h>

struct zc_policy_type zc_refill_policies =
	ZC_POLICY_TYPE_INIT(zc_refill_policies, "refill", NULL);
EXPORT_SYMBOL_GPL(zc_refill_policies);

static int zc_refill_bpf_init(struct btf *btf)
{
	return 0;
}

static int zc_refill_init_member(const struct btf_type *t,
				 const struct btf_member *member,
				 void *kdata, const void *udata)
{
	return zc_policy_init_name(t, member, kdata, udata,
				   offsetof(struct zc_refill_ops, name));
}

static int zc_refill_validate(void *kdata)
{
	const struct zc_refill_ops *ops = kdata;

	return ops->name[0] ? 0 : -EINVAL;
}

static int zc_refill_reg(void *kdata, struct bpf_link *link)
{
	struct zc_refill_ops *ops = kdata;

	return zc_policy_register(&zc_refill_policies, ops->name, ops);
}

static void zc_refill_unreg(void *kdata, struct bpf_link *link)
{
	zc_policy_unregister(&zc_refill_policies, kdata);
}

/* A link update replaces the program behind a name, not the name. */
static int zc_refill_update(void *kdata, void *old_kdata,
			    struct bpf_link *link)
{
	const struct zc_refill_ops *ops = kdata, *old = old_kdata;

	if (strcmp(ops->name, old->name))
		return -EINVAL;
	return zc_policy_update(&zc_refill_policies, kdata, old_kdata);
}

static int zc_refill_ops__alloc(const struct zc_refill_ctx *ctx)
{
	return 0;
}

static int zc_refill_ops__ahead(const struct zc_refill_ctx *ctx)
{
	return 0;
}

static int zc_refill_ops__notify(const struct zc_refill_ctx *ctx)
{
	return 0;
}

static struct zc_refill_ops __bpf_zc_refill_ops = {
	.alloc	= zc_refill_ops__alloc,
	.ahead	= zc_refill_ops__ahead,
	.notify	= zc_refill_ops__notify,
};

static struct bpf_struct_ops bpf_zc_refill_ops = {
	.verifier_ops	= &zc_policy_verifier_ops,
	.init		= zc_refill_bpf_init,
	.check_member	= zc_policy_check_member,
	.init_member	= zc_refill_init_member,
	.reg		= zc_refill_reg,
	.unreg		= zc_refill_unreg,
	.update		= zc_refill_update,
	.validate	= zc_refill_validate,
	.cfi_stubs	= &__bpf_zc_refill_ops,
	.owner		= THIS_MODULE,
	.name		= "zc_refill_ops",
};

static int __init zc_refill_init(void)
{
	int err;

	err = zc_policy_type_init(&zc_refill_policies);
	if (err)
		return err;
	err = register_bpf_struct_ops(&bpf_zc_refill_ops, zc_refill_ops);
	if (err)
		zc_policy_type_exit(&zc_refill_policies);
	return err;
}
late_initcall(zc_refill_init);
