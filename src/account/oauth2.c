/*
 * oauth2 - the access token at send time (RFC 6749 §6); see oauth2.h.
 */
#include "account/oauth2.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "account/account.h"
#include "account/oauth2store.h"
#include "account/password.h"
#include "util/harden.h"
#include "util/https.h"
#include "util/json.h"
#include "util/keyring.h"
#include "util/xalloc.h"

struct provider {
	const char		*name;
	struct oauth2_endpoints	 ep;
};

/* Google's device flow refuses the mail scope: no device URL. */
static const struct provider providers[] = {
	{ "google", { "https://accounts.google.com/o/oauth2/v2/auth",
	    "https://oauth2.googleapis.com/token", NULL,
	    "https://mail.google.com/" } },
	{ "microsoft", {
	    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
	    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	    "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	    "https://outlook.office.com/SMTP.Send offline_access" } },
};

int oauth2_wanted(const struct account *a)
{
	if (a->auth_mech == NULL || a->password != NULL ||
	    a->passwordeval != NULL)
		return 0;
	if (strcmp(a->auth_mech, "OAUTHBEARER") != 0 &&
	    strcmp(a->auth_mech, "XOAUTH2") != 0)
		return 0;
	return a->oauth2_provider != NULL || a->oauth2_client_id != NULL;
}

void oauth2_endpoints(const struct account *a, struct oauth2_endpoints *ep)
{
	size_t i;

	memset(ep, 0, sizeof(*ep));
	for (i = 0; a->oauth2_provider != NULL &&
	    i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strcmp(providers[i].name, a->oauth2_provider) == 0)
			*ep = providers[i].ep;
	if (a->oauth2_auth_url != NULL)
		ep->auth_url = a->oauth2_auth_url;
	if (a->oauth2_token_url != NULL)
		ep->token_url = a->oauth2_token_url;
	if (a->oauth2_device_url != NULL)
		ep->device_url = a->oauth2_device_url;
	if (a->oauth2_scope != NULL)
		ep->scope = a->oauth2_scope;
}

/* authorize_again - the message for what only the user can fix. The
 * argument is optional, so it is joined with '=': "--oauth2-authorize
 * work" would make "work" a recipient. */
static char *authorize_again(const struct account *a, const char *why)
{
	if (a->id != NULL)
		return xasprintf("%s: run msmtp --oauth2-authorize=%s", why,
		    a->id);
	return xasprintf("%s: run msmtp --oauth2-authorize", why);
}

int oauth2_client_secret(const struct account *a, const char *stored,
    char **secret, char **errstr)
{
	*secret = NULL;
	if (a->oauth2_client_secret != NULL) {
		*secret = xstrdup(a->oauth2_client_secret);
		return EX_OK;
	}
	if (a->oauth2_client_secreteval != NULL)
		return password_eval(a->oauth2_client_secreteval, secret,
		    errstr);
	if (stored != NULL)
		*secret = xstrdup(stored);
	return EX_OK;
}

/* form_add - "&name=value", escaped. */
static void form_add(struct buf *b, const char *name, const char *value)
{
	char *v = https_form_escape(value);

	buf_printf(b, "%s%s=%s", b->len > 0 ? "&" : "", name, v);
	wipe_free(v);
}

int oauth2_post(const struct account *a, const char *url, const char *form,
    const char *secret, struct buf *reply, long *status, char **errstr)
{
	struct https_post req;
	struct buf b;
	int rc;

	buf_init(&b);
	buf_puts(&b, form);
	if (a->oauth2_client_id != NULL)
		form_add(&b, "client_id", a->oauth2_client_id);
	if (secret != NULL)
		form_add(&b, "client_secret", secret);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.form = b.data;
	req.trust_file = a->tls_trust_file;
	req.certcheck = a->tls_certcheck;
	req.timeout = a->timeout;
	rc = https_post(&req, reply, status, errstr);
	wipe(b.data, b.cap);
	buf_free(&b);
	return rc;
}

/* to_keyring - the refresh token into the Secret Service if there is
 * one (the file then only says so), else it stays for the file. */
static void to_keyring(const struct account *a, struct oauth2_tokens *t)
{
	char *label;

	label = xasprintf("msmtp OAuth2 refresh token for %s at %s",
	    a->user ? a->user : "", a->host ? a->host : "");
	t->in_keyring = keyring_store(a->host ? a->host : "", "oauth2",
	    a->user ? a->user : "", label, t->refresh) == 0;
	free(label);
	if (t->in_keyring) {
		wipe_free(t->refresh);
		t->refresh = NULL;
	}
}

/* from_keyring - the refresh token, when the file says it is there. */
static void from_keyring(const struct account *a, struct oauth2_tokens *t)
{
	if (t->refresh != NULL || !t->in_keyring)
		return;
	t->refresh = keyring_lookup(a->host ? a->host : "", "oauth2",
	    a->user ? a->user : "");
}

int oauth2_keep(const struct account *a, const char *reply,
    const char *secret, char **errstr)
{
	struct oauth2_tokens t;
	char *path = oauth2_store_path(a), *refresh;
	long ttl;
	int rc;

	if (oauth2_store_read(path, &t) != 0)
		memset(&t, 0, sizeof(t));
	if ((refresh = json_string(reply, "refresh_token")) != NULL) {
		wipe_free(t.refresh);
		t.refresh = refresh;	/* rotated: the old one is spent */
		to_keyring(a, &t);
	}
	if (secret != NULL) {
		wipe_free(t.client_secret);
		t.client_secret = xstrdup(secret);
	}
	wipe_free(t.access);
	t.access = json_string(reply, "access_token");
	ttl = json_long(reply, "expires_in");
	t.expires = ttl >= 0 ? time(NULL) + ttl : 0;
	rc = oauth2_store_write(path, &t, errstr);
	oauth2_tokens_free(&t);
	free(path);
	return rc;
}

/* fresh - the cached access token if it still has time to live. */
static char *fresh(const struct oauth2_tokens *t)
{
	if (t->access == NULL || t->expires == 0 ||
	    t->expires - OAUTH2_MARGIN <= time(NULL))
		return NULL;
	return xstrdup(t->access);
}

/* refused - the endpoint's answer to a refresh that failed: for good
 * (4xx with an OAuth2 error: the grant or the client is refused) or for
 * now (anything else). */
static int refused(const struct account *a, long status, const char *reply,
    char **errstr)
{
	char *code = json_string(reply, "error"), *why;
	int rc;

	if (status >= 400 && status < 500 && code != NULL) {
		why = xasprintf("the OAuth2 server refused the refresh token "
		    "(%s)", code);
		*errstr = authorize_again(a, why);
		free(why);
		rc = EX_NOPERM;
	} else {
		*errstr = xasprintf("the OAuth2 token endpoint answered HTTP "
		    "%ld%s%s; trying again later", status, code ? ": " : "",
		    code ? code : "");
		rc = EX_TEMPFAIL;
	}
	free(code);
	return rc;
}

/* keep_tokens - store what a refresh gave. The token in hand is good
 * even if that fails, so this send goes on; the next one refreshes
 * again (or, if the refresh token rotated and is lost, asks for a new
 * authorization). */
static void keep_tokens(const struct account *a, const char *reply)
{
	char *err = NULL;

	if (oauth2_keep(a, reply, NULL, &err) != EX_OK)
		free(err);
}

/* refresh - RFC 6749 §6 with t's refresh token; the new tokens stored. */
static int refresh(const struct account *a, const struct oauth2_tokens *t,
    char **token, char **errstr)
{
	struct oauth2_endpoints ep;
	struct buf form, reply;
	char *secret = NULL;
	long status;
	int rc;

	oauth2_endpoints(a, &ep);
	if (ep.token_url == NULL) {
		*errstr = xstrdup("the account has no oauth2_token_url (or "
		    "oauth2_provider)");
		return EX_CONFIG;
	}
	if ((rc = oauth2_client_secret(a, t->client_secret, &secret,
	    errstr)) != EX_OK)
		return rc;
	buf_init(&form);
	buf_init(&reply);
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", t->refresh);
	rc = oauth2_post(a, ep.token_url, form.data, secret, &reply, &status,
	    errstr);
	if (rc == EX_OK && status != 200)
		rc = refused(a, status, reply.data, errstr);
	else if (rc == EX_OK && (*token = json_string(reply.data,
	    "access_token")) == NULL) {
		*errstr = xstrdup("the OAuth2 token endpoint sent no "
		    "access_token; trying again later");
		rc = EX_TEMPFAIL;
	} else if (rc == EX_OK) {
		keep_tokens(a, reply.data);
	}
	if (rc != EX_OK && *token != NULL) {
		wipe_free(*token);
		*token = NULL;
	}
	wipe(form.data, form.cap);
	wipe(reply.data, reply.cap);
	buf_free(&form);
	buf_free(&reply);
	wipe_free(secret);
	return rc;
}

/* refresh_stored - refresh with the stored refresh token, from the file
 * or the keyring; none is for the user to fix. */
static int refresh_stored(const struct account *a, struct oauth2_tokens *t,
    char **token, char **errstr)
{
	from_keyring(a, t);
	if (t->refresh == NULL) {
		*errstr = authorize_again(a, "no OAuth2 refresh token yet");
		return EX_NOPERM;
	}
	return refresh(a, t, token, errstr);
}

int oauth2_access_token(const struct account *a, char **token,
    char **errstr)
{
	struct oauth2_tokens t;
	char *path = oauth2_store_path(a);
	int lock, rc;

	*token = NULL;
	lock = oauth2_store_lock(path);
	if (oauth2_store_read(path, &t) != 0) {
		*errstr = authorize_again(a, "cannot read the OAuth2 tokens");
		rc = EX_NOPERM;
	} else if ((*token = fresh(&t)) != NULL) {
		rc = EX_OK;
	} else {
		rc = refresh_stored(a, &t, token, errstr);
	}
	oauth2_store_unlock(lock);
	oauth2_tokens_free(&t);
	free(path);
	return rc;
}
