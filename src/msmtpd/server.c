/*
 * server - msmtpd's connections on a libuv loop; see server.h.
 *
 * SECURITY: what a client can make this process hold is bounded: one
 * read buffer (READ_SIZE), the session's input (one command line plus
 * one read while it waits), replies not yet taken (reading stops above
 * OUT_HIGH) and the command's queued input (pipe.h). Sessions beyond the
 * limit cost one short write.
 */
#include "msmtpd/server.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <uv.h>

#include "msmtpd/argv.h"
#include "msmtpd/pipe.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define READ_SIZE	65536
#define OUT_HIGH	65536
#define LINGER_MS	2000
/* After SIGTERM, connections still open this much later are closed (a
 * command at work on a complete mail is still waited for). */
#define STOP_MS		10000

union stream {
	uv_handle_t	h;
	uv_stream_t	s;
	uv_tcp_t	tcp;
	uv_pipe_t	pipe;
	uv_tty_t	tty;
};

struct conn;

struct server {
	uv_loop_t		 loop;
	const struct server_conf *conf;
	struct log		*log;
	uv_tcp_t		 listener;
	uv_signal_t		 sigterm;
	uv_signal_t		 sigint;
	uv_timer_t		 stop_timer;
	int			 listening;
	int			 signals;
	int			 stopping;
	struct conn		*conns;
	unsigned		 active;
	int			 auth_failed;
	uint64_t		 auth_failed_at;
	int			 inetd_quit;
};

struct conn {
	struct server		*srv;
	struct conn		*next;
	struct conn		*prev;
	union stream		 rd;
	union stream		 wr;		/* --inetd: stdout, if apart */
	uv_stream_t		*ws;		/* &rd.s or &wr.s */
	int			 separate_wr;
	uv_timer_t		 idle;
	uv_timer_t		 delay;
	uv_shutdown_t		 shut;
	struct session		*sess;
	struct session_hooks	 hooks;
	struct mpipe		*pipe;
	char			*rbuf;
	struct buf		 out;
	size_t			 wqueued;
	int			 open;		/* handles not closed yet */
	int			 reading;
	int			 close_requested;
	int			 shutting;
	int			 lingering;
	int			 eof;		/* the client half-closed */
	int			 closing;
	int			 counted;
	char			 peer[64];
};

struct owreq {
	uv_write_t	 req;
	struct conn	*c;
	size_t		 len;
	char		*data;
};

static void after_session(struct conn *c);
static void conn_close(struct conn *c);
static void begin_close(struct conn *c);
static void on_linger(uv_timer_t *t);

/* stop_signals - no more signal handling: the loop may end. */
static void stop_signals(struct server *srv)
{
	if (!srv->signals)
		return;
	srv->signals = 0;
	uv_close((uv_handle_t *)&srv->sigterm, NULL);
	uv_close((uv_handle_t *)&srv->sigint, NULL);
	uv_close((uv_handle_t *)&srv->stop_timer, NULL);
}

/* maybe_free - free a connection once its handles are closed and no
 * command works for it any more. */
static void maybe_free(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->open > 0 || c->pipe != NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->counted)
		srv->active--;
	if (c->sess != NULL && session_quit(c->sess))
		srv->inetd_quit = 1;
	session_free(c->sess);
	buf_free(&c->out);
	free(c->rbuf);
	free(c);
	if (srv->conns == NULL && (srv->conf->inetd || srv->stopping))
		stop_signals(srv);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->open--;
	maybe_free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->sess != NULL)
		session_eof(c->sess);	/* gives up a mail in progress */
	if (c->rd.h.type != UV_UNKNOWN_HANDLE)
		uv_close(&c->rd.h, on_conn_closed);
	if (c->wr.h.type != UV_UNKNOWN_HANDLE)
		uv_close(&c->wr.h, on_conn_closed);
	uv_close((uv_handle_t *)&c->idle, on_conn_closed);
	uv_close((uv_handle_t *)&c->delay, on_conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct owreq *w = (struct owreq *)req;
	struct conn *c = w->c;

	c->wqueued -= w->len;
	free(w->data);
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->sess != NULL && !c->close_requested &&
	    c->out.len + c->wqueued < OUT_HIGH)
		session_input(c->sess, NULL, 0);	/* commands held back */
	after_session(c);
}

/* flush - write the replies gathered so far. */
static void flush(struct conn *c)
{
	struct owreq *w;
	uv_buf_t b;

	if (c->out.len == 0 || c->closing)
		return;
	w = xmalloc(sizeof(*w));
	w->c = c;
	w->len = c->out.len;
	w->data = buf_steal(&c->out);
	b = uv_buf_init(w->data, (unsigned)w->len);
	if (uv_write(&w->req, c->ws, &b, 1, on_written) != 0) {
		free(w->data);
		free(w);
		conn_close(c);
		return;
	}
	c->wqueued += w->len;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)hint;
	if (c->rbuf == NULL)
		c->rbuf = xmalloc(READ_SIZE);
	*buf = uv_buf_init(c->rbuf, READ_SIZE);
}

