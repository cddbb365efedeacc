/*
 * netwatch - a netlink socket that tells when the network came up; see
 * netwatch.h.
 */
#include "runner/netwatch.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "util/xalloc.h"

/* The kernel's loopback device has this index in every namespace. */
#define LOOPBACK_IFINDEX	1

/* is_loopback - whether interface index is a loopback device; when its
 * flags cannot be read (it is gone already), only lo's index is. */
static int is_loopback(unsigned int index)
{
	struct ifreq ifr;
	int fd, loop;

	if (index == LOOPBACK_IFINDEX)
		return 1;
	memset(&ifr, 0, sizeof(ifr));
	if (index == 0 || if_indextoname(index, ifr.ifr_name) == NULL)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	loop = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_LOOPBACK) != 0;
	close(fd);
	return loop;
}

/* addr_key - the key of the address h is about: its interface and
 * address (IFA_LOCAL, else IFA_ADDRESS); *usable: whether it can reach
 * beyond this machine. 0 when h is malformed. */
static int addr_key(const struct nlmsghdr *h, struct netwatch_key *k,
    int *usable)
{
	const struct ifaddrmsg *ifa;
	const struct rtattr *rta;
	unsigned int flags;
	int len, have_local = 0;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	ifa = NLMSG_DATA(h);
	memset(k, 0, sizeof(*k));
	k->kind = 'A';
	k->family = ifa->ifa_family;
	k->index = ifa->ifa_index;
	flags = ifa->ifa_flags;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t n = RTA_PAYLOAD(rta);

		if (rta->rta_type == IFA_FLAGS && n >= sizeof(flags))
			memcpy(&flags, RTA_DATA(rta), sizeof(flags));
		if ((rta->rta_type == IFA_LOCAL ||
		    (rta->rta_type == IFA_ADDRESS && !have_local)) &&
		    n <= sizeof(k->addr)) {
			memset(k->addr, 0, sizeof(k->addr));
			memcpy(k->addr, RTA_DATA(rta), n);
			have_local |= rta->rta_type == IFA_LOCAL;
		}
	}
	/* Host or link scope: no way out. Tentative: a NEWADDR follows
	 * when duplicate detection is done. */
	*usable = ifa->ifa_scope < RT_SCOPE_LINK &&
	    (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0 &&
	    !is_loopback(ifa->ifa_index);
	return 1;
}

/* route_key - the key of the route h is about: its interface and
 * gateway; *usable: whether it is a default route of the main table,
 * not via lo. 0 when h is malformed. */
static int route_key(const struct nlmsghdr *h, struct netwatch_key *k,
    int *usable)
{
	const struct rtmsg *rtm;
	const struct rtattr *rta;
	unsigned int table;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	rtm = NLMSG_DATA(h);
	memset(k, 0, sizeof(*k));
	k->kind = 'R';
	k->family = rtm->rtm_family;
	table = rtm->rtm_table;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t n = RTA_PAYLOAD(rta);

		if (rta->rta_type == RTA_TABLE && n >= sizeof(table))
			memcpy(&table, RTA_DATA(rta), sizeof(table));
		else if (rta->rta_type == RTA_OIF && n >= sizeof(k->index))
			memcpy(&k->index, RTA_DATA(rta), sizeof(k->index));
		else if (rta->rta_type == RTA_GATEWAY && n <= sizeof(k->addr))
			memcpy(k->addr, RTA_DATA(rta), n);
	}
	*usable = rtm->rtm_dst_len == 0 && table == RT_TABLE_MAIN &&
	    rtm->rtm_type == RTN_UNICAST && !is_loopback(k->index);
	return 1;
}

static int same_key(const struct netwatch_key *a,
    const struct netwatch_key *b)
{
	return a->kind == b->kind && a->family == b->family &&
	    a->index == b->index && memcmp(a->addr, b->addr,
	    sizeof(a->addr)) == 0;
}

static int find(const struct netwatch *nw, const struct netwatch_key *k)
{
	size_t i;

	for (i = 0; i < nw->nknown; i++)
		if (same_key(&nw->known[i], k))
			return (int)i;
	return -1;
}

/* learn - whether k is new: not known yet (a full table forgets
 * nothing, and so answers yes: a flush too many, never one too few). */
static int learn(struct netwatch *nw, const struct netwatch_key *k)
{
	if (find(nw, k) >= 0)
		return 0;	/* a refresh: DHCP, a router's advert */
	if (nw->nknown < NETWATCH_KNOWN)
		nw->known[nw->nknown++] = *k;
	return 1;
}

static void forget(struct netwatch *nw, const struct netwatch_key *k)
{
	int i = find(nw, k);

	if (i >= 0)
		nw->known[i] = nw->known[--nw->nknown];
}

/* dump - ask the kernel for every address (type RTM_GETADDR) or route
 * (RTM_GETROUTE), to learn what is there already; without the answer,
 * the first refresh of each makes a flush too many, nothing worse. */
