/*
 * account_test - the account helpers, one msmtprc command applied
 * (conf_set(), table-driven) and the account snapshot for the spool.
 * Expected values were taken from Debian's msmtp 1.8.23.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "unit.h"

#include "account/account.h"
#include "account/conf.h"
#include "account/snapshot.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* ---- account.c ---- */

static void test_account_new_defaults(void)
{
	struct account *a = account_new("x");

	CHECK_STR(a->id, "x");
	CHECK_INT(a->mask, 0);
	CHECK_INT(a->port, 0);
	CHECK_STR(a->host, NULL);
	CHECK_STR(a->domain, "localhost");
	CHECK_INT(a->tls, 0);
	CHECK_INT(a->tls_starttls, 1);
	CHECK_STR(a->tls_trust_file, "system");
	CHECK_INT(a->tls_certcheck, 1);
	CHECK_INT(a->allow_from_override, 1);
	CHECK_INT(a->set_from_header, SET_FROM_AUTO);
	CHECK_INT(a->set_date_header, 1);
	CHECK_INT(a->set_msgid_header, 1);
	CHECK_INT(a->set_to_header, SET_TO_OFF);
	CHECK_INT(a->remove_bcc_headers, 1);
	CHECK_INT(a->queue, 1);
	CHECK_INT(a->queue_keep_sent, 7 * 24 * 3600);
	CHECK_STR(a->auth_mech, NULL);
	CHECK_STR(a->from, NULL);
	CHECK_INT(a->timeout, 0);
	account_free(a);
	account_free(NULL);
}

static void test_account_copy_merge(void)
{
	struct account *a = account_new("a"), *b = account_new("b"), *c;
	char *err = NULL;

	CHECK_INT(conf_set(a, "host", "ha", &err), EX_OK);
	CHECK_INT(conf_set(a, "port", "1", &err), EX_OK);
	CHECK_INT(conf_set(a, "user", "ua", &err), EX_OK);
	CHECK_INT(conf_set(b, "host", "hb", &err), EX_OK);
	CHECK_INT(conf_set(b, "user", "", &err), EX_OK);
	CHECK_INT(conf_set(b, "tls", "on", &err), EX_OK);

	c = account_copy(a, "c");
	CHECK_STR(c->id, "c");
	CHECK_STR(c->host, "ha");
	CHECK_INT(c->mask, a->mask);
	CHECK(c->host != a->host);

	/* only what b set is laid over, unset values included */
	account_merge(c, b);
	CHECK_STR(c->id, "c");
	CHECK_STR(c->host, "hb");
	CHECK_INT(c->port, 1);
	CHECK_STR(c->user, NULL);
	CHECK_INT(c->tls, 1);
	CHECK_INT(c->mask, a->mask | b->mask);
	CHECK_STR(c->domain, "localhost");
	account_free(a);
	account_free(b);
	account_free(c);
}

/* ---- conf_set ---- */

struct set_case {
	const char	*cmd;
	const char	*arg;
	const char	*err;	/* NULL: accepted */
	size_t		 off;
	int		 is_str;
	const char	*sval;
	int		 ival;
	int		 bit;
};

#define OKS(c, a, f, v, b) { c, a, NULL, offsetof(struct account, f), 1, v, 0, b }
#define OKI(c, a, f, v, b) { c, a, NULL, offsetof(struct account, f), 0, NULL, v, b }
#define BAD(c, a, e)	{ c, a, e, 0, 0, NULL, 0, -1 }
#define FP20 "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67"

