/*
 * conn_impl - what the files of a conn share (conn.c, conn_connect.c,
 * conn_race.c, conn_socks.c, conn_deadline.c, conn_io.c, conn_tls.c); not
 * for other modules, which use conn.h.
 *
 * The struct conn belongs to conn.c: conn_new() makes it and
 * conn_release() frees it, with every buffer and string in it, once the
 * owner has called conn_close() and the last reference (an open handle,
 * a pending lookup) is gone. Every open handle holds one reference,
 * the TCP handles of the connection attempts included. After conn_fail() (c->dead) no function
 * here delivers another event to the owner; each of them checks c->dead
 * after calling the owner back, since the owner may fail or close the
 * conn from its callback.
 */
#ifndef SMTP_CONN_IMPL_H
#define SMTP_CONN_IMPL_H

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <uv.h>

#include "smtp/conn.h"
#include "smtp/outcome.h"
#include "util/buf.h"

/*
 * One connection attempt to one resolved address (conn_race.c). The
 * winner's tcp becomes c->stream; the others are closed.
 */
struct conn_attempt {
	uv_tcp_t		 tcp;		/* data: the conn */
	uv_connect_t		 req;		/* data: this attempt */
	struct conn		*c;
	const struct addrinfo	*ai;		/* into c->ai_list */
	int			 open;		/* tcp open, not c->stream */
	int			 connecting;	/* req in flight */
};

struct conn {
	uv_loop_t		*loop;
	uv_pipe_t		 pipe;		/* route.socket */
	uv_stream_t		*stream;	/* a won attempt's tcp, or &pipe */
	uv_timer_t		 timer;
	uv_timer_t		 stagger;	/* the next attempt's start */
	uv_getaddrinfo_t	 gai;
	uv_connect_t		 connreq;
	uv_write_t		 wreq;
	uv_idle_t		 written;	/* a write that went out at
						   once ends here, at the
						   loop's next turn (conn_io.c) */

	conn_cb			 cb;
	void			*arg;

	char			*host;		/* what we connect to: the */
	int			 port;		/* server, or its proxy */
	struct conn_route	 route;		/* strings owned */
	char			*target_host;	/* the server, via the proxy */
	int			 target_port;
	enum { SOCKS_OFF, SOCKS_METHOD, SOCKS_CONNECT } socks;
	struct buf		 socks_out;
	uv_write_t		 socks_wreq;
	int			 timeout_ms;
	struct addrinfo		*ai_list;
	struct conn_attempt	*attempts;	/* in the order tried */
	size_t			 n_attempts;
	size_t			 n_started;
	int			 last_err;	/* the last attempt's failure */
	char			 peer[64];
	struct sockaddr_storage	 peer_addr;
	socklen_t		 peer_len;

	struct buf		 in;		/* received, not yet a line */
	struct buf		 out;		/* being written */
	struct buf		 queued;	/* waiting for the write */
	int			 writing;
	int			 written_due;	/* the write in progress went
						   out at once: end it */
	unsigned long		 writes;	/* conn_write()s and writes
						   begun, ever: quick_ack() */
	int			 waiting;
	int			 connected;
	int			 stream_open;
	int			 gai_pending;
	int			 refs;		/* open handles + pending lookup */
	int			 dead;		/* no more events to the owner */
	int			 closed;	/* the owner called conn_close() */

	struct tls		*tls;
	enum { TLS_OFF, TLS_STARTING, TLS_HANDSHAKE, TLS_ON } tls_state;
	struct buf		 raw;		/* TLS records received */
	int			 delivering;	/* inside deliver_lines() */

	enum smtp_terr		 terr;
	char			*errmsg;
};

/* conn.c: the conn's life. */
/* conn_fail - report an error once (terr, and the message made from
 * fmt) and stop every further event: the owner gets CONN_ERROR. */
void conn_fail(struct conn *c, enum smtp_terr terr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* conn_uv_errstr - the text for a libuv error, in msmtp's words; a
 * static string. */
const char *conn_uv_errstr(int err);
/* conn_release - drop one reference; the last one, after conn_close(),
 * frees c. */
void conn_release(struct conn *c);

/* conn_deadline.c */
/* conn_restart_timer - (re)arm the timeout while something is awaited
 * (connecting, a write, a reply), stop it otherwise. */
void conn_restart_timer(struct conn *c);

/* conn_race.c */
/* conn_race_start - connect to the addresses of c->ai_list as RFC 8305
 * says (eyeballs.h), all within one timeout; the first to connect
 * becomes c->stream and goes on to conn_stream_up(). */
void conn_race_start(struct conn *c);
/* conn_race_close - close every attempt that is not c->stream, and the
 * stagger timer (conn_close()). */
void conn_race_close(struct conn *c);

/* conn_connect.c */
/* conn_stream_up - c->stream is connected (to the server, its proxy or
 * the socket): start reading, then the proxy's steps or CONN_CONNECTED. */
void conn_stream_up(struct conn *c);
/* conn_bind_source - bind t to route.source_ip; 0 on failure (reported
 * with conn_fail()). */
int conn_bind_source(struct conn *c, uv_tcp_t *t);
/* conn_set_peer - remember ai as the address connected to. */
void conn_set_peer(struct conn *c, const struct addrinfo *ai);
/* conn_connect_failed - fail with msmtp's words for a connection that
 * did not come up (err: a libuv error, UV_ETIMEDOUT for the timeout). */
void conn_connect_failed(struct conn *c, int err);
/* conn_connected - the way to the server is open (after the proxy's
 * reply, if any): CONN_CONNECTED, then any line already received. */
void conn_connected(struct conn *c);

/* conn_socks.c */
/* conn_socks_begin - send the SOCKS5 greeting once the proxy is
 * connected; c->socks follows the steps. */
void conn_socks_begin(struct conn *c);
/* conn_socks_read - n bytes read into c->in (or UV_EOF) while the
 * proxy's replies are awaited; calls conn_connected() at the end. */
void conn_socks_read(struct conn *c, ssize_t n);

/* conn_io.c */
/* conn_on_alloc, conn_on_read - the stream's libuv read callbacks. */
void conn_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);
void conn_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);
/* conn_deliver_lines - hand every complete line in c->in to the owner;
 * starts a pending TLS handshake once the lines before it are out. */
void conn_deliver_lines(struct conn *c);
/* conn_start_write - send what is queued, as one write. */
void conn_start_write(struct conn *c);

/* conn_tls.c */
/* conn_flush_tls - queue for writing what GnuTLS produced. */
void conn_flush_tls(struct conn *c);
/* conn_fail_tls - conn_fail() with a message tls.c allocated (freed
 * here; NULL: a generic one). */
void conn_fail_tls(struct conn *c, enum smtp_terr terr, char *msg);
/* conn_tls_pump - go on with the handshake, or decrypt what GnuTLS was
 * fed into lines. */
void conn_tls_pump(struct conn *c);
/* conn_begin_tls - start the handshake; fails if clear text is left
 * unread after the STARTTLS reply. */
void conn_begin_tls(struct conn *c);
/* conn_say_goodbye - a best-effort TLS close_notify before the socket
 * goes. */
void conn_say_goodbye(struct conn *c);

#endif
