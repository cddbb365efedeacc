/*
 * smtp_test - the pure parts of the SMTP engine: reply parser, EHLO
 * capabilities, the DATA encoder and the outcome classifier.
 */
#include <sysexits.h>

#include "smtp/caps.h"
#include "smtp/dotstuff.h"
#include "smtp/outcome.h"
#include "smtp/reply.h"
#include "unit.h"

/* feed_all - feed "\n"-separated lines; the status of the last one. */
static enum smtp_reply_status feed_all(struct smtp_reply *r, const char *s)
{
	enum smtp_reply_status st = REPLY_BAD;
	const char *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		st = smtp_reply_feed(r, s, (size_t)(nl - s));
		if (st != REPLY_MORE)
			return st;
		s = *nl ? nl + 1 : nl;
	}
	return st;
}

static const struct {
	const char	*in;
	int		 status;
	int		 code;
	const char	*enh;
} reply_cases[] = {
	{ "250 OK", REPLY_DONE, 250, "" },
	{ "250", REPLY_DONE, 250, "" },
	{ "550 5.1.1 no such user", REPLY_DONE, 550, "5.1.1" },
	{ "451 4.3.0 try later", REPLY_DONE, 451, "4.3.0" },
	{ "451 5.3.0 class mismatch", REPLY_DONE, 451, "" },
	{ "250 2.0.0", REPLY_DONE, 250, "2.0.0" },
	{ "250 2.0.0x not enhanced", REPLY_DONE, 250, "" },
	{ "250 2.1000.0 too long", REPLY_DONE, 250, "" },
	{ "250-a\n250-b\n250 c", REPLY_DONE, 250, "" },
	{ "250-a\n251 c", REPLY_BAD, 250, "" },
	{ "25 short", REPLY_BAD, 0, "" },
	{ "abc def", REPLY_BAD, 0, "" },
	{ "250x", REPLY_BAD, 0, "" },
	{ "650 no such class", REPLY_BAD, 0, "" },
	{ "150 no such class", REPLY_BAD, 0, "" },
	{ "", REPLY_BAD, 0, "" },
	{ "250-more", REPLY_MORE, 250, "" },
};

static void test_reply_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		struct smtp_reply r;

		smtp_reply_init(&r);
		CHECK_INT(feed_all(&r, reply_cases[i].in), reply_cases[i].status);
		if (reply_cases[i].status != REPLY_BAD) {
			CHECK_INT(r.code, reply_cases[i].code);
			CHECK_STR(r.enh, reply_cases[i].enh);
		}
		smtp_reply_free(&r);
	}
}

static void test_reply_text_and_lines(void)
{
	struct smtp_reply r;
	const char *l;
	size_t len;

	smtp_reply_init(&r);
	CHECK_INT(feed_all(&r, "250-mx.test\n250-PIPELINING\n250 SIZE 10"),
	    REPLY_DONE);
	CHECK_STR(r.text.data, "250-mx.test\n250-PIPELINING\n250 SIZE 10");
	l = smtp_reply_line(&r, 1, &len);
	CHECK_MEM(l, len, "PIPELINING", 10);
	l = smtp_reply_line(&r, 2, &len);
	CHECK_MEM(l, len, "SIZE 10", 7);
	CHECK(smtp_reply_line(&r, 3, &len) == NULL);
	smtp_reply_free(&r);
}

static void test_reply_limits(void)
{
	struct smtp_reply r;
	char *line = malloc(SMTP_LINE_MAX + 10);

	memset(line, '-', SMTP_LINE_MAX + 10);
	memcpy(line, "250-", 4);

	smtp_reply_init(&r);
	CHECK_INT(smtp_reply_feed(&r, line, SMTP_LINE_MAX + 1), REPLY_BAD);
	smtp_reply_reset(&r);
	/* Many continuation lines cannot exceed the total bound. */
	{
		int i, st = REPLY_MORE;

		for (i = 0; i < 100000 && st == REPLY_MORE; i++)
			st = smtp_reply_feed(&r, line, 1000);
		CHECK_INT(st, REPLY_BAD);
		CHECK(r.text.len <= SMTP_REPLY_MAX);
	}
	smtp_reply_free(&r);
	free(line);
}

