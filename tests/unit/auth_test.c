/*
 * auth_test - the SMTP AUTH module (method choice, the clear text rule,
 * the client side of each exchange), the outcomes of TLS, AUTH and ETRN
 * failures, and the --serverinfo and TLS texts. No network: the server
 * side is played from tables.
 */
#include <stdlib.h>
#include <sysexits.h>

#include "smtp/auth.h"
#include "smtp/caps.h"
#include "smtp/outcome.h"
#include "smtp/reply.h"
#include "smtp/serverinfo.h"
#include "smtp/tls.h"
#include "unit.h"

/* caps_of - capabilities from "\n"-separated EHLO reply lines. */
static void caps_of(const char *ehlo, struct smtp_caps *c)
{
	struct smtp_reply r;
	const char *s = ehlo, *nl;

	smtp_reply_init(&r);
	smtp_caps_init(c);
	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		smtp_reply_feed(&r, s, (size_t)(nl - s));
		s = *nl ? nl + 1 : nl;
	}
	smtp_caps_parse(&r, c);
	smtp_reply_free(&r);
}

static int all_supported(const char *mech, void *arg)
{
	(void)mech;
	(void)arg;
	return 1;
}

static const struct {
	const char	*methods;
	int		 tls;
	int		 cb;
	const char	*want;
} choose_cases[] = {
	{ "PLAIN LOGIN", 0, 0, NULL },
	{ "PLAIN CRAM-MD5 SCRAM-SHA-1", 0, 0, "SCRAM-SHA-1" },
	{ "SCRAM-SHA-1 SCRAM-SHA-256", 0, 0, "SCRAM-SHA-256" },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", 0, 0, "SCRAM-SHA-256" },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", 1, 0, "SCRAM-SHA-256" },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", 1, 1, "SCRAM-SHA-256-PLUS" },
	{ "SCRAM-SHA-1-PLUS PLAIN", 1, 1, "SCRAM-SHA-1-PLUS" },
	{ "LOGIN PLAIN CRAM-MD5", 1, 0, "PLAIN" },
	{ "LOGIN CRAM-MD5", 1, 0, "CRAM-MD5" },
	{ "LOGIN DIGEST-MD5 NTLM", 1, 0, "DIGEST-MD5" },
	{ "NTLM LOGIN", 1, 0, "LOGIN" },
	{ "NTLM GSSAPI", 1, 0, "NTLM" },
	{ "GSSAPI EXTERNAL OAUTHBEARER XOAUTH2", 1, 1, NULL },
};

static void test_choose(void)
{
	struct smtp_caps c;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		snprintf(line, sizeof(line), "250-mx\n250 AUTH %s",
		    choose_cases[i].methods);
		caps_of(line, &c);
		CHECK_STR(smtp_auth_choose(&c, choose_cases[i].tls,
		    choose_cases[i].cb, all_supported, NULL),
		    choose_cases[i].want);
		smtp_caps_free(&c);
	}
}

static int prompts;

static char *fake_password(const char *host, const char *user, void *arg,
    char **errstr)
{
	(void)arg;
	(void)errstr;
	prompts++;
	CHECK_STR(host, "mx.test");
	CHECK_STR(user, "alice");
	return strdup("secret");
}

/* new_auth - smtp_auth_new() for a clear-text link; its return code. */
static int new_auth(const char *ehlo, const char *mech, const char *user,
    const char *password, int loopback, struct smtp_auth **a,
    enum smtp_terr *terr, char **err)
{
	struct smtp_auth_params p;
	struct smtp_auth_link link;
	struct smtp_caps c;
	int rc;

	memset(&p, 0, sizeof(p));
	p.mech = mech;
	p.user = user;
	p.password = password;
	p.host = "mx.test";
	p.port = 587;
	p.password_cb = fake_password;
	link.tls = NULL;
	link.loopback = loopback;
	link.peer = "192.0.2.7";
	caps_of(ehlo, &c);
	*a = NULL;
	*err = NULL;
	rc = smtp_auth_new(&p, &c, &link, a, terr, err);
	smtp_caps_free(&c);
	return rc;
}

