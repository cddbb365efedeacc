/*
 * msmtpd_session_test - msmtpd's session state machine, driven through
 * fake hooks: transactions, sequences, malformed lines, errors, AUTH,
 * timeouts and the backlog, with the exact replies a client reads.
 *
 * Everything is reached through msmtpd's headers; the objects come from
 * build/lib/libmsmtpd.a, as for the program.
 */#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sysexits.h>

#include "msmtpd/argv.h"
#include "msmtpd/cmd.h"
#include "msmtpd/data.h"
#include "msmtpd/exitmap.h"
#include "msmtpd/opts.h"
#include "msmtpd/session.h"
#include "unit.h"
#include "util/buf.h"
#include "util/strlist.h"
#include "util/xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- session, through fake hooks ---- */

struct fake {
	struct buf	out;		/* replies */
	struct buf	mail;		/* what the command got */
	struct buf	log;
	struct strlist	rcpts;
	char		from[CMD_ADDR_MAX + 1];
	int		started, ended, aborted, closed, waits, verdicts;
	int		last_ok;
	unsigned	delay;
	int		start_fails;
	int		backlog;
};

static void f_reply(void *arg, const char *d, size_t n)
{
	buf_append(&((struct fake *)arg)->out, d, n);
}

static int f_mail_start(void *arg, const char *from,
    const struct strlist *rcpts, struct pipe_result *res)
{
	struct fake *f = arg;
	size_t i;

	if (f->start_fails) {
		res->how = PIPE_NOSTART;
		res->code = ENOENT;
		return -1;
	}
	f->started++;
	snprintf(f->from, sizeof(f->from), "%s", from);
	strlist_free(&f->rcpts);
	for (i = 0; i < rcpts->n; i++)
		strlist_add(&f->rcpts, rcpts->v[i]);
	buf_reset(&f->mail);
	return 0;
}

static void f_mail_data(void *arg, const char *d, size_t n)
{
	buf_append(&((struct fake *)arg)->mail, d, n);
}

static void f_mail_end(void *arg)
{
	((struct fake *)arg)->ended++;
}

static void f_mail_abort(void *arg)
{
	((struct fake *)arg)->aborted++;
}

static unsigned f_auth_verdict(void *arg, int ok, const char *user)
{
	struct fake *f = arg;

	(void)user;
	f->verdicts++;
	f->last_ok = ok;
	return f->delay;
}

static void f_wait(void *arg, unsigned ms)
{
	(void)ms;
	((struct fake *)arg)->waits++;
}

static void f_log(void *arg, const char *line)
{
	buf_printf(&((struct fake *)arg)->log, "%s\n", line);
}

static void f_close(void *arg)
{
	((struct fake *)arg)->closed++;
}

static time_t f_now(void *arg)
{
	(void)arg;
	return 0;
}

static struct session_conf fconf = {
	"mx.test", NULL, NULL, 1000, 3, 5
};

static struct fake fk;
static int f_backlog(void *arg)
{
	return ((struct fake *)arg)->backlog;
}

static struct session_hooks fhooks = {
	.reply = f_reply, .mail_start = f_mail_start,
	.mail_data = f_mail_data, .mail_end = f_mail_end,
	.mail_abort = f_mail_abort, .auth_verdict = f_auth_verdict,
	.wait = f_wait, .log = f_log, .close = f_close, .now = f_now,
	.backlog = f_backlog, .arg = &fk
};

static struct session *fake_session(const char *user, const char *pass)
{
	memset(&fk, 0, sizeof(fk));
	buf_init(&fk.out);
	buf_init(&fk.mail);
	buf_init(&fk.log);
	strlist_init(&fk.rcpts);
	fconf.auth_user = user;
	fconf.auth_pass = pass;
	setenv("TZ", "UTC", 1);
	return session_new(&fconf, &fhooks, "127.0.0.1");
}

static void fake_free(struct session *s)
{
	session_free(s);
	buf_free(&fk.out);
	buf_free(&fk.mail);
	buf_free(&fk.log);
	strlist_free(&fk.rcpts);
}

static void feed(struct session *s, const char *text)
{
	session_input(s, text, strlen(text));
}

/* replies - the replies since the last call, then forget them. */
static char *replies(void)
{
	char *r = xstrdup(fk.out.data);

	buf_reset(&fk.out);
	return r;
}

#define CHECK_REPLIES(want) do {					\
	char *r_ = replies();						\
	CHECK_STR(r_, want);						\
	free(r_);							\
} while (0)

