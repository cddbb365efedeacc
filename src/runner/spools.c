/*
 * spools - the spools one msmtp-queue works over; see spools.h.
 */
#include "runner/spools.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/xalloc.h"

int spools_worse(int a, int b)
{
	if (a == EX_OK || (a == EX_TEMPFAIL && b != EX_OK))
		return b;
	return a;
}

/* seen - whether the file st names is one of ids[0..n). */
static int seen(const struct stat *st, const struct stat *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i].st_dev == st->st_dev && ids[i].st_ino == st->st_ino)
			return 1;
	return 0;
}

static void add(struct spools *s, struct spool *sp)
{
	s->sp = xreallocarray(s->sp, s->n + 1, sizeof(*s->sp));
	s->sp[s->n++] = sp;
}

/* open_existing - each spool of paths that is there, once. */
static int open_existing(const struct strlist *paths, struct spools *out,
    struct strlist *problems)
{
	struct stat *ids = xcalloc(paths->n + 1, sizeof(*ids));
	struct spool *sp;
	char *err = NULL;
	size_t i, nids = 0;
	int rc = EX_OK, one;

	for (i = 0; i < paths->n; i++) {
		if (stat(paths->v[i], &ids[nids]) == 0) {
			if (seen(&ids[nids], ids, nids))
				continue;
			nids++;
		} else if (errno == ENOENT || errno == ENOTDIR)
			continue;
		one = spool_open(paths->v[i], &sp, &err);
		if (one == EX_OK) {
			add(out, sp);
			continue;
		}
		strlist_take(problems, err);
		err = NULL;
		rc = spools_worse(rc, one);
	}
	free(ids);
	return rc;
}

int spools_open(const struct strlist *paths, int create, struct spools *out,
    struct strlist *problems, char **errstr)
{
	struct spool *sp;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!create)
		return open_existing(paths, out, problems);
	for (i = 0; i < paths->n; i++) {
		rc = spool_open(paths->v[i], &sp, errstr);
		if (rc != EX_OK) {
			spools_close(out);
			return rc;
		}
		add(out, sp);
	}
	return EX_OK;
}

void spools_close(struct spools *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		spool_close(s->sp[i]);
	free(s->sp);
	memset(s, 0, sizeof(*s));
}

/* daemon_one - the daemon over the spool at path, in this process. */
static int daemon_one(const char *path, const struct runner_opts *o,
    char **errstr)
{
	struct spool *sp;
	int rc;

	rc = spool_open(path, &sp, errstr);
	if (rc != EX_OK)
		return rc;
	spool_account_alias(sp, o->account, o->account_alias);
	rc = runner_daemon(sp, o, errstr);
	spool_close(sp);
	return rc;
}

/* child - a child's whole life: one spool's daemon. */
static void child(const char *path, const struct runner_opts *o,
    const sigset_t *old)
{
	char *errstr = NULL;
	int rc;

	signal(SIGUSR1, SIG_IGN);	/* not fatal before the loop has it */
	sigprocmask(SIG_SETMASK, old, NULL);
	rc = daemon_one(path, o, &errstr);
	if (errstr != NULL)
		fprintf(stderr, "msmtp-queue: %s\n", errstr);
	free(errstr);
	fflush(NULL);
	_exit(rc);
}

/* exit_code - a child's; one that a SIGTERM or SIGINT ended before it
 * could catch it (still starting) stopped as asked. */
static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGINT)
		return EX_OK;
	return EX_SOFTWARE;
}

/* reap - collect ended children into *rc; how many ended. */
static size_t reap(pid_t *pids, size_t n, int *rc)
{
	size_t i, ended = 0;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			ended++;
			*rc = spools_worse(*rc, exit_code(status));
		}
	return ended;
}

/* watch_children - pass signals on until every child has ended. */
static int watch_children(pid_t *pids, size_t n, size_t alive,
    const sigset_t *set)
{
	int sig, rc = EX_OK;
	size_t i;

	while (alive > 0) {
		sig = sigwaitinfo(set, NULL);
		if (sig == SIGCHLD) {
			alive -= reap(pids, n, &rc);
			continue;
		}
		for (i = 0; sig > 0 && i < n; i++)
			if (pids[i] > 0)
				kill(pids[i], sig);
	}
	return rc;
}

/* distinct - paths without a second name of a file already in it. */
static void distinct(const struct strlist *paths, struct strlist *out)
{
	struct stat *ids = xcalloc(paths->n + 1, sizeof(*ids));
	size_t i, nids = 0;

	for (i = 0; i < paths->n; i++) {
		if (stat(paths->v[i], &ids[nids]) == 0) {
			if (seen(&ids[nids], ids, nids))
				continue;
			nids++;
		}
		strlist_add(out, paths->v[i]);
	}
	free(ids);
}

/* daemons - one child per spool; the parent passes signals on. */
static int daemons(const struct strlist *paths, const struct runner_opts *o,
    char **errstr)
{
	sigset_t set, old;
	pid_t *pids;
	size_t i, alive = 0;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pids = xcalloc(paths->n, sizeof(*pids));
	rc = EX_OK;
	for (i = 0; i < paths->n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			child(paths->v[i], o, &old);
		if (pids[i] > 0) {
			alive++;
			continue;
		}
		*errstr = xasprintf("cannot start the daemon for %s: %s",
		    paths->v[i], strerror(errno));
		rc = EX_OSERR;
		pids[i] = 0;
		break;
	}
	if (rc != EX_OK)	/* the others end as after SIGTERM */
		for (i = 0; i < paths->n; i++)
			if (pids[i] > 0)
				kill(pids[i], SIGTERM);
	rc = spools_worse(rc, watch_children(pids, paths->n, alive, &set));
	free(pids);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int spools_daemon(const struct strlist *paths, const struct runner_opts *o,
    char **errstr)
{
	struct strlist each;
	int rc;

	strlist_init(&each);
	distinct(paths, &each);
	if (each.n == 0) {
		*errstr = xstrdup("no spool to watch");
		rc = EX_CANTCREAT;
	} else if (each.n == 1) {
		rc = daemon_one(each.v[0], o, errstr);
	} else {
		rc = daemons(&each, o, errstr);
	}
	strlist_free(&each);
	return rc;
}
