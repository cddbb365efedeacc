/*
 * pretend_test - the -P text, against what Debian's msmtp 1.8.23 printed
 * for the same configurations (tests/integ/test_compat.py runs the same
 * comparisons end to end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "unit.h"

#include "account/account.h"
#include "account/conf.h"
#include "account/select.h"
#include "client/pretend.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* The connection and TLS keys of an account with nothing set. */
#define BLOCK_TOP(host, port)						\
	"host = " host "\n"						\
	"port = " port "\n"						\
	"source ip = (not set)\n"					\
	"proxy host = (not set)\n"					\
	"proxy port = 0\n"						\
	"socket = (not set)\n"						\
	"timeout = off\n"						\
	"protocol = smtp\n"						\
	"domain = localhost\n"						\
	"auth = none\n"							\
	"user = (not set)\n"						\
	"password = (not set)\n"					\
	"passwordeval = (not set)\n"					\
	"ntlmdomain = (not set)\n"					\
	"tls = off\n"							\
	"tls_starttls = on\n"						\
	"tls_trust_file = system\n"					\
	"tls_crl_file = (not set)\n"					\
	"tls_fingerprint = (not set)\n"					\
	"tls_key_file = (not set)\n"					\
	"tls_cert_file = (not set)\n"					\
	"tls_certcheck = on\n"						\
	"tls_min_dh_prime_bits = (not set)\n"				\
	"tls_priorities = (not set)\n"					\
	"tls_host_override = (not set)\n"

/* The sendmail keys of 1.8.23 for an account with only from set. */
#define BLOCK_SENDMAIL(from)						\
	"auto_from = off\n"						\
	"maildomain = (not set)\n"					\
	"from = " from "\n"						\
	"allow_from_override = on\n"					\
	"set_from_header = auto\n"					\
	"set_date_header = auto\n"					\
	"remove_bcc_headers = on\n"					\
	"undisclosed_recipients = off\n"				\
	"dsn_notify = (not set)\n"					\
	"dsn_return = (not set)\n"					\
	"logfile = (not set)\n"						\
	"logfile_time_format = (not set)\n"				\
	"syslog = (not set)\n"						\
	"aliases = (not set)\n"

#define NO_SYS "ignoring system configuration file /etc/msmtprc: " \
	"No such file or directory\n"

/* set - conf_set() that must succeed. */
static void set(struct account *a, const char *cmd, const char *arg)
{
	char *err = NULL;

	if (conf_set(a, cmd, arg, &err) != EX_OK) {
		fprintf(stderr, "conf_set %s %s: %s\n", cmd, arg, err);
		exit(1);
	}
}

/* fake_conf - a conf as conf_load() leaves it: no system file, user. */
static void fake_conf(struct conf *c, const char *userfile)
{
	conf_init(c);
	c->sysfile = xstrdup("/etc/msmtprc");
	c->sysfile_error = xstrdup("No such file or directory");
	if (userfile != NULL) {
		c->userfile = xstrdup(userfile);
		c->userfile_loaded = 1;
	}
}

static void check_text(const struct pretend_info *pi, const char *want)
{
	struct buf b;

	buf_init(&b);
	pretend_format(pi, &b);
	if (strcmp(b.data, want) != 0)
		fprintf(stderr, "--- got ---\n%s--- want ---\n%s", b.data,
		    want);
	CHECK_STR(b.data, want);
	buf_free(&b);
}

