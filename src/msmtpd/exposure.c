/*
 * exposure - refuse an open relay or a cleartext password off loopback;
 * see exposure.h.
 */
#include "msmtpd/exposure.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "util/xalloc.h"

int exposure_loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

/* stdin_address - with --inetd, the local address of the socket on
 * standard input, numeric; "" when it is no network socket. */
static void stdin_address(char *out, size_t outmax)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const void *a = NULL;

	out[0] = '\0';
	if (getsockname(0, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss.ss_family, a, out,
	    (socklen_t)outmax) == NULL)
		out[0] = '\0';
}

int exposure_check(const struct opts *o, char **errstr)
{
	char where[INET6_ADDRSTRLEN];

	if (o->inetd)
		stdin_address(where, sizeof(where));
	else
		snprintf(where, sizeof(where), "%s", o->interface);
	if (where[0] == '\0' || exposure_loopback(where))
		return EX_OK;
	if (o->auth_user == NULL && !o->allow_open_relay) {
		*errstr = xasprintf("refusing to serve on %s without --auth: "
		    "anyone who can connect could send mail through your "
		    "accounts (an open relay); use --auth, or give "
		    "--allow-open-relay if a firewall keeps out everyone "
		    "else", where);
		return EX_CONFIG;
	}
	if (o->auth_user != NULL && !o->allow_cleartext_auth) {
		*errstr = xasprintf("refusing to serve AUTH on %s: msmtpd has "
		    "no TLS, so the password would cross the network in "
		    "clear; listen on 127.0.0.1 behind a TLS proxy, or give "
		    "--allow-cleartext-auth if the network is trusted",
		    where);
		return EX_CONFIG;
	}
	return EX_OK;
}
