// SPDX-License-Identifier: GPL-2.0
/*
 * MSG_ZEROCOPY under a zero-copy send policy (struct zc_send_ops).
 *
 * MSG_ZEROCOPY reports completions as ranges [lo, hi] of send ids on the
 * socket's error queue.  Stock TCP extends the range of the tail skb, up
 * to 512 KiB and a 16-bit count; stock uncorked UDP gives every send its
 * own range.  A socket that chose a policy (SO_ZC_POLICY) instead has an
 * open range: a ubuf_info the socket holds a reference on, so that it
 * cannot complete while sends may still join it.
 *
 *   join   each send joins the open range or opens a new one (or one
 *          that holds n sends), whatever the protocol, within the
 *          socket's bounds (sends, bytes, time open).  A send joins only
 *          a range whose last id is the previous send's, so ranges stay
 *          exact.
 *   mode   the send goes zero-copy or is copied; a range that holds a
 *          copied send reports SO_EE_CODE_ZEROCOPY_COPIED.
 *   flush  after the send: close the open range now, keep it, or keep it
 *          at most that long.  A held range is not asked.  On TCP, a held
 *          range that has its n sends still takes the sends that append
 *          to the unsent skb carrying it: an skb carries one range, and
 *          splitting one costs more than the notification it saves.
 *   closed when a range stops taking sends, for statistics.
 *   report when a range completes: merge it into an adjacent error-queue
 *          entry of the same code (stock) or queue it apart, and wake the
 *          socket now (stock) or within timeout_ns.
 *
 * A closed range completes when the stack frees its last skb, as any
 * MSG_ZEROCOPY range does.  A policy that is unregistered, or one without
 * programs, leaves the socket to stock behaviour.
 *
 * Locking: zs->lock (IRQ-safe, as completions run wherever skbs are
 * freed) guards the open range, the deadlines and the counters.  Nothing
 * that can complete a range runs under it, since completion takes it
 * again: ranges are closed under it and put after it is dropped.
 */
#include <linux/hrtimer.h>
#include <linux/sched/user.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/cgroup.h>
#include <net/sock.h>
#include <net/zc_msg.h>
#include <net/zc_send.h>

#define ZC_MSG_DEF_SENDS	64
#define ZC_MSG_MAX_SENDS	(USHRT_MAX - 1)	/* ubuf_info_msgzc.len */
#define ZC_MSG_DEF_BYTES	BIT_ULL(20)
#define ZC_MSG_MAX_BYTES	(256ULL << 20)
#define ZC_MSG_DEF_TIMEOUT	NSEC_PER_MSEC
#define ZC_MSG_MIN_TIMEOUT	NSEC_PER_USEC
#define ZC_MSG_MAX_TIMEOUT	NSEC_PER_SEC
/* A TCP sender holds its socket for one sendmsg(): try again this soon. */
#define ZC_MSG_OWNED_RETRY	(20 * NSEC_PER_USEC)

struct zc_msg {
	spinlock_t			lock;	/* all below but sk */
	struct sock			*sk;
	struct zc_policy_slot __rcu	*policy;
	u32				max_sends;
	u64				max_bytes;
	u64				timeout_ns;

	/* The open range, and what the policy said about it. */
	struct ubuf_info		*open;
	u64				opened_ns;
	u64				close_at_ns;
	u32				hold;		/* HOLD n, else 0 */
	u32				copy_below;	/* mode rule, else 0 */
	u32				open_copies;
	bool				asks_mode;	/* opened with a mode prog */
	bool				timed;		/* the timer closes it */
	bool				close_due;	/* past its deadline */

	/* Completed ranges the socket was not woken for yet. */
	u32				unwoken;
	u64				wake_at_ns;

	struct hrtimer			timer;
	u64				timer_at_ns;	/* 0: not armed */
	bool				closing;

	u64				sends;
	u64				copies;
	u64				ranges;
	u64				queued;
	u64				wakeups;
	atomic_t			faults;
};

static struct ubuf_info_msgzc *zc_range(struct ubuf_info *uarg)
{
	return uarg_to_msgzc(uarg);
}

