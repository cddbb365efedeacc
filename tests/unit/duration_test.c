/*
 * duration_test - the durations of the queue_* settings: plain seconds,
 * one unit, and everything else refused whole.
 */
#include <limits.h>
#include <stdio.h>

#include "unit.h"
#include "util/duration.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void test_valid(void)
{
	static const struct {
		const char	*s;
		int		 want;
	} cases[] = {
		{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "5m", 300 },
		{ "2h", 7200 }, { "7d", 604800 }, { "0d", 0 },
		{ "2147483647", INT_MAX }, { "24855d", 24855 * 86400 },
		{ "007", 7 },
	};
	size_t i;
	int v;

	for (i = 0; i < N(cases); i++) {
		v = -1;
		CHECK_INT(duration_parse(cases[i].s, 0, INT_MAX, &v), 0);
		CHECK_INT(v, cases[i].want);
	}
}

static void test_invalid(void)
{
	static const char *const cases[] = {
		"", "s", "-5", "+5", " 5", "5 ", "5x", "5ms", "1h30m", "5S",
		"5M", "1.5h", "0x10", "2147483648", "24856d", "99999999999d",
		"5m\n",
	};
	size_t i;
	int v = 42;

	for (i = 0; i < N(cases); i++) {
		if (duration_parse(cases[i], 0, INT_MAX, &v) != -1)
			fprintf(stderr, "accepted: \"%s\"\n", cases[i]);
		CHECK_INT(duration_parse(cases[i], 0, INT_MAX, &v), -1);
		CHECK_INT(v, 42);
	}
}

static void test_range(void)
{
	int v = 42;

	CHECK_INT(duration_parse("0", 1, INT_MAX, &v), -1);
	CHECK_INT(duration_parse("0s", 1, INT_MAX, &v), -1);
	CHECK_INT(duration_parse("1s", 1, INT_MAX, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(duration_parse("2m", 1, 60, &v), -1);
	CHECK_INT(v, 1);
}

UNIT_MAIN(UNIT_CASE(test_valid), UNIT_CASE(test_invalid),
    UNIT_CASE(test_range))
