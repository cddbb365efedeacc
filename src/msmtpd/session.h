/*
 * session - one SMTP session of msmtpd, as a state machine without I/O.
 *
 * The server hands it what the client sends (session_input()); the
 * session answers through hooks: replies for the client, the command to
 * start for a transaction, the decoded mail to pipe to it, requests to
 * wait or to close, and log lines. What it asked for comes back as calls:
 * session_mail_done() once the command has ended, session_resume() after
 * a requested wait. session_timeout(), session_eof() and
 * session_shutdown() tell it about the client and the server.
 *
 * The protocol: EHLO/HELO first; MAIL, RCPT (up to max_rcpts), DATA, as
 * many transactions as the client likes; RSET, NOOP, HELP, QUIT; with a
 * user configured, AUTH PLAIN or LOGIN before MAIL. PIPELINING: commands
 * are taken from the input in order, and the session stops taking them
 * while it waits (session_wants_input() is then false), so pipelined
 * commands after DATA's final dot wait for the command's verdict.
 *
 * The command is started at DATA, and the mail reaches it as it arrives
 * (a Received: header first). A mail that ends early for any reason
 * (the client goes, times out, sends a bare LF, a NUL or too much) is
 * given up with mail_abort(), never mail_end(): the command must not take
 * it for complete.
 *
 * Ownership: session_new() copies nothing from conf and hooks but the
 * pointers: both must outlive the session. session_free() releases it.
 * Hooks must not call back into the session; the server defers its
 * answers (session_mail_done(), session_resume()) to later loop turns.
 *
 * SECURITY: everything in session_input() is untrusted. The input kept
 * between calls is at most one command line (CMD_LINE_MAX) plus what the
 * server read in one go while the session waits; the mail itself is
 * never kept. Replies pile up by at most one command's worth beyond what
 * the backlog hook allows. Protocol errors are counted and the session is closed
 * (421) after max_errors of them or after three failed AUTH attempts.
 */
#ifndef MSMTPD_SESSION_H
#define MSMTPD_SESSION_H

#include <stddef.h>
#include <time.h>

#include "msmtpd/exitmap.h"
#include "util/strlist.h"

struct session_conf {
	const char		*hostname;	/* greeting, EHLO, Received: */
	const char		*auth_user;	/* NULL: no AUTH */
	const char		*auth_pass;
	unsigned long long	 max_size;	/* 0: no limit */
	unsigned		 max_rcpts;
	unsigned		 max_errors;
};

struct session_hooks {
	/* reply - a complete reply, CRLF included, for the client */
	void	(*reply)(void *arg, const char *data, size_t len);
	/* mail_start - start the command for the envelope ("" is the null
	 * sender); 0, or -1 with *res saying why it could not start */
	int	(*mail_start)(void *arg, const char *from,
		    const struct strlist *rcpts, struct pipe_result *res);
	/* mail_data - the next piece of the mail for the command */
	void	(*mail_data)(void *arg, const char *data, size_t len);
	/* mail_end - that was all: the command may see the end of input */
	void	(*mail_end)(void *arg);
	/* mail_abort - give the mail up: the command must never see it
	 * complete, and no session_mail_done() is expected for it */
	void	(*mail_abort)(void *arg);
	/* auth_verdict - an AUTH attempt ended; how many milliseconds to
	 * wait before answering it (the server's abuse delay) */
	unsigned (*auth_verdict)(void *arg, int ok, const char *user);
	/* wait - call session_resume() after ms milliseconds */
	void	(*wait)(void *arg, unsigned ms);
	/* log - one line: a transaction or an event worth noting */
	void	(*log)(void *arg, const char *line);
	/* close - close the connection once the replies so far are sent */
	void	(*close)(void *arg);
	/* now - the time for the Received: header; NULL: time(NULL) */
	time_t	(*now)(void *arg);
	/* backlog - whether replies pile up unread: no more commands are
	 * taken until session_input() is called again; NULL: never */
	int	(*backlog)(void *arg);
	void	*arg;
};

struct session;

/* session_new - peer is the client's address ("" if unknown). */
struct session *session_new(const struct session_conf *conf,
    const struct session_hooks *hooks, const char *peer);
void session_free(struct session *s);

/* session_start - the greeting. */
void session_start(struct session *s);
/* session_input - what the client sent (len may be 0: just go on with
 * what is buffered, e.g. once the backlog is gone). */
void session_input(struct session *s, const char *data, size_t len);
/* session_wants_input - false while waiting for the command or a delay,
 * and once closed. */
int session_wants_input(const struct session *s);
/* session_mail_done - the command ended (possibly before the mail did). */
void session_mail_done(struct session *s, const struct pipe_result *r);
/* session_resume - the wait asked for is over. */
void session_resume(struct session *s);
/* session_lines - how many whole lines (commands, lines of a mail) the
 * session has taken: the server's deadline for the client's next line
 * starts again only when this grows, so a client that sends a line a
 * byte at a time cannot hold a session for ever. */
unsigned long session_lines(const struct session *s);
/* session_timeout - the client was idle too long: 421 and close. */
void session_timeout(struct session *s);
/* session_eof - the client is gone (or its connection failed). */
void session_eof(struct session *s);
/* session_shutdown - the server stops: 421 and close, at once or, if a
 * command is at work on a complete mail, after its verdict. */
void session_shutdown(struct session *s);
/* session_quit - whether the client ended the session with QUIT. */
int session_quit(const struct session *s);

/* session_received - the Received: header (LF line ends) onto out. */
void session_received(struct buf *out, const char *helo, const char *peer,
    const char *host, int esmtp, int authenticated, time_t when);

#endif
