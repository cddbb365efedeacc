/*
 * socks5 - the client side of SOCKS5 (RFC 1928) as msmtp speaks it: no
 * authentication, one CONNECT by host name, so that the proxy resolves
 * it (DNS through the proxy; IP literals go as names too, as msmtp
 * sends them).
 *
 * Pure code, no I/O: conn_socks.c writes what these build and feeds
 * what the proxy sends. The parsers return the bytes the message took,
 * 0 when more are needed, or -1 with *err set to msmtp's words for the
 * failure (a static string, after "proxy failure: ").
 */
#ifndef SMTP_SOCKS5_H
#define SMTP_SOCKS5_H

#include <stddef.h>

#include "util/buf.h"

/* socks5_greeting - the method offer: "no authentication" only. */
void socks5_greeting(struct buf *out);
/* socks5_connect - CONNECT host:port; -1 if host is over 255 bytes. */
int socks5_connect(struct buf *out, const char *host, int port);
/* socks5_method_reply - the proxy's choice of method. */
long socks5_method_reply(const unsigned char *p, size_t n, const char **err);
/* socks5_connect_reply - the proxy's answer to CONNECT. */
long socks5_connect_reply(const unsigned char *p, size_t n,
    const char **err);

#endif