/* The programs of the socket's policy; 0 leaves it to stock behaviour. */
static u32 zc_msg_progs(struct zc_msg *zs)
{
	u32 progs;

	rcu_read_lock();
	progs = zc_send_progs(rcu_dereference(zs->policy));
	rcu_read_unlock();
	return progs;
}

/* Does the socket's policy have a program for @decision? */
static bool zc_msg_wants(struct zc_msg *zs, u32 decision)
{
	bool wants;

	rcu_read_lock();
	wants = zc_send_wants(rcu_dereference(zs->policy), decision);
	rcu_read_unlock();
	return wants;
}

/* What every context says: the socket, its bounds, the decision. */
static void zc_msg_ctx_base(struct zc_msg *zs, struct zc_send_ctx *c,
			    u32 decision)
{
	memset(c, 0, sizeof(*c));
	c->decision = decision;
	c->source = ZC_SEND_SRC_MSG_ZEROCOPY;
	c->fd = -1;
	c->max_sends = zs->max_sends;
	c->max_bytes = zs->max_bytes;
	c->timeout_ns = zs->timeout_ns;
	zc_send_ctx_fill_sock(c, zs->sk);
}

/* ... and, under zs->lock, the open range and the submitter. */
static void zc_msg_ctx_init(struct zc_msg *zs, struct zc_send_ctx *c,
			    u32 decision)
{
	struct ubuf_info *open = zs->open;

	lockdep_assert_held(&zs->lock);

	zc_msg_ctx_base(zs, c, decision);
	if (open) {
		c->open_sends = zc_range(open)->len;
		c->open_bytes = zc_range(open)->bytelen;
		c->open_since_ns = zs->opened_ns;
		c->open_same_fd = 1;
	}
	if (in_task()) {
		c->owner_pid = task_tgid_nr(current);
#ifdef CONFIG_CGROUPS
		c->owner_cgroup = cgroup_id(task_dfl_cgroup(current));
#endif
	}
}

/* The policy's verdict on @c, validated: stock for a fault. */
static int zc_msg_decide(struct zc_msg *zs, struct zc_send_ctx *c)
{
	int v;

	rcu_read_lock();
	v = zc_send_decide(rcu_dereference(zs->policy), c, &zs->faults);
	rcu_read_unlock();
	return v;
}

/* Ask the policy; the ctx is built out of line, only for a program. */
static noinline int zc_msg_ask(struct zc_msg *zs, u32 decision, u64 len,
			       s64 result)
{
	struct zc_send_ctx c;

	zc_msg_ctx_init(zs, &c, decision);
	c.len = len;
	c.result = result;
	if (zs->open)
		c.zerocopy = zc_range(zs->open)->zerocopy;
	return zc_msg_decide(zs, &c);
}

static void zc_msg_arm(struct zc_msg *zs, u64 at)
{
	lockdep_assert_held(&zs->lock);

	if (zs->closing || (zs->timer_at_ns && zs->timer_at_ns <= at))
		return;
	zs->timer_at_ns = at;
	hrtimer_start(&zs->timer, ns_to_ktime(at), HRTIMER_MODE_ABS_SOFT);
}

/*
 * The open range stops taking sends: tell the policy, and hand the
 * socket's reference to the caller, who puts it once zs->lock is dropped.
 */
static struct ubuf_info *zc_msg_close(struct zc_msg *zs, u32 cause)
{
	struct ubuf_info *open = zs->open;
	struct zc_send_ctx c;

	lockdep_assert_held(&zs->lock);

	if (!open)
		return NULL;
	if (zc_msg_progs(zs) & BIT(ZC_SEND_EVENT_CLOSED)) {
		zc_msg_ctx_init(zs, &c, ZC_SEND_EVENT_CLOSED);
		c.cause = cause;
		c.notifs = 1;
		c.copy_sends = zs->open_copies;
		/* The range's first send, the one that waited longest. */
		c.aged_sends = 1;
		c.mean_age_ns = ktime_get_ns() - zs->opened_ns;
		rcu_read_lock();
		zc_send_closed(rcu_dereference(zs->policy), &c);
		rcu_read_unlock();
	}
	WRITE_ONCE(zs->open, NULL);
	WRITE_ONCE(zs->hold, 0);
	zs->copy_below = 0;
	zs->open_copies = 0;
	WRITE_ONCE(zs->asks_mode, false);
	zs->timed = false;
	WRITE_ONCE(zs->close_due, false);
	return open;
}

