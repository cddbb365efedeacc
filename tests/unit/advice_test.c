/*
 * advice_test - delivery/advice.h: each hint only where its symptom and
 * the account's settings point at the same cause.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery/advice.h"
#include "unit.h"
#include "util/xalloc.h"

/* report - a failed report with that outcome. */
static void report(struct deliver_report *rep, enum smtp_stage stage,
    enum smtp_terr terr, int code, const char *text)
{
	memset(rep, 0, sizeof(*rep));
	rep->outcome.cls = CLASS_TEMP;
	rep->outcome.stage = stage;
	rep->outcome.terr = terr;
	rep->outcome.code = code;
	rep->reply_code = code;
	rep->reply_text = text ? xstrdup(text) : NULL;
}

static size_t advise(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out)
{
	strlist_free(out);
	strlist_init(out);
	return advice_for_delivery(acc, rep, out);
}

static void test_greeting_timeout(void)
{
	struct account *acc = account_new("a");
	struct deliver_report rep;
	struct strlist out;

	strlist_init(&out);
	acc->tls = 1;
	report(&rep, STAGE_GREETING, TERR_TIMEOUT, 0, NULL);
	CHECK_INT(advise(acc, &rep, &out), 2);
	CHECK_STR(out.v[1], "set \"tls_starttls off\" in the account");
	acc->tls = 0;
	CHECK_INT(advise(acc, &rep, &out), 2);
	CHECK_STR(out.v[1], "set \"tls on\" and \"tls_starttls off\" in the "
	    "account");
	/* Implicit TLS already: the timeout is something else. */
	acc->tls = 1;
	acc->tls_starttls = 0;
	CHECK_INT(advise(acc, &rep, &out), 0);
	/* A closed connection says little, unless the port is 465. */
	acc->tls_starttls = 1;
	rep.outcome.terr = TERR_CLOSED;
	CHECK_INT(advise(acc, &rep, &out), 0);
	acc->port = 465;
	CHECK_INT(advise(acc, &rep, &out), 2);
	CHECK(strstr(out.v[0], "port 465") != NULL);
	strlist_free(&out);
	deliver_report_free(&rep);
	account_free(acc);
}

static void test_implicit_tls_gets_plain_text(void)
{
	struct account *acc = account_new("a");
	struct deliver_report rep;
	struct strlist out;

	strlist_init(&out);
	acc->tls = 1;
	acc->tls_starttls = 0;
	report(&rep, STAGE_CONNECT, TERR_TLS, 0, NULL);
	CHECK_INT(advise(acc, &rep, &out), 2);
	CHECK(strstr(out.v[0], "port 465") != NULL);	/* derived */
	/* A failure after STARTTLS is not this mistake. */
	acc->tls_starttls = 1;
	CHECK_INT(advise(acc, &rep, &out), 0);
	strlist_free(&out);
	deliver_report_free(&rep);
	account_free(acc);
}

/* cert - a refused certificate valid from nb to na with those names. */
static void cert(struct deliver_report *rep, time_t nb, time_t na,
    const char *names)
{
	report(rep, STAGE_STARTTLS, TERR_TLS_VERIFY, 0, NULL);
	rep->cert.have = 1;
	rep->cert.subject = xstrdup("CN=x");
	rep->cert.issuer = xstrdup("CN=ca");
	rep->cert.names = xstrdup(names);
	rep->cert.not_before = nb;
	rep->cert.not_after = na;
	strcpy(rep->cert.sha256, "AB:CD");
}

static void test_certificate_reasons(void)
{
	struct account *acc = account_new("a");
	struct deliver_report rep;
	struct strlist out;
	time_t now = time(NULL);

	strlist_init(&out);
	free(acc->host);
	acc->host = xstrdup("smtp.example.org");
	cert(&rep, now - 10, now + 1000, "*.example.org, other.example");
	CHECK_INT(advise(acc, &rep, &out), 9);
	CHECK_STR(out.v[4], "  names: *.example.org, other.example");
	CHECK(strncmp(out.v[6], "its issuer is not in the system's", 33)
	    == 0);
	CHECK_STR(out.v[8], "  tls_fingerprint AB:CD");
	/* the wildcard covers one label only */
	free(acc->host);
	acc->host = xstrdup("a.smtp.example.org");
	advise(acc, &rep, &out);
	CHECK(strncmp(out.v[6], "it is not for a.smtp.example.org", 32)
	    == 0);
	/* tls_host_override is the name checked */
	acc->tls_host_override = xstrdup("OTHER.example");
	advise(acc, &rep, &out);
	CHECK(strncmp(out.v[6], "its issuer", 10) == 0);
	rep.cert.not_after = now - 10;
	advise(acc, &rep, &out);
	CHECK(strncmp(out.v[6], "it expired on ", 14) == 0);
	rep.cert.not_after = now + 1000;
	rep.cert.not_before = now + 500;
	advise(acc, &rep, &out);
	CHECK(strncmp(out.v[6], "it is not valid before ", 23) == 0);
	/* no certificate seen: nothing to show */
	rep.cert.have = 0;
	CHECK_INT(advise(acc, &rep, &out), 0);
	rep.cert.have = 1;
	strlist_free(&out);
	deliver_report_free(&rep);
	account_free(acc);
}