static const struct {
	const char	*mech;
	const char	*user;
	int		 loopback;
	enum smtp_terr	 terr;		/* TERR_NONE: accepted */
	const char	*msg;
	int		 prompts;
} new_cases[] = {
	{ "PLAIN", "alice", 1, TERR_NONE, NULL, 1 },
	{ "PLAIN", "alice", 0, TERR_AUTH, "authentication method PLAIN would "
	    "send the password in clear text to 192.0.2.7, which is not on "
	    "loopback; use tls", 0 },
	{ "LOGIN", "alice", 0, TERR_AUTH, NULL, 0 },
	{ "XOAUTH2", "alice", 0, TERR_AUTH, NULL, 0 },
	{ "OAUTHBEARER", "alice", 0, TERR_AUTH, NULL, 0 },
	{ "CRAM-MD5", "alice", 0, TERR_NONE, NULL, 1 },
	{ "SCRAM-SHA-256", "alice", 0, TERR_NONE, NULL, 1 },
	{ "PLAIN", NULL, 1, TERR_AUTH, "authentication method PLAIN needs a "
	    "user name", 0 },
	{ "EXTERNAL", NULL, 0, TERR_NONE, NULL, 0 },
	{ "NTLM", "alice", 0, TERR_UNSUPPORTED, "the server does not support "
	    "authentication method NTLM", 0 },
	{ "", "alice", 0, TERR_AUTH, "cannot use a secure authentication "
	    "method", 0 },
};

static void test_new(void)
{
	const char *ehlo = "250-mx\n250 AUTH PLAIN LOGIN CRAM-MD5 "
	    "SCRAM-SHA-256 XOAUTH2 OAUTHBEARER EXTERNAL";
	struct smtp_auth *a;
	enum smtp_terr terr;
	char *err;
	size_t i;
	int rc;

	/* "" (choose) sees no SCRAM here: without TLS nothing fits. */
	for (i = 0; i < sizeof(new_cases) / sizeof(new_cases[0]); i++) {
		prompts = 0;
		terr = TERR_NONE;
		rc = new_auth(i + 1 == sizeof(new_cases) / sizeof(new_cases[0]) ?
		    "250-mx\n250 AUTH PLAIN LOGIN" : ehlo, new_cases[i].mech,
		    new_cases[i].user, NULL, new_cases[i].loopback, &a, &terr,
		    &err);
		CHECK_INT(rc, new_cases[i].terr == TERR_NONE ? 0 : -1);
		CHECK_INT(terr, new_cases[i].terr);
		if (new_cases[i].msg != NULL)
			CHECK_STR(err, new_cases[i].msg);
		CHECK_INT(prompts, new_cases[i].prompts);
		if (err != NULL)
			CHECK(strstr(err, "secret") == NULL);
		free(err);
		smtp_auth_free(a);
	}
}

static void test_needs_password(void)
{
	struct smtp_auth_params p;
	struct smtp_auth_link link;
	struct smtp_auth *a = NULL;
	struct smtp_caps c;
	enum smtp_terr terr = TERR_NONE;
	char *err = NULL;

	memset(&p, 0, sizeof(p));
	memset(&link, 0, sizeof(link));
	p.mech = "LOGIN";
	p.user = "alice";
	link.loopback = 1;
	caps_of("250-mx\n250 AUTH LOGIN", &c);
	CHECK_INT(smtp_auth_new(&p, &c, &link, &a, &terr, &err), -1);
	CHECK_INT(terr, TERR_AUTH);
	CHECK_STR(err, "authentication method LOGIN needs a password");
	CHECK(a == NULL);
	free(err);
	smtp_caps_free(&c);
}

/* One exchange: the server's replies and what the client must say. */
struct step {
	int		 code;
	const char	*text;		/* after "334 " */
	int		 status;	/* enum smtp_auth_status */
	const char	*line;		/* AUTH_SEND: the line */
	const char	*shown;
};

static void play(const char *mech, const char *user, const char *password,
    const char *first, const char *first_shown, const struct step *steps,
    size_t n)
{
	struct smtp_auth *a;
	struct buf line, shown;
	enum smtp_terr terr;
	char *err;
	size_t i;

	CHECK_INT(new_auth("250-mx\n250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 "
	    "OAUTHBEARER", mech, user, password, 1, &a, &terr, &err), 0);
	if (a == NULL)
		return;
	buf_init(&line);
	buf_init(&shown);
	CHECK_INT(smtp_auth_start(a, &line, &shown, &err), AUTH_SEND);
	CHECK_STR(line.data, first);
	CHECK_STR(shown.data, first_shown);
	for (i = 0; i < n; i++) {
		CHECK_INT(smtp_auth_reply(a, steps[i].code, steps[i].text,
		    &line, &shown, &err), steps[i].status);
		if (steps[i].status == AUTH_SEND) {
			CHECK_STR(line.data, steps[i].line);
			CHECK_STR(shown.data, steps[i].shown);
		}
	}
	buf_free(&line);
	buf_free(&shown);
	smtp_auth_free(a);
}

