/*
 * spooled - one attempt now at a mail msmtp has spooled; see spooled.h.
 */
#include "client/spooled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "client/report.h"
#include "delivery/along.h"
#include "delivery/attempt.h"
#include "delivery/engine.h"
#include "delivery/logline.h"
#include "delivery/notify.h"
#include "delivery/owed.h"
#include "delivery/runners.h"
#include "mail/dsn.h"
#include "util/xalloc.h"

/* queue_fields - what the queue adds to msmtp's log line. */
static char *queue_fields(const char *id, const struct attempt_result *res)
{
	char next[32] = "";
	struct tm tm;

	if (res->state == MAIL_DEFERRED || res->state == MAIL_UNCERTAIN) {
		localtime_r(&res->next_attempt, &tm);
		strftime(next, sizeof(next), " next=%Y-%m-%dT%H:%M:%S", &tm);
	}
	return xasprintf("queueid=%s attempt=%d outcome=%s%s", id,
	    res->attempt, spool_mail_state_name(res->state), next);
}

/* tell_refusals - msmtp's lines for each recipient the server refused,
 * when the transaction itself went through (per-recipient delivery). */
static void tell_refusals(const struct attempt_result *res)
{
	const struct deliver_rcpt *r;
	size_t i;

	for (i = 0; i < res->rep.nrcpts && i < res->mail.rcpts.n; i++) {
		r = &res->rep.rcpts[i];
		if (r->code == 0 || r->cls == CLASS_OK)
			continue;
		fprintf(stderr, "msmtp: recipient address %s not accepted by "
		    "the server\n", res->mail.rcpts.v[i]);
		if (r->text != NULL)
			report_reply("server message", r->text);
	}
}

/* tell_server - what failed (why) and the server's words for it, as
 * msmtp says them, if the server said any; 0 if it did not (nothing
 * told). A refused recipient's words are told with it instead. */
static int tell_server(const struct attempt_result *res, const char *why)
{
	if (why == NULL || res->rep.outcome.terr != TERR_NONE ||
	    res->rep.reply_text == NULL)
		return 0;
	fprintf(stderr, "msmtp: %s\n", why);
	report_reply("server message", res->rep.reply_text);
	return 1;
}

/* tell_not_taken - msmtp's lines for a transaction that went on (per
 * recipient delivery gives no errmsg) but gave the mail to nobody: the
 * mail refused after its data, or each recipient refused. */
static void tell_not_taken(const struct attempt_result *res)
{
	if (res->rep.outcome.stage != STAGE_EOM) {
		tell_refusals(res);
		return;
	}
	fprintf(stderr, "msmtp: the server did not accept the mail\n");
	if (res->rep.reply_text != NULL)
		report_reply("server message", res->rep.reply_text);
}

/* tell_refused - msmtp's lines for a mail failed in a transaction that
 * went on: when nobody got it, what msmtp says when it could not send
 * the mail; otherwise only the recipients refused. */
static void tell_refused(const struct account *acc,
    const struct attempt_result *res)
{
	if (attempt_anyone_got_it(res)) {
		tell_refusals(res);
	} else if (res->rep.lmtp_partial) {
		report_failure(acc, &res->rep);
	} else {
		tell_not_taken(res);
		report_not_sent(acc);
	}
}

/* What to do when nothing will retry a queued mail (delivery/runners.h). */
#define NO_RUNNER	"no queue runner is active: run 'msmtp-queue " \
			"--flush' when the network is back, or set one up " \
			"(see msmtp-queue(1))"

/*
 * tell_waiting - the last line for a mail left waiting in the queue
 * (why, NULL for no reason): when it will be retried, only if a runner
 * will retry it (delivery/runners.h); otherwise how to get it sent.
 */
static void tell_waiting(const char *spool, const char *why, const char *id,
    time_t next)
{
	char when[32];
	struct tm tm;

	fprintf(stderr, "msmtp: %s%sthe mail is queued as %s", why ? why : "",
	    why ? "; " : "", id);
	if (runner_active(spool) == NULL) {
		fprintf(stderr, "; %s\n", NO_RUNNER);
		return;
	}
	if (next == 0) {
		fputc('\n', stderr);
		return;
	}
	localtime_r(&next, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, " and will be retried after %s\n", when);
}

/*
 * tell_held - msmtp's own lines for a failure the user must fix, then
 * that the mail is kept: exit with msmtp's code for the failure, so that
 * a caller that shows errors only on a failed exit shows it, while one
 * that ignores exit codes (cron) loses nothing.
 */
