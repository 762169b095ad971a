// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced zero-copy send notifications, decided by a BPF send policy.
 *
 * Stock SEND_ZC gives every send a notification of its own, flushed right
 * after the send.  A ring that opts in (IORING_REGISTER_ZC_SEND_POLICY)
 * instead has at most one *open* notification, which sends may join; once
 * it closes, no send joins it, and its NOTIF CQE covers the contiguous
 * range of sequence numbers of the sends it holds.
 *
 * A notification is a stock io_notif (its ubuf_info is what skbs hold)
 * with a struct io_zc_notif beside it.  Its ubuf_info references are:
 *   - one "open" reference, dropped when it closes;
 *   - one per member send, dropped after that send, as stock drops its
 *     master reference (in cleanup when the send ran in io-wq);
 *   - one per skb, as usual.
 * When they are all gone, task_work completes it (io_zc_notif_complete).
 *
 * Unless it is a solo: one send's, under a policy that can neither add
 * sends to a notification nor keep it open (no join, mode or flush
 * program), as per_send.  A solo is a stock notification, with the
 * send's reference only, and its little state lives in its request, so
 * that it costs what a stock one does plus its number and its reserved
 * overflow entry.  One in IO_ZC_SOLO_AGE_SAMPLE is a full notification
 * instead, for a closed() program's measure of ages.
 *
 * Joining happens at submission, under uring_lock, in submission order,
 * so that ranges are contiguous.  Closing is a bit: the policy's flush
 * (in the issuing task or io-wq), the send and byte limits, a new
 * notification opening, ring exit, and an hrtimer all test_and_set it and
 * the winner drops the open reference.  Nothing there needs uring_lock, so
 * the timer never takes it.
 */
#include <linux/cgroup.h>
#include <linux/hrtimer.h>
#include <linux/io_uring.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/zc_send.h>
#include <uapi/linux/io_uring.h>

#include "io_uring.h"
#include "notif.h"
#include "rsrc.h"
#include "zc_notif.h"

#define IO_ZC_DEF_SENDS		64
#define IO_ZC_MAX_SENDS		16384
#define IO_ZC_DEF_BYTES		BIT_ULL(20)
#define IO_ZC_MAX_BYTES		(256ULL << 20)
#define IO_ZC_DEF_TIMEOUT	NSEC_PER_MSEC
#define IO_ZC_MIN_TIMEOUT	NSEC_PER_USEC
#define IO_ZC_MAX_TIMEOUT	NSEC_PER_SEC
/* Outstanding sequence numbers: half the 16-bit space keeps them unique. */
#define IO_ZC_SEQ_WINDOW	32768
#define IO_ZC_SEQ_SPACE		BIT(16)
/* Registered-buffer generations one notification may pin. */
#define IO_ZC_MAX_NODES		4
/* Completed notifications a ring keeps for reuse. */
#define IO_ZC_CACHE		32
/* One notification in this many has its sends' ages measured: reading
 * the clock for every send is not free.  A measured solo is a full
 * notification, dearer still.
 */
#define IO_ZC_AGE_SAMPLE	8
#define IO_ZC_SOLO_AGE_SAMPLE	128
/* The programs that let a notification take more than the send that
 * opened it; without them every send has a solo.
 */
#define IO_ZC_KEEPING		(BIT(ZC_SEND_DECIDE_JOIN) | \
				 BIT(ZC_SEND_DECIDE_MODE) | \
				 BIT(ZC_SEND_DECIDE_FLUSH))

static_assert(sizeof(struct io_uring_zc_send_policy) == 72);
static_assert(IO_ZC_MAX_SENDS <= IORING_NOTIF_ZC_COUNT_MASK);

enum {
	IO_ZC_CLOSED,
	IO_ZC_ARMED,		/* its timeout is set */
};

/*
 * The notifications that completed since the policy was last told, all
 * closed for the same cause: closed() runs once per completion flush,
 * not once per notification.
 */
struct io_zc_report {
	u32				notifs;
	u32				sends;
	u32				copied;
	u32				aged;		/* sends measured */
	u64				bytes;
	u64				age_sum_ns;
	u32				cause;
};

struct io_zc_ring {
	struct io_ring_ctx		*ctx;
	struct zc_policy_slot __rcu	*policy;
	u32				max_sends;
	u64				max_bytes;
	u64				timeout_ns;
	/* IORING_ZC_SEND_COPY_ALONE: a send the rule copies is no member. */
	bool				copy_alone;
	/* IORING_ZC_SEND_EARLY_FREE: a solo whose buffer is free as its
	 * send returns needs no NOTIF.
	 */
	bool				early_free;

	/* Under uring_lock. */
	u64				next_seq;
	/* No number before it awaits its NOTIF: a bound, see
	 * io_zc_seq_room().
	 */
	u64				oldest_seq;
	/* A bit per number that awaits its NOTIF, by its low 16 bits. */
	unsigned long			*inflight;
	u32				nr_opened;
	struct io_zc_notif		*open;
	u32				nr_notifs;
	u32				nr_solos;	/* of nr_notifs */
	struct list_head		cache;		/* for reuse */
	u32				nr_cached;

	/* Completed notifications and their sends, under uring_lock. */
	u64				nr_done;
	u64				nr_done_sends;
	u64				nr_alone;
	struct io_zc_report		report;
	/* The owner the next report names: read at an opening after each
	 * report, in the submitter's context.
	 */
	bool				owner_stale;
	u32				owner_pid;
	u64				owner_cgroup;

	/* Any context. */
	atomic_t			faults;
};

struct io_zc_notif {
	struct io_zc_ring		*zr;
	struct io_kiocb			*notif;
	struct hrtimer			timer;
	unsigned long			state;
	struct list_head		node;

	u64				first_seq;
	/* CLOCK_MONOTONIC ns, read when first needed; 0 until then. */
	u64				opened_ns;
	/* Sends it takes: the ring's bound, or fewer if the policy said;
	 * a held one's shrinks as sends go alone (under uring_lock).
	 */
	u32				max_sends;
	bool				held;	/* the policy chose max_sends */
	bool				timed;	/* its sends' ages are measured */
	/* One send, closed as that send is done: nothing can join it. */
	bool				single;
	u8				cause;	/* why it closed */
	/* The mode rule of its sends, ZC_SEND_COPY_BELOW_MIN up; 0: ask. */
	u32				copy_below;
	u64				closed_ns;	/* when, if timed */
	/* Members: written under uring_lock, read anywhere. */
	u32				nr_sends;
	atomic64_t			bytes;
	u64				submit_ns_sum;
	s32				last_fd;
	u32				last_fd_fixed;
	/* Members that were copied; set at issue, without uring_lock. */
	atomic_t			nr_copied;

	u8				nr_nodes;
	struct io_rsrc_node		*nodes[IO_ZC_MAX_NODES];
	u32				node_refs[IO_ZC_MAX_NODES];
};

static struct io_zc_notif *io_zc_of(struct io_kiocb *notif)
{
	return io_notif_to_data(notif)->zc;
}

