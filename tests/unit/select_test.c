/*
 * select_test - account selection, %-patterns and the final checks.
 *
 * Each case runs in its own child (unit.h) and may change the
 * environment. Expected texts come from Debian's msmtp 1.8.23.
 */
#include <ftw.h>
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
#include "account/select.h"
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

	strcpy(tmpdir, "/tmp/select_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0) {
		perror("mkdtemp");
		exit(1);
	}
	unsetenv("EMAIL");
	unsetenv("SMTPSERVER");
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

static void write_file(const char *name, const char *text)
{
	FILE *fp = fopen(name, "w");

	if (fp == NULL) {
		perror(name);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

/* ---- matching ---- */

static const struct {
	const char	*acc_from;
	const char	*addr;
	int		 match;
} match_cases[] = {
	{ "alice@example.org", "alice@example.org", 1 },
	{ "alice@example.org", "ALICE@Example.ORG", 1 },
	{ "alice@example.org", "alice+lists@example.org", 1 },
	{ "alice@example.org", "Alice+a+b@example.org", 1 },
	{ "alice@example.org", "alice+@example.org", 1 },
	{ "alice@example.org", "+alice@example.org", 0 },
	{ "alice@example.org", "alice@example.org.evil", 0 },
	{ "alice@example.org", "alice", 0 },
	{ "bob+x@plus.org", "bob+x@plus.org", 1 },
	{ "bob+x@plus.org", "bob+y@plus.org", 0 },
	{ "bob+x@plus.org", "bob@plus.org", 0 },
	{ "*@pat.org", "zed@pat.org", 1 },
	{ "*@pat.org", "Zed@PAT.org", 0 },	/* fnmatch is exact */
	{ "*@pat.org", "z+y@pat.org", 1 },	/* fixed in msmtp 1.8.24 */
	{ "[ab]ob@cls.org", "bob@cls.org", 1 },
	{ "[ab]ob@cls.org", "aob+k@cls.org", 1 },
	{ "[ab]ob@cls.org", "cob@cls.org", 0 },
	{ "user?@q.org", "user1@q.org", 1 },
	{ "%U@host", "%u@HOST", 1 },		/* not expanded */
};

static void test_from_matches(void)
{
	size_t i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		int m = select_from_matches(match_cases[i].acc_from,
		    match_cases[i].addr);

		if (m != match_cases[i].match)
			fprintf(stderr, "%s vs %s\n", match_cases[i].acc_from,
			    match_cases[i].addr);
		CHECK_INT(m, match_cases[i].match);
	}
}

/* ---- selection ---- */

static const char sys_text[] =
    "account s1\nhost s1\nfrom shared@example.org\n"
    "account dup\nhost sysdup\nfrom dup@example.org\n"
    "account s3\nhost s3\nfrom *@wild.org\n";
static const char user_text[] =
    "account u1\nhost u1\nfrom shared@example.org\n"
    "account dup\nhost userdup\nfrom dup@example.org\n"
    "account u2\nhost u2\nfrom Bob@Example.org\n"
    "account default : u1\n";

/* load - both files, or only one when the other text is NULL. */
static void load(const char *sys, const char *user, struct conf *c)
{
	char *err = NULL;

	if (sys != NULL)
		write_file("sys", sys);
	if (user != NULL)
		write_file("user", user);
	CHECK_INT(conf_load("sys", "user", 0, 0, c, &err), EX_OK);
	CHECK_STR(err, NULL);
}

struct sel_case {
	const char		*id;
	const char		*from;
	int			 rc;
	enum select_rule	 rule;
	const char		*want;	/* host of the result, or error */
};

static const struct sel_case sel_cases[] = {
	{ "u2", NULL, EX_OK, SELECT_BY_ID, "u2" },
	{ "u2", "shared@example.org", EX_OK, SELECT_BY_ID, "u2" },
	{ "nope", NULL, EX_CONFIG, SELECT_BY_ID,
	    "account nope not found in sys and user" },
	{ NULL, "shared@example.org", EX_OK, SELECT_BY_FROM, "s1" },
	{ NULL, "SHARED+x@example.org", EX_OK, SELECT_BY_FROM, "s1" },
	{ NULL, "dup@example.org", EX_OK, SELECT_BY_FROM, "userdup" },
	{ NULL, "bob@example.ORG", EX_OK, SELECT_BY_FROM, "u2" },
	{ NULL, "anyone@wild.org", EX_OK, SELECT_BY_FROM, "s3" },
	{ NULL, "nobody@nowhere", EX_OK, SELECT_DEFAULT, "u1" },
	{ NULL, NULL, EX_OK, SELECT_DEFAULT, "u1" },
};

static void test_select(void)
{
	struct conf c;
	size_t i;

	enter_tmpdir();
	load(sys_text, user_text, &c);
	for (i = 0; i < sizeof(sel_cases) / sizeof(sel_cases[0]); i++) {
		const struct sel_case *t = &sel_cases[i];
		struct account *a = NULL;
		enum select_rule rule = SELECT_ENV;
		char *err = NULL;
		int rc = select_account(&c, t->id, t->from, &a, &rule, &err);

		CHECK_INT(rc, t->rc);
		if (rc == EX_OK) {
			CHECK_INT(rule, t->rule);
			CHECK_STR(a->host, t->want);
		} else {
			CHECK_STR(err, t->want);
		}
		account_free(a);
		free(err);
	}
	/* the result is a copy */
	{
		struct account *a;
		enum select_rule rule;
		char *err = NULL;

		select_account(&c, "u2", NULL, &a, &rule, &err);
		CHECK(a != conf_find(&c, "u2"));
		CHECK_STR(a->id, "u2");
		CHECK_STR(a->conffile, "user");
		account_free(a);
	}
	conf_free(&c);
}

static void test_select_not_found(void)
{
	struct conf c;
	struct account *a = NULL;
	enum select_rule rule;
	char *err = NULL;

	enter_tmpdir();
	/* only the user file */
	load(NULL, "account a\nhost h\n", &c);
	CHECK_INT(select_account(&c, NULL, NULL, &a, &rule, &err), EX_CONFIG);
	CHECK_STR(err, "account default not found in user");
	free(err);
	err = NULL;
	conf_free(&c);
	/* only the system file */
	unlink("user");
	load("account a\nhost h\n", NULL, &c);
	CHECK_INT(select_account(&c, "zz", NULL, &a, &rule, &err), EX_CONFIG);
	CHECK_STR(err, "account zz not found in sys");
	free(err);
	err = NULL;
	conf_free(&c);
	/* none */
	unlink("sys");
	load(NULL, NULL, &c);
	CHECK_INT(select_account(&c, NULL, "a@b", &a, &rule, &err),
	    EX_CONFIG);
	CHECK_STR(err, "account default not found: no configuration file "
	    "available");
	free(err);
	err = NULL;
	/* EMAIL and SMTPSERVER, both needed */
	setenv("EMAIL", "me@example.org", 1);
	CHECK_INT(select_account(&c, NULL, NULL, &a, &rule, &err), EX_CONFIG);
	free(err);
	err = NULL;
	setenv("SMTPSERVER", "", 1);
	CHECK_INT(select_account(&c, NULL, NULL, &a, &rule, &err), EX_OK);
	CHECK_INT(rule, SELECT_ENV);
	CHECK_STR(a->host, "");
	CHECK_STR(a->from, "me@example.org");
	CHECK_STR(a->id, NULL);
	CHECK_STR(a->conffile, NULL);
	account_free(a);
	/* but never for -a */
	CHECK_INT(select_account(&c, "x", NULL, &a, &rule, &err), EX_CONFIG);
	CHECK_STR(err, "account x not found: no configuration file available");
	free(err);
	conf_free(&c);
}

/* ---- expansion ---- */

struct exp_case {
	const char	*in;
	int		 domain;	/* select_expand_domain */
	const char	*want;
};

static const struct exp_case exp_cases[] = {
	{ "%U@%H", 0, "alice@box" },
	{ "%C", 0, "localhost" },
	{ "x@%M", 0, "x@mail.example.org" },
	{ "%F", 0, "hdr@example.org" },
	{ "a%%b%x%@%H%", 0, "a%%b%x%@box%" },
	{ "%U.%H.%M.%F", 1, "%U.box.mail.example.org.%F" },
	{ "plain", 1, "plain" },
	{ "", 0, "" },
};

static void test_expand(void)
{
	struct expand_ctx ctx = { "hdr@example.org", "mailname" };
	size_t i;
	char *out, *err = NULL;

	enter_tmpdir();
	write_file("mailname", "mail.example.org\r\nsecond line\n");
	setenv("USER", "alice", 1);
	for (i = 0; i < sizeof(exp_cases) / sizeof(exp_cases[0]); i++) {
		const struct exp_case *t = &exp_cases[i];

		/* %C resolves %H: let it be a name that resolves */
		setenv("HOSTNAME", strcmp(t->in, "%C") == 0 ? "localhost" :
		    "box", 1);
		out = NULL;
		CHECK_INT(t->domain ? select_expand_domain(t->in, &ctx, &out,
		    &err) : select_expand_from(t->in, &ctx, &out, &err), EX_OK);
		CHECK_STR(out, t->want);
		free(out);
	}
	/* unresolvable: %C is %H */
	setenv("HOSTNAME", "no-such-host.invalid", 1);
	CHECK_INT(select_expand_from("%C", NULL, &out, &err), EX_OK);
	CHECK_STR(out, "no-such-host.invalid");
	free(out);
	/* %U: $USER, even empty, then $LOGNAME */
	setenv("USER", "", 1);
	setenv("LOGNAME", "lg", 1);
	CHECK_INT(select_expand_from("%U", NULL, &out, &err), EX_OK);
	CHECK_STR(out, "");
	free(out);
	unsetenv("USER");
	CHECK_INT(select_expand_from("%U", NULL, &out, &err), EX_OK);
	CHECK_STR(out, "lg");
	free(out);
	/* %F without a From header */
	CHECK_INT(select_expand_from("<%F>", NULL, &out, &err), EX_OK);
	CHECK_STR(out, "<>");
	free(out);
}

static void test_expand_mailname_errors(void)
{
	struct expand_ctx ctx = { NULL, "nofile" };
	char *out = NULL, *err = NULL;

	enter_tmpdir();
	CHECK_INT(select_expand_from("%M", &ctx, &out, &err), EX_CONFIG);
	CHECK_STR(err, "nofile: No such file or directory");
	CHECK_STR(out, NULL);
	free(err);
	err = NULL;
	write_file("empty", "");
	ctx.mailname_file = "empty";
	CHECK_INT(select_expand_domain("%M", &ctx, &out, &err), EX_CONFIG);
	CHECK_STR(err, "empty: Invalid argument");
	free(err);
	err = NULL;
	/* not read unless used */
	ctx.mailname_file = "nofile";
	CHECK_INT(select_expand_from("x@y", &ctx, &out, &err), EX_OK);
	CHECK_STR(out, "x@y");
	free(out);
}

static void test_account_expand(void)
{
	struct account *a = account_new("a");
	char *err = NULL;

	setenv("USER", "us", 1);
	setenv("HOSTNAME", "box", 1);
	conf_set(a, "from", "%U@%H", &err);
	conf_set(a, "domain", "mx.%H", &err);
	CHECK_INT(account_expand(a, NULL, &err), EX_OK);
	CHECK_STR(a->from, "us@box");
	CHECK_STR(a->domain, "mx.box");
	/* auto_from wins over from, and its result is not expanded */
	conf_set(a, "auto_from", "on", &err);
	conf_set(a, "maildomain", "%H", &err);
	CHECK_INT(account_expand(a, NULL, &err), EX_OK);
	CHECK_STR(a->from, "us@%H");
	conf_set(a, "maildomain", "", &err);
	CHECK_INT(account_expand(a, NULL, &err), EX_OK);
	CHECK_STR(a->from, "us");
	account_free(a);
}

/* ---- port and checks ---- */

static const struct {
	const char	*lines;		/* commands, one per line */
	int		 port;		/* account_port() */
	const char	*err;		/* account_check(), sendmail mode */
} check_cases[] = {
	{ "host h\nfrom f", 25, NULL },
	{ "host h\nfrom f\ntls on\ntls_starttls off", 465, NULL },
	{ "host h\nfrom f\ntls off\ntls_starttls off", 25, NULL },
	{ "host h\nfrom f\nport 2525\ntls on\ntls_starttls off", 2525, NULL },
	{ "host h\nfrom f\nprotocol lmtp", 0, "port not set" },
	{ "host h\nfrom f\nprotocol lmtp\nport 24", 24, NULL },
	{ "from f", 25, "host not set" },
	{ "from f\nsocket /s", 25, NULL },
	{ "from f\nsocket /s\nprotocol lmtp", 0, "port not set" },
	{ "host h", 25, "envelope-from address is missing" },
	{ "host h\nfrom", 25, NULL },
	{ "host h\nfrom f\ntls_key_file /k", 25,
	    "tls_key_file requires tls_cert_file" },
	{ "host h\nfrom f\ntls_cert_file /c", 25,
	    "tls_cert_file requires tls_key_file" },
	{ "host h\nfrom f\ntls on\ntls_trust_file", 25,
	    "tls requires either tls_trust_file (highly recommended) or "
	    "tls_fingerprint or a disabled tls_certcheck" },
	{ "host h\nfrom f\ntls on\ntls_trust_file\ntls_certcheck off", 25,
	    NULL },
	{ "host h\nfrom f\ntls on\ntls_trust_file\ntls_fingerprint "
	    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff", 25, NULL },
	{ "host h\nfrom f\ntls_trust_file\ntls_crl_file /crl", 25,
	    "tls_crl_file requires tls_trust_file" },
	{ "host h\nfrom f\ntls on\ntls_trust_file\ntls_key_file /k\n"
	    "tls_crl_file /x", 25, "tls_key_file requires tls_cert_file" },
};

/* from_lines - an account with each "cmd arg" line applied. */
static struct account *from_lines(const char *lines)
{
	struct account *a = account_new("acc");
	char *copy = xstrdup(lines), *line, *save = NULL, *arg, *err = NULL;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		arg = strchr(line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		if (conf_set(a, line, arg ? arg : "", &err) != EX_OK) {
			fprintf(stderr, "%s\n", err);
			CHECK(0);
			free(err);
		}
	}
	free(copy);
	return a;
}

static void test_check(void)
{
	size_t i;

	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		struct account *a = from_lines(check_cases[i].lines);
		char *err = NULL;
		int rc = account_check(a, 1, &err);

		CHECK_INT(account_port(a), check_cases[i].port);
		CHECK_INT(rc, check_cases[i].err ? EX_CONFIG : EX_OK);
		CHECK_STR(err, check_cases[i].err);
		free(err);
		account_free(a);
	}
}

static void test_check_wording(void)
{
	struct account *a = from_lines("protocol lmtp\nhost h");
	char *err = NULL;

	a->conffile = xstrdup("/etc/msmtprc");
	CHECK_INT(account_check(a, 0, &err), EX_CONFIG);
	CHECK_STR(err, "account acc from /etc/msmtprc: port not set");
	free(err);
	err = NULL;
	/* not in sendmail mode: no from needed */
	free(a->conffile);
	a->conffile = NULL;
	conf_set(a, "port", "24", &err);
	CHECK_INT(account_check(a, 0, &err), EX_OK);
	/* the derived values */
	conf_set(a, "protocol", "smtp", &err);
	a->port = 0;
	conf_set(a, "proxy_host", "socks", &err);
	account_fill_defaults(a);
	CHECK_INT(a->port, 25);
	CHECK_INT(a->proxy_port, 1080);
	account_free(a);
}

/* account_for_host - --host's account: defaults, the host, nothing from
 * a file; the command line merges over it. */
static void test_for_host(void)
{
	struct account *a = account_for_host("mx.example.org");
	struct account *cl = account_new(NULL);
	char *err = NULL;

	CHECK_STR(a->host, "mx.example.org");
	CHECK_STR(a->id, NULL);
	CHECK_STR(a->conffile, NULL);
	CHECK(a->mask & ACC_MASK(ACC_HOST));
	CHECK_INT(conf_set(cl, "port", "2525", &err), EX_OK);
	account_merge(a, cl);
	account_fill_defaults(a);
	CHECK_STR(a->host, "mx.example.org");
	CHECK_INT(a->port, 2525);
	CHECK_INT(account_check(a, 0, &err), EX_OK);
	account_free(cl);
	account_free(a);
	free(err);
}

UNIT_MAIN(
	UNIT_CASE(test_from_matches),
	UNIT_CASE(test_select),
	UNIT_CASE(test_select_not_found),
	UNIT_CASE(test_for_host),
	UNIT_CASE(test_expand),
	UNIT_CASE(test_expand_mailname_errors),
	UNIT_CASE(test_account_expand),
	UNIT_CASE(test_check),
	UNIT_CASE(test_check_wording)
)
