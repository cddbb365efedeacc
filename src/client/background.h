/*
 * background - delivery mode background (-odb): the mail, already
 * committed to the spool at path, is delivered by a detached process
 * while msmtp exits.
 *
 * background_deliver() returns at once in the caller. In a grandchild
 * in a new session, its stdio on /dev/null, the spool is opened afresh
 * (an SQLite connection must not cross a fork) and the mail id claimed
 * under the new process's name; if a runner was quicker, it is the
 * runner's to send. No one waits for the child, so it has the runner's
 * deadline when the account sets none. The child only reads sub, which
 * it got as a copy of the caller's memory; it never returns.
 *
 * The attempt's outcome is recorded in the spool and logged as msmtp
 * logs it (logfile, syslog). A spool the child cannot open, or a mail
 * it cannot claim, would leave no trace with stderr on /dev/null: that
 * goes to syslog (facility LOG_MAIL, LOG_ERR, ident "msmtp") whatever
 * the account's log settings, and the mail waits for a runner.
 */
#ifndef CLIENT_BACKGROUND_H
#define CLIENT_BACKGROUND_H

#include "client/submit.h"
#include "queue/spool.h"

void background_deliver(const char *path, const struct submission *sub,
    char id[SPOOL_ID_LEN + 1]);

#endif
