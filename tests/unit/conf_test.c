/*
 * conf_test - the msmtprc reader and the account helpers.
 *
 * Every case runs in its own child (unit.h), works in a fresh mkdtemp
 * directory it chdirs into, so messages name the file "rc" as msmtp
 * would, and may change the environment freely. Expected texts were
 * taken from Debian's msmtp 1.8.23.
 */
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "unit.h"

#include "account/account.h"
#include "account/conf.h"
#include "account/conffiles.h"
#include "account/snapshot.h"
#include "util/buf.h"
#include "util/xalloc.h"

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * enter_tmpdir - run the rest of the case in a fresh directory. unit.h
 * ends a case with _exit(), so no atexit() cleanup would run: the case
 * goes on in a child while this process waits, removes the directory
 * and exits with the child's status.
 */
static void enter_tmpdir(void)
{
	pid_t pid;
	int status = 1, ws;

	strcpy(tmpdir, "/tmp/conf_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("HOME", tmpdir, 1);
	unsetenv("XDG_CONFIG_HOME");
	fflush(NULL);
	if ((pid = fork()) == 0) {
		alarm(10);
		return;
	}
	if (pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	if (chdir("/") == 0)
		nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	_exit(status);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	FILE *fp = fopen(name, "w");

	if (fp == NULL) {
		perror(name);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	chmod(name, mode);
}

/* load - conf_load() of text as the -C file "rc", as root would. */
static int load(const char *text, struct conf *c, char **err)
{
	*err = NULL;
	write_file("rc", text, 0600);
	return conf_load(NULL, "rc", 1, 0, c, err);
}

/* load_err - the error of loading text (rc in *rc), or NULL. */
static char *load_err(const char *text, int *rc)
{
	struct conf c;
	char *err;

	*rc = load(text, &c, &err);
	conf_free(&c);
	return err;
}

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

/* ---- the file reader ---- */

struct parse_case {
	const char	*text;
	const char	*host;	/* account default's host */
};

static const struct parse_case parse_cases[] = {
	{ "host \"a b\"\n", "a b" },
	{ "host a  b   \n", "a  b" },
	{ "host\t a\tb\t\n", "a\tb" },
	{ "  host   h  \n", "h" },
	{ "host \"a\\\"b\"\n", "a\\\"b" },	/* no escapes */
	{ "host \"a\\\"\n", "a\\" },
	{ "host \"a\" x\n", "\"a\" x" },
	{ "host \"abc\n", "\"abc" },
	{ "host \"\n", "\"" },
	{ "host a\"b\"c\n", "a\"b\"c" },
	{ "host x # not a comment\n", "x # not a comment" },
	{ "# comment\n   # indented\n\n\t\nhost h\n", "h" },
	{ "host h\r\n", "h" },
	{ "host h", "h" },
	{ "host \"\" x\n", "\"\" x" },
};

static void test_parse_lines(void)
{
	size_t i;

	enter_tmpdir();
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct conf c;
		char *err;
		struct account *a;

		CHECK_INT(load(parse_cases[i].text, &c, &err), EX_OK);
		CHECK_STR(err, NULL);
		a = conf_find(&c, "default");
		CHECK(a != NULL);
		if (a != NULL)
			CHECK_STR(a->host, parse_cases[i].host);
		conf_free(&c);
		free(err);
	}
}

struct error_case {
	const char	*text;
	int		 rc;
	const char	*err;
};

static const struct error_case error_cases[] = {
	{ "host h\n\n# x\nbogus_cmd x\n", EX_CONFIG,
	    "rc: line 4: unknown command bogus_cmd" },
	{ "HOST h\n", EX_CONFIG, "rc: line 1: unknown command HOST" },
	/* one trailing CR goes; another is a line break in the value, which
	 * msmtp keeps (DELIBERATE DIFFERENCE: it would reach a command) */
	{ "host h\r\r\n", EX_CONFIG, "rc: line 1: command host: h\\x0d: "
	    "a line break (CR or LF) is not allowed there" },
	{ "host h\nfrom a@b\rRCPT TO:<c@d>\n", EX_CONFIG,
	    "rc: line 2: command from: a@b\\x0dRCPT TO:<c@d>: a line break "
	    "(CR or LF) is not allowed there" },
	{ "host h\ndomain x\ry\n", EX_CONFIG, "rc: line 2: command domain: "
	    "x\\x0dy: a line break (CR or LF) is not allowed there" },
	{ "host h\nport 1\x1b\n", EX_CONFIG,
	    "rc: line 2: invalid argument 1\\x1b for command port" },
	{ "host h\ntls yes\n", EX_CONFIG,
	    "rc: line 2: invalid argument yes for command tls" },
	{ "host \"\"\n", EX_CONFIG, "rc: line 1: command host needs an argument" },
	{ "port\n", EX_CONFIG, "rc: line 1: command port needs an argument" },
	{ "defaults x\n", EX_CONFIG,
	    "rc: line 1: command defaults does not take an argument" },
	{ "account\n", EX_CONFIG, "rc: line 1: missing account name" },
	{ "account a,b\n", EX_CONFIG,
	    "rc: line 1: an account name must not contain colons or commas" },
	{ "account a:b\n", EX_CONFIG, "rc: line 1: account b not (yet) defined" },
	{ "account a\naccount a\n", EX_CONFIG,
	    "rc: line 2: account a was already defined" },
	{ "host h\naccount default\n", EX_CONFIG,
	    "rc: line 2: account default was already defined" },
	{ "account a\naccount b : a,\n", EX_CONFIG,
	    "rc: line 2: missing account name" },
	{ "account a\naccount b :\n", EX_CONFIG,
	    "rc: line 2: missing account name" },
	{ "account : a\n", EX_CONFIG, "rc: line 1: missing account name" },
	{ "account a\naccount b :: a\n", EX_CONFIG,
	    "rc: line 2: account : a not (yet) defined" },
	{ "account a\naccount b : a, \" a\"\n", EX_CONFIG,
	    "rc: line 2: account  a not (yet) defined" },
	{ "account b : b\n", EX_CONFIG, "rc: line 1: account b not (yet) defined" },
	{ "eval\n", EX_CONFIG, "rc: line 1: command eval needs an argument" },
	{ "eval true\n", EX_IOERR, "rc: cannot read output of 'true'" },
	{ "eval echo bogus\n", EX_CONFIG, "rc: line 1: unknown command bogus" },
	{ "eval echo eval echo host x\n", EX_CONFIG,
	    "rc: line 1: unknown command eval" },
};

static void test_parse_errors(void)
{
	size_t i;

	enter_tmpdir();
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		int rc;
		char *err = load_err(error_cases[i].text, &rc);

		CHECK_INT(rc, error_cases[i].rc);
		CHECK_STR(err, error_cases[i].err);
		free(err);
	}
}

static void test_implicit_default(void)
{
	struct conf c;
	char *err;
	struct account *d;

	enter_tmpdir();
	CHECK_INT(load("host h0\nport 1\naccount x\nhost hx\n", &c, &err),
	    EX_OK);
	CHECK_INT(c.nacc, 2);
	d = conf_find(&c, "default");
	CHECK(d != NULL);
	if (d != NULL) {
		CHECK_STR(d->host, "h0");
		CHECK_INT(d->port, 1);
		CHECK_STR(d->conffile, "rc");
	}
	CHECK_STR(conf_find(&c, "x")->host, "hx");
	CHECK_INT(conf_find(&c, "x")->port, 0);
	conf_free(&c);
}

static void test_defaults_and_inheritance(void)
{
	static const char text[] =
	    "defaults\n"
	    "domain dd\n"
	    "tls on\n"
	    "account a\n"
	    "host ha\n"
	    "port 1\n"
	    "domain da\n"
	    "account b\n"
	    "host hb\n"
	    "user ub\n"
	    "defaults\n"
	    "domain dd2\n"
	    "port 7\n"
	    "logfile -\n"
	    "account c : a , b\n"
	    "user uc\n"
	    "account d : b,a\n"
	    "account e\n"
	    "account default : \"c\"\n";
	struct conf c;
	char *err;
	struct account *a;

	enter_tmpdir();
	CHECK_INT(load(text, &c, &err), EX_OK);
	CHECK_STR(err, NULL);
	CHECK_INT(c.nacc, 6);
	/* c: defaults, then a, then b laid over, then its own lines */
	a = conf_find(&c, "c");
	CHECK_STR(a->host, "hb");
	CHECK_INT(a->port, 1);		/* a's, over the second defaults */
	CHECK_STR(a->domain, "da");	/* a's own; b's came from defaults */
	CHECK_STR(a->user, "uc");
	CHECK_STR(a->logfile, "-");
	CHECK_INT(a->tls, 1);
	CHECK_STR(a->conffile, "rc");
	/* d: the other order */
	a = conf_find(&c, "d");
	CHECK_STR(a->host, "ha");
	CHECK_STR(a->user, "ub");
	CHECK_STR(a->domain, "da");
	/* e: the defaults as they are now (one defaults, continued) */
	a = conf_find(&c, "e");
	CHECK_STR(a->host, NULL);
	CHECK_INT(a->port, 7);
	CHECK_STR(a->domain, "dd2");
	CHECK_INT(a->tls, 1);
	CHECK_INT(a->mask, 0);		/* values from defaults, no bits */
	/* account default : c */
	a = conf_find(&c, "default");
	CHECK_STR(a->user, "uc");
	CHECK_STR(a->id, "default");
	/* file order is kept */
	CHECK_STR(c.acc[0]->id, "a");
	CHECK_STR(c.acc[5]->id, "default");
	conf_free(&c);
}

static void test_account_names(void)
{
	struct conf c;
	char *err;

	enter_tmpdir();
	CHECK_INT(load("account a b\nhost h1\naccount \"q\"\nhost h2\n"
	    "account \"r : q\"\naccount defaults\nhost h3\n"
	    "account s : \"a b\"\naccount \" t \" : q\n", &c, &err), EX_OK);
	CHECK_STR(err, NULL);
	CHECK_STR(conf_find(&c, "a b")->host, "h1");
	CHECK_STR(conf_find(&c, "q")->host, "h2");
	CHECK_STR(conf_find(&c, "r")->host, "h2");
	CHECK_STR(conf_find(&c, "defaults")->host, "h3");
	CHECK_STR(conf_find(&c, "s")->host, "h1");
	CHECK_STR(conf_find(&c, " t ")->host, "h2");
	CHECK(conf_find(&c, "t") == NULL);
	conf_free(&c);
	free(err);
	/* the whole argument loses its quotes first, as in msmtp */
	CHECK_INT(load("account a b\naccount \" s \" : \"a b\"\n", &c, &err),
	    EX_CONFIG);
	CHECK_STR(err, "rc: line 2: account \"a b not (yet) defined");
	conf_free(&c);
	free(err);
}

static void test_eval(void)
{
	struct conf c;
	char *err;
	struct account *a;

	enter_tmpdir();
	CHECK_INT(load("eval echo host evh\n"
	    "eval printf 'port 99\\r\\nhost no\\n'\n"
	    "eval echo\n"
	    "eval echo '# just a comment'\n"
	    "eval \"echo '  user   spaced  '\"\n"
	    "eval cat\n"		/* stdin is /dev/null */
	    "eval echo from x; exit 3\n"
	    "domain d\n", &c, &err), EX_IOERR);
	CHECK_STR(err, "rc: cannot read output of 'cat'");
	free(err);
	conf_free(&c);

	CHECK_INT(load("eval echo host evh\n"
	    "eval printf 'port 99\\r\\nhost no\\n'\n"
	    "eval echo\n"
	    "eval echo '# just a comment'\n"
	    "eval \"echo '  user   spaced  '\"\n"
	    "eval echo from x; exit 3\n"
	    "domain d\n", &c, &err), EX_OK);
	a = conf_find(&c, "default");
	CHECK_STR(a->host, "evh");
	CHECK_INT(a->port, 99);
	CHECK_STR(a->user, "spaced");
	CHECK_STR(a->from, "x");
	CHECK_STR(a->domain, "d");
	conf_free(&c);
}

static void test_long_lines(void)
{
	struct buf b;
	struct conf c;
	char *err, *tok;
	size_t i;

	enter_tmpdir();
	tok = xmalloc(10001);
	for (i = 0; i < 10000; i++)
		tok[i] = (char)('a' + i % 26);
	tok[10000] = '\0';
	buf_init(&b);
	buf_printf(&b, "host h\npassword \"%s\"\neval echo user %s\n",
	    tok, tok);
	CHECK_INT(load(b.data, &c, &err), EX_OK);
	CHECK_STR(conf_find(&c, "default")->password, tok);
	CHECK_STR(conf_find(&c, "default")->user, tok);
	conf_free(&c);
	buf_free(&b);
	free(tok);
}

/* chown_to - give name to uid; 0 if that is not possible. */
static int chown_to(const char *name, uid_t uid)
{
	return chown(name, uid, (gid_t)-1) == 0;
}

static void test_secret_check(void)
{
	uid_t me = geteuid(), other = me == 0 ? 4242 : me;
	struct conf c;
	char *err = NULL;

	enter_tmpdir();
	write_file("rc", "host h\npassword x\n", 0644);
	/* owned by someone else */
	CHECK_INT(conf_load(NULL, "rc", 1, me + 1, &c, &err), EX_CONFIG);
	CHECK_STR(err, "rc: contains secrets and therefore must be owned by you");
	conf_free(&c);
	free(err);
	err = NULL;
	if (!chown_to("rc", other))
		return;
	/* too open, in each of the ways msmtp refuses */
	chmod("rc", 0644);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_CONFIG);
	CHECK_STR(err, "rc: contains secrets and therefore must have no more "
	    "than user read/write permissions");
	conf_free(&c);
	free(err);
	err = NULL;
	chmod("rc", 0700);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_CONFIG);
	conf_free(&c);
	free(err);
	err = NULL;
	/* fine */
	chmod("rc", 0600);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_OK);
	conf_free(&c);
	chmod("rc", 0400);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_OK);
	conf_free(&c);
	/* root is not checked */
	chmod("rc", 0666);
	CHECK_INT(conf_load(NULL, "rc", 1, 0, &c, &err), EX_OK);
	conf_free(&c);
	/* nor the system file */
	CHECK_INT(conf_load("rc", NULL, 0, other, &c, &err), EX_OK);
	conf_free(&c);
	/* an empty password counts, a password from eval does not */
	write_file("rc", "host h\n  password\n", 0644);
	chown_to("rc", other);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_CONFIG);
	conf_free(&c);
	free(err);
	err = NULL;
	write_file("rc", "host h\neval echo password x\npasswordeval y\n",
	    0644);
	chown_to("rc", other);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_OK);
	conf_free(&c);
	/* a syntax error is reported first */
	write_file("rc", "password x\nbogus\n", 0644);
	chown_to("rc", other);
	CHECK_INT(conf_load(NULL, "rc", 1, other, &c, &err), EX_CONFIG);
	CHECK_STR(err, "rc: line 2: unknown command bogus");
	conf_free(&c);
	free(err);
}

