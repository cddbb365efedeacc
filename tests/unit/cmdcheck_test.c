/*
 * cmdcheck_test - msmtpd's start-up check of its pipe command: which
 * first words it reads, which programs pass, and its messages.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "unit.h"

#include "msmtpd/cmdcheck.h"

static int check(const char *command, int dflt, char **err)
{
	*err = NULL;
	return cmdcheck(command, dflt, err);
}

static void test_runnable_programs_pass(void)
{
	static const char *const ok[] = {
		"/bin/sh -c true", "sh -c 'cat > x' sh", "'/bin/cat'",
		"/bin/'ca't -", "exec cat", ": nothing", "cat > x; echo",
		"FOO=1 nosuchprogram", "$HOME/bin/x", "\"/no/such\" x",
		"(cd /; cat)", "  \t cat", NULL
	};
	char *err;
	size_t i;

	setenv("PATH", "/usr/bin:/bin", 1);
	for (i = 0; ok[i] != NULL; i++) {
		CHECK_INT(check(ok[i], 0, &err), EX_OK);
		CHECK(err == NULL);
	}
}

static void test_paths_that_cannot_run(void)
{
	char *err;

	CHECK_INT(check("/nonexistent -f %F", 0, &err), EX_CONFIG);
	CHECK_STR(err, "cannot execute /nonexistent, the program of "
	    "--command='/nonexistent -f %F': No such file or directory; name "
	    "a program that can be run, e.g. --command='/path/to/msmtp -f %F "
	    "--'");
	free(err);
	CHECK_INT(check("'/no such/dir' x", 0, &err), EX_CONFIG);
	CHECK(strstr(err, "cannot execute /no such/dir, ") == err);
	free(err);
	CHECK_INT(check("/tmp", 0, &err), EX_CONFIG);
	CHECK(strstr(err, ": Is a directory; ") != NULL);
	free(err);
	CHECK_INT(check("/etc/passwd", 0, &err), EX_CONFIG);
	CHECK(strstr(err, ": Permission denied; ") != NULL);
	free(err);
}

static void test_names_through_path(void)
{
	char *err;

	setenv("PATH", "/nonexistent:/bin", 1);
	CHECK_INT(check("cat", 0, &err), EX_OK);
	CHECK_INT(check("no-such-program-x -f %F", 0, &err), EX_CONFIG);
	CHECK_STR(err, "cannot execute no-such-program-x, the program of "
	    "--command='no-such-program-x -f %F': not found in $PATH "
	    "(/nonexistent:/bin); give its full path in --command");
	free(err);
	setenv("PATH", "/nonexistent", 1);
	CHECK_INT(check("cat", 0, &err), EX_CONFIG);
	free(err);
	CHECK_INT(check("echo hi", 0, &err), EX_OK);	/* a builtin */
	unsetenv("PATH");				/* execvp's default */
	CHECK_INT(check("cat", 0, &err), EX_OK);
	setenv("PATH", "/usr/bin:/bin", 1);
}

static void test_default_command_message(void)
{
	static const char head[] = "cannot execute /nonexistent/bin/msmtp, "
	    "msmtpd's default command (msmtp is looked for beside msmtpd, "
	    "then in ";
	char *err;

	CHECK_INT(check("/nonexistent/bin/msmtp -f %F --", 1, &err),
	    EX_CONFIG);
	CHECK(strncmp(err, head, strlen(head)) == 0);
	CHECK(strstr(err, "): No such file or directory; install msmtp "
	    "there, or name it with --command='/path/to/msmtp -f %F --'") !=
	    NULL);
	free(err);
}

UNIT_MAIN(
	UNIT_CASE(test_runnable_programs_pass),
	UNIT_CASE(test_paths_that_cannot_run),
	UNIT_CASE(test_names_through_path),
	UNIT_CASE(test_default_command_message)
)
