/*
 * exitmap - the pipe command's end as an SMTP reply; see exitmap.h.
 *
 * SECURITY: the command's stderr is quoted to the client only after
 * errline_feed() has reduced it to one line of printable ASCII, so it
 * can neither end the reply early nor inject a second one.
 */
#include "msmtpd/exitmap.h"

#include <string.h>
#include <sysexits.h>

#include "util/sysexit.h"

void errline_init(struct errline *e)
{
	e->text[0] = '\0';
	e->len = 0;
	e->blanks = 0;
	e->complete = 0;
}

/* errline_put - one byte of the line; spaces are kept only once more
 * text follows (a chunk may end between two words). */
static void errline_put(struct errline *e, unsigned char c)
{
	if (c == ' ' || c == '\t') {
		e->blanks += e->len > 0;	/* none before the text */
		return;
	}
	for (; e->blanks > 0 && e->len < EXITMAP_ERRLINE_MAX; e->blanks--)
		e->text[e->len++] = ' ';
	e->blanks = 0;
	if (e->len < EXITMAP_ERRLINE_MAX)
		e->text[e->len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
}

void errline_feed(struct errline *e, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len && !e->complete; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n' || c == '\r')
			e->complete = e->len > 0;	/* skip empty lines */
		else
			errline_put(e, c);
	}
	e->text[e->len] = '\0';
}

/* sh_signal - the signal that a status of the shell reports (128 + N),
 * or 0. */
static int sh_signal(int status)
{
	return status > EXITMAP_SH_SIGNALED &&
	    status <= EXITMAP_SH_SIGNALED + EXITMAP_SH_SIGMAX ?
	    status - EXITMAP_SH_SIGNALED : 0;
}

int exitmap_temporary(int status)
{
	switch (status) {
	case EX_USAGE:
	case EX_DATAERR:
	case EX_NOUSER:
	case EX_UNAVAILABLE:
		return 0;
	}
	return (status >= EX__BASE && status <= EX__MAX) ||
	    status == EXITMAP_SH_NOEXEC || status == EXITMAP_SH_NOTFOUND ||
	    sh_signal(status) != 0;
}

/* add_errline - ": <stderr line>" if there is one. */
static void add_errline(const struct pipe_result *r, struct buf *out)
{
	if (r->err.len > 0)
		buf_printf(out, ": %s", r->err.text);
}

static int killed(const struct pipe_result *r, int sig, struct buf *out)
{
	buf_printf(out, "451 4.3.0 Pipe command was killed by signal %d (%s)",
	    sig, strsignal(sig));
	add_errline(r, out);
	return 451;
}

int exitmap_reply(const struct pipe_result *r, struct buf *out)
{
	int code;

	switch (r->how) {
	case PIPE_NOSTART:
		buf_printf(out, "451 4.3.0 Cannot start pipe command: %s",
		    strerror(r->code));
		return 451;
	case PIPE_BADFROM:
		buf_puts(out, "554 5.1.7 The sender address cannot be given "
		    "to the pipe command: where its %F stands, only letters, "
		    "digits and @._+- may go");
		return 554;
	case PIPE_SIGNALED:
		return killed(r, r->code, out);
	case PIPE_EXITED:
		break;
	}
	if (r->code == 0 && r->incomplete) {
		buf_puts(out, "451 4.3.0 Pipe command exited before reading "
		    "the whole mail");
		return 451;
	}
	if (r->code == 0) {
		buf_puts(out, "250 2.0.0 Ok, mail was piped");
		return 250;
	}
	if (r->code == EXITMAP_SH_NOEXEC || r->code == EXITMAP_SH_NOTFOUND) {
		buf_printf(out, "451 4.3.0 Cannot start pipe command (exit "
		    "status %d)", r->code);
		add_errline(r, out);
		return 451;
	}
	if (sh_signal(r->code) != 0)
		return killed(r, sh_signal(r->code), out);
	code = exitmap_temporary(r->code) ? 451 : 554;
	buf_printf(out, "%d %s Pipe command reported error %d", code,
	    code == 451 ? "4.3.0" : "5.3.0", r->code);
	if (r->code >= EX__BASE && r->code <= EX__MAX)
		buf_printf(out, " (%s)", sysexit_name(r->code));
	add_errline(r, out);
	return code;
}
