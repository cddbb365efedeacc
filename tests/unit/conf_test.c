/*
 * conf_test - the msmtprc reader: files, defaults and inheritance, eval,
 * the secret check (account_test.c has the commands themselves).
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
