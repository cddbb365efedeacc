/*
 * worker - one SMTP session of a group: log in once, then claim, send
 * and record the group's mails one after another; see drain.h.
 *
 * The session overlaps each mail with the bookkeeping around it: the
 * next AHEAD mails are claimed and loaded (by the commits of earlier
 * records) while the current one is sent, and each mail's record is
 * queued for the next commit as soon as its attempt ends, so the
 * session goes on at once. With PIPELINING, the next mail's commands go
 * out behind the current one's final dot (smtp_session_send_next()):
 * one round trip per mail, not two. When the transaction before it fails
 * (the session ends, as msmtp's does), the piped mail goes on as the
 * next one would: the server got its commands but no data, so it was
 * not tried. The window in which a crash can send a mail
 * twice is unchanged: from the server's reply to the commit of that
 * mail's own record. Claims ahead that the session does not use (it
 * stops) are given back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "account/oauth2.h"
#include "delivery/attempt.h"
#include "delivery/engine.h"
#include "runner/drain.h"
#include "util/xalloc.h"

#define MAX_FAILURES	3
/* Mails claimed ahead of the one sent. A claim waits for the commit in
 * progress and then its own, two batch times, which over loopback span
 * several mails; with 2 a session waited for its next mail one time in
 * two. The price: a runner killed -9 leaves up to AHEAD claimed mails
 * per session that it never sent, which the next runner cannot tell
 * from sent ones and treats as uncertain (resent once, or held). */
#define AHEAD		8

/* One attempt: being sent, then in the commit of its record. */
struct slot {
	struct attempt_result	  res;
	struct spool_body	 *body;
	struct deliver_job	  mjob;
	struct smtp_mail	  mail;
	struct spool_attempt	  a;
	struct spool_rcpt_result *rr;
	uint64_t		  reply_ns;	/* window.h; 0: off */
};

/* A mail claimed and loaded, not yet sent. */
struct ready {
	struct spool_mail	 mail;
	struct spool_body	*body;
};

struct worker {
	struct group		*g;
	struct smtp_session	*s;		/* NULL: not connected */
	struct deliver_job	 job;		/* the session's account */
	struct deliver_setup	 su;
	uv_work_t		 fetch;		/* the OAuth2 token, off the
						   loop */
	struct deliver_token	 token;
	int			 fetched;	/* token is for this connect */
	int			 failures;	/* failed in a row */
	struct slot		*cur;		/* being sent; NULL: none */
	struct slot		*piped;		/* its commands behind cur's */
	struct ready		 ahead[AHEAD];	/* oldest first */
	size_t			 nahead;
	int			 claims;	/* claims not yet committed */
	int			 outstanding;	/* steps not yet committed */
};

/* One queued spool step, as the runner sees it. */
struct commit_job {
	struct worker		*w;
	struct slot		*rec;		/* record this attempt */
	struct ready		 given_back;	/* unclaim this mail */
	char			 next[SPOOL_ID_LEN + 1]; /* claim this */
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
	deliver_token_free(&w->token);
	free(w);
	group_worker_ended(g);
}

