/*
 * spoolpath_test - where the spool is (queue/spoolpath.h): the
 * precedence, the home directory without $HOME, the patterns.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "queue/spoolpath.h"
#include "unit.h"
#include "util/xalloc.h"

static void clean_env(void)
{
	unsetenv("MSMTP_QUEUE_FILE");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/h", 1);
}

static void test_default(void)
{
	char *p;

	clean_env();
	p = spoolpath_default();
	CHECK_STR(p, "/home/h/.local/state/msmtp/queue.db");
	free(p);
	setenv("XDG_STATE_HOME", "/st", 1);
	p = spoolpath_default();
	CHECK_STR(p, "/st/msmtp/queue.db");
	free(p);
	setenv("XDG_STATE_HOME", "relative", 1);	/* ignored: not absolute */
	p = spoolpath_default();
	CHECK_STR(p, "/home/h/.local/state/msmtp/queue.db");
	free(p);
}

/* Without HOME (cron started by init), the password database's home. */
static void test_default_without_home(void)
{
	struct passwd *pw = getpwuid(getuid());
	char *p, *want;

	clean_env();
	unsetenv("HOME");
	if (pw == NULL)
		return;
	want = xasprintf("%s/.local/state/msmtp/queue.db", pw->pw_dir);
	p = spoolpath_default();
	CHECK_STR(p, want);
	free(p);
	free(want);
}

static void test_precedence(void)
{
	char *p = NULL, *err = NULL;

	clean_env();
	CHECK_INT(spoolpath_resolve(NULL, &p, &err), EX_OK);
	CHECK_STR(p, "/home/h/.local/state/msmtp/queue.db");
	free(p);
	setenv("MSMTP_QUEUE_FILE", "/env.db", 1);
	CHECK_INT(spoolpath_resolve(NULL, &p, &err), EX_OK);
	CHECK_STR(p, "/env.db");
	free(p);
	CHECK_INT(spoolpath_resolve("/acc.db", &p, &err), EX_OK);
	CHECK_STR(p, "/acc.db");
	free(p);
	setenv("MSMTP_QUEUE_FILE", "", 1);		/* empty: unset */
	CHECK_INT(spoolpath_resolve(NULL, &p, &err), EX_OK);
	CHECK_STR(p, "/home/h/.local/state/msmtp/queue.db");
	free(p);
}

static void test_patterns(void)
{
	struct passwd *pw = getpwuid(getuid());
	char *p = NULL, *err = NULL, *want;

	clean_env();
	if (pw == NULL)
		return;
	want = xasprintf("/var/spool/msmtp/%s/%lu/100%%/%%x/queue.db",
	    pw->pw_name, (unsigned long)getuid());
	CHECK_INT(spoolpath_expand("/var/spool/msmtp/%U/%u/100%%/%x/queue.db",
	    &p, &err), EX_OK);
	CHECK_STR(p, want);
	free(p);
	free(want);
	CHECK_INT(spoolpath_expand("%", &p, &err), EX_OK);
	CHECK_STR(p, "%");
	free(p);
}

static void test_all(void)
{
	struct strlist conf, out, skipped;
	char *def;

	clean_env();
	strlist_init(&conf);
	strlist_init(&out);
	strlist_init(&skipped);
	strlist_add(&conf, "/a.db");
	strlist_add(&conf, "/env.db");
	strlist_add(&conf, "/a.db");
	setenv("MSMTP_QUEUE_FILE", "/env.db", 1);
	spoolpath_all(NULL, &conf, &out, &skipped);
	def = spoolpath_default();
	CHECK_INT(out.n, 3);
	if (out.n == 3) {
		CHECK_STR(out.v[0], "/env.db");
		CHECK_STR(out.v[1], "/a.db");
		CHECK_STR(out.v[2], def);
	}
	CHECK_INT(skipped.n, 0);
	strlist_free(&out);
	/* --queue-file: that one alone. */
	spoolpath_all("/opt.db", &conf, &out, &skipped);
	CHECK_INT(out.n, 1);
	CHECK_STR(out.v[0], "/opt.db");
	free(def);
	strlist_free(&out);
	strlist_free(&skipped);
	strlist_free(&conf);
}

UNIT_MAIN(
	UNIT_CASE(test_default),
	UNIT_CASE(test_default_without_home),
	UNIT_CASE(test_precedence),
	UNIT_CASE(test_patterns),
	UNIT_CASE(test_all)
)
