/*
 * session - the SMTP/LMTP client state machine; see session.h.
 *
 * Two functions carry the protocol: enter_state() sends the command of a
 * state, and on_reply() maps (state, reply) to the next state. A reply in
 * a state that expects none fails the session: nothing unexpected is
 * silently taken as success.
 *
 * SECURITY: replies come from the network and are parsed by reply.c and
 * caps.c under their size limits; nothing from a reply is used as a
 * format string, and addresses we send were validated by the front end.
 * Whatever the front end did, no command line with a CR, LF or NUL in
 * it is ever written (line_breaks()): it would be read as more than one
 * command.
 * With tls on, the only way forward from EHLO is STARTTLS and a verified
 * handshake (conn.c, tls.c); the capabilities learnt before TLS are
 * dropped and asked for again. AUTH lines are traced masked.
 */
#include "smtp/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/conn.h"
#include "smtp/dotstuff.h"
#include "smtp/reply.h"
#include "util/buf.h"
#include "util/escape.h"
#include "util/xalloc.h"

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

static void enter_state(struct smtp_session *s, enum state st);
static void on_reply(struct smtp_session *s);

static enum smtp_stage stage_of(enum state st)
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

static void result_free(struct smtp_result *r)
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		free(r->rcpts[i].text);
	free(r->rcpts);
	free(r->errmsg);
	free(r->reply_text);
	memset(r, 0, sizeof(*r));
}

/* clear_result - forget the previous step's result. */
static void clear_result(struct smtp_session *s)
{
	result_free(&s->result);
}

/* finish - report the step's result; must be the caller's last act. */
static void finish(struct smtp_session *s)
{
	smtp_cb cb = s->cb;

	s->cb = NULL;
	if (cb != NULL)
		cb(s, &s->result, s->cb_arg);
	else if (s->state == ST_FAILED)
		s->unreported = 1;
}

/* keep_reply - remember the current reply as the step's last reply. */
static void keep_reply(struct smtp_session *s)
{
	free(s->result.reply_text);
	s->result.reply_code = s->reply.code;
	s->result.reply_text = xstrdup(s->reply.text.data);
}

static void close_conn(struct smtp_session *s)
{
	if (s->conn != NULL) {
		conn_close(s->conn);
		s->conn = NULL;
	}
}

/* fail - end the session with errmsg; the outcome is already set. */
static void fail(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct smtp_session *s, const char *fmt, ...)
{
	va_list ap;

	free(s->result.errmsg);
	va_start(ap, fmt);
	if (vasprintf(&s->result.errmsg, fmt, ap) < 0)
		s->result.errmsg = NULL;
	va_end(ap);
	close_conn(s);
	s->state = ST_FAILED;
	s->next = NULL;		/* never started: the caller's again */
	finish(s);
}

/* fail_reply - the server refused at this state's stage. */
#define fail_reply(s, ...) do {						\
	keep_reply(s);							\
	smtp_classify(stage_of((s)->state), TERR_NONE, &(s)->reply,	\
	    &(s)->result.outcome);					\
	fail((s), __VA_ARGS__);						\
} while (0)

/* fail_terr - a failure below SMTP replies, with its message. */
static void fail_terr(struct smtp_session *s, enum smtp_terr terr,
    const char *msg)
{
	smtp_classify(stage_of(s->state), terr, NULL, &s->result.outcome);
	fail(s, "%s", msg);
}

/*
 * line_breaks - whether the command line just put in s->out from start
 * on holds a CR, LF or NUL (an envelope address, EHLO name or ETRN
 * argument that did). Such a line would reach the server as more than
 * one command, so it is taken back, neither traced nor written, and
 * flush_out() fails the step instead of writing.
 */
static int line_breaks(struct smtp_session *s, size_t start)
{
	if (!escape_breaks_line(s->out.data + start, s->out.len - start))
		return 0;
	s->out.len = start;
	s->out.data[start] = '\0';
	s->bad_line = 1;
	return 1;
}

/* send_line - write one command line, traced, and await its reply. */
static void send_line(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void send_line(struct smtp_session *s, const char *fmt, ...)
{
	size_t start = s->out.len;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&s->out, fmt, ap);
	va_end(ap);
	if (line_breaks(s, start))
		return;
	if (s->p.trace != NULL)
		s->p.trace("--> ", s->out.data + start, s->out.len - start,
		    s->p.trace_arg);
	buf_append(&s->out, "\r\n", 2);
}

