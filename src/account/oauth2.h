/*
 * oauth2 - the access token for an account that authenticates with
 * OAUTHBEARER or XOAUTH2 and names no password source of its own:
 * msmtp fetches it itself (RFC 6749 §6) from the refresh token that
 * msmtp --oauth2-authorize stored (account/oauth2store.h).
 *
 * Providers: "google" and "microsoft" give the endpoints and the mail
 * scope; "custom" (or none, with oauth2_client_id set) takes them from
 * oauth2_token_url, oauth2_device_url, oauth2_auth_url, oauth2_scope,
 * which also override a provider's.
 *
 * oauth2_access_token() gives the cached access token while it has more
 * than OAUTH2_MARGIN seconds to live, else refreshes it (under the
 * store's lock, re-reading first: another process may just have done
 * it), keeps a rotated refresh token, and caches the new access token.
 * HTTPS goes through util/https.h with the account's tls_trust_file and
 * tls_certcheck, bounded by its timeout.
 *
 * Results: EX_OK with *token newly allocated (wipe it with
 * password_free()); EX_TEMPFAIL when the endpoint could not be reached
 * or failed for now (the mail waits for the next attempt); EX_NOPERM
 * when only the user can fix it (no refresh token yet, a revoked or
 * expired grant, a client the provider refuses): *errstr then says
 * "run msmtp --oauth2-authorize=ACCOUNT"; EX_CONFIG / EX_UNAVAILABLE for
 * an account without a token URL, or no libcurl. *errstr newly
 * allocated in every failure.
 *
 * SECURITY: tokens and the client secret go to the token endpoint and
 * to the caller only; no message quotes them or the endpoint's reply
 * beyond its "error" code.
 */
#ifndef ACCOUNT_OAUTH2_H
#define ACCOUNT_OAUTH2_H

#include "util/buf.h"

struct account;

#define OAUTH2_MARGIN	60	/* seconds: refresh before the server
				   would refuse the token in flight */

struct oauth2_endpoints {
	const char	*auth_url;	/* NULL: no code flow */
	const char	*token_url;
	const char	*device_url;	/* NULL: no device flow */
	const char	*scope;
};

/* oauth2_wanted - whether msmtp fetches a's token itself: its method is
 * OAUTHBEARER or XOAUTH2, it has no password and no passwordeval, and
 * it names a provider or a client id. */
int oauth2_wanted(const struct account *a);

/* oauth2_endpoints - a's endpoints: its own settings over its
 * provider's. */
void oauth2_endpoints(const struct account *a, struct oauth2_endpoints *ep);

int oauth2_access_token(const struct account *a, char **token,
    char **errstr);

/*
 * The pieces msmtp --oauth2-authorize shares (delivery/oauth2auth.c).
 *
 * oauth2_client_secret - a's client secret: its oauth2_client_secret,
 * else its oauth2_client_secreteval's output, else stored (may be
 * NULL); *secret NULL when there is none (a public client).
 * oauth2_post - POST form (the client id and secret added) to url with
 * a's trust settings; *reply the body, *status the HTTP status.
 * oauth2_keep - store reply's tokens (refresh, access, expiry) as a's,
 * with secret; EX_OK or the store's error.
 */
int oauth2_client_secret(const struct account *a, const char *stored,
    char **secret, char **errstr);
int oauth2_post(const struct account *a, const char *url, const char *form,
    const char *secret, struct buf *reply, long *status, char **errstr);
int oauth2_keep(const struct account *a, const char *reply,
    const char *secret, char **errstr);

#endif
