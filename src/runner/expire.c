/*
 * expire - a runner's pass fails the held mails whose queue_lifetime is
 * over (queue/expire.c says from when it counts), so that a mail held
 * for a user who never comes ends in a bounce to its sender, as a
 * deferred one does, instead of waiting for ever. See runner.h.
 */
#include "runner/runner.h"

#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "account/snapshot.h"
#include "queue/backoff.h"

/* expire_one - a spool_held_fn. A snapshot that cannot be read says
 * nothing about the mail's lifetime: the mail stays held, for the user
 * that the damage already needs. */
static int expire_one(struct spool *sp, const char *id, const char *settings,
    time_t since, void *arg, char **errstr)
{
	struct account *acc = account_new(NULL);
	struct backoff_policy policy;
	time_t now = time(NULL);
	char *err = NULL;
	int rc = EX_OK;

	(void)arg;
	if (snapshot_undump(settings, acc, &err) == EX_OK) {
		policy.min = acc->queue_backoff_min;
		policy.max = acc->queue_backoff_max;
		policy.lifetime = acc->queue_lifetime;
		if (backoff_expired(&policy, since, now))
			rc = spool_expire_held(sp, id, now, acc->queue_bounce,
			    errstr);
	}
	free(err);
	account_free(acc);
	return rc;
}

int runner_expire_held(struct spool *sp, const char *account, char **errstr)
{
	return spool_held_each(sp, account, expire_one, NULL, errstr);
}