/*
 * When @zn opened, read from the clock the first time anything needs it:
 * a notification that closes right after its first send, as under stock
 * behaviour, never reads it.  Racing readers agree on the first value.
 */
static u64 io_zc_opened(struct io_zc_notif *zn)
{
	u64 t = READ_ONCE(zn->opened_ns), now;

	if (t)
		return t;
	now = ktime_get_ns();
	t = cmpxchg64(&zn->opened_ns, 0, now);
	return t ?: now;
}

/* ------------------------------------------------------------- policy */

/* Built for every send that a program decides: see the Makefile. */
static void io_zc_ctx_init(struct zc_send_ctx *c, struct io_zc_ring *zr,
			   u32 decision)
{
	memset(c, 0, sizeof(*c));
	c->decision = decision;
	c->source = ZC_SEND_SRC_IO_URING;
	c->max_sends = zr->max_sends;
	c->max_bytes = zr->max_bytes;
	c->timeout_ns = zr->timeout_ns;
}

/*
 * The ring owner, read in process context: the submitter, or its io-wq
 * worker or SQPOLL thread, all in the submitter's thread group and cgroup.
 * Read only when a program will see it.
 */
static void io_zc_owner(u32 *pid, u64 *cgroup)
{
	*pid = task_tgid_nr(current);
	rcu_read_lock();
	*cgroup = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
}

static void io_zc_ctx_send(struct zc_send_ctx *c,
			   const struct io_zc_send_info *info)
{
	io_zc_owner(&c->owner_pid, &c->owner_cgroup);
	c->len = info->len;
	c->flags = info->flags;
	c->fd = info->fd;
}

/* The notification @zn as a decision about @info's send sees it. */
static void io_zc_ctx_notif(struct zc_send_ctx *c, struct io_zc_notif *zn,
			    const struct io_zc_send_info *info)
{
	c->open_sends = READ_ONCE(zn->nr_sends);
	c->open_bytes = atomic64_read(&zn->bytes);
	c->open_since_ns = io_zc_opened(zn);
	c->open_same_fd = READ_ONCE(zn->last_fd) == info->fd &&
		READ_ONCE(zn->last_fd_fixed) ==
		!!(info->flags & ZC_SEND_F_FIXED_FILE);
}

/* Is there a program for @decision?  If not, its context is not built. */
static inline bool io_zc_wants(struct io_zc_ring *zr, u32 decision)
{
	bool ret;

	rcu_read_lock();
	ret = zc_send_wants(rcu_dereference(zr->policy), decision);
	rcu_read_unlock();
	return ret;
}

static int io_zc_decide(struct io_zc_ring *zr, struct zc_send_ctx *c)
{
	int v;

	rcu_read_lock();
	v = zc_send_decide(rcu_dereference(zr->policy), c, &zr->faults);
	rcu_read_unlock();
	return v;
}

/* ------------------------------------------------------------ numbers */

/* Move oldest_seq up to the oldest number that awaits its NOTIF. */
static noinline void io_zc_seq_advance(struct io_zc_ring *zr)
{
	u32 start = zr->oldest_seq & (IO_ZC_SEQ_SPACE - 1);
	u64 span = zr->next_seq - zr->oldest_seq;
	unsigned long at;
	u64 gap = span;

	/* Every bit set is a number from oldest_seq on, modulo the space. */
	at = find_next_bit(zr->inflight, IO_ZC_SEQ_SPACE, start);
	if (at < IO_ZC_SEQ_SPACE) {
		gap = at - start;
	} else if (start) {
		at = find_first_bit(zr->inflight, start);
		if (at < start)
			gap = IO_ZC_SEQ_SPACE - start + at;
	}
	zr->oldest_seq += min(gap, span);
}

/*
 * May another send take a number?  Not when IO_ZC_SEQ_WINDOW numbers
 * since the oldest that awaits its NOTIF were handed out: the 16-bit
 * numbers an application sees must stay unique.  oldest_seq is a bound
 * that is moved up only when the window looks full, a bitmap scan every
 * IO_ZC_SEQ_WINDOW numbers or so rather than a look per send.
 */
static __always_inline bool io_zc_seq_room(struct io_zc_ring *zr)
{
	lockdep_assert_held(&zr->ctx->uring_lock);

	if (likely(zr->next_seq - zr->oldest_seq < IO_ZC_SEQ_WINDOW))
		return true;
	io_zc_seq_advance(zr);
	return zr->next_seq - zr->oldest_seq < IO_ZC_SEQ_WINDOW;
}

/* The next number, awaiting its NOTIF from now on. */
static __always_inline u16 io_zc_take_seq(struct io_zc_ring *zr)
{
	__set_bit(zr->next_seq & (IO_ZC_SEQ_SPACE - 1), zr->inflight);
	return zr->next_seq++;
}

/* @n numbers from @first got their NOTIF. */
static void io_zc_seqs_done(struct io_zc_ring *zr, u64 first, u32 n)
{
	u32 start = first & (IO_ZC_SEQ_SPACE - 1);
	u32 k = min_t(u32, n, IO_ZC_SEQ_SPACE - start);

	bitmap_clear(zr->inflight, start, k);
	if (n > k)
		bitmap_clear(zr->inflight, 0, n - k);
}

/* ------------------------------------------------------------- closing */

/* The winner of the close records why and, if its ages are measured, when. */
static __always_inline void io_zc_closing(struct io_zc_notif *zn, u32 cause)
{
	zn->cause = cause;
	if (zn->timed)
		zn->closed_ns = ktime_get_ns();
}

/*
 * Close @zn: no send joins it any more.  Safe from any context; the first
 * caller drops the open reference, which may complete it, unless @held:
 * the caller holds a member's reference, so the open one is not the last
 * and dropping it needs no call.
 */
static __always_inline void io_zc_close(struct io_zc_notif *zn, u32 cause,
					bool held)
{
	struct io_notif_data *nd = io_notif_to_data(zn->notif);

	/* A plain read first: most callers find it closed already. */
	if (test_bit(IO_ZC_CLOSED, &zn->state) ||
	    test_and_set_bit(IO_ZC_CLOSED, &zn->state))
		return;
	io_zc_closing(zn, cause);
	if (held)
		refcount_dec(&nd->uarg.refcnt);
	else
		io_tx_ubuf_complete(NULL, &nd->uarg, true);
}

static enum hrtimer_restart io_zc_timer_fn(struct hrtimer *timer)
{
	struct io_zc_notif *zn = container_of(timer, struct io_zc_notif, timer);

	io_zc_close(zn, ZC_SEND_CLOSE_TIMEOUT, false);
	return HRTIMER_NORESTART;
}

static ktime_t io_zc_deadline(struct io_zc_notif *zn)
{
	return ns_to_ktime(io_zc_opened(zn) + zn->zr->timeout_ns);
}

/*
 * The first send that leaves its notification open arms the timeout,
 * counted from when the notification opened: one that closes at once,
 * as under stock behaviour, never pays for a timer.
 */
