/*
 * session_impl - what the files of msmtpd's session share; not for other
 * modules (they use session.h).
 *
 * The session is split by concern: session.c (life cycle, the input
 * loop that frames lines and hands them on, the events from the server),
 * session_cmds.c (the command dispatch: EHLO/HELO, MAIL, RCPT, RSET...),
 * session_mail.c (DATA: starting the command, decoding the mail into
 * it, the verdict and the transaction's log line) and session_auth.c
 * (the AUTH PLAIN/LOGIN exchange and its held back verdict).
 *
 * Contract: every function here takes the session, may reply to the
 * client and change s->state, and frees nothing it was not given to own.
 * None of them calls back into the session's public API. Text from the
 * client reaches a reply or a log line only through msd_printable() (or
 * cmd.c's address check).
 */
#ifndef MSMTPD_SESSION_IMPL_H
#define MSMTPD_SESSION_IMPL_H

#include <stddef.h>

#include "msmtpd/cmd.h"
#include "msmtpd/data.h"
#include "msmtpd/session.h"
#include "util/buf.h"
#include "util/strlist.h"

#define AUTH_FAILURES_MAX	3
#define HELO_MAX		256

enum state {
	ST_GREET,		/* before EHLO/HELO */
	ST_READY,		/* no transaction */
	ST_MAIL,		/* MAIL given, RCPTs being collected */
	ST_DATA,		/* the mail is arriving */
	ST_WAIT_RESULT,		/* the mail is complete, the command works */
	ST_AUTH,		/* an AUTH exchange awaits the client's line */
	ST_WAIT_AUTH,		/* an AUTH verdict is held back */
	ST_CLOSED
};

enum auth_step {
	AUTH_PLAIN_RESP,
	AUTH_LOGIN_USER,
	AUTH_LOGIN_PASS
};

struct session {
	const struct session_conf	*conf;
	const struct session_hooks	*h;
	char			*peer;
	enum state		 state;
	struct buf		 in;		/* input not yet used */
	size_t			 pos;		/* used so far in this round */
	int			 skipping;	/* the rest of an overlong line */
	unsigned long		 lines;		/* whole lines in */
	unsigned		 errors;
	int			 quit;
	int			 esmtp;
	int			 shutdown;	/* close after the verdict */
	char			 helo[HELO_MAX];

	char			*user;		/* authenticated as */
	unsigned		 auth_failures;
	enum auth_step		 auth_step;
	char			*login_user;
	struct buf		 pending;	/* a held back AUTH verdict */
	int			 close_after_pending;

	/* the transaction */
	char			 from[CMD_ADDR_MAX + 1];
	struct strlist		 rcpts;
	struct data_dec		 dec;
	struct buf		 chunk;		/* decoded, for the command */
	int			 mail_running;
	int			 have_result;	/* it ended before the data */
	struct pipe_result	 result;
};

/* session.c: the helpers every part uses */

/* msd_printable - bytes from the client, fit for a log line or a reply. */
void msd_printable(struct buf *out, const char *s, size_t len);
/* msd_reply - one reply line (CRLF added) to the client. */
void msd_reply(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* msd_log - one log line, the client named first. */
void msd_log(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* msd_abort_mail - give up the mail in progress, if the command still
 * runs. */
void msd_abort_mail(struct session *s);
/* msd_close - no more input is looked at; the server closes. */
void msd_close(struct session *s);
/* msd_ready_state - where a session without a transaction is. */
enum state msd_ready_state(const struct session *s);
/* msd_reset_transaction - forget the envelope and the mail. */
void msd_reset_transaction(struct session *s);
/* msd_error - a protocol error reply; too many of them end the session
 * (msd_close()). */
void msd_error(struct session *s, const char *text);

/* session_cmds.c: the command dispatch */

/* msd_command - act on one parsed command line. */
void msd_command(struct session *s, const struct cmd *c);
/* msd_need_helo - refuse a command that needs EHLO/HELO first; 1 if so. */
int msd_need_helo(struct session *s);
/* msd_syntax_error - the reply for c->err. */
void msd_syntax_error(struct session *s, const struct cmd *c);

/* session_mail.c: DATA and the transaction's end */

/* msd_do_data - the DATA command: start the command, then ST_DATA. */
void msd_do_data(struct session *s, const struct cmd *c);
/* msd_data_step - decode some of the mail; the bytes used. */
size_t msd_data_step(struct session *s, const char *p, size_t len);
/* msd_finish - the reply for the command's verdict; the transaction
 * ends. */
void msd_finish(struct session *s, const struct pipe_result *r);
/* msd_log_transaction - the one log line of a transaction (r may be
 * NULL: the mail was refused before the command ended). */
void msd_log_transaction(struct session *s, const char *replytext,
    const struct pipe_result *r);

/* session_auth.c: the AUTH exchange */

/* msd_do_auth - the AUTH command. */
void msd_do_auth(struct session *s, const struct cmd *c);
/* msd_auth_line - the client's line in an AUTH exchange (ST_AUTH). */
void msd_auth_line(struct session *s, const char *line, size_t len);
/* msd_flush_pending - send the held back AUTH verdict. */
void msd_flush_pending(struct session *s);

#endif
