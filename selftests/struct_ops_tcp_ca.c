// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end check of the BPF struct_ops tool chain: load the
 * tcp_ca_probe congestion control (bpf-progs/) through its generated
 * skeleton, attach it, show that a TCP connection runs it, and detach it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "lib/zc_test.h"
#include "tcp_ca_probe.skel.h"

#define CA_NAME		"zc_probe"
#define CA_NAME_MAX	16	/* TCP_CA_NAME_MAX */
#define XFER_BYTES	(1 << 20)

FIXTURE(tcp_ca) {
	struct tcp_ca_probe *skel;
	struct bpf_link *link;
	int lfd;
	struct sockaddr_in addr;
};

FIXTURE_SETUP(tcp_ca)
{
	socklen_t alen = sizeof(self->addr);

	ASSERT_EQ(0, zc_netns_new());
	self->skel = tcp_ca_probe__open_and_load();
	ASSERT_NE(NULL, self->skel) TH_LOG("loading tcp_ca_probe failed");
	self->link = bpf_map__attach_struct_ops(self->skel->maps.zc_probe);
	ASSERT_NE(NULL, self->link) TH_LOG("attach: %s", strerror(errno));

	self->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, self->lfd);
	self->addr.sin_family = AF_INET;
	self->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(self->lfd, (void *)&self->addr, sizeof(self->addr)));
	ASSERT_EQ(0, listen(self->lfd, 1));
	ASSERT_EQ(0, getsockname(self->lfd, (void *)&self->addr, &alen));
}

FIXTURE_TEARDOWN(tcp_ca)
{
	if (self->lfd >= 0)
		close(self->lfd);
	bpf_link__destroy(self->link);
	tcp_ca_probe__destroy(self->skel);
}

static int connect_with_ca(struct sockaddr_in *addr, const char *ca)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -errno;
	if (ca && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, strlen(ca)))
		goto err;
	if (connect(fd, (void *)addr, sizeof(*addr)))
		goto err;
	return fd;
err:
	close(fd);
	return -errno;
}

/* Send XFER_BYTES from @cfd and read them back on @sfd. */
static int transfer(int cfd, int sfd)
{
	static char buf[64 << 10];
	size_t sent = 0, rcvd = 0;
	ssize_t n;

	memset(buf, 0xa5, sizeof(buf));
	while (rcvd < XFER_BYTES) {
		if (sent < XFER_BYTES) {
			n = send(cfd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN)
				return -errno;
			if (n > 0)
				sent += n;
		}
		n = recv(sfd, buf, sizeof(buf), sent < XFER_BYTES ? MSG_DONTWAIT : 0);
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if (n > 0)
			rcvd += n;
	}
	return 0;
}

TEST_F(tcp_ca, connection_runs_the_bpf_ops)
{
	struct tcp_ca_probe__bss *st = self->skel->bss;
	char name[CA_NAME_MAX] = {};
	socklen_t len = sizeof(name);
	int cfd, sfd;

	cfd = connect_with_ca(&self->addr, CA_NAME);
	ASSERT_LE(0, cfd) TH_LOG("connect: %s", strerror(-cfd));
	sfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, sfd);

	ASSERT_EQ(0, getsockopt(cfd, IPPROTO_TCP, TCP_CONGESTION, name, &len));
	ASSERT_STREQ(CA_NAME, name);
	ASSERT_EQ(1, st->init_calls);

	ASSERT_EQ(0, transfer(cfd, sfd));
	/* Every ACK of new data goes through pkts_acked. */
	EXPECT_LT(0, st->acked_pkts);
	TH_LOG("init %llu cong_avoid %llu acked %llu ssthresh %llu",
	       st->init_calls, st->cong_avoid_calls, st->acked_pkts,
	       st->ssthresh_calls);

	close(cfd);
	close(sfd);
	EXPECT_EQ(1, st->release_calls);
}

TEST_F(tcp_ca, name_is_gone_after_detach)
{
	int cfd;

	ASSERT_EQ(0, bpf_link__destroy(self->link));
	self->link = NULL;
	cfd = connect_with_ca(&self->addr, CA_NAME);
	ASSERT_EQ(-ENOENT, cfd);
	/* The stock algorithms are untouched. */
	cfd = connect_with_ca(&self->addr, "reno");
	ASSERT_LE(0, cfd);
	close(cfd);
	EXPECT_EQ(0, self->skel->bss->init_calls);
}

TEST_F(tcp_ca, listed_while_attached)
{
	char avail[512] = {};
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(avail, sizeof(avail), f));
	fclose(f);
	ASSERT_NE(NULL, strstr(avail, CA_NAME)) TH_LOG("available: %s", avail);
}

TEST_HARNESS_MAIN
