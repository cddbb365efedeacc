/*
 * oauth2auth - msmtp --oauth2-authorize, and its device authorization
 * grant (RFC 8628); the code flow is oauth2code.c. See oauth2auth.h.
 */
#include "delivery/oauth2auth.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "account/account.h"
#include "account/oauth2.h"
#include "delivery/oauth2code.h"
#include "util/harden.h"
#include "util/https.h"
#include "util/json.h"
#include "util/xalloc.h"

#define DEVICE_WAIT	900	/* seconds, when the server does not say */
#define DEVICE_INTERVAL	5	/* RFC 8628 §3.2's default */

/* What the device endpoint gave (RFC 8628 §3.2). */
struct device {
	char	*device_code;
	char	*user_code;
	char	*uri;		/* verification_uri (Google: _url) */
	time_t	 deadline;
	long	 interval;
};

static void device_free(struct device *d)
{
	wipe_free(d->device_code);
	free(d->user_code);
	free(d->uri);
}

/* form - "name=value" pairs, escaped; NULL values left out. */
static char *form(const char *n1, const char *v1, const char *n2,
    const char *v2)
{
	char *e1 = https_form_escape(v1), *e2, *f;

	if (n2 == NULL || v2 == NULL) {
		f = xasprintf("%s=%s", n1, e1);
	} else {
		e2 = https_form_escape(v2);
		f = xasprintf("%s=%s&%s=%s", n1, e1, n2, e2);
		wipe_free(e2);
	}
	wipe_free(e1);
	return f;
}

/* device_start - ask the device endpoint for a user code. */
static int device_start(const struct account *a, const char *url,
    const char *scope, const char *secret, struct device *d, char **errstr)
{
	struct buf reply;
	char *f = form("scope", scope ? scope : "", NULL, NULL);
	long status, ttl;
	int rc;

	buf_init(&reply);
	rc = oauth2_post(a, url, scope ? f : "", secret, &reply, &status,
	    errstr);
	free(f);
	if (rc == EX_OK) {
		d->device_code = json_string(reply.data, "device_code");
		d->user_code = json_string(reply.data, "user_code");
		if ((d->uri = json_string(reply.data, "verification_uri")) ==
		    NULL)
			d->uri = json_string(reply.data, "verification_url");
		ttl = json_long(reply.data, "expires_in");
		d->deadline = time(NULL) + (ttl > 0 ? ttl : DEVICE_WAIT);
		d->interval = json_long(reply.data, "interval");
		if (d->interval <= 0)
			d->interval = DEVICE_INTERVAL;
	}
	if (rc == EX_OK && (status != 200 || d->device_code == NULL ||
	    d->user_code == NULL || d->uri == NULL)) {
		f = json_string(reply.data, "error");
		*errstr = xasprintf("the OAuth2 device endpoint %s refused "
		    "(HTTP %ld%s%s)", url, status, f ? ": " : "", f ? f : "");
		free(f);
		rc = EX_NOPERM;
	}
	wipe(reply.data, reply.cap);
	buf_free(&reply);
	return rc;
}

/* device_poll - one poll of the token endpoint: EX_OK with the tokens
 * stored, EX_TEMPFAIL to poll again (d->interval adjusted), or the
 * failure. */
static int device_poll(const struct account *a, const char *token_url,
    const char *secret, struct device *d, char **errstr)
{
	struct buf reply;
	char *f, *code = NULL, *err = NULL;
	long status;
	int rc;

	buf_init(&reply);
	f = form("grant_type", "urn:ietf:params:oauth:grant-type:device_code",
	    "device_code", d->device_code);
	rc = oauth2_post(a, token_url, f, secret, &reply, &status, &err);
	wipe_free(f);
	if (rc == EX_TEMPFAIL) {
		d->interval *= 2;	/* RFC 8628 §3.5: back off */
	} else if (rc == EX_OK && status == 200) {
		rc = oauth2_keep(a, reply.data, secret, errstr);
	} else if (rc == EX_OK) {
		code = json_string(reply.data, "error");
		if (code != NULL && strcmp(code, "slow_down") == 0)
			d->interval += 5;
		if (code != NULL && (strcmp(code, "slow_down") == 0 ||
		    strcmp(code, "authorization_pending") == 0)) {
			rc = EX_TEMPFAIL;
		} else {
			*errstr = xasprintf("the OAuth2 server refused the "
			    "authorization (%s)", code ? code : "no reason");
			rc = EX_NOPERM;
		}
	} else {
		*errstr = err;
		err = NULL;
	}
	free(code);
	free(err);
	wipe(reply.data, reply.cap);
	buf_free(&reply);
	return rc;
}

/* device_flow - RFC 8628 from start to stored tokens. */
static int device_flow(const struct account *a,
    const struct oauth2_endpoints *ep, const char *secret, FILE *out,
    char **errstr)
{
	struct device d;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = device_start(a, ep->device_url, ep->scope, secret, &d, errstr);
	if (rc != EX_OK) {
		device_free(&d);
		return rc;
	}
	fprintf(out, "To authorize msmtp to send mail as %s, open\n  %s\n"
	    "and enter the code %s\nWaiting for your answer...\n",
	    a->user ? a->user : a->id, d.uri, d.user_code);
	fflush(out);
	do {
		if (time(NULL) + d.interval > d.deadline) {
			*errstr = xstrdup("the OAuth2 user code expired "
			    "before it was entered");
			rc = EX_NOPERM;
			break;
		}
		sleep((unsigned)d.interval);
		rc = device_poll(a, ep->token_url, secret, &d, errstr);
	} while (rc == EX_TEMPFAIL);
	device_free(&d);
	return rc;
}

int oauth2_authorize(const struct account *a, FILE *out, char **errstr)
{
	struct oauth2_endpoints ep;
	char *secret = NULL;
	int rc;

	oauth2_endpoints(a, &ep);
	if (ep.token_url == NULL || (ep.device_url == NULL &&
	    ep.auth_url == NULL)) {
		*errstr = xstrdup("the account names no OAuth2 provider: set "
		    "oauth2_provider, or oauth2_token_url with "
		    "oauth2_device_url or oauth2_auth_url");
		return EX_CONFIG;
	}
	if (a->oauth2_client_id == NULL) {
		*errstr = xstrdup("the account has no oauth2_client_id");
		return EX_CONFIG;
	}
	if ((rc = oauth2_client_secret(a, NULL, &secret, errstr)) != EX_OK)
		return rc;
	if (ep.device_url != NULL)
		rc = device_flow(a, &ep, secret, out, errstr);
	else
		rc = oauth2_code_flow(a, &ep, secret, out, errstr);
	if (rc == EX_OK)
		fprintf(out, "msmtp is authorized; the refresh token is "
		    "stored.\n");
	wipe_free(secret);
	return rc;
}
