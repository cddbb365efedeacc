/*
 * runner - msmtp-queue's commands over an open spool.
 *
 * runner_drain() delivers queued mail one attempt each, oldest first:
 * with force (--flush) every waiting mail, otherwise (--run) only those
 * that are due. The mails are grouped by account (the snapshot taken at
 * enqueue time; the password, which the spool never holds, from the
 * current configuration); each account gets up to its
 * queue_max_connections SMTP sessions at once, all on one libuv loop,
 * each logging in once and carrying many mails. Each mail is claimed
 * (leased) before it is touched, so concurrent runners never deliver one
 * twice. An account whose server cannot be reached at all is skipped
 * after its first failure to connect, spending no attempts. One log line
 * per attempt. SIGTERM and SIGINT end the run after the transactions in
 * progress. Returns EX_OK when nothing is left deferred, EX_TEMPFAIL
 * when some mail still waits, another sysexits code (and *errstr) when
 * the spool fails.
 *
 * runner_daemon() (--daemon) runs such passes in the foreground as
 * mails become due or are spooled, flushes when the network comes up
 * or on SIGUSR1, rereads the configuration on SIGHUP (o->reload) and
 * returns EX_OK after SIGTERM or SIGINT; it holds the spool's pid file
 * (pidfile.h) meanwhile, EX_TEMPFAIL when another daemon does.
 *
 * runner_list() prints the queue, one block per mail, like mailq.
 */
#ifndef RUNNER_RUNNER_H
#define RUNNER_RUNNER_H

#include <sysexits.h>

#include "account/conf.h"
#include "queue/spool.h"
#include "util/buf.h"

struct runner_opts {
	const struct conf	*conf;		/* for passwords; may be empty */
	const char		*account;	/* NULL: all accounts */
	const struct strlist	*only;		/* NULL: all mails; else these
						   ids (msmtpq's -R) */
	const char		*account_alias;	/* its other name ("default"
						   : provider), or NULL */
	int			 force;
	int			 debug;
	int			 verbose;	/* a line per mail on stdout */
	const char		*rmqs;		/* --rmqs: ETRN this after
						   delivering, for every
						   account (else its rmqs) */
	/* reload - read the configuration into *conf again (the daemon's
	 * SIGHUP); on failure conf is left as it was. */
	int			(*reload)(void *arg, char **errstr);
	void			*reload_arg;
};

int runner_drain(struct spool *sp, const struct runner_opts *o,
    char **errstr);
/* runner_expire_held - fail the held mails (of account, unless NULL)
 * whose queue_lifetime is over, owing their senders a bounce
 * (queue_bounce); drain_plan() does it at the start of each pass. */
int runner_expire_held(struct spool *sp, const char *account, char **errstr);
int runner_daemon(struct spool *sp, const struct runner_opts *o,
    char **errstr);
/* runner_list - the queue over the spools sps[0..nsp) like mailq, or as
 * JSON (SQLite's functions); the mails not yet sent, or (sent) those
 * still on record (--list --sent). With several spools, each mail says
 * which it is in (a "spool" line; a "spool" member in JSON). */
int runner_list(struct spool *const *sps, size_t nsp, const char *account,
    int json, int sent, char **errstr);
/* runner_manage - an action on each id ("ALL": every mail) in whichever
 * of the spools holds it; says how many changed; EX_NOINPUT when none
 * did, or when an id named changed nothing (a line says why: no such
 * mail, or its state), whatever the action, so that a script learns
 * that not all it asked was done. --release and --retry go through
 * runner_renew(). */
int runner_manage(struct spool *const *sps, size_t nsp,
    enum spool_action action, const struct strlist *ids,
    const char *account, char **errstr);
/* runner_renew - --release and --retry of the mail id (NULL: all), of
 * one account unless account is NULL, each mail's account first read
 * again from its file (renew.c); *found: mails in a state for it,
 * *count: mails changed. */
int runner_renew(struct spool *sp, enum spool_action action, const char *id,
    const char *account, int *found, int *count, char **errstr);
/* runner_purge - delete every mail, after a yes on a terminal or --yes. */
int runner_purge(struct spool *const *sps, size_t nsp, const char *account,
    int yes, char **errstr);
/* runner_print_entry - one mail as --list prints it (a spool_walk_fn;
 * arg unused). */
void runner_print_entry(const struct spool_entry *e, void *arg);
/* runner_put_hint - a held or failed mail's hint (delivery/advice.h) as
 * --list and a flush's lines show it: "    hint: " and its one line,
 * escaped, appended to b; nothing for a NULL or empty hint. */
void runner_put_hint(struct buf *b, const char *hint);
/* runner_show - one mail's record (JSON; readable: as --list prints
 * it), the settings it will be sent with (runner_show_settings()) and
 * headers, or its raw bytes. */
int runner_show(struct spool *sp, const char *id, int raw, int readable,
    char **errstr);
/* runner_status - one line for status bars and scripts over the spools
 * sps[0..nsp) (status.c): "empty", or "3 waiting (next try 14:05), 1
 * held, 2 failed". EX_OK: empty (nothing but sent mail); EX_TEMPFAIL:
 * some mail waits and none needs the user; RUNNER_ATTENTION: a mail is
 * held or failed, and waits for the user. */
#define RUNNER_ATTENTION	EX_UNAVAILABLE
int runner_status(struct spool *const *sps, size_t nsp, const char *account,
    char **errstr);
/* runner_show_settings - the settings mail id will be sent with, as
 * msmtprc lines, and where its password will come from (masked). */
int runner_show_settings(struct spool *sp, const char *id, char **errstr);

#endif
