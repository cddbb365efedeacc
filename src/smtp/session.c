/*
 * session - the SMTP/LMTP client state machine; see session.h.
 *
 * This file owns the session's life (new, free, the steps quit and etrn,
 * the accessors), its results and failures, and the dispatch: on_reply()
 * maps (state, reply) to the handler of that stage, on_conn_event() the
 * transport's events. The command of each state is sent by
 * sess_enter_state() (session_cmd.c); opening, AUTH, the transaction and
 * the body have their own files (session_impl.h lists them). A reply in a
 * state that expects none fails the session: nothing unexpected is
 * silently taken as success.
 *
 * SECURITY: replies come from the network and are parsed by reply.c and
 * caps.c under their size limits; nothing from a reply is used as a
 * format string, and addresses we send were validated by the front end.
 * Whatever the front end did, no command line with a CR, LF or NUL in
 * it is ever written (session_cmd.c): it would be read as more than one
 * command.
 * With tls on, the only way forward from EHLO is STARTTLS and a verified
 * handshake (session_open.c, conn_tls.c, tls.c); the capabilities learnt
 * before TLS are dropped and asked for again. AUTH lines are traced
 * masked (session_auth.c).
 */
#include "smtp/session_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/conn.h"
#include "util/xalloc.h"

enum smtp_stage sess_stage_of(enum state st)
{
	switch (st) {
	case ST_NEW:
	case ST_CONNECT:
		return STAGE_CONNECT;
	case ST_GREETING:
		return STAGE_GREETING;
	case ST_EHLO:
	case ST_HELO:
		return STAGE_HELO;
	case ST_STARTTLS:
		return STAGE_STARTTLS;
	case ST_TLS_IMPLICIT:
	case ST_TLS:
		return STAGE_TLS;
	case ST_AUTH:
		return STAGE_AUTH;
	case ST_ETRN:
		return STAGE_ETRN;
	case ST_RSET:
	case ST_READY:
		return STAGE_RSET;
	case ST_MAIL:
		return STAGE_MAIL;
	case ST_RCPT:
		return STAGE_RCPT;
	case ST_DATA:
		return STAGE_DATA;
	case ST_BODY:
		return STAGE_BODY;
	case ST_EOM:
		return STAGE_EOM;
	case ST_QUIT:
	case ST_QUIT_FAIL:
	case ST_CLOSED:
	case ST_FAILED:
		return STAGE_QUIT;
	}
	return STAGE_QUIT;
}

void sess_result_free(struct smtp_result *r)
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		free(r->rcpts[i].text);
	free(r->rcpts);
	free(r->errmsg);
	free(r->reply_text);
	certinfo_free(&r->cert);
	memset(r, 0, sizeof(*r));
}

/* sess_clear_result - forget the previous step's result. */
void sess_clear_result(struct smtp_session *s)
{
	sess_result_free(&s->result);
}

/* sess_finish - report the step's result; must be the caller's last act. */
void sess_finish(struct smtp_session *s)
{
	smtp_cb cb = s->cb;

	s->cb = NULL;
	if (cb != NULL)
		cb(s, &s->result, s->cb_arg);
	else if (s->state == ST_FAILED)
		s->unreported = 1;
}

/* sess_keep_reply - remember the current reply as the step's last reply. */
void sess_keep_reply(struct smtp_session *s)
{
	free(s->result.reply_text);
	s->result.reply_code = s->reply.code;
	s->result.reply_text = xstrdup(s->reply.text.data);
}

/* keep_ticket - what resumes this TLS session later, while it can be
 * had: only a session whose certificate passed its checks has one. */
static void keep_ticket(struct smtp_session *s)
{
	unsigned char *t;
	size_t len = 0;
	time_t expires = 0;

	if (!s->tls_on || s->conn == NULL || conn_tls(s->conn) == NULL)
		return;
	t = tls_session_data(conn_tls(s->conn), &len, &expires);
	if (t == NULL)
		return;
	if (s->ticket != NULL)		/* a session's secret */
		explicit_bzero(s->ticket, s->ticket_len);
	free(s->ticket);
	s->ticket = t;
	s->ticket_len = len;
	s->ticket_expires = expires;
}

