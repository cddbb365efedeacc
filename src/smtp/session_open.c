/*
 * session_open - opening the SMTP session (smtp_session_open() starts it
 * in session.c, with the connection): the greeting, EHLO or LHLO
 * with the HELO fallback, STARTTLS and the handshake (implicit TLS too),
 * EHLO again, then AUTH (session_auth.c) or ready. With tls on, a server
 * without STARTTLS, a refused STARTTLS or a failed check ends the
 * session: nothing is ever sent in clear text instead.
 */
#include "smtp/session_impl.h"

#include <stdlib.h>
#include <string.h>

#include "smtp/conn.h"
#include "util/xalloc.h"

/* sess_open_done - the session is ready for mail. */
void sess_open_done(struct smtp_session *s)
{
	sess_keep_reply(s);
	s->state = ST_READY;
	conn_wait(s->conn, 0);
	smtp_classify(STAGE_HELO, TERR_NONE, &s->reply, &s->result.outcome);
	sess_finish(s);
}

/* after_helo - STARTTLS, AUTH or ready, as the account says. */
static void after_helo(struct smtp_session *s)
{
	if (s->p.tls && s->p.starttls && !s->tls_on) {
		if (!(s->caps.flags & CAP_STARTTLS)) {
			sess_fail_polite(s, STAGE_STARTTLS, TERR_UNSUPPORTED,
			    "the server does not support TLS via the "
			    "STARTTLS command");
			return;
		}
		sess_enter_state(s, ST_STARTTLS);
		return;
	}
	if (s->p.auth.mech != NULL && !s->authenticated) {
		sess_start_auth(s);
		return;
	}
	sess_open_done(s);
}

void sess_on_helo_reply(struct smtp_session *s)
{
	if (s->reply.code == 250) {
		if (s->state == ST_EHLO)
			smtp_caps_parse(&s->reply, &s->caps);
		after_helo(s);
		return;
	}
	if (s->state == ST_EHLO && !s->p.lmtp) {
		sess_enter_state(s, ST_HELO);
		return;
	}
	sess_fail_reply(s, "SMTP server does not accept EHLO or HELO commands");
}

/* sess_on_starttls_reply - 220: the handshake starts, in the transport. */
void sess_on_starttls_reply(struct smtp_session *s)
{
	if (s->reply.code != 220) {
		sess_fail_reply(s, "command %s failed", "STARTTLS");
		return;
	}
	s->state = ST_TLS;
	conn_wait(s->conn, 1);
	conn_start_tls(s->conn, s->tls);
	s->tls = NULL;
}

/* sess_on_greeting - 220 and its text, or the end. */
void sess_on_greeting(struct smtp_session *s)
{
	const char *text;
	size_t len;

	if (s->reply.code != 220) {
		sess_fail_reply(s, "cannot get initial OK message from server");
		return;
	}
	text = smtp_reply_line(&s->reply, 0, &len);
	free(s->greeting);
	s->greeting = xstrndup(text ? text : "", text ? len : 0);
	sess_enter_state(s, ST_EHLO);
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

/* sess_on_tls_ready - the handshake and the checks passed. */
void sess_on_tls_ready(struct smtp_session *s)
{
	char *err = NULL;

	s->tls_on = 1;
	s->tls_resumed = tls_resumed(conn_tls(s->conn));
	if (s->p.trace != NULL || s->p.want_tls_info) {
		if (tls_info(conn_tls(s->conn), &s->tlsinfo, &err) < 0) {
			sess_fail_terr(s, TERR_TLS_VERIFY, err);
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
	sess_enter_state(s, ST_EHLO);
}