static const struct set_case set_cases[] = {
	OKS("host", "mail.example.org", host, "mail.example.org", ACC_HOST),
	BAD("host", "", "command host needs an argument"),
	OKI("port", "587", port, 587, ACC_PORT),
	OKI("port", "0x19", port, 25, ACC_PORT),
	OKI("port", "010", port, 8, ACC_PORT),
	OKI("port", "65535", port, 65535, ACC_PORT),
	BAD("port", "x", "invalid argument x for command port"),
	BAD("port", "0", "invalid argument 0 for command port"),
	BAD("port", "-1", "invalid argument -1 for command port"),
	BAD("port", "65536", "invalid argument 65536 for command port"),
	BAD("port", "25x", "invalid argument 25x for command port"),
	BAD("port", "", "command port needs an argument"),
	OKS("source_ip", "10.0.0.1", source_ip, "10.0.0.1", ACC_SOURCE_IP),
	OKS("source_ip", "", source_ip, NULL, ACC_SOURCE_IP),
	OKS("proxy_host", "p", proxy_host, "p", ACC_PROXY_HOST),
	OKI("proxy_port", "1080", proxy_port, 1080, ACC_PROXY_PORT),
	OKI("proxy_port", "", proxy_port, 0, ACC_PROXY_PORT),
	BAD("proxy_port", "0", "invalid argument 0 for command proxy_port"),
	BAD("proxy_port", "70000",
	    "invalid argument 70000 for command proxy_port"),
	OKS("socket", "~/s", socket, "~/s", ACC_SOCKET),
	OKS("socket", "", socket, NULL, ACC_SOCKET),
	OKI("timeout", "30", timeout, 30, ACC_TIMEOUT),
	OKI("timeout", "off", timeout, 0, ACC_TIMEOUT),
	OKI("connect_timeout", "5", timeout, 5, ACC_TIMEOUT),
	BAD("timeout", "0", "invalid argument 0 for command timeout"),
	BAD("timeout", "99999999999",
	    "invalid argument 99999999999 for command timeout"),
	BAD("timeout", "", "command timeout needs an argument"),
	OKI("protocol", "lmtp", protocol, PROTO_LMTP, ACC_PROTOCOL),
	OKI("protocol", "smtp", protocol, PROTO_SMTP, ACC_PROTOCOL),
	BAD("protocol", "LMTP", "invalid argument LMTP for command protocol"),
	BAD("protocol", "", "command protocol needs an argument"),
	OKS("domain", "client.example.org", domain, "client.example.org",
	    ACC_DOMAIN),
	OKS("domain", "", domain, "", ACC_DOMAIN),
	OKS("auth", "", auth_mech, "", ACC_AUTH),
	OKS("auth", "on", auth_mech, "", ACC_AUTH),
	OKS("auth", "off", auth_mech, NULL, ACC_AUTH),
	OKS("auth", "plain", auth_mech, "PLAIN", ACC_AUTH),
	OKS("auth", "scram-sha-256", auth_mech, "SCRAM-SHA-256", ACC_AUTH),
	OKS("auth", "xoauth2", auth_mech, "XOAUTH2", ACC_AUTH),
	OKS("auth", "oauthbearer", auth_mech, "OAUTHBEARER", ACC_AUTH),
	BAD("auth", "Plain", "invalid argument Plain for command auth"),
	BAD("auth", "foo", "invalid argument foo for command auth"),
	OKS("user", "bob", user, "bob", ACC_USER),
	OKS("user", "", user, NULL, ACC_USER),
	OKS("password", "s3cret", password, "s3cret", ACC_PASSWORD),
	OKS("password", "", password, NULL, ACC_PASSWORD),
	OKS("passwordeval", "~/x", passwordeval, "~/x", ACC_PASSWORDEVAL),
	OKS("ntlmdomain", "d", ntlmdomain, "d", ACC_NTLMDOMAIN),
	OKI("tls", "on", tls, 1, ACC_TLS),
	OKI("tls", "", tls, 1, ACC_TLS),
	OKI("tls", "off", tls, 0, ACC_TLS),
	BAD("tls", "ON", "invalid argument ON for command tls"),
	BAD("tls", "yes", "invalid argument yes for command tls"),
	OKI("tls_starttls", "off", tls_starttls, 0, ACC_TLS_STARTTLS),
	OKI("tls_nostarttls", "", tls_starttls, 0, ACC_TLS_STARTTLS),
	BAD("tls_nostarttls", "x",
	    "command tls_nostarttls does not take an argument"),
	OKS("tls_trust_file", "~/ca.pem", tls_trust_file, "/h/ca.pem",
	    ACC_TLS_TRUST_FILE),
	OKS("tls_trust_file", "system", tls_trust_file, "system",
	    ACC_TLS_TRUST_FILE),
	OKS("tls_trust_file", "", tls_trust_file, NULL, ACC_TLS_TRUST_FILE),
	OKS("tls_crl_file", "~", tls_crl_file, "/h", ACC_TLS_CRL_FILE),
	OKS("tls_key_file", "~x", tls_key_file, "/hx", ACC_TLS_KEY_FILE),
	OKS("tls_cert_file", "/c", tls_cert_file, "/c", ACC_TLS_CERT_FILE),
	OKS("tls_fingerprint", FP20, tls_fingerprint,
	    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67",
	    ACC_TLS_FINGERPRINT),
	OKS("tls_fingerprint",
	    "0f 0f 0f 0f 0f 0f 0f 0f 0f 0f 0f 0f 0f 0f 0f 0f", tls_fingerprint,
	    "0F:0F:0F:0F:0F:0F:0F:0F:0F:0F:0F:0F:0F:0F:0F:0F",
	    ACC_TLS_FINGERPRINT),
	OKS("tls_fingerprint", "", tls_fingerprint, NULL, ACC_TLS_FINGERPRINT),
	BAD("tls_fingerprint", "zz",
	    "invalid argument zz for command tls_fingerprint"),
	BAD("tls_fingerprint", FP20 ":",
	    "invalid argument " FP20 ": for command tls_fingerprint"),
	BAD("tls_fingerprint", "0g:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef",
	    "invalid argument 0g:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef"
	    " for command tls_fingerprint"),
	OKI("tls_certcheck", "off", tls_certcheck, 0, ACC_TLS_CERTCHECK),
	OKI("tls_nocertcheck", "", tls_certcheck, 0, ACC_TLS_CERTCHECK),
	BAD("tls_nocertcheck", "on",
	    "command tls_nocertcheck does not take an argument"),
	OKS("tls_priorities", "NORMAL", tls_priorities, "NORMAL",
	    ACC_TLS_PRIORITIES),
	OKS("tls_host_override", "", tls_host_override, NULL,
	    ACC_TLS_HOST_OVERRIDE),
	OKI("tls_min_dh_prime_bits", "512", tls_min_dh_prime_bits, 512,
	    ACC_TLS_MIN_DH_PRIME_BITS),
	OKI("tls_min_dh_prime_bits", "", tls_min_dh_prime_bits, 0,
	    ACC_TLS_MIN_DH_PRIME_BITS),
	BAD("tls_min_dh_prime_bits", "0",
	    "invalid argument 0 for command tls_min_dh_prime_bits"),
	OKS("from", "%U@%H", from, "%U@%H", ACC_FROM),
	OKS("from", "", from, "", ACC_FROM),
	OKS("from_full_name", "Alice A", from_full_name, "Alice A",
	    ACC_FROM_FULL_NAME),
	OKI("allow_from_override", "off", allow_from_override, 0,
	    ACC_ALLOW_FROM_OVERRIDE),
	OKS("dsn_notify", "never", dsn_notify, "NEVER", ACC_DSN_NOTIFY),
	OKS("dsn_notify", "delay,failure", dsn_notify, "DELAY,FAILURE",
	    ACC_DSN_NOTIFY),
	OKS("dsn_notify", "success,delay,failure", dsn_notify,
	    "SUCCESS,DELAY,FAILURE", ACC_DSN_NOTIFY),
	OKS("dsn_notify", "off", dsn_notify, NULL, ACC_DSN_NOTIFY),
	BAD("dsn_notify", "FAILURE",
	    "invalid argument FAILURE for command dsn_notify"),
	BAD("dsn_notify", "failure,",
	    "invalid argument failure, for command dsn_notify"),
	BAD("dsn_notify", "failure,failure",
	    "invalid argument failure,failure for command dsn_notify"),
	BAD("dsn_notify", "", "command dsn_notify needs an argument"),
	OKS("dsn_return", "headers", dsn_return, "HDRS", ACC_DSN_RETURN),
	OKS("dsn_return", "full", dsn_return, "FULL", ACC_DSN_RETURN),
	OKS("dsn_return", "off", dsn_return, NULL, ACC_DSN_RETURN),
	BAD("dsn_return", "HDRS", "invalid argument HDRS for command dsn_return"),
	OKI("set_from_header", "", set_from_header, SET_FROM_AUTO,
	    ACC_SET_FROM_HEADER),
	OKI("set_from_header", "on", set_from_header, SET_FROM_ON,
	    ACC_SET_FROM_HEADER),
	OKI("set_from_header", "off", set_from_header, SET_FROM_OFF,
	    ACC_SET_FROM_HEADER),
	OKI("set_date_header", "off", set_date_header, 0, ACC_SET_DATE_HEADER),
	BAD("set_date_header", "on",
	    "invalid argument on for command set_date_header"),
	OKI("set_msgid_header", "off", set_msgid_header, 0,
	    ACC_SET_MSGID_HEADER),
	BAD("set_msgid_header", "on",
	    "invalid argument on for command set_msgid_header"),
	OKI("set_to_header", "undisclosed_recipients", set_to_header,
	    SET_TO_UNDISCLOSED, ACC_SET_TO_HEADER),
	OKI("set_to_header", "on", set_to_header, SET_TO_ON,
	    ACC_SET_TO_HEADER),
	OKI("remove_bcc_headers", "off", remove_bcc_headers, 0,
	    ACC_REMOVE_BCC_HEADERS),
	OKS("logfile", "~/log", logfile, "/h/log", ACC_LOGFILE),
	OKS("logfile", "-", logfile, "-", ACC_LOGFILE),
	OKS("logfile_time_format", "none", logfile_time_format, "none",
	    ACC_LOGFILE_TIME_FORMAT),
	OKS("syslog", "", syslog, "LOG_USER", ACC_SYSLOG),
	OKS("syslog", "off", syslog, NULL, ACC_SYSLOG),
	OKS("syslog", "LOG_LOCAL7", syslog, "LOG_LOCAL7", ACC_SYSLOG),
	BAD("syslog", "LOG_LOCAL8", "invalid argument LOG_LOCAL8 for command syslog"),
	OKS("aliases", "~/aliases", aliases, "/h/aliases", ACC_ALIASES),
	OKI("auto_from", "on", auto_from, 1, ACC_AUTO_FROM),
	OKS("maildomain", "", maildomain, "", ACC_MAILDOMAIN),
	OKI("keepbcc", "", remove_bcc_headers, 0, ACC_REMOVE_BCC_HEADERS),
	OKI("keepbcc", "off", remove_bcc_headers, 1, ACC_REMOVE_BCC_HEADERS),
	BAD("keepbcc", "x", "invalid argument x for command keepbcc"),
	OKI("undisclosed_recipients", "", set_to_header, SET_TO_UNDISCLOSED,
	    ACC_SET_TO_HEADER),
	OKI("undisclosed_recipients", "off", set_to_header, SET_TO_OFF,
	    ACC_SET_TO_HEADER),
	OKI("add_missing_from_header", "off", set_from_header, SET_FROM_OFF,
	    ACC_SET_FROM_HEADER),
	OKI("add_missing_date_header", "off", set_date_header, 0,
	    ACC_SET_DATE_HEADER),
	OKI("queue", "off", queue, 0, ACC_QUEUE),
	OKI("queue", "", queue, 1, ACC_QUEUE),
	BAD("queue", "maybe", "invalid argument maybe for command queue"),
	OKI("queue_keep_sent", "0", queue_keep_sent, 0, ACC_QUEUE_KEEP_SENT),
	OKI("queue_keep_sent", "86400", queue_keep_sent, 86400,
	    ACC_QUEUE_KEEP_SENT),
	OKI("queue_keep_sent", "7d", queue_keep_sent, 604800,
	    ACC_QUEUE_KEEP_SENT),
	OKI("queue_backoff_min", "30s", queue_backoff_min, 30,
	    ACC_QUEUE_BACKOFF_MIN),
	OKI("queue_backoff_max", "2h", queue_backoff_max, 7200,
	    ACC_QUEUE_BACKOFF_MAX),
	OKI("queue_lifetime", "5m", queue_lifetime, 300,
	    ACC_QUEUE_LIFETIME),
	BAD("queue_keep_sent", "-1", "invalid duration -1 for command "
	    "queue_keep_sent (e.g. 30s, 5m, 2h, 7d)"),
	BAD("queue_lifetime", "0", "invalid duration 0 for command "
	    "queue_lifetime (e.g. 30s, 5m, 2h, 7d)"),
	BAD("queue_backoff_min", "5w", "invalid duration 5w for command "
	    "queue_backoff_min (e.g. 30s, 5m, 2h, 7d)"),
	BAD("timeout", "5m", "invalid argument 5m for command timeout"),
	OKS("queue_notify", "notify-send \"$MSMTP_REASON\"", queue_notify,
	    "notify-send \"$MSMTP_REASON\"", ACC_QUEUE_NOTIFY),
	BAD("bogus_cmd", "x", "unknown command bogus_cmd"),
	BAD("Host", "x", "unknown command Host"),
	BAD("account", "x", "unknown command account"),
	BAD("eval", "x", "unknown command eval"),
};

