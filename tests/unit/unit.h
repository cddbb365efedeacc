/*
 * unit.h - a small table-driven unit test harness.
 *
 * A test file defines cases as functions using CHECK*, lists them in
 * UNIT_MAIN(), and gets a main() that runs each case in its own child
 * process with a 10 s alarm, so a crash or a hang fails that case only.
 * It prints "ok - name" / "not ok - name" and a last line
 * "# N passed, M failed" that tests/run-unit.sh adds up.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int unit_failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		unit_failures++;					\
	}								\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		fprintf(stderr, "%s:%d: %s is %lld, want %lld\n",	\
		    __FILE__, __LINE__, #got, g_, w_);			\
		unit_failures++;					\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if ((g_ == NULL) != (w_ == NULL) ||				\
	    (g_ != NULL && strcmp(g_, w_) != 0)) {			\
		fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, #got, g_ ? g_ : "(null)",	\
		    w_ ? w_ : "(null)");				\
		unit_failures++;					\
	}								\
} while (0)

#define CHECK_MEM(got, gotlen, want, wantlen) do {			\
	if ((size_t)(gotlen) != (size_t)(wantlen) ||			\
	    memcmp((got), (want), (size_t)(wantlen)) != 0) {		\
		fprintf(stderr, "%s:%d: %s differs (%zu vs %zu bytes)\n",\
		    __FILE__, __LINE__, #got, (size_t)(gotlen),		\
		    (size_t)(wantlen));					\
		unit_failures++;					\
	}								\
} while (0)

struct unit_case {
	const char	*name;
	void		(*fn)(void);
};

#define UNIT_CASE(f) { #f, f }

static int unit_run_one(const struct unit_case *c)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		alarm(10);
		c->fn();
		fflush(NULL);
		exit(unit_failures ? 1 : 0);	/* exit, not _exit: LeakSanitizer runs at exit */
	}
	if (waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int unit_run(const struct unit_case *cases, size_t n)
{
	size_t i, passed = 0;

	for (i = 0; i < n; i++) {
		int ok = unit_run_one(&cases[i]);

		printf("%s - %s\n", ok ? "ok" : "not ok", cases[i].name);
		passed += ok;
	}
	printf("# %zu passed, %zu failed\n", passed, n - passed);
	return passed == n ? 0 : 1;
}

#define UNIT_MAIN(...)							\
int main(void)								\
{									\
	static const struct unit_case unit_cases_[] = { __VA_ARGS__ };	\
	return unit_run(unit_cases_,					\
	    sizeof(unit_cases_) / sizeof(unit_cases_[0]));		\
}

#endif
