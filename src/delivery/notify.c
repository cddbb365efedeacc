/*
 * notify - the queue_notify command; see notify.h.
 */
#include "delivery/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/escape.h"
#include "util/xalloc.h"

extern char **environ;

/* The variables notify_run() sets; the caller's own are dropped. */
static const char *const names[] = { "MSMTP_QUEUE_EVENT",
    "MSMTP_QUEUE_ID", "MSMTP_ACCOUNT", "MSMTP_FROM", "MSMTP_RECIPIENTS",
    "MSMTP_REASON", "MSMTP_HINT" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))
#define HINT_VALUE	6	/* names[HINT_VALUE]: MSMTP_HINT */

static int ours(const char *entry)
{
	size_t i, n;

	for (i = 0; i < NNAMES; i++) {
		n = strlen(names[i]);
		if (strncmp(entry, names[i], n) == 0 && entry[n] == '=')
			return 1;
	}
	return 0;
}

/* setting - "NAME=value", the value escaped; flags: escape_text()'s
 * (ESCAPE_KEEP_LF for the hint, whose line breaks are ours). */
static char *setting(const char *name, const char *value, int flags)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s=", name);
	if (value != NULL)
		escape_text(&b, value, strlen(value), flags);
	return buf_steal(&b);
}

/* build_env - the caller's environment without ours, then ours; a
 * NULL-terminated array in l. */
static void build_env(struct strlist *l, const struct notify_event *ev)
{
	char *rcpts = ev->rcpts ? strlist_join(ev->rcpts, ", ") : NULL;
	const char *values[NNAMES];
	char **e;
	size_t i;

	values[0] = ev->event;
	values[1] = ev->id;
	values[2] = ev->account;
	values[3] = ev->from;
	values[4] = rcpts;
	values[5] = ev->reason;
	values[6] = ev->hint;
	for (e = environ; e != NULL && *e != NULL; e++)
		if (!ours(*e))
			strlist_add(l, *e);
	for (i = 0; i < NNAMES; i++)
		strlist_take(l, setting(names[i], values[i],
		    i == HINT_VALUE ? ESCAPE_KEEP_LF : 0));
	free(rcpts);
}

static void on_alarm(int sig)
{
	(void)sig;	/* only interrupts waitpid() */
}

/* default_signals - the command starts as from a shell: no signal
 * blocked or ignored (ignored ones would survive execve). */
static void default_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* null_stdio - stdin, stdout and stderr on /dev/null, nothing else
 * open: the command holds no pipe of our caller, nor the spool. */
static void null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
	}
	(void)close_range(STDERR_FILENO + 1, ~0U, 0);
}

/*
 * supervise - in the detached process: run the command, kill its
 * process group when NOTIFY_TIMEOUT is over, and exit. Only
 * async-signal-safe calls: the caller may have threads.
 */
static void supervise(char *const argv[], char *const envp[])
{
	struct sigaction sa;
	pid_t pid;

	null_stdio();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid == 0) {
		(void)setpgid(0, 0);
		default_signals();
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	(void)setpgid(pid, pid);	/* whichever of us runs first */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: waitpid ends */
	(void)sigaction(SIGALRM, &sa, NULL);
	alarm(NOTIFY_TIMEOUT);
	if (waitpid(pid, NULL, 0) == pid)
		_exit(0);
	(void)kill(-pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	_exit(0);
}

void notify_run(const char *command, const struct notify_event *ev)
{
	char *argv[] = { "sh", "-c", NULL, NULL };
	struct strlist env;
	pid_t pid;

	if (command == NULL || command[0] == '\0')
		return;
	argv[2] = (char *)command;
	strlist_init(&env);
	build_env(&env, ev);
	/* The child exits at once, leaving the supervisor to init: the
	 * caller waits for nothing and leaves no zombie. */
	pid = fork();
	if (pid == 0) {
		if (fork() == 0)
			supervise(argv, env.v);
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			continue;
	strlist_free(&env);
}

const char *notify_attempt_event(const struct attempt_result *res)
{
	switch (res->state) {
	case MAIL_HELD:
		return "held";
	case MAIL_UNCERTAIN:
		return "uncertain";
	case MAIL_FAILED:
		return res->expired ? "expired" : "failed";
	default:
		return NULL;
	}
}

/* refused - the recipients the server refused for good in this attempt;
 * all of them if it named none (the whole mail refused, or expired). */
static void refused(const struct attempt_result *res, struct strlist *out)
{
	const struct deliver_report *rep = &res->rep;
	size_t i;

	for (i = 0; i < rep->nrcpts && i < res->mail.rcpts.n; i++)
		if (rep->rcpts[i].code != 0 &&
		    rep->rcpts[i].cls == CLASS_PERM && !res->expired)
			strlist_add(out, res->mail.rcpts.v[i]);
	if (out->n == 0)
		for (i = 0; i < res->mail.rcpts.n; i++)
			strlist_add(out, res->mail.rcpts.v[i]);
}

/* reason - why, in words: the attempt's error with the server's reply
 * (the first refused recipient's, when each was answered); the caller
 * frees it. */
static char *reason(const struct attempt_result *res)
{
	const struct deliver_report *rep = &res->rep;
	const char *reply = NULL;
	size_t i;

	if (res->held_uncertain)
		return xstrdup(ATTEMPT_HELD_UNCERTAIN);
	if (rep->outcome.terr == TERR_NONE)
		reply = rep->reply_text;
	for (i = 0; reply == NULL && i < rep->nrcpts; i++)
		if (rep->rcpts[i].cls == CLASS_PERM)
			reply = rep->rcpts[i].text;
	if (rep->errmsg != NULL && reply != NULL)
		return xasprintf("%s: %s", rep->errmsg, reply);
	return xstrdup(rep->errmsg ? rep->errmsg : reply ? reply : "");
}

void notify_attempt(const struct account *acc,
    const struct attempt_result *res)
{
	struct notify_event ev;
	struct strlist rcpts;
	char *why;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	ev.event = notify_attempt_event(res);
	/* a bounce (the null sender) that fails says nothing: the failure
	 * it reports was told already */
	if (ev.event == NULL || res->mail.envelope_from == NULL ||
	    res->mail.envelope_from[0] == '\0' || acc->queue_notify == NULL ||
	    acc->queue_notify[0] == '\0')
		return;
	strlist_init(&rcpts);
	if (res->state == MAIL_FAILED)
		refused(res, &rcpts);
	else
		for (i = 0; i < res->mail.rcpts.n; i++)
			strlist_add(&rcpts, res->mail.rcpts.v[i]);
	ev.id = res->mail.id;
	ev.account = acc->id ? acc->id : "";
	ev.from = res->mail.envelope_from;
	ev.rcpts = &rcpts;
	why = reason(res);
	ev.reason = why;
	ev.hint = res->hint;
	notify_run(acc->queue_notify, &ev);
	free(why);
	strlist_free(&rcpts);
}