static __always_inline void io_zc_arm(struct io_zc_notif *zn)
{
	/* Plain reads first: a locked op on every send is not free. */
	if (!test_bit(IO_ZC_CLOSED, &zn->state) &&
	    !test_bit(IO_ZC_ARMED, &zn->state) &&
	    !test_and_set_bit(IO_ZC_ARMED, &zn->state))
		hrtimer_start(&zn->timer, io_zc_deadline(zn),
			      HRTIMER_MODE_ABS_SOFT);
}

/* The policy wants it closed within @ns: bring the deadline forward. */
static void io_zc_close_within(struct io_zc_notif *zn, u64 ns)
{
	ktime_t deadline = io_zc_deadline(zn);
	ktime_t at = ktime_add_ns(ktime_get(), ns);

	if (ktime_before(deadline, at))
		at = deadline;
	if (!test_and_set_bit(IO_ZC_ARMED, &zn->state) ||
	    ktime_before(at, hrtimer_get_expires(&zn->timer)))
		hrtimer_start(&zn->timer, at, HRTIMER_MODE_ABS_SOFT);
}

/* ------------------------------------------------------------- joining */

/* Does a rule of copying sends below @below bytes copy a send of @len? */
static __always_inline bool io_zc_rule_copies(u32 below, u64 len)
{
	return len && len < below;
}

/*
 * Decide @info's mode now if nothing needs asking: zero-copy without a
 * mode program, and by the rule a mode program set for this notification.
 */
static __always_inline void io_zc_enter_mode(struct io_zc_notif *zn,
					     struct io_zc_send_info *info,
					     u32 progs)
{
	u32 below;

	if (!(progs & BIT(ZC_SEND_DECIDE_MODE))) {
		info->decided = true;
		return;
	}
	below = READ_ONCE(zn->copy_below);
	if (!below)
		return;
	info->decided = true;
	info->copy = io_zc_rule_copies(below, info->len);
	if (info->copy)
		atomic_inc(&zn->nr_copied);
}

/* The slot of @node in @zn's table, a new one if there is room, or -1. */
static int io_zc_node_slot(struct io_zc_notif *zn, struct io_rsrc_node *node)
{
	int i;

	for (i = 0; i < zn->nr_nodes; i++)
		if (zn->nodes[i] == node)
			return i;
	return zn->nr_nodes < IO_ZC_MAX_NODES ? zn->nr_nodes : -1;
}

/*
 * Make @req a member of @zn.  Fails when @zn closed meanwhile or has no
 * room for another registered-buffer generation.
 */
static __always_inline bool io_zc_enter(struct io_zc_notif *zn,
					struct io_kiocb *req,
					struct io_zc_send_info *info, u32 progs)
{
	struct io_notif_data *nd = io_notif_to_data(zn->notif);
	struct io_ring_ctx *ctx = req->ctx;
	bool first = !zn->nr_sends;
	int node = -1;

	lockdep_assert_held(&ctx->uring_lock);

	if (info->flags & ZC_SEND_F_FIXED_BUF) {
		node = io_zc_node_slot(zn, ctx->rsrc_node);
		if (node < 0)
			return false;
	}

	if (first) {
		/* Fresh: no timer, no skb and no other send can see it yet,
		 * so plain stores do.  Its one reference, the open one, gets
		 * this member's beside it.
		 */
		zn->nr_sends = 1;
		refcount_set(&nd->uarg.refcnt, 2);
		atomic64_set(&zn->bytes, info->len);
	} else {
		/* Count the send before looking at the bit, and the closer
		 * looks at the count after setting it: either it sees this
		 * send, or this send sees it closed.
		 */
		WRITE_ONCE(zn->nr_sends, zn->nr_sends + 1);
		if (!refcount_inc_not_zero(&nd->uarg.refcnt)) {
			WRITE_ONCE(zn->nr_sends, zn->nr_sends - 1);
			return false;
		}
		/* Pairs with the closer's test_and_set_bit(), a full barrier. */
		smp_mb__after_atomic();
		if (test_bit(IO_ZC_CLOSED, &zn->state)) {
			WRITE_ONCE(zn->nr_sends, zn->nr_sends - 1);
			io_tx_ubuf_complete(NULL, &nd->uarg, true);
			return false;
		}
		atomic64_add(info->len, &zn->bytes);
	}

	if (node >= 0) {
		if (node == zn->nr_nodes) {
			zn->nodes[node] = ctx->rsrc_node;
			zn->nr_nodes++;
		}
		io_charge_rsrc_node(ctx, ctx->rsrc_node);
		zn->node_refs[node]++;
	}
	if (info->flags & ZC_SEND_F_REPORT_USAGE)
		nd->zc_report = true;
	/* For the mean age a closed() program is told about; the first
	 * member was submitted as the notification opened.
	 */
	if (zn->timed)
		WRITE_ONCE(zn->submit_ns_sum, zn->submit_ns_sum +
			   (first ? io_zc_opened(zn) : ktime_get_ns()));
	WRITE_ONCE(zn->last_fd, info->fd);
	WRITE_ONCE(zn->last_fd_fixed, !!(info->flags & ZC_SEND_F_FIXED_FILE));
	info->seq = io_zc_take_seq(zn->zr);
	info->member = true;
	io_zc_enter_mode(zn, info, progs);
	return true;
}

/*
 * The owner the next report names, read once per report at a submission
 * that it will cover: in submission, current is the owner.
 */
static void io_zc_report_owner(struct io_zc_ring *zr)
{
	if (zr->owner_stale) {
		io_zc_owner(&zr->owner_pid, &zr->owner_cgroup);
		zr->owner_stale = false;
	}
}

/* Everything but the timer. */
static void io_zc_reset(struct io_zc_notif *zn)
{
	zn->state = 0;
	zn->nr_sends = 0;
	zn->opened_ns = 0;
	zn->held = false;
	zn->single = false;
	zn->cause = ZC_SEND_CLOSE_FLUSH;
	zn->copy_below = 0;
	zn->closed_ns = 0;
	atomic64_set(&zn->bytes, 0);
	atomic_set(&zn->nr_copied, 0);
	zn->submit_ns_sum = 0;
	zn->nr_nodes = 0;
	memset(zn->node_refs, 0, sizeof(zn->node_refs));
}

/* Keep a completed notification for the next one, its timer stopped. */
static void io_zc_recycle(struct io_zc_ring *zr, struct io_zc_notif *zn)
{
	if (zr->nr_cached >= IO_ZC_CACHE) {
		kfree(zn);
		return;
	}
	list_add(&zn->node, &zr->cache);
	zr->nr_cached++;
}

/*
 * Are the ages of the next notification's sends measured?  Only for a
 * closed() program, one notification in @every.
 */
static __always_inline bool io_zc_sample(struct io_zc_ring *zr, u32 progs,
					 u32 every)
{
	return (progs & BIT(ZC_SEND_EVENT_CLOSED)) &&
	       !(zr->nr_opened++ % every);
}

/*
 * The notification request for @req's NOTIF, with its CQE reserved so
 * that a full CQ cannot drop it, or NULL.
 */
