/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-pool accounting through the netdev netlink family (YNL): the pages
 * a test's pools still have in flight must come back to 0.
 *
 * Include after lib/zc_net.h, with YNL's ynl.h and netdev-user.h.
 */
#ifndef ZC_PP_H
#define ZC_PP_H

/* Pages still in flight in all page pools of this netns (and detached). */
static inline long long pp_inflight(void)
{
	struct netdev_page_pool_get_list *pools;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	long long sum = 0;

	ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!ys)
		return -1;
	pools = netdev_page_pool_get_dump(ys);
	if (!pools) {
		ynl_sock_destroy(ys);
		return -1;
	}
	ynl_dump_foreach(pools, pp)
		if (pp->_present.inflight)
			sum += pp->inflight;
	netdev_page_pool_get_list_free(pools);
	ynl_sock_destroy(ys);
	return sum;
}

/*
 * Pages in flight in the page pools of netns @ns.  Pools whose device was
 * unregistered while pages were out move to that netns' loopback and stay
 * listed until their last page returns; deleting the netns would hide
 * them, so ask before deleting it.
 */
static inline long long ns_pp_inflight(const char *ns)
{
	int old = zc_ns_enter(ns);
	long long n = pp_inflight();

	zc_ns_leave(old);
	return n;
}

/*
 * Wait for the page pools of @p's namespaces to have no page in flight,
 * after its devices are gone: pools of a gone device drain as their skbs
 * are freed.  Return the pages still in flight after 10 s, or -1.
 */
static inline long long zc_pair_drain_pools(struct zc_pair *p)
{
	long long inflight = -1;
	int i;

	for (i = 0; i < 100; i++) {
		if (zc_flush_skb_defer_lists())
			return -1;
		inflight = ns_pp_inflight(p->nsa);
		if (inflight >= 0)
			inflight += ns_pp_inflight(p->nsb);
		if (!inflight)
			break;
		usleep(100000);
	}
	if (inflight)
		fprintf(stderr, "# pages still in flight: %lld\n", inflight);
	return inflight;
}

#endif
