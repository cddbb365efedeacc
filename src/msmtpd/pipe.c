/*
 * pipe - the pipe command as a child process; see pipe.h.
 *
 * SECURITY: the argv is argv_build()'s; see argv.h for how the shell is
 * kept away from the client's addresses. The command's stderr is read into
 * a bounded struct errline; anything beyond the first line is read and
 * dropped so that the command never blocks on a full stderr pipe.
 */
#include "msmtpd/pipe.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Stop reading from the client above HIGH bytes queued for the command,
 * and start again below LOW. */
#define QUEUE_HIGH	(256 * 1024)
#define QUEUE_LOW	(64 * 1024)
/* At the command's exit, read at most this much of its stderr that is
 * still in the pipe (a grandchild may keep writing). */
#define STDERR_DRAIN_MAX	(256 * 1024)

struct mpipe {
	uv_loop_t		*loop;
	uv_process_t		 proc;
	uv_pipe_t		 in;		/* the command's stdin */
	uv_pipe_t		 err;		/* its stderr */
	uv_timer_t		 killer;
	uv_shutdown_t		 shut;
	struct mpipe_hooks	 hooks;
	int			 open;		/* handles not closed yet */
	int			 spawned;
	int			 exited;
	int64_t			 status;
	int			 signal;
	int			 aborted;
	int			 finished;	/* mpipe_finish() was called */
	int			 eof_sent;	/* ... and the end was delivered */
	int			 input_failed;
	int			 congested;
	size_t			 queued;
	struct errline		 errline;
	char			 errbuf[4096];
};

struct wreq {
	uv_write_t	 req;
	struct mpipe	*p;
	size_t		 len;
	char		 data[];
};

/* on_closed - one handle is closed; after the last, report and free. */
static void on_closed(uv_handle_t *h)
{
	struct mpipe *p = h->data;
	struct pipe_result r;

	if (--p->open > 0)
		return;
	if (p->spawned && !p->aborted && p->hooks.done != NULL) {
		memset(&r, 0, sizeof(r));
		r.how = p->signal != 0 ? PIPE_SIGNALED : PIPE_EXITED;
		r.code = p->signal != 0 ? p->signal : (int)p->status;
		r.incomplete = !p->eof_sent || p->input_failed;
		r.err = p->errline;
		p->hooks.done(p->hooks.arg, &r);
	}
	free(p);
}

static void close_all(struct mpipe *p)
{
	uv_close((uv_handle_t *)&p->in, on_closed);
	uv_close((uv_handle_t *)&p->err, on_closed);
	uv_close((uv_handle_t *)&p->proc, on_closed);
	uv_close((uv_handle_t *)&p->killer, on_closed);
}

/* drain_stderr - what the command wrote just before it exited may not
 * have been read yet: read what is there now (the fd is non-blocking). */
static void drain_stderr(struct mpipe *p)
{
	uv_os_fd_t fd;
	size_t total = 0;
	ssize_t n;

	if (uv_fileno((uv_handle_t *)&p->err, &fd) != 0)
		return;
	while (total < STDERR_DRAIN_MAX &&
	    ((n = read(fd, p->errbuf, sizeof(p->errbuf))) > 0 ||
	    (n < 0 && errno == EINTR))) {
		if (n > 0) {
			errline_feed(&p->errline, p->errbuf, (size_t)n);
			total += (size_t)n;
		}
	}
}

static void on_child_exit(uv_process_t *proc, int64_t status, int sig)
{
	struct mpipe *p = proc->data;

	p->exited = 1;
	p->status = status;
	p->signal = sig;
	if (p->aborted)		/* anything left in its group, before the */
		uv_kill(-proc->pid, SIGKILL);	/* input is closed */
	uv_timer_stop(&p->killer);
	drain_stderr(p);
	close_all(p);
}