static void test_set_table(void)
{
	size_t i;

	setenv("HOME", "/h", 1);
	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *t = &set_cases[i];
		struct account *a = account_new("t");
		char *err = NULL;
		int rc = conf_set(a, t->cmd, t->arg, &err);

		if (t->err != NULL) {
			CHECK_INT(rc, EX_CONFIG);
			CHECK_STR(err, t->err);
			CHECK_INT(a->mask, 0);
		} else if (rc != EX_OK) {
			fprintf(stderr, "%s %s: %s\n", t->cmd, t->arg, err);
			CHECK_INT(rc, EX_OK);
		} else if (t->is_str) {
			CHECK_STR(*(char **)((char *)a + t->off), t->sval);
			CHECK_INT(a->mask, ACC_MASK(t->bit));
		} else {
			CHECK_INT(*(int *)((char *)a + t->off), t->ival);
			CHECK_INT(a->mask, ACC_MASK(t->bit));
		}
		free(err);
		account_free(a);
	}
}

/* A snapshot keeps queue_keep_sent 0 (keep nothing), where other
 * numbers' 0 means unset and is left out. */
static void test_dump_keep_sent(void)
{
	struct account *a = account_new("t"), *b = account_new("t");
	char *err = NULL;
	struct buf out;

	a->queue_keep_sent = 0;
	buf_init(&out);
	snapshot_dump(a, &out);
	CHECK(out.data != NULL &&
	    strstr(out.data, "queue_keep_sent \"0\"\n") != NULL);
	CHECK_INT(snapshot_undump(out.data, b, &err), EX_OK);
	CHECK_INT(b->queue_keep_sent, 0);
	buf_free(&out);
	free(err);
	account_free(a);
	account_free(b);
}

