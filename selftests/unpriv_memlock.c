// SPDX-License-Identifier: GPL-2.0
/*
 * The unprivileged-user helper, and the locked-memory accounting that
 * later tests rely on it for: as root (CAP_IPC_LOCK) io_uring skips the
 * RLIMIT_MEMLOCK charge, so these checks only mean something without it.
 */
#include <sys/mman.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "lib/zc_test.h"

#define LIMIT	(256 << 10)

FIXTURE(unpriv) {
	struct io_uring ring;
	void *buf;
	size_t len;
};

FIXTURE_SETUP(unpriv)
{
	ASSERT_EQ(0, zc_become_unprivileged(LIMIT));
	ASSERT_EQ(0, io_uring_queue_init(8, &self->ring, 0));
	self->len = 4 * LIMIT;
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(unpriv)
{
	io_uring_queue_exit(&self->ring);
	munmap(self->buf, self->len);
}

TEST_F(unpriv, no_privilege_left)
{
	ASSERT_NE(0, getuid());
	ASSERT_EQ(0, zc_have_cap(CAP_IPC_LOCK));
	ASSERT_EQ(0, zc_have_cap(CAP_NET_ADMIN));
	ASSERT_EQ(0, zc_have_cap(CAP_BPF));
	ASSERT_EQ(0, zc_have_cap(CAP_SYS_ADMIN));
}

TEST_F(unpriv, registered_buffer_over_memlock_is_refused)
{
	struct iovec iov = { self->buf, self->len };

	ASSERT_EQ(-ENOMEM, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, zc_status_kb("VmPin"));
}

TEST_F(unpriv, registered_buffer_is_charged_and_returned)
{
	struct iovec iov = { self->buf, LIMIT / 2 };
	struct io_uring ring2;
	long base, held;

	base = zc_status_kb("VmPin");
	ASSERT_LE(0, base);
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	held = zc_status_kb("VmPin");
	ASSERT_EQ(base + (LIMIT / 2 >> 10), held);
	/* The charge is per user: a second ring gets only what is left. */
	ASSERT_EQ(0, io_uring_queue_init(8, &ring2, 0));
	iov.iov_base = (char *)self->buf + LIMIT;
	iov.iov_len = LIMIT;
	EXPECT_EQ(-ENOMEM, io_uring_register_buffers(&ring2, &iov, 1));
	iov.iov_len = LIMIT / 4;
	EXPECT_EQ(0, io_uring_register_buffers(&ring2, &iov, 1));
	EXPECT_EQ(0, io_uring_unregister_buffers(&ring2));
	/* Ring exit is asynchronous, unregistering is not. */
	io_uring_queue_exit(&ring2);
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(base, zc_status_kb("VmPin"));
}

TEST_F(unpriv, mlock_over_limit_fails)
{
	ASSERT_NE(0, mlock(self->buf, self->len));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, mlock(self->buf, LIMIT / 2));
	ASSERT_EQ(LIMIT / 2 >> 10, zc_status_kb("VmLck"));
	ASSERT_EQ(0, munlock(self->buf, LIMIT / 2));
	ASSERT_EQ(0, zc_status_kb("VmLck"));
}

TEST_HARNESS_MAIN
