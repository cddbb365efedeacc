/*
 * plan - the rules of a pass's plan; see plan.h.
 */
#include "runner/plan.h"

#include <string.h>

#include "util/xalloc.h"

int plan_wanted(const struct strlist *only, const char *id)
{
	size_t i;

	if (only == NULL)
		return 1;
	for (i = 0; i < only->n; i++)
		if (strcmp(only->v[i], id) == 0)
			return 1;
	return 0;
}

int plan_due(const struct spool_waiting_mail *w, int forced, time_t now)
{
	return forced || w->next_attempt <= now;
}

char *plan_key(const struct spool_waiting_mail *w)
{
	return xasprintf("%s\n%s\n%lld", w->account, w->conffile ?
	    w->conffile : "", w->snapshot);
}

int plan_to_hold(const struct spool_waiting_mail *w,
    const struct account *acc)
{
	return w->uncertain && acc != NULL &&
	    acc->queue_uncertain == UNCERTAIN_HOLD;
}

void plan_later(time_t *earliest, time_t when)
{
	if (*earliest == 0 || when < *earliest)
		*earliest = when;
}
