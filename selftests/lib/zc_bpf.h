/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A policy from a BPF object in build/, registered by attaching one of its
 * struct_ops maps; the object's other struct_ops maps are not created.
 */
#ifndef ZC_BPF_H
#define ZC_BPF_H

#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "zc.h"
#include "zc_net.h"

struct zc_test_policy {
	struct bpf_object *obj;
	struct bpf_link *link;
};

static inline int zc_test_policy_load(struct zc_test_policy *p,
				      const char *obj, const char *map)
{
	char path[512];
	struct bpf_map *m;

	p->obj = bpf_object__open_file(zc_build_file(obj, path, sizeof(path)),
				       NULL);
	if (!p->obj)
		return -errno;
	bpf_object__for_each_map(m, p->obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(m, !strcmp(bpf_map__name(m),
							   map));
	if (bpf_object__load(p->obj))
		return -errno;
	m = bpf_object__find_map_by_name(p->obj, map);
	if (!m)
		return -ENOENT;
	return zc_policy_attach(m, NULL, &p->link);
}

static inline void zc_test_policy_unload(struct zc_test_policy *p)
{
	if (p->link)
		zc_policy_detach(p->link);
	bpf_object__close(p->obj);
	memset(p, 0, sizeof(*p));
}

#endif /* ZC_BPF_H */