static void dump(struct netwatch *nw, int type)
{
	struct {
		struct nlmsghdr	h;
		union {
			struct ifaddrmsg	a;
			struct rtmsg		r;
		} u;
	} req;
	struct sockaddr_nl kernel;

	memset(&req, 0, sizeof(req));
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	req.h.nlmsg_len = NLMSG_LENGTH(type == RTM_GETADDR ?
	    sizeof(req.u.a) : sizeof(req.u.r));
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++nw->seq;
	nw->dumping = type;
	if (sendto(nw->fd, &req, req.h.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		nw->dumping = 0;
}

/* dump_next - a dump ended: the routes after the addresses. */
static void dump_next(struct netwatch *nw)
{
	if (nw->dumping == RTM_GETADDR)
		dump(nw, RTM_GETROUTE);
	else
		nw->dumping = 0;
}

/* note - take in message h; why it says the network came up, or NULL
 * (so also for the replies to our own dumps, which only teach). */
static const char *note(struct netwatch *nw, const struct nlmsghdr *h)
{
	struct netwatch_key k;
	int usable, quiet;

	quiet = nw->dumping != 0 && h->nlmsg_pid == nw->portid &&
	    h->nlmsg_seq == nw->seq;
	switch (h->nlmsg_type) {
	case RTM_NEWADDR:
		if (addr_key(h, &k, &usable) && usable && learn(nw, &k) &&
		    !quiet)
			return "a new address";
		return NULL;
	case RTM_NEWROUTE:
		if (route_key(h, &k, &usable) && usable && learn(nw, &k) &&
		    !quiet)
			return "a new default route";
		return NULL;
	case RTM_DELADDR:
		if (addr_key(h, &k, &usable))
			forget(nw, &k);
		return NULL;
	case RTM_DELROUTE:
		if (route_key(h, &k, &usable))
			forget(nw, &k);
		return NULL;
	case NLMSG_DONE:
	case NLMSG_ERROR:
		if (quiet)
			dump_next(nw);
		return NULL;
	}
	return NULL;
}

/* scan - take in the datagram buf[0..len); the first reason it gives
 * that the network came up, or NULL. */
static const char *scan(struct netwatch *nw, const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	unsigned int left = (unsigned int)len;
	const char *why = NULL, *one;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		one = note(nw, h);
		if (why == NULL)
			why = one;
	}
	return why;
}

static void on_settled(uv_timer_t *t)
{
	struct netwatch *nw = t->data;
	const char *why = nw->why;

	nw->why = NULL;
	nw->last_up = uv_now(t->loop);
	nw->up(nw->arg, why);
}

/* complete - whether a usable address and a default route are both
 * known: the network is there, nothing more of the burst is awaited. */
static int complete(const struct netwatch *nw)
{
	int addr = 0, route = 0;
	size_t i;

	for (i = 0; i < nw->nknown; i++) {
		addr |= nw->known[i].kind == 'A';
		route |= nw->known[i].kind == 'R';
	}
	return addr && route;
}

/* event - the network may have come up: call up() once the burst is
 * over, at once when this event completed the network, or earlier than
 * the burst's first event had asked for. */
static void event(struct netwatch *nw, const char *why)
{
	uint64_t now = uv_now(nw->poll.loop), delay;

	delay = complete(nw) ? NETWATCH_QUICK_MS : NETWATCH_SETTLE_MS;
	if (nw->last_up != 0 && nw->last_up + NETWATCH_GAP_MS > now + delay)
		delay = nw->last_up + NETWATCH_GAP_MS - now;
	if (nw->why != NULL) {		/* part of the burst */
		if (uv_timer_get_due_in(&nw->settle) > delay)
			uv_timer_start(&nw->settle, on_settled, delay, 0);
		return;
	}
	nw->why = why;
	uv_timer_start(&nw->settle, on_settled, delay, 0);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct netwatch *nw = p->data;
	struct sockaddr_nl from;
	socklen_t fromlen;
	/* Aligned for the headers; 8 KiB is what the kernel sends at most
	 * in one datagram of these groups. */
	long buf[8192 / sizeof(long)];
	const char *why;
	ssize_t n;

	(void)status;
	(void)events;
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(nw->fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* What we knew may be stale: learn it again. */
			event(nw, "lost network events");
			nw->nknown = 0;
			if (nw->dumping == 0)
				dump(nw, RTM_GETADDR);
			continue;
		}
		if (n <= 0)
			return;	/* EAGAIN: all read */
		if (fromlen != sizeof(from) || from.nl_pid != 0)
			continue;	/* not the kernel's */
		why = scan(nw, buf, (size_t)n);
		if (why != NULL)
			event(nw, why);
	}
}

int netwatch_start(struct netwatch *nw, uv_loop_t *loop, netwatch_fn up,
    void *arg, char **errstr)
{
	struct sockaddr_nl sa;
	socklen_t len;
	int err;

	memset(nw, 0, sizeof(*nw));
	nw->up = up;
	nw->arg = arg;
	nw->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE);
	if (nw->fd < 0) {
		*errstr = xasprintf("cannot watch the network: %s",
		    strerror(errno));
		return EX_OSERR;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
	if (bind(nw->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		*errstr = xasprintf("cannot watch the network: %s",
		    strerror(errno));
		close(nw->fd);
		nw->fd = -1;
		return EX_OSERR;
	}
	err = uv_poll_init_socket(loop, &nw->poll, nw->fd);
	if (err != 0) {
		*errstr = xasprintf("cannot watch the network: %s",
		    uv_strerror(err));
		close(nw->fd);
		nw->fd = -1;
		return EX_OSERR;
	}
	len = sizeof(sa);
	if (getsockname(nw->fd, (struct sockaddr *)&sa, &len) == 0)
		nw->portid = sa.nl_pid;
	dump(nw, RTM_GETADDR);
	nw->poll.data = nw;
	uv_timer_init(loop, &nw->settle);
	nw->settle.data = nw;
	uv_poll_start(&nw->poll, UV_READABLE, on_readable);
	return EX_OK;
}

void netwatch_close(struct netwatch *nw)
{
	if (nw->fd < 0)
		return;
	uv_close((uv_handle_t *)&nw->poll, NULL);
	uv_close((uv_handle_t *)&nw->settle, NULL);
	/* uv_poll does not own the socket: close it after the handle. */
	close(nw->fd);
	nw->fd = -1;
}