static void zc_msg_put(struct ubuf_info *uarg)
{
	if (uarg)
		net_zcopy_put(uarg);
}

/* Has range @z, of @max sends, room for @size more bytes at the next id? */
static bool zc_msg_room(struct zc_msg *zs, struct ubuf_info_msgzc *z,
			size_t size, u32 max)
{
	return z->id + z->len == (u32)atomic_read(&zs->sk->sk_zckey) &&
	       z->len < max && z->bytelen + size <= READ_ONCE(zs->max_bytes);
}

/* May @size more bytes, pinned by @pin, join the open range of @max sends? */
static bool zc_msg_fits_upto(struct zc_msg *zs, size_t size,
			     struct mmpin *pin, u32 max)
{
	struct ubuf_info_msgzc *z = zc_range(zs->open);

	lockdep_assert_held(&zs->lock);

	return zc_msg_room(zs, z, size, max) && z->mmp.user == pin->user;
}

static bool zc_msg_fits(struct zc_msg *zs, size_t size, struct mmpin *pin)
{
	return zc_msg_fits_upto(zs, size, pin, zs->hold ?: zs->max_sends);
}

/*
 * A held range that is full closes after the send, once its mode is
 * known; on TCP, at the next send that does not append to its skb.
 */
static bool zc_msg_full(struct zc_msg *zs)
{
	return zs->hold && zc_range(zs->open)->len >= zs->hold;
}

/*
 * TCP appends the send to the unsent skb at the tail of its write queue,
 * whose range is @hint, unless that skb has another range: then it
 * starts a new skb.  So a full held range whose skb is still the tail
 * takes the send, within the socket's bounds: closing it would cost an
 * skb cut short, and a PSH, per range.
 */
static bool zc_msg_extends_skb(struct zc_msg *zs, struct ubuf_info *hint,
			       size_t size, struct mmpin *pin)
{
	return hint == zs->open && zs->sk->sk_type == SOCK_STREAM &&
	       zc_msg_fits_upto(zs, size, pin, zs->max_sends);
}

/* Join the open range; the send gets its own reference on it. */
static struct ubuf_info *zc_msg_extend(struct zc_msg *zs, size_t size,
				       struct mmpin *pin)
{
	struct ubuf_info *open = zs->open;
	struct ubuf_info_msgzc *z = zc_range(open);

	lockdep_assert_held(&zs->lock);

	z->mmp.num_pg += pin->num_pg;
	z->len++;
	z->bytelen += size;
	atomic_inc(&zs->sk->sk_zckey);
	net_zcopy_get(open);
	zs->sends++;
	return open;
}

/* A new range, opened for @size bytes, becomes the socket's open one. */
static struct ubuf_info *zc_msg_install(struct zc_msg *zs,
					struct ubuf_info *uarg, u32 hold,
					u32 progs, struct ubuf_info **done)
{
	u64 now = ktime_get_ns();

	lockdep_assert_held(&zs->lock);

	zs->sends++;
	if (zs->closing)
		return uarg;
	/* Another sender opened one meanwhile: ids moved on past it. */
	*done = zc_msg_close(zs, ZC_SEND_CLOSE_NEW);
	net_zcopy_get(uarg);
	WRITE_ONCE(zs->open, uarg);
	zs->opened_ns = now;
	zs->close_at_ns = now + zs->timeout_ns;
	WRITE_ONCE(zs->hold, hold);
	WRITE_ONCE(zs->asks_mode, progs & BIT(ZC_SEND_DECIDE_MODE));
	/* Unheld ranges are flushed after their send unless kept. */
	if (hold) {
		zs->timed = true;
		zc_msg_arm(zs, zs->close_at_ns);
	}
	return uarg;
}

/*
 * A TCP send joins its socket's held range without zs->lock.  Only the
 * socket's owner opens, joins or closes a TCP range, but for the timer,
 * which closes one only while no sender owns the socket (zc_msg_timer()).
 * So the range and its fields stay put, and the socket's reference keeps
 * it alive; what does not fit goes the locked way.
 */