static void test_plain(void)
{
	static const struct step ok[] = { { 235, "", AUTH_DONE, NULL, NULL } };
	static const struct step no[] = {
		{ 535, "", AUTH_REFUSED, NULL, NULL } };

	play("PLAIN", "alice", "secret", "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
	    "AUTH PLAIN ********", ok, 1);
	play("PLAIN", "alice", "secret", "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
	    "AUTH PLAIN ********", no, 1);
}

static void test_login(void)
{
	static const struct step steps[] = {
		{ 334, "VXNlcm5hbWU6", AUTH_SEND, "YWxpY2U=", "********" },
		{ 334, "UGFzc3dvcmQ6", AUTH_SEND, "c2VjcmV0", "********" },
		{ 235, "", AUTH_DONE, NULL, NULL },
	};
	static const struct step refused[] = {
		{ 334, "VXNlcm5hbWU6", AUTH_SEND, "YWxpY2U=", "********" },
		{ 454, "", AUTH_REFUSED, NULL, NULL },
	};

	play("LOGIN", "alice", "secret", "AUTH LOGIN", "AUTH LOGIN", steps, 3);
	play("LOGIN", "alice", "secret", "AUTH LOGIN", "AUTH LOGIN", refused,
	    2);
}

/* RFC 2195's example. */
static void test_cram_md5(void)
{
	static const struct step steps[] = {
		{ 334, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
		    AUTH_SEND, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
		    "********" },
		{ 235, "", AUTH_DONE, NULL, NULL },
	};

	play("CRAM-MD5", "tim", "tanstaaftanstaaf", "AUTH CRAM-MD5",
	    "AUTH CRAM-MD5", steps, 2);
}

static void test_oauth(void)
{
	static const struct step bearer_ok[] = {
		{ 235, "", AUTH_DONE, NULL, NULL } };
	static const struct step bearer_error[] = {
		{ 334, "eyJzdGF0dXMiOiI0MDEifQ==", AUTH_SEND, "AQ==",
		    "********" },
		{ 535, "", AUTH_REFUSED, NULL, NULL },
	};
	static const struct step xoauth2[] = {
		{ 334, "", AUTH_SEND,
		    "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==", "********" },
		{ 334, "eyJzdGF0dXMiOiI0MDEifQ==", AUTH_SEND, "", "" },
		{ 535, "", AUTH_REFUSED, NULL, NULL },
	};

	play("OAUTHBEARER", "alice", "tok", "AUTH OAUTHBEARER "
	    "bixhPWFsaWNlLAFob3N0PW14LnRlc3QBcG9ydD01ODcBYXV0aD1CZWFyZXIgdG9r"
	    "AQE=", "AUTH OAUTHBEARER ********", bearer_ok, 1);
	play("OAUTHBEARER", "alice", "tok", "AUTH OAUTHBEARER "
	    "bixhPWFsaWNlLAFob3N0PW14LnRlc3QBcG9ydD01ODcBYXV0aD1CZWFyZXIgdG9r"
	    "AQE=", "AUTH OAUTHBEARER ********", bearer_error, 2);
	play("XOAUTH2", "alice", "tok", "AUTH XOAUTH2", "AUTH XOAUTH2",
	    xoauth2, 3);
}

/* A token of 8 KB makes an AUTH line of about 11 KB: nothing cuts it. */
static void test_long_token(void)
{
	char *token = malloc(8193);
	struct smtp_auth *a;
	struct buf line, shown;
	enum smtp_terr terr;
	char *err;

	memset(token, 'x', 8192);
	token[8192] = '\0';
	CHECK_INT(new_auth("250-mx\n250 AUTH OAUTHBEARER", "OAUTHBEARER",
	    "alice", token, 1, &a, &terr, &err), 0);
	buf_init(&line);
	buf_init(&shown);
	CHECK_INT(smtp_auth_start(a, &line, &shown, &err), AUTH_SEND);
	CHECK(line.len > 10900);
	CHECK_STR(shown.data, "AUTH OAUTHBEARER ********");
	buf_free(&line);
	buf_free(&shown);
	smtp_auth_free(a);
	free(token);
}

static void test_clear_text_methods(void)
{
	CHECK(smtp_auth_clear_text("PLAIN"));
	CHECK(smtp_auth_clear_text("LOGIN"));
	CHECK(smtp_auth_clear_text("XOAUTH2"));
	CHECK(smtp_auth_clear_text("OAUTHBEARER"));
	CHECK(!smtp_auth_clear_text("CRAM-MD5"));
	CHECK(!smtp_auth_clear_text("SCRAM-SHA-256"));
	CHECK(!smtp_auth_clear_text("EXTERNAL"));
}

