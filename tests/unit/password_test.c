/*
 * password_test - passwordeval, the netrc reader, and the lookup order
 * when no Secret Service is there (test_keyring.py has a real one).
 */
#include <sysexits.h>
#include <time.h>

#include "account/password.h"
#include "util/keyring.h"
#include "unit.h"

static const struct {
	const char	*cmd;
	int		 rc;
	const char	*out;		/* or the error */
} eval_cases[] = {
	{ "echo secret", EX_OK, "secret" },
	{ "printf 'a b\\r\\nsecond\\n'", EX_OK, "a b" },
	{ "printf 'no newline'", EX_OK, "no newline" },
	{ "echo; echo second", EX_OK, "" },
	{ "cat", EX_OK, NULL },		/* stdin is /dev/null: no output */
	{ "true", EX_CONFIG, "cannot read output of 'true'" },
	{ "echo x; exit 3", EX_OK, "x" },
};

static void test_eval(void)
{
	char *out, *err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		out = err = NULL;
		rc = password_eval(eval_cases[i].cmd, &out, &err);
		if (eval_cases[i].out == NULL) {
			CHECK_INT(rc, EX_CONFIG);
			CHECK_STR(err, "cannot read output of 'cat'");
		} else if (eval_cases[i].rc == EX_OK) {
			CHECK_INT(rc, EX_OK);
			CHECK_STR(out, eval_cases[i].out);
		} else {
			CHECK_INT(rc, eval_cases[i].rc);
			CHECK_STR(err, eval_cases[i].out);
			CHECK(out == NULL);
		}
		password_free(out);
		free(err);
	}
}

static const struct {
	const char	*text;
	const char	*host;
	const char	*user;
	const char	*want;
} netrc_cases[] = {
	{ "machine mx login alice password secret\n", "mx", "alice",
	    "secret" },
	{ "machine mx\n\tlogin alice\n\tpassword secret\n", "mx", "alice",
	    "secret" },
	{ "machine other login alice password no\n"
	    "machine mx login alice password yes\n", "mx", "alice", "yes" },
	{ "machine mx login bob password no\n", "mx", "alice", NULL },
	{ "default login alice password no\n", "mx", "alice", NULL },
	{ "machine mx login alice account acct password \"a b\\\"c\"\n", "mx",
	    "alice", "a b\"c" },
	{ "macdef init\nmachine mx login alice password no\n\n"
	    "machine mx login alice password yes\n", "mx", "alice", "yes" },
	{ "machine mx login alice\n", "mx", "alice", NULL },
	{ "", "mx", "alice", NULL },
};

static void test_netrc(void)
{
	char path[] = "/tmp/netrc_testXXXXXX";
	size_t i;
	char *pw;
	FILE *f;
	int fd;

	for (i = 0; i < sizeof(netrc_cases) / sizeof(netrc_cases[0]); i++) {
		strcpy(path, "/tmp/netrc_testXXXXXX");
		fd = mkstemp(path);
		CHECK(fd >= 0);
		f = fdopen(fd, "w");
		fputs(netrc_cases[i].text, f);
		fclose(f);
		pw = password_netrc(path, netrc_cases[i].host,
		    netrc_cases[i].user);
		CHECK_STR(pw, netrc_cases[i].want);
		password_free(pw);
		unlink(path);
	}
	CHECK(password_netrc("/nonexistent/netrc", "mx", "alice") == NULL);
}

/* no_session_bus - an environment with no D-Bus session bus to find:
 * none named, none at $XDG_RUNTIME_DIR/bus, no X display to start one. */
static void no_session_bus(const char *dir)
{
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	unsetenv("DISPLAY");
}

static void test_lookup_without_secret_service(void)
{
	char dir[] = "/tmp/passlookup_testXXXXXX", path[64];
	struct timespec t0, t1;
	char *pw;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	no_session_bus(dir);
	setenv("HOME", dir, 1);
	snprintf(path, sizeof(path), "%s/.netrc", dir);
	f = fopen(path, "w");
	fputs("machine mx login alice password from-netrc\n", f);
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pw = keyring_lookup("mx", "smtp", "alice");
	CHECK(pw == NULL);
	pw = password_lookup("mx", "alice");	/* netrc: no prompt */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_STR(pw, "from-netrc");
	CHECK(t1.tv_sec - t0.tv_sec < 5);	/* no waiting on a bus */
	password_free(pw);
	unlink(path);
	rmdir(dir);
}

UNIT_MAIN(
	UNIT_CASE(test_eval),
	UNIT_CASE(test_netrc),
	UNIT_CASE(test_lookup_without_secret_service)
)