static void test_missing_files(void)
{
	struct conf c;
	char *err = NULL;

	enter_tmpdir();
	/* -C: required */
	CHECK_INT(conf_load("nosys", "nouser", 1, 0, &c, &err), EX_IOERR);
	CHECK_STR(err, "nouser: No such file or directory");
	CHECK_STR(c.sysfile_error, "No such file or directory");
	CHECK_INT(c.sysfile_loaded, 0);
	conf_free(&c);
	free(err);
	err = NULL;
	/* the default user file: ignored */
	CHECK_INT(conf_load("nosys", "nouser", 0, 0, &c, &err), EX_OK);
	CHECK_STR(err, NULL);
	CHECK_STR(c.userfile, "nouser");
	CHECK_STR(c.userfile_error, "No such file or directory");
	CHECK_INT(c.userfile_loaded, 0);
	CHECK_INT(c.nacc, 0);
	conf_free(&c);
	/* a directory opens but cannot be read */
	mkdir("dir", 0700);
	CHECK_INT(conf_load(NULL, "dir", 0, 0, &c, &err), EX_IOERR);
	CHECK_STR(err, "dir: input error");
	conf_free(&c);
	free(err);
	err = NULL;
	/* a broken system file stops everything */
	write_file("sys", "bogus\n", 0644);
	write_file("user", "host h\n", 0600);
	CHECK_INT(conf_load("sys", "user", 1, 0, &c, &err), EX_CONFIG);
	CHECK_STR(err, "sys: line 1: unknown command bogus");
	conf_free(&c);
	free(err);
}

