/*
 * drain - the work list of a pass: plan it from the spool, group it by
 * account snapshot, run the groups' sessions, and trip the circuit
 * breaker; see drain.h (the rules: plan.h and breaker.h). runner_drain() (--flush, --run) is one pass on its own
 * loop; see runner.h.
 */
#include "runner/drain.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "account/passrule.h"
#include "account/select.h"
#include "account/snapshot.h"
#include "delivery/notify.h"
#include "runner/plan.h"
#include "util/xalloc.h"

/* open_writer - the connection the commits run on, off the loop; if it
 * cannot be had, they run on the loop's own (slower, as correct). */
static void open_writer(struct drain *d)
{
	char *err = NULL;

	if (spool_open(spool_path(d->sp), &d->wsp, &err) == EX_OK) {
		spool_batch(d->wsp);
		spool_account_alias(d->wsp, d->o->account,
		    d->o->account_alias);
	}
	else
		d->wsp = NULL;
	free(err);
}

void drain_init(struct drain *d, uv_loop_t *loop, struct spool *sp,
    const struct runner_opts *o)
{
	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->sp = sp;
	d->o = o;
	d->rc = EX_OK;
	progress_init(&d->prog, o->verbose);
	tlscache_init(&d->tls, sp, 0);
	uv_idle_init(loop, &d->commit);
	d->commit.data = d;
	d->work.data = d;
	open_writer(d);
	syncer_init(&d->sync, loop, d->wsp);
	d->win = window_new();
	d->sync.win = d->win;
}

static void on_commit(uv_idle_t *h)
{
	uv_idle_stop(h);
	worker_commit(h->data);
}

/* An idle handle, not a check handle: it keeps the loop from blocking
 * in poll while a commit is due, whatever queued it. */
void drain_commit_later(struct drain *d)
{
	uv_idle_start(&d->commit, on_commit);
}

void drain_close(struct drain *d)
{
	uv_close((uv_handle_t *)&d->commit, NULL);
	syncer_close(&d->sync);
}

/* snapshot_account - the account the mail was queued with, plus the
 * password its own configuration file gives it (the spool never stores
 * one), by the rule of account/passrule.h; *hint as password_configured()
 * gives it. NULL and *damage saying why if the snapshot is not one that
 * msmtp could have queued mail with (damaged, or lost). */
static struct account *snapshot_account(const struct spool_waiting_mail *w,
    const struct conf *conf, char **hint, char **damage)
{
	struct account *acc;
	char *err = NULL;

	*hint = NULL;
	acc = account_new(w->account[0] ? w->account : NULL);
	acc->conffile = w->conffile ? xstrdup(w->conffile) : NULL;
	if (snapshot_undump(w->settings, acc, &err) != EX_OK ||
	    account_check(acc, 0, &err) != EX_OK) {
		*damage = xasprintf("its account settings are damaged (%s)",
		    err);
		free(err);
		account_free(acc);
		return NULL;
	}
	acc->password = password_configured(acc, conf, hint);
	return acc;
}

static void group_free(struct group *g)
{
	account_free(g->acc);
	free(g->password_hint);
	free(g->damage);
	free(g->key);
	free(g->ids.v);
	strlist_free(&g->to_hold);
	strlist_free(&g->untried);
	free(g);
}

static void free_groups(struct drain *d)
{
	struct group *g, *next;

	for (g = d->groups; g != NULL; g = next) {
		next = g->next_group;
		group_free(g);
	}
	d->groups = NULL;
}

/* find_group - the group of key, created (last, so that groups start
 * in the order of their oldest mail) on first use. */
static struct group *find_group(struct drain *d, const char *key,
    const struct spool_waiting_mail *w)
{
	struct group **gp, *g;

	for (gp = &d->groups; *gp != NULL; gp = &(*gp)->next_group)
		if (strcmp((*gp)->key, key) == 0)
			return *gp;
	g = xcalloc(1, sizeof(*g));
	g->acc = snapshot_account(w, d->o->conf, &g->password_hint,
	    &g->damage);
	g->d = d;
	g->key = xstrdup(key);
	strlist_init(&g->to_hold);
	strlist_init(&g->untried);
	*gp = g;
	return g;
}

/* broken - whether key's breaker still holds at now; the pass after
 * this one is due when it ends. */
static int broken(struct drain *d, const char *key, time_t now)
{
	const struct breaker *b = breaker_holding(d->breakers, key, now);

	if (b == NULL)
		return 0;
	plan_later(&d->earliest, b->until);
	return 1;
}

struct plan {
	struct drain	*d;
	time_t		 now;
	int		 rc;
	char		*errstr;
};

/* idvec_add - id at the end of v (cut to SPOOL_ID_LEN, as a claim
 * would cut it). */
static void idvec_add(struct idvec *v, const char *id)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
	}
	snprintf(v->v[v->n++], sizeof(*v->v), "%s", id);
}