static void test_auth(void)
{
	struct account *acc = account_new("a");
	struct deliver_report rep;
	struct strlist out;

	strlist_init(&out);
	report(&rep, STAGE_MAIL, TERR_NONE, 530, "530 5.7.0 Auth required");
	CHECK_INT(advise(acc, &rep, &out), 2);
	acc->auth_mech = xstrdup("");		/* auth on: another cause */
	CHECK_INT(advise(acc, &rep, &out), 0);
	deliver_report_free(&rep);
	report(&rep, STAGE_AUTH, TERR_NONE, 534, "534-5.7.9 Application-"
	    "specific password required.\n534 5.7.9 more");
	CHECK_INT(advise(acc, &rep, &out), 2);
	CHECK(strstr(out.v[0], "application-specific") != NULL);
	deliver_report_free(&rep);
	report(&rep, STAGE_AUTH, TERR_NONE, 535, "535 5.7.3 OAuth required");
	CHECK_INT(advise(acc, &rep, &out), 2);
	CHECK(strstr(out.v[1], "auth oauthbearer") != NULL);
	/* a token the server refused: OAuth is already in use */
	free(acc->auth_mech);
	acc->auth_mech = xstrdup("XOAUTH2");
	CHECK_INT(advise(acc, &rep, &out), 0);
	deliver_report_free(&rep);
	report(&rep, STAGE_AUTH, TERR_NONE, 535, "535 5.7.8 bad credentials");
	CHECK_INT(advise(acc, &rep, &out), 0);
	deliver_report_free(&rep);
	/* 454 is temporary: no advice even with the words */
	report(&rep, STAGE_AUTH, TERR_NONE, 454, "454 OAuth service down");
	CHECK_INT(advise(acc, &rep, &out), 0);
	strlist_free(&out);
	deliver_report_free(&rep);
	account_free(acc);
}

static void test_from_patterns(void)
{
	struct conf c;
	struct strlist out;
	struct account *a = account_new("work"), *b = account_new("nofrom");

	conf_init(&c);
	a->from = xstrdup("*@work.example");
	a->conffile = xstrdup("/etc/msmtprc");
	c.acc = xcalloc(2, sizeof(*c.acc));
	c.acc[0] = a;
	c.acc[1] = b;
	c.nacc = 2;
	c.cap = 2;
	strlist_init(&out);
	CHECK_INT(advice_for_from(&c, "x@y.example", &out), 3);
	CHECK_STR(out.v[1], "  account work: from *@work.example "
	    "(/etc/msmtprc)");
	CHECK(strstr(out.v[2], "*@y.example") != NULL);
	strlist_free(&out);
	strlist_init(&out);
	CHECK_INT(advice_for_from(&c, NULL, &out), 0);
	CHECK_INT(advice_for_from(&c, "", &out), 0);
	strlist_free(&out);
	conf_free(&c);
}

/* A held mail's hint: every line in it, and one line for --list. */
static void test_held_hint(void)
{
	struct account *acc = account_new("a");
	struct deliver_report rep;
	time_t now = time(NULL);
	char *hint, *brief;

	free(acc->host);
	acc->host = xstrdup("smtp.example.org");
	cert(&rep, now - 10, now - 5, "smtp.example.org");
	hint = advice_held(acc, &rep);
	CHECK(hint != NULL);
	CHECK(strncmp(hint, "the server's certificate:\n  subject: CN=x\n",
	    38) == 0);
	CHECK(strstr(hint, "\n  tls_fingerprint AB:CD") != NULL);
	CHECK(hint[strlen(hint) - 1] != '\n');
	/* the details and the line that introduces the pin are left out;
	 * the first line says what the rest is about */
	brief = advice_brief(hint);
	CHECK(strncmp(brief, "the server's certificate: it expired on ",
	    40) == 0);
	CHECK(strstr(brief, "renew it (or this machine's clock is wrong)")
	    != NULL);
	CHECK(strchr(brief, '\n') == NULL);
	CHECK(strstr(brief, "tls_fingerprint") == NULL);
	free(brief);
	free(hint);
	deliver_report_free(&rep);
	/* two lines, no details: both, a space between */
	report(&rep, STAGE_MAIL, TERR_NONE, 530, "530 auth required");
	hint = advice_held(acc, &rep);
	brief = advice_brief(hint);
	CHECK_STR(brief, "the server accepts mail only after a login, and "
	    "the account has \"auth off\": set \"auth on\", \"user NAME\" "
	    "and \"password SECRET\" (or \"passwordeval COMMAND\")");
	free(brief);
	free(hint);
	deliver_report_free(&rep);
	/* no advice: no hint */
	report(&rep, STAGE_RCPT, TERR_NONE, 550, "550 no such user");
	CHECK(advice_held(acc, &rep) == NULL);
	deliver_report_free(&rep);
	brief = advice_brief("");
	CHECK_STR(brief, "");
	free(brief);
	account_free(acc);
}

UNIT_MAIN(
	UNIT_CASE(test_greeting_timeout),
	UNIT_CASE(test_implicit_tls_gets_plain_text),
	UNIT_CASE(test_certificate_reasons),
	UNIT_CASE(test_auth),
	UNIT_CASE(test_from_patterns),
	UNIT_CASE(test_held_hint),
)
