/*
 * oauth2auth - msmtp --oauth2-authorize: get an account's first refresh
 * token from its OAuth2 provider and store it (account/oauth2store.h),
 * where the send path (account/oauth2.h) takes it from.
 *
 * The flow is the one the provider allows for mail:
 * - the device authorization grant (RFC 8628) when the account has a
 *   device URL (microsoft, or custom with oauth2_device_url): the
 *   verification URL and the user code are printed, and the token
 *   endpoint is polled at the interval the server asks for (slow_down
 *   adds 5 s; a connection failure doubles it) until the user answers or
 *   the code expires. No browser is needed on this machine.
 * - else the authorization code grant with PKCE S256 (RFC 7636) and a
 *   loopback redirect (RFC 8252): msmtp listens on 127.0.0.1 (a port the
 *   kernel picks, printed in the URL), prints the URL to open, takes the
 *   one redirect whose state matches, and exchanges the code. It waits
 *   OAUTH2_AUTHORIZE_WAIT seconds at most.
 *
 * Lives in the engine (it needs GnuTLS for SHA-256 and the random
 * verifier), reached by the front end through engine.h's table.
 *
 * Output: the instructions go to out. Errors: EX_NOPERM (the user or the
 * server said no, or time ran out), EX_TEMPFAIL (the server could not be
 * reached), EX_CONFIG (no endpoint for the flow), EX_CANTCREAT (the
 * store); *errstr newly allocated.
 *
 * SECURITY: the code, the verifier and the tokens go to the token
 * endpoint and the store only; out gets only what the user must act on.
 */
#ifndef DELIVERY_OAUTH2AUTH_H
#define DELIVERY_OAUTH2AUTH_H

#include <stdio.h>

struct account;

#define OAUTH2_AUTHORIZE_WAIT	600	/* seconds for the browser's answer */

int oauth2_authorize(const struct account *a, FILE *out, char **errstr);

#endif