static struct ubuf_info *zc_msg_join_owned(struct zc_msg *zs, size_t size,
					   struct ubuf_info *hint)
{
	struct ubuf_info *open = READ_ONCE(zs->open);
	u32 max = READ_ONCE(zs->hold);
	struct ubuf_info_msgzc *z;

	sock_owned_by_me(zs->sk);

	if (!open || !max || READ_ONCE(zs->close_due))
		return NULL;
	z = zc_range(open);
	/* Full, but its skb is still the tail: see zc_msg_extends_skb(). */
	if (z->len >= max && hint == open)
		max = READ_ONCE(zs->max_sends);
	if (!zc_msg_room(zs, z, size, max))
		return NULL;
	/* As stock extends a range: charged to the range's user. */
	if (mm_account_pinned_pages(&z->mmp, size))
		return NULL;
	WRITE_ONCE(z->len, z->len + 1);
	z->bytelen += size;
	atomic_inc(&zs->sk->sk_zckey);
	net_zcopy_get(open);
	zs->sends++;
	return open;
}

static void zc_msg_unpin(struct mmpin *pin)
{
	mm_unaccount_pinned_pages(pin);
	pin->user = NULL;
}

/**
 * zc_msg_realloc() - the range a MSG_ZEROCOPY send joins, by the policy
 * @sk: the socket; owned by the sender for TCP and corked UDP
 * @size: the send's length
 * @hint: the range of the skb the protocol would append to, or NULL
 * @stock: set when the policy leaves this send to stock behaviour
 *
 * Return: the range, with a reference for the send; NULL for ENOBUFS
 * (locked pages or optmem exhausted).
 */
struct ubuf_info *zc_msg_realloc(struct sock *sk, size_t size,
				 struct ubuf_info *hint, bool *stock)
{
	struct zc_msg *zs = sk_zc_msg(sk);
	struct ubuf_info *uarg = NULL, *done = NULL, *done2 = NULL;
	struct mmpin pin = {};
	unsigned long flags;
	u32 progs = 0, hold = 0;
	bool held;
	int v;

	/*
	 * A send that joins a held range asks no program, so it does not
	 * look at the policy (under emulation, a TLB miss per send): as on a
	 * ring, a held range takes its sends even if the policy went away.
	 */
	held = READ_ONCE(zs->hold);
	if (held && sk->sk_type == SOCK_STREAM) {
		uarg = zc_msg_join_owned(zs, size, hint);
		if (uarg)
			return uarg;
	}
	if (!held)
		progs = zc_msg_progs(zs);
	/* No policy and nothing open: stock, at the cost of stock. */
	if (!held && !progs && !READ_ONCE(zs->open)) {
		*stock = true;
		return NULL;
	}
	/* A corked datagram's skb carries one range: stock extends it. */
	if ((!held && !progs) || (hint && sk->sk_type != SOCK_STREAM)) {
		spin_lock_irqsave(&zs->lock, flags);
		done = zc_msg_close(zs, ZC_SEND_CLOSE_NEW);
		spin_unlock_irqrestore(&zs->lock, flags);
		zc_msg_put(done);
		*stock = true;
		return NULL;
	}

	/*
	 * Pinned pages are charged before the lock: charging may audit.  Over
	 * RLIMIT_MEMLOCK, close the open range, whose pages come back only
	 * once it completes, so that the sender's retry can succeed.
	 */
	if (mm_account_pinned_pages(&pin, size)) {
		spin_lock_irqsave(&zs->lock, flags);
		done = zc_msg_close(zs, ZC_SEND_CLOSE_LIMIT);
		spin_unlock_irqrestore(&zs->lock, flags);
		zc_msg_put(done);
		return NULL;
	}

	spin_lock_irqsave(&zs->lock, flags);
	/* Its timer closes a held range at its deadline, or marks it due. */
	if (zs->open && zs->hold && !zs->close_due) {
		if (!zc_msg_full(zs)) {
			if (zc_msg_fits(zs, size, &pin))
				goto join;
			done = zc_msg_close(zs, ZC_SEND_CLOSE_LIMIT);
		} else if (zc_msg_extends_skb(zs, hint, size, &pin)) {
			goto join;
		} else {
			done = zc_msg_close(zs, ZC_SEND_CLOSE_FLUSH);
		}
	}
	/* One a program kept open is also closed here, should it be late. */
	if (zs->open && ktime_get_ns() >= zs->close_at_ns)
		done = zc_msg_close(zs, ZC_SEND_CLOSE_TIMEOUT);

