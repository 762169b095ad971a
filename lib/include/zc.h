/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * libzc: zero-copy networking with io_uring and BPF policies, in the
 * style of liburing.
 *
 *   zc_register_send_policy(3)  coalesce a ring's zero-copy notifications
 *   zc_sock_set_send_policy(3)  the same policies for MSG_ZEROCOPY sockets
 *   zc_tracker_new(3)           which send buffers may be reused now
 *   zc_policy_attach(3)         register, replace and remove BPF policies
 *   zc_rx_new(3)                zero-copy receive: area, refill ring, queue
 *   zc_rx_steer(3)              header split and flow steering to a queue
 */
#ifndef LIBZC_ZC_H
#define LIBZC_ZC_H

#include <stdbool.h>
#include <stddef.h>
#include <liburing.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The kernel ABI (uapi/linux/io_uring.h of this kernel), repeated for
 * applications that build against liburing's own copy of the header.
 */
#ifndef IORING_ZC_SEND_COALESCE
#define IORING_REGISTER_ZC_SEND_POLICY	128
#define IORING_ZC_SEND_COALESCE		(1U << 0)
#define IORING_CQE_ZC_SEQ_SHIFT		16
#define IORING_NOTIF_ZC_COUNT_MASK	0xffffU

struct io_uring_zc_send_policy {
	__u32	flags;
	__u32	max_sends;
	__u64	max_bytes;
	__u64	timeout_ns;
	char	name[16];
	__u64	__resv[4];
};
#endif
#ifndef IORING_ZC_SEND_COPY_ALONE
#define IORING_ZC_SEND_COPY_ALONE	(1U << 1)
#endif
#ifndef IORING_ZC_SEND_EARLY_FREE
#define IORING_ZC_SEND_EARLY_FREE	(1U << 2)
#endif

/* 6.2's, which liburing 2.3's header lacks. */
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_SEND_ZC_REPORT_USAGE	(1U << 3)
#define IORING_NOTIF_USAGE_ZC_COPIED	(1U << 31)
#endif

/*
 * Zero-copy receive (zcrx), upstream 6.15's ABI, likewise repeated; with
 * this kernel's header first on the include path these come from it.
 */
#ifndef IORING_ZCRX_AREA_SHIFT
#define IORING_REGISTER_ZCRX_IFQ	32
#define IORING_OP_RECV_ZC		58
#define IORING_MEM_REGION_TYPE_USER	1
#define IORING_ZCRX_AREA_SHIFT		48
#define IORING_ZCRX_AREA_MASK	(~(((__u64)1 << IORING_ZCRX_AREA_SHIFT) - 1))

struct io_uring_region_desc {
	__u64	user_addr;
	__u64	size;
	__u32	flags;
	__u32	id;
	__u64	mmap_offset;
	__u64	__resv[4];
};

struct io_uring_zcrx_rqe {
	__u64	off;
	__u32	len;
	__u32	__pad;
};

struct io_uring_zcrx_cqe {
	__u64	off;
	__u64	__pad;
};

struct io_uring_zcrx_offsets {
	__u32	head;
	__u32	tail;
	__u32	rqes;
	__u32	__resv2;
	__u64	__resv[2];
};

struct io_uring_zcrx_area_reg {
	__u64	addr;
	__u64	len;
	__u64	rq_area_token;
	__u32	flags;
	__u32	__resv1;
	__u64	__resv2[2];
};

struct io_uring_zcrx_ifq_reg {
	__u32	if_idx;
	__u32	if_rxq;
	__u32	rq_entries;
	__u32	flags;
	__u64	area_ptr;
	__u64	region_ptr;
	struct io_uring_zcrx_offsets offsets;
	__u32	zcrx_id;
	__u32	__resv2;
	__u64	__resv[3];
};
#endif

/* This kernel's refill policies and notifications (zc-iouring 129). */
#ifndef IORING_ZCRX_REFILL_POLICY
#define IORING_REGISTER_ZCRX_REFILL	129

#define IORING_ZCRX_REFILL_POLICY	(1U << 0)
#define IORING_ZCRX_REFILL_ARM		(1U << 1)
#define IORING_ZCRX_REFILL_DISARM	(1U << 2)

#define IORING_ZCRX_NOTIF_FILL_LOW	(1U << 0)
#define IORING_ZCRX_NOTIF_NO_BUFFERS	(1U << 1)
#define IORING_ZCRX_NOTIF_COPY		(1U << 2)

struct io_uring_zcrx_refill {
	__u32	zcrx_id;
	__u32	flags;
	char	name[16];
	__u64	notif_user_data;
	__u32	notif_mask;
	__u32	__resv1;
	__u64	__resv[4];
};
#endif

/* uapi/linux/zc_msg.h: MSG_ZEROCOPY under a send policy. */
#ifndef SO_ZC_POLICY
#define SO_ZC_POLICY			0x5a00

