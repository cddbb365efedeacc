/*
 * msmtpd_test - msmtpd's pure parts: the command parser, the DATA
 * decoder, the exit status mapping, the command line
 * (msmtpd_session_test.c drives the session; msmtpd_argv_test.c covers
 * the pipe command's script).
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

/* ---- cmd: lines ---- */

static void test_cmd_line(void)
{
	size_t len, used;
	int done;

	CHECK_INT(cmd_line("NOOP\r\nQUIT\r\n", 12, 100, &len, &used),
	    LINE_OK);
	CHECK_INT(len, 4);
	CHECK_INT(used, 6);
	CHECK_INT(cmd_line("NOOP\r", 5, 100, &len, &used), LINE_MORE);
	CHECK_INT(cmd_line("", 0, 100, &len, &used), LINE_MORE);
	CHECK_INT(cmd_line("NOOP\nX", 6, 100, &len, &used), LINE_BARE_LF);
	CHECK_INT(used, 5);
	CHECK_INT(cmd_line("\n", 1, 100, &len, &used), LINE_BARE_LF);
	CHECK_INT(cmd_line("NO\0OP\r\n", 7, 100, &len, &used), LINE_NUL);
	CHECK_INT(used, 7);
	/* exactly max with CRLF is fine, one more is not */
	CHECK_INT(cmd_line("12345678\r\n", 10, 10, &len, &used), LINE_OK);
	CHECK_INT(cmd_line("123456789\r\n", 11, 10, &len, &used),
	    LINE_TOO_LONG);
	CHECK_INT(used, 11);
	CHECK_INT(cmd_line("123456789", 9, 10, &len, &used), LINE_MORE);
	CHECK_INT(cmd_line("1234567890", 10, 10, &len, &used),
	    LINE_TOO_LONG);
	CHECK_INT(used, 10);
	CHECK_INT(cmd_skip("abc", 3, &done), 3);
	CHECK_INT(done, 0);
	CHECK_INT(cmd_skip("ab\ncd", 5, &done), 3);
	CHECK_INT(done, 1);
}

/* ---- cmd: commands ---- */

static void parse(struct cmd *c, const char *s)
{
	cmd_parse(s, strlen(s), c);
}

