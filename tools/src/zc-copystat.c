// SPDX-License-Identifier: GPL-2.0
/*
 * zc-copystat: run a command and report how many TCP payload bytes the
 * kernel's CPU copied into user memory while it ran, system wide.
 *
 *   zc-copystat [-o FILE] -- COMMAND [ARG...]
 *
 * Prints "tcp_copied_bytes=N tcp_copy_calls=M" on stderr (or into FILE)
 * and exits with the command's status.  See zc-copystat(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "zc.h"
#include "copystat.skel.h"

struct copy_stats {
	__u64 bytes;
	__u64 calls;
};

static int read_stats(struct copystat *skel, struct copy_stats *sum)
{
	return zc_percpu_sum(bpf_map__fd(skel->maps.tcp_copy), 0, sum,
			     sizeof(*sum));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: zc-copystat [-o FILE] -- COMMAND [ARG...]\n");
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	struct copy_stats st;
	struct copystat *skel;
	int opt, status, err;
	FILE *f = stderr;
	pid_t pid;

	while ((opt = getopt(argc, argv, "o:h")) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	skel = copystat__open_and_load();
	if (!skel) {
		fprintf(stderr, "zc-copystat: loading the BPF program: %s\n",
			strerror(errno));
		return 1;
	}
	err = copystat__attach(skel);
	if (err) {
		fprintf(stderr, "zc-copystat: attaching: %s\n", strerror(-err));
		copystat__destroy(skel);
		return 1;
	}

	pid = fork();
	if (pid < 0) {
		perror("zc-copystat: fork");
		copystat__destroy(skel);
		return 1;
	}
	if (!pid) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "zc-copystat: %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("zc-copystat: waitpid");
			status = 1 << 8;
			break;
		}
	}

	err = read_stats(skel, &st);
	copystat__destroy(skel);
	if (err) {
		fprintf(stderr, "zc-copystat: reading the counters: %s\n",
			strerror(-err));
		return 1;
	}
	if (out) {
		f = fopen(out, "w");
		if (!f) {
			fprintf(stderr, "zc-copystat: %s: %s\n", out,
				strerror(errno));
			return 1;
		}
	}
	fprintf(f, "tcp_copied_bytes=%llu tcp_copy_calls=%llu\n",
		(unsigned long long)st.bytes, (unsigned long long)st.calls);
	if (f != stderr)
		fclose(f);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
