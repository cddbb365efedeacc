/*
 * daemon - msmtp-queue --daemon: passes of the drain, run as mail
 * becomes due, in the foreground; see runner.h.
 *
 * The loop sleeps while nothing is due: one timer for the earliest next
 * attempt (or breaker) a pass saw, and a watch on the spool's directory.
 * Every commit to the spool -- an msmtp that spools a mail, a --release
 * -- writes its WAL file, so the watch wakes the daemon within
 * milliseconds without polling. The daemon's own commits wake it too;
 * events during a pass only mark it dirty, and one more pass after it
 * finds nothing new, so this cannot loop.
 *
 * When the network comes up (netwatch.h), or on SIGUSR1 (a hook's
 * "flush now"), the next pass is a flush: every waiting mail is tried
 * at once, whatever its retry time, and the breakers are forgotten --
 * the server that could not be reached may well be reachable now. One
 * asked for during a pass runs when that pass ends, never two at once.
 *
 * SIGHUP rereads the configuration (the passwords) before the next
 * pass; SIGTERM and SIGINT let the sessions finish the transaction in
 * progress, then the daemon exits 0.
 *
 * While it runs, the daemon holds the spool's pid file (pidfile.h), so
 * that a hook finds it; a second daemon for the same spool refuses to
 * start.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "delivery/owed.h"
#include "queue/pidfile.h"
#include "runner/drain.h"
#include "runner/netwatch.h"
#include "util/xalloc.h"

/* Events come in bursts (the WAL's frames, a checkpoint): the pass
 * waits this long after the first, so that most bursts make one pass.
 * It may still start before the writer's commit is in, and then waits
 * for its lock (SQLite's busy handler); what comes during the pass makes
 * one more. Short, since it is most of a new mail's wait (its commit to
 * its MAIL FROM: bench/daemon_react.py). */
#define SETTLE_MS	5

struct daemon {
	uv_loop_t		 loop;
	struct drain		 d;
	const struct runner_opts *o;
	uv_timer_t		 timer;
	uv_fs_event_t		 watch;
	uv_signal_t		 hup, term, intr, usr1;
	struct netwatch		 net;
	char			*dbname;	/* the spool's file name */
	int			 running;	/* a pass is on */
	int			 dirty;		/* the spool changed since
						   the pass began */
	int			 flush;		/* the next pass is a flush */
	int			 closing;
};

static void shutdown_daemon(struct daemon *dm)
{
	if (dm->closing)
		return;
	dm->closing = 1;
	uv_close((uv_handle_t *)&dm->timer, NULL);
	uv_close((uv_handle_t *)&dm->watch, NULL);
	uv_close((uv_handle_t *)&dm->hup, NULL);
	uv_close((uv_handle_t *)&dm->term, NULL);
	uv_close((uv_handle_t *)&dm->intr, NULL);
	uv_close((uv_handle_t *)&dm->usr1, NULL);
	netwatch_close(&dm->net);
	drain_close(&dm->d);
}

static void on_timer(uv_timer_t *t)
{
	struct daemon *dm = t->data;
	char *err = NULL;
	int rc;

	if (dm->running) {
		dm->dirty = 1;
		return;
	}
	dm->running = 1;
	dm->dirty = 0;
	dm->d.flush = dm->flush;
	dm->flush = 0;
	rc = drain_plan(&dm->d, &err);
	if (rc != EX_OK)
		drain_fail(&dm->d, rc, err);
}

/* wake_in - the next pass in ms, unless an earlier one is set. */
static void wake_in(struct daemon *dm, uint64_t ms)
{
	uint64_t due = uv_timer_get_due_in(&dm->timer);

	if (uv_is_active((uv_handle_t *)&dm->timer) && due <= ms)
		return;
	uv_timer_start(&dm->timer, on_timer, ms, 0);
}

/* queue_bounces - what the pass's failures owe their senders; queuing
 * them changes the spool, which wakes the daemon to send them. A spool
 * error here is reported and left for the next pass. */
static void queue_bounces(struct drain *d)
{
	char *err = NULL;
	int queued;

	if (owed_bounces_queue(d->sp, &queued, &err) != EX_OK) {
		fprintf(stderr, "msmtp-queue: %s\n", err ? err : "bounce failed");
		free(err);
	}
}

/* pass_over - after a pass: the next one when something is due. */
static void pass_over(struct drain *d)
{
	struct daemon *dm = d->arg;
	time_t now = time(NULL);

	dm->running = 0;
	d->flush = 0;
	if (d->stopping || d->rc != EX_OK) {
		shutdown_daemon(dm);
		return;
	}
	queue_bounces(d);
	uv_timer_stop(&dm->timer);
	if (dm->dirty)
		wake_in(dm, SETTLE_MS);
	else if (d->earliest != 0)
		wake_in(dm, d->earliest > now ?
		    (uint64_t)(d->earliest - now) * 1000 : 0);
}

static void on_change(uv_fs_event_t *h, const char *filename, int events,
    int status)
{
	struct daemon *dm = h->data;

	(void)events;
	if (status < 0 || (filename != NULL && strncmp(filename, dm->dbname,
	    strlen(dm->dbname)) != 0))
		return;	/* another file of the directory */
	if (dm->running)
		dm->dirty = 1;
	else
		wake_in(dm, SETTLE_MS);
}