static const struct {
	const char	*line;
	enum cmd_verb	 verb;
	enum cmd_err	 err;
	const char	*addr;
} cmd_cases[] = {
	{ "EHLO client.example", CMD_EHLO, CMD_OK, "" },
	{ "ehlo [127.0.0.1]", CMD_EHLO, CMD_OK, "" },
	{ "EHLO", CMD_EHLO, CMD_ENOARG, "" },
	{ "EHLO   ", CMD_EHLO, CMD_ENOARG, "" },
	{ "helo x", CMD_HELO, CMD_OK, "" },
	{ "MAIL FROM:<a@b.example>", CMD_MAIL, CMD_OK, "a@b.example" },
	{ "mail from:<a@b.example>", CMD_MAIL, CMD_OK, "a@b.example" },
	{ "MAIL FROM: <a@b.example>", CMD_MAIL, CMD_OK, "a@b.example" },
	{ "MAIL FROM:<>", CMD_MAIL, CMD_OK, "" },
	{ "MAIL FROM:<a@b> SIZE=100 BODY=8BITMIME", CMD_MAIL, CMD_OK, "a@b" },
	{ "MAIL FROM:<a@b> body=7bit", CMD_MAIL, CMD_OK, "a@b" },
	{ "MAIL FROM:<a@b> AUTH=<>", CMD_MAIL, CMD_OK, "a@b" },
	{ "MAIL FROM:<a@b> SMTPUTF8", CMD_MAIL, CMD_EPARAM, "" },
	{ "MAIL FROM:<a@b> SIZE=x", CMD_MAIL, CMD_ESIZE, "" },
	{ "MAIL FROM:<a@b> SIZE=", CMD_MAIL, CMD_ESIZE, "" },
	{ "MAIL FROM:<a@b> SIZE=99999999999999999999999", CMD_MAIL,
	  CMD_ESIZE, "" },
	{ "MAIL FROM:<a@b> SIZE=18446744073709551616", CMD_MAIL, CMD_ESIZE,
	  "" },
	{ "MAIL FROM:<a@b>SIZE=1", CMD_MAIL, CMD_ESYNTAX, "" },
	{ "MAIL FROM:a@b", CMD_MAIL, CMD_ESYNTAX, "" },
	{ "MAIL FROM:<a@b", CMD_MAIL, CMD_ESYNTAX, "" },
	{ "MAIL TO:<a@b>", CMD_MAIL, CMD_ESYNTAX, "" },
	{ "MAIL", CMD_MAIL, CMD_ESYNTAX, "" },
	{ "MAIL FROM:<-oQ/tmp@b>", CMD_MAIL, CMD_EADDR, "" },
	{ "MAIL FROM:<a b@c>", CMD_MAIL, CMD_EADDR, "" },
	{ "MAIL FROM:<\"a b>c\"@d.example>", CMD_MAIL, CMD_OK,
	  "\"a b>c\"@d.example" },
	{ "MAIL FROM:<@relay.example,@r2.example:a@b.example>", CMD_MAIL,
	  CMD_OK, "a@b.example" },
	{ "MAIL FROM:<@relay.example:>", CMD_MAIL, CMD_EADDR, "" },
	{ "RCPT TO:<bob@example.net>", CMD_RCPT, CMD_OK, "bob@example.net" },
	{ "RCPT TO:<postmaster>", CMD_RCPT, CMD_OK, "postmaster" },
	{ "RCPT TO:<>", CMD_RCPT, CMD_EADDR, "" },
	{ "RCPT TO:<b@c> NOTIFY=NEVER", CMD_RCPT, CMD_EPARAM, "" },
	{ "RCPT TO:<b\xc3\xa9@c>", CMD_RCPT, CMD_EADDR, "" },
	{ "RCPT TO:<b@[192.0.2.1]>", CMD_RCPT, CMD_OK, "b@[192.0.2.1]" },
	{ "RCPT FROM:<b@c>", CMD_RCPT, CMD_ESYNTAX, "" },
	{ "DATA", CMD_DATA, CMD_OK, "" },
	{ "DATA x", CMD_DATA, CMD_EARG, "" },
	{ "data ", CMD_DATA, CMD_OK, "" },
	{ "RSET", CMD_RSET, CMD_OK, "" },
	{ "NOOP anything", CMD_NOOP, CMD_OK, "" },
	{ "QUIT", CMD_QUIT, CMD_OK, "" },
	{ "QUIT now", CMD_QUIT, CMD_EARG, "" },
	{ "HELP", CMD_HELP, CMD_OK, "" },
	{ "VRFY root", CMD_VRFY, CMD_OK, "" },
	{ "EXPN list", CMD_EXPN, CMD_OK, "" },
	{ "STARTTLS", CMD_STARTTLS, CMD_OK, "" },
	{ "AUTH", CMD_AUTH, CMD_ESYNTAX, "" },
	{ "AUTH PLAIN", CMD_AUTH, CMD_OK, "" },
	{ "AUTH PLAIN a b", CMD_AUTH, CMD_ESYNTAX, "" },
	{ "BDAT 10", CMD_UNKNOWN, CMD_OK, "" },
	{ "", CMD_UNKNOWN, CMD_OK, "" },
	{ "MAILX FROM:<a@b>", CMD_UNKNOWN, CMD_OK, "" },
};

static void test_cmd_parse(void)
{
	struct cmd c;
	size_t i;

	for (i = 0; i < N(cmd_cases); i++) {
		parse(&c, cmd_cases[i].line);
		if (c.verb != cmd_cases[i].verb || c.err != cmd_cases[i].err ||
		    (c.err == CMD_OK && strcmp(c.addr, cmd_cases[i].addr)))
			fprintf(stderr, "case %zu: %s\n", i, cmd_cases[i].line);
		CHECK_INT(c.verb, cmd_cases[i].verb);
		CHECK_INT(c.err, cmd_cases[i].err);
		if (c.err == CMD_OK)
			CHECK_STR(c.addr, cmd_cases[i].addr);
	}
	parse(&c, "MAIL FROM:<a@b> SIZE=12345");
	CHECK_INT(c.has_size, 1);
	CHECK_INT(c.size, 12345);
	parse(&c, "EHLO  client.example  ");
	CHECK_MEM(c.arg, c.arglen, "client.example", 14);
	parse(&c, "AUTH login dXNlcg==");
	CHECK_INT(c.mech, MECH_LOGIN);
	CHECK_MEM(c.resp, c.resplen, "dXNlcg==", 8);
	parse(&c, "AUTH CRAM-MD5");
	CHECK_INT(c.mech, MECH_OTHER);
	CHECK(c.resp == NULL);
}

