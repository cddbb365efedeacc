/*
 * eyeballs_test - the order in which a Happy Eyeballs connect tries the
 * resolved addresses (eyeballs_order(), RFC 8305 §4): IPv6 first, the
 * families alternating, each in the resolver's order, the rest of the
 * longer family at the end; and the Connection Attempt Delay within the
 * RFC's bounds.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "smtp/eyeballs.h"
#include "unit.h"

#define MAXADDR 8

/* list - a resolver answer from a spec such as "4a 6a 4b": one
 * addrinfo per word, its family from the digit (anything else: AF_UNIX)
 * and its name (ai_canonname) the word itself. */
struct list {
	struct addrinfo	 ai[MAXADDR];
	char		 names[MAXADDR][8];
	size_t		 n;
};

static struct addrinfo *make(struct list *l, const char *spec)
{
	char copy[64], *w, *save = NULL;

	memset(l, 0, sizeof(*l));
	snprintf(copy, sizeof(copy), "%s", spec);
	for (w = strtok_r(copy, " ", &save); w != NULL && l->n < MAXADDR;
	    w = strtok_r(NULL, " ", &save)) {
		struct addrinfo *ai = &l->ai[l->n];

		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", w);
		ai->ai_family = w[0] == '6' ? AF_INET6 :
		    w[0] == '4' ? AF_INET : AF_UNIX;
		ai->ai_canonname = l->names[l->n];
		if (l->n > 0)
			l->ai[l->n - 1].ai_next = ai;
		l->n++;
	}
	return l->n > 0 ? &l->ai[0] : NULL;
}

/* order - eyeballs_order() of spec, as the words in the order tried. */
static const char *order(const char *spec)
{
	static char out[64];
	const struct addrinfo *tried[MAXADDR];
	struct list l;
	struct addrinfo *list = make(&l, spec);
	size_t i, n;

	CHECK_INT(eyeballs_count(list), l.n);
	n = eyeballs_order(list, tried);
	CHECK_INT(n, l.n);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, tried[i]->ai_canonname);
	}
	return out;
}

static void test_ipv6_first(void)
{
	CHECK_STR(order("4a 6a"), "6a 4a");
	CHECK_STR(order("6a 4a"), "6a 4a");
}

static void test_families_alternate(void)
{
	CHECK_STR(order("6a 6b 6c 4a 4b 4c"), "6a 4a 6b 4b 6c 4c");
	CHECK_STR(order("4a 4b 6a 6b"), "6a 4a 6b 4b");
	CHECK_STR(order("4a 6a 4b 6b"), "6a 4a 6b 4b");
}

static void test_longer_family_goes_on(void)
{
	CHECK_STR(order("6a 6b 6c 4a"), "6a 4a 6b 6c");
	CHECK_STR(order("4a 4b 4c 6a"), "6a 4a 4b 4c");
}

static void test_one_family(void)
{
	CHECK_STR(order("4a 4b 4c"), "4a 4b 4c");
	CHECK_STR(order("6a 6b"), "6a 6b");
	CHECK_STR(order("4a"), "4a");
}

static void test_other_families_last(void)
{
	CHECK_STR(order("xa 4a 6a xb"), "6a 4a xa xb");
}

static void test_empty(void)
{
	const struct addrinfo *tried[1];

	CHECK_INT(eyeballs_count(NULL), 0);
	CHECK_INT(eyeballs_order(NULL, tried), 0);
}

static void test_delay_within_rfc_bounds(void)
{
	/* RFC 8305 §5: at least 10 ms (MUST), 100 ms to 2 s recommended. */
	CHECK(EYEBALLS_ATTEMPT_DELAY_MS >= 100);
	CHECK(EYEBALLS_ATTEMPT_DELAY_MS <= 2000);
}

UNIT_MAIN(UNIT_CASE(test_ipv6_first), UNIT_CASE(test_families_alternate),
    UNIT_CASE(test_longer_family_goes_on), UNIT_CASE(test_one_family),
    UNIT_CASE(test_other_families_last), UNIT_CASE(test_empty),
    UNIT_CASE(test_delay_within_rfc_bounds))
