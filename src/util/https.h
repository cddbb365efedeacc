/*
 * https - one HTTPS POST of a form, through libcurl loaded on first use.
 *
 * Only OAuth2 needs HTTP (account/oauth2.h), and only when a token has to
 * be fetched, so libcurl (Debian's libcurl-gnutls.so.4) is dlopen()ed
 * here rather than linked: an ordinary send never loads it. Without the
 * library the call fails with EX_UNAVAILABLE and says which package
 * brings it.
 *
 * Only https: URLs are fetched (redirects are not followed); the
 * server's certificate is checked against trust_file (NULL or "system":
 * the system's store) unless certcheck is 0, as the account's
 * tls_trust_file and tls_certcheck say for its mail server.
 *
 * Ownership: the reply body is appended to the caller's buffer; *errstr
 * is newly allocated, the caller frees it. Return values: EX_OK (any
 * HTTP status: *status has it), EX_UNAVAILABLE (no libcurl), EX_TEMPFAIL
 * (the request did not complete: name, connection, TLS, timeout).
 *
 * SECURITY: the form may hold secrets (a client secret, a refresh
 * token); it goes to the URL's server only, and no message here quotes
 * it or the reply.
 */
#ifndef UTIL_HTTPS_H
#define UTIL_HTTPS_H

#include "util/buf.h"

struct https_post {
	const char	*url;
	const char	*form;		/* application/x-www-form-urlencoded */
	const char	*trust_file;	/* NULL, "system": the system's */
	int		 certcheck;
	int		 timeout;	/* seconds for the whole request; 0:
					   HTTPS_TIMEOUT */
};

#define HTTPS_TIMEOUT	60

int https_post(const struct https_post *req, struct buf *reply,
    long *status, char **errstr);

/* https_form_escape - s percent-encoded for a form value (RFC 3986
 * unreserved characters kept); newly allocated. */
char *https_form_escape(const char *s);

#endif
