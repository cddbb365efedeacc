/*
 * logline - msmtp's one line per mail, for the logfile and syslog.
 *
 *   host=H tls=on auth=on user=U from=F recipients=A,B mailsize=N
 *   smtpstatus=250 smtpmsg='250 ok' errormsg='...' exitcode=EX_OK
 *
 * exactly as msmtp 1.8 writes it (user= only with auth and a user;
 * mailsize= only on success; smtpstatus/smtpmsg whenever a reply was
 * received, success included; quotes in messages become '?', other
 * non-printable bytes '?', and reply lines are joined with a literal \n).
 * DELIBERATE DIFFERENCE: in host, user, from and recipients, which msmtp
 * writes raw, control characters and bytes that are not UTF-8 are
 * written as "\xNN" (util/escape.h), so that no value can end the line
 * and forge another; ordinary values are written exactly as msmtp does.
 *
 * logline_format() returns a new string the caller frees. logline_write()
 * appends it to the account's logfile (prefixed by the time in
 * logfile_time_format, opened by logfile_open() -- never through a
 * symbolic link, never a file others can write -- created 0600, locked
 * with fcntl) and sends it to
 * syslog when the account asks; a failure to log is reported on stderr
 * with the line itself, as msmtp does, and never changes the exit code.
 */
#ifndef DELIVERY_LOGLINE_H
#define DELIVERY_LOGLINE_H

#include "account/account.h"
#include "delivery/deliver.h"
#include "util/strlist.h"

struct logline_info {
	const char		*host;	/* or the socket path */
	int			 is_socket;
	int			 tls;
	int			 auth;
	const char		*user;
	const char		*from;
	const struct strlist	*rcpts;
	int			 sent;		/* mailsize is meaningful */
	unsigned long long	 mailsize;
	int			 smtpstatus;	/* 0: no reply */
	const char		*smtpmsg;
	const char		*errormsg;	/* NULL on success */
	int			 exitcode;
	/* Not msmtp's (it never delivers to some recipients only): the
	 * recipients refused while others got the mail, and the server's
	 * reply to each, written after msmtp's fields as
	 * "refused=ADDR refusedmsg='REPLY'" pairs. NULL: none. */
	const struct strlist	*refused;
	const struct strlist	*refused_msgs;
};

char *logline_format(const struct logline_info *li);
void logline_write(const struct account *acc, const char *line,
    int failed);

/*
 * logline_delivery - the log line of one delivery (rep) to rcpts, with
 * extra fields (the queue's) appended when extra is not NULL; nothing
 * when the account logs nowhere. Refused recipients of a delivered mail
 * are listed after msmtp's fields.
 */
void logline_delivery(const struct account *acc, const struct strlist *rcpts,
    const struct deliver_report *rep, const char *extra);

/* logline_with_hint - extra (a new string, or NULL) with the hint of a
 * held or failed mail (delivery/advice.h) after it, as hint='ONE LINE'
 * in msmtp's quoted form; extra itself when there is no hint, else a
 * new string (extra freed). For msmtp and msmtp-queue alike. */
char *logline_with_hint(char *extra, const char *hint);

#endif
