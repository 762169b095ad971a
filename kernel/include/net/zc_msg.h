/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSG_ZEROCOPY under a zero-copy send policy: the hooks the socket layer
 * calls.  Each is a no-op for a socket that did not opt in with
 * SO_ZC_POLICY, at the cost of one load and branch.
 */
#ifndef _NET_ZC_MSG_H
#define _NET_ZC_MSG_H

#include <linux/sockptr.h>
#include <linux/types.h>
#include <net/sock.h>
#include <uapi/linux/zc_msg.h>

struct msghdr;
struct ubuf_info;
struct zc_msg;

#ifdef CONFIG_ZC_POLICY
int zc_msg_setsockopt(struct sock *sk, sockptr_t optval, unsigned int optlen);
int zc_msg_getsockopt(struct sock *sk, sockptr_t optval, sockptr_t optlen,
		      int len);
struct ubuf_info *zc_msg_realloc(struct sock *sk, size_t size,
				 struct ubuf_info *hint, bool *stock);
bool zc_msg_copy(struct sock *sk, struct ubuf_info *uarg, size_t size);
void zc_msg_sent(struct sock *sk, int ret);
u32 zc_msg_report(struct sock *sk, u32 len, u64 bytes, bool zerocopy);
bool zc_msg_defer_wake(struct sock *sk, u32 len, bool queued, u32 v);
void zc_msg_release(struct sock *sk);
void zc_msg_free(struct sock *sk);

/* The socket's policy state, or NULL: set once, freed with the socket. */
static inline struct zc_msg *sk_zc_msg(const struct sock *sk)
{
	return READ_ONCE(sk->sk_zc_msg);
}

/**
 * msg_zerocopy_copy() - does the policy copy this MSG_ZEROCOPY send?
 * @sk: the socket, owned by the sender
 * @uarg: the range msg_zerocopy_realloc() gave the send
 * @size: the send's length
 *
 * For the protocols' "can this send go zero-copy" tests: true makes them
 * take their copy path, which marks the range copied.
 */
static inline bool msg_zerocopy_copy(struct sock *sk, struct ubuf_info *uarg,
				     size_t size)
{
	return unlikely(sk_zc_msg(sk)) && zc_msg_copy(sk, uarg, size);
}

/* After a sendmsg() with MSG_ZEROCOPY: the policy's flush. */
static inline void msg_zerocopy_sent(struct sock *sk, struct msghdr *msg,
				     int ret)
{
	if (unlikely(sk_zc_msg(sk)) && (msg->msg_flags & MSG_ZEROCOPY) &&
	    !msg->msg_ubuf)
		zc_msg_sent(sk, ret);
}
#else
static inline bool msg_zerocopy_copy(struct sock *sk, struct ubuf_info *uarg,
				     size_t size)
{
	return false;
}

static inline void msg_zerocopy_sent(struct sock *sk, struct msghdr *msg,
				     int ret)
{
}

static inline u32 zc_msg_report(struct sock *sk, u32 len, u64 bytes,
				bool zerocopy)
{
	return 0;
}

static inline bool zc_msg_defer_wake(struct sock *sk, u32 len, bool queued,
				     u32 v)
{
	return false;
}

static inline void zc_msg_release(struct sock *sk)
{
}

static inline void zc_msg_free(struct sock *sk)
{
}
#endif

#endif /* _NET_ZC_MSG_H */