struct zc_msg_policy {
	char	name[16];
	__u32	max_sends;
	__u32	flags;
	__u64	max_bytes;
	__u64	timeout_ns;
	__u64	__resv[2];
	__u64	sends;
	__u64	copies;
	__u64	ranges;
	__u64	queued;
	__u64	wakeups;
	__u64	faults;
};
#endif

/* This kernel's extension: the chunk was copied, not written by the NIC. */
#ifndef IORING_ZCRX_CQE_COPIED
#define IORING_ZCRX_CQE_COPIED		(1ULL << 0)
#endif

/* ------------------------------------------------ coalesced notifications */

/* The kernel's bounds for one notification; 0 asks for the default. */
struct zc_send_bounds {
	unsigned int		max_sends;
	unsigned long long	max_bytes;
	unsigned long long	timeout_ns;
};

int zc_register_send_policy(struct io_uring *ring, const char *name,
			    struct zc_send_bounds *bounds);
/* @flags: IORING_ZC_SEND_COPY_ALONE, IORING_ZC_SEND_EARLY_FREE, or 0. */
int zc_register_send_policy_flags(struct io_uring *ring, const char *name,
				  struct zc_send_bounds *bounds,
				  unsigned int flags);

/* MSG_ZEROCOPY sockets under a send policy (SO_ZC_POLICY). */
struct zc_sock_policy_stats {
	unsigned long long	sends;		/* MSG_ZEROCOPY sends */
	unsigned long long	copies;		/* of them, copied by the policy */
	unsigned long long	ranges;		/* ranges completed */
	unsigned long long	queued;		/* error-queue entries */
	unsigned long long	wakeups;	/* EPOLLERR reports */
	unsigned long long	faults;		/* verdicts refused */
};

int zc_sock_set_send_policy(int fd, const char *name,
			    struct zc_send_bounds *bounds);
int zc_sock_get_send_policy(int fd, char *name, size_t size,
			    struct zc_send_bounds *bounds,
			    struct zc_sock_policy_stats *stats);

/* A zero-copy send's first CQE on a coalescing ring: its sequence number. */
static inline unsigned int zc_cqe_seq(const struct io_uring_cqe *cqe)
{
	return cqe->flags >> IORING_CQE_ZC_SEQ_SHIFT;
}

static inline bool zc_cqe_is_notif(const struct io_uring_cqe *cqe)
{
	return cqe->flags & IORING_CQE_F_NOTIF;
}

/* A NOTIF covers zc_notif_count() sends from zc_cqe_seq() on. */
static inline unsigned int zc_notif_count(const struct io_uring_cqe *cqe)
{
	return cqe->res & IORING_NOTIF_ZC_COUNT_MASK;
}

/* With IORING_SEND_ZC_REPORT_USAGE: was any of the range copied? */
static inline bool zc_notif_copied(const struct io_uring_cqe *cqe)
{
	return cqe->res & IORING_NOTIF_USAGE_ZC_COPIED;
}

/* --------------------------------------------------------- buffer ownership */

struct zc_tracker;

struct zc_tracker *zc_tracker_new(unsigned int entries);
void zc_tracker_free(struct zc_tracker *t);
int zc_tracker_submit(struct zc_tracker *t, __u64 user_data);
int zc_tracker_cqe(struct zc_tracker *t, const struct io_uring_cqe *cqe);
int zc_tracker_pop(struct zc_tracker *t, __u64 *user_data);
unsigned int zc_tracker_inflight(const struct zc_tracker *t);

/* ------------------------------------------------------- zero-copy receive */

/* zc_rx_params.flags */
#define ZC_RX_HUGEPAGES		(1U << 0)	/* area of 2 MiB huge pages */
#define ZC_RX_KERNEL_RQ		(1U << 1)	/* refill ring mmap()ed */

struct zc_rx_params {
	unsigned int	ifindex;	/* the NIC, in the caller's netns */
	unsigned int	rxq;		/* its rx queue to bind */
	size_t		area_size;	/* bytes; 0 for 32 MiB */
	unsigned int	rq_entries;	/* 0 for one per area page */
	unsigned int	flags;		/* ZC_RX_* */
};

struct zc_rx;

struct zc_rx *zc_rx_new(struct io_uring *ring, const struct zc_rx_params *p,
			int *err);
void zc_rx_free(struct zc_rx *rx);
void zc_rx_prep_recv(struct zc_rx *rx, struct io_uring_sqe *sqe, int fd,
		     unsigned int len);
void *zc_rx_cqe_data(const struct zc_rx *rx, const struct io_uring_cqe *cqe);
int zc_rx_return(struct zc_rx *rx, const struct io_uring_cqe *cqe);
unsigned int zc_rx_area_pages(const struct zc_rx *rx);

/* Called with each chunk; a non-zero return is what the loop returns. */
typedef int (*zc_rx_cb)(void *arg, const void *data, unsigned int len,
			bool copied);
