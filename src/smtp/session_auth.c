/*
 * session_auth - the AUTH exchange of the SMTP session, driving auth.c:
 * the method chosen from what the server offers, each line sent masked
 * in the trace (credentials never shown), the lines wiped once written.
 */
#include "smtp/session_impl.h"

#include <stdlib.h>
#include <string.h>

#include "smtp/conn.h"
#include "util/xalloc.h"

/* auth_send - send the line auth.c made, masked in the trace. */
static void auth_send(struct smtp_session *s, struct buf *line)
{
	sess_send_masked(s, line, &s->shown);
	explicit_bzero(line->data, line->len);
	buf_free(line);
	buf_reset(&s->shown);
	sess_flush_out(s);
}

/* sess_start_auth - choose the method and send AUTH. */
void sess_start_auth(struct smtp_session *s)
{
	struct smtp_auth_link link;
	enum smtp_terr terr = TERR_AUTH;
	struct buf line;
	char *err = NULL;

	if (!(s->caps.flags & CAP_AUTH)) {
		sess_fail_polite(s, STAGE_AUTH, TERR_UNSUPPORTED,
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
		sess_fail(s, "%s", err ? err : "authentication failed");
		free(err);
		return;
	}
	auth_send(s, &line);
}

void sess_on_auth_reply(struct smtp_session *s)
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
		sess_open_done(s);
		break;
	case AUTH_REFUSED:
		buf_free(&line);
		sess_fail_reply(s, "authentication failed (method %s)",
		    smtp_auth_method(s->auth));
		break;
	case AUTH_ERROR:
		buf_free(&line);
		smtp_classify(STAGE_AUTH, TERR_SOFTWARE, NULL,
		    &s->result.outcome);
		sess_fail(s, "%s", err ? err : "authentication failed");
		break;
	}
	free(err);
	free(challenge);
}
