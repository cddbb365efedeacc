/*
 * secretline_test - the first line of a /bin/sh -c command: its line
 * end, empty and failing commands, the size bound, and a process
 * started with its standard descriptors closed.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sysexits.h>

#include "unit.h"
#include "util/secretline.h"
#include "util/xalloc.h"

/* Each command prints in one write, so that it has exited before we
 * close the pipe on the rest of its output (no SIGPIPE in the status). */
static const struct {
	const char	*cmd;
	int		 rc;
	const char	*want;		/* the line, or the error */
	int		 exit_code;
} eval_cases[] = {
	{ "echo secret", EX_OK, "secret", 0 },
	{ "printf 'one\\ntwo\\n'", EX_OK, "one", 0 },
	{ "printf 'a b\\r\\nsecond\\n'", EX_OK, "a b", 0 },
	{ "printf 'cr\\r\\r\\n'", EX_OK, "cr\r", 0 },
	{ "printf 'no newline'", EX_OK, "no newline", 0 },
	{ "printf '\\nsecond\\n'", EX_OK, "", 0 },
	{ "echo x; exit 3", EX_OK, "x", 3 },
	{ "true", EX_IOERR, "cannot read output of 'true'", 0 },
	{ "exit 4", EX_IOERR, "cannot read output of 'exit 4'", 4 },
	/* stdin is /dev/null, not ours */
	{ "cat", EX_IOERR, "cannot read output of 'cat'", 0 },
};

static void test_eval(void)
{
	char *line, *err;
	size_t i;
	int rc, status;

	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		line = err = NULL;
		rc = secretline_eval(eval_cases[i].cmd, &line, &status, &err);
		CHECK_INT(rc, eval_cases[i].rc);
		if (rc == EX_OK) {
			CHECK_STR(line, eval_cases[i].want);
			CHECK(err == NULL);
		} else {
			CHECK_STR(err, eval_cases[i].want);
			CHECK(line == NULL);
		}
		CHECK(WIFEXITED(status));
		CHECK_INT(WEXITSTATUS(status), eval_cases[i].exit_code);
		secretline_free(line);
		free(err);
	}
}

/* A status pointer is optional. */
static void test_no_status(void)
{
	char *line = NULL, *err = NULL;

	CHECK_INT(secretline_eval("echo ok", &line, NULL, &err), EX_OK);
	CHECK_STR(line, "ok");
	secretline_free(line);
}

/* The line may be long, but not without end. */
static void test_bound(void)
{
	char *line = NULL, *err = NULL, *cmd;
	int status;

	cmd = xasprintf("head -c %d /dev/zero | tr '\\0' a", SECRETLINE_MAX);
	CHECK_INT(secretline_eval(cmd, &line, &status, &err), EX_OK);
	CHECK_INT(line != NULL ? strlen(line) : 0, SECRETLINE_MAX);
	secretline_free(line);
	free(cmd);

	line = NULL;
	CHECK_INT(secretline_eval("yes | tr -d '\\n'", &line, &status, &err),
	    EX_IOERR);
	CHECK_STR(err, "cannot read output of 'yes | tr -d '\\n'': its "
	    "first line is longer than 1048576 bytes");
	CHECK(line == NULL);
	free(err);
}

/* No descriptor left for the pipe: the command cannot be started. The
 * soft limit is put back afterwards: LeakSanitizer opens /proc at exit. */
static void test_no_pipe(void)
{
	struct rlimit old, rl;
	char *line = NULL, *err = NULL;
	int status = 0, fd, rc;

	for (fd = 3; fd < 1024; fd++)
		close(fd);
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	rl = old;
	rl.rlim_cur = 3;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	rc = secretline_eval("echo x", &line, &status, &err);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK_INT(rc, EX_OSERR);
	CHECK_STR(err, "cannot evaluate 'echo x': Too many open files");
	CHECK(line == NULL);
	CHECK_INT(status, -1);
	free(err);
}

/*
 * closed_stdio - in a child with the descriptors below `upto` closed,
 * the line secretline_eval() gives for "echo hello", written back on a
 * pipe far above them; "" for an error.
 */
static char *closed_stdio(int upto)
{
	char buf[64];
	int fds[2], status, fd;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char *line = NULL, *err = NULL;

		if (dup2(fds[1], 100) < 0)
			_exit(2);
		close(fds[0]);
		close(fds[1]);
		for (fd = 0; fd < upto; fd++)
			close(fd);
		if (secretline_eval("echo hello", &line, NULL, &err) == EX_OK)
			(void)!write(100, line, strlen(line));
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	buf[n > 0 ? n : 0] = '\0';
	return xstrdup(buf);
}

/* Started with stdin and stdout closed, the pipe would be fds 0 and 1.
 * (glibc since 2.29 clears close-on-exec on a dup2 onto itself, so there
 * this passes without the guard too; other C libraries do not.) */
static void test_closed_stdin_stdout(void)
{
	char *got = closed_stdio(2);

	CHECK_STR(got, "hello");
	free(got);
}

static void test_closed_stdio(void)
{
	char *got = closed_stdio(3);

	CHECK_STR(got, "hello");
	free(got);
}

static void test_closed_stdin(void)
{
	char *got = closed_stdio(1);

	CHECK_STR(got, "hello");
	free(got);
}

UNIT_MAIN(
	UNIT_CASE(test_eval),
	UNIT_CASE(test_no_status),
	UNIT_CASE(test_bound),
	UNIT_CASE(test_no_pipe),
	UNIT_CASE(test_closed_stdin),
	UNIT_CASE(test_closed_stdin_stdout),
	UNIT_CASE(test_closed_stdio),
)