static void plan_mail(const struct spool_waiting_mail *w, void *arg)
{
	struct plan *pl = arg;
	struct drain *d = pl->d;
	struct group *g;
	char *key;

	if (pl->rc != EX_OK || !plan_wanted(d->o->only, w->id))
		return;
	if (!plan_due(w, drain_forced(d), pl->now)) {
		plan_later(&d->earliest, w->next_attempt);
		return;
	}
	key = plan_key(w);
	if (!broken(d, key, pl->now)) {
		g = find_group(d, key, w);
		if (plan_to_hold(w, g->acc)) {
			strlist_add(&g->to_hold, w->id);
		} else {
			idvec_add(&g->ids, w->id);
			d->prog.total += g->acc != NULL;
		}
	}
	free(key);
}

/* hold_group - the mails of a damaged snapshot wait for a human. */
static int hold_group(struct drain *d, struct group *g, char **errstr)
{
	char *msg = NULL;
	size_t i;
	int rc;

	for (i = 0; i < g->ids.n; i++) {
		rc = spool_hold_damaged(d->sp, g->ids.v[i], g->damage, &msg);
		if (rc == EX_DATAERR)
			fprintf(stderr, "msmtp-queue: %s\n", msg);
		free(msg);
		msg = NULL;
		if (rc != EX_DATAERR && rc != EX_NOINPUT) {
			*errstr = xstrdup("cannot hold a damaged mail");
			return rc;
		}
	}
	return EX_OK;
}

int drain_forced(const struct drain *d)
{
	return d->o->force || d->flush;
}

/* hold_uncertain - the group's mails taken back from a deliverer that
 * died wait for the user under queue_uncertain hold, as an uncertain
 * attempt's would (delivery/attempt.h); queue_notify hears it once. */
static int hold_uncertain(struct drain *d, struct group *g, char **errstr)
{
	struct notify_event ev;
	size_t i, held = 0;
	int rc;

	for (i = 0; i < g->to_hold.n; i++) {
		rc = spool_hold_uncertain(d->sp, g->to_hold.v[i],
		    ATTEMPT_HELD_UNCERTAIN, errstr);
		if (rc == EX_NOINPUT)
			continue;
		if (rc != EX_OK)
			return rc;
		if (held++ == 0) {
			memset(&ev, 0, sizeof(ev));
			ev.event = "held";
			ev.id = g->to_hold.v[i];
			ev.account = g->acc->id ? g->acc->id : "";
			ev.reason = ATTEMPT_HELD_UNCERTAIN;
			notify_run(g->acc->queue_notify, &ev);
		}
		if (d->o->verbose)
			printf("%s held: %s\n", g->to_hold.v[i],
			    ATTEMPT_HELD_UNCERTAIN);
	}
	return EX_OK;
}

/* prune_sent - a pass with nothing to send still forgets the sent mails
 * kept long enough (drop_sent_bytes() does it after one that sent). */
static void prune_sent(struct drain *d)
{
	char *err = NULL;
	int rc;

	rc = spool_prune_sent(d->sp, time(NULL), &err);
	if (rc != EX_OK)
		drain_fail(d, rc, err);
}

int drain_plan(struct drain *d, char **errstr)
{
	struct plan pl = { d, time(NULL), EX_OK, NULL };
	struct group *g;
	int rc;

	free_groups(d);
	breaker_prune(&d->breakers, pl.now, d->flush);
	progress_init(&d->prog, d->o->verbose);
	d->earliest = 0;
	d->planning = 1;
	rc = runner_expire_held(d->sp, d->o->account, errstr);
	if (rc == EX_OK)
		rc = spool_waiting_each(d->sp, d->o->account, plan_mail, &pl,
		    errstr);
	if (rc == EX_OK && pl.rc != EX_OK) {
		rc = pl.rc;
		*errstr = pl.errstr;
		pl.errstr = NULL;
	}
	free(pl.errstr);
	for (g = d->groups; rc == EX_OK && g != NULL; g = g->next_group)
		if (g->acc == NULL)
			rc = hold_group(d, g, errstr);
	for (g = d->groups; rc == EX_OK && g != NULL; g = g->next_group)
		if (g->acc != NULL && g->to_hold.n > 0)
			rc = hold_uncertain(d, g, errstr);
	for (g = d->groups; rc == EX_OK && g != NULL; g = g->next_group)
		if (g->acc != NULL && g->ids.n > 0)
			worker_start(g);
	d->planning = 0;
	if (d->workers == 0 && rc == EX_OK)
		prune_sent(d);
	if (d->workers == 0 && d->on_idle != NULL)
		d->on_idle(d);
	return rc;
}

int group_may_grow(const struct group *g)
{
	return !g->d->stopping && !g->down && g->opened &&
	    g->sessions < g->acc->queue_max_connections &&
	    g->next < g->ids.n;
}

void group_grow(struct group *g)
{
	while (group_may_grow(g))
		worker_start(g);
}

void group_down(struct group *g, time_t now)
{
	time_t until = breaker_until(g->acc, now);

	g->down = 1;
	breaker_trip(&g->d->breakers, g->key, until);
	plan_later(&g->d->earliest, until);
}