static __always_inline struct io_kiocb *
io_zc_alloc_notif(struct io_kiocb *req)
{
	struct io_ring_ctx *ctx = req->ctx;
	struct io_kiocb *notif;

	if (io_reserve_cqe(ctx))
		return NULL;
	notif = io_alloc_notif(ctx);
	if (!notif) {
		io_unreserve_cqe(ctx);
		return NULL;
	}
	io_req_set_cqe_reserved(notif);
	notif->cqe.user_data = req->cqe.user_data;
	return notif;
}

/* A new open notification for @req, which will be its first member. */
static struct io_zc_notif *io_zc_open(struct io_kiocb *req, u32 progs,
				      bool timed)
{
	struct io_ring_ctx *ctx = req->ctx;
	struct io_zc_ring *zr = ctx->zc_send;
	struct io_notif_data *nd;
	struct io_zc_notif *zn;

	zn = list_first_entry_or_null(&zr->cache, struct io_zc_notif, node);
	if (zn) {
		list_del(&zn->node);
		zr->nr_cached--;
	} else {
		zn = kmalloc(sizeof(*zn), GFP_KERNEL_ACCOUNT);
		if (!zn)
			return NULL;
		hrtimer_init(&zn->timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_ABS_SOFT);
		zn->timer.function = io_zc_timer_fn;
	}
	io_zc_reset(zn);
	zn->notif = io_zc_alloc_notif(req);
	if (!zn->notif)
		goto err;
	zn->notif->cqe.res = 0;
	zn->notif->cqe.flags = IORING_CQE_F_NOTIF;
	nd = io_notif_to_data(zn->notif);
	nd->zc = zn;
	nd->zc_used = false;
	nd->zc_copied = false;

	zn->zr = zr;
	zn->first_seq = zr->next_seq;
	zn->max_sends = zr->max_sends;
	zn->timed = timed;
	/* For closed(), which runs where completions are flushed: in
	 * submission, current is the owner.
	 */
	if (progs & BIT(ZC_SEND_EVENT_CLOSED))
		io_zc_report_owner(zr);
	zn->last_fd = -1;

	zr->nr_notifs++;
	zr->open = zn;
	return zn;

err:
	io_zc_recycle(zr, zn);
	return NULL;
}

static bool io_zc_fits(struct io_zc_notif *zn,
		       const struct io_zc_send_info *info)
{
	struct io_zc_ring *zr = zn->zr;

	return zn->nr_sends < zn->max_sends &&
	       atomic64_read(&zn->bytes) + info->len <= zr->max_bytes;
}

static bool io_zc_full(struct io_zc_notif *zn)
{
	struct io_zc_ring *zr = zn->zr;

	return READ_ONCE(zn->nr_sends) >= READ_ONCE(zn->max_sends) ||
	       atomic64_read(&zn->bytes) >= zr->max_bytes;
}

/*
 * @zn, just opened, takes only the send that opened it: the policy has
 * no flush program to keep it open, and did not ask it to hold more.  It
 * is born closed, so that the send's own reference is its only one, and
 * the send needs no close, no timer and no further look at the policy:
 * stock behaviour at nearly stock cost.  Nothing can see it yet.
 */
static void io_zc_single(struct io_zc_notif *zn)
{
	struct io_notif_data *nd = io_notif_to_data(zn->notif);

	zn->single = true;
	__set_bit(IO_ZC_CLOSED, &zn->state);
	refcount_set(&nd->uarg.refcnt, 1);
	zn->zr->open = NULL;
}

/*
 * @req's notification is a solo, which nothing can join or keep open: a
 * stock notification with @req's number in its NOTIF's flags, a count
 * of one in its res, and a reserved overflow entry.  It closes as its
 * send is done, and io_zc_solo_complete() reports it.
 */
static int io_zc_solo(struct io_kiocb *req, struct io_zc_send_info *info,
		      u32 progs, struct io_kiocb **notifp)
{
	struct io_ring_ctx *ctx = req->ctx;
	struct io_zc_ring *zr = ctx->zc_send;
	struct io_notif_data *nd;
	struct io_kiocb *notif;

	notif = io_zc_alloc_notif(req);
	if (!notif)
		return -ENOMEM;
	nd = io_notif_to_data(notif);
	nd->zc_solo = true;
	nd->zc_bytes = info->len;
	if (info->flags & ZC_SEND_F_REPORT_USAGE) {
		nd->zc_report = true;
		nd->zc_used = false;
		nd->zc_copied = false;
	}
	if (info->flags & ZC_SEND_F_FIXED_BUF)
		io_req_set_rsrc_node(notif, ctx, 0);
	if (progs & BIT(ZC_SEND_EVENT_CLOSED))
		io_zc_report_owner(zr);

	info->seq = io_zc_take_seq(zr);
	info->member = true;
	info->decided = true;
	/* The application counts the numbers of sends it skips, and wants
	 * the usage report: those keep their NOTIF.
	 */
	info->early = zr->early_free && !(req->flags & REQ_F_CQE_SKIP) &&
		      !(info->flags & ZC_SEND_F_REPORT_USAGE);
	notif->cqe.res = 1;
	notif->cqe.flags = IORING_CQE_F_NOTIF |
			   (u32)info->seq << IORING_CQE_ZC_SEQ_SHIFT;
	zr->nr_notifs++;
	zr->nr_solos++;
	*notifp = notif;
	return 0;
}

/*
 * The join program's verdict on @info's send, with @zn the open
 * notification it may join, or NULL.  Out of line, as is every program's
 * context: a send that asks nothing does not pay for building one.
 */
static noinline int io_zc_ask_join(struct io_zc_ring *zr,
				   struct io_zc_notif *zn,
				   const struct io_zc_send_info *info)
{
	struct zc_send_ctx c;

	io_zc_ctx_init(&c, zr, ZC_SEND_DECIDE_JOIN);
	io_zc_ctx_send(&c, info);
	if (zn)
		io_zc_ctx_notif(&c, zn, info);
	return io_zc_decide(zr, &c);
}

/*
 * May a send of @len bytes go alone, copied and in no notification?  Only
 * on a ring that allows it, for a send of known length that the open
 * notification's copy rule copies.  A send with IOSQE_CQE_SKIP_SUCCESS
 * always takes a number: the application counts them.
 */
static __always_inline bool io_zc_alone(struct io_zc_ring *zr,
					struct io_zc_notif *zn,
					struct io_kiocb *req, u64 len,
					u32 progs)
{
	if (!zr->copy_alone || !zn || (req->flags & REQ_F_CQE_SKIP) ||
	    !(progs & BIT(ZC_SEND_DECIDE_MODE)) ||
	    test_bit(IO_ZC_CLOSED, &zn->state))
		return false;
	return io_zc_rule_copies(READ_ONCE(zn->copy_below), len);
}

/*
 * @req goes alone, past the open notification @zn: copied, its buffer
 * free when the send returns, as with IORING_OP_SEND.  It takes no number
 * and no reference to @zn, and its first CQE has no F_MORE.  The policy
 * hears of it in the next report, as a copied send outside any
 * notification, counted now.
 */