int zc_rx_recv_loop(struct zc_rx *rx, int fd, zc_rx_cb cb, void *arg);

/* A RECV_ZC data CQE (F_MORE) against the final one. */
static inline bool zc_rx_cqe_is_data(const struct io_uring_cqe *cqe)
{
	return cqe->flags & IORING_CQE_F_MORE;
}

/* Did the CPU copy this chunk into the area (the copy fallback)? */
static inline bool zc_rx_cqe_copied(const struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *rc = (const void *)(cqe + 1);

	return rc->__pad & IORING_ZCRX_CQE_COPIED;
}

/* zc_rx_steer() flags */
#define ZC_STEER_IPV6		(1U << 0)	/* also tcp6 rules */

int zc_rx_steer(const char *ifname, unsigned int rxq,
		const unsigned short *ports, unsigned int nports,
		unsigned int flags);
int zc_rx_set_header_split(const char *ifname, bool on);

/* liburing 2.10's (liburing-zcrx compat header) */
int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *reg);

/* Refill policies and fill-queue notifications: zc_rx_set_refill_policy(3) */
int io_uring_register_zcrx_refill(struct io_uring *ring,
				  struct io_uring_zcrx_refill *arg);
int zc_rx_set_refill_policy(struct zc_rx *rx, const char *name);
int zc_rx_arm(struct zc_rx *rx, unsigned int notifs);
int zc_rx_flush(struct zc_rx *rx);

/* The user_data of the notification CQEs that zc_rx_arm() asks for. */
#define ZC_RX_NOTIF_UDATA	0x7a6372786e6f7466ULL	/* "zcrxnotf" */

static inline bool zc_rx_cqe_is_notif(const struct io_uring_cqe *cqe)
{
	return cqe->user_data == ZC_RX_NOTIF_UDATA;
}

/*
 * zc_rx_recv_loop() calls this with each notification (IORING_ZCRX_NOTIF_*)
 * before it re-arms it; without one the loop just re-arms.
 */
typedef void (*zc_rx_notif_cb)(void *arg, unsigned int notif);
void zc_rx_on_notif(struct zc_rx *rx, zc_rx_notif_cb cb, void *arg);
unsigned long long zc_rx_notif_count(const struct zc_rx *rx,
				     unsigned int notif);

/* ------------------------------------------------------------- policies */

struct bpf_map;
struct bpf_link;

/* What the policies in bpf-progs/ count, summed over the CPUs. */
#define ZC_AGE_BUCKETS		24
#define ZC_CLOSE_CAUSES		5

struct zc_send_stats {
	__u64 notifs;
	__u64 sends;
	__u64 zc_sends;
	__u64 copy_sends;
	__u64 faults;
	__u64 causes[ZC_CLOSE_CAUSES];
	__u64 age_us[ZC_AGE_BUCKETS];
};

enum zc_policy_type {
	ZC_POLICY_SEND,
	ZC_POLICY_REFILL,
};

/* What the refill policies in bpf-progs/ count, summed over the CPUs. */
struct zc_refill_stats {
	__u64 alloc_calls;	/* alloc decisions */
	__u64 alloc_taken;	/* refill entries they asked for */
	__u64 reserve_asks;	/* alloc decisions that allowed the reserve */
	__u64 ahead_calls;	/* ahead decisions */
	__u64 ahead_taken;	/* refill entries they asked for */
	__u64 notify_calls;	/* notify decisions */
	__u64 notifs[3];	/* notifications asked, by IORING_ZCRX_NOTIF_ bit */
	__u64 min_free;		/* fewest free + returned buffers seen, + 1 */
	__u64 max_held;		/* most buffers the application held */
};

int zc_refill_read_stats(int stats_map_fd, struct zc_refill_stats *out);

/* "64k", "16m", "1g": a byte count with a k, m or g suffix (1024s). */
int zc_parse_size(const char *s, size_t *out);

int zc_policy_attach(struct bpf_map *ops, const char *pin_path,
		     struct bpf_link **linkp);
int zc_policy_replace(struct bpf_link *link, struct bpf_map *ops);
int zc_policy_replace_pinned(const char *pin_path, struct bpf_map *ops);
int zc_policy_detach(struct bpf_link *link);
int zc_policy_detach_pinned(const char *pin_path);
int zc_policy_read_stats(int stats_map_fd, struct zc_send_stats *out);
int zc_percpu_sum(int map_fd, __u32 key, void *out, size_t size);

int zc_policy_list(enum zc_policy_type type, char *buf, size_t size);
int zc_policy_get_default(enum zc_policy_type type, char *buf, size_t size);
int zc_policy_set_default(enum zc_policy_type type, const char *name);
int zc_policy_get_allowed(enum zc_policy_type type, char *buf, size_t size);
int zc_policy_set_allowed(enum zc_policy_type type, const char *names);

#ifdef __cplusplus
}
#endif

#endif /* LIBZC_ZC_H */