/* send_masked - write line, but trace shown (credentials hidden). */
static void send_masked(struct smtp_session *s, const struct buf *line,
    const struct buf *shown)
{
	size_t start = s->out.len;

	buf_append(&s->out, line->data, line->len);
	if (line_breaks(s, start))
		return;
	if (s->p.trace != NULL)
		s->p.trace("--> ", shown->data, shown->len, s->p.trace_arg);
	buf_append(&s->out, "\r\n", 2);
}

/* flush_out - send what send_line() collected, as one write; or, if a
 * line was refused, nothing, and the step fails (EX_SOFTWARE, held by
 * the queue: retrying would send the same line). */
static void flush_out(struct smtp_session *s)
{
	if (s->bad_line) {
		s->bad_line = 0;
		buf_reset(&s->out);
		smtp_classify(stage_of(s->state), TERR_SOFTWARE, NULL,
		    &s->result.outcome);
		fail(s, "refusing to send an SMTP command with a line break "
		    "(CR, LF or NUL) in an address or argument");
		return;
	}
	if (s->out.len > 0)
		conn_write(s->conn, s->out.data, s->out.len);
	buf_reset(&s->out);
	conn_wait(s->conn, 1);
}

static void add_rcpt_cmd(struct smtp_session *s, const struct smtp_mail *m,
    size_t i)
{
	send_line(s, "RCPT TO:<%s>%s", m->rcpts[i],
	    m->rcpt_params ? m->rcpt_params : "");
}

/* put_mail_cmds - MAIL for m, and with PIPELINING every RCPT and DATA
 * too, into s->out. */
static void put_mail_cmds(struct smtp_session *s, const struct smtp_mail *m)
{
	size_t i;

	send_line(s, "MAIL FROM:<%s>%s", m->from,
	    m->mail_params ? m->mail_params : "");
	s->pipelined = (s->caps.flags & CAP_PIPELINING) != 0;
	if (!s->pipelined)
		return;
	for (i = 0; i < m->nrcpts; i++)
		add_rcpt_cmd(s, m, i);
	send_line(s, "DATA");
}

/* put_next_cmds - the next transaction's commands behind the final dot
 * (RFC 2920 lets mail data open a group of commands). A next mail with a
 * refused line is forgotten, none of its lines written: sent on its own
 * later, it fails then, and the mail before it is not harmed. */
static void put_next_cmds(struct smtp_session *s)
{
	size_t start = s->out.len;

	if (s->next == NULL)
		return;
	put_mail_cmds(s, s->next);
	if (s->bad_line) {
		s->bad_line = 0;
		s->out.len = start;
		s->out.data[start] = '\0';
		s->next = NULL;
	}
}

static void enter_state(struct smtp_session *s, enum state st)
{
	s->state = st;
	switch (st) {
	case ST_EHLO:
		send_line(s, "%s %s", s->p.lmtp ? "LHLO" : "EHLO",
		    s->helo_domain);
		break;
	case ST_HELO:
		send_line(s, "HELO %s", s->helo_domain);
		break;
	case ST_RSET:
		send_line(s, "RSET");
		break;
	case ST_MAIL:
		put_mail_cmds(s, s->mail);
		break;
	case ST_RCPT:
		add_rcpt_cmd(s, s->mail, s->rcpt_next);
		break;
	case ST_DATA:
		send_line(s, "DATA");
		break;
	case ST_STARTTLS:
		send_line(s, "STARTTLS");
		break;
	case ST_ETRN:
		send_line(s, "ETRN %s", s->etrn_arg);
		break;
	case ST_QUIT:
	case ST_QUIT_FAIL:
		send_line(s, "QUIT");
		break;
	default:
		return;
	}
	flush_out(s);
}

/* open_done - the session is ready for mail. */
static void open_done(struct smtp_session *s)
{
	keep_reply(s);
	s->state = ST_READY;
	conn_wait(s->conn, 0);
	smtp_classify(STAGE_HELO, TERR_NONE, &s->reply, &s->result.outcome);
	finish(s);
}

/* fail_polite - fail, but say QUIT first, as msmtp does when the
 * server lacks what the account needs; the outcome is stage's terr. */
static void fail_polite(struct smtp_session *s, enum smtp_stage stage,
    enum smtp_terr terr, const char *msg)
{
	smtp_classify(stage, terr, NULL, &s->result.outcome);
	free(s->result.errmsg);
	s->result.errmsg = xstrdup(msg);
	enter_state(s, ST_QUIT_FAIL);
}

