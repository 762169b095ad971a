/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * MSG_ZEROCOPY under a zero-copy send policy: the socket option that opts
 * a TCP or UDP socket in.  See Documentation/networking/zc-policy.rst.
 */
#ifndef _UAPI_LINUX_ZC_MSG_H
#define _UAPI_LINUX_ZC_MSG_H

#include <linux/types.h>
#include <linux/zc_policy.h>

/*
 * setsockopt(fd, SOL_SOCKET, SO_ZC_POLICY, &struct zc_msg_policy, size)
 * chooses the send policy of the socket's MSG_ZEROCOPY sends; getsockopt
 * reads it back, with the bounds in force and the counters.  From this
 * project's range, 0x5a00 to 0x5a1f, far from upstream's SO_* numbers.
 */
#define SO_ZC_POLICY		0x5a00

struct zc_msg_policy {
	/* in: a policy name; "" for net.core.zc_send_policy_default */
	char	name[ZC_POLICY_NAME_MAX];
	/* in: the kernel's bounds on one range; 0 for the default */
	__u32	max_sends;	/* 1 to 65534, default 64 */
	__u32	flags;		/* none yet: 0 */
	__u64	max_bytes;	/* at most 256 MiB, default 1 MiB */
	__u64	timeout_ns;	/* open, and unreported: 1 us to 1 s,
				 * default 1 ms
				 */
	__u64	__resv[2];	/* 0 */

	/* out (getsockopt); 0 on setsockopt */
	__u64	sends;		/* MSG_ZEROCOPY sends under the policy */
	__u64	copies;		/* of them, those the policy copied */
	__u64	ranges;		/* ranges (notifications) completed */
	__u64	queued;		/* error-queue entries: ranges not merged */
	__u64	wakeups;	/* error reports (EPOLLERR) for them */
	__u64	faults;		/* verdicts the kernel refused */
};

#endif /* _UAPI_LINUX_ZC_MSG_H */
