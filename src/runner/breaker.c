/*
 * breaker - the runner's circuit breaker; see breaker.h.
 */
#include "runner/breaker.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

time_t breaker_until(const struct account *acc, time_t now)
{
	return now + acc->queue_backoff_min;
}

void breaker_trip(struct breaker **list, const char *key, time_t until)
{
	struct breaker *b = xcalloc(1, sizeof(*b));

	b->key = xstrdup(key);
	b->until = until;
	b->next = *list;
	*list = b;
}

const struct breaker *breaker_holding(const struct breaker *list,
    const char *key, time_t now)
{
	const struct breaker *b;

	for (b = list; b != NULL; b = b->next)
		if (strcmp(b->key, key) == 0 && b->until > now)
			return b;
	return NULL;
}

void breaker_prune(struct breaker **list, time_t now, int all)
{
	struct breaker **bp = list, *b;

	while ((b = *bp) != NULL) {
		if (!all && b->until > now) {
			bp = &b->next;
			continue;
		}
		*bp = b->next;
		free(b->key);
		free(b);
	}
}
