// SPDX-License-Identifier: GPL-2.0
/*
 * Named registries of zero-copy policies, one per policy type, and their
 * sysctls:
 *
 *   net.core.zc_<type>_policy_default    the policy of users that chose none
 *   net.core.zc_<type>_policy_allowed    what users without CAP_NET_ADMIN
 *                                        may choose, besides the default
 *   net.core.zc_<type>_policy_available  what is registered (read-only)
 *
 * The model is tcp_congestion_ops, with one difference: users hold the
 * name, not the ops.  A slot outlives the policy registered under it for
 * as long as users hold it, so a policy can be replaced or unregistered
 * under load; its users see the change at their next decision.
 *
 * Slots are put from softirq (a socket freed by a TCP timer), so the
 * registry is a BH-safe spinlock and nothing under it sleeps.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/zc_policy.h>

static DEFINE_SPINLOCK(zc_policy_lock);

/* Names are what tcp congestion control names are, at most 15 bytes. */
static bool zc_policy_name_ok(const char *name)
{
	size_t len = strnlen(name, ZC_POLICY_NAME_MAX);
	size_t i;

	if (!len || len == ZC_POLICY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

static struct zc_policy_slot *zc_slot_find(struct zc_policy_type *type,
					   const char *name)
{
	struct zc_policy_slot *slot;

	lockdep_assert_held(&zc_policy_lock);

	list_for_each_entry(slot, &type->slots, node)
		if (!strcmp(slot->name, name))
			return slot;
	return NULL;
}

static struct zc_policy_slot *zc_slot_of_ops(struct zc_policy_type *type,
					     void *ops)
{
	struct zc_policy_slot *slot;

	lockdep_assert_held(&zc_policy_lock);

	list_for_each_entry(slot, &type->slots, node)
		if (rcu_access_pointer(slot->ops) == ops)
			return slot;
	return NULL;
}

/* Publish @ops, or NULL, in @slot, with the mask of its programs. */
static void zc_slot_set_ops(struct zc_policy_slot *slot, void *ops)
{
	lockdep_assert_held(&zc_policy_lock);

	rcu_assign_pointer(slot->ops, ops);
	WRITE_ONCE(slot->progs, ops && slot->type->progs ?
		   slot->type->progs(ops) : 0);
}

/* A new slot holding one reference, or NULL. */
static struct zc_policy_slot *zc_slot_alloc(struct zc_policy_type *type,
					    const char *name)
{
	struct zc_policy_slot *slot = kzalloc(sizeof(*slot), GFP_ATOMIC);

	if (!slot)
		return NULL;
	slot->type = type;
	refcount_set(&slot->ref, 1);
	strscpy(slot->name, name, sizeof(slot->name));
	return slot;
}

/* Drop a reference; the caller frees what this returns after unlocking,
 * with zc_slot_free().
 */
static struct zc_policy_slot *zc_slot_unref(struct zc_policy_slot *slot)
{
	lockdep_assert_held(&zc_policy_lock);

	if (!refcount_dec_and_test(&slot->ref))
		return NULL;
	list_del(&slot->node);
	return slot;
}

static void zc_slot_free(struct zc_policy_slot *slot)
{
	if (slot)
		kfree_rcu(slot, rcu);
}

/**
 * zc_policy_register() - make @ops the policy named @name
 * @type: the policy type
 * @name: a valid policy name
 * @ops: the struct_ops instance, alive until zc_policy_unregister()
 *
 * Users that already hold the name (it was unregistered under them, or is
 * the default and was never registered) get @ops at their next decision.
 *
 * Return: 0, -EINVAL for a bad name, -EEXIST when the name is taken,
 * -ENOMEM.
 */
int zc_policy_register(struct zc_policy_type *type, const char *name,
		       void *ops)
{
	struct zc_policy_slot *slot, *spare;
	int err = 0;

	if (!zc_policy_name_ok(name))
		return -EINVAL;
	spare = zc_slot_alloc(type, name);
	if (!spare)
		return -ENOMEM;

	spin_lock_bh(&zc_policy_lock);
	slot = zc_slot_find(type, name);
	if (!slot) {
		slot = spare;
		spare = NULL;
		list_add_tail(&slot->node, &type->slots);
	} else if (rcu_access_pointer(slot->ops)) {
		err = -EEXIST;
	} else {
		refcount_inc(&slot->ref);
	}
	if (!err)
		zc_slot_set_ops(slot, ops);
	spin_unlock_bh(&zc_policy_lock);

	kfree(spare);
	return err;
}
EXPORT_SYMBOL_GPL(zc_policy_register);

/**
 * zc_policy_unregister() - take @ops out of its slot
 * @type: the policy type
 * @ops: ops passed to zc_policy_register() or zc_policy_update()
 *
 * Users fall back to stock behaviour.  Readers may still run @ops until an
 * RCU grace period has passed: the BPF core frees struct_ops after one.
 */
void zc_policy_unregister(struct zc_policy_type *type, void *ops)
{
	struct zc_policy_slot *slot, *dead = NULL;

	spin_lock_bh(&zc_policy_lock);
	slot = zc_slot_of_ops(type, ops);
	if (slot) {
		zc_slot_set_ops(slot, NULL);
		dead = zc_slot_unref(slot);
	}
	spin_unlock_bh(&zc_policy_lock);
	zc_slot_free(dead);
}
EXPORT_SYMBOL_GPL(zc_policy_unregister);

/**
 * zc_policy_update() - replace @old_ops by @new_ops under the same name
 * @type: the policy type
 * @new_ops: the replacement; its name is the caller's to check
 * @old_ops: the registered ops
 *
 * Return: 0, or -ENOENT when @old_ops is not registered.
 */
int zc_policy_update(struct zc_policy_type *type, void *new_ops,
		     void *old_ops)
{
	struct zc_policy_slot *slot;
	int err = -ENOENT;

	spin_lock_bh(&zc_policy_lock);
	slot = zc_slot_of_ops(type, old_ops);
	if (slot) {
		zc_slot_set_ops(slot, new_ops);
		err = 0;
	}
	spin_unlock_bh(&zc_policy_lock);
	return err;
}
EXPORT_SYMBOL_GPL(zc_policy_update);

/* Is @name a word of the space-separated @list? */
static bool zc_policy_listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

/**
 * zc_policy_get() - hold the policy named @name, for one user
 * @type: the policy type
 * @name: a policy name, or NULL or "" for the type's default
 *
 * A name must be registered, and, for callers without CAP_NET_ADMIN, be
 * listed in net.core.zc_<type>_policy_allowed.  The default needs neither:
 * it may name a policy that registers later.
 *
 * Return: the slot, NULL when there is no default (stock behaviour), or
 * ERR_PTR(-EINVAL) for a malformed name, -ENOENT for an unregistered one,
 * -EPERM for one the caller may not choose, -ENOMEM.
 */
struct zc_policy_slot *zc_policy_get(struct zc_policy_type *type,
				     const char *name)
{
	bool dflt = !name || !name[0];
	struct zc_policy_slot *slot, *spare = NULL;
	char want[ZC_POLICY_NAME_MAX];
	bool admin = capable(CAP_NET_ADMIN);

	if (!dflt && !zc_policy_name_ok(name))
		return ERR_PTR(-EINVAL);
	if (dflt) {
		spin_lock_bh(&zc_policy_lock);
		strscpy(want, type->default_name, sizeof(want));
		spin_unlock_bh(&zc_policy_lock);
		if (!want[0])
			return NULL;
		spare = zc_slot_alloc(type, want);
		if (!spare)
			return ERR_PTR(-ENOMEM);
	} else {
		strscpy(want, name, sizeof(want));
	}

	spin_lock_bh(&zc_policy_lock);
	slot = zc_slot_find(type, want);
	if (dflt && !slot) {
		/* The default's first user: the slot waits for the policy. */
		slot = spare;
		spare = NULL;
		list_add_tail(&slot->node, &type->slots);
	} else if (!dflt && (!slot || !rcu_access_pointer(slot->ops))) {
		slot = ERR_PTR(-ENOENT);
	} else if (!dflt && !admin && strcmp(want, type->default_name) &&
		   !zc_policy_listed(type->allowed, want)) {
		slot = ERR_PTR(-EPERM);
	} else {
		refcount_inc(&slot->ref);
	}
	spin_unlock_bh(&zc_policy_lock);
	kfree(spare);
	return slot;
}
EXPORT_SYMBOL_GPL(zc_policy_get);

/**
 * zc_policy_put() - release a slot from zc_policy_get()
 * @slot: the slot, or NULL
 *
 * Any context, softirq included.
 */
void zc_policy_put(struct zc_policy_slot *slot)
{
	struct zc_policy_slot *dead;

	if (!slot)
		return;
	spin_lock_bh(&zc_policy_lock);
	dead = zc_slot_unref(slot);
	spin_unlock_bh(&zc_policy_lock);
	zc_slot_free(dead);
}
EXPORT_SYMBOL_GPL(zc_policy_put);

/* ----------------------------------------------------- struct_ops */

/* Helpers a policy may call: none that sleeps, takes socket locks, or
 * depends on the current task, which is arbitrary in softirq.
 */
static const struct bpf_func_proto *
zc_policy_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	switch (func_id) {
	case BPF_FUNC_map_lookup_elem:
	case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem:
	case BPF_FUNC_map_push_elem:
	case BPF_FUNC_map_pop_elem:
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_ktime_get_ns:
	case BPF_FUNC_ktime_get_boot_ns:
	case BPF_FUNC_ktime_get_coarse_ns:
	case BPF_FUNC_jiffies64:
	case BPF_FUNC_get_prandom_u32:
	case BPF_FUNC_get_smp_processor_id:
	case BPF_FUNC_get_numa_node_id:
	case BPF_FUNC_spin_lock:
	case BPF_FUNC_spin_unlock:
	case BPF_FUNC_per_cpu_ptr:
	case BPF_FUNC_this_cpu_ptr:
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_submit:
	case BPF_FUNC_ringbuf_discard:
	case BPF_FUNC_ringbuf_query:
	case BPF_FUNC_loop:
	case BPF_FUNC_trace_printk:
		return bpf_base_func_proto(func_id, prog);
	default:
		return NULL;
	}
}

static bool zc_policy_is_valid_access(int off, int size,
				      enum bpf_access_type type,
				      const struct bpf_prog *prog,
				      struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

/*
 * What every policy type's programs may do.  No btf_struct_access: the
 * context and anything it leads to is read-only to programs.
 */
const struct bpf_verifier_ops zc_policy_verifier_ops = {
	.get_func_proto		= zc_policy_get_func_proto,
	.is_valid_access	= zc_policy_is_valid_access,
};
EXPORT_SYMBOL_GPL(zc_policy_verifier_ops);

/* Decisions run in softirq and under spinlocks: nothing may sleep. */
int zc_policy_check_member(const struct btf_type *t,
			   const struct btf_member *member,
			   const struct bpf_prog *prog)
{
	if (prog->sleepable)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(zc_policy_check_member);

/**
 * zc_policy_init_name() - a struct_ops init_member() for the name member
 * @t: the ops type
 * @member: the member being initialized
 * @kdata: the kernel's copy of the ops
 * @udata: the map value user space gave
 * @name_off: where the ops keep their ZC_POLICY_NAME_MAX-byte name
 *
 * Return: 1 when @member is the name and was copied, 0 for any other
 * member, -EINVAL for a name that is empty or not a C string.
 */
int zc_policy_init_name(const struct btf_type *t,
			const struct btf_member *member, void *kdata,
			const void *udata, size_t name_off)
{
	if (__btf_member_bit_offset(t, member) / 8 != name_off)
		return 0;
	if (bpf_obj_name_cpy(kdata + name_off, udata + name_off,
			     ZC_POLICY_NAME_MAX) <= 0)
		return -EINVAL;
	return 1;
}
EXPORT_SYMBOL_GPL(zc_policy_init_name);

/* ---------------------------------------------------------------- sysctl */

static int zc_sysctl_default(const struct ctl_table *table, int write,
			     void *buffer, size_t *lenp, loff_t *ppos)
{
	struct zc_policy_type *type = table->extra1;
	char val[ZC_POLICY_NAME_MAX];
	struct ctl_table tbl = { .data = val, .maxlen = sizeof(val) };
	int err;

	spin_lock_bh(&zc_policy_lock);
	strscpy(val, type->default_name, sizeof(val));
	spin_unlock_bh(&zc_policy_lock);

	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	if (!write || err)
		return err;
	/* Empty means stock behaviour; a name need not be registered yet. */
	if (val[0] && !zc_policy_name_ok(val))
		return -EINVAL;
	spin_lock_bh(&zc_policy_lock);
	strscpy(type->default_name, val, sizeof(type->default_name));
	spin_unlock_bh(&zc_policy_lock);
	return 0;
}

/* Check every name of @list and write it back separated by single spaces. */
static int zc_policy_normalize(char *list, size_t size)
{
	char *in = kstrdup(list, GFP_KERNEL), *p, *tok;
	size_t len = 0;
	int err = 0;

	if (!in)
		return -ENOMEM;
	list[0] = '\0';
	p = in;
	while ((tok = strsep(&p, " \t\n,"))) {
		if (!*tok)
			continue;
		if (!zc_policy_name_ok(tok)) {
			err = -EINVAL;
			break;
		}
		if (zc_policy_listed(list, tok))
			continue;
		len += scnprintf(list + len, size - len, "%s%s",
				 len ? " " : "", tok);
	}
	kfree(in);
	return err;
}

static int zc_sysctl_allowed(const struct ctl_table *table, int write,
			     void *buffer, size_t *lenp, loff_t *ppos)
{
	struct zc_policy_type *type = table->extra1;
	struct ctl_table tbl = { .maxlen = ZC_POLICY_ALLOWED_MAX };
	int err;

	tbl.data = kmalloc(ZC_POLICY_ALLOWED_MAX, GFP_KERNEL);
	if (!tbl.data)
		return -ENOMEM;
	spin_lock_bh(&zc_policy_lock);
	strscpy(tbl.data, type->allowed, ZC_POLICY_ALLOWED_MAX);
	spin_unlock_bh(&zc_policy_lock);

	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	if (write && !err)
		err = zc_policy_normalize(tbl.data, ZC_POLICY_ALLOWED_MAX);
	if (write && !err) {
		spin_lock_bh(&zc_policy_lock);
		strscpy(type->allowed, tbl.data, sizeof(type->allowed));
		spin_unlock_bh(&zc_policy_lock);
	}
	kfree(tbl.data);
	return err;
}

static int zc_sysctl_available(const struct ctl_table *table, int write,
			       void *buffer, size_t *lenp, loff_t *ppos)
{
	struct zc_policy_type *type = table->extra1;
	struct ctl_table tbl = { .maxlen = ZC_POLICY_ALLOWED_MAX };
	struct zc_policy_slot *slot;
	size_t len = 0;
	int err;

	tbl.data = kzalloc(ZC_POLICY_ALLOWED_MAX, GFP_KERNEL);
	if (!tbl.data)
		return -ENOMEM;
	spin_lock_bh(&zc_policy_lock);
	list_for_each_entry(slot, &type->slots, node)
		if (rcu_access_pointer(slot->ops))
			len += scnprintf(tbl.data + len,
					 ZC_POLICY_ALLOWED_MAX - len, "%s%s",
					 len ? " " : "", slot->name);
	spin_unlock_bh(&zc_policy_lock);

	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	kfree(tbl.data);
	return err;
}

/**
 * zc_policy_type_init() - register a policy type's sysctls
 * @type: the type, from ZC_POLICY_TYPE_INIT()
 *
 * Return: 0 or -ENOMEM.
 */
/* A type's sysctls: default, allowed, available. */
#define ZC_POLICY_NSYSCTL	3

static void zc_policy_free_table(struct ctl_table *t)
{
	int i;

	for (i = 0; i < ZC_POLICY_NSYSCTL; i++)
		kfree(t[i].procname);
	kfree(t);
}

int zc_policy_type_init(struct zc_policy_type *type)
{
	static const char * const suffix[ZC_POLICY_NSYSCTL] = {
		"default", "allowed", "available",
	};
	static proc_handler * const handler[ZC_POLICY_NSYSCTL] = {
		zc_sysctl_default, zc_sysctl_allowed, zc_sysctl_available,
	};
	struct ctl_table *t;
	int i;

	t = kcalloc(ARRAY_SIZE(suffix), sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(suffix); i++) {
		t[i].procname = kasprintf(GFP_KERNEL, "zc_%s_policy_%s",
					  type->name, suffix[i]);
		if (!t[i].procname)
			goto err;
		t[i].maxlen = i ? ZC_POLICY_ALLOWED_MAX : ZC_POLICY_NAME_MAX;
		t[i].mode = i == 2 ? 0444 : 0644;
		t[i].proc_handler = handler[i];
		t[i].extra1 = type;
	}
	type->sysctl_hdr = register_net_sysctl_sz(&init_net, "net/core", t,
						  ARRAY_SIZE(suffix));
	if (!type->sysctl_hdr)
		goto err;
	type->sysctl_table = t;
	return 0;

err:
	zc_policy_free_table(t);
	return -ENOMEM;
}

/* Undo zc_policy_type_init(), for a type whose setup fails after it. */
void zc_policy_type_exit(struct zc_policy_type *type)
{
	unregister_net_sysctl_table(type->sysctl_hdr);
	zc_policy_free_table(type->sysctl_table);
	type->sysctl_hdr = NULL;
	type->sysctl_table = NULL;
}
