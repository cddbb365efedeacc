/*
 * along - the account's due mail, carried by msmtp's own session; see
 * along.h.
 */
#include "delivery/along.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "account/conf.h"
#include "account/snapshot.h"
#include "delivery/logline.h"
#include "util/xalloc.h"

void along_init(struct along *a, struct spool *sp, const struct account *acc,
    const struct engine_api *engine, int debug)
{
	memset(a, 0, sizeof(*a));
	a->sp = sp;
	a->acc = acc;
	a->engine = engine;
	a->debug = debug;
	buf_init(&a->settings);
	strlist_init(&a->ids);
}

static int same_str(const char *x, const char *y)
{
	return x == NULL || y == NULL ? x == y : strcmp(x, y) == 0;
}

/* same_session - whether settings (a snapshot) are a's, but for how
 * the mail was to be delivered (-odq, -odi): the session is the same. */
static int same_session(const struct along *a, const char *settings)
{
	struct account *acc = account_new(NULL);
	struct buf norm;
	char *err = NULL;
	int same = 0;

	buf_init(&norm);
	if (snapshot_undump(settings, acc, &err) == EX_OK) {
		acc->delivery_mode = a->acc->delivery_mode;
		snapshot_dump(acc, &norm);
		same = norm.len == a->settings.len &&
		    memcmp(norm.data, a->settings.data, norm.len) == 0;
	}
	free(err);
	buf_free(&norm);
	account_free(acc);
	return same;
}

/* pick - a spool_waiting_fn: the due mails of the same session. */
static void pick(const struct spool_waiting_mail *w, void *arg)
{
	struct along *a = arg;

	if (a->ids.n >= ALONG_MAX || w->next_attempt > time(NULL) ||
	    !same_str(w->conffile, a->conffile) ||
	    !same_session(a, w->settings))
		return;
	strlist_add(&a->ids, w->id);
}

/* claim_next - the next due mail claimed and loaded into a->res and
 * a->body; 0 when none is left. */
static int claim_next(struct along *a)
{
	char *err = NULL;
	const char *id;
	int rc;

	while (a->next < a->ids.n) {
		id = a->ids.v[a->next++];
		rc = spool_claim_due(a->sp, time(NULL), id, &err);
		if (rc == EX_OK)
			rc = attempt_begin(a->sp, id, a->engine, &a->res, &err);
		if (rc == EX_OK)
			rc = spool_body_open(a->sp, id, &a->body, &err);
		free(err);
		err = NULL;
		if (rc == EX_OK)
			return 1;
		/* claimed but unreadable: given back untried, not left for
		 * a runner to take for a dead deliverer's (uncertain) */
		spool_unclaim(a->sp, id, &err);
		free(err);
		err = NULL;
		attempt_result_free(&a->res);
	}
	return 0;
}

/* more - deliver_job.more: the next mail, within the bounds. */
static const struct deliver_job *more(void *arg)
{
	struct along *a = arg;
	char *err = NULL;

	if (a->taken >= ALONG_MAX || time(NULL) >= a->deadline)
		return NULL;
	if (!a->listed) {
		a->listed = 1;
		if (spool_waiting_each(a->sp, a->acc->id, pick, a, &err) !=
		    EX_OK) {
			free(err);
			return NULL;
		}
	}
	if (!claim_next(a))
		return NULL;
	a->taken++;
	attempt_job(&a->res, a->acc, a->body, a->debug, &a->job);
	return &a->job;
}

/* more_done - deliver_job.more_done: record the attempt and log it. The
 * report is the engine's, freed by it: a->res borrows it meanwhile. */
static void more_done(void *arg, const struct deliver_job *job,
    const struct deliver_report *rep)
{
	struct along *a = arg;
	char *err = NULL, *extra;

	(void)job;
	spool_body_close(a->body);
	a->body = NULL;
	a->res.rep = *rep;
	if (attempt_record(a->sp, a->acc, &a->res, &err) == EX_OK) {
		extra = xasprintf("queueid=%s attempt=%d outcome=%s",
		    a->res.mail.id, a->res.attempt,
		    spool_mail_state_name(a->res.state));
		extra = logline_with_hint(extra, a->res.hint);
		logline_delivery(a->acc, &a->res.mail.rcpts, &a->res.rep, extra);
		free(extra);
	}
	free(err);
	memset(&a->res.rep, 0, sizeof(a->res.rep));
	attempt_result_free(&a->res);
}

void along_extend(void *arg, const struct attempt_result *res,
    struct deliver_job *job)
{
	struct along *a = arg;

	free(a->conffile);
	a->conffile = res->mail.conffile ? xstrdup(res->mail.conffile) : NULL;
	buf_reset(&a->settings);
	snapshot_dump(a->acc, &a->settings);
	a->deadline = time(NULL) + ALONG_SECONDS;
	job->more = more;
	job->more_done = more_done;
	job->more_arg = a;
}

void along_free(struct along *a)
{
	spool_body_close(a->body);
	attempt_result_free(&a->res);
	strlist_free(&a->ids);
	buf_free(&a->settings);
	free(a->conffile);
	memset(a, 0, sizeof(*a));
}