static void on_quit(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct worker *w = arg;

	(void)r;
	deliver_tls_keep(&w->job, &w->su, s);
	smtp_session_free(s);
	worker_free(w);
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
	deliver_tls_keep(&w->job, &w->su, w->s);
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

static void ready_free(struct ready *r)
{
	spool_mail_free(&r->mail);
	spool_body_close(r->body);
	r->body = NULL;
}

static void slot_free(struct slot *c)
{
	spool_body_close(c->body);
	free(c->rr);
	attempt_result_free(&c->res);
	free(c);
}

/* unslot - a slot never sent, as the ready mail it was made of. */
static struct ready unslot(struct slot *c)
{
	struct ready r;

	r.mail = c->res.mail;
	memset(&c->res.mail, 0, sizeof(c->res.mail));
	r.body = c->body;
	c->body = NULL;
	slot_free(c);
	return r;
}

/* pop_ahead - the oldest mail claimed ahead, taken off the list. */
static struct ready pop_ahead(struct worker *w)
{
	struct ready r = w->ahead[0];

	w->nahead--;
	memmove(&w->ahead[0], &w->ahead[1], w->nahead * sizeof(w->ahead[0]));
	return r;
}

/* queue_job - a step for the next commit; see drain.h. */
static struct commit_job *queue_job(struct worker *w)
{
	struct drain *d = w->g->d;
	struct commit_job *j;

	if (d->nqueued == d->queued_cap) {
		d->queued_cap = d->queued_cap ? 2 * d->queued_cap : 16;
		d->queued = xreallocarray(d->queued, d->queued_cap,
		    sizeof(*d->queued));
	}
	j = &d->queued[d->nqueued++];
	memset(j, 0, sizeof(*j));
	j->w = w;
	w->outstanding++;
	drain_commit_later(d);
	return j;
}

static void go(struct worker *w);

/* slot_next - the oldest mail claimed ahead, made ready to send. */
static struct slot *slot_next(struct worker *w)
{
	struct ready r = pop_ahead(w);
	struct slot *c = xcalloc(1, sizeof(*c));

	attempt_adopt(&r.mail, &msmtp_engine, &c->res);
	c->body = r.body;
	deliver_report_init(&c->res.rep);
	return c;
}

/* slot_mail - c's job and the engine's mail, on this session's setup. */
static void slot_mail(struct worker *w, struct slot *c)
{
	attempt_job(&c->res, w->g->acc, c->body, w->g->d->o->debug, &c->mjob);
	deliver_mail_init(&c->mjob, &w->su, &c->mail);
}

/* start_next - send the oldest mail claimed ahead. */
static void start_next(struct worker *w)
{
	w->cur = slot_next(w);
	go(w);
}

static void on_sent(struct smtp_session *s, const struct smtp_result *r,
    void *arg);

/* pipe_next - with a transaction in progress, the next mail's commands
 * behind its dot. The DSN check of send_mail() is the session's and
 * the account's, passed already by the mail in progress. */
static void pipe_next(struct worker *w)
{
	struct slot *c;

	if (w->piped != NULL || w->nahead == 0 || !more(w) || w->s == NULL ||
	    !smtp_session_can_send_next(w->s))
		return;
	c = slot_next(w);
	slot_mail(w, c);
	w->piped = c;
	smtp_session_send_next(w->s, &c->mail, on_sent, w);
}

/* unpipe - after the transaction before it: the piped mail is the one
 * in progress now; or, if the session forgot it (that transaction
 * failed, or ended before its dot), it goes as the next mail would, on
 * this session or a new one, or back to the spool if the worker stops. */
static void unpipe(struct worker *w)
{
	struct slot *c = w->piped;

	w->piped = NULL;
	if (w->s != NULL && smtp_session_has_mail(w->s, &c->mail)) {
		w->cur = c;		/* its replies are coming */
		return;
	}
	if (more(w)) {
		w->cur = c;
		go(w);
		return;
	}
	queue_job(w)->given_back = unslot(c);
}

/*
 * advance - the session's next move, after any event: send the next
 * mail if free to; keep AHEAD mails claimed while it goes on, or give
 * them back once it stops; finish when nothing is left in hand.
 */
static void advance(struct worker *w)
{
	struct group *g = w->g;
	struct commit_job *j;

	if (w->cur == NULL && w->piped != NULL)
		unpipe(w);
	if (w->cur == NULL && w->nahead > 0 && more(w))
		start_next(w);
	if (w->cur != NULL)
		pipe_next(w);
	if (more(w)) {
		while (w->nahead + (size_t)w->claims < AHEAD &&
		    g->next < g->ids.n) {
			j = queue_job(w);
			snprintf(j->next, sizeof(j->next), "%s",
			    g->ids.v[g->next++]);
			w->claims++;
		}
	} else {
		while (w->nahead > 0)
			queue_job(w)->given_back = pop_ahead(w);
	}
	if (w->cur == NULL && w->piped == NULL && w->nahead == 0 &&
	    w->outstanding == 0)
		finish(w);
}

/* done - classify the attempt of the mail sent and queue its record. */
static void done(struct worker *w)
{
	struct group *g = w->g;
	struct slot *c = w->cur;

	w->cur = NULL;
	spool_body_close(c->body);
	c->body = NULL;
	c->rr = attempt_classify(&c->res, g->acc, &c->a);
	if (!attempt_reached(&c->res.rep))
		group_down(g, c->a.now);
	w->failures = c->res.state == MAIL_SENT ? 0 : w->failures + 1;
	g->sent += c->res.state == MAIL_SENT;
	queue_job(w)->rec = c;
	advance(w);
}

/* committed - one step of the batch is in (rc EX_OK) or not. */
static void committed(struct commit_job *j, struct spool_step *st, int rc)
{
	struct worker *w = j->w;
	struct drain *d = w->g->d;

	w->outstanding--;
	if (j->rec != NULL) {
		if (rc == EX_OK)
			progress_attempt(&d->prog, w->g->acc, &j->rec->res);
		if (rc == EX_OK && j->rec->res.state == MAIL_SENT)
			window_committed(d->win, j->rec->reply_ns,
			    d->batch_done_ns);
		slot_free(j->rec);
	}
	if (rc == EX_OK && w->g->down && j->given_back.mail.id[0] != '\0')
		strlist_add(&w->g->untried, j->given_back.mail.id);
	ready_free(&j->given_back);
	if (st->damaged != NULL) {	/* held, not claimed */
		fprintf(stderr, "msmtp-queue: %s\n", st->damaged);
		free(st->damaged);
		st->damaged = NULL;
	}
	if (j->next[0] != '\0') {
		w->claims--;
		if (rc == EX_OK && st->next[0] != '\0') {
			w->ahead[w->nahead].mail = st->mail;
			w->ahead[w->nahead++].body = st->body;
		}
	}
	advance(w);
}

/* commit_work - the batch's transaction, in the thread pool: only the
 * writer connection and the batch are touched here. */
static void commit_work(uv_work_t *req)
{
	struct drain *d = req->data;

	if (d->batch_durable)
		spool_set_durable(d->wsp, 1);
	d->batch_rc = spool_record_claim(d->wsp, d->steps, d->nsteps,
	    time(NULL), &d->batch_err);
	d->batch_done_ns = window_now(d->win);
	if (d->batch_durable)
		spool_set_durable(d->wsp, 0);
}

/* commit_done - back on the loop: each session of the batch goes on,
 * and what was queued meanwhile is committed next. */
static void commit_done(uv_work_t *req, int status)
{
	struct drain *d = req->data;
	struct commit_job *batch = d->batch;
	struct spool_step *steps = d->steps;
	size_t i, n = d->nsteps;
	int rc = d->batch_rc;

	if (status != 0 && rc == EX_OK) {
		rc = EX_SOFTWARE;
		d->batch_err = xstrdup("the commit was cancelled");
	}
	if (rc != EX_OK) {
		drain_fail(d, rc, d->batch_err);
		d->batch_err = NULL;
	}
	if (rc == EX_OK && d->wsp != NULL)
		syncer_committed(&d->sync, d->batch_durable);
	d->batch = NULL;
	d->steps = NULL;
	d->committing = 0;
	for (i = 0; i < n; i++)
		committed(&batch[i], &steps[i], rc);
	progress_flush(&d->prog);
	if (rc == EX_OK && (d->batch_durable || d->wsp == NULL))
		window_durable(d->win, d->batch_done_ns);
	free(batch);
	free(steps);
	if (d->nqueued > 0)
		drain_commit_later(d);
}

/* batch_steps - the spool's view of the batch's jobs. */
static struct spool_step *batch_steps(struct drain *d)
{
	struct spool_step *steps = xcalloc(d->nsteps, sizeof(*steps));
	struct commit_job *j;
	size_t i;

	for (i = 0; i < d->nsteps; i++) {
		j = &d->batch[i];
		if (j->rec != NULL) {
			steps[i].id = j->rec->res.mail.id;
			steps[i].a = &j->rec->a;
		}
		if (j->given_back.mail.id[0] != '\0')
			steps[i].unclaim = j->given_back.mail.id;
		memcpy(steps[i].next, j->next, sizeof(steps[i].next));
		steps[i].due = !drain_forced(d);
		steps[i].reader = d->sp;
	}
	return steps;
}

void worker_commit(struct drain *d)
{
	if (d->committing || d->nqueued == 0)
		return;		/* commit_done() comes back for these */
	d->batch = d->queued;
	d->nsteps = d->nqueued;
	d->queued = NULL;
	d->nqueued = d->queued_cap = 0;
	d->steps = batch_steps(d);
	d->batch_durable = syncer_wants_fsync(&d->sync);
	d->committing = 1;
	d->batch_err = NULL;
	if (d->wsp == NULL || uv_queue_work(d->loop, &d->work, commit_work,
	    commit_done) != 0) {
		d->batch_rc = spool_record_claim(d->sp, d->steps, d->nsteps,
		    time(NULL), &d->batch_err);
		d->batch_done_ns = window_now(d->win);
		commit_done(&d->work, 0);
	}
}

static void on_sent(struct smtp_session *s, const struct smtp_result *r,
    void *arg)
{
	struct worker *w = arg;

	(void)s;
	w->cur->reply_ns = window_now(w->g->d->win);
	deliver_keep(&w->cur->res.rep, r);
	if (r->outcome.cls != CLASS_OK)
		disconnect(w);
	done(w);
}

static void send_mail(struct worker *w)
{
	struct slot *c = w->cur;

	if (deliver_dsn_refused(&w->su, w->s, &c->res.rep)) {
		done(w);
		return;
	}
	slot_mail(w, c);
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
	deliver_tls_keep(&w->job, &w->su, s);	/* for the sessions to come */
	w->g->opened = 1;
	group_grow(w->g);
	send_mail(w);
}

static void connect_session(struct worker *w);

/* fetch_work - the account's OAuth2 token, in a thread of libuv's pool:
 * a token endpoint that is slow to answer holds this session only. */
static void fetch_work(uv_work_t *req)
{
	struct worker *w = req->data;

	deliver_token_fetch(w->job.acc, &w->token);
}

static void fetch_done(uv_work_t *req, int status)
{
	struct worker *w = req->data;

	(void)status;	/* never cancelled: the pool runs it */
	w->fetched = 1;
	connect_session(w);
}

/* fetch_token - start fetching the token first, if the account needs
 * one; 0 when it does not (or it is here). */
static int fetch_token(struct worker *w)
{
	if (w->fetched || !oauth2_wanted(w->job.acc))
		return 0;
	w->fetch.data = w;
	if (uv_queue_work(w->g->d->loop, &w->fetch, fetch_work,
	    fetch_done) != 0)
		return 0;	/* deliver_setup() fetches it on the loop */
	return 1;
}

/* connect - a new session for the mail in flight. */
static void connect_session(struct worker *w)
{
	int rc;

	if (fetch_token(w))
		return;
	w->job.token = w->fetched ? &w->token : NULL;
	rc = deliver_setup(&w->job, &w->su, &w->cur->res.rep);
	w->job.token = NULL;
	w->fetched = 0;
	deliver_token_free(&w->token);
	if (rc != EX_OK) {
		deliver_setup_free(&w->su);
		done(w);	/* passwordeval failed: held */
		return;
	}
	if (w->su.params.timeout <= 0)	/* nobody waits for a runner */
		w->su.params.timeout = ATTEMPT_UNATTENDED_TIMEOUT;
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
	w->job.password_hint = g->password_hint;
	w->job.tls_cache = &g->d->tls.c;
	g->sessions++;
	g->d->workers++;
	advance(w);
}
