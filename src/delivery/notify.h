/*
 * notify - run the account's queue_notify command when a mail needs the
 * user, or the queue has drained; for msmtp and msmtp-queue alike.
 *
 * The command runs through /bin/sh -c exactly as written in msmtprc;
 * the event is given to it in the environment only, never in the
 * command string, so no value is ever parsed by the shell:
 *   MSMTP_QUEUE_EVENT   held, failed, uncertain, expired or drained
 *   MSMTP_QUEUE_ID      the mail's queue id ("" for drained)
 *   MSMTP_ACCOUNT       the account (drained: those that sent, ", ")
 *   MSMTP_FROM          the envelope sender ("" for drained)
 *   MSMTP_RECIPIENTS    the recipients concerned, ", " between them
 *   MSMTP_REASON        why, in words (drained: how many were sent)
 *   MSMTP_HINT          held, failed: how to fix it, msmtp's advice
 *                       (delivery/advice.h), one line break between
 *                       its lines; "" when there is none
 * Each value has its control characters escaped (util/escape.h), so
 * that a line break or an escape sequence from a server's reply or an
 * address cannot reach a terminal or a log the command writes to (the
 * hint keeps its line breaks: they are ours, never a server's). No
 * value holds a password: none is ever put there. The rest of the
 * environment is the caller's (notify-send needs DBUS_SESSION_BUS_ADDRESS).
 *
 * notify_run() returns at once: a detached supervisor process runs the
 * command in its own process group, with stdin, stdout and stderr on
 * /dev/null, and kills that group (SIGKILL) after NOTIFY_TIMEOUT
 * seconds, so a hanging command never holds up a delivery nor the
 * caller's exit. Nothing is reported: a notification that cannot be
 * given must not fail the mail's delivery. Safe to call from a
 * process with threads (only async-signal-safe calls after fork).
 */
#ifndef DELIVERY_NOTIFY_H
#define DELIVERY_NOTIFY_H

#include "account/account.h"
#include "delivery/attempt.h"
#include "util/strlist.h"

#define NOTIFY_TIMEOUT	30	/* seconds */

struct notify_event {
	const char		*event;
	const char		*id;		/* NULL: none */
	const char		*account;	/* NULL: none */
	const char		*from;		/* NULL: none */
	const struct strlist	*rcpts;		/* NULL: none */
	const char		*reason;	/* NULL: none */
	const char		*hint;		/* NULL: none */
};

/* notify_run - start command (NULL or "": nothing) for ev. */
void notify_run(const char *command, const struct notify_event *ev);

/* notify_attempt_event - the event an attempt's outcome raises (held,
 * failed, uncertain, expired), or NULL when it raises none (sent, or
 * deferred: the queue goes on by itself). */
const char *notify_attempt_event(const struct attempt_result *res);

/* notify_attempt - run acc's queue_notify for the attempt's event, if
 * it raises one. */
void notify_attempt(const struct account *acc,
    const struct attempt_result *res);

#endif
