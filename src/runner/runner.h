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
 * mails become due or are spooled, rereads the configuration on SIGHUP
 * (o->reload) and returns EX_OK after SIGTERM or SIGINT.
 *
 * runner_list() prints the queue, one block per mail, like mailq.
 */
#ifndef RUNNER_RUNNER_H
#define RUNNER_RUNNER_H

#include "client/conf.h"
#include "queue/spool.h"

/* The runner's deadline for each reply (and connect, and write) when the
 * account sets no timeout: no one is there to interrupt a runner that a
 * silent or dripping server holds. RFC 5321 4.5.3.2 asks clients to wait
 * 5 minutes for most replies (10 for the one after the final dot: set
 * timeout 600 for a server that takes that long). */
#define RUNNER_TIMEOUT	300

struct runner_opts {
	const struct conf	*conf;		/* for passwords; may be empty */
	const char		*account;	/* NULL: all accounts */
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
/* runner_bounces - queue the notifications failed recipients owe their
 * senders (client/bounce.h); *queued says how many. */
int runner_bounces(struct spool *sp, int *queued, char **errstr);
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
/* runner_show - one mail's record (JSON), the settings it will be sent
 * with (runner_show_settings()) and headers, or its raw bytes. */
int runner_show(struct spool *sp, const char *id, int raw, char **errstr);
/* runner_show_settings - the settings mail id will be sent with, as
 * msmtprc lines, and where its password will come from (masked). */
int runner_show_settings(struct spool *sp, const char *id, char **errstr);

#endif
