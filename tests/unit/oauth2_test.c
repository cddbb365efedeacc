/*
 * oauth2_test - the pieces of OAuth2 that need no server: the JSON
 * reader (util/json.h), the form escaping (util/https.h), the
 * providers' endpoints and when msmtp fetches a token itself
 * (account/oauth2.h), the token file (account/oauth2store.h), and the
 * snapshot leaving the client secret out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "unit.h"

#include "account/account.h"
#include "account/conf.h"
#include "account/oauth2.h"
#include "account/oauth2store.h"
#include "account/snapshot.h"
#include "util/buf.h"
#include "util/https.h"
#include "util/json.h"
#include "util/xalloc.h"

static void test_json_members(void)
{
	const char *t = "{ \"a\": {\"x\": \"}\"}, \"l\": [1, \"]\"],"
	    "\"access_token\" : \"at\\\"\\u00e9\\ud83d\\ude00/\","
	    "\"expires_in\": 3599, \"q\": \"60\", \"n\": null }";
	char *s;

	s = json_string(t, "access_token");
	CHECK_STR(s, "at\"\xc3\xa9\xf0\x9f\x98\x80/");
	free(s);
	CHECK_INT(json_long(t, "expires_in"), 3599);
	CHECK_INT(json_long(t, "q"), 60);
	CHECK_INT(json_long(t, "n"), -1);
	CHECK_INT(json_long(t, "missing"), -1);
	CHECK(json_string(t, "x") == NULL);	/* nested: not top level */
	CHECK(json_string(t, "expires_in") == NULL);
	CHECK(json_string("[\"a\"]", "a") == NULL);
	CHECK(json_string("{\"a\": \"unterminated", "a") == NULL);
	CHECK(json_string("", "a") == NULL);
}

static void test_form_escape(void)
{
	char *s = https_form_escape("a b&c=d/é~._-");

	CHECK_STR(s, "a%20b%26c%3Dd%2F%C3%A9~._-");
	free(s);
}

static struct account *acc(const char *lines)
{
	struct account *a = account_new("work");
	char *err = NULL;

	CHECK_INT(snapshot_undump(lines, a, &err), EX_OK);
	free(err);
	return a;
}

static void test_endpoints_and_wanted(void)
{
	struct oauth2_endpoints ep;
	struct account *a;

	a = acc("auth xoauth2\noauth2_provider microsoft\n"
	    "oauth2_scope s\n");
	oauth2_endpoints(a, &ep);
	CHECK(strstr(ep.device_url, "/devicecode") != NULL);
	CHECK(strstr(ep.token_url, "login.microsoftonline.com") != NULL);
	CHECK_STR(ep.scope, "s");
	CHECK(oauth2_wanted(a));
	account_free(a);

	a = acc("auth oauthbearer\noauth2_provider google\n");
	oauth2_endpoints(a, &ep);
	CHECK(ep.device_url == NULL);	/* Google's refuses the mail scope */
	CHECK_STR(ep.scope, "https://mail.google.com/");
	CHECK(oauth2_wanted(a));
	account_free(a);

	/* a passwordeval, or another method: msmtp fetches nothing */
	a = acc("auth xoauth2\noauth2_provider google\npasswordeval x\n");
	CHECK(!oauth2_wanted(a));
	account_free(a);
	a = acc("auth plain\noauth2_client_id c\n");
	CHECK(!oauth2_wanted(a));
	account_free(a);
	a = acc("auth xoauth2\n");
	CHECK(!oauth2_wanted(a));
	account_free(a);
}

static void test_snapshot_leaves_the_secret_out(void)
{
	struct account *a = acc("auth xoauth2\noauth2_client_id cid\n"
	    "oauth2_client_secret s3cret\n");
	struct buf b;

	buf_init(&b);
	snapshot_dump(a, &b);
	CHECK(strstr(b.data, "oauth2_client_id \"cid\"") != NULL);
	CHECK(strstr(b.data, "s3cret") == NULL);
	buf_free(&b);
	account_free(a);
}

static void test_store_round_trip(void)
{
	char dir[] = "/tmp/oauth2_test.XXXXXX";
	struct oauth2_tokens t = { 0 }, r;
	struct account *a = acc("user a/b@x\nhost ../h\n");
	char *path, *err = NULL;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	setenv("XDG_STATE_HOME", dir, 1);
	path = oauth2_store_path(a);
	/* the name cannot leave the directory */
	CHECK(strstr(path, "/msmtp/oauth2/a_b@x@.._h") != NULL);
	CHECK_INT(oauth2_store_read(path, &r), 0);	/* none yet */
	CHECK(r.refresh == NULL);
	t.refresh = xstrdup("rt");
	t.access = xstrdup("at");
	t.expires = 1234;
	CHECK_INT(oauth2_store_write(path, &t, &err), EX_OK);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(oauth2_store_read(path, &r), 0);
	CHECK_STR(r.refresh, "rt");
	CHECK_STR(r.access, "at");
	CHECK(r.client_secret == NULL);
	CHECK_INT(r.expires, 1234);
	oauth2_tokens_free(&r);
	oauth2_tokens_free(&t);
	free(path);
	account_free(a);
}

UNIT_MAIN(
	UNIT_CASE(test_json_members),
	UNIT_CASE(test_form_escape),
	UNIT_CASE(test_endpoints_and_wanted),
	UNIT_CASE(test_snapshot_leaves_the_secret_out),
	UNIT_CASE(test_store_round_trip)
)
