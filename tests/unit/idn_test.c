/*
 * idn_test - host names put in A-label form as glibc's AI_IDN puts them
 * for msmtp (each expected name is the DNS question Debian's msmtp 1.8.23
 * asked in a C.UTF-8 locale, tests/integ/test_idn.py), ASCII names left
 * alone, and the names glibc refuses refused with its message.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "util/idn.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void test_converted(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example" },
		/* UTS #46 mapping: case, full width forms, NFC */
		{ "B\xc3\x9c" "CHER.example", "xn--bcher-kva.example" },
		{ "\xef\xbd\x82\xc3\xbc" "cher\xef\xbc\x8e" "example",
		  "xn--bcher-kva.example" },
		{ "bu\xcc\x88" "cher.example", "xn--bcher-kva.example" },
		/* non-transitional: sharp s stays */
		{ "stra\xc3\x9f" "e.example", "xn--strae-oqa.example" },
		{ "b\xc3\xbc" "cher.example.", "xn--bcher-kva.example." },
		{ "1\xc3\xbc.example", "xn--1-eha.example" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char *got = idn_host_to_ascii(cases[i].in);

		CHECK_STR(got, cases[i].out);
		free(got);
	}
}

static void test_ascii_untouched(void)
{
	static const char *const cases[] = {
		"mail.example.org", "MAIL.Example.ORG", "127.0.0.1", "::1",
		"XN--BCHER-KVA.example",
		"xn--a.example",	/* libidn2 refuses it; glibc passes it */
		"a\\b.example", "-x-.example", "",
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char *got = idn_host_to_ascii(cases[i]);

		CHECK_STR(got, cases[i]);
		free(got);
	}
}

static void test_refused(void)
{
	static const char *const cases[] = {
		"\xe2\x98\x83.example",		/* a snowman: disallowed */
		"\xf0\x9f\x98\x80.example",	/* an emoji */
		"a\xe2\x80\x8d" "b.example",	/* a joiner out of context */
		"-b\xc3\xbc" "cher.example",	/* hyphen first or last */
		"b\xc3\xbc" "cher-.example",
		"b\xc3\xbc\\cher.example",	/* a backslash */
		"b\xfc" "cher.example",		/* Latin-1, not UTF-8 */
		"b\xc3",			/* cut in the middle */
	};
	size_t i;

	for (i = 0; i < N(cases); i++)
		CHECK(idn_host_to_ascii(cases[i]) == NULL);
	CHECK_STR(idn_error(), "Parameter string not correctly encoded");
}

static void test_is_ascii(void)
{
	CHECK_INT(idn_is_ascii("alice@example.org"), 1);
	CHECK_INT(idn_is_ascii(""), 1);
	CHECK_INT(idn_is_ascii("\x7f"), 1);
	CHECK_INT(idn_is_ascii("j\xc3\xb6rg@example.org"), 0);
	CHECK_INT(idn_is_ascii("alice@b\xc3\xbc" "cher.example"), 0);
	CHECK_INT(idn_is_ascii("\x80"), 0);
}

UNIT_MAIN(
	UNIT_CASE(test_converted),
	UNIT_CASE(test_ascii_untouched),
	UNIT_CASE(test_refused),
	UNIT_CASE(test_is_ascii)
)
