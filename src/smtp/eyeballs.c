/*
 * eyeballs - the order of a Happy Eyeballs connect; see eyeballs.h.
 */
#include "smtp/eyeballs.h"

#include <sys/socket.h>

size_t eyeballs_count(const struct addrinfo *list)
{
	size_t n = 0;

	for (; list != NULL; list = list->ai_next)
		n++;
	return n;
}

/* next_of - the first address of family fam (0: neither IPv4 nor IPv6)
 * at or after ai. */
static const struct addrinfo *next_of(const struct addrinfo *ai, int fam)
{
	for (; ai != NULL; ai = ai->ai_next) {
		int f = ai->ai_family;

		if (fam == 0 ? f != AF_INET && f != AF_INET6 : f == fam)
			return ai;
	}
	return NULL;
}

size_t eyeballs_order(const struct addrinfo *list,
    const struct addrinfo **out)
{
	const struct addrinfo *v6 = next_of(list, AF_INET6);
	const struct addrinfo *v4 = next_of(list, AF_INET);
	const struct addrinfo *other;
	size_t n = 0;

	while (v6 != NULL || v4 != NULL) {
		if (v6 != NULL) {
			out[n++] = v6;
			v6 = next_of(v6->ai_next, AF_INET6);
		}
		if (v4 != NULL) {
			out[n++] = v4;
			v4 = next_of(v4->ai_next, AF_INET);
		}
	}
	for (other = next_of(list, 0); other != NULL;
	    other = next_of(other->ai_next, 0))
		out[n++] = other;
	return n;
}