	/* Not joined after all: now the policy counts, if it is still there. */
	if (held) {
		progs = zc_msg_progs(zs);
		if (!progs) {
			if (zs->open)
				done = zc_msg_close(zs, ZC_SEND_CLOSE_NEW);
			spin_unlock_irqrestore(&zs->lock, flags);
			zc_msg_put(done);
			zc_msg_unpin(&pin);
			*stock = true;
			return NULL;
		}
	}

	v = ZC_SEND_NEW;
	if (progs & BIT(ZC_SEND_DECIDE_JOIN))
		v = zc_msg_ask(zs, ZC_SEND_DECIDE_JOIN, size, 0);
	if (v >= ZC_SEND_HOLD_MIN)
		hold = min_t(u32, v, zs->max_sends);
	if (zs->open && v == ZC_SEND_JOIN) {
		if (zc_msg_fits(zs, size, &pin))
			goto join;
		done = zc_msg_close(zs, ZC_SEND_CLOSE_LIMIT);
	}
	if (zs->open)
		done = zc_msg_close(zs, ZC_SEND_CLOSE_NEW);
	spin_unlock_irqrestore(&zs->lock, flags);
	zc_msg_put(done);

	/* A new range: msg_zerocopy_alloc() charges the pages itself. */
	zc_msg_unpin(&pin);
	uarg = msg_zerocopy_alloc(sk, size);
	if (!uarg)
		return NULL;
	spin_lock_irqsave(&zs->lock, flags);
	zc_msg_install(zs, uarg, hold, progs, &done2);
	spin_unlock_irqrestore(&zs->lock, flags);
	zc_msg_put(done2);
	return uarg;

join:
	uarg = zc_msg_extend(zs, size, &pin);
	spin_unlock_irqrestore(&zs->lock, flags);
	/* The range holds its own reference on the user. */
	if (pin.user)
		free_uid(pin.user);
	zc_msg_put(done);
	return uarg;
}

/**
 * zc_msg_copy() - the policy's mode for one send
 * @sk: the socket
 * @uarg: the send's range, from msg_zerocopy_realloc()
 * @size: the send's length
 *
 * Return: true to copy the send.
 */
bool zc_msg_copy(struct sock *sk, struct ubuf_info *uarg, size_t size)
{
	struct zc_msg *zs = sk_zc_msg(sk);
	unsigned long flags;
	bool copy = false;
	int v;

	/* A held range's sends follow the policy it opened under. */
	if (READ_ONCE(zs->hold) && uarg == READ_ONCE(zs->open) &&
	    !READ_ONCE(zs->asks_mode))
		return false;
	/* Only a mode program copies, or the rule one set. */
	if (!zc_msg_wants(zs, ZC_SEND_DECIDE_MODE))
		return false;
	spin_lock_irqsave(&zs->lock, flags);
	if (uarg == zs->open && zs->copy_below) {
		copy = size < zs->copy_below;
	} else {
		v = zc_msg_ask(zs, ZC_SEND_DECIDE_MODE, size, 0);
		copy = v == ZC_SEND_COPY;
		if (v >= ZC_SEND_COPY_BELOW_MIN) {
			copy = size < v;
			if (uarg == zs->open)
				zs->copy_below = v;
		}
	}
	if (copy) {
		zs->copies++;
		if (uarg == zs->open)
			zs->open_copies++;
	}
	spin_unlock_irqrestore(&zs->lock, flags);
	return copy;
}

/**
 * zc_msg_sent() - the policy's flush, after a MSG_ZEROCOPY sendmsg()
 * @sk: the socket
 * @ret: what sendmsg() returns
 */