static void test_cmd_addr(void)
{
	static const struct {
		const char	*a;
		int		 ok;
	} cases[] = {
		{ "a@b.example", 1 }, { "a.b.c@d-e.example", 1 },
		{ "a+tag@b.example", 1 }, { "o'brien@b.example", 1 },
		{ "root", 1 }, { "\"\"@b.example", 1 },
		{ "\"x\\\"y\"@b.example", 1 }, { "a@[IPv6:::1]", 1 },
		{ "", 0 }, { "-a@b.example", 0 }, { "a..b@c", 0 },
		{ ".a@b", 0 }, { "a.@b", 0 }, { "a@", 0 }, { "@b", 0 },
		{ "a@b..c", 0 }, { "a@-b.c", 0 }, { "a@b-.c", 0 },
		{ "a@b.c.", 0 }, { "a b@c", 0 }, { "a@b@c", 0 },
		{ "a\tb@c", 0 }, { "\"a\x01\"@b", 0 }, { "\"abc@d", 0 },
		{ "a@[1.2.3.4", 0 }, { "a@[]", 0 }, { "a@[a]b]", 0 },
		{ "a(b)@c", 0 }, { "a,b@c", 0 }, { "a;b@c", 0 },
		{ "a<b@c", 0 },
		/* address literals: real IPv4 and IPv6 addresses only, so
		 * that none hides a ',' that msmtp would split at */
		{ "a@[1.2.3.4]", 1 }, { "a@[127.0.0.1]", 1 },
		{ "a@[IPv6:2001:db8::1]", 1 }, { "a@[ipv6:::1]", 1 },
		{ "a@[IPv6:::ffff:192.0.2.1]", 1 },
		{ "a@[x,b@c.example,d@e.example]", 0 },
		{ "a@[1.2.3.4,b@c.example]", 0 }, { "a@[1.2.3]", 0 },
		{ "a@[256.1.1.1]", 0 }, { "a@[1.2.3.4 ]", 0 },
		{ "a@[ 1.2.3.4]", 0 }, { "a@[::1]", 0 },
		{ "a@[IPv6:1.2.3.4]", 0 }, { "a@[IPv6:fe80::1%eth0]", 0 },
		{ "a@[IPv6:]", 0 }, { "a@[IPv6:::1;b@c]", 0 },
		{ "a@[tag:text]", 0 }, { "a@[x]", 0 },
		{ "a@[1.2.3.4]x", 0 }, { "a@[[1.2.3.4]]", 0 },
		/* what splits or structures an address for msmtp */
		{ "a b@c.example", 0 }, { "a@b.example,c@d.example", 0 },
		{ "a@b.example;c@d.example", 0 }, { "a:b@c.example", 0 },
		{ "a@b.example c@d.example", 0 }, { "<a@b.example>", 0 },
		{ "a\"b\"@c.example", 0 }, { "a@\"b\".example", 0 },
	};
	char big[CMD_ADDR_MAX + 2];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		if (cmd_addr_ok(cases[i].a, strlen(cases[i].a)) != cases[i].ok)
			fprintf(stderr, "address case %zu: %s\n", i,
			    cases[i].a);
		CHECK_INT(cmd_addr_ok(cases[i].a, strlen(cases[i].a)),
		    cases[i].ok);
	}
	for (i = 0; i < sizeof(big); i++)
		big[i] = i == 1 ? '@' : i % 50 == 0 && i > 0 ? '.' : 'a';
	CHECK_INT(cmd_addr_ok(big, CMD_ADDR_MAX), 1);
	CHECK_INT(cmd_addr_ok(big, CMD_ADDR_MAX + 1), 0);
	/* a label of 64 characters is too long, 63 is fine */
	memset(big, 'a', sizeof(big));
	big[1] = '@';
	CHECK_INT(cmd_addr_ok(big, 2 + 64), 0);
	CHECK_INT(cmd_addr_ok(big, 2 + 63), 1);
}

