/*
 * msmtpd_argv_test - the pipe command as a shell script (msmtpd/argv.h):
 * where --command's %F stands, the script made of it, and what a real
 * /bin/sh does with hostile senders and recipients: they arrive as
 * arguments, byte for byte, and nothing in them is ever run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "msmtpd/argv.h"
#include "unit.h"
#include "util/buf.h"
#include "util/strlist.h"
#include "util/xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_argv_where(void)
{
	static const struct {
		const char	*cmd;
		enum argv_from	 from;
	} cases[] = {
		{ "/usr/bin/msmtp -f %F --", ARGV_FROM_WORD },
		{ "cat > m; echo %F > f", ARGV_FROM_WORD },
		{ "prog --from=x%Fy", ARGV_FROM_WORD },
		{ "echo 'it''s' \"a\\\"b\" %F", ARGV_FROM_WORD },
		{ "echo \"from: %F\" > f", ARGV_FROM_DQUOTED },
		{ "echo \"a\\\"%F\"", ARGV_FROM_DQUOTED },
		{ "sh -c 'cat > /tmp/%F'", ARGV_FROM_INERT },
		{ "echo \\%F", ARGV_FROM_INERT },
		{ "echo $%F", ARGV_FROM_INERT },
		{ "echo $(date) %F", ARGV_FROM_INERT },
		{ "echo \"`date` %F\"", ARGV_FROM_INERT },
		{ "echo ${HOME} %F", ARGV_FROM_INERT },
		{ "echo $'a\\' %F '", ARGV_FROM_INERT },	/* bash's $'...' */
		{ "echo \"\\%F\"", ARGV_FROM_INERT },
		{ "echo \\\\%F", ARGV_FROM_INERT },	/* \\ then %F: safe side */
		{ "cat <<EOF\n%F\nEOF", ARGV_FROM_INERT },
		{ "cat # %F", ARGV_FROM_INERT },
		{ "echo '%F' %F", ARGV_FROM_INERT },	/* the first one counts */
		{ "cat > m; echo > r", ARGV_FROM_NONE },
	};
	struct pipecmd pc;
	char *err = NULL;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		CHECK_INT(argv_prepare(cases[i].cmd, &pc, &err), EX_OK);
		if (pc.from != cases[i].from)
			fprintf(stderr, "case %zu: %s\n", i, cases[i].cmd);
		CHECK_INT(pc.from, cases[i].from);
		argv_release(&pc);
	}
}

static void test_argv_refused(void)
{
	static const char *bad[] = {
		"", "   \n", "a 'b", "a \"b", "echo \"a\\\"", "cat;", "cat |",
		"cat &  \n", "cat && ", "cat \\", "cat \\ ",
	};
	static const char *good[] = {
		"find . -exec echo {} \\;", "echo 'a;'", "echo \"a|\"",
		"echo $(echo ')' 'x", /* lost in $(...): the shell will judge */
	};
	struct pipecmd pc;
	char *err = NULL;
	size_t i;

	for (i = 0; i < N(bad); i++) {
		if (argv_prepare(bad[i], &pc, &err) != EX_USAGE) {
			fprintf(stderr, "taken: '%s'\n", bad[i]);
			CHECK(0);
			argv_release(&pc);
			continue;
		}
		CHECK(err != NULL);
		free(err);
		err = NULL;
	}
	for (i = 0; i < N(good); i++) {
		CHECK_INT(argv_prepare(good[i], &pc, &err), EX_OK);
		argv_release(&pc);
	}
}

static void test_argv_script(void)
{
	struct pipecmd pc;
	char *err = NULL, *s;

	CHECK_INT(argv_prepare("/usr/bin/msmtp -f %F -- \n", &pc, &err),
	    EX_OK);
	s = argv_script(&pc, "a@b");
	CHECK_STR(s, "msmtpd_from=$1; shift; /usr/bin/msmtp -f "
	    "\"${msmtpd_from}\" -- \"$@\"");
	free(s);
	argv_release(&pc);
	CHECK_INT(argv_prepare("echo \"<%F>\" %F", &pc, &err), EX_OK);
	s = argv_script(&pc, "a@b");
	CHECK_STR(s, "msmtpd_from=$1; shift; echo \"<${msmtpd_from}>\" %F "
	    "\"$@\"");
	free(s);
	argv_release(&pc);
	CHECK_INT(argv_prepare("sh -c 'cat > /tmp/%F.eml'", &pc, &err), EX_OK);
	s = argv_script(&pc, "a.b+c@d-e.example");
	CHECK_STR(s, "msmtpd_from=$1; shift; sh -c 'cat > "
	    "/tmp/a.b+c@d-e.example.eml' \"$@\"");
	free(s);
	argv_release(&pc);
}