/* A default account: msmtp -C rc -P bob@example.net */
static void test_default(void)
{
	struct pretend_info pi;
	struct account *a = account_new("default");
	struct conf c;

	a->conffile = xstrdup("rc");
	set(a, "host", "127.0.0.1");
	set(a, "port", "2525");
	set(a, "from", "alice@example.org");
	account_fill_defaults(a);
	fake_conf(&c, "rc");
	memset(&pi, 0, sizeof(pi));
	pi.sendmail_mode = 1;
	pi.conf = &c;
	pi.have_rule = 1;
	pi.rule = SELECT_DEFAULT;
	pi.acc = a;
	check_text(&pi, NO_SYS
	    "loaded user configuration file rc\n"
	    "falling back to default account\n"
	    "using account default from rc\n"
	    BLOCK_TOP("127.0.0.1", "2525")
	    BLOCK_SENDMAIL("alice@example.org")
	    "reading recipients from the command line\n");
	pi.read_recipients = 1;
	pi.rule = SELECT_BY_ID;
	check_text(&pi, NO_SYS
	    "loaded user configuration file rc\n"
	    "using account default from rc\n"
	    BLOCK_TOP("127.0.0.1", "2525")
	    BLOCK_SENDMAIL("alice@example.org")
	    "reading recipients from the command line and the mail\n");
	account_free(a);
	conf_free(&c);
}

/* Most settings changed: the value forms. */
static void test_values(void)
{
	struct pretend_info pi;
	struct account *a = account_new("default");
	struct conf c;

	a->conffile = xstrdup("rc2");
	set(a, "host", "mx.example");
	set(a, "timeout", "30");
	set(a, "auth", "plain");
	set(a, "user", "bob");
	set(a, "password", "secret");
	set(a, "tls", "on");
	set(a, "tls_starttls", "off");
	set(a, "tls_fingerprint", "00:11:22:33:44:55:66:77:88:99:aa:bb:"
	    "cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
	set(a, "proxy_host", "proxy.example");
	set(a, "dsn_return", "headers");
	set(a, "dsn_notify", "failure,delay");
	set(a, "syslog", "on");
	set(a, "from", "a1@example.org");
	set(a, "logfile", "-");
	set(a, "set_from_header", "on");
	set(a, "set_date_header", "off");
	set(a, "undisclosed_recipients", "on");
	set(a, "remove_bcc_headers", "off");
	set(a, "allow_from_override", "off");
	set(a, "tls_min_dh_prime_bits", "1024");
	set(a, "tls_certcheck", "off");
	set(a, "domain", "");
	account_fill_defaults(a);
	fake_conf(&c, "rc2");
	memset(&pi, 0, sizeof(pi));
	pi.sendmail_mode = 1;
	pi.conf = &c;
	pi.have_rule = 1;
	pi.rule = SELECT_BY_FROM;
	pi.rule_from = "A1@EXAMPLE.ORG";
	pi.rule_id = "default";
	pi.acc = a;
	check_text(&pi, NO_SYS
	    "loaded user configuration file rc2\n"
	    "account chosen by envelope from address A1@EXAMPLE.ORG: default\n"
	    "using account default from rc2\n"
	    "host = mx.example\n"
	    "port = 465\n"
	    "source ip = (not set)\n"
	    "proxy host = proxy.example\n"
	    "proxy port = 1080\n"
	    "socket = (not set)\n"
	    "timeout = 30 seconds\n"
	    "protocol = smtp\n"
	    "domain = \n"
	    "auth = PLAIN\n"
	    "user = bob\n"
	    "password = *\n"
	    "passwordeval = (not set)\n"
	    "ntlmdomain = (not set)\n"
	    "tls = on\n"
	    "tls_starttls = off\n"
	    "tls_trust_file = system\n"
	    "tls_crl_file = (not set)\n"
	    "tls_fingerprint = 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"
	    "FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n"
	    "tls_key_file = (not set)\n"
	    "tls_cert_file = (not set)\n"
	    "tls_certcheck = off\n"
	    "tls_min_dh_prime_bits = 1024\n"
	    "tls_priorities = (not set)\n"
	    "tls_host_override = (not set)\n"
	    "auto_from = off\n"
	    "maildomain = (not set)\n"
	    "from = a1@example.org\n"
	    "allow_from_override = off\n"
	    "set_from_header = on\n"
	    "set_date_header = off\n"
	    "remove_bcc_headers = off\n"
	    "undisclosed_recipients = on\n"
	    "dsn_notify = FAILURE,DELAY\n"
	    "dsn_return = HDRS\n"
	    "logfile = -\n"
	    "logfile_time_format = (not set)\n"
	    "syslog = LOG_USER\n"
	    "aliases = (not set)\n"
	    "reading recipients from the command line\n");
	account_free(a);
	conf_free(&c);
}

static void test_timeout_and_auth(void)
{
	static const struct {
		const char	*cmd, *arg, *line;
	} t[] = {
		{ "timeout", "1", "timeout = 1 second\n" },
		{ "timeout", "2", "timeout = 2 seconds\n" },
		{ "timeout", "off", "timeout = off\n" },
		{ "auth", "on", "auth = choose\n" },
		{ "auth", "", "auth = choose\n" },
		{ "auth", "off", "auth = none\n" },
		{ "auth", "scram-sha-256", "auth = SCRAM-SHA-256\n" },
		{ "protocol", "lmtp", "protocol = lmtp\n" },
		{ "tls_trust_file", "", "tls_trust_file = (not set)\n" },
		{ "dsn_return", "full", "dsn_return = FULL\n" },
		{ "dsn_notify", "never", "dsn_notify = NEVER\n" },
		{ "syslog", "LOG_MAIL", "syslog = LOG_MAIL\n" },
		{ "set_from_header", "off", "set_from_header = off\n" },
		{ "maildomain", "", "maildomain = \n" },
		{ "from", "", "from = \n" },
		{ "auto_from", "on", "auto_from = on\n" },
	};
	struct pretend_info pi;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct account *a = account_new(NULL);
		struct buf b;

		set(a, "host", "h");
		set(a, t[i].cmd, t[i].arg);
		memset(&pi, 0, sizeof(pi));
		pi.sendmail_mode = 1;
		pi.acc = a;
		buf_init(&b);
		pretend_format(&pi, &b);
		if (strstr(b.data, t[i].line) == NULL)
			fprintf(stderr, "%s %s: no \"%s\"\n", t[i].cmd,
			    t[i].arg, t[i].line);
		CHECK(strstr(b.data, t[i].line) != NULL);
		/* no "using account" line without a conffile */
		CHECK(strncmp(b.data, "host = h\n", 9) == 0);
		buf_free(&b);
		account_free(a);
	}
}