/* end_after_quit - QUIT was answered, or the server hung up: the end
 * (st: ST_CLOSED, or ST_FAILED after fail_polite()). */
static void end_after_quit(struct smtp_session *s, enum state st)
{
	close_conn(s);
	s->state = st;
	finish(s);
}

static void start_auth(struct smtp_session *s);

/* after_helo - STARTTLS, AUTH or ready, as the account says. */
static void after_helo(struct smtp_session *s)
{
	if (s->p.tls && s->p.starttls && !s->tls_on) {
		if (!(s->caps.flags & CAP_STARTTLS)) {
			fail_polite(s, STAGE_STARTTLS, TERR_UNSUPPORTED,
			    "the server does not support TLS via the "
			    "STARTTLS command");
			return;
		}
		enter_state(s, ST_STARTTLS);
		return;
	}
	if (s->p.auth.mech != NULL && !s->authenticated) {
		start_auth(s);
		return;
	}
	open_done(s);
}

static void on_helo_reply(struct smtp_session *s)
{
	if (s->reply.code == 250) {
		if (s->state == ST_EHLO)
			smtp_caps_parse(&s->reply, &s->caps);
		after_helo(s);
		return;
	}
	if (s->state == ST_EHLO && !s->p.lmtp) {
		enter_state(s, ST_HELO);
		return;
	}
	fail_reply(s, "SMTP server does not accept EHLO or HELO commands");
}

/* record_rcpt - keep the reply to RCPT number i. */
static void record_rcpt(struct smtp_session *s, size_t i)
{
	struct smtp_rcpt_result *r = &s->result.rcpts[i];
	struct smtp_outcome o;

	smtp_classify(STAGE_RCPT, TERR_NONE, &s->reply, &o);
	free(r->text);
	r->code = s->reply.code;
	memcpy(r->enh, s->reply.enh, sizeof(r->enh));
	r->cls = o.cls;
	r->text = xstrdup(s->reply.text.data);
}

/* end_transaction - the transaction is over without a final dot (no
 * recipient accepted, in the mode that allows partial results); its
 * outcome is set. */
static void end_transaction(struct smtp_session *s)
{
	s->need_rset = 1;
	s->next = NULL;		/* its commands need RSET first: unsent */
	s->state = ST_READY;
	conn_wait(s->conn, 0);
	finish(s);
}

static void on_rcpt_reply(struct smtp_session *s)
{
	size_t i = s->rcpt_next++;

	record_rcpt(s, i);
	if (smtp_reply_class(&s->reply) == 2) {
		s->accepted[s->naccepted++] = i;
	} else if (s->mail->all_or_nothing) {
		fail_reply(s, "recipient address %s not accepted by the server",
		    s->mail->rcpts[i]);
		return;
	}
	if (s->rcpt_next < s->mail->nrcpts) {
		if (!s->pipelined)
			enter_state(s, ST_RCPT);
		return;
	}
	if (s->naccepted == 0) {
		/* The outcome is the last refusal (with PIPELINING, the
		 * reply to DATA only says that no recipient is left). */
		keep_reply(s);
		smtp_classify(STAGE_RCPT, TERR_NONE, &s->reply,
		    &s->result.outcome);
		if (!s->pipelined) {
			end_transaction(s);
			return;
		}
	}
	if (s->pipelined)
		s->state = ST_DATA;
	else
		enter_state(s, ST_DATA);
}

static void pump_body(struct smtp_session *s);

static void on_data_reply(struct smtp_session *s)
{
	if (s->reply.code == 354 && s->naccepted > 0) {
		s->state = ST_BODY;
		conn_wait(s->conn, 0);
		dotstuff_init(&s->ds);
		pump_body(s);
		return;
	}
	if (s->reply.code == 354) {
		/* DATA accepted with no recipient: end it without a mail. */
		fail(s, "the server accepted DATA without recipients");
		return;
	}
	if (s->naccepted == 0) {
		end_transaction(s);
		return;
	}
	fail_reply(s, "the server does not accept mail data");
}

/* trace_body - the encoded mail in s->out, line by line, as msmtp's -d
 * shows it; a line cut by the chunk waits in trace_carry. */
