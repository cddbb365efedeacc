/*
 * passrule_test - which configured password a queued mail may use
 * (account/passrule.h), and a mail's account read again (account/reread.h).
 *
 * Each case writes msmtprc files into a fresh directory; a snapshot is
 * the account as the file said when the mail was spooled, and the file
 * is then rewritten as the user changed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "unit.h"

#include "account/account.h"
#include "account/conf.h"
#include "account/passrule.h"
#include "account/reread.h"
#include "account/snapshot.h"
#include "util/buf.h"
#include "util/xalloc.h"

static void write_file(const char *name, const char *text)
{
	FILE *fp = fopen(name, "w");

	if (fp == NULL) {
		perror(name);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	chmod(name, 0600);
}

static char tmpdir[] = "/tmp/passrule_test.XXXXXX";

static void enter_tmpdir(void)
{
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0) {
		perror("mkdtemp");
		exit(1);
	}
}

/* leave_tmpdir - remove what the cases wrote, and the directory. */
static void leave_tmpdir(void)
{
	unlink("rc");
	unlink("work.rc");
	unlink("other.rc");
	if (chdir("/") == 0)
		rmdir(tmpdir);
}

/* snapshot - account id of file (as written now), as a spooled mail
 * would carry it: dumped and read back, without its password. */
static struct account *snapshot(const char *file, const char *id)
{
	struct conf c;
	struct account *a, *s;
	struct buf b;
	char *err = NULL;

	conf_init(&c);
	CHECK_INT(conf_load(NULL, file, 1, geteuid(), &c, &err), EX_OK);
	a = conf_find(&c, id);
	CHECK(a != NULL);
	buf_init(&b);
	snapshot_dump(a, &b);
	s = account_new(id);
	s->conffile = xstrdup(file);
	CHECK_INT(snapshot_undump(b.data ? b.data : "", s, &err), EX_OK);
	buf_free(&b);
	conf_free(&c);
	return s;
}

#define ACC "account x\nhost 127.0.0.1\nport 2525\nauth plain\n"

static const struct {
	const char	*then;		/* the file when the mail was spooled */
	const char	*now;		/* the file at delivery */
	const char	*want;		/* the password, or NULL */
	int		 hint;		/* a hint says what to do */
} cases[] = {
	{ ACC "user u\npassword pw\n", ACC "user u\npassword pw\n", "pw", 0 },
	/* the password changed: the file's, now */
	{ ACC "user u\npassword old\n", ACC "user u\npassword new\n", "new",
	  0 },
	/* the user, host or port changed: withheld */
	{ ACC "user u\npassword pw\n", ACC "user v\npassword pw\n", NULL, 1 },
	{ ACC "user u\npassword pw\n",
	  "account x\nhost 127.0.0.2\nport 2525\nauth plain\nuser u\n"
	  "password pw\n", NULL, 1 },
	{ ACC "user u\npassword pw\n",
	  "account x\nhost 127.0.0.1\nport 2526\nauth plain\nuser u\n"
	  "password pw\n", NULL, 1 },
	/* a spooled passwordeval is never overridden */
	{ ACC "user u\npasswordeval echo e\n",
	  ACC "user u\npassword pw\npasswordeval echo e\n", NULL, 0 },
	/* both in the file when spooled: the password won then, and now */
	{ ACC "user u\npassword pw\npasswordeval echo e\n",
	  ACC "user u\npassword pw\npasswordeval echo e\n", "pw", 0 },
	/* the account is gone, or has no password */
	{ ACC "user u\npassword pw\n", "account y\nhost h\n", NULL, 1 },
	{ ACC "user u\npassword pw\n", ACC "user u\n", NULL, 1 },
	/* no auth: nothing is looked up */
	{ "account x\nhost 127.0.0.1\nuser u\n",
	  "account x\nhost 127.0.0.1\nuser u\npassword pw\n", NULL, 0 },
};

static void test_rule(void)
{
	struct account *snap;
	struct conf other;
	char *pw, *hint, *err = NULL;
	size_t i;

	enter_tmpdir();
	write_file("other.rc", ACC "user u\npassword other\n");
	conf_init(&other);
	CHECK_INT(conf_load(NULL, "other.rc", 1, geteuid(), &other, &err),
	    EX_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("work.rc", cases[i].then);
		snap = snapshot("work.rc", "x");
		write_file("work.rc", cases[i].now);
		/* Whatever the runner loaded: the mail's own file counts. */
		pw = password_configured(snap, &other, &hint);
		if (cases[i].want == NULL)
			CHECK(pw == NULL);
		else
			CHECK_STR(pw, cases[i].want);
		CHECK_INT(hint != NULL, cases[i].hint);
		free(pw);
		free(hint);
		account_free(snap);
	}
	conf_free(&other);
	leave_tmpdir();
}

static void test_command_line_account(void)
{
	struct account *a = account_new("x");
	char *pw, *hint;

	a->auth_mech = xstrdup("");
	pw = password_configured(a, NULL, &hint);
	CHECK(pw == NULL && hint == NULL);
	account_free(a);
}

static void test_reread(void)
{
	char *settings, *err = NULL;
	const char *old = "host \"127.0.0.1\"\nuser \"alise\"\n"
	    "from \"env@example.org\"\n";

	enter_tmpdir();
	write_file("rc", ACC "user alice\nfrom acc@example.org\n");
	CHECK_INT(account_reread("rc", "x", old, &settings, &err), EX_OK);
	CHECK(strstr(settings, "user \"alice\"\n") != NULL);
	/* the envelope-from belongs to the mail */
	CHECK(strstr(settings, "from \"env@example.org\"\n") != NULL);
	CHECK(strstr(settings, "port \"2525\"\n") != NULL);
	free(settings);

	CHECK_INT(account_reread("rc", "gone", old, &settings, &err),
	    EX_CONFIG);
	CHECK_STR(err, "account gone no longer exists in rc");
	CHECK(settings == NULL);
	free(err);
	err = NULL;

	CHECK_INT(account_reread("missing.rc", "x", old, &settings, &err),
	    EX_IOERR);
	CHECK(err != NULL && settings == NULL);
	free(err);
	err = NULL;

	write_file("rc", "account x\nport 2525\n");
	CHECK_INT(account_reread("rc", "x", old, &settings, &err), EX_CONFIG);
	CHECK_STR(err, "account x from rc: host not set");
	free(err);
	err = NULL;

	/* a command-line account: nothing to read, the snapshot stays */
	CHECK_INT(account_reread(NULL, "", old, &settings, &err), EX_OK);
	CHECK(settings == NULL);
	leave_tmpdir();
}

UNIT_MAIN(
	UNIT_CASE(test_rule),
	UNIT_CASE(test_command_line_account),
	UNIT_CASE(test_reread)
)