static void test_cmd_base64(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar", "\0user\0pass" };
	char enc[64], dec[64];
	size_t i, n, len;

	for (i = 0; i < N(plain); i++) {
		len = i == N(plain) - 1 ? 10 : strlen(plain[i]);
		cmd_b64encode(plain[i], len, enc);
		CHECK_INT(cmd_b64decode(enc, strlen(enc), dec, sizeof(dec), &n),
		    0);
		CHECK_MEM(dec, n, plain[i], len);
	}
	cmd_b64encode("foobar", 6, enc);
	CHECK_STR(enc, "Zm9vYmFy");
	cmd_b64encode("fo", 2, enc);
	CHECK_STR(enc, "Zm8=");
	CHECK_INT(cmd_b64decode("Zm8", 3, dec, sizeof(dec), &n), -1);
	CHECK_INT(cmd_b64decode("Zm8=Zm8=", 8, dec, sizeof(dec), &n), -1);
	CHECK_INT(cmd_b64decode("Z===", 4, dec, sizeof(dec), &n), -1);
	CHECK_INT(cmd_b64decode("Zm=8", 4, dec, sizeof(dec), &n), -1);
	CHECK_INT(cmd_b64decode("Zm 8", 4, dec, sizeof(dec), &n), -1);
	CHECK_INT(cmd_b64decode("Zm9vYmFy", 8, dec, 5, &n), -1);
	CHECK_INT(cmd_b64decode("Zm9vYmFy", 8, dec, 6, &n), 0);
}

static void test_cmd_plain(void)
{
	const char *u, *p;
	size_t ul, pl;

	CHECK_INT(cmd_plain("\0user\0pass", 10, &u, &ul, &p, &pl), 0);
	CHECK_MEM(u, ul, "user", 4);
	CHECK_MEM(p, pl, "pass", 4);
	CHECK_INT(cmd_plain("user\0user\0pass", 14, &u, &ul, &p, &pl), 0);
	CHECK_INT(cmd_plain("\0user\0", 6, &u, &ul, &p, &pl), 0);
	CHECK_INT(pl, 0);
	CHECK_INT(cmd_plain("admin\0user\0pass", 15, &u, &ul, &p, &pl), -1);
	CHECK_INT(cmd_plain("\0\0pass", 6, &u, &ul, &p, &pl), -1);
	CHECK_INT(cmd_plain("\0userpass", 9, &u, &ul, &p, &pl), -1);
	CHECK_INT(cmd_plain("userpass", 8, &u, &ul, &p, &pl), -1);
	CHECK_INT(cmd_plain("\0u\0p\0x", 7, &u, &ul, &p, &pl), -1);
}

static void test_cmd_helo_name(void)
{
	char out[16];

	cmd_helo_name("client.example", 14, out, sizeof(out));
	CHECK_STR(out, "client.example");
	cmd_helo_name("[127.0.0.1]", 11, out, sizeof(out));
	CHECK_STR(out, "[127.0.0.1]");
	cmd_helo_name("bad name", 8, out, sizeof(out));
	CHECK_STR(out, "invalid");
	cmd_helo_name("x\r\nReceived:", 12, out, sizeof(out));
	CHECK_STR(out, "invalid");
	cmd_helo_name("a-very-long-name.example", 24, out, sizeof(out));
	CHECK_STR(out, "invalid");
}

/* ---- data ---- */

/* decode_all - feed in chunks of step bytes; the bytes used in all. */
static size_t decode_all(struct data_dec *d, const char *in, size_t len,
    size_t chunk, struct buf *out)
{
	size_t pos = 0, n;

	while (pos < len && !d->done) {
		n = len - pos < chunk ? len - pos : chunk;
		pos += data_decode(d, in + pos, n, out);
	}
	return pos;
}

static void test_data_decode(void)
{
	static const char in[] = "Subject: x\r\n\r\n..dot\r\n.\r\r\nbare\rcr\r\n"
	    "last\r\n.\r\nQUIT\r\n";
	static const char want[] = "Subject: x\n\n.dot\n\r\nbare\rcr\nlast\n";
	struct data_dec d;
	struct buf out;
	size_t chunk, used;

	buf_init(&out);
	for (chunk = 1; chunk <= sizeof(in); chunk++) {
		data_init(&d, 0);
		buf_reset(&out);
		used = decode_all(&d, in, sizeof(in) - 1, chunk, &out);
		CHECK_INT(d.done, 1);
		CHECK_INT(d.flags, 0);
		CHECK_INT(used, sizeof(in) - 1 - 6);	/* QUIT is left */
		CHECK_MEM(out.data, out.len, want, sizeof(want) - 1);
		CHECK_INT(d.size, sizeof(want) - 1);
	}
	data_init(&d, 0);
	buf_reset(&out);
	CHECK_INT(data_decode(&d, ".\r\n", 3, &out), 3);
	CHECK_INT(d.done, 1);
	CHECK_INT(out.len, 0);
	buf_free(&out);
}

