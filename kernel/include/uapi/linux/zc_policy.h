/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Zero-copy policies: what a BPF policy program returns.
 *
 * Only macros, so that BPF programs can include this beside vmlinux.h.
 *
 * A send policy (struct zc_send_ops) is asked three things about each
 * zero-copy send, in this order:
 *
 *   join   at submission: does the send join the ring's open notification
 *          (ZC_SEND_JOIN) or open a new one (ZC_SEND_NEW)?  Or open a new
 *          one that holds n sends (n from ZC_SEND_HOLD_MIN to
 *          ZC_SEND_HOLD_MAX, clamped to the bounds): the next n - 1 sends
 *          join it without join or flush being asked, and it closes as
 *          the n-th joins.  Asked even when nothing is open (open_sends
 *          is then 0, and ZC_SEND_JOIN means ZC_SEND_NEW).
 *   mode   before the data is handed to the socket: zero-copy
 *          (ZC_SEND_ZEROCOPY) or copied (ZC_SEND_COPY)?  Or a rule for
 *          the rest of the notification: a size threshold from
 *          ZC_SEND_COPY_BELOW_MIN up copies the sends shorter than it, and
 *          mode is not asked again until a new notification opens.
 *   flush  after the send: close the open notification now
 *          (ZC_SEND_FLUSH), keep it open within the kernel's bounds
 *          (ZC_SEND_KEEP), or keep it open at most that many nanoseconds
 *          (a value from ZC_SEND_KEEP_NS_MIN up, clamped to the bounds).
 *
 * and it is told which notifications completed (closed), in reports of
 * one or more that closed for the same reason (ZC_SEND_CLOSE_*), with
 * their sends and how long the sends waited, so that it can keep
 * statistics.
 *
 * On a MSG_ZEROCOPY socket (SO_ZC_POLICY, linux/zc_msg.h) a notification
 * is a range of send ids that the socket holds open: join, mode and
 * flush are asked in the same order, closed when a range stops taking
 * sends, and one more, report, when a range completes: ZC_SEND_REPORT_*.
 *
 * Stock behaviour is 0 for every decision: a notification per send,
 * zero-copy, flushed at once.  The kernel bounds every notification (at
 * most N sends, B bytes and T nanoseconds open), whatever a policy says,
 * and counts any other return value as a fault and decides 0 instead.
 */
#ifndef _UAPI_LINUX_ZC_POLICY_H
#define _UAPI_LINUX_ZC_POLICY_H

/* join */
#define ZC_SEND_NEW		0
#define ZC_SEND_JOIN		1
#define ZC_SEND_HOLD_MIN	2
#define ZC_SEND_HOLD_MAX	65535
/* mode */
#define ZC_SEND_ZEROCOPY	0
#define ZC_SEND_COPY		1
/* A threshold v from here up: copy the sends shorter than v bytes (of
 * known length), zero-copy the rest, for every send of this notification
 * without asking again.
 */
#define ZC_SEND_COPY_BELOW_MIN	2
/* flush */
#define ZC_SEND_FLUSH		0
#define ZC_SEND_KEEP		1
#define ZC_SEND_KEEP_NS_MIN	1000

/*
 * report, for MSG_ZEROCOPY sockets only: a completed range is about to be
 * queued on the error queue.  0 is stock: merge it into an adjacent entry
 * of the same code, and wake the socket.  Bits:
 */
#define ZC_SEND_REPORT_APART	(1U << 0)	/* queue it as its own entry */
#define ZC_SEND_REPORT_QUIET	(1U << 1)	/* wake later: within
						 * timeout_ns, or once
						 * max_sends sends wait
						 */
#define ZC_SEND_REPORT_MASK	(ZC_SEND_REPORT_APART | ZC_SEND_REPORT_QUIET)

/* zc_send_ctx.decision: what is being asked */
#define ZC_SEND_DECIDE_JOIN	0
#define ZC_SEND_DECIDE_MODE	1
#define ZC_SEND_DECIDE_FLUSH	2
#define ZC_SEND_EVENT_CLOSED	3
#define ZC_SEND_DECIDE_REPORT	4

