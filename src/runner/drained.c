/*
 * drained - the "drained" event at the end of a pass; see drain.h.
 */
#include "runner/drain.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "delivery/notify.h"
#include "util/xalloc.h"

/* command - the group's queue_notify, or NULL when it has none or sent
 * nothing in this pass. */
static const char *command(const struct group *g)
{
	if (g->acc == NULL || g->sent == 0 || g->acc->queue_notify == NULL ||
	    g->acc->queue_notify[0] == '\0')
		return NULL;
	return g->acc->queue_notify;
}

/* told_before - whether a group before g has g's command (it ran). */
static int told_before(const struct drain *d, const struct group *g)
{
	const struct group *h;
	const char *c;

	for (h = d->groups; h != g; h = h->next_group)
		if ((c = command(h)) != NULL && strcmp(c, command(g)) == 0)
			return 1;
	return 0;
}

/* drained_by - the accounts of the groups from g on with g's command,
 * each once, ", " between them; *sent: the mails they sent. */
static char *drained_by(const struct group *g, int *sent)
{
	const char *cmd = command(g), *c, *name;
	const struct group *h;
	struct strlist names;
	char *joined;
	size_t i;

	strlist_init(&names);
	*sent = 0;
	for (h = g; h != NULL; h = h->next_group) {
		if ((c = command(h)) == NULL || strcmp(c, cmd) != 0)
			continue;
		*sent += h->sent;
		name = h->acc->id ? h->acc->id : "";
		for (i = 0; i < names.n; i++)
			if (strcmp(names.v[i], name) == 0)
				break;
		if (i == names.n)
			strlist_add(&names, name);
	}
	joined = strlist_join(&names, ", ");
	strlist_free(&names);
	return joined;
}

/* nothing_waits - whether the spool has no mail waiting at all. */
static int nothing_waits(struct drain *d)
{
	struct strlist left;
	char *err = NULL;
	int rc, empty;

	strlist_init(&left);
	rc = spool_waiting(d->sp, NULL, &left, &err);
	empty = rc == EX_OK && left.n == 0;
	strlist_free(&left);
	free(err);
	return empty;
}

void drain_tell_drained(struct drain *d)
{
	struct notify_event ev;
	struct group *g;
	char *accounts, *why;
	int any = 0, sent;

	for (g = d->groups; g != NULL; g = g->next_group)
		any |= command(g) != NULL;
	if (!any || !nothing_waits(d))
		return;
	for (g = d->groups; g != NULL; g = g->next_group) {
		if (command(g) == NULL || told_before(d, g))
			continue;
		accounts = drained_by(g, &sent);
		why = xasprintf("%d mail%s sent; nothing waits", sent,
		    sent == 1 ? "" : "s");
		memset(&ev, 0, sizeof(ev));
		ev.event = "drained";
		ev.account = accounts;
		ev.reason = why;
		notify_run(command(g), &ev);
		free(why);
		free(accounts);
	}
}
