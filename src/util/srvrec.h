/*
 * srvrec - one DNS SRV record (RFC 2782) for a service name, through
 * the system resolver.
 *
 * srvrec_lookup() asks the resolver of /etc/resolv.conf (res_nquery, so
 * the name is taken as it is: no search list is tried) for the SRV
 * records of a name such as "_submission._tcp.example.org", and picks
 * one with srvrec_parse(). srvrec_parse() reads a DNS reply, bytes from
 * the network, and so trusts nothing in it: libresolv's ns_initparse()
 * and ns_parserr() walk the message within its length, and dn_expand()
 * reads the target name and gives it in presentation form (special
 * characters and bytes that are not printable escaped as \X or \DDD: the
 * text holds no space, quote or line break of its own).
 *
 * The choice is msmtp's: only SRV records of class IN count, and not
 * those whose target is the root (".", RFC 2782's "the service is
 * decidedly not available at this domain"); of the others, the lowest
 * priority, then the highest weight, then the first in the reply.
 * RFC 2782's weighted random pick is not made: the same DNS data always
 * gives the same answer.
 *
 * Both return EX_OK with *out filled (out->host newly allocated: the
 * caller frees it), or EX_NOHOST with *out untouched when there is no
 * usable record, whatever the reason: the name has none, the resolver
 * failed or timed out, the reply was malformed. Their caller, msmtp's
 * --configure, tells these apart no more than msmtp does.
 */
#ifndef UTIL_SRVREC_H
#define UTIL_SRVREC_H

#include <stddef.h>

struct srvrec {
	char		*host;	/* the target, no trailing dot */
	unsigned	 port;
};

int srvrec_lookup(const char *name, struct srvrec *out);
int srvrec_parse(const unsigned char *msg, size_t len, struct srvrec *out);

#endif