/* A snapshot keeps queue_notify as written, quotes and all, so that the
 * runner runs the command msmtp would have run. */
static void test_dump_notify(void)
{
	struct account *a = account_new("t"), *b = account_new("t");
	const char *cmd = "notify-send \"msmtp: $MSMTP_QUEUE_EVENT\" "
	    "\"$MSMTP_REASON\"";
	char *err = NULL;
	struct buf out;

	a->queue_notify = strdup(cmd);
	buf_init(&out);
	snapshot_dump(a, &out);
	CHECK_INT(snapshot_undump(out.data, b, &err), EX_OK);
	CHECK(b->queue_notify != NULL && strcmp(b->queue_notify, cmd) == 0);
	buf_free(&out);
	free(err);
	account_free(a);
	account_free(b);
}

static void test_set_noop_and_null(void)
{
	struct account *a = account_new(NULL);
	char *err = NULL;

	CHECK_INT(conf_set(a, "tls_force_sslv3", "anything", &err), EX_OK);
	CHECK_INT(a->mask, 0);
	CHECK_INT(conf_set(a, "tls", NULL, &err), EX_OK);
	CHECK_INT(a->tls, 1);
	/* a failed command leaves the value alone */
	CHECK_INT(conf_set(a, "port", "2525", &err), EX_OK);
	CHECK_INT(conf_set(a, "port", "x", &err), EX_CONFIG);
	CHECK_INT(a->port, 2525);
	free(err);
	account_free(a);
}

UNIT_MAIN(
	UNIT_CASE(test_account_new_defaults),
	UNIT_CASE(test_account_copy_merge),
	UNIT_CASE(test_set_table),
	UNIT_CASE(test_set_noop_and_null),
	UNIT_CASE(test_dump_keep_sent),
	UNIT_CASE(test_dump_notify)
)