static __always_inline void io_zc_go_alone(struct io_zc_ring *zr,
					   struct io_zc_notif *zn,
					   u64 len, u32 progs)
{
	struct io_zc_report *r = &zr->report;

	if (progs & BIT(ZC_SEND_EVENT_CLOSED))
		io_zc_report_owner(zr);
	zr->nr_alone++;
	r->sends++;
	r->copied++;
	r->bytes += len;

	/* It takes one of the sends a held notification waits for, which
	 * then closes as often as it would have without the flag, rather
	 * than hold its members' buffers until the timeout while later
	 * sends come and go: a window of sends in flight, as zc_tracker
	 * keeps, waits for its oldest.
	 */
	if (zn->held) {
		WRITE_ONCE(zn->max_sends, zn->max_sends - 1);
		if (zn->max_sends <= zn->nr_sends)
			io_zc_close(zn, ZC_SEND_CLOSE_FLUSH, false);
	}
}

/* The programs of @zr's policy, a mask of ZC_SEND_DECIDE/EVENT_* bits. */
static __always_inline u32 io_zc_progs(struct io_zc_ring *zr)
{
	u32 progs;

	rcu_read_lock();
	progs = zc_send_progs(rcu_dereference(zr->policy));
	rcu_read_unlock();
	return progs;
}

/* io_zc_prep_alone() past its first tests: the rule may copy the send. */
static noinline bool __io_zc_prep_alone(struct io_kiocb *req,
					struct io_zc_notif *zn, u32 len)
{
	struct io_zc_ring *zr = zn->zr;
	u32 progs = io_zc_progs(zr);

	if (!io_zc_alone(zr, zn, req, len, progs))
		return false;
	io_zc_go_alone(zr, zn, len, progs);
	return true;
}

/**
 * io_zc_prep_alone() - does a plain send go alone, by the copy rule?
 * @req: a SEND_ZC from a plain buffer, prepared, not yet in a notification
 * @len: its length
 *
 * On a ring with IORING_ZC_SEND_COPY_ALONE, the first look at such a
 * send: one the open notification's rule copies is counted here and is
 * an IORING_OP_SEND from now on, with no send info and no join, so that
 * a copy costs little more than a plain send.
 *
 * Return: true if it went alone.
 */
bool io_zc_prep_alone(struct io_kiocb *req, u32 len)
{
	struct io_zc_notif *zn = req->ctx->zc_send->open;

	lockdep_assert_held(&req->ctx->uring_lock);

	/* The cheap tests here, where a send that fails them (every send
	 * of a ring with no copy rule) pays for no stack frame.
	 */
	if (!zn || !io_zc_rule_copies(READ_ONCE(zn->copy_below), len))
		return false;
	return __io_zc_prep_alone(req, zn, len);
}

/* io_zc_join() for all but solos. */
static noinline int io_zc_join_slow(struct io_kiocb *req,
				    struct io_zc_send_info *info, u32 progs,
				    struct io_kiocb **notifp)
{
	struct io_zc_ring *zr = req->ctx->zc_send;
	struct io_zc_notif *zn = zr->open;
	int v = ZC_SEND_NEW;
	bool open, timed;

	if (!io_zc_seq_room(zr))
		return -EBUSY;

	open = zn && !test_bit(IO_ZC_CLOSED, &zn->state) && io_zc_fits(zn, info);
	if (open && zn->held) {
		if (io_zc_enter(zn, req, info, progs))
			goto joined;
		open = false;
	}

	/* Without a join program the stock answer is a new notification. */
	if (progs & BIT(ZC_SEND_DECIDE_JOIN)) {
		v = io_zc_ask_join(zr, open ? zn : NULL, info);
		if (v == ZC_SEND_JOIN && open &&
		    io_zc_enter(zn, req, info, progs))
			goto joined;
	}

	if (zn)
		io_zc_close(zn, ZC_SEND_CLOSE_NEW, false);
	zr->open = NULL;
	/* A policy that keeps nothing open comes here for a measured one. */
	timed = !(progs & IO_ZC_KEEPING) ||
		io_zc_sample(zr, progs, IO_ZC_AGE_SAMPLE);
	zn = io_zc_open(req, progs, timed);
	if (!zn)
		return -ENOMEM;
	if (v >= ZC_SEND_HOLD_MIN) {
		zn->max_sends = min_t(u32, v, zr->max_sends);
		zn->held = true;
	}
	/* A fresh notification takes its first send, whatever its size:
	 * nothing can have closed it yet, its timer is not even armed.
	 */
	if (WARN_ON_ONCE(!io_zc_enter(zn, req, info, progs))) {
		io_zc_close(zn, ZC_SEND_CLOSE_EXIT, false);
		return -ENOMEM;
	}
	if (!zn->held && !(progs & BIT(ZC_SEND_DECIDE_FLUSH))) {
		io_zc_single(zn);
		*notifp = zn->notif;
		return 0;
	}
joined:
	*notifp = zn->notif;
	if (io_zc_full(zn))
		io_zc_close(zn, zn->held && READ_ONCE(zn->nr_sends) >=
			    zn->max_sends ? ZC_SEND_CLOSE_FLUSH :
			    ZC_SEND_CLOSE_LIMIT, true);
	return 0;
}

/**
 * io_zc_join() - put a send into a notification, at submission
 * @req: the SEND_ZC or SENDMSG_ZC request, fully prepared
 * @info: what the policy learns about it; gets the sequence number
 * @notifp: set to the notification the send belongs to
 *
 * The policy chooses between the open notification and a new one; the
 * kernel overrides it when the open one is closed or full.  Opening a new
 * one closes the open one, so that ranges stay contiguous.  A policy that
 * opened it asking it to hold n sends is not asked again until it has
 * them: batching costs one program run per notification, not per send.
 * On a ring with IORING_ZC_SEND_COPY_ALONE, a send from a registered
 * buffer that the open notification's copy rule copies joins nothing, and
 * @notifp is set to NULL; io_zc_prep_alone() decides for plain buffers.
 *
 * Return: 0, -EBUSY when too many sequence numbers are outstanding, or
 * -ENOMEM.
 */
int io_zc_join(struct io_kiocb *req, struct io_zc_send_info *info,
	       struct io_kiocb **notifp)
{
	struct io_zc_ring *zr = req->ctx->zc_send;
	u32 progs;

	lockdep_assert_held(&req->ctx->uring_lock);

	progs = io_zc_progs(zr);
	if (progs & IO_ZC_KEEPING) {
		/* io_zc_prep_alone() looked at plain SEND_ZCs already. */
		if ((info->flags & ZC_SEND_F_FIXED_BUF) &&
		    io_zc_alone(zr, zr->open, req, info->len, progs)) {
			io_zc_go_alone(zr, zr->open, info->len, progs);
			info->decided = true;
			info->copy = true;
			/* The request itself holds the buffer's node. */
			io_req_set_rsrc_node(req, req->ctx, 0);
			*notifp = NULL;
			return 0;
		}
		return io_zc_join_slow(req, info, progs, notifp);
	}