static const char received0[] = "Received: from c.test ([127.0.0.1])\n"
    "\tby mx.test (msmtpd) with ESMTP;\n\tThu, 01 Jan 1970 00:00:00 +0000\n";

static void exited(struct session *s, int code)
{
	struct pipe_result r;

	memset(&r, 0, sizeof(r));
	r.how = PIPE_EXITED;
	r.code = code;
	session_mail_done(s, &r);
}

static void test_session_transaction(void)
{
	struct session *s = fake_session(NULL, NULL);

	session_start(s);
	CHECK_REPLIES("220 mx.test ESMTP msmtpd\r\n");
	feed(s, "EHLO c.test\r\n");
	CHECK_REPLIES("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
	/* pipelined, and split anywhere */
	feed(s, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nRC");
	feed(s, "PT TO:<e@f.test>\r\nDATA\r\n");
	CHECK_REPLIES("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n");
	CHECK_INT(fk.started, 1);
	CHECK_STR(fk.from, "a@b.test");
	CHECK_INT(fk.rcpts.n, 2);
	feed(s, "Subject: hi\r\n\r\n..x\r\n.\r\nQUIT\r\n");
	CHECK_INT(fk.ended, 1);
	CHECK_INT(session_wants_input(s), 0);
	CHECK_REPLIES("");	/* QUIT waits for the verdict */
	CHECK_INT(fk.mail.len, strlen(received0) + 16);
	CHECK(strncmp(fk.mail.data, received0, strlen(received0)) == 0);
	CHECK_STR(fk.mail.data + strlen(received0), "Subject: hi\n\n.x\n");
	exited(s, 0);
	CHECK_REPLIES("250 2.0.0 Ok, mail was piped\r\n221 2.0.0 Bye\r\n");
	CHECK_INT(fk.closed, 1);
	CHECK_INT(session_quit(s), 1);
	CHECK(strstr(fk.log.data, "client=127.0.0.1 helo=c.test "
	    "from=<a@b.test> recipients=<c@d.test>,<e@f.test> mailsize=16 "
	    "exitcode=EX_OK smtpstatus=250") != NULL);
	feed(s, "NOOP\r\n");	/* after QUIT: ignored */
	CHECK_REPLIES("");
	fake_free(s);
}

static void test_session_two_transactions(void)
{
	struct session *s = fake_session(NULL, NULL);

	feed(s, "HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<x@y>\r\nDATA\r\n"
	    "a\r\n.\r\n");
	CHECK_REPLIES("250 mx.test\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n");
	CHECK_STR(fk.from, "");
	CHECK(strstr(fk.mail.data, "with SMTP;") != NULL);
	exited(s, EX_TEMPFAIL);
	CHECK_REPLIES("451 4.3.0 Pipe command reported error 75 "
	    "(EX_TEMPFAIL)\r\n");
	feed(s, "RCPT TO:<x@y>\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n"
	    "DATA\r\n.\r\n");
	exited(s, EX_DATAERR);
	CHECK_REPLIES("503 5.5.1 Need MAIL before RCPT\r\n250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	    "554 5.3.0 Pipe command reported error 65 (EX_DATAERR)\r\n");
	CHECK_INT(fk.started, 2);
	CHECK_INT(fk.aborted, 0);
	fake_free(s);
}

static void test_session_sequence(void)
{
	struct session *s = fake_session(NULL, NULL);

	fconf.max_errors = 100;
	feed(s, "MAIL FROM:<a@b>\r\nRCPT TO:<a@b>\r\nDATA\r\nEHLO c\r\n"
	    "DATA\r\nRCPT TO:<a@b>\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n"
	    "DATA\r\nRSET\r\nRCPT TO:<a@b>\r\nVRFY x\r\nSTARTTLS\r\n"
	    "AUTH PLAIN\r\nXYZZY\r\nHELP\r\nNOOP\r\n");
	CHECK_REPLIES("503 5.5.1 Send EHLO or HELO first\r\n"
	    "503 5.5.1 Send EHLO or HELO first\r\n"
	    "503 5.5.1 Send EHLO or HELO first\r\n"
	    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
	    "503 5.5.1 Need MAIL before DATA\r\n"
	    "503 5.5.1 Need MAIL before RCPT\r\n"
	    "250 2.1.0 Ok\r\n503 5.5.1 Nested MAIL command\r\n"
	    "554 5.5.1 No valid recipients\r\n250 2.0.0 Ok\r\n"
	    "503 5.5.1 Need MAIL before RCPT\r\n"
	    "502 5.5.1 VRFY and EXPN are not supported\r\n"
	    "502 5.5.1 STARTTLS is not supported\r\n"
	    "503 5.5.1 Authentication not enabled\r\n"
	    "500 5.5.2 Command not recognized\r\n"
	    "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT\r\n"
	    "250 2.0.0 Ok\r\n");
	CHECK_INT(fk.started, 0);
	fconf.max_errors = 5;
	fake_free(s);
}

static void test_session_malformed_lines(void)
{
	struct session *s = fake_session(NULL, NULL);
	char big[CMD_LINE_MAX + 100];

	fconf.max_errors = 100;
	memset(big, 'x', sizeof(big));
	feed(s, "EHLO c\r\n");
	free(replies());
	session_input(s, big, sizeof(big));	/* no LF yet */
	feed(s, "more\r\nNOOP\r\n");
	session_input(s, "NO\0OP\r\n", 7);
	feed(s, "NOOP\nNOOP\r\n");
	feed(s, "MAIL FROM:<a@b> SIZE=1001\r\nMAIL FROM:<-x@b>\r\n"
	    "MAIL FROM:<a@b> FOO=1\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@b>\r\n"
	    "RCPT TO:<2@b>\r\nRCPT TO:<3@b>\r\nRCPT TO:<4@b>\r\n");
	CHECK_REPLIES("500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n"
	    "500 5.5.2 NUL byte received\r\n"
	    "500 5.5.2 Bare LF received; lines must end with CRLF\r\n"
	    "250 2.0.0 Ok\r\n"
	    "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
	    "501 5.1.7 Bad sender address syntax\r\n"
	    "555 5.5.4 Unsupported parameter\r\n250 2.1.0 Ok\r\n"
	    "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "452 4.5.3 Too many recipients\r\n");
	fconf.max_errors = 5;
	fake_free(s);
}

static void test_session_too_many_errors(void)
{
	struct session *s = fake_session(NULL, NULL);

	feed(s, "X\r\nX\r\nX\r\nX\r\nX\r\nX\r\nNOOP\r\n");
	CHECK_REPLIES("500 5.5.2 Command not recognized\r\n"
	    "500 5.5.2 Command not recognized\r\n"
	    "500 5.5.2 Command not recognized\r\n"
	    "500 5.5.2 Command not recognized\r\n"
	    "500 5.5.2 Command not recognized\r\n"
	    "421 4.7.0 mx.test Too many errors, closing connection\r\n");
	CHECK_INT(fk.closed, 1);
	CHECK_INT(session_wants_input(s), 0);
	fake_free(s);
}

static const char *start_data =
    "EHLO c.test\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n";

static void test_session_bad_mail(void)
{
	static const struct {
		const char	*data;
		size_t		 len;
		const char	*reply;
	} cases[] = {
		{ "a\nb\r\n.\r\n", 8, "554 5.6.0 Message contains a bare LF; "
		  "lines must end with CRLF\r\n" },
		{ "a\0b\r\n.\r\n", 8, "554 5.6.0 Message contains NUL bytes\r\n" },
		{ NULL, 1100, "552 5.3.4 Message size exceeds fixed maximum "
		  "message size\r\n" },
	};
	struct session *s;
	char big[1100];
	size_t i;

	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - 7, "\r\n.\r\n", 5);
	for (i = 0; i < N(cases); i++) {
		s = fake_session(NULL, NULL);
		feed(s, start_data);
		free(replies());
		session_input(s, cases[i].data ? cases[i].data : big,
		    cases[i].len - (cases[i].data ? 0 : 2));
		CHECK_INT(fk.aborted, 1);
		CHECK_INT(fk.ended, 0);
		CHECK_REPLIES(cases[i].reply);
		CHECK(strstr(fk.log.data, cases[i].reply + 4) != NULL ||
		    strstr(fk.log.data, "smtpstatus=5") != NULL);
		/* the session goes on */
		feed(s, "NOOP\r\n");
		CHECK_REPLIES("250 2.0.0 Ok\r\n");
		fake_free(s);
	}
}

static void test_session_disconnect_mid_data(void)
{
	struct session *s = fake_session(NULL, NULL);

	feed(s, start_data);
	feed(s, "Subject: x\r\n\r\nhalf a ma");
	session_eof(s);
	CHECK_INT(fk.aborted, 1);
	CHECK_INT(fk.ended, 0);
	CHECK(strstr(fk.log.data, "connection lost during DATA") != NULL);
	/* a disconnect after the final dot leaves the command alone */
	fake_free(s);
	s = fake_session(NULL, NULL);
	feed(s, start_data);
	feed(s, "x\r\n.\r\n");
	session_eof(s);
	CHECK_INT(fk.ended, 1);
	CHECK_INT(fk.aborted, 0);
	exited(s, 0);
	CHECK(strstr(fk.log.data, "smtpstatus=250") != NULL);
	fake_free(s);
}

static void test_session_command_ends_early(void)
{
	struct session *s = fake_session(NULL, NULL);

	feed(s, start_data);
	feed(s, "x\r\n");
	exited(s, 0);		/* before the end: it cannot have it all */
	feed(s, "y\r\n.\r\n");
	CHECK_INT(fk.ended, 0);
	CHECK(strstr(fk.out.data, "451 4.3.0 Pipe command exited before "
	    "reading the whole mail\r\n") != NULL);
	fake_free(s);
	s = fake_session(NULL, NULL);
	feed(s, start_data);
	exited(s, EX_NOUSER);
	feed(s, "y\r\n.\r\n");
	CHECK(strstr(fk.out.data, "554 5.3.0 Pipe command reported error "
	    "67 (EX_NOUSER)\r\n") != NULL);
	fake_free(s);
	s = fake_session(NULL, NULL);
	fk.start_fails = 1;
	feed(s, start_data);
	CHECK(strstr(fk.out.data, "451 4.3.0 Cannot start pipe command") !=
	    NULL);
	CHECK(strstr(fk.out.data, "354") == NULL);
	fake_free(s);
}

static void test_session_timeout_and_shutdown(void)
{
	struct session *s = fake_session(NULL, NULL);

	feed(s, start_data);
	free(replies());
	feed(s, "x\r\n");
	session_timeout(s);
	CHECK_INT(fk.aborted, 1);
	CHECK_REPLIES("421 4.4.2 mx.test Error: timeout exceeded\r\n");
	CHECK_INT(fk.closed, 1);
	fake_free(s);
	s = fake_session(NULL, NULL);
	feed(s, start_data);
	feed(s, ".\r\n");
	free(replies());
	session_shutdown(s);
	CHECK_INT(fk.closed, 0);	/* the verdict first */
	exited(s, 0);
	CHECK_REPLIES("250 2.0.0 Ok, mail was piped\r\n"
	    "421 4.3.2 mx.test Service shutting down\r\n");
	CHECK_INT(fk.closed, 1);
	fake_free(s);
}

/* auth_plain_line - "AUTH PLAIN <base64 of \0user\0pass>" */
static char *auth_plain_line(const char *user, const char *pass)
{
	char raw[128], enc[200];
	size_t n;

	n = (size_t)snprintf(raw, sizeof(raw), "%c%s%c%s", 0, user, 0, pass);
	cmd_b64encode(raw, n, enc);
	return xasprintf("AUTH PLAIN %s\r\n", enc);
}

static void test_session_auth_plain(void)
{
	struct session *s = fake_session("joe", "secret");
	char *l;

	feed(s, "EHLO c.test\r\n");
	CHECK(strstr(fk.out.data, "250-AUTH PLAIN LOGIN\r\n") != NULL);
	free(replies());
	feed(s, "MAIL FROM:<a@b>\r\n");
	CHECK_REPLIES("530 5.7.0 Authentication required\r\n");
	l = auth_plain_line("joe", "wrong");
	feed(s, l);
	free(l);
	CHECK_INT(fk.last_ok, 0);
	CHECK_REPLIES("535 5.7.8 Authentication credentials invalid\r\n");
	l = auth_plain_line("joe", "secret");
	feed(s, "AUTH PLAIN\r\n");
	CHECK_REPLIES("334 \r\n");
	feed(s, l + 11);	/* the response on its own line */
	free(l);
	CHECK_INT(fk.last_ok, 1);
	CHECK_REPLIES("235 2.7.0 Authentication successful\r\n");
	feed(s, "AUTH PLAIN\r\nEHLO c.test\r\nMAIL FROM:<a@b>\r\n");
	CHECK_REPLIES("503 5.5.1 Already authenticated\r\n"
	    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n");
	feed(s, "RCPT TO:<x@y>\r\nDATA\r\n");
	CHECK(strstr(fk.mail.data, "with ESMTPA;") != NULL);
	CHECK(strstr(fk.log.data, "authenticated user joe") != NULL);
	fake_free(s);
}

static void test_session_auth_login_and_delay(void)
{
	struct session *s = fake_session("joe", "secret");

	feed(s, "EHLO c.test\r\n");
	free(replies());
	fk.delay = 1000;
	feed(s, "AUTH LOGIN\r\n");
	CHECK_REPLIES("334 VXNlcm5hbWU6\r\n");
	feed(s, "am9l\r\n");			/* joe */
	CHECK_REPLIES("334 UGFzc3dvcmQ6\r\n");
	feed(s, "c2VjcmV0\r\nMAIL FROM:<a@b>\r\n");	/* secret */
	CHECK_INT(fk.waits, 1);
	CHECK_INT(session_wants_input(s), 0);
	CHECK_REPLIES("");		/* held back, MAIL waits too */
	session_resume(s);
	CHECK_REPLIES("235 2.7.0 Authentication successful\r\n"
	    "250 2.1.0 Ok\r\n");
	fake_free(s);
	s = fake_session("joe", "secret");
	feed(s, "EHLO c.test\r\nAUTH LOGIN am9l\r\n");
	free(replies());
	feed(s, "*\r\nAUTH LOGIN\r\n!!!!\r\nAUTH FOO\r\n");
	CHECK_REPLIES("501 5.7.0 Authentication cancelled\r\n"
	    "334 VXNlcm5hbWU6\r\n501 5.5.2 Cannot decode response\r\n"
	    "504 5.5.4 Unrecognized authentication type\r\n");
	fake_free(s);
}

static void test_session_auth_failures_close(void)
{
	struct session *s = fake_session("joe", "secret");

	fconf.max_errors = 100;
	feed(s, "EHLO c.test\r\n");
	free(replies());
	feed(s, "AUTH PLAIN AGpvZQB4\r\nAUTH PLAIN AGpvZQB4\r\n"
	    "AUTH PLAIN AGpvZQB4\r\nNOOP\r\n");	/* \0joe\0x */
	CHECK_REPLIES("535 5.7.8 Authentication credentials invalid\r\n"
	    "535 5.7.8 Authentication credentials invalid\r\n"
	    "535 5.7.8 Authentication credentials invalid\r\n"
	    "421 4.7.0 mx.test Too many authentication failures\r\n");
	CHECK_INT(fk.closed, 1);
	CHECK_INT(fk.verdicts, 3);
	fconf.max_errors = 5;
	fake_free(s);
}

static void test_session_backlog(void)
{
	struct session *s = fake_session(NULL, NULL);

	feed(s, "EHLO c.test\r\n");
	free(replies());
	fk.backlog = 1;
	feed(s, "NOOP\r\nNOOP\r\n");
	CHECK_REPLIES("");		/* held back while replies pile up */
	fk.backlog = 0;
	session_input(s, NULL, 0);
	CHECK_REPLIES("250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
	/* the mail itself is never held back: it makes no replies */
	feed(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	fk.backlog = 1;
	feed(s, "x\r\n");
	CHECK(strstr(fk.mail.data, "\nx\n") != NULL);
	fake_free(s);
}

static void test_received(void)
{
	struct buf b;

	buf_init(&b);
	session_received(&b, "h", "::1", "mx", 1, 0, 0);
	CHECK(strncmp(b.data, "Received: from h ([IPv6:::1])\n\tby mx "
	    "(msmtpd) with ESMTP;\n\t", 54) == 0);
	buf_reset(&b);
	session_received(&b, "h", "", "mx", 0, 0, 0);
	CHECK(strncmp(b.data, "Received: from h\n\tby mx (msmtpd) with SMTP;",
	    43) == 0);
	buf_free(&b);
}

UNIT_MAIN(
	UNIT_CASE(test_session_transaction),
	UNIT_CASE(test_session_two_transactions),
	UNIT_CASE(test_session_sequence),
	UNIT_CASE(test_session_malformed_lines),
	UNIT_CASE(test_session_too_many_errors),
	UNIT_CASE(test_session_bad_mail),
	UNIT_CASE(test_session_disconnect_mid_data),
	UNIT_CASE(test_session_command_ends_early),
	UNIT_CASE(test_session_timeout_and_shutdown),
	UNIT_CASE(test_session_auth_plain),
	UNIT_CASE(test_session_auth_login_and_delay),
	UNIT_CASE(test_session_auth_failures_close),
	UNIT_CASE(test_session_backlog),
	UNIT_CASE(test_received)
)