static void test_user_overrides_system(void)
{
	struct conf c;
	char *err = NULL;

	enter_tmpdir();
	write_file("sys", "account dup\nhost sysdup\nport 1\n"
	    "account s1\nhost s1\naccount s2\nhost s2\n", 0644);
	write_file("user", "account u1\nhost u1\naccount dup\nhost userdup\n"
	    "account s2x : u1\n", 0600);
	CHECK_INT(conf_load("sys", "user", 1, 0, &c, &err), EX_OK);
	CHECK_INT(c.sysfile_loaded, 1);
	CHECK_INT(c.userfile_loaded, 1);
	CHECK_INT(c.nacc, 5);
	CHECK_STR(c.acc[0]->id, "s1");
	CHECK_STR(c.acc[1]->id, "s2");
	CHECK_STR(c.acc[2]->id, "u1");
	CHECK_STR(c.acc[3]->id, "dup");
	CHECK_STR(c.acc[3]->host, "userdup");
	CHECK_INT(c.acc[3]->port, 0);		/* replaced, not merged */
	CHECK_STR(c.acc[3]->conffile, "user");
	CHECK_STR(c.acc[0]->conffile, "sys");
	conf_free(&c);
	/* a user file cannot inherit from the system file */
	write_file("user", "account x : s1\n", 0600);
	CHECK_INT(conf_load("sys", "user", 1, 0, &c, &err), EX_CONFIG);
	CHECK_STR(err, "user: line 1: account s1 not (yet) defined");
	conf_free(&c);
	free(err);
}

