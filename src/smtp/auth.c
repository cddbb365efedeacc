/*
 * auth - SMTP AUTH with GNU SASL and the built-in OAuth methods; see
 * auth.h.
 *
 * The exchange on the wire is msmtp's (its smtp_auth()): PLAIN goes in
 * the AUTH command itself; for the other GNU SASL methods the AUTH
 * command names the method and the first client message (SCRAM's
 * client-first, EXTERNAL's authzid) follows the first 334; an empty
 * client message is sent after a 334 only where SASL needs it, and once
 * GNU SASL is done a further 334 (DIGEST-MD5's rspauth) gets an empty
 * line. Unlike msmtp, every 334 is answered, so a server never reads a
 * later command as a SASL response.
 *
 * SECURITY: credentials are copied into the struct and wiped on free;
 * the password callback's result too. Challenges from the network go to
 * GNU SASL (bounded by the reply parser's line limit) or are ignored.
 * They are base64-decoded here (GnuTLS) into a NUL-terminated buffer
 * before GNU SASL sees them: libgsasl 2.2's DIGEST-MD5 parser reads past
 * the end of a challenge that is not terminated (gsasl_step64() hands it
 * such a buffer: a heap over-read found with ASan on an empty challenge).
 */
#include "smtp/auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gsasl.h>

#include "smtp/tls.h"
#include "util/harden.h"
#include "util/xalloc.h"

#define HIDDEN	"********"

enum builtin { VIA_GSASL, VIA_OAUTHBEARER, VIA_XOAUTH2 };

struct smtp_auth {
	char		*mech;
	enum builtin	 via;
	Gsasl		*ctx;
	Gsasl_session	*sctx;
	char		*pending;	/* client's first message, for the
					   first 334 */
	int		 finished;	/* GNU SASL has said its last word */
	int		 token_sent;	/* OAuth: the token went out */
	char		*user;
	char		*password;
	char		*host;
	int		 port;
};

/* The choice, best first; "tls" entries only under TLS, "cb" ones only
 * with channel binding. */
static const struct {
	const char	*mech;
	int		 tls;
	int		 cb;
} choice[] = {
	{ "SCRAM-SHA-256-PLUS", 1, 1 },
	{ "SCRAM-SHA-1-PLUS", 1, 1 },
	{ "SCRAM-SHA-256", 0, 0 },
	{ "SCRAM-SHA-1", 0, 0 },
	{ "PLAIN", 1, 0 },
	{ "CRAM-MD5", 1, 0 },
	{ "DIGEST-MD5", 1, 0 },
	{ "LOGIN", 1, 0 },
	{ "NTLM", 1, 0 },
};

const char *smtp_auth_choose(const struct smtp_caps *caps, int tls, int cb,
    int (*supported)(const char *mech, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < sizeof(choice) / sizeof(choice[0]); i++) {
		if ((choice[i].tls && !tls) || (choice[i].cb && !cb))
			continue;
		if (smtp_caps_has_auth(caps, choice[i].mech) &&
		    supported(choice[i].mech, arg))
			return choice[i].mech;
	}
	return NULL;
}

/* builtin_of - which code does mech. */
static enum builtin builtin_of(const char *mech)
{
	if (strcmp(mech, "OAUTHBEARER") == 0)
		return VIA_OAUTHBEARER;
	if (strcmp(mech, "XOAUTH2") == 0)
		return VIA_XOAUTH2;
	return VIA_GSASL;
}

/* gsasl_supports - supported() for smtp_auth_choose(). */
static int gsasl_supports(const char *mech, void *arg)
{
	return gsasl_client_support_p(arg, mech);
}

void smtp_auth_free(struct smtp_auth *a)
{
	if (a == NULL)
		return;
	if (a->sctx != NULL)
		gsasl_finish(a->sctx);
	if (a->ctx != NULL)
		gsasl_done(a->ctx);
	free(a->mech);
	wipe_free(a->pending);
	free(a->user);
	wipe_free(a->password);
	free(a->host);
	free(a);
}

const char *smtp_auth_method(const struct smtp_auth *a)
{
	return a->mech;
}

/* fail - set the error; returns -1. */
static int fail(enum smtp_terr *terr, enum smtp_terr what, char **errstr,
    char *msg)
{
	*terr = what;
	*errstr = msg;
	return -1;
}