static void trace_body(struct smtp_session *s)
{
	const char *p, *end, *nl;

	if (s->p.trace == NULL)
		return;
	buf_append(&s->trace_carry, s->out.data, s->out.len);
	p = s->trace_carry.data;
	end = p + s->trace_carry.len;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		s->p.trace("--> ", p, (size_t)(nl - p) -
		    (nl > p && nl[-1] == '\r'), s->p.trace_arg);
		p = nl + 1;
	}
	buf_consume(&s->trace_carry, (size_t)(p - s->trace_carry.data));
}

/* pump_body - encode and send the next chunk of the mail, or the end. A
 * mail shorter than a chunk goes out with its final dot in one write:
 * one segment, and one wakeup of the server, per mail. */
static void pump_body(struct smtp_session *s)
{
	char *errstr = NULL;
	ssize_t n;

	do {
		n = s->mail->read(s->mail->read_arg, s->chunk, BODY_CHUNK,
		    &errstr);
		if (n < 0) {
			smtp_classify(STAGE_BODY, TERR_LOCAL, NULL,
			    &s->result.outcome);
			fail(s, "%s", errstr ? errstr : "cannot read the mail");
			free(errstr);
			return;
		}
		if (n == 0) {
			dotstuff_finish(&s->ds, &s->out);
			trace_body(s);
			s->result.mailsize = s->ds.mailsize;
			s->state = ST_EOM;
			s->eom_next = 0;
			put_next_cmds(s);
			flush_out(s);
			return;
		}
		dotstuff_encode(&s->ds, s->chunk, (size_t)n, &s->out);
	} while (s->out.len < BODY_CHUNK);
	trace_body(s);
	conn_write(s->conn, s->out.data, s->out.len);
	buf_reset(&s->out);
}

/* begin_transaction - m's transaction is the one in progress. */
static void begin_transaction(struct smtp_session *s,
    const struct smtp_mail *m)
{
	s->mail = m;
	s->rcpt_next = 0;
	s->naccepted = 0;
	free(s->accepted);
	s->accepted = xcalloc(m->nrcpts ? m->nrcpts : 1, sizeof(size_t));
	s->result.nrcpts = m->nrcpts;
	s->result.rcpts = xcalloc(m->nrcpts ? m->nrcpts : 1,
	    sizeof(*s->result.rcpts));
}

/* finish_then_next - report the transaction that ended while the next
 * one, whose commands are out, becomes the one in progress: its replies
 * may follow in the same read, and its callback may pipe another mail.
 * The result reported is moved off the session first, and freed after
 * the callback without touching the session, which the callback may
 * have freed. */
static void finish_then_next(struct smtp_session *s)
{
	struct smtp_result r = s->result;
	smtp_cb cb = s->cb;
	void *arg = s->cb_arg;

	memset(&s->result, 0, sizeof(s->result));
	s->cb = s->next_cb;
	s->cb_arg = s->next_arg;
	begin_transaction(s, s->next);
	s->next = NULL;
	s->state = ST_MAIL;
	if (cb != NULL)
		cb(s, &r, arg);
	result_free(&r);
}

/* transaction_done - the final reply(ies) arrived. */
static void transaction_done(struct smtp_session *s, int all_ok)
{
	keep_reply(s);
	if (!all_ok && s->mail->all_or_nothing) {
		s->state = ST_READY;
		smtp_classify(STAGE_EOM, TERR_NONE, &s->reply,
		    &s->result.outcome);
		if (s->p.lmtp)
			fail(s, "delivery to one or more recipients failed");
		else
			fail(s, "the server did not accept the mail");
		return;
	}
	smtp_classify(STAGE_EOM, TERR_NONE, &s->reply, &s->result.outcome);
	if (s->next != NULL) {
		finish_then_next(s);
		return;
	}
	s->state = ST_READY;
	conn_wait(s->conn, 0);
	finish(s);
}

static void on_eom_reply(struct smtp_session *s)
{
	size_t i;
	int all_ok = 1;

	if (!s->p.lmtp) {
		/* In SMTP the one reply after the dot stands for all. */
		for (i = 0; i < s->naccepted; i++) {
			record_rcpt(s, s->accepted[i]);
			all_ok = smtp_reply_class(&s->reply) == 2;
		}
		transaction_done(s, all_ok);
		return;
	}
	record_rcpt(s, s->accepted[s->eom_next++]);
	if (s->eom_next < s->naccepted)
		return;
	for (i = 0; i < s->naccepted; i++)
		if (s->result.rcpts[s->accepted[i]].cls != CLASS_OK)
			all_ok = 0;
	transaction_done(s, all_ok);
}

