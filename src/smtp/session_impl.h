/*
 * session_impl - what the files of the SMTP client state machine share
 * (session*.c); not for other modules, whose API is session.h.
 *
 * The files: session.c (results, failure, reply dispatch, connection
 * events, every public call but the sending of mail), session_cmd.c (the
 * command writer and its CR-LF guard), session_open.c (greeting,
 * EHLO/HELO, STARTTLS and the TLS handshake), session_auth.c (the AUTH
 * exchange), session_mail.c (one transaction: MAIL, RCPT, DATA, the
 * replies after the dot, the piped next mail) and session_body.c (the
 * mail pumped through the dot-stuffer).
 *
 * Contract: every function here works on a session in the state the
 * dispatch (on_reply() in session.c) put it in. Any function
 * that can end a step (sess_fail*, sess_finish, sess_end_after_quit and
 * everything that may call them, which is nearly all of the sess_on_*
 * handlers) may run the step's callback, which may free the session: a
 * caller must not touch s after such a call. Strings given to the
 * session (errmsg, reply_text) are the session's and freed by it.
 */
#ifndef SMTP_SESSION_IMPL_H
#define SMTP_SESSION_IMPL_H

#include "smtp/session.h"

#include "smtp/dotstuff.h"
#include "smtp/reply.h"
#include "util/buf.h"

/* Bytes of the mail read and encoded per write: bounds memory use. */
#define BODY_CHUNK	65536

enum state {
	ST_NEW, ST_CONNECT, ST_TLS_IMPLICIT, ST_GREETING, ST_EHLO, ST_HELO,
	ST_STARTTLS, ST_TLS, ST_AUTH, ST_READY, ST_RSET, ST_MAIL, ST_RCPT,
	ST_DATA, ST_BODY, ST_EOM, ST_ETRN, ST_QUIT, ST_QUIT_FAIL, ST_CLOSED,
	ST_FAILED
};

struct smtp_session {
	uv_loop_t		*loop;
	struct smtp_params	 p;
	char			*host;
	char			*helo_domain;
	struct conn		*conn;
	enum state		 state;
	struct smtp_caps	 caps;
	struct smtp_reply	 reply;
	struct smtp_result	 result;
	smtp_cb			 cb;
	void			*cb_arg;
	int			 unreported;	/* the session failed while
						   idle: result waits for
						   the next step */

	struct tls		*tls;		/* until conn takes it */
	int			 tls_on;
	struct tls_info		 tlsinfo;
	int			 have_tlsinfo;
	int			 tls_resumed;	/* the handshake resumed */
	unsigned char		*ticket;	/* tls_session_data()'s, kept
						   when the connection
						   closes */
	size_t			 ticket_len;
	time_t			 ticket_expires;
	struct smtp_auth	*auth;
	int			 authenticated;
	char			*greeting;
	char			*etrn_arg;
	struct buf		 shown;		/* masked AUTH line */
	struct buf		 trace_carry;	/* -d: a mail line not yet
						   complete */

	/* the transaction in progress */
	const struct smtp_mail	*mail;
	size_t			 rcpt_next;	/* next RCPT reply expected */
	size_t			*accepted;	/* indexes of 2xx recipients */
	size_t			 naccepted;
	size_t			 eom_next;	/* LMTP: next reply after dot */
	int			 pipelined;
	int			 need_rset;
	int			 bad_line;	/* a command was refused:
						   flush_out() fails */
	int			 reply_done;	/* reply is complete: reset it
						   before the next line */
	struct dotstuff		 ds;
	struct buf		 out;
	char			*chunk;

	/* the next transaction (smtp_session_send_next()): its commands
	 * go out behind the final dot, so they are out once the state is
	 * ST_EOM; it starts when this one ends */
	const struct smtp_mail	*next;
	smtp_cb			 next_cb;
	void			*next_arg;
};

/* ---- session.c: results and failure ---- */

enum smtp_stage sess_stage_of(enum state st);
void sess_result_free(struct smtp_result *r);
/* sess_clear_result - forget the previous step's result. */
void sess_clear_result(struct smtp_session *s);
/* sess_finish - report the step's result; must be the caller's last act. */
void sess_finish(struct smtp_session *s);
/* sess_keep_reply - remember the current reply as the step's last reply. */
void sess_keep_reply(struct smtp_session *s);
void sess_close_conn(struct smtp_session *s);
/* sess_fail - end the session with errmsg; the outcome is already set. */
void sess_fail(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* sess_fail_reply - the server refused at this state's stage. */
#define sess_fail_reply(s, ...) do {					\
	sess_keep_reply(s);						\
	smtp_classify(sess_stage_of((s)->state), TERR_NONE, &(s)->reply, \
	    &(s)->result.outcome);					\
	sess_fail((s), __VA_ARGS__);					\
} while (0)

/* sess_fail_terr - a failure below SMTP replies, with its message. */
void sess_fail_terr(struct smtp_session *s, enum smtp_terr terr,
    const char *msg);
/* sess_fail_polite - fail, but say QUIT first (msmtp does when the server
 * lacks what the account needs); the outcome is stage's terr. */
void sess_fail_polite(struct smtp_session *s, enum smtp_stage stage,
    enum smtp_terr terr, const char *msg);
/* sess_end_after_quit - QUIT was answered, or the server hung up. */
void sess_end_after_quit(struct smtp_session *s, enum state st);
/* sess_begin_step - start a step with its callback and a fresh result, if
 * the session is in state want; else report (the idle failure, or "not
 * ready") and return 0. */
int sess_begin_step(struct smtp_session *s, enum state want, smtp_cb cb,
    void *arg);

/* ---- session_cmd.c: the command writer ---- */

/* sess_send_line - put one command line, traced, into s->out; a line
 * with a CR, LF or NUL is taken back and marks s->bad_line instead. */
void sess_send_line(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* sess_send_masked - the same for line, traced as shown (AUTH). */
void sess_send_masked(struct smtp_session *s, const struct buf *line,
    const struct buf *shown);
/* sess_flush_out - write s->out as one write and wait for replies; after
 * a refused line, write nothing and fail the step (EX_SOFTWARE). */
void sess_flush_out(struct smtp_session *s);
/* sess_put_next_cmds - the piped next mail's commands behind the dot; a
 * next mail with a refused line is forgotten, none of it written. */
void sess_put_next_cmds(struct smtp_session *s);
/* sess_enter_state - set the state and send its command, if it has one. */
void sess_enter_state(struct smtp_session *s, enum state st);

/* ---- session_open.c and session_auth.c: opening the session ---- */

/* sess_open_done - the session is ready for mail. */
void sess_open_done(struct smtp_session *s);
void sess_on_greeting(struct smtp_session *s);
void sess_on_helo_reply(struct smtp_session *s);
void sess_on_starttls_reply(struct smtp_session *s);
/* sess_on_tls_ready - the handshake and the checks passed. */
void sess_on_tls_ready(struct smtp_session *s);
/* sess_start_auth - choose the method and send AUTH. */
void sess_start_auth(struct smtp_session *s);
void sess_on_auth_reply(struct smtp_session *s);

/* ---- session_mail.c and session_body.c: the transaction ---- */

void sess_on_rset_reply(struct smtp_session *s);
void sess_on_mail_reply(struct smtp_session *s);
void sess_on_rcpt_reply(struct smtp_session *s);
void sess_on_data_reply(struct smtp_session *s);
void sess_on_eom_reply(struct smtp_session *s);
/* sess_pump_body - send the next chunk of the mail, or its end. */
void sess_pump_body(struct smtp_session *s);

#endif