static void test_argv_build(void)
{
	struct pipecmd pc;
	struct strlist r;
	char *err = NULL, **v;

	strlist_init(&r);
	strlist_add(&r, "b@c");
	strlist_add(&r, "d@e");
	CHECK_INT(argv_prepare("prog -f %F --", &pc, &err), EX_OK);
	v = argv_build(&pc, "a@b", &r);
	CHECK_STR(v[0], ARGV_SHELL);
	CHECK_STR(v[1], "-c");
	CHECK(strstr(v[2], "a@b") == NULL);	/* the sender is not in it */
	CHECK_STR(v[3], "sh");
	CHECK_STR(v[4], "a@b");
	CHECK_STR(v[5], "b@c");
	CHECK_STR(v[6], "d@e");
	CHECK(v[7] == NULL);
	argv_free(v);
	v = argv_build(&pc, "", &r);
	CHECK_STR(v[4], "<>");
	argv_free(v);
	argv_release(&pc);

	CHECK_INT(argv_prepare("sh -c 'cat > /tmp/%F'", &pc, &err), EX_OK);
	CHECK(argv_build(&pc, "o'brien@x", &r) == NULL);
	CHECK(argv_build(&pc, "a$(id)@x", &r) == NULL);
	CHECK(argv_build(&pc, "", &r) == NULL);		/* "<>" */
	v = argv_build(&pc, "ok.1+2@x-y.example", &r);
	CHECK(v != NULL);
	argv_free(v);
	argv_release(&pc);
	strlist_free(&r);

	CHECK_INT(argv_sender_inert("Az09@._+-"), 1);
	CHECK_INT(argv_sender_inert("-x@y"), 0);
	CHECK_INT(argv_sender_inert("a b@c"), 0);
	CHECK_INT(argv_sender_inert("a/b@c"), 0);
	CHECK_INT(argv_sender_inert("a=b@c"), 0);
}

static void test_argv_quote(void)
{
	struct pipecmd pc;
	char *err = NULL, *q, *cmd;

	q = argv_quote("/opt/my mail/it's $HOME/msmtp");
	CHECK_STR(q, "'/opt/my mail/it'\\''s $HOME/msmtp'");
	cmd = xasprintf("%s -f %%F --", q);
	CHECK_INT(argv_prepare(cmd, &pc, &err), EX_OK);
	CHECK_INT(pc.from, ARGV_FROM_WORD);
	argv_release(&pc);
	free(cmd);
	free(q);
	q = argv_quote("");
	CHECK_STR(q, "''");
	free(q);
	q = argv_quote("/usr/local/bin/msmtp");	/* plain: left as it is */
	CHECK_STR(q, "/usr/local/bin/msmtp");
	free(q);
}

/* run - argv under a real shell, in dir; its standard output. */
static char *run(char **argv, const char *dir)
{
	struct buf out;
	char chunk[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (chdir(dir) != 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	buf_init(&out);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0 ||
	    (n < 0 && errno == EINTR))
		if (n > 0)
			buf_append(&out, chunk, (size_t)n);
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return buf_steal(&out);
}

/* The sender and recipients reach the command whole, and nothing in
 * them runs: each would create the file "pwned" in the directory. */
static void test_argv_shell_runs_nothing(void)
{
	static const char *hostile[] = {
		"$(touch pwned)@x", "`touch pwned`@x", "a;touch pwned@x",
		"a|touch pwned@x", "a&&touch pwned@x", "'$(touch pwned)'@x",
		"\"a b\\\" $(touch pwned)\"@x", "a\ntouch pwned\n@x",
		"${x:=$(touch pwned)}@x", "*@x", "a >pwned@x", "<>",
	};
	static const char *cmds[] = {
		"printf '<%s>' %F", "printf '<%s>' \"%F\"",
		"printf '<%s>' \"[%F]\"", "x=1; printf '<%s>' x%Fy",
	};
	char dir[] = "/tmp/msmtpd_argv_test.XXXXXX", path[64];
	struct pipecmd pc;
	struct strlist r;
	struct buf want;
	char *err = NULL, **v, *got;
	size_t c, i;
	struct stat st;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/pwned", dir);
	buf_init(&want);
	for (c = 0; c < N(cmds); c++) {
		CHECK_INT(argv_prepare(cmds[c], &pc, &err), EX_OK);
		for (i = 0; i < N(hostile); i++) {
			strlist_init(&r);
			strlist_add(&r, hostile[(i + 1) % N(hostile)]);
			strlist_add(&r, hostile[(i + 2) % N(hostile)]);
			v = argv_build(&pc, hostile[i], &r);
			got = run(v, dir);
			buf_reset(&want);
			buf_printf(&want, c == 2 ? "<[%s]>" : c == 3 ?
			    "<x%sy>" : "<%s>", hostile[i]);
			buf_printf(&want, "<%s><%s>", r.v[0], r.v[1]);
			CHECK_STR(got, want.data);
			free(got);
			argv_free(v);
			strlist_free(&r);
		}
		argv_release(&pc);
	}
	buf_free(&want);
	CHECK(stat(path, &st) != 0);
	unlink(path);
	rmdir(dir);
}

UNIT_MAIN(
	UNIT_CASE(test_argv_where),
	UNIT_CASE(test_argv_refused),
	UNIT_CASE(test_argv_script),
	UNIT_CASE(test_argv_build),
	UNIT_CASE(test_argv_quote),
	UNIT_CASE(test_argv_shell_runs_nothing)
)
