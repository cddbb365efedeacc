/*
 * worker - one SMTP session of a group: log in once, then claim, send
 * and record the group's mails one after another; see drain.h.
 *
 * Every attempt is recorded against a claimed mail, the failures to
 * connect or log in too: the mail is claimed before the session is
 * opened, so the open's failure is that mail's attempt (classified as
 * attempt.c says, like the front end's), and a server that cannot be
 * reached at all trips the group's circuit breaker. After any failed
 * result the engine has closed the connection; the next mail opens a
 * new session, until 3 transactions in a row have failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "client/engine.h"
#include "runner/drain.h"
#include "util/xalloc.h"

#define MAX_FAILURES	3

extern const struct engine_api msmtp_engine;

struct worker {
	struct group		*g;
	struct smtp_session	*s;		/* NULL: not connected */
	struct deliver_job	 job;		/* the session's account */
	struct deliver_setup	 su;
	int			 failures;	/* failed in a row */
	/* the mail in flight */
	struct attempt_result	 res;
	struct deliver_job	 mjob;
	struct smtp_mail	 mail;
	struct spool_body	*body;
	/* its record, waiting for the commit */
	struct spool_attempt	 a;
	struct spool_rcpt_result *rr;
	struct spool_step	 step;
	struct worker		*next_pending;
};

static void next_mail(struct worker *w);
static int more(const struct worker *w);

/* rmqs_of - what to ETRN after delivering, or NULL. */
static const char *rmqs_of(const struct worker *w)
{
	return w->g->d->o->rmqs != NULL ? w->g->d->o->rmqs : w->g->acc->rmqs;
}

static void worker_free(struct worker *w)
{
	struct group *g = w->g;

	deliver_setup_free(&w->su);
	free(w->rr);
	free(w);
	group_worker_ended(g);
}

static void on_quit(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	(void)r;
	smtp_session_free(s);
	worker_free(arg);
}

/* on_etrn - the server's answer to ETRN, said once; then goodbye. */
static void on_etrn(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct worker *w = arg;

	if (r->outcome.cls != CLASS_OK) {
		fprintf(stderr, "msmtp-queue: ETRN %s: %s\n", rmqs_of(w),
		    r->errmsg ? r->errmsg : "refused");
		if (r->errmsg != NULL) {	/* the session is over */
			smtp_session_free(s);
			worker_free(w);
			return;
		}
	}
	smtp_session_quit(s, on_quit, w);
}

/* end - say goodbye if still connected, then free. */
static void end(struct worker *w)
{
	if (w->s != NULL)
		smtp_session_quit(w->s, on_quit, w);
	else
		worker_free(w);
}

/*
 * finish - the worker has no more mail. When the account or --rmqs asks
 * for RMQS (RFC 1985), the server is asked to run its queue once, after
 * the group's last delivery: the first connected worker to finish waits
 * (parked) while others still deliver, and the last one to finish sends
 * ETRN on its own connection or on the parked one.
 */
static void finish(struct worker *w)
{
	struct group *g = w->g;
	int last = ++g->finishing == g->sessions;
	struct worker *carrier;

	if (rmqs_of(w) == NULL) {
		end(w);
		return;
	}
	if (!last) {
		if (w->s != NULL && g->parked == NULL)
			g->parked = w;
		else
			end(w);
		return;
	}
	carrier = w->s != NULL ? w : g->parked;
	if (g->parked != NULL && g->parked != carrier)
		end(g->parked);
	g->parked = NULL;
	if (carrier != w)
		end(w);
	if (carrier != NULL && g->sent > 0 && !g->d->stopping)
		smtp_session_etrn(carrier->s, rmqs_of(carrier), on_etrn,
		    carrier);
	else if (carrier != NULL)
		end(carrier);
}

/* disconnect - the engine closed the connection after a failure. */
static void disconnect(struct worker *w)
{
	smtp_session_free(w->s);
	w->s = NULL;
	deliver_setup_free(&w->su);
}