static void on_idle(uv_timer_t *t)
{
	struct conn *c = t->data;

	session_timeout(c->sess);
	after_session(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	unsigned ms = c->srv->conf->timeout * 1000;
	unsigned long lines;

	if (n == 0 || c->closing)
		return;
	if (n == UV_EOF && !c->lingering && c->sess != NULL) {
		c->eof = 1;	/* the client is done sending: send what */
		session_eof(c->sess);	/* is pending, then close */
		c->close_requested = 1;
		after_session(c);
		return;
	}
	if (n < 0 || c->lingering || c->sess == NULL) {
		if (n < 0)
			conn_close(c);
		return;		/* lingering: what comes is dropped */
	}
	lines = session_lines(c->sess);
	session_input(c->sess, buf->base, (size_t)n);
	/* A deadline for each line, not a silence between bytes: a client
	 * that drips a byte at a time is cut off all the same. */
	if (ms > 0 && session_lines(c->sess) != lines)
		uv_timer_start(&c->idle, on_idle, ms, 0);
	after_session(c);
}

static void set_reading(struct conn *c, int want)
{
	if (want && !c->reading) {
		if (uv_read_start(&c->rd.s, on_alloc, on_read) != 0) {
			conn_close(c);
			return;
		}
		c->reading = 1;
	} else if (!want && c->reading) {
		uv_read_stop(&c->rd.s);
		c->reading = 0;
	}
}

/* update_reading - read from the client only when the session can take
 * it, the command keeps up and the client reads its replies; run the
 * idle clock only while the session waits for the client. */
static void update_reading(struct conn *c)
{
	unsigned ms = c->srv->conf->timeout * 1000;
	int congested = c->pipe != NULL && mpipe_congested(c->pipe);
	int client_turn = session_wants_input(c->sess) && !congested;

	set_reading(c, client_turn && c->wqueued < OUT_HIGH);
	if (c->closing)
		return;
	if (client_turn && ms > 0) {
		if (!uv_is_active((uv_handle_t *)&c->idle))
			uv_timer_start(&c->idle, on_idle, ms, 0);
	} else {
		uv_timer_stop(&c->idle);
	}
}

/* after_session - whatever the session did: send its replies, close if
 * it asked to, else adjust reading. */
static void after_session(struct conn *c)
{
	if (c->closing)
		return;
	flush(c);
	if (c->closing || c->shutting)
		return;		/* begin_close() has taken over */
	if (c->close_requested) {
		set_reading(c, 0);
		if (c->wqueued == 0)
			begin_close(c);
		else		/* a client that does not read: not forever */
			uv_timer_start(&c->idle, on_linger, LINGER_MS +
			    c->srv->conf->timeout * 1000, 0);
		return;
	}
	update_reading(c);
}

static void on_linger(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	if (c->closing)
		return;
	if (status < 0 || c->eof || c->sess == NULL) {
		conn_close(c);	/* stdout is a pipe, the client is done, or */
		return;		/* it was refused: no need to wait */
	}
	c->lingering = 1;
	uv_timer_start(&c->idle, on_linger, LINGER_MS, 0);
	set_reading(c, 1);
}

/* begin_close - the last reply is out: shut down for writing and drain
 * what the client still sends, then close. */
static void begin_close(struct conn *c)
{
	c->shutting = 1;
	c->shut.data = c;
	if (uv_shutdown(&c->shut, c->ws, on_shutdown) != 0)
		conn_close(c);
}

/* hooks for the session */

static void h_reply(void *arg, const char *data, size_t len)
{
	struct conn *c = arg;

	buf_append(&c->out, data, len);
}

static void on_pipe_done(void *arg, const struct pipe_result *r)
{
	struct conn *c = arg;

	c->pipe = NULL;
	session_mail_done(c->sess, r);
	if (c->closing)
		maybe_free(c);
	else
		after_session(c);
}

static void on_pipe_drain(void *arg)
{
	struct conn *c = arg;

	if (!c->closing)
		after_session(c);
}

static int h_mail_start(void *arg, const char *from,
    const struct strlist *rcpts, struct pipe_result *res)
{
	struct conn *c = arg;
	struct mpipe_hooks ph = { on_pipe_done, on_pipe_drain, c };
	char **argv = argv_build(c->srv->conf->pipecmd, from, rcpts);
	int rc;

	if (argv == NULL) {
		res->how = PIPE_BADFROM;
		log_msg(c->srv->log, 1, "sender <%s> refused: the pipe command "
		    "takes it only as letters, digits and @._+-", from);
		return -1;
	}
	rc = mpipe_start(&c->srv->loop, argv, &ph, &c->pipe, res);
	if (rc != 0)
		log_msg(c->srv->log, 1, "cannot start pipe command %s: %s",
		    argv[0], strerror(res->code));
	argv_free(argv);
	return rc;
}

static void h_mail_data(void *arg, const char *data, size_t len)
{
	struct conn *c = arg;

	if (c->pipe != NULL)
		mpipe_write(c->pipe, data, len);
}

static void h_mail_end(void *arg)
{
	struct conn *c = arg;

	if (c->pipe != NULL)
		mpipe_finish(c->pipe);
}

static void h_mail_abort(void *arg)
{
	struct conn *c = arg;

	if (c->pipe != NULL) {
		mpipe_abort(c->pipe);
		c->pipe = NULL;
	}
}

static unsigned h_auth_verdict(void *arg, int ok, const char *user)
{
	struct conn *c = arg;
	struct server *srv = c->srv;
	uint64_t now = uv_now(&srv->loop);

	(void)user;
	if (!ok) {
		srv->auth_failed = 1;
		srv->auth_failed_at = now;
	}
	if (srv->auth_failed && now - srv->auth_failed_at < AUTH_PENALTY_MS)
		return AUTH_DELAY_MS;
	return 0;
}

static void on_delay(uv_timer_t *t)
{
	struct conn *c = t->data;

	session_resume(c->sess);
	after_session(c);
}

static void h_wait(void *arg, unsigned ms)
{
	struct conn *c = arg;

	uv_timer_start(&c->delay, on_delay, ms, 0);
}

static void h_log(void *arg, const char *line)
{
	struct conn *c = arg;

	log_msg(c->srv->log, 0, "%s", line);
}

static int h_backlog(void *arg)
{
	struct conn *c = arg;

	return c->out.len + c->wqueued >= OUT_HIGH;
}

static void h_close(void *arg)
{
	struct conn *c = arg;

	c->close_requested = 1;
}

static struct conn *conn_new(struct server *srv)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->srv = srv;
	buf_init(&c->out);
	uv_timer_init(&srv->loop, &c->idle);
	uv_timer_init(&srv->loop, &c->delay);
	c->idle.data = c->delay.data = c;
	c->open = 2;
	c->hooks.reply = h_reply;
	c->hooks.mail_start = h_mail_start;
	c->hooks.mail_data = h_mail_data;
	c->hooks.mail_end = h_mail_end;
	c->hooks.mail_abort = h_mail_abort;
	c->hooks.auth_verdict = h_auth_verdict;
	c->hooks.wait = h_wait;
	c->hooks.log = h_log;
	c->hooks.close = h_close;
	c->hooks.backlog = h_backlog;
	c->hooks.arg = c;
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	return c;
}

