/*
 * headers_gen_test - header values msmtp generates: the Date, and a full
 * name encoded for a From header (headers_test.c has the Message-ID).
 * Expected values follow Debian's msmtp 1.8.23 (8-bit names: 1.8.27).
 */
#include "unit.h"

#include <string.h>
#include <time.h>

#include "mail/headers.h"
#include "util/buf.h"
#include "util/xalloc.h"

static void test_date(void)
{
	static const struct {
		const char	*tz;
		time_t		 t;
		const char	*want;
	} cases[] = {
		{ "UTC", 1700000000, "Tue, 14 Nov 2023 22:13:20 +0000" },
		{ "UTC", 1699000000, "Fri, 03 Nov 2023 08:26:40 +0000" },
		{ "EST5", 1700000000, "Tue, 14 Nov 2023 17:13:20 -0500" },
		{ "IST-5:30", 1700000000, "Wed, 15 Nov 2023 03:43:20 +0530" },
		{ "NST3:30", 1700000000, "Tue, 14 Nov 2023 18:43:20 -0330" },
		{ "UTC", 1795323589, "Sun, 22 Nov 2026 04:59:49 +0000" },
	};
	char got[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("TZ", cases[i].tz, 1);
		headers_date(cases[i].t, got);
		CHECK_STR(got, cases[i].want);
	}
}

static void test_encode_name(void)
{
	static const char *cases[][2] = {
		{ "Test User", "Test User" },
		{ "Test \xc3\x9cser", "=?utf-8?B?VGVzdCDDnHNlcg==?=" },
		{ "", "" },
		{ "Doe, John \"Q\" (x) <y>", "Doe, John \"Q\" (x) <y>" },
		{ "tab\there", "=?utf-8?B?dGFiCWhlcmU=?=" },
		{ "a\177", "=?utf-8?B?YX8=?=" },
		{ "\xc3\xa4", "=?utf-8?B?w6Q=?=" },
		{ "\xc3\xa4" "b", "=?utf-8?B?w6Ri?=" },
		{ "\xc3\xa4" "bc", "=?utf-8?B?w6RiYw==?=" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = headers_encode_name(cases[i][0]);

		CHECK_STR(got, cases[i][1]);
		free(got);
	}
}

UNIT_MAIN(
	UNIT_CASE(test_date),
	UNIT_CASE(test_encode_name),
)
