/*
 * worker - one SMTP session of a group: log in once, then claim, send
 * and record the group's mails one after another; see drain.h.
 *
 * The session overlaps each mail with the bookkeeping around it: the
 * next mail is claimed and loaded (in the commit of the record before)
 * while the current one is sent, and the current one's record commits
 * while the next is sent. So a session holds at most three mails: one
 * being recorded (rec), one being sent (cur), one claimed ahead; and at
 * most one step (record, claim, or claim given back) is committing, so
 * a mail that ends before its predecessor's record is in waits (held).
 * The window in which a crash can send a mail twice is unchanged: from
 * the server's reply to the commit of that mail's own record. A claim
 * ahead that the session does not use (it stops) is given back.
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

/* One mail of the session: being sent, or its record being committed. */
struct slot {
	struct attempt_result	  res;
	struct spool_body	 *body;
	struct deliver_job	  mjob;
	struct smtp_mail	  mail;
	struct spool_attempt	  a;
	struct spool_rcpt_result *rr;
};

struct worker {
	struct group		*g;
	struct smtp_session	*s;		/* NULL: not connected */
	struct deliver_job	 job;		/* the session's account */
	struct deliver_setup	 su;
	int			 failures;	/* failed in a row */
	struct slot		 slots[2];
	struct slot		*cur;		/* being sent, or held */
	struct slot		*rec;		/* in the step's record */
	int			 sending;
	int			 held;		/* cur ended; its record waits
						   for the step to be free */
	struct spool_mail	 ahead;		/* claimed and loaded */
	struct spool_body	*ahead_body;
	int			 has_ahead;
	struct spool_step	 step;		/* queued or committing */
	int			 stepping;
	struct worker		*next_pending;
};

static void advance(struct worker *w);

/* rmqs_of - what to ETRN after delivering, or NULL. */
static const char *rmqs_of(const struct worker *w)
{
	return w->g->d->o->rmqs != NULL ? w->g->d->o->rmqs : w->g->acc->rmqs;
}

static void worker_free(struct worker *w)
{
	struct group *g = w->g;

	deliver_setup_free(&w->su);
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

/* more - whether the session goes on after the attempt just made. */
static int more(const struct worker *w)
{
	return !w->g->d->stopping && !w->g->down &&
	    w->failures < MAX_FAILURES;
}

static void go(struct worker *w);

/* start_ahead - the mail claimed ahead becomes the one sent. */
static void start_ahead(struct worker *w)
{
	struct slot *c = w->cur;

	attempt_adopt(&w->ahead, &msmtp_engine, &c->res);
	c->body = w->ahead_body;
	w->ahead_body = NULL;
	w->has_ahead = 0;
	deliver_report_init(&c->res.rep);
	w->sending = 1;
	go(w);
}

/*
 * queue_step - queue what the session has for the spool: the record of
 * the mail that ended, the claim of the next mail while none is ahead,
 * or the claim ahead given back once the session stops; and start the
 * mail ahead if the session is free to send it. 0: nothing to do.
 */
static int queue_step(struct worker *w)
{
	struct group *g = w->g;
	struct drain *d = g->d;
	struct spool_step *st = &w->step;
	int start;

	if (w->stepping)
		return 1;
	memset(st, 0, sizeof(*st));
	st->due = !d->o->force;
	st->reader = d->sp;
	if (w->held) {
		w->rec = w->cur;
		w->cur = w->rec == &w->slots[0] ? &w->slots[1] : &w->slots[0];
		w->held = 0;
		st->id = w->rec->res.mail.id;
		st->a = &w->rec->a;
	}
	start = w->has_ahead && more(w) && !w->sending;
	if (w->has_ahead && !more(w))
		st->unclaim = w->ahead.id;
	if (more(w) && (start || !w->has_ahead) && g->next < g->ids.n)
		snprintf(st->next, sizeof(st->next), "%s",
		    g->ids.v[g->next++]);
	if (st->id != NULL || st->unclaim != NULL || st->next[0] != '\0') {
		w->stepping = 1;
		w->next_pending = d->pending;
		d->pending = w;
		drain_commit_later(d);
	}
	if (start)
		start_ahead(w);
	return w->stepping || start;
}

/* advance - the session's next move, after any event. */
static void advance(struct worker *w)
{
	if (queue_step(w))
		return;
	if (!w->sending && !w->held && !w->has_ahead)
		finish(w);
}

/* done - classify the attempt of the mail sent; its record follows. */
static void done(struct worker *w)
{
	struct group *g = w->g;
	struct slot *c = w->cur;

	w->sending = 0;
	spool_body_close(c->body);
	c->body = NULL;
	c->rr = attempt_classify(&c->res, g->acc, &c->a);
	c->a.bounce = g->acc->queue_bounce;
	if (!attempt_reached(&c->res.rep))
		group_down(g, c->a.now);
	w->failures = c->res.state == MAIL_SENT ? 0 : w->failures + 1;
	g->sent += c->res.state == MAIL_SENT;
	w->held = 1;
	advance(w);
}

/* committed - the step is in (rc EX_OK) or not: go on, or stop. */
static void committed(struct worker *w, int rc)
{
	struct drain *d = w->g->d;
	struct slot *r = w->rec;

	w->stepping = 0;
	if (w->step.id != NULL) {
		if (rc == EX_OK)
			progress_attempt(&d->prog, w->g->acc, &r->res);
		free(r->rr);
		r->rr = NULL;
		attempt_result_free(&r->res);
	}
	if (w->step.unclaim != NULL) {
		spool_mail_free(&w->ahead);
		spool_body_close(w->ahead_body);
		w->ahead_body = NULL;
		w->has_ahead = 0;
	}
	if (rc == EX_OK && w->step.next[0] != '\0') {
		w->ahead = w->step.mail;
		w->ahead_body = w->step.body;
		w->has_ahead = 1;
	}
	advance(w);
}

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

/* commit_work - the batch's transaction, in the thread pool: only the
 * writer connection and the batch are touched here. */
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
		w->step = d->steps[i];
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
	deliver_keep(&w->cur->res.rep, r);
	if (r->outcome.cls != CLASS_OK)
		disconnect(w);
	done(w);
}

static void send_mail(struct worker *w)
{
	struct group *g = w->g;
	struct slot *c = w->cur;

	if (deliver_dsn_refused(&w->su, w->s, &c->res.rep)) {
		done(w);
		return;
	}
	attempt_job(&c->res, g->acc, c->body, g->d->o->debug, &c->mjob);
	deliver_mail_init(&c->mjob, &w->su, &c->mail);
	smtp_session_send(w->s, &c->mail, on_sent, w);
}

static void on_open(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct worker *w = arg;

	(void)s;
	if (r->outcome.cls != CLASS_OK) {
		deliver_keep(&w->cur->res.rep, r);
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
	if (deliver_setup(&w->job, &w->su, &w->cur->res.rep) != EX_OK) {
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

void worker_start(struct group *g)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	w->g = g;
	w->job.acc = g->acc;
	w->job.debug = g->d->o->debug;
	w->job.kind = DELIVER_KIND_MAIL;
	w->cur = &w->slots[0];
	g->sessions++;
	g->d->workers++;
	advance(w);
}