static void test_data_bad(void)
{
	struct data_dec d;
	struct buf out;
	const char *s;

	buf_init(&out);
	/* a bare LF never ends a line: "\n.\n" and "\n.\r\n" are data */
	s = "a\n.\nb\n.\r\nc\r\n.\r\n";
	data_init(&d, 0);
	CHECK_INT(data_decode(&d, s, strlen(s), &out), strlen(s));
	CHECK_INT(d.done, 1);
	CHECK(d.flags & DATA_BARE_LF);
	CHECK_INT(out.len, 1);	/* "a", then nothing more */
	s = "a\0b\r\n.\r\n";
	data_init(&d, 0);
	buf_reset(&out);
	CHECK_INT(data_decode(&d, s, 8, &out), 8);
	CHECK_INT(d.flags, DATA_NUL);
	CHECK_INT(d.done, 1);
	s = "12345\r\n6789\r\n.\r\n";
	data_init(&d, 10);
	buf_reset(&out);
	CHECK_INT(data_decode(&d, s, strlen(s), &out), strlen(s));
	CHECK_INT(d.flags, DATA_TOO_BIG);
	CHECK(d.size <= 10);
	data_init(&d, 11);
	buf_reset(&out);
	data_decode(&d, s, strlen(s), &out);
	CHECK_INT(d.flags, 0);
	CHECK_INT(d.size, 11);
	buf_free(&out);
}

/* ---- exitmap ---- */

static void test_exitmap_table(void)
{
	static const struct {
		int	status;
		int	code;
	} cases[] = {
		{ 0, 250 }, { 1, 554 }, { 2, 554 }, { 63, 554 },
		{ EX_USAGE, 554 }, { EX_DATAERR, 554 }, { EX_NOINPUT, 451 },
		{ EX_NOUSER, 554 }, { EX_NOHOST, 451 },
		{ EX_UNAVAILABLE, 554 }, { EX_SOFTWARE, 451 },
		{ EX_OSERR, 451 }, { EX_OSFILE, 451 }, { EX_CANTCREAT, 451 },
		{ EX_IOERR, 451 }, { EX_TEMPFAIL, 451 },
		{ EX_PROTOCOL, 451 }, { EX_NOPERM, 451 }, { EX_CONFIG, 451 },
		{ 79, 554 }, { 125, 554 }, { 126, 451 }, { 127, 451 },
		{ 128, 554 }, { 137, 451 }, { 192, 451 },
		{ 193, 554 }, { 255, 554 },
	};
	struct pipe_result r;
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < N(cases); i++) {
		memset(&r, 0, sizeof(r));
		r.how = PIPE_EXITED;
		r.code = cases[i].status;
		buf_reset(&b);
		CHECK_INT(exitmap_reply(&r, &b), cases[i].code);
		CHECK_INT(atoi(b.data), cases[i].code);
		CHECK(strchr(b.data, '\r') == NULL);
	}
	memset(&r, 0, sizeof(r));
	r.how = PIPE_EXITED;
	r.code = EX_TEMPFAIL;
	errline_feed(&r.err, "\nmsmtp: the spool is busy\nmore\n", 32);
	buf_reset(&b);
	exitmap_reply(&r, &b);
	CHECK_STR(b.data, "451 4.3.0 Pipe command reported error 75 "
	    "(EX_TEMPFAIL): msmtp: the spool is busy");
	r.code = 1;
	buf_reset(&b);
	exitmap_reply(&r, &b);
	CHECK_STR(b.data, "554 5.3.0 Pipe command reported error 1: "
	    "msmtp: the spool is busy");
	r.code = 0;
	r.incomplete = 1;
	buf_reset(&b);
	CHECK_INT(exitmap_reply(&r, &b), 451);
	r.how = PIPE_SIGNALED;
	r.code = SIGKILL;
	buf_reset(&b);
	CHECK_INT(exitmap_reply(&r, &b), 451);
	r.how = PIPE_NOSTART;
	r.code = ENOENT;
	buf_reset(&b);
	CHECK_INT(exitmap_reply(&r, &b), 451);
	CHECK(strstr(b.data, "Cannot start pipe command") != NULL);
	r.how = PIPE_EXITED;
	r.code = 127;
	errline_init(&r.err);
	errline_feed(&r.err, "sh: 1: /no/such: not found\n", 27);
	buf_reset(&b);
	CHECK_INT(exitmap_reply(&r, &b), 451);
	CHECK_STR(b.data, "451 4.3.0 Cannot start pipe command (exit status "
	    "127): sh: 1: /no/such: not found");
	r.how = PIPE_BADFROM;
	buf_reset(&b);
	CHECK_INT(exitmap_reply(&r, &b), 554);
	CHECK(strncmp(b.data, "554 5.1.7 ", 10) == 0);
	buf_free(&b);
}

