// SPDX-License-Identifier: GPL-2.0
/*
 * zc-policy: manage zero-copy send policies.
 *
 *   zc-policy list
 *   zc-policy register OBJ LINK_DIR
 *   zc-policy replace LINK OBJ [MAP]
 *   zc-policy unregister LINK
 *   zc-policy stats PINNED_MAP
 *   zc-policy default [NAME]
 *   zc-policy allowed [NAMES]
 *
 * See zc-policy(8).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "zc.h"

static const char *prog = "zc-policy";
/* -t: the policy type that default and allowed act on */
static enum zc_policy_type type = ZC_POLICY_SEND;
static const char * const type_names[] = {
	[ZC_POLICY_SEND]	= "send",
	[ZC_POLICY_REFILL]	= "refill",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s list\n"
		"       %s register OBJ LINK_DIR\n"
		"       %s replace LINK OBJ [MAP]\n"
		"       %s unregister LINK\n"
		"       %s stats PINNED_MAP\n"
		"       %s [-t send|refill] default [NAME]\n"
		"       %s [-t send|refill] allowed [NAMES]\n",
		prog, prog, prog, prog, prog, prog, prog);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(-err));
	return 1;
}

static int cmd_list(void)
{
	enum zc_policy_type t;
	char buf[512];
	int err;

	for (t = ZC_POLICY_SEND; t <= ZC_POLICY_REFILL; t++) {
		err = zc_policy_list(t, buf, sizeof(buf));
		if (err)
			return fail("net.core.zc_*_policy_available", err);
		printf("%s policies\n", type_names[t]);
		printf("  available: %s\n", buf);
		if (!zc_policy_get_default(t, buf, sizeof(buf)))
			printf("  default:   %s\n", buf[0] ? buf : "(stock)");
		if (!zc_policy_get_allowed(t, buf, sizeof(buf)))
			printf("  allowed:   %s\n", buf);
	}
	return 0;
}