	if (!io_zc_seq_room(zr))
		return -EBUSY;
	/* A policy that keeps nothing open: each send has a notification
	 * of its own, a solo unless its sends' ages are measured.
	 */
	if (io_zc_sample(zr, progs, IO_ZC_SOLO_AGE_SAMPLE))
		return io_zc_join_slow(req, info, progs, notifp);
	/* One the previous policy kept open. */
	if (unlikely(zr->open)) {
		io_zc_close(zr->open, ZC_SEND_CLOSE_NEW, false);
		zr->open = NULL;
	}
	return io_zc_solo(req, info, progs, notifp);
}

/* ------------------------------------------------------------- issuing */

/**
 * __io_zc_send_copy() - ask the mode program: is this send copied?
 * @notif: the send's notification
 * @info: the send's facts; the answer is kept there for retries
 * @sock: the socket it goes to
 *
 * io_zc_send_copy() calls it once per send, if the policy had a mode
 * program when the send joined.
 */
bool __io_zc_send_copy(struct io_kiocb *notif, struct io_zc_send_info *info,
		       struct socket *sock)
{
	struct io_zc_notif *zn = io_zc_of(notif);
	struct zc_send_ctx c;
	int v;

	info->decided = true;
	if (!io_zc_wants(zn->zr, ZC_SEND_DECIDE_MODE))
		return false;
	io_zc_ctx_init(&c, zn->zr, ZC_SEND_DECIDE_MODE);
	io_zc_ctx_send(&c, info);
	io_zc_ctx_notif(&c, zn, info);
	zc_send_ctx_fill_sock(&c, sock->sk);
	v = io_zc_decide(zn->zr, &c);
	if (v >= ZC_SEND_COPY_BELOW_MIN) {
		/* A rule for the members that join from now on. */
		WRITE_ONCE(zn->copy_below, v);
		info->copy = io_zc_rule_copies(v, info->len);
	} else {
		info->copy = v == ZC_SEND_COPY;
	}
	if (info->copy)
		atomic_inc(&zn->nr_copied);
	return info->copy;
}

/* The flush program's verdict after @info's send returned @ret. */
static noinline int io_zc_ask_flush(struct io_zc_notif *zn,
				    const struct io_zc_send_info *info,
				    struct socket *sock, int ret)
{
	struct zc_send_ctx c;

	io_zc_ctx_init(&c, zn->zr, ZC_SEND_DECIDE_FLUSH);
	io_zc_ctx_send(&c, info);
	io_zc_ctx_notif(&c, zn, info);
	zc_send_ctx_fill_sock(&c, sock->sk);
	c.result = ret;
	c.zerocopy = !info->copy;
	return io_zc_decide(zn->zr, &c);
}

/* The timer, and the reference of a member whose send is over. */
static __always_inline void __io_zc_member_done(struct io_kiocb *notif)
{
	io_zc_arm(io_zc_of(notif));
	io_notif_flush(notif);
}

/* io_zc_sent() for a member of an io_zc_notif. */
static noinline void io_zc_sent_member(struct io_zc_notif *zn,
				       struct io_zc_send_info *info,
				       struct socket *sock, int ret, bool done)
{
	struct io_kiocb *notif = zn->notif;
	/* One held for n sends closes as the n-th joins, or on a bound. */
	int v = zn->held ? ZC_SEND_KEEP : ZC_SEND_FLUSH;

	if ((info->flags & ZC_SEND_F_MSG) && ret > 0)
		atomic64_add(ret, &zn->bytes);

	if (zn->single) {
		/* Closed since it opened; its send is what it waited for. */
		if (zn->timed)
			zn->closed_ns = ktime_get_ns();
		if (done)
			io_notif_flush(notif);
		return;
	}

	if (!zn->held && io_zc_wants(zn->zr, ZC_SEND_DECIDE_FLUSH))
		v = io_zc_ask_flush(zn, info, sock, ret);

	/* This send's member reference is held until below. */
	if (io_zc_full(zn))
		io_zc_close(zn, ZC_SEND_CLOSE_LIMIT, true);
	else if (v == ZC_SEND_FLUSH)
		io_zc_close(zn, ZC_SEND_CLOSE_FLUSH, true);
	else if (v >= ZC_SEND_KEEP_NS_MIN)
		io_zc_close_within(zn, v);
	if (done)
		__io_zc_member_done(notif);
}

static struct io_zc_report *io_zc_report_add(struct io_zc_ring *zr, u32 cause,
					     u32 sends, u64 bytes);

/* Solo @notif completed: its number is done, and the policy hears of it. */
static __always_inline void io_zc_solo_done(struct io_zc_ring *zr,
					    struct io_kiocb *notif)
{
	struct io_notif_data *nd = io_notif_to_data(notif);

	lockdep_assert_held(&notif->ctx->uring_lock);

	__clear_bit(notif->cqe.flags >> IORING_CQE_ZC_SEQ_SHIFT, zr->inflight);
	zr->nr_notifs--;
	zr->nr_solos--;
	/* Closed as its send was done, as a flush would have. */
	io_zc_report_add(zr, ZC_SEND_CLOSE_FLUSH, 1, nd->zc_bytes);
}

/*
 * Has the stack let go of solo @nd's buffer?  Its send holds the one
 * reference left: no skb holds another, and none will, the send being
 * over.  Nor is it in a chain of notifications (io_link_skb()), which
 * completes as one.
 */
static bool io_zc_solo_released(struct io_notif_data *nd)
{
	if (refcount_read(&nd->uarg.refcnt) != 1)
		return false;
	/* A linker sets ->next, then takes a reference that is dropped
	 * with release order before the count is back at one: read ->next
	 * after the count.
	 */
	smp_rmb();
	return nd->head == nd && !READ_ONCE(nd->next);
}

/*
 * The solo @notif of @info's send, which is done and whose buffer is
 * free: complete it now, without its NOTIF, and take its F_MORE off the
 * send's CQE.  Only if the send took the newest number, which it gives
 * back: like a copy alone, it takes none, and the application's count
 * of numbers stays right.  Under uring_lock, in the issuing task: the
 * request is freed with the completions the send's own CQE goes out with.
 */
static __always_inline bool io_zc_solo_free(struct io_kiocb *notif,
					    struct io_zc_send_info *info)
{
	struct io_notif_data *nd = io_notif_to_data(notif);
	struct io_ring_ctx *ctx = notif->ctx;
	struct io_zc_ring *zr = ctx->zc_send;

	lockdep_assert_held(&ctx->uring_lock);

	/* Numbers in flight are unique in 16 bits: it is the newest. */
	if ((u16)(zr->next_seq - 1) != info->seq)
		return false;
	zr->next_seq--;
	refcount_set(&nd->uarg.refcnt, 0);
	io_notif_unaccount_mem(notif);
	io_zc_solo_done(zr, notif);
	info->member = false;
	notif->flags |= REQ_F_CQE_SKIP;
	io_req_complete_defer(notif);
	return true;
}