static void test_caps(void)
{
	struct smtp_reply r;
	struct smtp_caps c;

	smtp_reply_init(&r);
	smtp_caps_init(&c);
	feed_all(&r, "250-mx.test Hello\n250-pipelining\n250-SIZE 35882577\n"
	    "250-AUTH PLAIN login CRAM-MD5\n250-AUTH=PLAIN LOGIN\n"
	    "250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n"
	    "250-DSN\n250-SMTPUTF8\n250-XUNKNOWN x\n250 ETRN");
	smtp_caps_parse(&r, &c);
	CHECK(c.flags & CAP_PIPELINING);
	CHECK(c.flags & CAP_STARTTLS);
	CHECK(c.flags & CAP_AUTH);
	CHECK(c.flags & CAP_ENHANCEDSTATUSCODES);
	CHECK(c.flags & CAP_8BITMIME);
	CHECK(c.flags & CAP_DSN);
	CHECK(c.flags & CAP_SMTPUTF8);
	CHECK(c.flags & CAP_ETRN);
	CHECK(!(c.flags & CAP_CHUNKING));
	CHECK_INT(c.size_max, 35882577);
	CHECK(smtp_caps_has_auth(&c, "PLAIN"));
	CHECK(smtp_caps_has_auth(&c, "login"));
	CHECK(smtp_caps_has_auth(&c, "CRAM-MD5"));
	CHECK(!smtp_caps_has_auth(&c, "CRAM"));
	CHECK(!smtp_caps_has_auth(&c, "XOAUTH2"));
	smtp_caps_free(&c);
	smtp_reply_free(&r);
}

static void test_caps_greeting_only(void)
{
	struct smtp_reply r;
	struct smtp_caps c;

	smtp_reply_init(&r);
	smtp_caps_init(&c);
	/* The first line is the server name even if it looks like a
	 * keyword; a SIZE too large for the type is ignored. */
	feed_all(&r, "250-PIPELINING\n250 SIZE 99999999999999999999999999");
	smtp_caps_parse(&r, &c);
	CHECK(!(c.flags & CAP_PIPELINING));
	CHECK(c.flags & CAP_SIZE);
	CHECK_INT(c.size_max, 0);
	CHECK(c.auth_methods == NULL);
	smtp_caps_free(&c);
	smtp_reply_free(&r);
}