static void start_session(struct conn *c)
{
	struct server *srv = c->srv;

	srv->active++;
	c->counted = 1;
	c->sess = session_new(&srv->conf->session, &c->hooks, c->peer);
	session_start(c->sess);
	after_session(c);
}

/* peer_name - the numeric address of the client on a TCP handle. */
static void peer_name(struct conn *c, uv_tcp_t *tcp)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	c->peer[0] = '\0';
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		uv_ip4_name((struct sockaddr_in *)&ss, c->peer,
		    sizeof(c->peer));
	else if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer,
		    sizeof(c->peer));
}

static void on_connection(uv_stream_t *l, int status)
{
	struct server *srv = l->data;
	struct conn *c;

	if (status < 0) {
		log_msg(srv->log, 1, "cannot accept a connection: %s",
		    uv_strerror(status));
		return;
	}
	c = conn_new(srv);
	uv_tcp_init(&srv->loop, &c->rd.tcp);
	c->rd.h.data = c;
	c->ws = &c->rd.s;
	c->open++;
	if (uv_accept(l, &c->rd.s) != 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->rd.tcp, 1);
	peer_name(c, &c->rd.tcp);
	if (srv->active >= srv->conf->max_sessions) {
		log_msg(srv->log, 1, "client=%s refused: too many sessions "
		    "(max %u)", c->peer, srv->conf->max_sessions);
		buf_printf(&c->out, "421 4.3.2 %s Too many sessions, try "
		    "again later\r\n", srv->conf->session.hostname);
		c->close_requested = 1;
		after_session(c);
		return;
	}
	start_session(c);
}

/* on_stop_timer - the sessions had their chance to end: close them. */
static void on_stop_timer(uv_timer_t *t)
{
	struct server *srv = t->data;
	struct conn *c;

	for (c = srv->conns; c != NULL; c = c->next)
		conn_close(c);
}

