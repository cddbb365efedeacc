/*
 * netwatch - tell the daemon when the machine gets a usable network;
 * internal to src/runner.
 *
 * A netlink socket (NETLINK_ROUTE) joined to the kernel's address and
 * route groups, IPv4 and IPv6, polled on the daemon's libuv loop. An
 * event is "the network came up" when it is:
 *   - a new address that can reach beyond this machine: not on a
 *     loopback interface, of global (or site) scope, not an IPv6
 *     address still tentative (its duplicate detection pending); or
 *   - a new default route of the main table that does not go through a
 *     loopback interface; or
 *   - an overrun of the socket (ENOBUFS): events were lost, one of them
 *     may have been such an event.
 * Everything else (lo's addresses and routes, link-local addresses,
 * deletions, other tables) is read and ignored. So is a refresh: a DHCP
 * client or a router's advert renews an address or route with another
 * NEWADDR or NEWROUTE, so netwatch keeps the usable addresses and
 * default routes it knows (asked of the kernel at the start, then
 * followed), and only one it did not know counts; an address that went
 * and comes back counts again.
 *
 * A burst of such events (a link that comes up brings an address, then
 * routes; DHCP renews) makes one call of up(arg, why), why naming the
 * first of them (a static string): NETWATCH_QUICK_MS after the event
 * that leaves both a usable address and a default route known (the
 * network is complete: the daemon's mail goes within milliseconds), else
 * NETWATCH_SETTLE_MS after the first event (an address whose route is
 * still to come; a network with no default route at all, whose servers
 * are on the link); events until the call are part of that burst, and
 * one that completes the network brings the call forward. A link that
 * flaps gets no more than one call each NETWATCH_GAP_MS: a burst within
 * that time of the last call is answered at its end, not lost.
 *
 * Messages are the kernel's, yet read defensively: every header and
 * attribute is bounds-checked (NLMSG_OK, RTA_OK) before it is read; a
 * message too short for its header is skipped, and a datagram's reading
 * ends at the first header that does not fit in it. Only datagrams
 * from the kernel (port id 0) are read.
 *
 * Ownership: the caller owns struct netwatch (in memory that outlives
 * the loop's closing of its handles). netwatch_start() fails (EX_OSERR,
 * *errstr the caller's) when the socket cannot be had, e.g. in a
 * sandbox without netlink; the daemon then goes on without it.
 * netwatch_close() closes the socket and the handles; the loop must run
 * once more for them to be closed.
 */
#ifndef RUNNER_NETWATCH_H
#define RUNNER_NETWATCH_H

#include <stdint.h>

#include <uv.h>

#define NETWATCH_QUICK_MS	5
#define NETWATCH_SETTLE_MS	1000
#define NETWATCH_GAP_MS		10000
#define NETWATCH_KNOWN		64	/* more: each counts as new */

/* An address (kind 'A': interface, address) or default route ('R':
 * interface, gateway) known to be there. */
struct netwatch_key {
	unsigned char	kind;
	unsigned char	family;
	unsigned char	addr[16];
	int		index;
};

typedef void (*netwatch_fn)(void *arg, const char *why);

struct netwatch {
	uv_poll_t	 poll;
	uv_timer_t	 settle;
	int		 fd;		/* -1: not started */
	const char	*why;		/* the burst's first event */
	uint64_t	 last_up;	/* uv_now() of the last call; 0:
					   none yet */
	struct netwatch_key known[NETWATCH_KNOWN];
	size_t		 nknown;
	unsigned int	 portid;	/* our socket's, for our dumps */
	unsigned int	 seq;		/* of the dump asked for */
	int		 dumping;	/* RTM_GETADDR, RTM_GETROUTE; 0 */
	netwatch_fn	 up;
	void		*arg;
};

int netwatch_start(struct netwatch *nw, uv_loop_t *loop, netwatch_fn up,
    void *arg, char **errstr);
void netwatch_close(struct netwatch *nw);

#endif