/**
 * io_zc_sent() - a member's send is done: should its notification close?
 * @notif: the send's notification, still holding the member's reference
 * @info: the send's facts
 * @sock: the socket
 * @ret: what the send returned, bytes or -errno
 * @done: also drop the member's reference, as io_zc_member_done() does;
 *	only in the issuing task, under uring_lock
 *
 * Runs in the issuing task or in io-wq, where it needs no uring_lock
 * unless @done.  One call for all that follows a send, rather than one
 * per step.  A solo freed early takes F_MORE off @info.
 */
void io_zc_sent(struct io_kiocb *notif, struct io_zc_send_info *info,
		struct socket *sock, int ret, bool done)
{
	struct io_notif_data *nd = io_notif_to_data(notif);

	if (nd->zc_solo) {
		/* Its only writer: the send holds its reference. */
		if ((info->flags & ZC_SEND_F_MSG) && ret > 0)
			nd->zc_bytes += ret;
		if (!done)
			return;
		if (!info->early || !io_zc_solo_released(nd) ||
		    !io_zc_solo_free(notif, info))
			io_notif_flush(notif);
		return;
	}
	io_zc_sent_member(nd->zc, info, sock, ret, done);
}

/**
 * io_zc_member_done() - a member's send is over: drop its reference
 * @notif: the send's notification
 *
 * Where stock SEND_ZC calls io_notif_flush(): in cleanup when the send ran
 * in io-wq, failed or was cancelled (io_zc_sent() does it otherwise).
 */
void io_zc_member_done(struct io_kiocb *notif)
{
	if (io_notif_to_data(notif)->zc_solo)
		io_notif_flush(notif);
	else
		__io_zc_member_done(notif);
}

/* ----------------------------------------------------------- reporting */

/* Tell the policy about the notifications in the report, and empty it. */
static void io_zc_report_flush(struct io_zc_ring *zr)
{
	struct io_zc_report *r = &zr->report;
	struct zc_send_ctx c;

	lockdep_assert_held(&zr->ctx->uring_lock);

	if (io_zc_wants(zr, ZC_SEND_EVENT_CLOSED)) {
		io_zc_ctx_init(&c, zr, ZC_SEND_EVENT_CLOSED);
		c.owner_pid = zr->owner_pid;
		c.owner_cgroup = zr->owner_cgroup;
		c.cause = r->cause;
		c.notifs = r->notifs;
		c.open_sends = r->sends;
		c.open_bytes = r->bytes;
		c.copy_sends = r->copied;
		c.aged_sends = r->aged;
		if (r->aged)
			c.mean_age_ns = div_u64(r->age_sum_ns, r->aged);
		rcu_read_lock();
		zc_send_closed(rcu_dereference(zr->policy), &c);
		rcu_read_unlock();
	}
	memset(r, 0, sizeof(*r));
	zr->owner_stale = true;
}

/*
 * Add a completed notification to the report, which goes out when the
 * completions are flushed, before its NOTIF is posted: an application
 * that has seen the NOTIF finds it in the policy's statistics.
 */
static struct io_zc_report *io_zc_report_add(struct io_zc_ring *zr, u32 cause,
					     u32 sends, u64 bytes)
{
	struct io_zc_report *r = &zr->report;

	if (r->notifs && r->cause != cause)
		io_zc_report_flush(zr);
	r->cause = cause;
	r->notifs++;
	r->sends += sends;
	r->bytes += bytes;
	zr->nr_done++;
	zr->nr_done_sends += sends;
	return r;
}

/* Add @zn, completed, to the report, with its copies and sends' ages. */
static void io_zc_report_notif(struct io_zc_ring *zr, struct io_zc_notif *zn)
{
	u32 n = zn->nr_sends;
	struct io_zc_report *r;

	r = io_zc_report_add(zr, zn->cause, n, atomic64_read(&zn->bytes));
	r->copied += atomic_read(&zn->nr_copied);
	if (zn->timed && zn->closed_ns) {
		r->aged += n;
		r->age_sum_ns += n * zn->closed_ns - zn->submit_ns_sum;
	}
}

/**
 * __io_zc_report() - report the notifications completed since the last time
 * @ctx: the ring, under uring_lock, flushing its completions
 */
void __io_zc_report(struct io_ring_ctx *ctx)
{
	struct io_zc_ring *zr = ctx->zc_send;

	/* Notifications, or sends that went alone. */
	if (zr->report.notifs || zr->report.sends)
		io_zc_report_flush(zr);
}

/* ---------------------------------------------------------- completing */

/**
 * io_zc_notif_complete() - post a coalesced notification's NOTIF
 * @notif: the notification; every reference to it is gone
 *
 * From task_work, under uring_lock.  Sets @notif's CQE to the NOTIF of
 * the range and hands it the overflow entry reserved when it opened: the
 * NOTIF is then posted in the completion batch, after its members' CQEs,
 * and cannot be dropped.
 */
void io_zc_notif_complete(struct io_kiocb *notif)
{
	struct io_notif_data *nd = io_notif_to_data(notif);
	struct io_zc_notif *zn = nd->zc;
	struct io_zc_ring *zr = zn->zr;
	struct io_ring_ctx *ctx = notif->ctx;
	s32 res = zn->nr_sends;
	int i;

	lockdep_assert_held(&ctx->uring_lock);

	/* Closed, or it could not have completed; the timer may still run. */
	if (test_bit(IO_ZC_ARMED, &zn->state))
		hrtimer_cancel(&zn->timer);

	/* The stack's verdict on its skbs, and the policy's copied sends,
	 * which never reached the stack as zero-copy.
	 */
	if (nd->zc_report && (nd->zc_copied || !nd->zc_used ||
			      atomic_read(&zn->nr_copied)))
		res |= IORING_NOTIF_USAGE_ZC_COPIED;
	io_notif_unaccount_mem(notif);
	for (i = 0; i < zn->nr_nodes; i++)
		while (zn->node_refs[i]--)
			io_put_rsrc_node(ctx, zn->nodes[i]);

	io_zc_seqs_done(zr, zn->first_seq, zn->nr_sends);
	zr->nr_notifs--;
	io_zc_report_notif(zr, zn);
	if (zr->open == zn)
		zr->open = NULL;

	/* Posted in the completion batch, after its members' CQEs, with the
	 * overflow entry reserved when it opened.
	 */
	io_req_set_res(notif, res, IORING_CQE_F_NOTIF |
		       (u32)(u16)zn->first_seq << IORING_CQE_ZC_SEQ_SHIFT);
	nd->zc = NULL;
	io_zc_recycle(zr, zn);
}

/**
 * io_zc_solo_complete() - a solo notification completes
 * @notif: the notification; every reference to it is gone
 *
 * From task_work, under uring_lock, before io_notif_tw_complete() posts
 * its NOTIF as a stock one, with the overflow entry reserved at join.
 */
void io_zc_solo_complete(struct io_kiocb *notif)
{
	io_zc_solo_done(notif->ctx->zc_send, notif);
}

/* ------------------------------------------------------------ the ring */