static void test_default_files(void)
{
	char *sys, *user, *want;

	enter_tmpdir();
	conf_default_files(&sys, &user);
	CHECK_STR(sys, SYSCONFDIR "/msmtprc");
	want = xasprintf("%s/.msmtprc", tmpdir);
	CHECK_STR(user, want);		/* neither exists */
	free(sys);
	free(user);

	mkdir(".config", 0700);
	mkdir(".config/msmtp", 0700);
	write_file(".config/msmtp/config", "", 0600);
	conf_default_files(&sys, &user);
	free(want);
	want = xasprintf("%s/.config/msmtp/config", tmpdir);
	CHECK_STR(user, want);		/* only the XDG one exists */
	free(sys);
	free(user);

	write_file(".msmtprc", "", 0600);
	conf_default_files(&sys, &user);
	free(want);
	want = xasprintf("%s/.msmtprc", tmpdir);
	CHECK_STR(user, want);		/* ~/.msmtprc wins */
	free(sys);
	free(user);

	unlink(".msmtprc");
	mkdir("xdg", 0700);
	mkdir("xdg/msmtp", 0700);
	write_file("xdg/msmtp/config", "", 0600);
	setenv("XDG_CONFIG_HOME", "xdg", 1);
	conf_default_files(&sys, &user);
	CHECK_STR(user, "xdg/msmtp/config");
	free(sys);
	free(user);
	free(want);

	setenv("HOME", "", 1);
	unsetenv("XDG_CONFIG_HOME");
	conf_default_files(&sys, &user);
	CHECK_STR(user, "/.msmtprc");
	free(sys);
	free(user);
}