void sess_close_conn(struct smtp_session *s)
{
	if (s->conn != NULL) {
		keep_ticket(s);
		conn_close(s->conn);
		s->conn = NULL;
	}
}

void sess_fail(struct smtp_session *s, const char *fmt, ...)
{
	va_list ap;

	free(s->result.errmsg);
	va_start(ap, fmt);
	if (vasprintf(&s->result.errmsg, fmt, ap) < 0)
		s->result.errmsg = NULL;
	va_end(ap);
	sess_close_conn(s);
	s->state = ST_FAILED;
	s->next = NULL;		/* never started: the caller's again */
	sess_finish(s);
}

/* sess_fail_terr - a failure below SMTP replies, with its message. */
void sess_fail_terr(struct smtp_session *s, enum smtp_terr terr,
    const char *msg)
{
	smtp_classify(sess_stage_of(s->state), terr, NULL, &s->result.outcome);
	sess_fail(s, "%s", msg);
}

/* sess_fail_polite - fail, but say QUIT first, as msmtp does when the
 * server lacks what the account needs; the outcome is stage's terr. */
void sess_fail_polite(struct smtp_session *s, enum smtp_stage stage,
    enum smtp_terr terr, const char *msg)
{
	smtp_classify(stage, terr, NULL, &s->result.outcome);
	free(s->result.errmsg);
	s->result.errmsg = xstrdup(msg);
	sess_enter_state(s, ST_QUIT_FAIL);
}

/* sess_end_after_quit - QUIT was answered, or the server hung up: the end
 * (st: ST_CLOSED, or ST_FAILED after sess_fail_polite()). */
void sess_end_after_quit(struct smtp_session *s, enum state st)
{
	sess_close_conn(s);
	s->state = st;
	sess_finish(s);
}

/* on_etrn_reply - msmtp's words for each kind of refusal. */
static void on_etrn_reply(struct smtp_session *s)
{
	int c = s->reply.code;

	sess_keep_reply(s);
	smtp_classify(STAGE_ETRN, TERR_NONE, &s->reply, &s->result.outcome);
	if (s->result.outcome.cls == CLASS_OK) {
		s->state = ST_READY;
		conn_wait(s->conn, 0);
		sess_finish(s);
	} else if (c == 458 || c == 459) {
		sess_fail(s, "the server is unable to fulfill the request");
	} else if (c == 500 || c == 501) {
		sess_fail(s, "invalid argument for Remote Message Queue "
		    "Starting");
	} else {
		sess_fail(s, "command %s failed", "ETRN");
	}
}

/* on_quit_reply - QUIT answered: the end, whatever the code. */
static void on_quit_reply(struct smtp_session *s)
{
	sess_keep_reply(s);
	sess_end_after_quit(s, ST_CLOSED);
}

/* on_body_reply - a reply while the mail is still going out: refused. */
static void on_body_reply(struct smtp_session *s)
{
	sess_fail_reply(s, "the server did not accept the mail");
}

/* on_unasked_reply - a reply between steps (421 before an idle
 * timeout): the session is over, and no mail is to blame, whatever the
 * code. */
static void on_unasked_reply(struct smtp_session *s)
{
	sess_keep_reply(s);
	smtp_classify(STAGE_RSET, TERR_CLOSED, &s->reply, &s->result.outcome);
	sess_fail(s, "the server sent an unexpected reply");
}

/* on_unexpected_reply - a reply in a state that waits for none. */
static void on_unexpected_reply(struct smtp_session *s)
{
	sess_fail_reply(s, "the server sent an unexpected reply");
}

