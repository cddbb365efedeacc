/*
 * report - msmtp's words on stderr for a delivery that failed.
 *
 * report_failure() prints what msmtp prints when a mail could not be
 * sent ("msmtp: <what>", "msmtp: server message: ...", "msmtp: could not
 * send mail (account A from F)"). It never fails. The log line is
 * delivery/logline.h's, which the runner writes too.
 */
#ifndef CLIENT_REPORT_H
#define CLIENT_REPORT_H

#include "account/account.h"
#include "delivery/deliver.h"
#include "util/strlist.h"

void report_failure(const struct account *acc,
    const struct deliver_report *rep);
/* report_not_sent - msmtp's last line of a failure: "msmtp: could not
 * send mail (account A from F)". */
void report_not_sent(const struct account *acc);
/* report_reply - each line of a server reply as "msmtp: label: line". */
void report_reply(const char *label, const char *text);

/*
 * The advice (delivery/advice.h) goes after msmtp's own lines, each as
 * REPORT_HINT LINE: report_failure() prints it for a delivery;
 * report_with_advice() appends it to an error message that the edge
 * (main.c) prints after "msmtp: ", and returns the new message (msg is
 * freed; nothing changes when there are no hints).
 */
#define REPORT_HINT	"msmtp: hint: "
void report_advice(const struct strlist *hints);
/* report_delivery_advice - the advice for rep (--serverinfo and --rmqs
 * too), if any. */
void report_delivery_advice(const struct account *acc,
    const struct deliver_report *rep);
char *report_with_advice(char *msg, const struct strlist *hints);

#endif
