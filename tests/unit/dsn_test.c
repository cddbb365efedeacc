/*
 * dsn_test - the delivery status notification: its parts, its
 * statuses, and the original's headers without the body.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sysexits.h>

#include "mail/dsn.h"
#include "unit.h"

struct src {
	const char	*data;
	size_t		 len, pos, step;
	int		 fail;
};

static ssize_t src_read(void *arg, char *buf, size_t len, char **errstr)
{
	struct src *s = arg;
	size_t n = s->len - s->pos;

	if (s->fail) {
		*errstr = strdup("broken");
		return -1;
	}
	if (n > len)
		n = len;
	if (n > s->step)
		n = s->step;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static const struct dsn_rcpt rcpts[] = {
	{ "bob@example.net", 550, "5.1.1", "550 5.1.1 no such user" },
	{ "carol@example.net", 554, NULL, "554 go away" },
	{ "dave@example.net", 0, NULL, NULL },
};

static void compose(const char *orig, size_t step, struct buf *out, int *rc)
{
	struct src s = { orig, strlen(orig), 0, step, 0 };
	struct dsn_info bi;
	char *err = NULL;

	memset(&bi, 0, sizeof(bi));
	bi.envelope_from = "alice@example.org";
	bi.queue_id = "1M8ABCDEFGHJ";
	bi.reporting_host = "laptop.example.org";
	bi.remote_host = "mail.example.org";
	bi.arrival = 1700000000;
	bi.now = 1700003600;
	bi.rcpts = rcpts;
	bi.nrcpts = 3;
	bi.read = src_read;
	bi.read_arg = &s;
	buf_init(out);
	*rc = dsn_compose(&bi, out, &err);
	free(err);
}

static void test_parts(void)
{
	struct buf out;
	int rc;

	compose("Subject: hi\nFrom: alice@example.org\n\nsecret body\n", 7,
	    &out, &rc);
	CHECK_INT(rc, EX_OK);
	CHECK(strstr(out.data, "To: <alice@example.org>\n") != NULL);
	CHECK(strstr(out.data, "Auto-Submitted: auto-replied\n") != NULL);
	CHECK(strstr(out.data, "report-type=delivery-status") != NULL);
	CHECK(strstr(out.data, "Final-Recipient: rfc822; bob@example.net\n"
	    "Action: failed\nStatus: 5.1.1\n") != NULL);
	CHECK(strstr(out.data, "Final-Recipient: rfc822; carol@example.net\n"
	    "Action: failed\nStatus: 5.0.0\n") != NULL);
	CHECK(strstr(out.data, "Final-Recipient: rfc822; dave@example.net\n"
	    "Action: failed\nStatus: 4.4.7\n") != NULL);
	CHECK(strstr(out.data, "Diagnostic-Code: smtp; 550 5.1.1 no such "
	    "user\n") != NULL);
	CHECK(strstr(out.data, "Content-Type: text/rfc822-headers\n\n"
	    "Subject: hi\nFrom: alice@example.org\n\n--") != NULL);
	CHECK(strstr(out.data, "secret body") == NULL);
	CHECK(strstr(out.data, "--1M8ABCDEFGHJ/laptop.example.org--\n") !=
	    NULL);
	buf_free(&out);
}

static void test_crlf_original(void)
{
	struct buf out;
	int rc;

	compose("Subject: x\r\n\r\nbody\r\n", 3, &out, &rc);
	CHECK_INT(rc, EX_OK);
	CHECK(strstr(out.data, "Subject: x\r\n\n--") != NULL);
	CHECK(strstr(out.data, "body") == NULL);
	buf_free(&out);
}

static void test_endless_headers_are_cut(void)
{
	static char big[3 * DSN_HEADERS_MAX];
	struct buf out;
	size_t i;
	int rc;

	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = (i % 40 == 39) ? '\n' : 'x';
	big[sizeof(big) - 1] = '\0';
	compose(big, 4096, &out, &rc);
	CHECK_INT(rc, EX_OK);
	CHECK(out.len < DSN_HEADERS_MAX + 4096);
	buf_free(&out);
}

static void test_wanted(void)
{
	CHECK(dsn_wanted("alice@example.org"));
	CHECK(!dsn_wanted(""));
	CHECK(!dsn_wanted(NULL));
}

UNIT_MAIN(
	UNIT_CASE(test_parts),
	UNIT_CASE(test_crlf_original),
	UNIT_CASE(test_endless_headers_are_cut),
	UNIT_CASE(test_wanted)
)