/* auth_send - send the line auth.c made, masked in the trace. */
static void auth_send(struct smtp_session *s, struct buf *line)
{
	send_masked(s, line, &s->shown);
	explicit_bzero(line->data, line->len);
	buf_free(line);
	buf_reset(&s->shown);
	flush_out(s);
}

/* start_auth - choose the method and send AUTH. */
static void start_auth(struct smtp_session *s)
{
	struct smtp_auth_link link;
	enum smtp_terr terr = TERR_AUTH;
	struct buf line;
	char *err = NULL;

	if (!(s->caps.flags & CAP_AUTH)) {
		fail_polite(s, STAGE_AUTH, TERR_UNSUPPORTED,
		    "the server does not support authentication");
		return;
	}
	link.tls = s->tls_on ? conn_tls(s->conn) : NULL;
	link.loopback = conn_peer_is_loopback(s->conn);
	link.peer = conn_peer(s->conn);
	s->state = ST_AUTH;
	buf_init(&line);
	if (smtp_auth_new(&s->p.auth, &s->caps, &link, &s->auth, &terr,
	    &err) < 0 || smtp_auth_start(s->auth, &line, &s->shown, &err) !=
	    AUTH_SEND) {
		buf_free(&line);
		smtp_classify(STAGE_AUTH, err && s->auth ? TERR_SOFTWARE :
		    terr, NULL, &s->result.outcome);
		fail(s, "%s", err ? err : "authentication failed");
		free(err);
		return;
	}
	auth_send(s, &line);
}

static void on_auth_reply(struct smtp_session *s)
{
	const char *text;
	struct buf line;
	char *err = NULL, *challenge;
	size_t len;

	text = smtp_reply_line(&s->reply, 0, &len);
	challenge = xstrndup(text ? text : "", text ? len : 0);
	buf_init(&line);
	switch (smtp_auth_reply(s->auth, s->reply.code, challenge, &line,
	    &s->shown, &err)) {
	case AUTH_SEND:
		auth_send(s, &line);
		break;
	case AUTH_DONE:
		buf_free(&line);
		s->authenticated = 1;
		smtp_auth_free(s->auth);
		s->auth = NULL;
		open_done(s);
		break;
	case AUTH_REFUSED:
		buf_free(&line);
		fail_reply(s, "authentication failed (method %s)",
		    smtp_auth_method(s->auth));
		break;
	case AUTH_ERROR:
		buf_free(&line);
		smtp_classify(STAGE_AUTH, TERR_SOFTWARE, NULL,
		    &s->result.outcome);
		fail(s, "%s", err ? err : "authentication failed");
		break;
	}
	free(err);
	free(challenge);
}

/* on_starttls_reply - 220: the handshake starts, in the transport. */
static void on_starttls_reply(struct smtp_session *s)
{
	if (s->reply.code != 220) {
		fail_reply(s, "command %s failed", "STARTTLS");
		return;
	}
	s->state = ST_TLS;
	conn_wait(s->conn, 1);
	conn_start_tls(s->conn, s->tls);
	s->tls = NULL;
}

/* on_etrn_reply - msmtp's words for each kind of refusal. */
static void on_etrn_reply(struct smtp_session *s)
{
	int c = s->reply.code;

	keep_reply(s);
	smtp_classify(STAGE_ETRN, TERR_NONE, &s->reply, &s->result.outcome);
	if (s->result.outcome.cls == CLASS_OK) {
		s->state = ST_READY;
		conn_wait(s->conn, 0);
		finish(s);
	} else if (c == 458 || c == 459) {
		fail(s, "the server is unable to fulfill the request");
	} else if (c == 500 || c == 501) {
		fail(s, "invalid argument for Remote Message Queue Starting");
	} else {
		fail(s, "command %s failed", "ETRN");
	}
}

/* on_greeting - 220 and its text, or the end. */
static void on_greeting(struct smtp_session *s)
{
	const char *text;
	size_t len;

	if (s->reply.code != 220) {
		fail_reply(s, "cannot get initial OK message from server");
		return;
	}
	text = smtp_reply_line(&s->reply, 0, &len);
	free(s->greeting);
	s->greeting = xstrndup(text ? text : "", text ? len : 0);
	enter_state(s, ST_EHLO);
}