/* zc_send_ctx.cause, for ZC_SEND_EVENT_CLOSED: why it closed */
#define ZC_SEND_CLOSE_FLUSH	0	/* the policy's flush, or held sends */
#define ZC_SEND_CLOSE_NEW	1	/* a send opened a new notification */
#define ZC_SEND_CLOSE_LIMIT	2	/* it reached max_sends or max_bytes */
#define ZC_SEND_CLOSE_TIMEOUT	3	/* it was open timeout_ns */
#define ZC_SEND_CLOSE_EXIT	4	/* the ring or socket is going away */

/* zc_send_ctx.source */
#define ZC_SEND_SRC_IO_URING	1
#define ZC_SEND_SRC_MSG_ZEROCOPY 2

/* zc_send_ctx.flags */
#define ZC_SEND_F_FIXED_BUF	(1U << 0)	/* a registered buffer */
#define ZC_SEND_F_REPORT_USAGE	(1U << 1)	/* usage reported per range */
#define ZC_SEND_F_MSG		(1U << 2)	/* sendmsg, len unknown at join */
#define ZC_SEND_F_FIXED_FILE	(1U << 3)	/* fd is a registered file index */

/*
 * A refill policy (struct zc_refill_ops) steers the buffer pool of a
 * zero-copy receive queue (io_uring zcrx).  It is asked:
 *
 *   alloc   in the page pool's alloc path (NAPI), when the pool's cache is
 *           empty: how many refill-ring entries to take back (the low 16
 *           bits; 0 for the kernel's 64, clamped to ctx->budget), with
 *           ZC_REFILL_* flags for the free list and the reserve.
 *   ahead   when RECV_ZC has posted completions (the receiving task): how
 *           many refill-ring entries to take back now, before the pool
 *           runs dry (0 to 65535, clamped to ctx->budget).
 *   notify  on an event (ZC_REFILL_EV_*), only while the application has
 *           notifications armed: which of them to post now, a mask of
 *           IORING_ZCRX_NOTIF_* (bits that are not armed are ignored).
 *
 * Stock behaviour is 0 for alloc and ahead (upstream's lazy refill) and,
 * for notify, IORING_ZCRX_NOTIF_NO_BUFFERS on ZC_REFILL_EV_NO_BUFFERS and
 * IORING_ZCRX_NOTIF_COPY on ZC_REFILL_EV_COPY.  Any other return value is
 * a fault: it is counted and the stock decision is taken instead.  An
 * alloc verdict that leaves the pool without a buffer while the area has
 * some to give is a fault too, so no policy can starve a queue.
 */
#define ZC_REFILL_COUNT_MASK	0xffff
#define ZC_REFILL_FREE_FIRST	(1 << 16)	/* free list before the ring */
/* Leave the last free buffers (64, or an eighth of a small area) to the
 * copy fallback; the kernel takes them anyway rather than starve the pool.
 */
#define ZC_REFILL_NO_FREE	(1 << 17)
/* Area exhausted: lend kernel pages.  Until every lent page is back the
 * pool keeps some free buffers for RECV_ZC to copy their data into.
 */
#define ZC_REFILL_RESERVE	(1 << 18)
/* FREE_FIRST with NO_FREE contradict each other: a fault. */
#define ZC_REFILL_FLAGS		(ZC_REFILL_FREE_FIRST | ZC_REFILL_NO_FREE | \
				 ZC_REFILL_RESERVE)

/* zc_refill_ctx.decision */
#define ZC_REFILL_DECIDE_ALLOC	0
#define ZC_REFILL_DECIDE_AHEAD	1
#define ZC_REFILL_DECIDE_NOTIFY	2

/* zc_refill_ctx.event, for notify */
#define ZC_REFILL_EV_ALLOC	0	/* the pool refilled its cache */
#define ZC_REFILL_EV_NO_BUFFERS	1	/* ... and found nothing: a drop */
#define ZC_REFILL_EV_COPY	2	/* RECV_ZC copied payload */
#define ZC_REFILL_EV_RECV	3	/* RECV_ZC posted completions */

/* Policy names: at most this many bytes with the NUL. */
#define ZC_POLICY_NAME_MAX	16

#endif /* _UAPI_LINUX_ZC_POLICY_H */
