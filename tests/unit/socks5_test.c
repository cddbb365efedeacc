/*
 * socks5_test - the SOCKS5 messages: what is sent, and every kind of
 * reply, whole or cut short.
 */
#include <string.h>

#include "smtp/socks5.h"
#include "unit.h"
#include "util/buf.h"

static void test_requests(void)
{
	char longname[300];
	struct buf b;

	buf_init(&b);
	socks5_greeting(&b);
	CHECK_MEM(b.data, b.len, "\x05\x01\x00", 3);
	buf_reset(&b);
	CHECK_INT(socks5_connect(&b, "mx.org", 587), 0);
	CHECK_MEM(b.data, b.len, "\x05\x01\x00\x03\x06mx.org\x02\x4b", 13);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	buf_reset(&b);
	CHECK_INT(socks5_connect(&b, longname, 25), -1);
	buf_free(&b);
}

static const struct {
	const char	*reply;
	size_t		 len;
	long		 want;
	const char	*err;
} connect_cases[] = {
	{ "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x19", 10, 10, NULL },
	{ "\x05\x00\x00\x01\x7f\x00\x00\x01\x00", 9, 0, NULL },
	{ "\x05\x00\x00\x03\x02mx\x00\x19" "220", 10, 9, NULL },
	{ "\x05\x00\x00\x04" "0123456789abcdef\x00\x19", 22, 22, NULL },
	{ "\x05\x01\x00\x01", 5, -1, "general server failure" },
	{ "\x05\x05\x00\x01\x00", 5, -1, "connection refused" },
	{ "\x05\x08\x00\x01\x00", 5, -1, "address type not supported" },
	{ "\x05\x09\x00\x01\x00", 5, -1, "unknown error" },
	{ "\x05\xff\x00\x01\x00", 5, -1, "unknown error" },
	{ "\x04\x00\x00\x01\x00", 5, -1, "unexpected reply" },
	{ "\x05\x00\x00\x07\x00", 5, -1, "unexpected reply" },
	{ "\x05\x00", 2, 0, NULL },
};

static void test_connect_reply(void)
{
	const char *err;
	size_t i;
	long got;

	for (i = 0; i < sizeof(connect_cases) / sizeof(connect_cases[0]);
	    i++) {
		err = NULL;
		got = socks5_connect_reply((const unsigned char *)
		    connect_cases[i].reply, connect_cases[i].len, &err);
		CHECK_INT(got, connect_cases[i].want);
		if (connect_cases[i].err != NULL)
			CHECK_STR(err, connect_cases[i].err);
	}
}

static void test_method_reply(void)
{
	const char *err = NULL;

	CHECK_INT(socks5_method_reply((const unsigned char *)"\x05", 1, &err),
	    0);
	CHECK_INT(socks5_method_reply((const unsigned char *)"\x05\x00", 2,
	    &err), 2);
	CHECK_INT(socks5_method_reply((const unsigned char *)"\x05\xff", 2,
	    &err), -1);
	CHECK_STR(err, "unexpected reply");
	CHECK_INT(socks5_method_reply((const unsigned char *)"\x04\x00", 2,
	    &err), -1);
}

UNIT_MAIN(
	UNIT_CASE(test_requests),
	UNIT_CASE(test_connect_reply),
	UNIT_CASE(test_method_reply)
)