/* --host=mx.example -P -f a@b x@y */
static void test_cmdline_host(void)
{
	struct pretend_info pi;
	struct account *a = account_new(NULL);

	set(a, "host", "mx.example");
	set(a, "from", "a@b");
	account_fill_defaults(a);
	memset(&pi, 0, sizeof(pi));
	pi.sendmail_mode = 1;
	pi.cmdline_host = 1;
	pi.acc = a;
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("mx.example", "25") BLOCK_SENDMAIL("a@b")
	    "reading recipients from the command line\n");
	account_free(a);
}

/* EMAIL=e@mail.example SMTPSERVER=smtp.example msmtp -P x@y */
static void test_env(void)
{
	struct pretend_info pi;
	struct account *a = account_new(NULL);
	struct conf c;

	set(a, "host", "smtp.example");
	set(a, "from", "e@mail.example");
	account_fill_defaults(a);
	conf_init(&c);
	c.sysfile = xstrdup("/etc/msmtprc");
	c.sysfile_error = xstrdup("No such file or directory");
	c.userfile = xstrdup("/root/.msmtprc");
	c.userfile_error = xstrdup("No such file or directory");
	memset(&pi, 0, sizeof(pi));
	pi.sendmail_mode = 1;
	pi.conf = &c;
	pi.have_rule = 1;
	pi.rule = SELECT_ENV;
	pi.acc = a;
	check_text(&pi, NO_SYS
	    "ignoring user configuration file /root/.msmtprc: "
	    "No such file or directory\n"
	    "falling back to default account\n"
	    "using environment variables EMAIL and SMTPSERVER\n"
	    BLOCK_TOP("smtp.example", "25") BLOCK_SENDMAIL("e@mail.example")
	    "reading recipients from the command line\n");
	account_free(a);
	conf_free(&c);
}

