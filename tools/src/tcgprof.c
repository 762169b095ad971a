// SPDX-License-Identifier: GPL-2.0
/*
 * tcgprof: a QEMU TCG plugin that counts the guest's executed instructions
 * per kernel translation block, and user space's in one bucket.  Under TCG
 * perf's samples say little, but instruction and block counts are exact
 * and repeatable.  See tools/tcgprof, which loads it.
 *
 *   reset=ADDR   zero the counts when the block at ADDR runs
 *   snap=ADDR    write them to PREFIX.N (N = 0, 1, ...) when it runs
 *   out=PREFIX
 *
 * Each line of a snapshot: "VADDR EXECS INSNS" in hex, decimal, decimal
 * (VADDR 0 is user space, its EXECS already instructions).
 *
 * The plugin API is QEMU's stable C ABI (version 1, QEMU 7.2); Debian
 * ships no qemu-plugin.h, so the few calls used are declared here.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*vcpu_udata_cb)(unsigned int, void *);
typedef void (*udata_cb)(qemu_plugin_id_t, void *);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *,
					      enum qemu_plugin_op, void *,
					      uint64_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *,
					  vcpu_udata_cb,
					  enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, udata_cb, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* Open addressing over kernel block addresses; counts are racy adds. */
#define NSLOTS (1u << 21)
struct ent { uint64_t vaddr, count; uint32_t ninsns; };
static struct ent *tab;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t reset_at, snap_at;
static char out[256];
static int nsnap;
static struct ent user;

static struct ent *lookup(uint64_t va)
{
	uint64_t h = (va * 0x9e3779b97f4a7c15ull) >> 43;

	for (;; h = (h + 1) & (NSLOTS - 1)) {
		if (tab[h].vaddr == va)
			return &tab[h];
		if (!tab[h].vaddr) {
			tab[h].vaddr = va;
			return &tab[h];
		}
	}
}

static void do_reset(unsigned int cpu __attribute__((unused)),
		     void *u __attribute__((unused)))
{
	for (uint32_t i = 0; i < NSLOTS; i++)
		tab[i].count = 0;
	user.count = 0;
}

static void do_snap(unsigned int cpu __attribute__((unused)),
		    void *u __attribute__((unused)))
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%d", out, nsnap++);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "0 %" PRIu64 " 1\n", user.count);
	for (uint32_t i = 0; i < NSLOTS; i++)
		if (tab[i].count)
			fprintf(f, "%" PRIx64 " %" PRIu64 " %u\n", tab[i].vaddr,
				tab[i].count, tab[i].ninsns);
	fclose(f);
}

static void trans(qemu_plugin_id_t id __attribute__((unused)),
		  struct qemu_plugin_tb *tb)
{
	uint64_t va = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct ent *e;

	if (va == reset_at)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, do_reset,
						     QEMU_PLUGIN_CB_NO_REGS, 0);
	if (va == snap_at)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, do_snap,
						     QEMU_PLUGIN_CB_NO_REGS, 0);
	if (va < 0xffff800000000000ull) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb,
			QEMU_PLUGIN_INLINE_ADD_U64, &user.count, n);
		return;
	}
	pthread_mutex_lock(&lock);
	e = lookup(va);
	if (n > e->ninsns)
		e->ninsns = n;
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &e->count, 1);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id,
			const qemu_info_t *info __attribute__((unused)),
			int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "reset=", 6))
			reset_at = strtoull(argv[i] + 6, NULL, 16);
		else if (!strncmp(argv[i], "snap=", 5))
			snap_at = strtoull(argv[i] + 5, NULL, 16);
		else if (!strncmp(argv[i], "out=", 4))
			snprintf(out, sizeof(out), "%s", argv[i] + 4);
	}
	tab = calloc(NSLOTS, sizeof(*tab));
	qemu_plugin_register_vcpu_tb_trans_cb(id, trans);
	return 0;
}
