/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named registries of zero-copy policies: BPF struct_ops programs that
 * decide how zero-copy send notifications coalesce, or how a zero-copy
 * receive buffer pool refills.
 *
 * Each policy type (send, refill) has its own namespace of names.  A name
 * is a slot: refcounted by the rings and sockets that chose it, holding an
 * RCU pointer to the ops registered under it, or NULL.  Users look the ops
 * up at every decision, so registering, replacing (BPF link update) or
 * unregistering a policy takes effect at the next decision, and a slot
 * whose policy went away makes its users fall back to stock behaviour
 * until a policy of that name registers again.
 */
#ifndef _NET_ZC_POLICY_H
#define _NET_ZC_POLICY_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sysctl.h>
#include <uapi/linux/zc_policy.h>

/* net.core.zc_<type>_policy_allowed: names separated by spaces. */
#define ZC_POLICY_ALLOWED_MAX	256

struct zc_policy_type {
	const char *name;			/* "send", "refill" */
	struct list_head slots;
	char default_name[ZC_POLICY_NAME_MAX];
	char allowed[ZC_POLICY_ALLOWED_MAX];
	struct ctl_table_header *sysctl_hdr;
	struct ctl_table *sysctl_table;
	/* The programs of an ops, as a mask of the type's own: see slots. */
	u32 (*progs)(const void *ops);
};

#define ZC_POLICY_TYPE_INIT(_var, _name, _progs) {			\
	.name	= _name,						\
	.slots	= LIST_HEAD_INIT(_var.slots),				\
	.progs	= _progs,						\
}

struct zc_policy_slot {
	struct list_head node;
	struct zc_policy_type *type;
	/* One per user, one while a policy is registered under the name. */
	refcount_t ref;
	void __rcu *ops;
	/* type->progs(ops), set with it: users look at it for every send.
	 * It may not match the ops a reader finds, so that a program it
	 * names may be gone and one it does not name may be there.
	 */
	u32 progs;
	/* Decisions of this policy the kernel refused, over all users. */
	atomic_long_t faults;
	/* Users may read a slot pointer under RCU: free after a grace. */
	struct rcu_head rcu;
	char name[ZC_POLICY_NAME_MAX];
};

struct bpf_prog;
struct bpf_verifier_ops;
struct btf_member;
struct btf_type;

#ifdef CONFIG_ZC_POLICY
extern const struct bpf_verifier_ops zc_policy_verifier_ops;
int zc_policy_check_member(const struct btf_type *t,
			   const struct btf_member *member,
			   const struct bpf_prog *prog);
int zc_policy_init_name(const struct btf_type *t,
			const struct btf_member *member, void *kdata,
			const void *udata, size_t name_off);
int zc_policy_type_init(struct zc_policy_type *type);
void zc_policy_type_exit(struct zc_policy_type *type);
int zc_policy_register(struct zc_policy_type *type, const char *name,
		       void *ops);
void zc_policy_unregister(struct zc_policy_type *type, void *ops);
int zc_policy_update(struct zc_policy_type *type, void *new_ops,
		     void *old_ops);
struct zc_policy_slot *zc_policy_get(struct zc_policy_type *type,
				     const char *name);
void zc_policy_put(struct zc_policy_slot *slot);
#else
static inline struct zc_policy_slot *
zc_policy_get(struct zc_policy_type *type, const char *name)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void zc_policy_put(struct zc_policy_slot *slot)
{
}
#endif

/* The ops under @slot, or NULL for stock behaviour; rcu_read_lock held. */
static inline void *zc_policy_ops(struct zc_policy_slot *slot)
{
	return slot ? rcu_dereference(slot->ops) : NULL;
}

#endif /* _NET_ZC_POLICY_H */
