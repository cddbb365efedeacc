/*
 * conn - one client connection to a server, on a libuv loop.
 *
 * conn resolves a host name (uv_getaddrinfo), tries its addresses in turn
 * with the connect timeout applied to each (as msmtp does), then carries
 * lines in and bytes out. Every wait for the server is bounded by the
 * timeout: a connect, a write in flight, or a reply the owner said it is
 * waiting for (conn_wait()).
 *
 * Events reach the owner through one callback:
 *   CONN_CONNECTED  the TCP connection is up
 *   CONN_LINE       one line arrived (line, len: CR LF removed)
 *   CONN_WRITTEN    everything handed to conn_write() has been written
 *   CONN_ERROR      the connection failed; conn_terr() and conn_errmsg()
 *                   say how. No further event follows, except none.
 * After CONN_ERROR or conn_close(), no event is delivered.
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
	CONN_ERROR
};

typedef void (*conn_cb)(struct conn *c, enum conn_event ev,
    const char *line, size_t len, void *arg);

struct conn *conn_new(uv_loop_t *loop, conn_cb cb, void *arg);
/* conn_connect - start resolving and connecting; timeout_ms 0 = none. */
void conn_connect(struct conn *c, const char *host, int port,
    int timeout_ms);
/* conn_write - queue bytes (copied) for sending. */
void conn_write(struct conn *c, const char *data, size_t len);
/* conn_wait - whether the owner awaits the server: arms the timeout. */
void conn_wait(struct conn *c, int waiting);
/* conn_pending - bytes queued for writing that are not written yet. */
size_t conn_pending(const struct conn *c);
void conn_close(struct conn *c);

enum smtp_terr conn_terr(const struct conn *c);
const char *conn_errmsg(const struct conn *c);
/* conn_peer - the numeric address connected to, or "" */
const char *conn_peer(const struct conn *c);

#endif