static void server_stop(struct server *srv)
{
	struct conn *c;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_msg(srv->log, 0, "shutting down");
	uv_timer_start(&srv->stop_timer, on_stop_timer, STOP_MS, 0);
	if (srv->listening) {
		srv->listening = 0;
		uv_close((uv_handle_t *)&srv->listener, NULL);
	}
	for (c = srv->conns; c != NULL; c = c->next) {
		if (c->lingering) {
			conn_close(c);
		} else if (c->sess != NULL && !c->closing) {
			session_shutdown(c->sess);
			after_session(c);
		}
	}
	if (srv->conns == NULL)
		stop_signals(srv);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	server_stop(s->data);
}

static int start_listener(struct server *srv, char **errstr)
{
	const struct server_conf *conf = srv->conf;
	struct sockaddr_storage ss;
	int rc;

	if (strchr(conf->interface, ':') != NULL)
		rc = uv_ip6_addr(conf->interface, conf->port,
		    (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(conf->interface, conf->port,
		    (struct sockaddr_in *)&ss);
	uv_tcp_init(&srv->loop, &srv->listener);
	srv->listener.data = srv;
	srv->listening = 1;
	if (rc == 0)
		rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->listener, 128,
		    on_connection);
	if (rc != 0) {
		*errstr = xasprintf("cannot listen on %s port %d: %s",
		    conf->interface, conf->port, uv_strerror(rc));
		return EX_UNAVAILABLE;
	}
	log_msg(srv->log, 0, "listening on %s port %d", conf->interface,
	    conf->port);
	return EX_OK;
}

/* open_stream - a libuv stream on fd, whatever kind of fd it is. */
static int open_stream(uv_loop_t *loop, int fd, union stream *st)
{
	switch (uv_guess_handle(fd)) {
	case UV_TCP:
		uv_tcp_init(loop, &st->tcp);
		return uv_tcp_open(&st->tcp, fd);
	case UV_NAMED_PIPE:
		uv_pipe_init(loop, &st->pipe, 0);
		return uv_pipe_open(&st->pipe, fd);
	case UV_TTY:
		return uv_tty_init(loop, &st->tty, fd, 0);
	default:
		return UV_EINVAL;
	}
}

/* same_file - whether two fds are the same file (inetd's socket). */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int start_inetd(struct server *srv, char **errstr)
{
	struct conn *c = conn_new(srv);
	int rc;

	c->separate_wr = !same_file(0, 1);
	rc = open_stream(&srv->loop, 0, &c->rd);
	if (rc == 0 && c->separate_wr)
		rc = open_stream(&srv->loop, 1, &c->wr);
	c->rd.h.data = c->wr.h.data = c;
	c->open += c->rd.h.type != UV_UNKNOWN_HANDLE;
	c->open += c->wr.h.type != UV_UNKNOWN_HANDLE;
	c->ws = c->separate_wr ? &c->wr.s : &c->rd.s;
	if (rc != 0) {
		*errstr = xasprintf("--inetd: standard input and output must "
		    "be a socket, a pipe or a terminal (%s)", uv_strerror(rc));
		conn_close(c);
		return EX_USAGE;
	}
	if (c->rd.h.type == UV_TCP)
		peer_name(c, &c->rd.tcp);
	start_session(c);
	return EX_OK;
}

int server_run(const struct server_conf *conf, struct log *log,
    char **errstr)
{
	struct server srv;
	int rc;

	memset(&srv, 0, sizeof(srv));
	srv.conf = conf;
	srv.log = log;
	if ((rc = uv_loop_init(&srv.loop)) != 0) {
		*errstr = xasprintf("cannot start the event loop: %s",
		    uv_strerror(rc));
		return EX_OSERR;
	}
	uv_signal_init(&srv.loop, &srv.sigterm);
	uv_signal_init(&srv.loop, &srv.sigint);
	uv_timer_init(&srv.loop, &srv.stop_timer);
	srv.sigterm.data = srv.sigint.data = srv.stop_timer.data = &srv;
	uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv.sigint, on_signal, SIGINT);
	srv.signals = 1;
	rc = conf->inetd ? start_inetd(&srv, errstr) :
	    start_listener(&srv, errstr);
	if (rc != EX_OK) {
		if (srv.listening)
			uv_close((uv_handle_t *)&srv.listener, NULL);
		srv.listening = 0;
		stop_signals(&srv);
	}
	uv_run(&srv.loop, UV_RUN_DEFAULT);
	uv_loop_close(&srv.loop);
	if (rc != EX_OK)
		return rc;
	if (conf->inetd)
		return srv.inetd_quit ? EX_OK : EX_PROTOCOL;
	return EX_OK;
}
