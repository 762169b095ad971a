/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOU_ZC_NOTIF_H
#define IOU_ZC_NOTIF_H

#include <linux/io_uring_types.h>
#include <linux/seq_file.h>

struct socket;

/*
 * A coalesced send's facts for its policy, captured when it was submitted
 * (the send may be issued from io-wq) and kept in its io_async_msghdr.
 */
struct io_zc_send_info {
	u64	len;		/* 0 for sendmsg until issued */
	u32	flags;		/* ZC_SEND_F_* */
	s32	fd;
	u16	seq;
	/* Bytes, not bits: set and tested on every send. */
	bool	member;		/* in a notification: F_MORE, seq in the CQE */
	bool	decided;	/* the mode is decided ... */
	bool	copy;		/* ... and it is a copy */
	bool	early;		/* a solo that may complete with its send */
};

#ifdef CONFIG_ZC_POLICY
int io_register_zc_send_policy(struct io_ring_ctx *ctx, void __user *arg,
			       unsigned int nr_args);
bool io_zc_prep_alone(struct io_kiocb *req, u32 len);
int io_zc_join(struct io_kiocb *req, struct io_zc_send_info *info,
	       struct io_kiocb **notifp);
bool __io_zc_send_copy(struct io_kiocb *notif, struct io_zc_send_info *info,
		       struct socket *sock);
void io_zc_sent(struct io_kiocb *notif, struct io_zc_send_info *info,
		struct socket *sock, int ret, bool done);
void io_zc_member_done(struct io_kiocb *notif);
void io_zc_notif_complete(struct io_kiocb *notif);
void io_zc_solo_complete(struct io_kiocb *notif);
void __io_zc_report(struct io_ring_ctx *ctx);
void io_zc_ring_exit(struct io_ring_ctx *ctx);
void io_zc_ring_free(struct io_ring_ctx *ctx);
void io_zc_fdinfo(struct io_ring_ctx *ctx, struct seq_file *m);
#else
static inline int io_register_zc_send_policy(struct io_ring_ctx *ctx,
					     void __user *arg,
					     unsigned int nr_args)
{
	return -EOPNOTSUPP;
}

static inline bool io_zc_prep_alone(struct io_kiocb *req, u32 len)
{
	return false;
}

static inline int io_zc_join(struct io_kiocb *req,
			     struct io_zc_send_info *info,
			     struct io_kiocb **notifp)
{
	return -EOPNOTSUPP;
}

static inline bool __io_zc_send_copy(struct io_kiocb *notif,
				     struct io_zc_send_info *info,
				     struct socket *sock)
{
	return false;
}

static inline void io_zc_sent(struct io_kiocb *notif,
			      struct io_zc_send_info *info,
			      struct socket *sock, int ret, bool done)
{
}

static inline void io_zc_member_done(struct io_kiocb *notif)
{
}

static inline void io_zc_notif_complete(struct io_kiocb *notif)
{
}

static inline void io_zc_solo_complete(struct io_kiocb *notif)
{
}

static inline void __io_zc_report(struct io_ring_ctx *ctx)
{
}

static inline void io_zc_ring_exit(struct io_ring_ctx *ctx)
{
}

static inline void io_zc_ring_free(struct io_ring_ctx *ctx)
{
}

static inline void io_zc_fdinfo(struct io_ring_ctx *ctx, struct seq_file *m)
{
}
#endif

/*
 * Is this send copied rather than zero-copy?  Decided once, when first
 * issued, by the policy's mode program if it had one when the send joined:
 * without one there is no call at all.
 */
static inline bool io_zc_send_copy(struct io_kiocb *notif,
				   struct io_zc_send_info *info,
				   struct socket *sock)
{
	if (info->decided)
		return info->copy;
	return __io_zc_send_copy(notif, info, sock);
}

/*
 * Before a ring's completions are posted: tell its send policy about the
 * notifications among them, in one program run.
 */
static inline void io_zc_report(struct io_ring_ctx *ctx)
{
	if (unlikely(ctx->zc_send))
		__io_zc_report(ctx);
}

/* The first CQE's flags of a coalesced send: F_MORE iff a NOTIF follows. */
static inline u32 io_zc_cqe_flags(const struct io_zc_send_info *info)
{
	if (!info->member)
		return 0;
	return IORING_CQE_F_MORE | ((u32)info->seq << IORING_CQE_ZC_SEQ_SHIFT);
}

#endif