static void on_err_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct mpipe *p = h->data;

	(void)hint;
	*buf = uv_buf_init(p->errbuf, sizeof(p->errbuf));
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct mpipe *p = s->data;

	if (n > 0)
		errline_feed(&p->errline, buf->base, (size_t)n);
	else if (n < 0)
		uv_read_stop(s);
}

/* init_handles - everything but the process (these cannot fail on
 * Unix). */
static void init_handles(uv_loop_t *loop, struct mpipe *p)
{
	p->loop = loop;
	uv_pipe_init(loop, &p->in, 0);
	uv_pipe_init(loop, &p->err, 0);
	uv_timer_init(loop, &p->killer);
	p->in.data = p->err.data = p->killer.data = p;
}

int mpipe_start(uv_loop_t *loop, char *const *argv,
    const struct mpipe_hooks *hooks, struct mpipe **out,
    struct pipe_result *res)
{
	struct mpipe *p = xcalloc(1, sizeof(*p));
	uv_process_options_t o;
	uv_stdio_container_t stdio[3];
	int rc;

	*out = NULL;
	p->hooks = *hooks;
	errline_init(&p->errline);
	init_handles(loop, p);
	memset(&o, 0, sizeof(o));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	stdio[0].data.stream = (uv_stream_t *)&p->in;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&p->err;
	o.file = argv[0];
	o.args = (char **)argv;
	o.exit_cb = on_child_exit;
	o.flags = UV_PROCESS_DETACHED;	/* its own process group */
	o.stdio = stdio;
	o.stdio_count = 3;
	p->open = 4;
	rc = uv_spawn(loop, &p->proc, &o);
	p->proc.data = p;
	if (rc != 0) {
		res->how = PIPE_NOSTART;
		res->code = -rc;
		close_all(p);	/* frees p, reports nothing */
		return -1;
	}
	p->spawned = 1;
	uv_read_start((uv_stream_t *)&p->err, on_err_alloc, on_err_read);
	*out = p;
	return 0;
}

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct mpipe *p = w->p;

	p->queued -= w->len;
	free(w);
	if (status < 0)
		p->input_failed = 1;
	if (p->congested && p->queued <= QUEUE_LOW) {
		p->congested = 0;
		if (!p->aborted && p->hooks.drain != NULL)
			p->hooks.drain(p->hooks.arg);
	}
}

void mpipe_write(struct mpipe *p, const char *data, size_t len)
{
	struct wreq *w;
	uv_buf_t b;

	if (p->aborted || p->finished || p->exited || p->input_failed ||
	    len == 0)
		return;
	w = xmalloc(sizeof(*w) + len);
	w->p = p;
	w->len = len;
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&p->in, &b, 1, on_written) != 0) {
		p->input_failed = 1;
		free(w);
		return;
	}
	p->queued += len;
}

int mpipe_congested(struct mpipe *p)
{
	if (p->queued >= QUEUE_HIGH && !p->exited)
		p->congested = 1;
	return p->congested;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct mpipe *p = req->data;

	if (status == 0)
		p->eof_sent = 1;
	else
		p->input_failed = 1;
}

void mpipe_finish(struct mpipe *p)
{
	if (p->finished || p->aborted || p->exited)
		return;
	p->finished = 1;
	p->shut.data = p;
	if (uv_shutdown(&p->shut, (uv_stream_t *)&p->in, on_shutdown) != 0)
		p->input_failed = 1;
}

static void on_kill_timer(uv_timer_t *t)
{
	struct mpipe *p = t->data;

	uv_kill(-p->proc.pid, SIGKILL);
}

void mpipe_abort(struct mpipe *p)
{
	p->aborted = 1;
	p->hooks.done = NULL;
	p->hooks.drain = NULL;
	if (p->exited)
		return;		/* already closing */
	uv_kill(-p->proc.pid, SIGTERM);
	uv_timer_start(&p->killer, on_kill_timer, MPIPE_KILL_MS, 0);
}
