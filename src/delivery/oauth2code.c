/*
 * oauth2code - the code flow with PKCE and a loopback redirect; see
 * oauth2code.h.
 */
#include "delivery/oauth2code.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "account/account.h"
#include "account/oauth2.h"
#include "delivery/oauth2auth.h"
#include "util/buf.h"
#include "util/harden.h"
#include "util/hex.h"
#include "util/https.h"
#include "util/json.h"
#include "util/xalloc.h"

#define REQUEST_MAX	8192

/* b64url - RFC 4648 §5 without padding, as RFC 7636 wants. */
static char *b64url(const unsigned char *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	struct buf b;
	unsigned v;
	size_t i;
	int bits = 0;

	buf_init(&b);
	for (i = 0, v = 0; i < n; i++) {
		v = (v << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			buf_putc(&b, abc[(v >> bits) & 63]);
		}
	}
	if (bits > 0)
		buf_putc(&b, abc[(v << (6 - bits)) & 63]);
	return buf_steal(&b);
}

/* random_b64url - n random bytes, encoded; NULL if GnuTLS has none. */
static char *random_b64url(size_t n)
{
	unsigned char r[32];

	if (n > sizeof(r) || gnutls_rnd(GNUTLS_RND_KEY, r, n) != 0)
		return NULL;
	return b64url(r, n);
}

/* challenge - BASE64URL(SHA256(verifier)) (RFC 7636 §4.2). */
static char *challenge(const char *verifier)
{
	unsigned char d[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier),
	    d) != 0)
		return NULL;
	return b64url(d, sizeof(d));
}

/* listen_loopback - a listening socket on 127.0.0.1; its port. */
static int listen_loopback(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* auth_url - the URL the user opens. */
static char *auth_url(const struct account *a,
    const struct oauth2_endpoints *ep, const char *redirect,
    const char *chal, const char *state)
{
	char *id = https_form_escape(a->oauth2_client_id);
	char *ru = https_form_escape(redirect);
	char *sc = https_form_escape(ep->scope ? ep->scope : "");
	char *url;
	int google = a->oauth2_provider != NULL &&
	    strcmp(a->oauth2_provider, "google") == 0;

	url = xasprintf("%s%sresponse_type=code&client_id=%s&redirect_uri=%s"
	    "&scope=%s&code_challenge=%s&code_challenge_method=S256&state=%s"
	    "%s", ep->auth_url, strchr(ep->auth_url, '?') ? "&" : "?", id,
	    ru, sc, chal, state,
	    google ? "&access_type=offline&prompt=consent" : "");
	free(id);
	free(ru);
	free(sc);
	return url;
}

/* decode - the percent-encoded bytes from p to end. */
static char *decode(const char *p, const char *end)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "");
	for (; p < end; p++) {
		if (*p == '%' && end - p >= 3 &&
		    hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
			buf_putc(&b, (char)(hex_digit(p[1]) * 16 + hex_digit(p[2])));
			p += 2;
		} else {
			buf_putc(&b, *p == '+' ? ' ' : *p);
		}
	}
	return buf_steal(&b);
}

/* query_param - name's value in the request line's query, decoded. */
static char *query_param(const char *req, const char *name)
{
	const char *q = strchr(req, '?'), *end, *p, *seg;
	size_t n = strlen(name);

	if (q == NULL || q > req + strcspn(req, "\r\n"))
		return NULL;
	end = q + strcspn(q, " \r\n");
	for (p = q + 1; p < end; p = seg + 1) {
		seg = p + strcspn(p, "& \r\n");
		if ((size_t)(seg - p) > n && strncmp(p, name, n) == 0 &&
		    p[n] == '=')
			return decode(p + n + 1, seg);
	}
	return NULL;
}

/* wait_ms - poll()'s timeout for what is left until deadline; 0 once
 * it has passed (a negative one would wait for ever). */
static int wait_ms(time_t deadline)
{
	time_t left = deadline - time(NULL);

	return left > 0 ? (int)left * 1000 : 0;
}

/* read_request - the browser's request head (up to the blank line or
 * REQUEST_MAX bytes), within the deadline. */
static int read_request(int fd, time_t deadline, struct buf *req)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char chunk[1024];
	ssize_t n;

	while (strstr(req->data, "\r\n\r\n") == NULL &&
	    req->len < REQUEST_MAX) {
		if (poll(&p, 1, wait_ms(deadline)) <= 0)
			return -1;
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			return -1;
		buf_append(req, chunk, (size_t)n);
	}
	return 0;
}