static void test_errline(void)
{
	struct errline e;
	char big[1000];

	errline_init(&e);
	errline_feed(&e, "  ", 2);
	errline_feed(&e, "\r\n", 2);
	errline_feed(&e, "fi", 2);
	errline_feed(&e, "rst\x1b[31m\r", 9);
	errline_feed(&e, "\nsecond\n", 8);
	CHECK_STR(e.text, "first?[31m");
	CHECK_INT(e.complete, 1);
	errline_init(&e);
	memset(big, 'x', sizeof(big));
	errline_feed(&e, big, sizeof(big));
	CHECK_INT(e.len, EXITMAP_ERRLINE_MAX);
	CHECK_INT(strlen(e.text), EXITMAP_ERRLINE_MAX);
	/* A chunk that ends between two words keeps the space (dash writes
	 * "sh: 1: " and the rest apart); trailing blanks still go. */
	errline_init(&e);
	errline_feed(&e, " sh: 1: ", 8);
	errline_feed(&e, "/x: not found  ", 15);
	CHECK_STR(e.text, "sh: 1: /x: not found");
	errline_feed(&e, "\n", 1);
	CHECK_STR(e.text, "sh: 1: /x: not found");
	CHECK_INT(e.complete, 1);
}

/* ---- opts ---- */

static int parse_opts(struct opts *o, char **err, ...)
{
	char *argv[16];
	va_list ap;
	int argc = 0;

	argv[argc++] = "msmtpd";
	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	*err = NULL;
	return opts_parse(argc, argv, o, err);
}

static void test_opts(void)
{
	struct opts o;
	char *err;

	CHECK_INT(parse_opts(&o, &err, NULL), EX_OK);
	CHECK_STR(o.interface, "127.0.0.1");
	CHECK_INT(o.port, 25);
	CHECK_STR(o.log, "none");
	/* no msmtp beside build/tests/msmtpd_test: BINDIR's */
	CHECK_STR(o.command, BINDIR "/msmtp -f %F --");
	CHECK_INT(o.command_default, 1);
	CHECK_INT(o.max_sessions, 16);
	CHECK_INT(o.timeout, 300);
	CHECK(o.auth_user == NULL);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--inetd", "--interface=::1",
	    "--port=2500", "--log=syslog", "--command=cat", "--auth=u,echo a,b",
	    "--max-sessions=3", "--timeout=0", "--max-size=0", NULL), EX_OK);
	CHECK_INT(o.inetd, 1);
	CHECK_STR(o.interface, "::1");
	CHECK_INT(o.port, 2500);
	CHECK_STR(o.auth_user, "u");
	CHECK_STR(o.auth_eval, "echo a,b");
	CHECK_INT(o.pipecmd.from, ARGV_FROM_NONE);
	CHECK_STR(o.pipecmd.head, "cat");
	CHECK_INT(o.command_default, 0);
	CHECK_INT(o.max_sessions, 3);
	CHECK_INT(o.timeout, 0);
	CHECK_INT(o.max_size, 0);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--auth=u", NULL), EX_OK);
	CHECK(o.auth_eval == NULL);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--port=", NULL), EX_USAGE);
	CHECK_STR(err, "option '--port' requires non-empty argument");
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--port=0", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--port=65536", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--port=-1", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--interface=localhost", NULL),
	    EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--auth=,echo x", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--bogus", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--port", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "extra", NULL), EX_USAGE);
	free(err);
	opts_free(&o);
	CHECK_INT(parse_opts(&o, &err, "--command='unterminated", NULL),
	    EX_USAGE);
	free(err);
	opts_free(&o);
}

UNIT_MAIN(
	UNIT_CASE(test_cmd_line),
	UNIT_CASE(test_cmd_parse),
	UNIT_CASE(test_cmd_addr),
	UNIT_CASE(test_cmd_base64),
	UNIT_CASE(test_cmd_plain),
	UNIT_CASE(test_cmd_helo_name),
	UNIT_CASE(test_data_decode),
	UNIT_CASE(test_data_bad),
	UNIT_CASE(test_exitmap_table),
	UNIT_CASE(test_errline),
	UNIT_CASE(test_opts)
)
