/*
 * https - a form POST through libcurl, loaded when first needed; see
 * https.h.
 *
 * libcurl is loaded, not linked, for the reason util/keyring.c loads
 * libsecret: only an account whose OAuth2 token must be fetched needs
 * it, and every other run would pay for loading it. The handle is kept
 * (RTLD_NODELETE); curl_global_init() is left to curl_easy_init(),
 * which does it once.
 */
#include "util/https.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/xalloc.h"

#define LIBCURL		"libcurl-gnutls.so.4"
#define REPLY_MAX	(256 * 1024)	/* no token reply comes near it */

struct libcurl {
	__typeof__(curl_easy_init)	*init;
	__typeof__(curl_easy_setopt)	*setopt;
	__typeof__(curl_easy_perform)	*perform;
	__typeof__(curl_easy_getinfo)	*getinfo;
	__typeof__(curl_easy_cleanup)	*cleanup;
	__typeof__(curl_easy_strerror)	*strerror;
};

static int libcurl_load(struct libcurl *lc)
{
	void *h;

	if ((h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
	    NULL)
		return 0;
	lc->init = (__typeof__(lc->init))dlsym(h, "curl_easy_init");
	lc->setopt = (__typeof__(lc->setopt))dlsym(h, "curl_easy_setopt");
	lc->perform = (__typeof__(lc->perform))dlsym(h, "curl_easy_perform");
	lc->getinfo = (__typeof__(lc->getinfo))dlsym(h, "curl_easy_getinfo");
	lc->cleanup = (__typeof__(lc->cleanup))dlsym(h, "curl_easy_cleanup");
	lc->strerror = (__typeof__(lc->strerror))dlsym(h,
	    "curl_easy_strerror");
	return lc->init != NULL && lc->setopt != NULL && lc->perform != NULL &&
	    lc->getinfo != NULL && lc->cleanup != NULL && lc->strerror != NULL;
}

/* on_data - libcurl's write callback: append, refusing a runaway reply. */
static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + n > REPLY_MAX)
		return 0;
	buf_append(b, p, n * size);
	return n * size;
}

/* set_options - the request: a POST of the form to url, https only. */
static int set_options(const struct libcurl *lc, CURL *c,
    const struct https_post *req, struct buf *reply)
{
	int bad = 0;

	bad |= lc->setopt(c, CURLOPT_URL, req->url) != CURLE_OK;
	bad |= lc->setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= lc->setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= lc->setopt(c, CURLOPT_POSTFIELDS, req->form) != CURLE_OK;
	bad |= lc->setopt(c, CURLOPT_TIMEOUT, (long)(req->timeout > 0 ?
	    req->timeout : HTTPS_TIMEOUT)) != CURLE_OK;
	bad |= lc->setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= lc->setopt(c, CURLOPT_WRITEDATA, reply) != CURLE_OK;
	if (req->trust_file != NULL && strcmp(req->trust_file, "system") != 0)
		bad |= lc->setopt(c, CURLOPT_CAINFO, req->trust_file) !=
		    CURLE_OK;
	if (!req->certcheck) {
		bad |= lc->setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
		bad |= lc->setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
	}
	return bad ? -1 : 0;
}

int https_post(const struct https_post *req, struct buf *reply,
    long *status, char **errstr)
{
	struct libcurl lc;
	CURL *c;
	CURLcode rc;

	*status = 0;
	if (!libcurl_load(&lc)) {
		*errstr = xstrdup("cannot load " LIBCURL " (install Debian's "
		    "libcurl3-gnutls) to fetch an OAuth2 token");
		return EX_UNAVAILABLE;
	}
	if ((c = lc.init()) == NULL) {
		*errstr = xstrdup("libcurl cannot start a request");
		return EX_TEMPFAIL;
	}
	if (set_options(&lc, c, req, reply) != 0) {
		lc.cleanup(c);
		*errstr = xstrdup("libcurl refused the request's options");
		return EX_UNAVAILABLE;
	}
	rc = lc.perform(c);
	if (rc == CURLE_OK)
		lc.getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		*errstr = xasprintf("%s: %s", req->url, lc.strerror(rc));
	lc.cleanup(c);
	return rc == CURLE_OK ? EX_OK : EX_TEMPFAIL;
}

char *https_form_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	unsigned char c;

	buf_init(&b);
	buf_puts(&b, "");
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			buf_putc(&b, (char)c);
			continue;
		}
		buf_putc(&b, '%');
		buf_putc(&b, hex[c >> 4]);
		buf_putc(&b, hex[c & 15]);
	}
	return buf_steal(&b);
}
