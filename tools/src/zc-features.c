// SPDX-License-Identifier: GPL-2.0
/*
 * zc-features: print which zero-copy paths the running kernel offers,
 * and how each one was detected.  Exit 0; missing paths are not errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <liburing.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
/* Upstream's numbers (6.15); 6.12 has neither. */
#define ZC_IORING_OP_RECV_ZC		58
#define ZC_IORING_REGISTER_ZCRX_IFQ	32

static void row(const char *path, int ok, const char *how)
{
	printf("  %-34s %-4s %s\n", path, ok ? "yes" : "no", how);
}

static void probe_io_uring(void)
{
	struct io_uring_probe *p = io_uring_get_probe();
	struct io_uring ring;
	int ret;

	row("io_uring SEND_ZC", p && io_uring_opcode_supported(p, IORING_OP_SEND_ZC),
	    "IORING_REGISTER_PROBE");
	row("io_uring SENDMSG_ZC", p && io_uring_opcode_supported(p, IORING_OP_SENDMSG_ZC),
	    "IORING_REGISTER_PROBE");
	row("io_uring RECV_ZC (zcrx)",
	    p && p->last_op >= ZC_IORING_OP_RECV_ZC &&
	    io_uring_opcode_supported(p, ZC_IORING_OP_RECV_ZC),
	    "IORING_REGISTER_PROBE, op 58");
	io_uring_free_probe(p);

	/* An unknown register opcode is -EINVAL; a known one checks its arg. */
	ret = io_uring_queue_init(4, &ring, 0);
	if (!ret) {
		ret = syscall(__NR_io_uring_register, ring.ring_fd,
			      ZC_IORING_REGISTER_ZCRX_IFQ, NULL, 1);
		row("io_uring REGISTER_ZCRX_IFQ", ret < 0 && errno != EINVAL,
		    "io_uring_register(32, NULL)");
		io_uring_queue_exit(&ring);
	} else {
		row("io_uring", 0, strerror(-ret));
	}
}

static void probe_msg_zerocopy(void)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	row("MSG_ZEROCOPY (TCP)",
	    fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)),
	    "setsockopt(SO_ZEROCOPY)");
	if (fd >= 0)
		close(fd);
}

/* Every struct_ops type the kernel registered, from its BTF. */
static void probe_struct_ops(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const char *pfx = "bpf_struct_ops_";
	int id, n;

	if (!btf) {
		row("BPF struct_ops types", 0, "no /sys/kernel/btf/vmlinux");
		return;
	}
	n = btf__type_cnt(btf);
	printf("  BPF struct_ops types in vmlinux BTF:\n");
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = btf__name_by_offset(btf, t->name_off);

		/* A registered type's value: { common; data; } */
		if (btf_is_struct(t) && !strncmp(name, pfx, strlen(pfx)) &&
		    btf_vlen(t) == 2 &&
		    !strcmp(btf__name_by_offset(btf, btf_members(t)->name_off), "common") &&
		    btf_is_struct(btf__type_by_id(btf, btf_members(t)[1].type)))
			printf("    %s\n", name + strlen(pfx));
	}
	btf__free(btf);
}

int main(void)
{
	struct utsname u;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	uname(&u);
	printf("kernel %s %s, %ld CPUs\n", u.release, u.version, cpus);
	printf("  %-34s %-4s %s\n", "zero-copy path", "", "detected through");
	probe_io_uring();
	probe_msg_zerocopy();
	probe_struct_ops();
	return 0;
}