/* --read-envelope-from: the line comes first, even with no From. */
static void test_read_envelope_from(void)
{
	struct pretend_info pi;
	struct account *a = account_new("default");
	struct conf c;

	a->conffile = xstrdup("rc");
	set(a, "host", "127.0.0.1");
	set(a, "port", "2525");
	account_fill_defaults(a);
	fake_conf(&c, "rc");
	memset(&pi, 0, sizeof(pi));
	pi.sendmail_mode = 1;
	pi.read_envelope_from = 1;
	pi.conf = &c;
	pi.have_rule = 1;
	pi.rule = SELECT_DEFAULT;
	pi.acc = a;
	check_text(&pi, "envelope from address extracted from mail: (null)\n"
	    NO_SYS
	    "loaded user configuration file rc\n"
	    "falling back to default account\n"
	    "using account default from rc\n"
	    BLOCK_TOP("127.0.0.1", "2525")
	    BLOCK_SENDMAIL("(read from mail)")
	    "reading recipients from the command line\n");
	set(a, "from", "carol@example.com");
	pi.extracted_from = "carol@example.com";
	check_text(&pi, "envelope from address extracted from mail: "
	    "carol@example.com\n"
	    NO_SYS
	    "loaded user configuration file rc\n"
	    "falling back to default account\n"
	    "using account default from rc\n"
	    BLOCK_TOP("127.0.0.1", "2525")
	    BLOCK_SENDMAIL("carol@example.com")
	    "reading recipients from the command line\n");
	account_free(a);
	conf_free(&c);
}

/* --serverinfo and --rmqs: no sendmail keys. */
static void test_other_modes(void)
{
	struct pretend_info pi;
	struct account *a = account_new(NULL);

	set(a, "host", "h");
	account_fill_defaults(a);
	memset(&pi, 0, sizeof(pi));
	pi.cmdline_host = 1;
	pi.acc = a;
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25"));
	pi.rmqs = "@dom";
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25") "RMQS argument = @dom\n");
	account_free(a);
}

/* Errors: only what msmtp had printed before it stopped. */
static void test_partial(void)
{
	struct pretend_info pi;
	struct conf c;

	/* -C nonexist: the system line only */
	conf_init(&c);
	c.sysfile = xstrdup("/etc/msmtprc");
	c.sysfile_error = xstrdup("No such file or directory");
	c.userfile = xstrdup("nonexist");
	memset(&pi, 0, sizeof(pi));
	pi.sendmail_mode = 1;
	pi.conf = &c;
	check_text(&pi, NO_SYS);
	/* account not found / host not set: up to the selection */
	c.userfile_loaded = 1;
	pi.have_rule = 1;
	pi.rule = SELECT_DEFAULT;
	check_text(&pi, NO_SYS "loaded user configuration file nonexist\n"
	    "falling back to default account\n");
	/* a syntax error in the system file: nothing */
	conf_free(&c);
	conf_init(&c);
	c.sysfile = xstrdup("/etc/msmtprc");
	pi.have_rule = 0;
	check_text(&pi, "");
	conf_free(&c);
}