static void on_reply(struct smtp_session *s)
{
	switch (s->state) {
	case ST_GREETING:
		on_greeting(s);
		return;
	case ST_STARTTLS:
		on_starttls_reply(s);
		return;
	case ST_AUTH:
		on_auth_reply(s);
		return;
	case ST_ETRN:
		on_etrn_reply(s);
		return;
	case ST_QUIT_FAIL:
		end_after_quit(s, ST_FAILED);
		return;
	case ST_EHLO:
	case ST_HELO:
		on_helo_reply(s);
		return;
	case ST_RSET:
		if (s->reply.code != 250) {
			fail_reply(s, "the server does not accept RSET");
			return;
		}
		s->need_rset = 0;
		enter_state(s, ST_MAIL);
		return;
	case ST_MAIL:
		if (smtp_reply_class(&s->reply) != 2) {
			fail_reply(s, "envelope from address %s not accepted "
			    "by the server", s->mail->from);
			return;
		}
		s->state = ST_RCPT;
		if (!s->pipelined)
			enter_state(s, ST_RCPT);
		return;
	case ST_RCPT:
		on_rcpt_reply(s);
		return;
	case ST_DATA:
		on_data_reply(s);
		return;
	case ST_EOM:
		on_eom_reply(s);
		return;
	case ST_QUIT:
		keep_reply(s);
		end_after_quit(s, ST_CLOSED);
		return;
	case ST_BODY:
		fail_reply(s, "the server did not accept the mail");
		return;
	case ST_READY:
		/* Unasked for, between steps (421 before an idle timeout):
		 * the session is over, and no mail is to blame, whatever
		 * the code. */
		keep_reply(s);
		smtp_classify(STAGE_RSET, TERR_CLOSED, &s->reply,
		    &s->result.outcome);
		fail(s, "the server sent an unexpected reply");
		return;
	default:
		fail_reply(s, "the server sent an unexpected reply");
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
		fail_terr(s, TERR_BADREPLY, "the server sent an invalid reply");
		return;
	case REPLY_DONE:
		/* on_reply may end in a callback that frees s: last act. */
		s->reply_done = 1;
		conn_reply_done(s->conn);
		on_reply(s);
		return;
	}
}

/* trace_tls_info - msmtp's -d block about the TLS session. */
static void trace_tls_info(struct smtp_session *s)
{
	struct buf out;
	const char *line, *nl;

	buf_init(&out);
	tls_info_format(&s->tlsinfo, &out);
	for (line = out.data; (nl = strchr(line, '\n')) != NULL;
	    line = nl + 1)
		s->p.trace("", line, (size_t)(nl - line), s->p.trace_arg);
	buf_free(&out);
}

/* on_tls_ready - the handshake and the checks passed. */
static void on_tls_ready(struct smtp_session *s)
{
	char *err = NULL;

	s->tls_on = 1;
	if (s->p.trace != NULL || s->p.want_tls_info) {
		if (tls_info(conn_tls(s->conn), &s->tlsinfo, &err) < 0) {
			fail_terr(s, TERR_TLS_VERIFY, err);
			free(err);
			return;
		}
		s->have_tlsinfo = 1;
		if (s->p.trace != NULL)
			trace_tls_info(s);
	}
	if (s->state == ST_TLS_IMPLICIT) {
		s->state = ST_GREETING;
		return;
	}
	/* What the server said before TLS no longer counts. */
	smtp_caps_free(&s->caps);
	enter_state(s, ST_EHLO);
}