/* on_reply - the handler of the stage the reply answers. */
static void on_reply(struct smtp_session *s)
{
	switch (s->state) {
	case ST_GREETING:
		sess_on_greeting(s);
		return;
	case ST_EHLO:
	case ST_HELO:
		sess_on_helo_reply(s);
		return;
	case ST_STARTTLS:
		sess_on_starttls_reply(s);
		return;
	case ST_AUTH:
		sess_on_auth_reply(s);
		return;
	case ST_ETRN:
		on_etrn_reply(s);
		return;
	case ST_RSET:
		sess_on_rset_reply(s);
		return;
	case ST_MAIL:
		sess_on_mail_reply(s);
		return;
	case ST_RCPT:
		sess_on_rcpt_reply(s);
		return;
	case ST_DATA:
		sess_on_data_reply(s);
		return;
	case ST_BODY:
		on_body_reply(s);
		return;
	case ST_EOM:
		sess_on_eom_reply(s);
		return;
	case ST_QUIT:
		on_quit_reply(s);
		return;
	case ST_QUIT_FAIL:
		sess_end_after_quit(s, ST_FAILED);
		return;
	case ST_READY:
		on_unasked_reply(s);
		return;
	default:
		on_unexpected_reply(s);
		return;
	}
}

static void on_line(struct smtp_session *s, const char *line, size_t len)
{
	if (s->p.trace != NULL)
		s->p.trace("<-- ", line, len, s->p.trace_arg);
	if (s->reply_done) {
		smtp_reply_reset(&s->reply);
		s->reply_done = 0;
	}
	switch (smtp_reply_feed(&s->reply, line, len)) {
	case REPLY_MORE:
		return;
	case REPLY_BAD:
		sess_fail_terr(s, TERR_BADREPLY,
		    "the server sent an invalid reply");
		return;
	case REPLY_DONE:
		/* on_reply may end in a callback that frees s: last act. */
		s->reply_done = 1;
		conn_reply_done(s->conn);
		on_reply(s);
		return;
	}
}

/* keep_refused_cert - the facts of the certificate TLS refused, for the
 * advice at the edge (delivery/advice.h). */
static void keep_refused_cert(struct smtp_session *s, const struct conn *c)
{
	const unsigned char *der;
	size_t len = 0;

	certinfo_free(&s->result.cert);
	if ((der = conn_peer_cert(c, &len)) != NULL)
		(void)certinfo_read(der, len, &s->result.cert);
}

static void on_conn_event(struct conn *c, enum conn_event ev,
    const char *line, size_t len, void *arg)
{
	struct smtp_session *s = arg;

	(void)c;
	if (s->state == ST_READY && s->cb == NULL &&
	    (ev == CONN_LINE || ev == CONN_ERROR))
		/* Idle: what comes now belongs to no step; the last step's
		 * result must not pass for its result (sess_begin_step). */
		sess_clear_result(s);
	switch (ev) {
	case CONN_CONNECTED:
		conn_wait(s->conn, 1);
		if (s->p.tls && !s->p.starttls) {
			s->state = ST_TLS_IMPLICIT;
			conn_start_tls(s->conn, s->tls);
			s->tls = NULL;
			return;
		}
		s->state = ST_GREETING;
		return;
	case CONN_TLS_READY:
		sess_on_tls_ready(s);
		return;
	case CONN_LINE:
		on_line(s, line, len);
		return;
	case CONN_WRITTEN:
		if (s->state == ST_BODY)
			sess_pump_body(s);
		return;
	case CONN_ERROR:
		if (s->state == ST_QUIT_FAIL || s->state == ST_QUIT) {
			/* The server hung up after QUIT: that is fine. */
			sess_end_after_quit(s, s->state == ST_QUIT ? ST_CLOSED :
			    ST_FAILED);
			return;
		}
		if (conn_terr(c) == TERR_TLS_VERIFY)
			keep_refused_cert(s, c);
		sess_fail_terr(s, conn_terr(c), conn_errmsg(c));
		return;
	}
}

struct smtp_session *smtp_session_new(uv_loop_t *loop,
    const struct smtp_params *p)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->p = *p;
	s->host = xstrdup(p->host);
	s->helo_domain = xstrdup(p->helo_domain ? p->helo_domain :
	    "localhost");
	s->p.host = s->host;
	s->p.helo_domain = s->helo_domain;
	s->state = ST_NEW;
	smtp_caps_init(&s->caps);
	smtp_reply_init(&s->reply);
	buf_init(&s->out);
	buf_init(&s->shown);
	buf_init(&s->trace_carry);
	s->chunk = xmalloc(BODY_CHUNK);
	return s;
}