void zc_msg_sent(struct sock *sk, int ret)
{
	struct zc_msg *zs = sk_zc_msg(sk);
	struct ubuf_info *done = NULL;
	unsigned long flags;
	int v = ZC_SEND_FLUSH;
	u64 at;

	/*
	 * A held TCP range waits for the next send, which this lockless
	 * look cannot wrongly skip: a sender racing with it on the socket
	 * flushes its own range after its own send.
	 */
	if (zs->sk->sk_type == SOCK_STREAM && READ_ONCE(zs->hold))
		return;
	spin_lock_irqsave(&zs->lock, flags);
	if (!zs->open)
		goto out;
	if (zs->hold) {
		/* TCP's next send may still append to the range's skb. */
		if (zc_msg_full(zs) && zs->sk->sk_type != SOCK_STREAM)
			done = zc_msg_close(zs, ZC_SEND_CLOSE_FLUSH);
		goto out;
	}
	if (zc_msg_progs(zs) & BIT(ZC_SEND_DECIDE_FLUSH))
		v = zc_msg_ask(zs, ZC_SEND_DECIDE_FLUSH, 0, ret);
	if (v == ZC_SEND_FLUSH) {
		done = zc_msg_close(zs, ZC_SEND_CLOSE_FLUSH);
		goto out;
	}
	at = zs->close_at_ns;
	if (v >= ZC_SEND_KEEP_NS_MIN)
		at = min(at, ktime_get_ns() + v);
	zs->close_at_ns = at;
	zs->timed = true;
	zc_msg_arm(zs, at);
out:
	spin_unlock_irqrestore(&zs->lock, flags);
	zc_msg_put(done);
}

/*
 * Out of line, so that a completion with no report program builds no
 * context.  Not under zs->lock: the open range is not the one reported.
 */
static noinline u32 zc_msg_ask_report(struct zc_msg *zs, u32 len, u64 bytes,
				      bool zerocopy)
{
	struct zc_send_ctx c;

	zc_msg_ctx_base(zs, &c, ZC_SEND_DECIDE_REPORT);
	c.open_sends = len;
	c.open_bytes = bytes;
	c.zerocopy = zerocopy;
	c.queued = skb_queue_len_lockless(&zs->sk->sk_error_queue);
	c.unwoken = READ_ONCE(zs->unwoken);
	return zc_msg_decide(zs, &c);
}

/**
 * zc_msg_report() - the policy's report on a range that completed
 * @sk: the socket
 * @len: the range's sends
 * @bytes: their bytes
 * @zerocopy: false if any of them was copied
 *
 * Any context: where the range's last skb was freed.
 *
 * Return: ZC_SEND_REPORT_* bits; 0 (stock) without a policy.
 */
u32 zc_msg_report(struct sock *sk, u32 len, u64 bytes, bool zerocopy)
{
	struct zc_msg *zs = sk_zc_msg(sk);

	if (!zs || !zc_msg_wants(zs, ZC_SEND_DECIDE_REPORT))
		return 0;
	return zc_msg_ask_report(zs, len, bytes, zerocopy);
}

/**
 * zc_msg_defer_wake() - count a completed range; may its wakeup wait?
 * @sk: the socket
 * @len: the range's sends
 * @queued: it took an entry of its own on the error queue
 * @v: the policy's report
 *
 * A quiet range waits at most timeout_ns, or until max_sends sends wait.
 *
 * Return: true if the caller must not wake the socket now.
 */
bool zc_msg_defer_wake(struct sock *sk, u32 len, bool queued, u32 v)
{
	struct zc_msg *zs = sk_zc_msg(sk);
	unsigned long flags;
	bool quiet;

	if (!zs)
		return false;
	spin_lock_irqsave(&zs->lock, flags);
	zs->ranges++;
	zs->queued += queued;
	quiet = (v & ZC_SEND_REPORT_QUIET) && !zs->closing &&
		zs->unwoken + len < zs->max_sends;
	if (quiet) {
		if (!zs->unwoken) {
			zs->wake_at_ns = ktime_get_ns() + zs->timeout_ns;
			zc_msg_arm(zs, zs->wake_at_ns);
		}
		zs->unwoken += len;
	} else {
		zs->unwoken = 0;
		zs->wakeups++;
	}
	spin_unlock_irqrestore(&zs->lock, flags);
	return quiet;
}

