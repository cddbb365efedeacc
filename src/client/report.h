/*
 * report - msmtp's words for a delivery: stderr lines and the log line.
 *
 * report_failure() prints what msmtp prints when a mail could not be
 * sent ("msmtp: <what>", "msmtp: server message: ...", "msmtp: could not
 * send mail (account A from F)"). report_log() writes msmtp's log line
 * to the account's logfile and syslog, with extra fields (the queue's)
 * appended when extra is not NULL. Neither fails: a log that cannot be
 * written is reported on stderr, as msmtp does.
 */
#ifndef CLIENT_REPORT_H
#define CLIENT_REPORT_H

#include "client/account.h"
#include "client/deliver.h"
#include "util/strlist.h"

void report_failure(const struct account *acc,
    const struct deliver_report *rep);
void report_log(const struct account *acc, const struct strlist *rcpts,
    const struct deliver_report *rep, const char *extra);
/* report_not_sent - msmtp's last line of a failure: "msmtp: could not
 * send mail (account A from F)". */
void report_not_sent(const struct account *acc);
/* report_reply - each line of a server reply as "msmtp: label: line". */
void report_reply(const char *label, const char *text);

#endif
