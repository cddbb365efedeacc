/*
 * fuzz_msmtpd - msmtpd's parsers of client input: every line through the
 * command parser and the AUTH decoders, and the whole input through a
 * session (commands, DATA decoding, AUTH exchanges) driven by fake hooks
 * that answer its waits with verdicts taken from the input itself.
 *
 * The first byte chooses AUTH on or off, the chunk size the input is fed
 * in, and the command verdicts; the rest is what the client sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "msmtpd/cmd.h"
#include "msmtpd/exitmap.h"
#include "msmtpd/session.h"
#include "util/strlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	int	running;	/* a command was started, not ended */
	int	waiting;	/* a wait was asked for */
	size_t	replied;
	size_t	budget;		/* replies beyond it are a backlog */
};

static void fz_reply(void *arg, const char *d, size_t n)
{
	struct fz *f = arg;

	if (n < 5 || d[n - 2] != '\r' || d[n - 1] != '\n')
		__builtin_trap();	/* every reply is whole lines */
	f->replied += n;
}

static int fz_start(void *arg, const char *from, const struct strlist *r,
    struct pipe_result *res)
{
	struct fz *f = arg;
	size_t i;

	if (from[0] == '-' || r->n == 0)
		__builtin_trap();	/* never an option, never empty */
	for (i = 0; i < r->n; i++)
		if (!cmd_addr_ok(r->v[i], strlen(r->v[i])))
			__builtin_trap();
	if (from[0] == 'x') {
		res->how = PIPE_NOSTART;
		res->code = 2;
		return -1;
	}
	f->running = 1;
	return 0;
}

static void fz_data(void *arg, const char *d, size_t n)
{
	(void)arg;
	if (n > 0 && memchr(d, '\0', n) != NULL)
		__builtin_trap();	/* a NUL never reaches the command */
}

static void fz_end(void *arg)
{
	(void)arg;
}

static void fz_abort(void *arg)
{
	((struct fz *)arg)->running = 0;
}

static unsigned fz_verdict(void *arg, int ok, const char *user)
{
	(void)arg;
	(void)user;
	return ok ? 0 : 1000;
}

static void fz_wait(void *arg, unsigned ms)
{
	(void)ms;
	((struct fz *)arg)->waiting = 1;
}

static void fz_log(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

static void fz_close(void *arg)
{
	(void)arg;
}

static int fz_backlog(void *arg)
{
	struct fz *f = arg;

	return f->replied > f->budget;
}

static time_t fz_now(void *arg)
{
	(void)arg;
	return 0;
}

/* lines - each line through the parser and the AUTH decoders. */
static void lines(const char *p, size_t size)
{
	char dec[CMD_LINE_MAX];
	const char *u, *pw;
	size_t len, used, n, ul, pl;
	struct cmd c;

	while (size > 0) {
		if (cmd_line(p, size, CMD_LINE_MAX, &len, &used) == LINE_MORE)
			used = len = size;
		cmd_parse(p, len, &c);
		if (c.verb == CMD_MAIL || c.verb == CMD_RCPT) {
			if (c.err == CMD_OK && c.addr[0] != '\0' &&
			    !cmd_addr_ok(c.addr, strlen(c.addr)))
				__builtin_trap();
		}
		if (cmd_b64decode(p, len, dec, sizeof(dec), &n) == 0)
			(void)cmd_plain(dec, n, &u, &ul, &pw, &pl);
		cmd_helo_name(p, len, dec, 64);
		p += used;
		size -= used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session_conf conf = { "mx.test", NULL, NULL, 4096, 5, 50 };
	struct fz f = { 0, 0, 0, 256 };
	struct session_hooks h = { .reply = fz_reply, .mail_start = fz_start,
	    .mail_data = fz_data, .mail_end = fz_end, .mail_abort = fz_abort,
	    .auth_verdict = fz_verdict, .wait = fz_wait, .log = fz_log,
	    .close = fz_close, .now = fz_now, .backlog = fz_backlog,
	    .arg = &f };
	struct pipe_result r;
	struct session *s;
	const char *p;
	size_t chunk, n, i = 0;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	p = (const char *)data + 1;
	size--;
	lines(p, size);
	if (mode & 1) {
		conf.auth_user = "joe";
		conf.auth_pass = "secret";
	}
	chunk = 1 + ((mode >> 1) & 7) * 37;
	s = session_new(&conf, &h, (mode & 16) ? "::1" : "127.0.0.1");
	session_start(s);
	while (i < size) {
		n = size - i < chunk ? size - i : chunk;
		session_input(s, p + i, n);
		i += n;
		f.budget = f.replied + 256;	/* the client read them */
		session_input(s, NULL, 0);
		if (f.waiting) {
			f.waiting = 0;
			session_resume(s);
		}
		if (f.running && !session_wants_input(s)) {
			memset(&r, 0, sizeof(r));
			r.how = (mode & 32) ? PIPE_SIGNALED : PIPE_EXITED;
			r.code = (int)(i % 80);
			errline_feed(&r.err, p, n);
			f.running = 0;
			session_mail_done(s, &r);
		}
	}
	if (mode & 64)
		session_timeout(s);
	else if (mode & 128)
		session_shutdown(s);
	session_eof(s);
	session_free(s);
	return 0;
}