static int tell_held(const struct account *acc, const char *id,
    const struct attempt_result *res)
{
	if (res->rep.errmsg != NULL)
		report_failure(acc, &res->rep);
	else if (!tell_server(res, "the server refused the account"))
		fprintf(stderr, "msmtp: unknown error\n");
	fprintf(stderr, "msmtp: the mail is held in the queue as %s: fix "
	    "the account, then run 'msmtp-queue --release %s'\n", id, id);
	return res->rep.exitcode != EX_OK ? res->rep.exitcode : EX_SOFTWARE;
}

/* tell_user - what happened to the spooled mail, in a few lines; the
 * exit code (see msmtp(1), EXIT STATUS with a queue). */
static int tell_user(const struct account *acc, const char *spool,
    const char *id, const struct attempt_result *res)
{
	const char *why = res->rep.errmsg;

	switch (res->state) {
	case MAIL_SENT:
		return EX_OK;
	case MAIL_DEFERRED:
	case MAIL_UNCERTAIN:
		if (why == NULL && attempt_anyone_got_it(res)) {
			tell_refusals(res);
			why = "some recipients were refused for now";
		} else if (why == NULL) {
			tell_not_taken(res);
			why = "the server refused for now";
		} else if (tell_server(res, why)) {
			why = "the server refused for now";
		}
		tell_waiting(spool, why, id, res->next_attempt);
		if (res->state == MAIL_UNCERTAIN)
			fprintf(stderr, "msmtp: %s\n", UNCERTAIN_NOTE);
		return EX_OK;
	case MAIL_HELD:
		if (res->held_uncertain) {
			fprintf(stderr, "msmtp: %s\nmsmtp: the mail is held "
			    "in the queue as %s: the server may have it "
			    "already; run 'msmtp-queue --release %s' to send "
			    "it again, or 'msmtp-queue --delete %s'\n",
			    why ? why : "connection lost", id, id, id);
			return EX_OK;
		}
		return tell_held(acc, id, res);
	default:
		break;
	}
	if (why == NULL)
		tell_refused(acc, res);
	else
		report_failure(acc, &res->rep);
	fprintf(stderr, "msmtp: the mail stays in the queue as %s, marked "
	    "failed\n", id);
	if (attempt_exit_tells(res))
		return res->rep.exitcode;
	if (!acc->queue_bounce || !dsn_wanted(res->mail.envelope_from))
		return EX_OK;
	fprintf(stderr, "msmtp: the other recipients got it; the sender "
	    "gets a delivery status notification for those refused");
	if (runner_active(spool) == NULL)
		fprintf(stderr, ", queued; %s", NO_RUNNER);
	fputc('\n', stderr);
	return EX_OK;
}

/* queue_owed - the bounces a partial refusal (or a mail taken along)
 * owes, queued now: exit 0 promises the sender a notice, whether or not
 * a runner ever runs. A spool error is told and left to the runner's
 * next pass. */
static void queue_owed(struct spool *sp, const struct attempt_result *res,
    int taken)
{
	char *errstr = NULL;
	int queued;

	if (taken == 0 && (res->state == MAIL_SENT ||
	    res->state == MAIL_HELD || attempt_exit_tells(res)))
		return;
	if (owed_bounces_queue(sp, &queued, &errstr) != EX_OK)
		fprintf(stderr, "msmtp: %s\n", errstr ? errstr :
		    "cannot queue a bounce");
	free(errstr);
}

int spooled_deliver(struct spool *sp, const struct submission *sub,
    const char *id)
{
	const struct engine_api *engine;
	struct attempt_result res;
	struct along along;
	char *errstr = NULL, *extra;
	int rc, taken;

	engine = engine_load(&errstr);
	if (engine == NULL) {
		tell_waiting(spool_path(sp), errstr, id, 0);
		free(errstr);
		errstr = NULL;
		/* never tried: not a mail a dead deliverer left */
		spool_unclaim(sp, id, &errstr);
		free(errstr);
		return EX_OK;
	}
	along_init(&along, sp, sub->acc, engine, sub->debug);
	rc = attempt_run(sp, id, sub->acc, engine, sub->debug, along_extend,
	    &along, &res, &errstr);
	taken = along.taken;
	along_free(&along);
	if (rc != EX_OK) {
		/* The mail is spooled; a runner will find it. */
		tell_waiting(spool_path(sp), errstr, id, 0);
		free(errstr);
		attempt_result_free(&res);
		return EX_OK;
	}
	extra = logline_with_hint(queue_fields(id, &res), res.hint);
	logline_delivery(sub->acc, sub->rcpts, &res.rep, extra);
	free(extra);
	queue_owed(sp, &res, taken);
	rc = tell_user(sub->acc, spool_path(sp), id, &res);
	notify_attempt(sub->acc, &res);
	attempt_result_free(&res);
	return rc;
}
