/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Zero-copy policies: BPF struct_ops maps, registered under their name
 * when attached as a link, replaced by updating the link, removed by
 * detaching it; and the net.core.zc_<type>_policy_* sysctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "zc.h"

_Static_assert(sizeof(struct zc_send_stats) ==
	       8 * (5 + ZC_CLOSE_CAUSES + ZC_AGE_BUCKETS),
	       "struct zc_send_stats must match bpf-progs/zc_send_policy.h");
_Static_assert(sizeof(struct zc_refill_stats) == 8 * 11,
	       "struct zc_refill_stats must match bpf-progs/zc_refill_policy.h");

int zc_policy_attach(struct bpf_map *ops, const char *pin_path,
		     struct bpf_link **linkp)
{
	struct bpf_link *link;
	int err;

	link = bpf_map__attach_struct_ops(ops);
	if (!link)
		return -errno;
	if (pin_path) {
		err = bpf_link__pin(link, pin_path);
		if (err) {
			bpf_link__destroy(link);
			return err;
		}
	}
	*linkp = link;
	return 0;
}

int zc_policy_replace(struct bpf_link *link, struct bpf_map *ops)
{
	return bpf_link__update_map(link, ops);
}

/*
 * bpftool 7.5 has no "link update": this is it, for pinned links.  Through
 * a bpf_link, so that libbpf first writes the map's value to the kernel
 * (a struct_ops map is not ready to be linked before that).
 */
int zc_policy_replace_pinned(const char *pin_path, struct bpf_map *ops)
{
	struct bpf_link *link = bpf_link__open(pin_path);
	int err;

	if (!link)
		return -errno;
	err = bpf_link__update_map(link, ops);
	/* Closes our fd only: the pin keeps the link. */
	bpf_link__destroy(link);
	return err;
}

int zc_policy_detach(struct bpf_link *link)
{
	int err = bpf_link__detach(link);

	if (!err)
		bpf_link__unpin(link);
	bpf_link__destroy(link);
	return err;
}

int zc_policy_detach_pinned(const char *pin_path)
{
	int fd, err;

	fd = bpf_obj_get(pin_path);
	if (fd < 0)
		return -errno;
	err = bpf_link_detach(fd) ? -errno : 0;
	close(fd);
	if (!err && unlink(pin_path))
		err = -errno;
	return err;
}

int zc_percpu_sum(int map_fd, __u32 key, void *out, size_t size)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	size_t j, n = size / sizeof(__u64);
	__u64 *per, *dst = out;

	if (ncpu < 0)
		return ncpu;
	if (size % sizeof(__u64))
		return -EINVAL;
	per = calloc(ncpu, size);
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, per)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, size);
	for (i = 0; i < ncpu; i++)
		for (j = 0; j < n; j++)
			dst[j] += per[i * n + j];
out:
	free(per);
	return err;
}

int zc_policy_read_stats(int stats_map_fd, struct zc_send_stats *out)
{
	return zc_percpu_sum(stats_map_fd, 0, out, sizeof(*out));
}

/*
 * Per-CPU minima and maxima do not sum: min_free (kept + 1, so that 0
 * means unseen) takes the least, max_held the most.
 */
int zc_refill_read_stats(int stats_map_fd, struct zc_refill_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, err;
	struct zc_refill_stats *v;
	__u32 key = 0;

	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(stats_map_fd, &key, v);
	if (err) {
		err = -errno;
		free(v);
		return err;
	}
	memset(out, 0, sizeof(*out));
	for (i = 0; i < ncpu; i++) {
		__u64 *dst = (__u64 *)out, *src = (__u64 *)&v[i];
		size_t k, nsum = offsetof(struct zc_refill_stats, min_free) /
				 sizeof(__u64);

		for (k = 0; k < nsum; k++)
			dst[k] += src[k];
		if (v[i].min_free &&
		    (!out->min_free || v[i].min_free < out->min_free))
			out->min_free = v[i].min_free;
		if (v[i].max_held > out->max_held)
			out->max_held = v[i].max_held;
	}
	free(v);
	return 0;
}

/* ------------------------------------------------------------- sysctls */

static int zc_sysctl_path(enum zc_policy_type type, const char *what,
			  char *path, size_t size)
{
	static const char * const names[] = {
		[ZC_POLICY_SEND]	= "send",
		[ZC_POLICY_REFILL]	= "refill",
	};

	if ((unsigned int)type >= sizeof(names) / sizeof(names[0]))
		return -EINVAL;
	snprintf(path, size, "/proc/sys/net/core/zc_%s_policy_%s",
		 names[type], what);
	return 0;
}

static int zc_sysctl_read(enum zc_policy_type type, const char *what,
			  char *buf, size_t size)
{
	char path[96];
	ssize_t n;
	int fd, err;

	err = zc_sysctl_path(type, what, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	while (n && (buf[n - 1] == '\n'))
		n--;
	buf[n] = '\0';
	return 0;
}

static int zc_sysctl_write(enum zc_policy_type type, const char *what,
			   const char *val)
{
	char path[96];
	size_t len = strlen(val);
	int fd, err;

	err = zc_sysctl_path(type, what, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* An empty value must still be written to clear the setting. */
	err = write(fd, len ? val : "\n", len ? len : 1) < 0 ? -errno : 0;
	close(fd);
	return err;
}

int zc_policy_list(enum zc_policy_type type, char *buf, size_t size)
{
	return zc_sysctl_read(type, "available", buf, size);
}

int zc_policy_get_default(enum zc_policy_type type, char *buf, size_t size)
{
	return zc_sysctl_read(type, "default", buf, size);
}

int zc_policy_set_default(enum zc_policy_type type, const char *name)
{
	return zc_sysctl_write(type, "default", name);
}

int zc_policy_get_allowed(enum zc_policy_type type, char *buf, size_t size)
{
	return zc_sysctl_read(type, "allowed", buf, size);
}

int zc_policy_set_allowed(enum zc_policy_type type, const char *names)
{
	return zc_sysctl_write(type, "allowed", names);
}