static void on_conn_event(struct conn *c, enum conn_event ev,
    const char *line, size_t len, void *arg)
{
	struct smtp_session *s = arg;

	(void)c;
	if (s->state == ST_READY && s->cb == NULL &&
	    (ev == CONN_LINE || ev == CONN_ERROR))
		/* Idle: what comes now belongs to no step; the last step's
		 * result must not pass for its result (begin_step). */
		clear_result(s);
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
		on_tls_ready(s);
		return;
	case CONN_LINE:
		on_line(s, line, len);
		return;
	case CONN_WRITTEN:
		if (s->state == ST_BODY)
			pump_body(s);
		return;
	case CONN_ERROR:
		if (s->state == ST_QUIT_FAIL || s->state == ST_QUIT) {
			/* The server hung up after QUIT: that is fine. */
			end_after_quit(s, s->state == ST_QUIT ? ST_CLOSED :
			    ST_FAILED);
			return;
		}
		fail_terr(s, conn_terr(c), conn_errmsg(c));
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

/* begin_step - start a step with its callback and a fresh result. */
static int begin_step(struct smtp_session *s, enum state want, smtp_cb cb,
    void *arg)
{
	if (s->unreported) {
		/* The server closed the idle session, or said 421 while no
		 * step was in progress: that failure (temporary, with its
		 * message) is this step's result, not "not ready". */
		s->unreported = 0;
		s->cb = cb;
		s->cb_arg = arg;
		finish(s);
		return 0;
	}
	clear_result(s);
	s->cb = cb;
	s->cb_arg = arg;
	if (s->state == want)
		return 1;
	smtp_classify(stage_of(s->state), TERR_SOFTWARE, NULL,
	    &s->result.outcome);
	s->result.errmsg = xstrdup("the SMTP session is not ready");
	finish(s);
	return 0;
}

void smtp_session_open(struct smtp_session *s, smtp_cb cb, void *arg)
{
	enum smtp_terr terr = TERR_TLS;
	char *err = NULL;

	if (!begin_step(s, ST_NEW, cb, arg))
		return;
	s->state = ST_CONNECT;
	/* The TLS files are read before connecting, as msmtp does. */
	if (s->p.tls && tls_new(&s->p.tls_params, &s->tls, &terr, &err) < 0) {
		smtp_classify(STAGE_TLS, terr, NULL, &s->result.outcome);
		fail(s, "%s", err);
		free(err);
		return;
	}
	s->conn = conn_new(s->loop, on_conn_event, s);
	conn_set_route(s->conn, &s->p.route);
	conn_connect(s->conn, s->p.host, s->p.port, s->p.timeout * 1000);
}

void smtp_session_send(struct smtp_session *s, const struct smtp_mail *m,
    smtp_cb cb, void *arg)
{
	if (!begin_step(s, ST_READY, cb, arg))
		return;
	if (m->nrcpts == 0) {
		/* Nothing would end such a transaction but a hang (a
		 * pipelined DATA) or a crash: never started. */
		smtp_classify(STAGE_MAIL, TERR_LOCAL, NULL, &s->result.outcome);
		fail(s, "the mail has no recipients");
		return;
	}
	begin_transaction(s, m);
	enter_state(s, s->need_rset ? ST_RSET : ST_MAIL);
}

int smtp_session_can_send_next(const struct smtp_session *s)
{
	return s->next == NULL && !s->p.lmtp && s->pipelined &&
	    (s->state == ST_MAIL || s->state == ST_RCPT ||
	    s->state == ST_DATA || s->state == ST_BODY || s->state == ST_EOM);
}

void smtp_session_send_next(struct smtp_session *s,
    const struct smtp_mail *m, smtp_cb cb, void *arg)
{
	if (m->nrcpts == 0)
		return;		/* forgotten: send() refuses it */
	s->next = m;
	s->next_cb = cb;
	s->next_arg = arg;
	if (s->state != ST_EOM)
		return;		/* pump_body() sends them with the dot */
	put_next_cmds(s);
	flush_out(s);
}

int smtp_session_has_mail(const struct smtp_session *s,
    const struct smtp_mail *m)
{
	if (s->next == m)
		return 1;
	return s->mail == m && s->state >= ST_MAIL && s->state <= ST_EOM;
}

void smtp_session_quit(struct smtp_session *s, smtp_cb cb, void *arg)
{
	if (!begin_step(s, ST_READY, cb, arg))
		return;
	enter_state(s, ST_QUIT);
}

void smtp_session_etrn(struct smtp_session *s, const char *arg, smtp_cb cb,
    void *cbarg)
{
	if (!begin_step(s, ST_READY, cb, cbarg))
		return;
	if (!(s->caps.flags & CAP_ETRN)) {
		fail_polite(s, STAGE_ETRN, TERR_UNSUPPORTED, "the server does "
		    "not support Remote Message Queue Starting");
		return;
	}
	free(s->etrn_arg);
	s->etrn_arg = xstrdup(arg);
	enter_state(s, ST_ETRN);
}

void smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	close_conn(s);
	clear_result(s);
	smtp_caps_free(&s->caps);
	smtp_reply_free(&s->reply);
	buf_free(&s->out);
	buf_free(&s->shown);
	buf_free(&s->trace_carry);
	tls_free(s->tls);
	tls_info_free(&s->tlsinfo);
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
