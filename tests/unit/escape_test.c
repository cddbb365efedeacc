/*
 * escape_test - control characters: which values break a line, and how
 * text is escaped for a log line or a terminal (ordinary text unchanged,
 * UTF-8 kept, every control visible).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/buf.h"
#include "util/escape.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void test_breaks_line(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 breaks;
	} cases[] = {
		{ "alice@example.org", 17, 0 },
		{ "", 0, 0 },
		{ "a\tb c", 5, 0 },
		{ "caf\xc3\xa9", 5, 0 },
		{ "a\x1b[31m", 6, 0 },		/* not a line break */
		{ "a@b>\r\nRCPT TO:<evil@x", 21, 1 },
		{ "a\rb", 3, 1 },
		{ "a\nb", 3, 1 },
		{ "a\0b", 3, 1 },
		{ "\n", 1, 1 },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		CHECK_INT(escape_breaks_line(cases[i].s, cases[i].len),
		    cases[i].breaks);
		if (memchr(cases[i].s, '\0', cases[i].len) == NULL)
			CHECK_INT(escape_breaks_line_str(cases[i].s),
			    cases[i].breaks);
	}
	CHECK_INT(escape_breaks_line_str(NULL), 0);
}

static void test_escape_text(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 flags;
		const char	*out;
	} cases[] = {
		/* ordinary values: unchanged, byte for byte */
		{ "alice@example.org", 17, 0, "alice@example.org" },
		{ "250 2.0.0 Ok: queued as X", 25, 0,
		    "250 2.0.0 Ok: queued as X" },
		{ "back\\slash 'q' \"d\" ~", 20, 0,
		    "back\\slash 'q' \"d\" ~" },
		{ "", 0, 0, "" },
		/* UTF-8 text kept */
		{ "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xa7", 16, 0,
		    "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xa7" },
		/* controls made visible */
		{ "a\r\nfrom=x", 9, 0, "a\\x0d\\x0afrom=x" },
		{ "\x1b[2J\x07", 5, 0, "\\x1b[2J\\x07" },
		{ "a\0b", 3, 0, "a\\x00b" },
		{ "del\x7f", 4, 0, "del\\x7f" },
		{ "t\tt", 3, 0, "t\\x09t" },
		/* C1 controls, encoded or raw, and broken UTF-8 */
		{ "\xc2\x9b" "31m", 5, 0, "\\xc2\\x9b31m" },
		{ "\xc2\xa0", 2, 0, "\xc2\xa0" },	/* NBSP is text */
		{ "\x9b" "31m", 4, 0, "\\x9b31m" },
		{ "\xc3", 1, 0, "\\xc3" },		/* cut short */
		{ "\xc0\xaf", 2, 0, "\\xc0\\xaf" },	/* overlong */
		{ "\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80" },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0, "\\xf4\\x90\\x80\\x80" },
		{ "\xe2\x82", 2, 0, "\\xe2\\x82" },
		{ "\xff", 1, 0, "\\xff" },
		/* multi-line text keeps its line ends and tabs on request */
		{ "To: a\n\tb\x1b\n", 10, ESCAPE_KEEP_LF | ESCAPE_KEEP_TAB,
		    "To: a\n\tb\\x1b\n" },
		{ "a\r\n", 3, ESCAPE_KEEP_LF, "a\\x0d\n" },
	};
	struct buf b;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		buf_init(&b);
		escape_text(&b, cases[i].in, cases[i].len, cases[i].flags);
		if (strcmp(b.data, cases[i].out) != 0)
			fprintf(stderr, "case %zu\n", i);
		CHECK_STR(b.data, cases[i].out);
		buf_free(&b);
	}
}

static void test_escape_str(void)
{
	char *s;

	s = escape_str("from=a@b\nSTAMP host=evil");
	CHECK_STR(s, "from=a@b\\x0aSTAMP host=evil");
	free(s);
	s = escape_str(NULL);
	CHECK_STR(s, "");
	free(s);
}

UNIT_MAIN(UNIT_CASE(test_breaks_line), UNIT_CASE(test_escape_text),
    UNIT_CASE(test_escape_str))
