/*
 * spill_test - bounded memory in front of a temporary file: whatever the
 * limit, the bytes come back whole and in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "unit.h"
#include "util/buf.h"
#include "util/spill.h"

/* collect - a sink that appends to a buf, recording the call count. */
struct collected {
	struct buf	 b;
	int		 calls;
};

static int collect(void *arg, const char *data, size_t len, char **errstr)
{
	struct collected *c = arg;

	(void)errstr;
	buf_append(&c->b, data, len);
	c->calls++;
	return EX_OK;
}

static int refuse(void *arg, const char *data, size_t len, char **errstr)
{
	(void)arg;
	(void)data;
	(void)len;
	*errstr = strdup("no");
	return EX_IOERR;
}

static const struct {
	size_t	 limit;
	size_t	 len;
	int	 spilled;
} cases[] = {
	{ 1024, 0, 0 },
	{ 1024, 10, 0 },
	{ 1024, 1024, 0 },
	{ 1024, 1025, 1 },
	{ 0, 5, 1 },
	{ 7, 200000, 1 },	/* several read chunks into the file */
};

static void test_round_trip(void)
{
	static char in[200000];
	struct collected c;
	struct spill s;
	char *err = NULL;
	size_t i, k;
	FILE *f;

	for (k = 0; k < sizeof(in); k++)
		in[k] = (char)('a' + k % 26);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = fmemopen(in, cases[i].len ? cases[i].len : 1, "r");
		if (cases[i].len == 0)
			fgetc(f);	/* fmemopen refuses a zero size */
		spill_init(&s, cases[i].limit);
		CHECK_INT(spill_read(&s, f, "/tmp", &err), EX_OK);
		fclose(f);
		CHECK(s.size == (long long)cases[i].len);
		CHECK_INT(s.fd >= 0, cases[i].spilled);
		memset(&c, 0, sizeof(c));
		buf_init(&c.b);
		CHECK_INT(spill_replay(&s, collect, &c, &err), EX_OK);
		CHECK_MEM(c.b.data, c.b.len, in, cases[i].len);
		buf_free(&c.b);
		spill_free(&s);
	}
}

static void test_sink_error_stops(void)
{
	struct spill s;
	char *err = NULL;
	FILE *f = fmemopen("abc", 3, "r");

	spill_init(&s, 1);
	CHECK_INT(spill_read(&s, f, "/tmp", &err), EX_OK);
	fclose(f);
	CHECK_INT(spill_replay(&s, refuse, NULL, &err), EX_IOERR);
	CHECK_STR(err, "no");
	free(err);
	spill_free(&s);
}

static void test_missing_directory(void)
{
	struct spill s;
	char *err = NULL;
	FILE *f = fmemopen("abcdef", 6, "r");

	spill_init(&s, 2);
	CHECK_INT(spill_read(&s, f, "/nonexistent/dir", &err),
	    EX_CANTCREAT);
	CHECK(err != NULL && strstr(err, "/nonexistent/dir") != NULL);
	free(err);
	fclose(f);
	spill_free(&s);
}

UNIT_MAIN(
	UNIT_CASE(test_round_trip),
	UNIT_CASE(test_sink_error_stops),
	UNIT_CASE(test_missing_directory)
)
