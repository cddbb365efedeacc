/*
 * srvrec_test - srvrec_parse() on DNS replies built here byte by byte:
 * msmtp's choice among SRV records (lowest priority, highest weight,
 * first), what is skipped (other types and classes, the root target,
 * malformed data), failed replies, and a target name printed escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/srvrec.h"
#include "unit.h"

#define T_SRV	33
#define T_CNAME	5
#define C_IN	1
#define C_CH	3

struct reply {
	unsigned char	b[2048];
	size_t		len;
	size_t		count_at;	/* the answer count */
	unsigned	answers;
};

static void put8(struct reply *r, unsigned v)
{
	r->b[r->len++] = (unsigned char)v;
}

static void put16(struct reply *r, unsigned v)
{
	put8(r, v >> 8);
	put8(r, v & 0xff);
}

/* put_name - dotted in wire form ("" is the root), uncompressed. */
static void put_name(struct reply *r, const char *dotted)
{
	const char *p = dotted, *dot;

	while (*p != '\0') {
		dot = strchr(p, '.');
		if (dot == NULL)
			dot = p + strlen(p);
		put8(r, (unsigned)(dot - p));
		memcpy(r->b + r->len, p, (size_t)(dot - p));
		r->len += (size_t)(dot - p);
		p = *dot == '.' ? dot + 1 : dot;
	}
	put8(r, 0);
}

/* start - a reply header with rcode and the question for name. */
static void start(struct reply *r, unsigned rcode, const char *name)
{
	memset(r, 0, sizeof(*r));
	put16(r, 0x1234);
	put16(r, 0x8180 | rcode);
	put16(r, 1);
	r->count_at = r->len;
	put16(r, 0);
	put16(r, 0);
	put16(r, 0);
	put_name(r, name);
	put16(r, T_SRV);
	put16(r, C_IN);
}

static void count_answer(struct reply *r)
{
	r->answers++;
	r->b[r->count_at] = (unsigned char)(r->answers >> 8);
	r->b[r->count_at + 1] = (unsigned char)(r->answers & 0xff);
}

/* answer - one record owned by the question's name (pointer 0xc00c). */
static void answer(struct reply *r, unsigned type, unsigned class,
    const unsigned char *data, size_t len)
{
	put16(r, 0xc00c);
	put16(r, type);
	put16(r, class);
	put16(r, 0);
	put16(r, 60);
	put16(r, (unsigned)len);
	memcpy(r->b + r->len, data, len);
	r->len += len;
	count_answer(r);
}

static void srv(struct reply *r, unsigned prio, unsigned weight,
    unsigned port, const char *target)
{
	struct reply d = { .len = 0 };

	put16(&d, prio);
	put16(&d, weight);
	put16(&d, port);
	put_name(&d, target);
	answer(r, T_SRV, C_IN, d.b, d.len);
}

#define Q	"_submissions._tcp.example.org"

static void expect(const struct reply *r, const char *host, unsigned port)
{
	struct srvrec out = { NULL, 0 };

	CHECK_INT(srvrec_parse(r->b, r->len, &out), EX_OK);
	CHECK_STR(out.host, host);
	CHECK_INT(out.port, port);
	free(out.host);
}

static void expect_none(const struct reply *r)
{
	struct srvrec out = { NULL, 7 };

	CHECK_INT(srvrec_parse(r->b, r->len, &out), EX_NOHOST);
	CHECK(out.host == NULL && out.port == 7);
}

static void test_one_record(void)
{
	struct reply r;

	start(&r, 0, Q);
	srv(&r, 0, 1, 465, "mail.example.org");
	expect(&r, "mail.example.org", 465);
}