/* The kernel's time bounds: a range open too long, a wakeup held back. */
static enum hrtimer_restart zc_msg_timer(struct hrtimer *t)
{
	struct zc_msg *zs = container_of(t, struct zc_msg, timer);
	struct sock *sk = zs->sk;
	struct ubuf_info *done = NULL;
	u64 now = ktime_get_ns(), next = U64_MAX;
	bool wake = false, owned = false;
	unsigned long flags;

	/* TCP's sender joins without zs->lock: not while it owns the socket. */
	if (sk->sk_type == SOCK_STREAM) {
		bh_lock_sock(sk);
		owned = sock_owned_by_user(sk);
	}
	spin_lock_irqsave(&zs->lock, flags);
	zs->timer_at_ns = 0;
	if (zs->open && now >= zs->close_at_ns) {
		/* Its next send closes it, or this timer once it is free. */
		if (owned && zs->hold)
			WRITE_ONCE(zs->close_due, true);
		else
			done = zc_msg_close(zs, ZC_SEND_CLOSE_TIMEOUT);
	}
	if (zs->unwoken && now >= zs->wake_at_ns) {
		zs->unwoken = 0;
		zs->wakeups++;
		wake = true;
	}
	if (zs->open && zs->timed)
		next = max(zs->close_at_ns,
			   zs->close_due ? now + ZC_MSG_OWNED_RETRY : 0);
	if (zs->unwoken)
		next = min(next, zs->wake_at_ns);
	if (next != U64_MAX)
		zc_msg_arm(zs, next);
	spin_unlock_irqrestore(&zs->lock, flags);
	if (sk->sk_type == SOCK_STREAM)
		bh_unlock_sock(sk);

	zc_msg_put(done);
	if (wake && !sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
	return HRTIMER_NORESTART;
}

/**
 * zc_msg_release() - the socket is being closed: close its open range
 * @sk: the socket, from inet_release()
 *
 * Nothing joins a range after this, and the timer is stopped for good;
 * the socket's policy state stays until zc_msg_free(), for completions.
 */
void zc_msg_release(struct sock *sk)
{
	struct zc_msg *zs = sk_zc_msg(sk);
	struct ubuf_info *done;
	unsigned long flags;

	if (!zs)
		return;
	spin_lock_irqsave(&zs->lock, flags);
	zs->closing = true;
	done = zc_msg_close(zs, ZC_SEND_CLOSE_EXIT);
	spin_unlock_irqrestore(&zs->lock, flags);
	hrtimer_cancel(&zs->timer);
	zc_msg_put(done);
}

/* From __sk_destruct(): no range of the socket is left. */
void zc_msg_free(struct sock *sk)
{
	struct zc_msg *zs = sk->sk_zc_msg;

	if (!zs)
		return;
	hrtimer_cancel(&zs->timer);
	WARN_ON_ONCE(zs->open);
	zc_policy_put(rcu_dereference_protected(zs->policy, true));
	kfree(zs);
	sk->sk_zc_msg = NULL;
}

/* ------------------------------------------------------- SO_ZC_POLICY */

static int zc_msg_bounds(struct zc_msg_policy *p)
{
	if (!p->max_sends)
		p->max_sends = ZC_MSG_DEF_SENDS;
	if (!p->max_bytes)
		p->max_bytes = ZC_MSG_DEF_BYTES;
	if (!p->timeout_ns)
		p->timeout_ns = ZC_MSG_DEF_TIMEOUT;
	if (p->max_sends > ZC_MSG_MAX_SENDS || p->max_bytes > ZC_MSG_MAX_BYTES ||
	    p->timeout_ns < ZC_MSG_MIN_TIMEOUT ||
	    p->timeout_ns > ZC_MSG_MAX_TIMEOUT)
		return -EINVAL;
	return 0;
}

static bool zc_msg_sock_ok(const struct sock *sk)
{
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return false;
	return (sk->sk_type == SOCK_STREAM &&
		sk->sk_protocol == IPPROTO_TCP) ||
	       (sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP);
}

static struct zc_msg *zc_msg_alloc(struct sock *sk)
{
	struct zc_msg *zs = kzalloc(sizeof(*zs), GFP_KERNEL_ACCOUNT);