/* conf_load_default - -C's file is required; with --host nothing is
 * read at all, not even a -C file that is not there. */
static void test_load_default(void)
{
	struct conf c;
	char *err = NULL;

	enter_tmpdir();
	CHECK_INT(conf_load_default("nouser", NULL, &c, &err), EX_IOERR);
	CHECK_STR(err, "nouser: No such file or directory");
	conf_free(&c);
	free(err);
	err = NULL;
	write_file("rc", "account a\nhost h\n", 0600);
	CHECK_INT(conf_load_default("rc", NULL, &c, &err), EX_OK);
	CHECK_INT(c.userfile_loaded, 1);
	CHECK(conf_find(&c, "a") != NULL);
	conf_free(&c);
	CHECK_INT(conf_load_default("nouser", "mx.example.org", &c, &err),
	    EX_OK);
	CHECK_STR(err, NULL);
	CHECK_INT(c.nacc, 0);
	CHECK_STR(c.sysfile, NULL);
	CHECK_STR(c.userfile, NULL);
	conf_free(&c);
}

UNIT_MAIN(
	UNIT_CASE(test_account_new_defaults),
	UNIT_CASE(test_account_copy_merge),
	UNIT_CASE(test_set_table),
	UNIT_CASE(test_set_noop_and_null),
	UNIT_CASE(test_dump_keep_sent),
	UNIT_CASE(test_dump_notify),
	UNIT_CASE(test_parse_lines),
	UNIT_CASE(test_parse_errors),
	UNIT_CASE(test_implicit_default),
	UNIT_CASE(test_defaults_and_inheritance),
	UNIT_CASE(test_account_names),
	UNIT_CASE(test_eval),
	UNIT_CASE(test_long_lines),
	UNIT_CASE(test_secret_check),
	UNIT_CASE(test_missing_files),
	UNIT_CASE(test_load_default),
	UNIT_CASE(test_user_overrides_system),
	UNIT_CASE(test_default_files)
)
