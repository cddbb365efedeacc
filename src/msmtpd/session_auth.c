/*
 * session_auth - the AUTH PLAIN and LOGIN exchange of an msmtpd session
 * and its verdict, held back for the server's abuse delay. See
 * session_impl.h.
 *
 * SECURITY: decoded AUTH responses live on the stack and are wiped after
 * use; the password is compared without an early exit.
 */
#include "msmtpd/session.h"

#include <string.h>

#include "msmtpd/cmd.h"
#include "msmtpd/session_impl.h"
#include "util/buf.h"
#include "util/harden.h"
#include "util/xalloc.h"

/* same - compare a secret without an early exit on the first mismatch. */
static int same(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), i;
	unsigned char d = alen != blen;

	for (i = 0; i < alen; i++)
		d |= (unsigned char)(a[i] ^ (i < blen ? b[i] : 0));
	return d == 0;
}

/* msd_flush_pending - send the held back AUTH verdict. */
void msd_flush_pending(struct session *s)
{
	s->h->reply(s->h->arg, s->pending.data, s->pending.len);
	buf_reset(&s->pending);
	s->state = msd_ready_state(s);
	if (s->close_after_pending)
		msd_close(s);
}

/* verdict - the end of an AUTH exchange, answered now or after the
 * server's delay. */
static void verdict(struct session *s, int ok, const char *user,
    size_t userlen)
{
	struct buf who;
	unsigned ms;

	buf_init(&who);
	msd_printable(&who, user, userlen);
	buf_reset(&s->pending);
	if (ok) {
		s->user = xstrndup(user, userlen);
		buf_puts(&s->pending,
		    "235 2.7.0 Authentication successful\r\n");
		msd_log(s, "authenticated user %s", who.data);
	} else {
		buf_puts(&s->pending, "535 5.7.8 Authentication credentials "
		    "invalid\r\n");
		msd_log(s, "authentication failed for user %s", who.data);
		if (++s->auth_failures >= AUTH_FAILURES_MAX) {
			buf_printf(&s->pending, "421 4.7.0 %s Too many "
			    "authentication failures\r\n", s->conf->hostname);
			s->close_after_pending = 1;
		}
	}
	ms = s->h->auth_verdict(s->h->arg, ok, who.data);
	buf_free(&who);
	if (ms > 0) {
		s->state = ST_WAIT_AUTH;
		s->h->wait(s->h->arg, ms);
	} else {
		msd_flush_pending(s);
	}
}

/* decode_resp - a base64 AUTH response ("=" is empty) into out; 0, or
 * -1 after answering. */
static int decode_resp(struct session *s, const char *resp, size_t len,
    char *out, size_t outmax, size_t *outlen)
{
	if (len == 1 && resp[0] == '=') {
		*outlen = 0;
		return 0;
	}
	if (cmd_b64decode(resp, len, out, outmax, outlen) == 0)
		return 0;
	s->state = msd_ready_state(s);
	msd_error(s, "501 5.5.2 Cannot decode response");
	return -1;
}

static void auth_plain(struct session *s, const char *resp, size_t len)
{
	char dec[CMD_LINE_MAX];
	const char *user, *pass;
	size_t n, ulen, plen;

	if (decode_resp(s, resp, len, dec, sizeof(dec), &n) != 0)
		return;
	if (cmd_plain(dec, n, &user, &ulen, &pass, &plen) != 0)
		verdict(s, 0, "", 0);
	else
		verdict(s, same(user, ulen, s->conf->auth_user) &
		    same(pass, plen, s->conf->auth_pass), user, ulen);
	explicit_bzero(dec, sizeof(dec));
}

static void auth_login(struct session *s, const char *resp, size_t len)
{
	char dec[CMD_LINE_MAX];
	size_t n;

	if (decode_resp(s, resp, len, dec, sizeof(dec), &n) != 0)
		return;
	if (s->auth_step != AUTH_LOGIN_PASS) {
		wipe_free(s->login_user);
		/* a NUL in the name: keep one that matches nobody */
		s->login_user = memchr(dec, '\0', n) ? xstrdup("") :
		    xstrndup(dec, n);
		s->auth_step = AUTH_LOGIN_PASS;
		s->state = ST_AUTH;
		msd_reply(s, "334 UGFzc3dvcmQ6");
	} else {
		verdict(s, memchr(dec, '\0', n) == NULL &&
		    (same(s->login_user, strlen(s->login_user),
		    s->conf->auth_user) & same(dec, n, s->conf->auth_pass)),
		    s->login_user, strlen(s->login_user));
		wipe_free(s->login_user);
		s->login_user = NULL;
	}
	explicit_bzero(dec, sizeof(dec));
}

/* msd_auth_line - the client's line in an AUTH exchange. */
void msd_auth_line(struct session *s, const char *line, size_t len)
{
	if (len == 1 && line[0] == '*') {
		s->state = msd_ready_state(s);
		msd_error(s, "501 5.7.0 Authentication cancelled");
	} else if (s->auth_step == AUTH_PLAIN_RESP) {
		auth_plain(s, line, len);
	} else {
		auth_login(s, line, len);
	}
}

void msd_do_auth(struct session *s, const struct cmd *c)
{
	if (s->conf->auth_user == NULL) {
		msd_error(s, "503 5.5.1 Authentication not enabled");
		return;
	}
	if (msd_need_helo(s))
		return;
	if (s->user != NULL) {
		msd_error(s, "503 5.5.1 Already authenticated");
	} else if (s->state == ST_MAIL) {
		msd_error(s, "503 5.5.1 AUTH not allowed during a mail "
		    "transaction");
	} else if (c->err != CMD_OK) {
		msd_syntax_error(s, c);
	} else if (c->mech == MECH_OTHER) {
		msd_error(s, "504 5.5.4 Unrecognized authentication type");
	} else if (c->mech == MECH_PLAIN) {
		s->auth_step = AUTH_PLAIN_RESP;
		if (c->resp != NULL)
			auth_plain(s, c->resp, c->resplen);
		else {
			s->state = ST_AUTH;
			msd_reply(s, "334 ");
		}
	} else {
		s->auth_step = AUTH_LOGIN_USER;
		if (c->resp != NULL)
			auth_login(s, c->resp, c->resplen);
		else {
			s->state = ST_AUTH;
			msd_reply(s, "334 VXNlcm5hbWU6");
		}
	}
}
