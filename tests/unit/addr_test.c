/*
 * addr_test - the address-list scanner against what msmtp 1.8.23 did.
 *
 * Every expected list below is the recipient list Debian's msmtp 1.8.23
 * logged when given the value as a command-line recipient (msmtp parses
 * those as "To: value" header lines), quirks included.
 */
#include "unit.h"

#include <sysexits.h>

#include "mail/addr.h"
#include "util/xalloc.h"

struct addr_case {
	const char	*value;
	const char	*want;		/* addresses joined by '|' */
};

static const struct addr_case cases[] = {
	/* the usual forms */
	{ "a@example.com, \"B\" <b@example.com>, c@example.com (comment), "
	  "group: d@example.com, \"E, F\" <e@example.com>;, (comment) "
	  "f@example.com",
	  "a@example.com|b@example.com|c@example.com|d@example.com|"
	  "e@example.com|f@example.com" },
	{ "Name <a@b>", "a@b" },
	{ "\"x, y\" <c@d>, e@f", "c@d|e@f" },
	{ "g@h (c)", "g@h" },
	{ "grp: i@j, k@l;", "i@j|k@l" },
	{ "first@x, second@y,", "first@x|second@y" },
	{ "  lead@x", "lead@x" },
	{ "a@b\t", "a@b" },
	{ "to4", "to4" },
	{ "to:a@b", "a@b" },
	{ "<a@b> <c@d>", "a@b|c@d" },
	/* nothing at all */
	{ "", "" },
	{ "undisclosed-recipients:;", "" },
	{ "(Empty list)(start)Undisclosed recipients  :(nobody(that I know))"
	  "  ;", "" },
	{ "<>", "" },
	{ ";;;", "" },
	{ "\"unterminated", "" },
	/* quoted strings and escapes */
	{ "\"q\\\"x\" <y@z>", "y@z" },
	{ "\"A; \\\"Quoted\\\" Name\" <to5@example.com>", "to5@example.com" },
	{ "x\\,y@z; w@v", "x,y@z|w@v" },
	{ "<a\\>b@c>", "a>b@c" },
	{ "a\"b\"c@d", "c@d" },
	/* comments, msmtp's way */
	{ "Some(wonderful \\) chap) <to10(his account)@localhost(this host)>",
	  "to10@localhost" },
	{ "<(c)a@b>", "a@b" },
	{ "<a(c)@b>", "a@b" },
	{ "(a()b) c@d", "c@d" },
	{ "x@y (comment (nested) still) z@w", "z@w" },
	{ "a@b ((x)), c@d", ")|c@d" },
	/* display names: a word followed by another word is dropped */
	{ "a@b c@d", "c@d" },
	{ "a@b <c@d>", "c@d" },
	{ "a<b@c>d; e@f", "b@c|d|e@f" },
	{ "<unterminated", "unterminated" },
	/* folded values */
	{ "A Group(Some people)\n     :Some Person <to11@(their's host.)"
	  "example.com>;\n              to12; \n\t        Person "
	  "<to13@localhost> (a friend); (the end of the group)",
	  "to11@example.com|to12|to13@localhost" },
	{ "a@b\n (c) , d@e", "a@b|d@e" },
	{ "Some \n\tOne <z@z>", "Some|z@z" },
	{ "<a@b\n\tc@d>; e@f", "a@bc@d|e@f" },
	{ "a\\\n\tb@c", "b@c" },
	{ "a(b\n c)d@e", "ad@e" },
	{ "\"a\\\n b\" <x@y>", "" },
	/* bytes msmtp replaces, and bytes it keeps */
	{ "<m n@o>", "m_n@o" },
	{ "a\001b@c", "a_b@c" },
	{ "<a\177b@c>", "a_b@c" },
	{ "\xc3\xa4@b", "\xc3\xa4@b" },
	{ "=?utf-8?B?VGVzdCDDnHNlcg==?= <to2@example.com>", "to2@example.com" },
};