/* load - the mail id, just claimed, ready to send. */
static int load(struct worker *w, const char *id)
{
	struct drain *d = w->g->d;
	char *err = NULL;
	int rc;

	rc = attempt_begin(d->sp, id, &msmtp_engine, &w->res, &err);
	if (rc == EX_OK)
		rc = spool_body_open(d->sp, id, &w->body, &err);
	if (rc == EX_OK) {
		deliver_report_init(&w->res.rep);
		return 1;
	}
	drain_fail(d, rc, err);
	attempt_result_free(&w->res);
	return 0;
}

/* claim - the group's next mail that is still ours to try, loaded. */
static int claim(struct worker *w)
{
	struct group *g = w->g;
	struct drain *d = g->d;
	char id[SPOOL_ID_LEN + 1], *err = NULL;
	int rc;

	while (g->next < g->ids.n) {
		snprintf(id, sizeof(id), "%s", g->ids.v[g->next++]);
		/* --flush tries each planned mail once, due or not. */
		rc = d->o->force ? spool_claim(d->sp, time(NULL), NULL, id,
		    &err) : spool_claim_due(d->sp, time(NULL), id, &err);
		if (rc == EX_NOINPUT)	/* another runner took it */
			continue;
		if (rc == EX_OK)
			return load(w, id);
		drain_fail(d, rc, err);
		return 0;
	}
	return 0;
}

/* more - whether the session goes on after the attempt just made. */
static int more(const struct worker *w)
{
	return !w->g->d->stopping && !w->g->down &&
	    w->failures < MAX_FAILURES;
}

static void go(struct worker *w);

/* done - classify the attempt of the mail in flight and queue its
 * record, with the claim of the next mail when the session goes on. */
static void done(struct worker *w)
{
	struct group *g = w->g;
	struct drain *d = g->d;

	spool_body_close(w->body);
	w->body = NULL;
	w->rr = attempt_classify(&w->res, g->acc, &w->a);
	w->a.bounce = g->acc->queue_bounce;
	if (!attempt_reached(&w->res.rep))
		group_down(g, w->a.now);
	w->failures = w->res.state == MAIL_SENT ? 0 : w->failures + 1;
	g->sent += w->res.state == MAIL_SENT;
	memset(&w->step, 0, sizeof(w->step));
	w->step.id = w->res.mail.id;
	w->step.a = &w->a;
	w->step.due = !d->o->force;
	if (more(w) && g->next < g->ids.n)
		snprintf(w->step.next, sizeof(w->step.next), "%s",
		    g->ids.v[g->next++]);
	w->next_pending = d->pending;
	d->pending = w;
	drain_commit_later(d);
}

/* committed - the record is in (rc EX_OK) or not: go on, or stop. */
static void committed(struct worker *w, int rc)
{
	struct drain *d = w->g->d;

	free(w->rr);
	w->rr = NULL;
	if (rc == EX_OK)
		progress_attempt(&d->prog, w->g->acc, &w->res);
	attempt_result_free(&w->res);
	if (rc != EX_OK)
		finish(w);
	else if (w->step.next[0] == '\0')
		next_mail(w);	/* none claimed: look further */
	else if (load(w, w->step.next))
		go(w);
	else
		finish(w);
}

/* commit_work - the batch's transaction, in the thread pool: only the
 * writer connection and the batch are touched here. */
/* must_sync - whether this batch's commit is fsynced: at least every
 * SPOOL_SYNC_MS, and whenever a session has no next mail (it may be the
 * pass's last commit for a long while: the daemon then sleeps). */
static int must_sync(const struct drain *d, uint64_t now)
{
	size_t i;

	if (now - d->synced_ms >= SPOOL_SYNC_MS)
		return 1;
	for (i = 0; i < d->nsteps; i++)
		if (d->steps[i].next[0] == '\0')
			return 1;
	return 0;
}

static void commit_work(uv_work_t *req)
{
	struct drain *d = req->data;
	uint64_t now = uv_hrtime() / 1000000;
	int durable = must_sync(d, now);

	if (durable)
		spool_set_durable(d->wsp, 1);
	d->batch_rc = spool_record_claim(d->wsp, d->steps, d->nsteps,
	    time(NULL), &d->batch_err);
	if (durable) {
		spool_set_durable(d->wsp, 0);
		if (d->batch_rc == EX_OK)
			d->synced_ms = now;
	}
}