/* sess_begin_step - start a step with its callback and a fresh result. */
int sess_begin_step(struct smtp_session *s, enum state want, smtp_cb cb,
    void *arg)
{
	if (s->unreported) {
		/* The server closed the idle session, or said 421 while no
		 * step was in progress: that failure (temporary, with its
		 * message) is this step's result, not "not ready". */
		s->unreported = 0;
		s->cb = cb;
		s->cb_arg = arg;
		sess_finish(s);
		return 0;
	}
	sess_clear_result(s);
	s->cb = cb;
	s->cb_arg = arg;
	if (s->state == want)
		return 1;
	smtp_classify(sess_stage_of(s->state), TERR_SOFTWARE, NULL,
	    &s->result.outcome);
	s->result.errmsg = xstrdup("the SMTP session is not ready");
	sess_finish(s);
	return 0;
}

void smtp_session_open(struct smtp_session *s, smtp_cb cb, void *arg)
{
	enum smtp_terr terr = TERR_TLS;
	char *err = NULL;

	if (!sess_begin_step(s, ST_NEW, cb, arg))
		return;
	s->state = ST_CONNECT;
	/* The TLS files are read before connecting, as msmtp does. */
	if (s->p.tls && tls_new(&s->p.tls_params, &s->tls, &terr, &err) < 0) {
		smtp_classify(STAGE_TLS, terr, NULL, &s->result.outcome);
		sess_fail(s, "%s", err);
		free(err);
		return;
	}
	s->conn = conn_new(s->loop, on_conn_event, s);
	conn_set_route(s->conn, &s->p.route);
	conn_connect(s->conn, s->p.host, s->p.port, s->p.timeout * 1000);
}

void smtp_session_quit(struct smtp_session *s, smtp_cb cb, void *arg)
{
	if (!sess_begin_step(s, ST_READY, cb, arg))
		return;
	sess_enter_state(s, ST_QUIT);
}

void smtp_session_etrn(struct smtp_session *s, const char *arg, smtp_cb cb,
    void *cbarg)
{
	if (!sess_begin_step(s, ST_READY, cb, cbarg))
		return;
	if (!(s->caps.flags & CAP_ETRN)) {
		sess_fail_polite(s, STAGE_ETRN, TERR_UNSUPPORTED,
		    "the server does not support Remote Message Queue "
		    "Starting");
		return;
	}
	free(s->etrn_arg);
	s->etrn_arg = xstrdup(arg);
	sess_enter_state(s, ST_ETRN);
}

void smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	sess_close_conn(s);
	sess_clear_result(s);
	smtp_caps_free(&s->caps);
	smtp_reply_free(&s->reply);
	buf_free(&s->out);
	buf_free(&s->shown);
	buf_free(&s->trace_carry);
	tls_free(s->tls);
	tls_info_free(&s->tlsinfo);
	if (s->ticket != NULL)
		explicit_bzero(s->ticket, s->ticket_len);
	free(s->ticket);
	smtp_auth_free(s->auth);
	free(s->greeting);
	free(s->etrn_arg);
	free(s->chunk);
	free(s->accepted);
	free(s->host);
	free(s->helo_domain);
	free(s);
}

const struct smtp_caps *smtp_session_caps(const struct smtp_session *s)
{
	return &s->caps;
}

const char *smtp_session_greeting(const struct smtp_session *s)
{
	return s->greeting ? s->greeting : "";
}

const struct tls_info *smtp_session_tls_info(const struct smtp_session *s)
{
	return s->have_tlsinfo ? &s->tlsinfo : NULL;
}

const char *smtp_session_peer(const struct smtp_session *s)
{
	return s->conn != NULL ? conn_peer(s->conn) : "";
}

char *smtp_session_peer_name(const struct smtp_session *s)
{
	return s->conn != NULL ? conn_peer_name(s->conn) : NULL;
}

int smtp_session_tls_resumed(const struct smtp_session *s)
{
	if (!s->tls_on)
		return -1;
	return s->tls_resumed;
}

const unsigned char *smtp_session_tls_ticket(struct smtp_session *s,
    size_t *len, time_t *expires)
{
	keep_ticket(s);
	*len = s->ticket_len;
	*expires = s->ticket_expires;
	return s->ticket;
}