	if (!zs)
		return NULL;
	spin_lock_init(&zs->lock);
	zs->sk = sk;
	hrtimer_init(&zs->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	zs->timer.function = zc_msg_timer;
	return zs;
}

/**
 * zc_msg_setsockopt() - SO_ZC_POLICY: choose the socket's send policy
 * @sk: a TCP or UDP socket, IPv4 or IPv6
 * @optval: a struct zc_msg_policy
 * @optlen: its size
 *
 * Choosing again replaces the policy and the bounds; a range already open
 * keeps going under the new ones.
 *
 * Return: 0; -EINVAL (size, flags, reserved or out fields, bounds, name),
 * -EFAULT, -EOPNOTSUPP (another kind of socket), -ENOENT (no such policy),
 * -EPERM (not allowed to the caller), -ENOMEM.
 */
int zc_msg_setsockopt(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct zc_policy_slot *slot, *old;
	struct zc_msg *zs, *fresh = NULL;
	struct zc_msg_policy p;
	unsigned long flags;
	int err;

	if (optlen != sizeof(p))
		return -EINVAL;
	if (copy_from_sockptr(&p, optval, sizeof(p)))
		return -EFAULT;
	if (p.flags || memchr_inv(p.__resv, 0, sizeof(p.__resv)) ||
	    memchr_inv(&p.sends, 0, sizeof(p) - offsetof(typeof(p), sends)) ||
	    strnlen(p.name, sizeof(p.name)) == sizeof(p.name))
		return -EINVAL;
	if (!zc_msg_sock_ok(sk))
		return -EOPNOTSUPP;
	err = zc_msg_bounds(&p);
	if (err)
		return err;

	slot = zc_policy_get(&zc_send_policies, p.name);
	if (IS_ERR(slot))
		return PTR_ERR(slot);

	lock_sock(sk);
	zs = sk->sk_zc_msg;
	if (!zs) {
		fresh = zc_msg_alloc(sk);
		if (!fresh) {
			release_sock(sk);
			zc_policy_put(slot);
			return -ENOMEM;
		}
		zs = fresh;
	}
	spin_lock_irqsave(&zs->lock, flags);
	old = rcu_replace_pointer(zs->policy, slot, true);
	zs->max_sends = p.max_sends;
	zs->max_bytes = p.max_bytes;
	zs->timeout_ns = p.timeout_ns;
	spin_unlock_irqrestore(&zs->lock, flags);
	if (fresh) {
		/* Pairs with the dependent loads after sk_zc_msg(): senders
		 * without the socket lock (UDP) see it whole or not at all.
		 */
		smp_store_release(&sk->sk_zc_msg, fresh);
	}
	release_sock(sk);
	zc_policy_put(old);
	return 0;
}

/**
 * zc_msg_getsockopt() - SO_ZC_POLICY: the socket's policy and counters
 * @sk: the socket
 * @optval: a struct zc_msg_policy, or a prefix of one
 * @optlen: its size, in and out
 * @len: the size the caller passed
 *
 * Return: 0, -EINVAL (negative size), -EFAULT, -ENOENT (no policy was
 * chosen on this socket).
 */
int zc_msg_getsockopt(struct sock *sk, sockptr_t optval, sockptr_t optlen,
		      int len)
{
	struct zc_msg *zs = sk_zc_msg(sk);
	struct zc_policy_slot *slot;
	struct zc_msg_policy p = {};
	unsigned long flags;

	if (len < 0)
		return -EINVAL;
	if (!zs)
		return -ENOENT;
	spin_lock_irqsave(&zs->lock, flags);
	slot = rcu_dereference_protected(zs->policy, true);
	if (slot)
		strscpy(p.name, slot->name, sizeof(p.name));
	p.max_sends = zs->max_sends;
	p.max_bytes = zs->max_bytes;
	p.timeout_ns = zs->timeout_ns;
	p.sends = zs->sends;
	p.copies = zs->copies;
	p.ranges = zs->ranges;
	p.queued = zs->queued;
	p.wakeups = zs->wakeups;
	p.faults = atomic_read(&zs->faults);
	spin_unlock_irqrestore(&zs->lock, flags);

	len = min_t(int, len, sizeof(p));
	if (copy_to_sockptr(optval, &p, len) ||
	    copy_to_sockptr(optlen, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}