static void test_choice(void)
{
	struct reply r;

	start(&r, 0, Q);
	srv(&r, 10, 1, 1, "b.example.org");
	srv(&r, 5, 1, 2, "a.example.org");
	srv(&r, 20, 1, 3, "c.example.org");
	expect(&r, "a.example.org", 2);

	start(&r, 0, Q);
	srv(&r, 5, 10, 1, "b.example.org");
	srv(&r, 5, 60, 2, "a.example.org");
	srv(&r, 5, 30, 3, "c.example.org");
	expect(&r, "a.example.org", 2);

	start(&r, 0, Q);
	srv(&r, 5, 1, 1, "b.example.org");
	srv(&r, 5, 1, 2, "a.example.org");
	expect(&r, "b.example.org", 1);

	start(&r, 0, Q);
	srv(&r, 65535, 65535, 65535, "x.example.org");
	srv(&r, 65535, 0, 1, "y.example.org");
	expect(&r, "x.example.org", 65535);
}

static void test_skipped(void)
{
	static const unsigned char cname[] = { 1, 'x', 0 };
	static const unsigned char shortdata[] = { 0, 1, 0, 1, 1, 0xc9 };
	struct reply r;

	start(&r, 0, Q);
	srv(&r, 0, 0, 0, "");			/* the root: not here */
	answer(&r, T_CNAME, C_IN, cname, sizeof(cname));
	answer(&r, T_SRV, C_IN, shortdata, sizeof(shortdata));
	{
		struct reply d = { .len = 0 };

		put16(&d, 0);
		put16(&d, 0);
		put16(&d, 25);
		put_name(&d, "chaos.example.org");
		answer(&r, T_SRV, C_CH, d.b, d.len);
	}
	expect_none(&r);
	srv(&r, 9, 0, 587, "m.example.org");
	expect(&r, "m.example.org", 587);
}

static void test_compressed_target(void)
{
	struct reply r;
	static const unsigned char data[] = {
		0, 1, 0, 2, 0x01, 0xd1,
		4, 'm', 'a', 'i', 'l', 0xc0, 30,	/* -> example.org */
	};

	start(&r, 0, Q);
	answer(&r, T_SRV, C_IN, data, sizeof(data));
	expect(&r, "mail.example.org", 465);
}

/*
 * A target name that runs out of its record into the next one: the
 * label "m\xc0\x0c" takes two bytes of the next record's owner name, and
 * its type's first byte, 0, ends the name. Read as it is, it would win.
 */
static void test_target_past_its_data(void)
{
	struct reply r;
	static const unsigned char data[] = { 0, 0, 0, 0, 0x01, 0xd1, 3, 'm' };

	start(&r, 0, Q);
	answer(&r, T_SRV, C_IN, data, sizeof(data));
	srv(&r, 1, 0, 587, "x.example.org");
	expect(&r, "x.example.org", 587);
}

static void test_escaped_target(void)
{
	struct reply r;

	start(&r, 0, Q);
	srv(&r, 0, 0, 465, "ma il.exa\nmple.org");
	expect(&r, "ma\\032il.exa\\010mple.org", 465);
}

static void test_failed_replies(void)
{
	struct reply r;

	start(&r, 2, Q);			/* SERVFAIL */
	srv(&r, 0, 0, 465, "mail.example.org");
	expect_none(&r);
	start(&r, 3, Q);			/* NXDOMAIN */
	expect_none(&r);
	start(&r, 0, Q);			/* no answer */
	expect_none(&r);
}

static void test_malformed(void)
{
	struct reply r;
	size_t cut;

	start(&r, 0, Q);
	srv(&r, 0, 0, 465, "mail.example.org");
	for (cut = 0; cut < r.len; cut++) {
		struct srvrec out = { NULL, 0 };

		CHECK_INT(srvrec_parse(r.b, cut, &out), EX_NOHOST);
		CHECK(out.host == NULL);
	}
	r.b[r.count_at + 1] = 2;		/* says 2 answers, has 1 */
	expect_none(&r);
	r.b[r.count_at + 1] = 1;
	r.b[r.len++] = 0;			/* a byte too many */
	expect_none(&r);
}

UNIT_MAIN(UNIT_CASE(test_one_record), UNIT_CASE(test_choice),
    UNIT_CASE(test_skipped), UNIT_CASE(test_compressed_target),
    UNIT_CASE(test_target_past_its_data), UNIT_CASE(test_escaped_target),
    UNIT_CASE(test_failed_replies), UNIT_CASE(test_malformed))