/* drop_sent_bytes - at the end of a pass, the bytes of the mails it
 * sent (see spool_drop_sent_bytes()), fsynced: this makes the pass's
 * last records durable too; then the records of the mails sent longer
 * ago than their account's queue_keep_sent. No commit is in flight
 * now. */
static void drop_sent_bytes(struct drain *d)
{
	struct spool *sp = d->wsp != NULL ? d->wsp : d->sp;
	char *err = NULL;
	int rc;

	spool_set_durable(sp, 1);
	rc = spool_drop_sent_bytes(sp, &err);
	if (rc == EX_OK)
		rc = spool_prune_sent(sp, time(NULL), &err);
	if (d->wsp != NULL)
		spool_set_durable(sp, 0);
	if (rc != EX_OK)
		drain_fail(d, rc, err);
	else
		window_durable(d->win, window_now(d->win));
}

/* tell_untried - for each group whose server could not be reached,
 * the mails it did not try: never claimed, or given back unsent. */
static void tell_untried(struct drain *d)
{
	struct strlist ids;
	struct group *g;
	size_t i;

	for (g = d->groups; g != NULL; g = g->next_group) {
		if (!g->down || g->acc == NULL)
			continue;
		strlist_init(&ids);
		for (i = 0; i < g->untried.n; i++)
			strlist_add(&ids, g->untried.v[i]);
		for (i = g->next; i < g->ids.n; i++)
			strlist_add(&ids, g->ids.v[i]);
		progress_untried(&d->prog, g->acc->id, &ids);
		strlist_free(&ids);
	}
}

void group_worker_ended(struct group *g)
{
	struct drain *d = g->d;

	g->sessions--;
	d->workers--;
	if (d->workers != 0 || d->planning)
		return;
	tell_untried(d);
	tlscache_flush(&d->tls, d->wsp != NULL ? d->wsp : d->sp);
	drop_sent_bytes(d);
	drain_tell_drained(d);
	if (d->on_idle != NULL)
		d->on_idle(d);
}

void drain_stop(struct drain *d)
{
	d->stopping = 1;
}

void drain_fail(struct drain *d, int rc, char *errstr)
{
	if (d->rc == EX_OK) {
		d->rc = rc;
		d->errstr = errstr;
	} else {
		free(errstr);
	}
	d->stopping = 1;
}

void drain_free(struct drain *d)
{
	free_groups(d);
	free(d->queued);
	d->queued = NULL;
	spool_close(d->wsp);
	d->wsp = NULL;
	breaker_prune(&d->breakers, 0, 1);
	tlscache_free(&d->tls);
	free(d->errstr);
	d->errstr = NULL;
	progress_free(&d->prog);
	window_print(d->win, stderr);
	window_free(d->win);
	d->win = NULL;
}

/* One pass of --flush or --run: SIGTERM and SIGINT let the sessions
 * finish their transactions, so no mail is left in flight. */
struct pass {
	struct drain	 d;
	uv_signal_t	 sig[2];
};

static void on_signal(uv_signal_t *h, int signum)
{
	struct pass *p = h->data;

	(void)signum;
	drain_stop(&p->d);
}

static void pass_idle(struct drain *d)
{
	struct pass *p = d->arg;

	uv_close((uv_handle_t *)&p->sig[0], NULL);
	uv_close((uv_handle_t *)&p->sig[1], NULL);
	drain_close(d);
}

/* still_waiting - EX_TEMPFAIL when some mail waits, tried or not. */
static int still_waiting(struct spool *sp, const char *account,
    char **errstr)
{
	struct strlist list;
	int rc, waiting;

	strlist_init(&list);
	rc = spool_waiting(sp, account, &list, errstr);
	waiting = list.n > 0;
	strlist_free(&list);
	if (rc != EX_OK)
		return rc;
	return waiting ? EX_TEMPFAIL : EX_OK;
}

int runner_drain(struct spool *sp, const struct runner_opts *o,
    char **errstr)
{
	struct pass p;
	uv_loop_t loop;
	int rc;

	if (uv_loop_init(&loop) != 0) {
		*errstr = xstrdup("cannot initialize the event loop");
		return EX_OSERR;
	}
	drain_init(&p.d, &loop, sp, o);
	p.d.on_idle = pass_idle;
	p.d.arg = &p;
	uv_signal_init(&loop, &p.sig[0]);
	uv_signal_init(&loop, &p.sig[1]);
	p.sig[0].data = p.sig[1].data = &p;
	uv_signal_start(&p.sig[0], on_signal, SIGTERM);
	uv_signal_start(&p.sig[1], on_signal, SIGINT);
	rc = drain_plan(&p.d, errstr);
	uv_run(&loop, UV_RUN_DEFAULT);
	progress_end(&p.d.prog);
	uv_loop_close(&loop);
	if (rc == EX_OK && p.d.rc != EX_OK) {
		rc = p.d.rc;
		*errstr = p.d.errstr;
		p.d.errstr = NULL;
	}
	drain_free(&p.d);
	if (rc != EX_OK)
		return rc;
	return still_waiting(sp, o->account, errstr);
}