/* commit_done - back on the loop: each session of the batch goes on,
 * and what ended meanwhile is committed next. */
static void commit_done(uv_work_t *req, int status)
{
	struct drain *d = req->data;
	struct worker *w, *next;
	size_t i;
	int rc = d->batch_rc;

	if (status != 0 && rc == EX_OK) {
		rc = EX_SOFTWARE;
		d->batch_err = xstrdup("the commit was cancelled");
	}
	if (rc != EX_OK) {
		drain_fail(d, rc, d->batch_err);
		d->batch_err = NULL;
	}
	for (w = d->batch, i = 0; w != NULL; w = next, i++) {
		next = w->next_pending;
		memcpy(w->step.next, d->steps[i].next, sizeof(w->step.next));
		committed(w, rc);
	}
	free(d->steps);
	d->steps = NULL;
	d->batch = NULL;
	d->committing = 0;
	if (d->pending != NULL)
		drain_commit_later(d);
}

void worker_commit(struct drain *d)
{
	struct worker *w;
	size_t i;

	if (d->committing || d->pending == NULL)
		return;		/* commit_done() comes back for these */
	d->batch = d->pending;
	d->pending = NULL;
	d->nsteps = 0;
	for (w = d->batch; w != NULL; w = w->next_pending)
		d->nsteps++;
	d->steps = xcalloc(d->nsteps, sizeof(*d->steps));
	for (w = d->batch, i = 0; w != NULL; w = w->next_pending)
		d->steps[i++] = w->step;
	d->committing = 1;
	d->batch_err = NULL;
	if (d->wsp == NULL || uv_queue_work(d->loop, &d->work, commit_work,
	    commit_done) != 0) {
		d->batch_rc = spool_record_claim(d->sp, d->steps, d->nsteps,
		    time(NULL), &d->batch_err);
		commit_done(&d->work, 0);
	}
}

static void on_sent(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct worker *w = arg;

	(void)s;
	deliver_keep(&w->res.rep, r);
	if (r->outcome.cls != CLASS_OK)
		disconnect(w);
	done(w);
}

static void send_mail(struct worker *w)
{
	struct group *g = w->g;

	if (deliver_dsn_refused(&w->su, w->s, &w->res.rep)) {
		done(w);
		return;
	}
	attempt_job(&w->res, g->acc, w->body, g->d->o->debug, &w->mjob);
	deliver_mail_init(&w->mjob, &w->su, &w->mail);
	smtp_session_send(w->s, &w->mail, on_sent, w);
}

static void on_open(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct worker *w = arg;

	(void)s;
	if (r->outcome.cls != CLASS_OK) {
		deliver_keep(&w->res.rep, r);
		disconnect(w);
		done(w);
		return;
	}
	w->g->opened = 1;
	group_grow(w->g);
	send_mail(w);
}

/* connect - a new session for the mail in flight. */
static void connect_session(struct worker *w)
{
	if (deliver_setup(&w->job, &w->su, &w->res.rep) != EX_OK) {
		deliver_setup_free(&w->su);
		done(w);	/* passwordeval failed: held */
		return;
	}
	w->s = smtp_session_new(w->g->d->loop, &w->su.params);
	smtp_session_open(w->s, on_open, w);
}

/* go - send the loaded mail, connecting first if need be. */
static void go(struct worker *w)
{
	if (w->s == NULL)
		connect_session(w);
	else
		send_mail(w);
}

static void next_mail(struct worker *w)
{
	if (more(w) && claim(w))
		go(w);
	else
		finish(w);
}

void worker_start(struct group *g)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	w->g = g;
	w->job.acc = g->acc;
	w->job.debug = g->d->o->debug;
	w->job.kind = DELIVER_KIND_MAIL;
	g->sessions++;
	g->d->workers++;
	next_mail(w);
}