static const struct {
	enum smtp_stage	 stage;
	enum smtp_terr	 terr;
	int		 code;
	enum smtp_class	 cls;
	int		 exitcode;
} class_cases[] = {
	{ STAGE_AUTH, TERR_NONE, 535, CLASS_LOCAL, EX_NOPERM },
	{ STAGE_AUTH, TERR_NONE, 454, CLASS_TEMP, EX_NOPERM },
	{ STAGE_AUTH, TERR_NONE, 504, CLASS_LOCAL, EX_NOPERM },
	{ STAGE_AUTH, TERR_NONE, 421, CLASS_TEMP, EX_NOPERM },
	{ STAGE_AUTH, TERR_UNSUPPORTED, 0, CLASS_LOCAL, EX_UNAVAILABLE },
	{ STAGE_AUTH, TERR_AUTH, 0, CLASS_LOCAL, EX_UNAVAILABLE },
	{ STAGE_AUTH, TERR_SOFTWARE, 0, CLASS_LOCAL, EX_SOFTWARE },
	{ STAGE_AUTH, TERR_CLOSED, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_STARTTLS, TERR_NONE, 454, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_STARTTLS, TERR_UNSUPPORTED, 0, CLASS_LOCAL, EX_UNAVAILABLE },
	{ STAGE_TLS, TERR_TLS, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_TLS, TERR_TLS_VERIFY, 0, CLASS_LOCAL, EX_UNAVAILABLE },
	{ STAGE_TLS, TERR_TLS_FILE, 0, CLASS_LOCAL, EX_NOINPUT },
	{ STAGE_TLS, TERR_SOFTWARE, 0, CLASS_LOCAL, EX_SOFTWARE },
	{ STAGE_TLS, TERR_BADREPLY, 0, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_CONNECT, TERR_CONFIG, 0, CLASS_LOCAL, EX_CONFIG },
	{ STAGE_ETRN, TERR_NONE, 250, CLASS_OK, EX_OK },
	{ STAGE_ETRN, TERR_NONE, 251, CLASS_OK, EX_OK },
	{ STAGE_ETRN, TERR_NONE, 253, CLASS_OK, EX_OK },
	{ STAGE_ETRN, TERR_NONE, 354, CLASS_PERM, EX_PROTOCOL },
	{ STAGE_ETRN, TERR_NONE, 458, CLASS_TEMP, EX_UNAVAILABLE },
	{ STAGE_ETRN, TERR_NONE, 459, CLASS_TEMP, EX_UNAVAILABLE },
	{ STAGE_ETRN, TERR_NONE, 500, CLASS_PERM, EX_DATAERR },
	{ STAGE_ETRN, TERR_NONE, 501, CLASS_PERM, EX_DATAERR },
	{ STAGE_ETRN, TERR_NONE, 421, CLASS_TEMP, EX_PROTOCOL },
	{ STAGE_ETRN, TERR_NONE, 502, CLASS_PERM, EX_PROTOCOL },
	{ STAGE_ETRN, TERR_UNSUPPORTED, 0, CLASS_LOCAL, EX_UNAVAILABLE },
};

static void test_classify(void)
{
	struct smtp_outcome o;
	struct smtp_reply r;
	char line[32];
	size_t i;

	for (i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		smtp_reply_init(&r);
		if (class_cases[i].code != 0) {
			snprintf(line, sizeof(line), "%d text",
			    class_cases[i].code);
			smtp_reply_feed(&r, line, strlen(line));
		}
		smtp_classify(class_cases[i].stage, class_cases[i].terr,
		    class_cases[i].code ? &r : NULL, &o);
		if (o.cls != class_cases[i].cls ||
		    o.exitcode != class_cases[i].exitcode)
			fprintf(stderr, "case %zu\n", i);
		CHECK_INT(o.cls, class_cases[i].cls);
		CHECK_INT(o.exitcode, class_cases[i].exitcode);
		smtp_reply_free(&r);
	}
}

static void test_caps_size_and_auth(void)
{
	struct smtp_caps c;

	caps_of("250-mx\n250-SIZE abc\n250 AUTH", &c);
	CHECK(c.flags & CAP_SIZE);
	CHECK(!c.size_ok);
	CHECK(!(c.flags & CAP_AUTH));
	smtp_caps_free(&c);
	caps_of("250-mx\n250-SIZE 2048\n250 SIZE", &c);
	CHECK(c.size_ok);
	CHECK_INT(c.size_max, 0);
	smtp_caps_free(&c);
}

