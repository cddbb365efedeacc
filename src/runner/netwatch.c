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

/* usable_address - a new address this machine can reach others from. */
static int usable_address(const struct nlmsghdr *h)
{
	const struct ifaddrmsg *ifa;
	const struct rtattr *rta;
	unsigned int flags;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	ifa = NLMSG_DATA(h);
	flags = ifa->ifa_flags;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFA_FLAGS &&
		    RTA_PAYLOAD(rta) >= sizeof(unsigned int))
			memcpy(&flags, RTA_DATA(rta), sizeof(flags));
	if (ifa->ifa_scope >= RT_SCOPE_LINK)
		return 0;	/* host or link: no way out */
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;	/* a NEWADDR follows when DAD is done */
	return !is_loopback(ifa->ifa_index);
}

/* default_route - a new default route of the main table, not via lo. */
static int default_route(const struct nlmsghdr *h)
{
	const struct rtmsg *rtm;
	const struct rtattr *rta;
	unsigned int table, oif = 0;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	rtm = NLMSG_DATA(h);
	table = rtm->rtm_table;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) < sizeof(unsigned int))
			continue;
		if (rta->rta_type == RTA_TABLE)
			memcpy(&table, RTA_DATA(rta), sizeof(table));
		else if (rta->rta_type == RTA_OIF)
			memcpy(&oif, RTA_DATA(rta), sizeof(oif));
	}
	if (rtm->rtm_dst_len != 0 || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST)
		return 0;
	return !is_loopback(oif);
}

/* classify - why h says the network came up, or NULL. */
static const char *classify(const struct nlmsghdr *h)
{
	if (h->nlmsg_type == RTM_NEWADDR && usable_address(h))
		return "a new address";
	if (h->nlmsg_type == RTM_NEWROUTE && default_route(h))
		return "a new default route";
	return NULL;
}

/* scan - the first event of the datagram buf[0..len) that counts. */
static const char *scan(const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	unsigned int left = (unsigned int)len;
	const char *why;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
			return NULL;
		why = classify(h);
		if (why != NULL)
			return why;
	}
	return NULL;
}

static void on_settled(uv_timer_t *t)
{
	struct netwatch *nw = t->data;
	const char *why = nw->why;

	nw->why = NULL;
	nw->last_up = uv_now(t->loop);
	nw->up(nw->arg, why);
}

static void event(struct netwatch *nw, const char *why)
{
	uint64_t now = uv_now(nw->poll.loop), delay = NETWATCH_SETTLE_MS;

	if (nw->why != NULL)
		return;		/* part of the burst */
	nw->why = why;
	if (nw->last_up != 0 && nw->last_up + NETWATCH_GAP_MS > now + delay)
		delay = nw->last_up + NETWATCH_GAP_MS - now;
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
			event(nw, "lost network events");
			continue;
		}
		if (n <= 0)
			return;	/* EAGAIN: all read */
		if (fromlen != sizeof(from) || from.nl_pid != 0)
			continue;	/* not the kernel's */
		why = scan(buf, (size_t)n);
		if (why != NULL)
			event(nw, why);
	}
}

int netwatch_start(struct netwatch *nw, uv_loop_t *loop, netwatch_fn up,
    void *arg, char **errstr)
{
	struct sockaddr_nl sa;
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