static struct bpf_object *load(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *map;
	int err;

	if (!obj) {
		fail(path, -errno);
		return NULL;
	}
	/* This tool attaches struct_ops maps itself, and pins their links. */
	bpf_object__for_each_map(map, obj)
		bpf_map__set_autoattach(map, false);
	err = bpf_object__load(obj);
	if (err) {
		fail(path, err);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static bool is_ops(const struct bpf_map *map)
{
	return bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS;
}

/*
 * Pin the object's other maps as DIR/OPS_MAP, for stats and knobs (bpffs
 * refuses dots in names: it keeps them for its own files);
 * @replace: over the pins of the program they replace.
 */
static int pin_maps(struct bpf_object *obj, const char *dir, const char *ops,
		    bool replace)
{
	struct bpf_map *map;
	char path[512];
	int err;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		if (is_ops(map) || strchr(name, '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s_%s", dir, ops, name);
		if (replace && unlink(path) && errno != ENOENT)
			return fail(path, -errno);
		err = bpf_map__pin(map, path);
		if (err)
			return fail(path, err);
		printf("pinned %s\n", path);
	}
	return 0;
}

static int cmd_register(const char *path, const char *dir)
{
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map;
	char pin[512];
	int n = 0, err;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(dir, -errno);
	obj = load(path);
	if (!obj)
		return 1;
	bpf_object__for_each_map(map, obj) {
		if (!is_ops(map))
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", dir, bpf_map__name(map));
		err = zc_policy_attach(map, pin, &link);
		if (err) {
			bpf_object__close(obj);
			return fail(bpf_map__name(map), err);
		}
		printf("registered %s, link pinned at %s\n",
		       bpf_map__name(map), pin);
		if (pin_maps(obj, dir, bpf_map__name(map), false)) {
			bpf_object__close(obj);
			return 1;
		}
		/* The pin holds the link: our handle can go. */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		n++;
	}
	bpf_object__close(obj);
	if (!n) {
		fprintf(stderr, "%s: %s has no struct_ops map\n", prog, path);
		return 1;
	}
	return 0;
}

static int cmd_replace(const char *link, const char *path, const char *want)
{
	struct bpf_object *obj = load(path);
	struct bpf_map *map, *ops = NULL;
	char dir[512];
	int err;

	if (!obj)
		return 1;
	bpf_object__for_each_map(map, obj) {
		if (!is_ops(map) ||
		    (want && strcmp(bpf_map__name(map), want)))
			continue;
		if (ops) {
			fprintf(stderr, "%s: %s has several struct_ops maps: name one\n",
				prog, path);
			bpf_object__close(obj);
			return 2;
		}
		ops = map;
	}
	if (!ops) {
		fprintf(stderr, "%s: no struct_ops map %s in %s\n", prog,
			want ? want : "", path);
		bpf_object__close(obj);
		return 1;
	}
	err = zc_policy_replace_pinned(link, ops);
	if (err) {
		bpf_object__close(obj);
		return fail(link, err);
	}
	printf("replaced %s by %s from %s\n", link, bpf_map__name(ops), path);
	/* Its stats and knobs now are the new program's. */
	snprintf(dir, sizeof(dir), "%s", link);
	err = pin_maps(obj, dirname(dir), bpf_map__name(ops), true);
	bpf_object__close(obj);
	return err;
}

static int refill_stats(const char *path, int fd)
{
	static const char * const notifs[] = {
		"fill_low", "no_buffers", "copy",
	};
	struct zc_refill_stats st;
	int err = zc_refill_read_stats(fd, &st), i;

	close(fd);
	if (err)
		return fail(path, err);
	printf("alloc_decisions %llu\nalloc_entries %llu\nreserve_allowed %llu\n",
	       st.alloc_calls, st.alloc_taken, st.reserve_asks);
	printf("ahead_decisions %llu\nahead_entries %llu\n", st.ahead_calls,
	       st.ahead_taken);
	printf("notify_decisions %llu\n", st.notify_calls);
	for (i = 0; i < 3; i++)
		printf("notify_%s %llu\n", notifs[i], st.notifs[i]);
	if (st.min_free)
		printf("min_available %llu\n", st.min_free - 1);
	printf("max_held %llu\n", st.max_held);
	return 0;
}

/* The stats of a send or a refill policy, told apart by their size. */
static int cmd_stats(const char *path)
{
	static const char * const causes[ZC_CLOSE_CAUSES] = {
		"flush", "new", "limit", "timeout", "exit",
	};
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct zc_send_stats st;
	int fd = bpf_obj_get(path), err, i;

	if (fd < 0)
		return fail(path, -errno);
	if (bpf_map_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		close(fd);
		return fail(path, err);
	}
	if (info.value_size == sizeof(struct zc_refill_stats))
		return refill_stats(path, fd);
	err = zc_policy_read_stats(fd, &st);
	close(fd);
	if (err)
		return fail(path, err);
	printf("notifications %llu\nsends %llu\n", st.notifs, st.sends);
	printf("sends_per_notification %.2f\n",
	       st.notifs ? (double)st.sends / st.notifs : 0.0);
	printf("zerocopy_sends %llu\ncopied_sends %llu\n", st.zc_sends,
	       st.copy_sends);
	for (i = 0; i < ZC_CLOSE_CAUSES; i++)
		printf("closed_by_%s %llu\n", causes[i], st.causes[i]);
	printf("send_to_close_us (log2 buckets: sends)\n");
	for (i = 0; i < ZC_AGE_BUCKETS; i++)
		if (st.age_us[i])
			printf("  <%llu %llu\n", 1ULL << i, st.age_us[i]);
	return 0;
}

/* Print the sysctl @name through @get, or write @value through @set. */
static int cmd_sysctl(const char *name,
		      int (*get)(enum zc_policy_type, char *, size_t),
		      int (*set)(enum zc_policy_type, const char *),
		      const char *value)
{
	char buf[512];
	int err;

	err = value ? set(type, value) : get(type, buf, sizeof(buf));
	if (err)
		return fail(name, err);
	if (!value)
		printf("%s\n", buf);
	return 0;
}

int main(int argc, char **argv)
{
	int err;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-t") && argc > 3) {
		if (!strcmp(argv[2], "refill"))
			type = ZC_POLICY_REFILL;
		else if (strcmp(argv[2], "send"))
			return usage(stderr), 2;
		argc -= 2;
		argv += 2;
	}
	if (!strcmp(argv[1], "list") && argc == 2)
		return cmd_list();
	if (!strcmp(argv[1], "register") && argc == 4)
		return cmd_register(argv[2], argv[3]);
	if (!strcmp(argv[1], "replace") && (argc == 4 || argc == 5))
		return cmd_replace(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (!strcmp(argv[1], "unregister") && argc == 3) {
		err = zc_policy_detach_pinned(argv[2]);
		return err ? fail(argv[2], err) : 0;
	}
	if (!strcmp(argv[1], "stats") && argc == 3)
		return cmd_stats(argv[2]);
	if (!strcmp(argv[1], "default") && argc <= 3)
		return cmd_sysctl("net.core.zc_<type>_policy_default",
				  zc_policy_get_default, zc_policy_set_default,
				  argc == 3 ? argv[2] : NULL);
	if (!strcmp(argv[1], "allowed") && argc <= 3)
		return cmd_sysctl("net.core.zc_<type>_policy_allowed",
				  zc_policy_get_allowed, zc_policy_set_allowed,
				  argc == 3 ? argv[2] : NULL);
	usage(stderr);
	return 2;
}