static void fake_tls_info(struct tls_info *ti)
{
	size_t i;

	memset(ti, 0, sizeof(*ti));
	ti->desc = "(TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-"
	    "(AES-256-GCM)";
	ti->subject = "O=msmtp tests,CN=localhost";
	ti->issuer = "O=msmtp tests,CN=Test CA";
	ti->activation = 1798000000;	/* 2026-12-23 */
	ti->expiration = 1800000000;
	for (i = 0; i < sizeof(ti->sha256); i++)
		ti->sha256[i] = (unsigned char)i;
	for (i = 0; i < sizeof(ti->sha1); i++)
		ti->sha1[i] = (unsigned char)(0xf0 + i % 16);
}

static void test_tls_info_format(void)
{
	struct tls_info ti;
	struct buf out;

	setenv("TZ", "UTC", 1);
	tzset();
	fake_tls_info(&ti);
	buf_init(&out);
	tls_info_format(&ti, &out);
	CHECK_STR(out.data,
	    "TLS session parameters:\n"
	    "    (TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-"
	    "(AES-256-GCM)\n"
	    "TLS certificate information:\n"
	    "    Subject:\n        O=msmtp tests,CN=localhost\n"
	    "    Issuer:\n        O=msmtp tests,CN=Test CA\n"
	    "    Validity:\n"
	    "        Activation time: Wed Dec 23 04:26:40 2026\n"
	    "        Expiration time: Fri Jan 15 08:00:00 2027\n"
	    "    Fingerprints:\n"
	    "        SHA256: 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:"
	    "10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\n"
	    "        SHA1 (deprecated): F0:F1:F2:F3:F4:F5:F6:F7:F8:F9:FA:FB:"
	    "FC:FD:FE:FF:F0:F1:F2:F3\n");
	buf_free(&out);
}

static void test_serverinfo(void)
{
	struct smtp_serverinfo si;
	struct smtp_caps c;
	struct buf out;

	caps_of("250-mx\n250-PIPELINING\n250-SIZE 35882577\n250-DSN\n"
	    "250-ETRN\n250-STARTTLS\n250 AUTH xoauth2 LOGIN PLAIN "
	    "SCRAM-SHA-256-PLUS SCRAM-SHA-256 FOO", &c);
	memset(&si, 0, sizeof(si));
	si.host = "mx.test";
	si.port = 587;
	si.canon = "localhost";
	si.address = "127.0.0.1";
	si.greeting = "mx.test ESMTP \x01ready";
	si.caps = &c;
	buf_init(&out);
	smtp_serverinfo_format(&si, &out);
	CHECK_STR(out.data,
	    "SMTP server at mx.test (localhost [127.0.0.1]), port 587:\n"
	    "    mx.test ESMTP ?ready\n"
	    "Capabilities:\n"
	    "    SIZE 35882577:\n"
	    "        Maximum message size is 35882577 bytes = 34.22 MiB\n"
	    "    PIPELINING:\n"
	    "        Support for command grouping for faster transmission\n"
	    "    ETRN:\n"
	    "        Support for RMQS (Remote Message Queue Starting)\n"
	    "    DSN:\n"
	    "        Support for Delivery Status Notifications\n"
	    "    STARTTLS:\n"
	    "        Support for TLS encryption via the STARTTLS command\n"
	    "    AUTH:\n"
	    "        Supported authentication methods:\n"
	    "        PLAIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS LOGIN XOAUTH2 \n"
	    "This server might advertise more or other capabilities when TLS "
	    "is active.\n");
	buf_free(&out);
	smtp_caps_free(&c);

	caps_of("250 mx", &c);
	si.lmtp = 1;
	si.canon = NULL;
	si.address = NULL;
	si.greeting = "hi";
	buf_init(&out);
	smtp_serverinfo_format(&si, &out);
	CHECK_STR(out.data, "LMTP server at mx.test, port 587:\n    hi\n"
	    "No special capabilities.\n");
	buf_free(&out);
	smtp_caps_free(&c);
}

UNIT_MAIN(
	UNIT_CASE(test_choose),
	UNIT_CASE(test_new),
	UNIT_CASE(test_needs_password),
	UNIT_CASE(test_plain),
	UNIT_CASE(test_login),
	UNIT_CASE(test_cram_md5),
	UNIT_CASE(test_oauth),
	UNIT_CASE(test_long_token),
	UNIT_CASE(test_clear_text_methods),
	UNIT_CASE(test_classify),
	UNIT_CASE(test_caps_size_and_auth),
	UNIT_CASE(test_tls_info_format),
	UNIT_CASE(test_serverinfo)
)