/* flush_now - make the next pass a flush, at once or after this one. */
static void flush_now(struct daemon *dm, const char *why)
{
	if (dm->closing)
		return;
	fprintf(stderr, "msmtp-queue: %s: trying every waiting mail now\n",
	    why);
	dm->flush = 1;
	if (dm->running)
		dm->dirty = 1;
	else
		wake_in(dm, 0);
}

static void on_netup(void *arg, const char *why)
{
	struct daemon *dm = arg;
	char *msg = xasprintf("the network came up (%s)", why);

	flush_now(dm, msg);
	free(msg);
}

static void on_usr1(uv_signal_t *h, int signum)
{
	(void)signum;
	flush_now(h->data, "SIGUSR1");
}

static void on_hup(uv_signal_t *h, int signum)
{
	struct daemon *dm = h->data;
	char *err = NULL;

	(void)signum;
	if (dm->o->reload == NULL)
		return;
	/* A broken file keeps the configuration we have. */
	if (dm->o->reload(dm->o->reload_arg, &err) != EX_OK)
		fprintf(stderr, "msmtp-queue: %s (configuration kept)\n", err);
	else
		fprintf(stderr, "msmtp-queue: configuration reread\n");
	free(err);
}

static void on_term(uv_signal_t *h, int signum)
{
	struct daemon *dm = h->data;

	(void)signum;
	drain_stop(&dm->d);
	if (!dm->running)
		shutdown_daemon(dm);
}

static void start_signal(struct daemon *dm, uv_signal_t *h, uv_signal_cb cb,
    int signum)
{
	uv_signal_init(&dm->loop, h);
	h->data = dm;
	uv_signal_start(h, cb, signum);
}

/* watch_spool - the spool's directory; its WAL changes on every commit. */
static int watch_spool(struct daemon *dm, char **errstr)
{
	char *path = xstrdup(spool_path(dm->d.sp)), *dir;
	int err;

	dm->dbname = xstrdup(basename(path));
	dir = dirname(path);
	uv_fs_event_init(&dm->loop, &dm->watch);
	dm->watch.data = dm;
	err = uv_fs_event_start(&dm->watch, on_change, dir, 0);
	if (err != 0)
		*errstr = xasprintf("cannot watch %s: %s", dir,
		    uv_strerror(err));
	free(path);
	return err != 0 ? EX_OSERR : EX_OK;
}

/* watch_network - the daemon goes on without it where netlink is not
 * to be had (a sandbox); the hooks' SIGUSR1 still works. */
static void watch_network(struct daemon *dm)
{
	char *err = NULL;

	if (netwatch_start(&dm->net, &dm->loop, on_netup, dm, &err) != EX_OK)
		fprintf(stderr, "msmtp-queue: %s\n", err);
	free(err);
}

/* serve - the daemon's loop, until SIGTERM or a spool error. */
static int serve(struct spool *sp, const struct runner_opts *o,
    char **errstr)
{
	struct daemon dm;
	int rc;

	memset(&dm, 0, sizeof(dm));
	if (uv_loop_init(&dm.loop) != 0) {
		*errstr = xstrdup("cannot initialize the event loop");
		return EX_OSERR;
	}
	dm.o = o;
	drain_init(&dm.d, &dm.loop, sp, o);
	dm.d.on_idle = pass_over;
	dm.d.arg = &dm;
	uv_timer_init(&dm.loop, &dm.timer);
	dm.timer.data = &dm;
	start_signal(&dm, &dm.hup, on_hup, SIGHUP);
	start_signal(&dm, &dm.term, on_term, SIGTERM);
	start_signal(&dm, &dm.intr, on_term, SIGINT);
	start_signal(&dm, &dm.usr1, on_usr1, SIGUSR1);
	watch_network(&dm);
	rc = watch_spool(&dm, errstr);
	if (rc == EX_OK)
		uv_timer_start(&dm.timer, on_timer, 0, 0);
	else
		shutdown_daemon(&dm);
	uv_run(&dm.loop, UV_RUN_DEFAULT);
	progress_end(&dm.d.prog);
	uv_loop_close(&dm.loop);
	if (rc == EX_OK && dm.d.rc != EX_OK) {
		rc = dm.d.rc;
		*errstr = dm.d.errstr;
		dm.d.errstr = NULL;
	}
	drain_free(&dm.d);
	free(dm.dbname);
	return rc;
}

int runner_daemon(struct spool *sp, const struct runner_opts *o,
    char **errstr)
{
	struct pidfile pid;
	int rc;

	/* A hook may signal us as soon as the pid file is there: "flush
	 * now" must not be "terminate" (SIGUSR1's default) until serve()
	 * catches it. */
	signal(SIGUSR1, SIG_IGN);
	rc = pidfile_claim(&pid, spool_path(sp), errstr);
	if (rc != EX_OK)
		return rc;
	rc = serve(sp, o, errstr);
	pidfile_release(&pid);
	return rc;
}
