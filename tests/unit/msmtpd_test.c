/*
 * msmtpd_test - msmtpd's pure parts: the command parser, the DATA
 * decoder, the exit status mapping, the command line and its word
 * splitting, and the session state machine driven through fake hooks.
 *
 * Everything is reached through msmtpd's headers; the objects come from
 * build/lib/libmsmtpd.a, as for the program.
 */
#include <errno.h>
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
		{ 79, 554 }, { 127, 554 }, { 255, 554 },
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
}

/* ---- argv ---- */

static void test_argv_split(void)
{
	struct strlist w;
	char *err = NULL;

	strlist_init(&w);
	CHECK_INT(argv_split(" /usr/bin/msmtp  -f %F -- ", &w, &err), EX_OK);
	CHECK_INT(w.n, 4);
	CHECK_STR(w.v[2], "%F");
	strlist_free(&w);
	CHECK_INT(argv_split("sh -c 'cat > \"$0\"' '' a\\ b \"x\\\"y\\n\"",
	    &w, &err), EX_OK);
	CHECK_INT(w.n, 6);
	CHECK_STR(w.v[2], "cat > \"$0\"");
	CHECK_STR(w.v[3], "");
	CHECK_STR(w.v[4], "a b");
	CHECK_STR(w.v[5], "x\"y\\n");
	strlist_free(&w);
	CHECK_INT(argv_split("a 'b", &w, &err), EX_USAGE);
	free(err);
	strlist_free(&w);
	CHECK_INT(argv_split("a \"b", &w, &err), EX_USAGE);
	free(err);
	strlist_free(&w);
	CHECK_INT(argv_split("   ", &w, &err), EX_USAGE);
	free(err);
	strlist_free(&w);
}

static void test_argv_build(void)
{
	struct strlist w, r;
	char *err = NULL, **v;

	strlist_init(&w);
	strlist_init(&r);
	argv_split("prog -f %F --from=%F -x%Fy --", &w, &err);
	strlist_add(&r, "b@c");
	strlist_add(&r, "d@e");
	v = argv_build(&w, "a@b", &r);
	CHECK_STR(v[0], "prog");
	CHECK_STR(v[2], "a@b");
	CHECK_STR(v[3], "--from=%F");
	CHECK_STR(v[4], "-x%Fy");
	CHECK_STR(v[5], "--");
	CHECK_STR(v[6], "b@c");
	CHECK_STR(v[7], "d@e");
	CHECK(v[8] == NULL);
	argv_free(v);
	v = argv_build(&w, "", &r);
	CHECK_STR(v[2], "<>");
	argv_free(v);
	strlist_free(&w);
	argv_split("prog -x%Fy", &w, &err);
	v = argv_build(&w, "a b; rm", &r);
	CHECK_STR(v[1], "-xa b; rmy");	/* one argument, whatever it holds */
	argv_free(v);
	strlist_free(&w);
	strlist_free(&r);
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
	CHECK_STR(o.command, BINDIR "/msmtp -f %F --");
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
	CHECK_INT(o.words.n, 1);
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
	UNIT_CASE(test_argv_split),
	UNIT_CASE(test_argv_build),
	UNIT_CASE(test_opts),
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
