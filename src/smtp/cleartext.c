/*
 * cleartext - the clear text rule's questions (see auth.h), apart from
 * the SASL code so that msmtp's front end, which links no SASL library,
 * asks them the same way as the engine.
 */
#include "smtp/auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int smtp_auth_clear_text(const char *mech)
{
	return strcmp(mech, "PLAIN") == 0 || strcmp(mech, "LOGIN") == 0 ||
	    strcmp(mech, "OAUTHBEARER") == 0 || strcmp(mech, "XOAUTH2") == 0;
}

/* literal_loopback - host is a loopback address as written, so that a
 * direct connection to it is known to be on loopback before it is made
 * (a name may resolve anywhere: the session decides then). */
static int literal_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (host == NULL)
		return 0;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

int smtp_auth_may_refuse(const char *mech, int tls, const char *host,
    int via_proxy, int via_socket)
{
	if (tls || mech == NULL || !smtp_auth_clear_text(mech) || via_socket)
		return 0;
	return via_proxy || !literal_loopback(host);
}