/* The 1.8.33 key set. */
static void test_keys_1_8_33(void)
{
	struct pretend_info pi;
	struct account *a = account_new(NULL);

	set(a, "host", "h");
	set(a, "from", "f@x");
	set(a, "from_full_name", "Full Name");
	set(a, "set_msgid_header", "off");
	set(a, "set_to_header", "on");
	account_fill_defaults(a);
	memset(&pi, 0, sizeof(pi));
	pi.keys = PRETEND_KEYS_1_8_33;
	pi.sendmail_mode = 1;
	pi.acc = a;
	check_text(&pi, BLOCK_TOP("h", "25")
	    "auto_from = off\n"
	    "maildomain = (not set)\n"
	    "from = f@x\n"
	    "from_full_name = Full Name\n"
	    "allow_from_override = on\n"
	    "set_from_header = auto\n"
	    "set_date_header = auto\n"
	    "set_msgid_header = off\n"
	    "set_to_header = on\n"
	    "remove_bcc_headers = on\n"
	    "dsn_notify = (not set)\n"
	    "dsn_return = (not set)\n"
	    "logfile = (not set)\n"
	    "logfile_time_format = (not set)\n"
	    "syslog = (not set)\n"
	    "aliases = (not set)\n"
	    "reading recipients from the command line\n");
	set(a, "set_to_header", "undisclosed_recipients");
	{
		struct buf b;

		buf_init(&b);
		pretend_format(&pi, &b);
		CHECK(strstr(b.data, "set_to_header = undisclosed_recipients\n")
		    != NULL);
		buf_reset(&b);
		pi.keys = PRETEND_KEYS_1_8_23;
		pretend_format(&pi, &b);
		CHECK(strstr(b.data, "undisclosed_recipients = on\n") != NULL);
		CHECK(strstr(b.data, "from_full_name") == NULL);
		CHECK(strstr(b.data, "set_msgid_header") == NULL);
		CHECK(strstr(b.data, "set_to_header") == NULL);
		buf_free(&b);
	}
	account_free(a);
}

/* pretend_print writes the same bytes. */
static void test_print(void)
{
	struct pretend_info pi;
	struct account *a = account_new(NULL);
	char *mem = NULL;
	size_t len = 0;
	FILE *fp;

	set(a, "host", "h");
	account_fill_defaults(a);
	memset(&pi, 0, sizeof(pi));
	pi.cmdline_host = 1;
	pi.acc = a;
	fp = open_memstream(&mem, &len);
	CHECK(fp != NULL);
	pretend_print(fp, &pi);
	fclose(fp);
	CHECK_STR(mem, "using account specified on command line\n"
	    BLOCK_TOP("h", "25"));
	free(mem);
	account_free(a);
}

/* Ours after msmtp's lines: the spool (-P, -d) and the mode (-d). */
static void test_queue_lines(void)
{
	struct pretend_info pi;
	struct account *a = account_new(NULL);

	set(a, "host", "h");
	set(a, "from", "a@b");
	account_fill_defaults(a);
	memset(&pi, 0, sizeof(pi));
	pi.cmdline_host = 1;
	pi.sendmail_mode = 1;
	pi.acc = a;
	pi.spool = "/home/u/.local/state/msmtp/queue.db";
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25") BLOCK_SENDMAIL("a@b")
	    "reading recipients from the command line\n"
	    "queue_file = /home/u/.local/state/msmtp/queue.db\n");
	pi.debug = 1;
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25") BLOCK_SENDMAIL("a@b")
	    "reading recipients from the command line\n"
	    "queue_file = /home/u/.local/state/msmtp/queue.db\n"
	    "delivery_mode = interactive\n");
	set(a, "delivery_mode", "background");
	pi.spool = NULL;
	pi.spool_error = "no user name";
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25") BLOCK_SENDMAIL("a@b")
	    "reading recipients from the command line\n"
	    "queue_file = (none: no user name)\n"
	    "delivery_mode = background\n");
	set(a, "queue", "off");
	pi.sendmail_mode = 0;		/* --serverinfo: no spool */
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25"));
	pi.sendmail_mode = 1;
	pi.spool = "q.db";
	pi.spool_error = NULL;
	check_text(&pi, "using account specified on command line\n"
	    BLOCK_TOP("h", "25") BLOCK_SENDMAIL("a@b")
	    "reading recipients from the command line\n"
	    "queue_file = q.db\n"
	    "delivery_mode = direct (queue off)\n");
	account_free(a);
}

UNIT_MAIN(
	UNIT_CASE(test_queue_lines),
	UNIT_CASE(test_default),
	UNIT_CASE(test_values),
	UNIT_CASE(test_timeout_and_auth),
	UNIT_CASE(test_cmdline_host),
	UNIT_CASE(test_env),
	UNIT_CASE(test_read_envelope_from),
	UNIT_CASE(test_other_modes),
	UNIT_CASE(test_partial),
	UNIT_CASE(test_keys_1_8_33),
	UNIT_CASE(test_print)
)