/* answer - the page the browser shows. */
static void answer(int fd, int ok)
{
	const char *page = ok ?
	    "msmtp is authorized. You can close this window.\n" :
	    "msmtp was not authorized. See the terminal.\n";
	char *r = xasprintf("HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    ok ? "200 OK" : "400 Bad Request", strlen(page), page);

	(void)!write(fd, r, strlen(r));
	free(r);
}

/* wait_code - the code of the first redirect whose state is ours. */
static int wait_code(int lfd, const char *state, char **code, char **errstr)
{
	time_t deadline = time(NULL) + OAUTH2_AUTHORIZE_WAIT;
	struct pollfd p = { lfd, POLLIN, 0 };
	struct buf req;
	char *got, *err;
	int fd, rc = EX_TEMPFAIL;

	while (rc == EX_TEMPFAIL) {
		if (poll(&p, 1, wait_ms(deadline)) <= 0) {
			*errstr = xstrdup("no answer from the browser in time");
			return EX_NOPERM;
		}
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		buf_init(&req);
		buf_puts(&req, "");
		if (read_request(fd, time(NULL) + 30, &req) == 0 &&
		    (got = query_param(req.data, "state")) != NULL) {
			if (strcmp(got, state) == 0) {
				*code = query_param(req.data, "code");
				err = query_param(req.data, "error");
				rc = *code != NULL ? EX_OK : EX_NOPERM;
				if (rc != EX_OK)
					*errstr = xasprintf("the OAuth2 server "
					    "refused the authorization (%s)",
					    err ? err : "no code");
				free(err);
			}
			free(got);
		}
		answer(fd, rc == EX_OK);
		close(fd);
		wipe(req.data, req.cap);
		buf_free(&req);
	}
	return rc;
}

/* exchange - RFC 6749 §4.1.3 with the verifier; the tokens stored. */
static int exchange(const struct account *a, const char *token_url,
    const char *secret, const char *code, const char *redirect,
    const char *verifier, char **errstr)
{
	char *c = https_form_escape(code), *r = https_form_escape(redirect);
	char *f, *why;
	struct buf reply;
	long status;
	int rc;

	f = xasprintf("grant_type=authorization_code&code=%s&redirect_uri=%s"
	    "&code_verifier=%s", c, r, verifier);
	buf_init(&reply);
	rc = oauth2_post(a, token_url, f, secret, &reply, &status, errstr);
	if (rc == EX_OK && status == 200) {
		rc = oauth2_keep(a, reply.data, secret, errstr);
	} else if (rc == EX_OK) {
		why = json_string(reply.data, "error");
		*errstr = xasprintf("the OAuth2 token endpoint refused the "
		    "code (HTTP %ld%s%s)", status, why ? ": " : "",
		    why ? why : "");
		free(why);
		rc = EX_NOPERM;
	}
	wipe_free(f);
	wipe_free(c);
	free(r);
	wipe(reply.data, reply.cap);
	buf_free(&reply);
	return rc;
}

int oauth2_code_flow(const struct account *a,
    const struct oauth2_endpoints *ep, const char *secret, FILE *out,
    char **errstr)
{
	char *verifier = random_b64url(32), *state = random_b64url(16);
	char *chal = verifier ? challenge(verifier) : NULL;
	char *redirect = NULL, *url = NULL, *code = NULL;
	int lfd = -1, port = 0, rc;

	if (verifier == NULL || state == NULL || chal == NULL ||
	    (lfd = listen_loopback(&port)) < 0) {
		*errstr = xasprintf("cannot start the OAuth2 code flow: %s",
		    strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	redirect = xasprintf("http://127.0.0.1:%d/", port);
	url = auth_url(a, ep, redirect, chal, state);
	fprintf(out, "To authorize msmtp to send mail as %s, open this URL "
	    "in a browser:\n  %s\nmsmtp listens for the answer on "
	    "127.0.0.1:%d. From a browser on another machine, forward "
	    "the port first:\n  ssh -L %d:127.0.0.1:%d THIS-HOST\n"
	    "Waiting for your answer...\n", a->user ? a->user : a->id, url,
	    port, port, port);
	fflush(out);
	rc = wait_code(lfd, state, &code, errstr);
	if (rc == EX_OK)
		rc = exchange(a, ep->token_url, secret, code, redirect,
		    verifier, errstr);
out:
	if (lfd >= 0)
		close(lfd);
	wipe_free(verifier);
	wipe_free(code);
	free(state);
	free(chal);
	free(redirect);
	free(url);
	return rc;
}
