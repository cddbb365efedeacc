/*
 * breaker - the runner's circuit breaker; internal to src/runner.
 *
 * A group of mails (one account snapshot, drain.h) is "down" when an
 * attempt of its did not reach the server at all (attempt_reached():
 * no such host, the resolver failed, connection refused or timed out).
 * Its key is then remembered (breaker_trip()) until breaker_until():
 * the account's queue_backoff_min after that moment. While a breaker
 * holds (breaker_holding()), later passes of the same drain (the
 * daemon) skip the group's mails, which spends none of their attempts;
 * a flush (the network came up) forgets every breaker
 * (breaker_prune(..., all)), and each pass first forgets those whose
 * time is over, so that a daemon's list does not grow with every retry
 * of an account that stays down.
 *
 * Ownership: the list is the caller's (struct drain.breakers: NULL when
 * empty); breaker_trip() copies the key; breaker_prune() with all set
 * frees the whole list. Every function but those two is pure.
 */
#ifndef RUNNER_BREAKER_H
#define RUNNER_BREAKER_H

#include <time.h>

#include "account/account.h"

struct breaker {
	char		*key;		/* the group's (plan_key()) */
	time_t		 until;		/* skip the group before this */
	struct breaker	*next;
};

/* breaker_until - when the breaker of acc's group, down at now, ends. */
time_t breaker_until(const struct account *acc, time_t now);
/* breaker_trip - remember key as down until until (first in the list). */
void breaker_trip(struct breaker **list, const char *key, time_t until);
/* breaker_holding - the breaker that keeps key's group from a pass at
 * now, or NULL: one for key whose time is not over. */
const struct breaker *breaker_holding(const struct breaker *list,
    const char *key, time_t now);
/* breaker_prune - forget the breakers whose time is over at now; every
 * one if all. */
void breaker_prune(struct breaker **list, time_t now, int all);

#endif