static const struct {
	const char	*in;
	const char	*out;
} dot_cases[] = {
	{ "", ".\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ ".\n", "..\r\n.\r\n" },
	{ "..x\n.\n", "...x\r\n..\r\n.\r\n" },
	{ "a\r\nb\r\n", "a\r\nb\r\n.\r\n" },
	{ "x\ry\n", "x\ry\r\n.\r\n" },
	{ "z\r\r\n", "z\r\r\n.\r\n" },
	{ "\rw\r", "\rw\r\r\n.\r\n" },
	{ "\n", "\r\n.\r\n" },
	{ "a\n.", "a\r\n..\r\n.\r\n" },
	{ "a.b\n x.\n", "a.b\r\n x.\r\n.\r\n" },
	{ "\r.x\n", "\r.x\r\n.\r\n" },
	/* CRs inside lines and runs longer than a piece (plain_run()). */
	{ "ab\rcd\n.e\r\nfghijklmnop\r\rq", "ab\rcd\r\n..e\r\n"
	    "fghijklmnop\r\rq\r\n.\r\n" },
};

/* encode_split - encode in pieces of `step` bytes, to test chunking. */
static void encode_split(const char *in, size_t step, struct buf *out)
{
	struct dotstuff d;
	size_t len = strlen(in), off;

	dotstuff_init(&d);
	for (off = 0; off < len; off += step)
		dotstuff_encode(&d, in + off, len - off < step ? len - off : step,
		    out);
	dotstuff_finish(&d, out);
}

static void test_dotstuff(void)
{
	size_t i, step;

	for (i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++) {
		for (step = 1; step <= 64;
		    step = step < 4 ? step + 1 : 16 * step) {
			struct buf out;

			buf_init(&out);
			encode_split(dot_cases[i].in, step, &out);
			CHECK_STR(out.data, dot_cases[i].out);
			buf_free(&out);
		}
	}
}

static void test_dotstuff_binary_and_size(void)
{
	struct dotstuff d;
	struct buf out;

	buf_init(&out);
	dotstuff_init(&d);
	dotstuff_encode(&d, "a\0b\r\n\xff\n", 7, &out);
	dotstuff_finish(&d, &out);
	CHECK_MEM(out.data, out.len, "a\0b\r\n\xff\r\n.\r\n", 11);
	/* LF-counted size: "a\0b" + LF + "\xff" + LF */
	CHECK_INT(d.mailsize, 6);
	buf_free(&out);
}

static const struct {
	enum smtp_stage	 stage;
	enum smtp_terr	 terr;
	int		 code;
	enum smtp_class	 cls;
	int		 exitcode;
} class_cases[] = {
	{ STAGE_CONNECT, TERR_CONNECT, 0, CLASS_TEMP, EX_TEMPFAIL },
	{ STAGE_CONNECT, TERR_DNS_NOTFOUND, 0, CLASS_TEMP, EX_NOHOST },
	{ STAGE_CONNECT, TERR_DNS_TEMP, 0, CLASS_TEMP, EX_NOHOST },
	/* a host name with no A-label form: the user must fix it */
	{ STAGE_CONNECT, TERR_DNS_NAME, 0, CLASS_LOCAL, EX_NOHOST },
	{ STAGE_GREETING, TERR_NONE, 421, CLASS_TEMP, EX_PROTOCOL },
	/* a session refused for good needs the user: held */
	{ STAGE_GREETING, TERR_NONE, 554, CLASS_LOCAL, EX_PROTOCOL },
	{ STAGE_GREETING, TERR_CLOSED, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_HELO, TERR_NONE, 250, CLASS_OK, EX_OK },
	{ STAGE_HELO, TERR_NONE, 421, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_HELO, TERR_NONE, 550, CLASS_LOCAL, EX_PROTOCOL },
	{ STAGE_STARTTLS, TERR_NONE, 554, CLASS_LOCAL, EX_PROTOCOL },
	{ STAGE_MAIL, TERR_NONE, 553, CLASS_PERM, EX_DATAERR },
	{ STAGE_MAIL, TERR_CLOSED, 0, CLASS_TEMP, EX_PROTOCOL },
	/* a refused RSET is no mail's fault */
	{ STAGE_RSET, TERR_NONE, 550, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_MAIL, TERR_NONE, 451, CLASS_TEMP, EX_UNAVAILABLE },
	{ STAGE_MAIL, TERR_NONE, 550, CLASS_PERM, EX_DATAERR },
	{ STAGE_RCPT, TERR_NONE, 451, CLASS_TEMP, EX_UNAVAILABLE },
	{ STAGE_RCPT, TERR_NONE, 550, CLASS_PERM, EX_DATAERR },
	{ STAGE_DATA, TERR_NONE, 554, CLASS_PERM, EX_DATAERR },
	{ STAGE_EOM, TERR_NONE, 452, CLASS_TEMP, EX_UNAVAILABLE },
	{ STAGE_EOM, TERR_NONE, 554, CLASS_PERM, EX_UNAVAILABLE },
	{ STAGE_EOM, TERR_NONE, 250, CLASS_OK, EX_OK },
	{ STAGE_EOM, TERR_TIMEOUT, 0, CLASS_TEMP, EX_IOERR },
	{ STAGE_EOM, TERR_CLOSED, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_RCPT, TERR_BADREPLY, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_AUTH, TERR_NONE, 535, CLASS_LOCAL, EX_NOPERM },
	{ STAGE_AUTH, TERR_NONE, 454, CLASS_TEMP, EX_NOPERM },
	{ STAGE_AUTH, TERR_NONE, 504, CLASS_LOCAL, EX_NOPERM },
	{ STAGE_TLS, TERR_TLS, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_TLS, TERR_TLS_VERIFY, 0, CLASS_LOCAL, EX_UNAVAILABLE },
	{ STAGE_BODY, TERR_LOCAL, 0, CLASS_LOCAL, EX_IOERR },
};

static void test_classify(void)
{
	size_t i;

	for (i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		struct smtp_reply r;
		struct smtp_outcome o;
		char line[32];

		smtp_reply_init(&r);
		if (class_cases[i].code != 0) {
			snprintf(line, sizeof(line), "%d text",
			    class_cases[i].code);
			smtp_reply_feed(&r, line, strlen(line));
		}
		smtp_classify(class_cases[i].stage, class_cases[i].terr,
		    class_cases[i].code ? &r : NULL, &o);
		if (o.cls != class_cases[i].cls ||
		    o.exitcode != class_cases[i].exitcode)
			fprintf(stderr, "case %zu\n", i);
		CHECK_INT(o.cls, class_cases[i].cls);
		CHECK_INT(o.exitcode, class_cases[i].exitcode);
		CHECK_INT(o.code, class_cases[i].code);
		smtp_reply_free(&r);
	}
}

UNIT_MAIN(
	UNIT_CASE(test_reply_parse),
	UNIT_CASE(test_reply_text_and_lines),
	UNIT_CASE(test_reply_limits),
	UNIT_CASE(test_caps),
	UNIT_CASE(test_caps_greeting_only),
	UNIT_CASE(test_dotstuff),
	UNIT_CASE(test_dotstuff_binary_and_size),
	UNIT_CASE(test_classify)
)
