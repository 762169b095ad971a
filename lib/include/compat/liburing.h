/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * liburing.h for applications written against liburing 2.10's zcrx
 * helpers, on a liburing that has none (Debian 12's 2.3).  With this
 * directory first on the include path (pkg-config --cflags libzc does
 * it), such an application builds unchanged and links against libzc.
 *
 * This kernel's <linux/io_uring.h> comes first: liburing's own copy of
 * the header uses the same include guard, so the kernel's definitions
 * (the zcrx structs, IORING_OP_RECV_ZC, sqe->zcrx_ifq_idx) win.
 */
#ifndef LIBZC_COMPAT_LIBURING_H
#define LIBZC_COMPAT_LIBURING_H

#include <linux/io_uring.h>
#include_next <liburing.h>
#include <zc.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(IO_URING_VERSION_MAJOR) || \
	(IO_URING_VERSION_MAJOR == 2 && IO_URING_VERSION_MINOR < 10)
/* The refill ring as liburing 2.10 describes it. */
struct io_uring_zcrx_rq {
	__u32			*khead;
	__u32			*ktail;
	__u32			rq_tail;
	unsigned int		ring_entries;
	struct io_uring_zcrx_rqe *rqes;
	void			*ring_ptr;
};
#endif

#ifdef __cplusplus
}
#endif

#endif
