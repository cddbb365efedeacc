/*
 * drain - deliver what the spool holds, one attempt per mail; see
 * runner.h.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "client/attempt.h"
#include "client/engine.h"
#include "client/report.h"
#include "util/xalloc.h"

extern const struct engine_api msmtp_engine;

/* mail_account - the account a spooled mail was queued with, plus the
 * password from the configuration (the spool never stores one). */
static struct account *mail_account(struct spool *sp, const char *id,
    const struct conf *conf, char **errstr)
{
	struct spool_mail m;
	struct account *acc, *cur;
	int rc;

	if (spool_load(sp, id, &m, errstr) != EX_OK)
		return NULL;
	acc = account_new(m.account[0] ? m.account : NULL);
	acc->conffile = m.conffile ? xstrdup(m.conffile) : NULL;
	rc = conf_undump(m.settings, acc, errstr);
	cur = m.account[0] ? conf_find(conf, m.account) : NULL;
	if (rc == EX_OK && cur != NULL && cur->password != NULL &&
	    acc->password == NULL)
		acc->password = xstrdup(cur->password);
	spool_mail_free(&m);
	if (rc != EX_OK) {
		account_free(acc);
		return NULL;
	}
	return acc;
}

static char *log_fields(const char *id, const struct attempt_result *res)
{
	char next[32] = "";
	struct tm tm;

	if (res->state == MAIL_DEFERRED) {
		localtime_r(&res->next_attempt, &tm);
		strftime(next, sizeof(next), " next=%Y-%m-%dT%H:%M:%S", &tm);
	}
	return xasprintf("queueid=%s attempt=%d outcome=%s%s%s", id,
	    res->attempt, spool_mail_state_name(res->state),
	    res->mail.uncertain ? " duplicate=possible" : "", next);
}

/* deliver_one - one attempt of a claimed mail; its new state. */
static int deliver_one(struct spool *sp, const char *id,
    const struct runner_opts *o, enum spool_mail_state *state, char **errstr)
{
	struct attempt_result res;
	struct account *acc;
	char *fields;
	int rc;

	acc = mail_account(sp, id, o->conf, errstr);
	if (acc == NULL)
		return EX_SOFTWARE;
	rc = attempt_run(sp, id, acc, &msmtp_engine, o->debug, &res, errstr);
	if (rc == EX_OK) {
		fields = log_fields(id, &res);
		report_log(acc, &res.mail.rcpts, &res.rep, fields);
		if (o->verbose)
			printf("%s %s%s%s\n", id,
			    spool_mail_state_name(res.state),
			    res.rep.errmsg ? ": " : "",
			    res.rep.errmsg ? res.rep.errmsg : "");
		free(fields);
		*state = res.state;
	}
	attempt_result_free(&res);
	account_free(acc);
	return rc;
}

/* next_id - the next mail to claim: from the flush's list, or "" for
 * whatever is due; 0 when the flush's list is done. */
static int next_id(const struct strlist *list, size_t *pos,
    char id[SPOOL_ID_LEN + 1])
{
	if (list == NULL) {
		id[0] = '\0';
		return 1;
	}
	if (*pos >= list->n)
		return 0;
	snprintf(id, SPOOL_ID_LEN + 1, "%s", list->v[(*pos)++]);
	return 1;
}

int runner_drain(struct spool *sp, const struct runner_opts *o,
    char **errstr)
{
	char id[SPOOL_ID_LEN + 1];
	enum spool_mail_state state;
	struct strlist list;
	size_t pos = 0;
	int rc = EX_OK, waiting;

	strlist_init(&list);
	/* A flush tries each mail that waits now, once, due or not. */
	if (o->force)
		rc = spool_waiting(sp, o->account, &list, errstr);
	while (rc == EX_OK && next_id(o->force ? &list : NULL, &pos, id)) {
		rc = spool_claim(sp, time(NULL), o->account, id, errstr);
		if (rc == EX_NOINPUT) {
			rc = EX_OK;	/* another runner took it */
			if (!o->force)
				break;
			continue;
		}
		if (rc == EX_OK)
			rc = deliver_one(sp, id, o, &state, errstr);
	}
	/* Whatever still waits, tried now or not due yet, says 75. */
	strlist_free(&list);
	if (rc == EX_OK)
		rc = spool_waiting(sp, o->account, &list, errstr);
	waiting = list.n > 0;
	strlist_free(&list);
	if (rc != EX_OK)
		return rc;
	return waiting ? EX_TEMPFAIL : EX_OK;
}