/* Close the open notification: nothing will join it any more. */
void io_zc_ring_exit(struct io_ring_ctx *ctx)
{
	struct io_zc_ring *zr = ctx->zc_send;

	lockdep_assert_held(&ctx->uring_lock);

	if (zr && zr->open) {
		io_zc_close(zr->open, ZC_SEND_CLOSE_EXIT, false);
		zr->open = NULL;
	}
}

static void io_zc_ring_kfree(struct io_zc_ring *zr)
{
	bitmap_free(zr->inflight);
	kfree(zr);
}

/* Every request, notifications included, has completed by now. */
void io_zc_ring_free(struct io_ring_ctx *ctx)
{
	struct io_zc_ring *zr = ctx->zc_send;

	if (!zr)
		return;
	WARN_ON_ONCE(zr->nr_notifs);
	__io_zc_report(ctx);
	while (!list_empty(&zr->cache)) {
		struct io_zc_notif *zn = list_first_entry(&zr->cache,
							  struct io_zc_notif,
							  node);

		list_del(&zn->node);
		kfree(zn);
	}
	zc_policy_put(rcu_dereference_protected(zr->policy, true));
	io_zc_ring_kfree(zr);
	ctx->zc_send = NULL;
}

static struct io_zc_ring *io_zc_ring_alloc(struct io_ring_ctx *ctx)
{
	struct io_zc_ring *zr;

	zr = kzalloc(sizeof(*zr), GFP_KERNEL_ACCOUNT);
	if (!zr)
		return NULL;
	zr->inflight = bitmap_zalloc(IO_ZC_SEQ_SPACE, GFP_KERNEL_ACCOUNT);
	if (!zr->inflight) {
		io_zc_ring_kfree(zr);
		return NULL;
	}
	zr->ctx = ctx;
	zr->owner_stale = true;
	INIT_LIST_HEAD(&zr->cache);
	return zr;
}

static int io_zc_bounds(struct io_uring_zc_send_policy *p)
{
	if (!p->max_sends)
		p->max_sends = IO_ZC_DEF_SENDS;
	if (!p->max_bytes)
		p->max_bytes = IO_ZC_DEF_BYTES;
	if (!p->timeout_ns)
		p->timeout_ns = IO_ZC_DEF_TIMEOUT;
	if (p->max_sends > IO_ZC_MAX_SENDS || p->max_bytes > IO_ZC_MAX_BYTES ||
	    p->timeout_ns < IO_ZC_MIN_TIMEOUT ||
	    p->timeout_ns > IO_ZC_MAX_TIMEOUT)
		return -EINVAL;
	return 0;
}

/**
 * io_register_zc_send_policy() - IORING_REGISTER_ZC_SEND_POLICY
 * @ctx: the ring, under uring_lock
 * @arg: a struct io_uring_zc_send_policy
 * @nr_args: 1
 *
 * Return: 0, -EINVAL (bad flags, reserved fields, bounds or name),
 * -EFAULT, -EACCES (the caller did not create the ring), -ENOENT (no
 * such policy), -EPERM (the caller may not choose it), -ENOMEM.
 */
int io_register_zc_send_policy(struct io_ring_ctx *ctx, void __user *arg,
			       unsigned int nr_args)
{
	struct io_zc_ring *zr = ctx->zc_send, *fresh = NULL;
	struct io_uring_zc_send_policy p;
	struct zc_policy_slot *slot, *old;
	int err;

	lockdep_assert_held(&ctx->uring_lock);

	if (!arg || nr_args != 1)
		return -EINVAL;
	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (!(p.flags & IORING_ZC_SEND_COALESCE) ||
	    (p.flags & ~IORING_ZC_SEND_FLAGS) ||
	    memchr_inv(p.__resv, 0, sizeof(p.__resv)) ||
	    strnlen(p.name, sizeof(p.name)) == sizeof(p.name))
		return -EINVAL;
	err = io_zc_bounds(&p);
	if (err)
		return err;
	/* Not through a ring fd passed to another process. */
	if (current->mm != ctx->mm_account)
		return -EACCES;

	slot = zc_policy_get(&zc_send_policies, p.name);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	if (!zr) {
		fresh = io_zc_ring_alloc(ctx);
		if (!fresh) {
			zc_policy_put(slot);
			return -ENOMEM;
		}
		zr = fresh;
	}
	if (copy_to_user(arg, &p, sizeof(p))) {
		zc_policy_put(slot);
		if (fresh)
			io_zc_ring_kfree(fresh);
		return -EFAULT;
	}

	zr->max_sends = p.max_sends;
	zr->max_bytes = p.max_bytes;
	zr->timeout_ns = p.timeout_ns;
	zr->copy_alone = p.flags & IORING_ZC_SEND_COPY_ALONE;
	zr->early_free = p.flags & IORING_ZC_SEND_EARLY_FREE;
	old = rcu_replace_pointer(zr->policy, slot,
				  lockdep_is_held(&ctx->uring_lock));
	/* Readers in io-wq hold the old one under RCU; the registry frees
	 * slots after a grace period.
	 */
	zc_policy_put(old);
	if (fresh)
		ctx->zc_send = fresh;
	return 0;
}

/*
 * What notifications that await their NOTIF hold beside their requests,
 * charged to the memcg: an overflow entry each, and the state of those
 * that are not solos.
 */
static size_t io_zc_held(struct io_ring_ctx *ctx, struct io_zc_ring *zr)
{
	return zr->nr_notifs * io_ocqe_size(ctx) +
	       (zr->nr_notifs - zr->nr_solos) * sizeof(struct io_zc_notif);
}

void io_zc_fdinfo(struct io_ring_ctx *ctx, struct seq_file *m)
{
	struct io_zc_ring *zr = ctx->zc_send;
	struct zc_policy_slot *slot;
	struct io_zc_notif *zn;

	if (!zr)
		return;
	rcu_read_lock();
	slot = rcu_dereference(zr->policy);
	seq_printf(m, "ZcSendPolicy:\t%s%s\n", slot ? slot->name : "(stock)",
		   slot && !rcu_access_pointer(slot->ops) ? " (unregistered)" :
		   "");
	rcu_read_unlock();
	seq_printf(m, "ZcSendBounds:\tsends=%u bytes=%llu timeout_ns=%llu\n",
		   zr->max_sends, zr->max_bytes, zr->timeout_ns);
	seq_printf(m, "ZcSendFaults:\t%d\n", atomic_read(&zr->faults));
	seq_printf(m, "ZcSendDone:\tnotifs=%llu sends=%llu alone=%llu\n",
		   zr->nr_done, zr->nr_done_sends, zr->nr_alone);
	seq_printf(m, "ZcSendNotifs:\t%u (%zu bytes held)\n", zr->nr_notifs,
		   io_zc_held(ctx, zr));
	zn = zr->open;
	if (zn && !test_bit(IO_ZC_CLOSED, &zn->state))
		seq_printf(m, "ZcSendOpen:\tseq=%u sends=%u bytes=%lld age_ns=%lld\n",
			   (u16)zn->first_seq, zn->nr_sends,
			   atomic64_read(&zn->bytes),
			   ktime_get_ns() - io_zc_opened(zn));
	else
		seq_puts(m, "ZcSendOpen:\tnone\n");
}
