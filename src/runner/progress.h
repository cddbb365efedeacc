/*
 * progress - what the runner says about each attempt.
 *
 * progress_attempt() writes one log line per attempt (msmtp's fields
 * plus the queue's: queue id, attempt, outcome, next attempt) to the
 * account's logfile and syslog, and tells the user: on a terminal, one
 * line that is rewritten ("n of N, s sent, d deferred, f failed"), at
 * most ten times a second so that a fast flush is not slowed by it;
 * otherwise (scripts, cron) one plain line per mail: "ID state[: why]",
 * written out by progress_flush(), which the runner calls after each
 * commit of records: a daemon's reader sees each line as soon as its
 * record is in, with one write per batch rather than per mail.
 * progress_end() finishes the terminal line. When an account's server
 * cannot be reached, its other mails are skipped (the circuit breaker):
 * progress_untried() says which.
 *
 * Each attempt that leaves its mail held, failed, uncertain or expired
 * runs the account's queue_notify (delivery/notify.h), once per account,
 * event and command in a pass: a wrong password holds every mail of
 * the account, and the user needs to hear it once (MSMTP_QUEUE_ID names
 * the first; --status counts them all). progress_free() frees what
 * that remembers; progress_init() starts a new pass.
 */
#ifndef RUNNER_PROGRESS_H
#define RUNNER_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "delivery/attempt.h"
#include "util/strlist.h"

struct progress {
	int		 tty;		/* stdout is a terminal */
	int		 verbose;	/* say anything at all */
	size_t		 total;		/* mails planned so far */
	size_t		 done;
	size_t		 sent;
	size_t		 deferred;	/* deferred or uncertain */
	size_t		 failed;
	size_t		 held;
	uint64_t	 shown_ms;	/* when the line was last drawn */
	int		 drawn;		/* a line is on the terminal */
	struct strlist	 notified;	/* account \n event \n command */
};

void progress_init(struct progress *p, int verbose);
void progress_attempt(struct progress *p, const struct account *acc,
    const struct attempt_result *res);
void progress_flush(struct progress *p);
void progress_end(struct progress *p);
void progress_free(struct progress *p);
/* progress_untried - one line for an account whose server could not be
 * reached: how many of its mails were not tried, and their ids (none:
 * nothing said). The terminal's line is finished first. */
void progress_untried(struct progress *p, const char *account,
    const struct strlist *ids);

#endif