/* pick_method - the named method, checked, or msmtp's choice. */
static int pick_method(struct smtp_auth *a, const struct smtp_auth_params *p,
    const struct smtp_caps *caps, const struct smtp_auth_link *link,
    enum smtp_terr *terr, char **errstr)
{
	const char *m = p->mech;
	char *cb = NULL;
	int exporter;

	if (m[0] != '\0') {
		if (!smtp_caps_has_auth(caps, m))
			return fail(terr, TERR_UNSUPPORTED, errstr, xasprintf(
			    "the server does not support authentication "
			    "method %s", m));
		if (builtin_of(m) == VIA_GSASL &&
		    !gsasl_client_support_p(a->ctx, m))
			return fail(terr, TERR_SOFTWARE, errstr, xasprintf(
			    "GNU SASL: authentication method %s not "
			    "supported", m));
		a->mech = xstrdup(m);
		return 0;
	}
	if (link->tls != NULL)
		cb = tls_channel_binding(link->tls, &exporter);
	m = smtp_auth_choose(caps, link->tls != NULL, cb != NULL,
	    gsasl_supports, a->ctx);
	free(cb);
	if (m == NULL)
		return fail(terr, TERR_AUTH, errstr, xstrdup(link->tls ?
		    "cannot find a usable authentication method" :
		    "cannot use a secure authentication method"));
	a->mech = xstrdup(m);
	return 0;
}

/* check_clear_text - this project's rule: see auth.h. */
static int check_clear_text(const struct smtp_auth *a,
    const struct smtp_auth_link *link, enum smtp_terr *terr, char **errstr)
{
	if (link->tls != NULL || link->loopback ||
	    !smtp_auth_clear_text(a->mech))
		return 0;
	return fail(terr, TERR_AUTH, errstr, xasprintf("authentication "
	    "method %s would send the password in clear text to %s, which "
	    "is not on loopback; use tls", a->mech,
	    link->peer && link->peer[0] ? link->peer : "the server"));
}

/* gather_credentials - the user and password the method needs. */
static int gather_credentials(struct smtp_auth *a,
    const struct smtp_auth_params *p, enum smtp_terr *terr, char **errstr)
{
	int external = strcmp(a->mech, "EXTERNAL") == 0;
	char *cberr = NULL;

	if (p->user != NULL)
		a->user = xstrdup(p->user);
	if (external)
		return 0;
	if (a->user == NULL)
		return fail(terr, TERR_AUTH, errstr, xasprintf(
		    "authentication method %s needs a user name", a->mech));
	if (strcmp(a->mech, "GSSAPI") == 0)
		return 0;
	if (p->password != NULL)
		a->password = xstrdup(p->password);
	else if (p->password_cb != NULL)
		a->password = p->password_cb(p->host, a->user,
		    p->password_arg, &cberr);
	if (a->password == NULL && cberr != NULL)
		return fail(terr, TERR_CONFIG, errstr, cberr);
	if (a->password == NULL)
		return fail(terr, TERR_AUTH, errstr, xasprintf(
		    "authentication method %s needs a password", a->mech));
	return 0;
}

/* set_channel_binding - tls-exporter or tls-unique for -PLUS. */
static void set_channel_binding(struct smtp_auth *a, struct tls *tls)
{
	char *cb;
	int exporter;

	if (tls == NULL || strstr(a->mech, "-PLUS") == NULL)
		return;
	cb = tls_channel_binding(tls, &exporter);
	if (cb == NULL)
		return;
	gsasl_property_set(a->sctx, exporter ? GSASL_CB_TLS_EXPORTER :
	    GSASL_CB_TLS_UNIQUE, cb);
	free(cb);
}

/* start_gsasl - a GNU SASL client session with msmtp's properties. */
static int start_gsasl(struct smtp_auth *a, const struct smtp_auth_params *p,
    const struct smtp_auth_link *link, enum smtp_terr *terr, char **errstr)
{
	int e;

	e = gsasl_client_start(a->ctx, a->mech, &a->sctx);
	if (e != GSASL_OK) {
		a->sctx = NULL;
		return fail(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "GNU SASL: %s", gsasl_strerror(e)));
	}
	if (a->user != NULL) {
		gsasl_property_set(a->sctx, GSASL_AUTHID, a->user);
		/* Only EXTERNAL gets an authzid: DIGEST-MD5 fails with it
		 * at some servers (msmtp's experience). */
		if (strcmp(a->mech, "EXTERNAL") == 0)
			gsasl_property_set(a->sctx, GSASL_AUTHZID, a->user);
	}
	if (a->password != NULL)
		gsasl_property_set(a->sctx, GSASL_PASSWORD, a->password);
	gsasl_property_set(a->sctx, GSASL_SERVICE, "smtp");
	if (p->host != NULL)
		gsasl_property_set(a->sctx, GSASL_HOSTNAME, p->host);
	if (p->ntlmdomain != NULL)
		gsasl_property_set(a->sctx, GSASL_REALM, p->ntlmdomain);
	set_channel_binding(a, link->tls);
	return 0;
}

