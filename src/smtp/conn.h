/*
 * conn - one client connection to a server, on a libuv loop.
 *
 * conn resolves a host name (uv_getaddrinfo; a non-ASCII name in its
 * A-label form, util/idn.h, or TERR_DNS_NAME), connects to its addresses
 * as RFC 8305 (Happy Eyeballs) says, IPv6 first and the next address
 * every 250 ms in parallel (eyeballs.h), with one connect timeout for
 * them all (msmtp tries them in turn, the timeout applied to each), then
 * carries lines in and bytes out. Every wait for the server is bounded by the
 * timeout: a connect, a write in flight, or a reply the owner said it is
 * waiting for (conn_wait()). The timeout is a deadline for the whole
 * wait, not the silence allowed between two reads: a server that sends
 * a byte a second cannot hold the client for ever. The owner starts the
 * deadline of each reply it awaits: with conn_wait(), and with
 * conn_reply_done() when one reply of several (pipelining) is complete.
 * A write restarts it once it is done (the server's reply is awaited
 * from then on), so sending a large mail is no reply wait.
 *
 * Events reach the owner through one callback:
 *   CONN_CONNECTED  the TCP connection is up
 *   CONN_LINE       one line arrived (line, len: CR LF removed)
 *   CONN_WRITTEN    everything handed to conn_write() has been written
 *   CONN_TLS_READY  the TLS handshake started by conn_start_tls() is
 *                   done and the server's certificate passed the checks
 *   CONN_ERROR      the connection failed; conn_terr() and conn_errmsg()
 *                   say how. It comes at most once and is the last
 *                   event; the owner still calls conn_close().
 * After CONN_ERROR or conn_close(), no event is delivered.
 *
 * TLS lives here, in the transport: conn_start_tls() puts a struct tls
 * (tls.h) between the socket and the lines, and from then on conn_write()
 * and CONN_LINE carry plaintext while the socket carries TLS records.
 * For STARTTLS the owner calls it from the CONN_LINE event of the 220
 * reply; if the server sent anything after that line in clear text, the
 * connection fails ("command STARTTLS failed", TERR_BADREPLY) rather than
 * let injected plaintext pass for protected data. For implicit TLS the
 * owner calls it on CONN_CONNECTED. The handshake is bounded by the
 * timeout like every other wait (msmtp 1.8.23 waits for ever there).
 *
 * Ownership: the owner creates the conn with conn_new() and ends it with
 * conn_close(), which may be called at any time, including from inside
 * the callback; the memory is released in libuv's close callbacks, so the
 * pointer stays valid until control returns to the loop. conn_errmsg()
 * belongs to the conn.
 */
#ifndef SMTP_CONN_H
#define SMTP_CONN_H

#include <stddef.h>
#include <uv.h>

#include "smtp/outcome.h"

struct conn;

enum conn_event {
	CONN_CONNECTED,
	CONN_LINE,
	CONN_WRITTEN,
	CONN_TLS_READY,
	CONN_ERROR
};

typedef void (*conn_cb)(struct conn *c, enum conn_event ev,
    const char *line, size_t len, void *arg);

/*
 * How to reach the server, as msmtp's source_ip, proxy_host/proxy_port
 * (SOCKS5; the proxy resolves the server's name) and socket (a Unix
 * domain socket instead of host and port). NULL: not used.
 */
struct conn_route {
	const char	*source_ip;
	const char	*proxy_host;
	int		 proxy_port;
	const char	*socket;
};

struct conn *conn_new(uv_loop_t *loop, conn_cb cb, void *arg);
/* conn_set_route - before conn_connect(); the strings are copied. */
void conn_set_route(struct conn *c, const struct conn_route *r);
/* conn_connect - start resolving and connecting; timeout_ms 0 = none. */
void conn_connect(struct conn *c, const char *host, int port,
    int timeout_ms);
/* conn_write - queue bytes (copied) for sending. */
void conn_write(struct conn *c, const char *data, size_t len);
/* conn_wait - whether the owner awaits the server: arms the timeout. */
void conn_wait(struct conn *c, int waiting);
/* conn_reply_done - a whole reply arrived: if the owner still waits (for
 * the next reply of a pipelined group), that one gets a new deadline. */
void conn_reply_done(struct conn *c);
void conn_close(struct conn *c);
/* conn_start_tls - run TLS over the connection; c takes t (see above). */
struct tls;
void conn_start_tls(struct conn *c, struct tls *t);
/* conn_tls - the TLS session once CONN_TLS_READY came, else NULL. */
struct tls *conn_tls(const struct conn *c);

enum smtp_terr conn_terr(const struct conn *c);
const char *conn_errmsg(const struct conn *c);
/* conn_peer_cert - the server's certificate (DER) that TLS received,
 * also after its checks failed; NULL if none (see tls_peer_der()). */
const unsigned char *conn_peer_cert(const struct conn *c, size_t *len);
/* conn_peer - the numeric address connected to, or "" */
const char *conn_peer(const struct conn *c);
/* conn_peer_name - the name the address connected to resolves back to
 * (a blocking reverse lookup), newly allocated; NULL if it has none. */
char *conn_peer_name(const struct conn *c);
/* conn_peer_is_loopback - connected to 127.0.0.0/8 or ::1 (also as an
 * IPv4-mapped address). */
int conn_peer_is_loopback(const struct conn *c);

#endif