/* joined - the list as "a|b|c". */
static char *joined(const struct strlist *l)
{
	return strlist_join(l, "|");
}

static void test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strlist l;
		char *err = NULL, *got;

		strlist_init(&l);
		CHECK_INT(addr_list_parse(cases[i].value, &l, &err), EX_OK);
		CHECK(err == NULL);
		got = joined(&l);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "case %zu: \"%s\"\n", i,
			    cases[i].value);
		CHECK_STR(got, cases[i].want);
		free(got);
		strlist_free(&l);
	}
}

/* Appending keeps what the list already holds. */
static void test_appends(void)
{
	struct strlist l;
	char *err = NULL, *got;

	strlist_init(&l);
	strlist_add(&l, "cmd@x");
	CHECK_INT(addr_list_parse("a@b, c@d", &l, &err), EX_OK);
	got = joined(&l);
	CHECK_STR(got, "cmd@x|a@b|c@d");
	free(got);
	strlist_free(&l);
}

/* Feeding byte by byte gives what feeding at once gives. */
static void test_pieces(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v = cases[i].value;
		struct addr_scan s;
		struct strlist l;
		char *got;

		strlist_init(&l);
		addr_scan_init(&s);
		for (k = 0; v[k] != '\0'; k++)
			addr_scan_feed(&s, v + k, 1, &l);
		addr_scan_end(&s, &l);
		got = joined(&l);
		CHECK_STR(got, cases[i].want);
		free(got);
		addr_scan_free(&s);
		strlist_free(&l);
	}
}

/* A pending address is completed by addr_scan_end() only. */
static void test_pending(void)
{
	struct addr_scan s;
	struct strlist l;

	strlist_init(&l);
	addr_scan_init(&s);
	CHECK(!addr_scan_pending(&s));
	addr_scan_feed(&s, "x@y, a@b", 8, &l);
	CHECK_INT(l.n, 1);
	CHECK(addr_scan_pending(&s));
	addr_scan_end(&s, &l);
	CHECK(!addr_scan_pending(&s));
	CHECK_INT(l.n, 2);
	CHECK_STR(l.v[1], "a@b");
	addr_scan_free(&s);
	strlist_free(&l);
}

/*
 * msmtp keeps the depth of an unclosed comment from one address header
 * to the next: "(x" then "(y) z@z" loses z@z, unless a line of another
 * header came between.
 */
static void test_depth_carries(void)
{
	struct addr_scan s;
	struct strlist l;

	strlist_init(&l);
	addr_scan_init(&s);
	addr_scan_feed(&s, "(unclosed (x", 12, &l);
	addr_scan_end(&s, &l);
	addr_scan_feed(&s, "after@x, (y) z@z", 16, &l);
	addr_scan_end(&s, &l);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0], "after@x");
	addr_scan_fresh_line(&s);
	addr_scan_feed(&s, "(y) z@z", 7, &l);
	addr_scan_end(&s, &l);
	CHECK_INT(l.n, 2);
	CHECK_STR(l.v[1], "z@z");
	addr_scan_free(&s);
	strlist_free(&l);
}

/* A long address is kept whole. */
static void test_long(void)
{
	struct strlist l;
	char *v, *err = NULL;
	size_t n = 100000;

	v = xmalloc(n + 3);
	memset(v, 'a', n);
	memcpy(v + n, "@b", 3);
	strlist_init(&l);
	CHECK_INT(addr_list_parse(v, &l, &err), EX_OK);
	CHECK_INT(l.n, 1);
	CHECK_INT(strlen(l.v[0]), n + 2);
	strlist_free(&l);
	free(v);
}

UNIT_MAIN(
	UNIT_CASE(test_table),
	UNIT_CASE(test_appends),
	UNIT_CASE(test_pieces),
	UNIT_CASE(test_pending),
	UNIT_CASE(test_depth_carries),
	UNIT_CASE(test_long),
)