int smtp_auth_new(const struct smtp_auth_params *p,
    const struct smtp_caps *caps, const struct smtp_auth_link *link,
    struct smtp_auth **out, enum smtp_terr *terr, char **errstr)
{
	struct smtp_auth *a = xcalloc(1, sizeof(*a));
	int e;

	a->host = xstrdup(p->host ? p->host : "");
	a->port = p->port;
	e = gsasl_init(&a->ctx);
	if (e != GSASL_OK) {
		a->ctx = NULL;
		smtp_auth_free(a);
		return fail(terr, TERR_SOFTWARE, errstr, xasprintf(
		    "GNU SASL: %s", gsasl_strerror(e)));
	}
	if (pick_method(a, p, caps, link, terr, errstr) < 0 ||
	    check_clear_text(a, link, terr, errstr) < 0 ||
	    gather_credentials(a, p, terr, errstr) < 0) {
		smtp_auth_free(a);
		return -1;
	}
	a->via = builtin_of(a->mech);
	if (a->via == VIA_GSASL && start_gsasl(a, p, link, terr, errstr) < 0) {
		smtp_auth_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* b64 - base64 of len bytes, via GnuTLS, appended to out. */
static void b64(struct buf *out, const char *data, size_t len)
{
	gnutls_datum_t in, enc;

	in.data = (unsigned char *)(uintptr_t)data;
	in.size = (unsigned int)len;
	if (len == 0 || gnutls_base64_encode2(&in, &enc) < 0)
		return;
	buf_append(out, enc.data, enc.size);
	explicit_bzero(enc.data, enc.size);
	gnutls_free(enc.data);
}

/* oauth_payload - the OAUTHBEARER or XOAUTH2 client message, base64. */
static char *oauth_payload(const struct smtp_auth *a)
{
	struct buf raw, enc;
	char *s;

	buf_init(&raw);
	buf_init(&enc);
	if (a->via == VIA_OAUTHBEARER)
		buf_printf(&raw, "n,a=%s,\001host=%s\001port=%d\001"
		    "auth=Bearer %s\001\001", a->user, a->host, a->port,
		    a->password);
	else
		buf_printf(&raw, "user=%s\001auth=Bearer %s\001\001",
		    a->user, a->password);
	b64(&enc, raw.data, raw.len);
	explicit_bzero(raw.data, raw.len);
	buf_free(&raw);
	s = buf_steal(&enc);
	buf_free(&enc);
	return s;
}

/* say - the line to send and, credentials hidden, the one to show. */
static enum smtp_auth_status say(struct buf *line, struct buf *shown,
    const char *cmd, const char *secret)
{
	buf_reset(line);
	buf_reset(shown);
	if (cmd != NULL) {
		buf_puts(line, cmd);
		buf_puts(shown, cmd);
		if (secret != NULL) {
			buf_putc(line, ' ');
			buf_putc(shown, ' ');
		}
	}
	if (secret != NULL) {
		buf_puts(line, secret);
		buf_puts(shown, secret[0] != '\0' ? HIDDEN : "");
	}
	return AUTH_SEND;
}

/* gsasl_error - the message for a GNU SASL failure. */
static enum smtp_auth_status gsasl_error(int e, char **errstr)
{
	*errstr = xasprintf("GNU SASL: %s", gsasl_strerror(e));
	return AUTH_ERROR;
}

/* unb64 - decode a challenge into a NUL-terminated buffer (see the
 * SECURITY note); NULL if it is not base64. */
static char *unb64(const char *in, size_t *len)
{
	gnutls_datum_t enc, dec;
	char *out;

	*len = 0;
	if (in[0] == '\0')
		return xstrdup("");
	enc.data = (unsigned char *)(uintptr_t)in;
	enc.size = (unsigned int)strlen(in);
	if (gnutls_base64_decode2(&enc, &dec) < 0)
		return NULL;
	out = xmalloc(dec.size + 1);
	memcpy(out, dec.data, dec.size);
	out[dec.size] = '\0';
	*len = dec.size;
	explicit_bzero(dec.data, dec.size);
	gnutls_free(dec.data);
	return out;
}

/* sasl_step - one GNU SASL step, base64 in (NULL: none yet) and out. */
static int sasl_step(struct smtp_auth *a, const char *in64, char **out64)
{
	struct buf enc;
	char *in = NULL, *out = NULL;
	size_t inlen = 0, outlen = 0;
	int e;

	*out64 = NULL;
	if (in64 != NULL && (in = unb64(in64, &inlen)) == NULL)
		return GSASL_BASE64_ERROR;
	e = gsasl_step(a->sctx, in, inlen, &out, &outlen);
	if (in != NULL) {
		explicit_bzero(in, inlen);
		free(in);
	}
	if (e == GSASL_OK || e == GSASL_NEEDS_MORE) {
		buf_init(&enc);
		b64(&enc, out, outlen);
		*out64 = buf_steal(&enc);	/* "" for an empty message */
		buf_free(&enc);
	}
	if (out != NULL) {
		explicit_bzero(out, outlen);
		gsasl_free(out);
	}
	return e;
}

enum smtp_auth_status smtp_auth_start(struct smtp_auth *a, struct buf *line,
    struct buf *shown, char **errstr)
{
	char cmd[64], *out = NULL;
	enum smtp_auth_status st;
	int e;

	snprintf(cmd, sizeof(cmd), "AUTH %s", a->mech);
	if (a->via != VIA_GSASL) {
		a->pending = oauth_payload(a);
		if (a->via == VIA_XOAUTH2)
			return say(line, shown, cmd, NULL);
		/* OAUTHBEARER: the token rides in the command. */
		a->token_sent = 1;
		st = say(line, shown, cmd, a->pending);
		wipe_free(a->pending);
		a->pending = NULL;
		return st;
	}
	e = sasl_step(a, NULL, &out);
	if (e != GSASL_OK && e != GSASL_NEEDS_MORE)
		return gsasl_error(e, errstr);
	a->finished = e == GSASL_OK;
	if (strcmp(a->mech, "PLAIN") == 0 && out[0] != '\0') {
		st = say(line, shown, cmd, out);
		wipe_free(out);
		return st;
	}
	a->pending = out;
	return say(line, shown, cmd, NULL);
}

/* sends_empty - methods whose empty client messages must be sent. */
static int sends_empty(const struct smtp_auth *a)
{
	return strncmp(a->mech, "SCRAM-", 6) == 0 ||
	    strcmp(a->mech, "GSSAPI") == 0;
}

/* answer_builtin - a 334 to OAUTHBEARER or XOAUTH2. */
static enum smtp_auth_status answer_builtin(struct smtp_auth *a,
    struct buf *line, struct buf *shown)
{
	enum smtp_auth_status st;

	if (!a->token_sent && a->pending != NULL) {
		a->token_sent = 1;
		st = say(line, shown, NULL, a->pending);
		wipe_free(a->pending);
		a->pending = NULL;
		return st;
	}
	/* An error challenge after the token (RFC 7628 3.2.2): a dummy
	 * answer, then the server's verdict. */
	return say(line, shown, NULL, a->via == VIA_OAUTHBEARER ? "AQ==" :
	    "");
}

enum smtp_auth_status smtp_auth_reply(struct smtp_auth *a, int code,
    const char *text, struct buf *line, struct buf *shown, char **errstr)
{
	enum smtp_auth_status st;
	char *out = NULL;
	int e;

	if (code == 235)
		return AUTH_DONE;
	if (code != 334)
		return AUTH_REFUSED;
	if (a->via != VIA_GSASL)
		return answer_builtin(a, line, shown);
	if (a->pending != NULL) {
		out = a->pending;
		a->pending = NULL;
		if (out[0] != '\0' || sends_empty(a)) {
			st = say(line, shown, NULL, out);
			wipe_free(out);
			return st;
		}
		wipe_free(out);
	}
	if (a->finished)
		return say(line, shown, NULL, "");
	e = sasl_step(a, text, &out);
	if (e != GSASL_OK && e != GSASL_NEEDS_MORE)
		return gsasl_error(e, errstr);
	a->finished = e == GSASL_OK;
	st = say(line, shown, NULL, out);
	wipe_free(out);
	return st;
}
