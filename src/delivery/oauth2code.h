/*
 * oauth2code - the authorization code grant with PKCE (RFC 7636, S256)
 * and a loopback redirect (RFC 8252), for msmtp --oauth2-authorize when
 * the provider has no device flow for mail (Google); see oauth2auth.h.
 *
 * oauth2_code_flow() listens on 127.0.0.1 on a port the kernel picks,
 * prints the URL to open (and the SSH port forward for a browser on
 * another machine) to out, answers the browser's redirect, checks its
 * state, and exchanges the code with the verifier; the tokens are
 * stored. Errors as oauth2_authorize().
 */
#ifndef DELIVERY_OAUTH2CODE_H
#define DELIVERY_OAUTH2CODE_H

#include <stdio.h>

struct account;
struct oauth2_endpoints;

int oauth2_code_flow(const struct account *a,
    const struct oauth2_endpoints *ep, const char *secret, FILE *out,
    char **errstr);

#endif
