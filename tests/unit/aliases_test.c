/*
 * aliases_test - msmtp's aliases file, table-driven.
 *
 * Every expected list and message below is what Debian's msmtp 1.8.23
 * sent (RCPT TO order) or printed for the same file and recipients,
 * quirks included (reversed lists, the recipient after an expanded one
 * left alone). The file is written to a fresh temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "unit.h"

#include "client/aliases.h"
#include "util/strlist.h"
#include "util/xalloc.h"

#define MAXR	40

struct alias_case {
	const char	*name;
	const char	*text;		/* the file; NULL: none */
	const char	*in[MAXR];	/* recipients, NULL-terminated */
	unsigned	 flags;
	int		 rc;
	const char	*out[MAXR];	/* expected, NULL-terminated */
	const char	*err;		/* after "FILE: " */
};

static const struct alias_case cases[] = {
	{ "simple", "cron: mark@x.org\n", { "cron", NULL }, 0, EX_OK,
	    { "mark@x.org", NULL }, NULL },
	{ "list is reversed",
	    "root: joe@x.org, jane@x.org\ncron: mark@x.org\n",
	    { "root", "bob@y.org", "cron", "other", NULL }, 0, EX_OK,
	    { "jane@x.org", "joe@x.org", "bob@y.org", "mark@x.org", "other",
	    NULL }, NULL },
	{ "addresses untouched", "a: b@c\n", { "bob@y.org", NULL }, 0,
	    EX_OK, { "bob@y.org", NULL }, NULL },
	{ "unknown kept", "root: r@x\n", { "other", "x@y", "root", NULL }, 0,
	    EX_OK, { "other", "x@y", "r@x", NULL }, NULL },
	{ "next one skipped", "root: r@x\nuser: u@x\n",
	    { "user", "root", NULL }, 0, EX_OK, { "u@x", "root", NULL }, NULL },
	{ "skipped after unknown", "root: r@x\n", { "other", "root", NULL },
	    0, EX_OK, { "other", "root", NULL }, NULL },
	{ "every third", "root: r@x\nuser: u@x\nthird: t@x\n",
	    { "third", "user", "root", NULL }, 0, EX_OK,
	    { "t@x", "user", "r@x", NULL }, NULL },
	{ "expand all", "root: r1@x, r2@x\nu: u1@x, u2@x\n",
	    { "root", "u", NULL }, ALIASES_EXPAND_ALL, EX_OK,
	    { "r2@x", "r1@x", "u2@x", "u1@x", NULL }, NULL },
	{ "without expand all", "root: r1@x, r2@x\nu: u1@x, u2@x\n",
	    { "root", "u", NULL }, 0, EX_OK, { "r2@x", "r1@x", "u", NULL },
	    NULL },
	{ "default", "root: joe@x.org\ndefault: admin@x.org\n",
	    { "root", "other", "bob@y.org", NULL }, 0, EX_OK,
	    { "joe@x.org", "other", "bob@y.org", NULL }, NULL },
	{ "default for unknown", "root: joe@x.org\ndefault: admin@x.org\n",
	    { "other", NULL }, 0, EX_OK, { "admin@x.org", NULL }, NULL },
	{ "default nested", "root: joe\ndefault: admin@x.org\n",
	    { "root", NULL }, 0, EX_OK, { "admin@x.org", NULL }, NULL },
	{ "default named", "a: x@y\nb: a, default\ndefault: d@x\n",
	    { "b", NULL }, 0, EX_OK, { "d@x", "x@y", NULL }, NULL },
	{ "recursive", "root: joe\njoe: joe@x.org\n", { "root", NULL }, 0,
	    EX_OK, { "joe@x.org", NULL }, NULL },
	{ "nested reversed", "root: e@x, a, b@x\na: c@x, d@x\n",
	    { "root", "z@z", "root", NULL }, 0, EX_OK,
	    { "b@x", "d@x", "c@x", "e@x", "z@z", "b@x", "d@x", "c@x", "e@x",
	    NULL }, NULL },
	{ "nested unknown kept", "a: b\n", { "a", NULL }, 0, EX_OK,
	    { "b", NULL }, NULL },
	{ "loop", "a: b\nb: a\n", { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "Too many redirects when expanding alias a." },
	{ "self loop", "a: a\n", { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "Too many redirects when expanding alias a." },
	{ "default loop", "default: foo\n", { "x", NULL }, 0, EX_CONFIG,
	    { NULL }, "Too many redirects when expanding alias x." },
	{ "default back to a", "a: b\ndefault: a\n", { "a", NULL }, 0,
	    EX_CONFIG, { NULL },
	    "Too many redirects when expanding alias a." },
	{ "empty items", "a: x@y, , z@w\n", { "a", NULL }, 0, EX_OK,
	    { "z@w", "", "x@y", NULL }, NULL },
	{ "no items", "a:\n", { "a", NULL }, 0, EX_OK, { "", NULL }, NULL },
	{ "two empty items", "a: ,\n", { "a", NULL }, 0, EX_OK,
	    { "", "", NULL }, NULL },
	{ "case sensitive", "Root: r@x\n", { "root", NULL }, 0, EX_OK,
	    { "root", NULL }, NULL },
	{ "comments and blanks",
	    "root: r@x  # comment\n# full comment\n\n   \nuser : u@x\n",
	    { "user", NULL }, 0, EX_OK, { "u@x", NULL }, NULL },
	{ "comment inside", "a: x#y@z\n", { "a", NULL }, 0, EX_OK,
	    { "x", NULL }, NULL },
	{ "colon in comment", "a: x@y # c: d\n", { "a", NULL }, 0, EX_OK,
	    { "x@y", NULL }, NULL },
	{ "crlf and tabs", "a: x@y\r\nb:\tq@z\t\r\n",
	    { "a", "z@z", "b", NULL }, 0, EX_OK,
	    { "x@y", "z@z", "q@z", NULL }, NULL },
	{ "no newline at end", "a: x@y", { "a", NULL }, 0, EX_OK,
	    { "x@y", NULL }, NULL },
	{ "empty file", "", { "root", NULL }, 0, EX_OK, { "root", NULL },
	    NULL },
	{ "duplicate", "a: x@y\na: z@w\n", { "a", NULL }, 0, EX_CONFIG,
	    { NULL }, "line 2: duplicate alias 'a'" },
	{ "duplicate before bad line", "b: q@q\na: x@y\nb: z@w\nbad\n",
	    { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "line 3: duplicate alias 'b'" },
	{ "bad line before duplicate", "a: x@y\nbad\na: z@w\n",
	    { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "line 2: single ':' delimiter expected" },
	{ "invalid alias", "a@b: x@y\n", { "a", NULL }, 0, EX_CONFIG,
	    { NULL }, "line 1: invalid alias 'a@b'" },
	{ "empty alias", ":x@y\n", { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "line 1: invalid alias ''" },
	{ "control characters", "a\001\t@b: x@y\n", { "a", NULL }, 0,
	    EX_CONFIG, { NULL }, "line 1: invalid alias 'a??@b'" },
	{ "two colons", "a: x@y: z\n", { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "line 1: single ':' delimiter expected" },
	{ "no colon", "\n\n\nbad\n", { "a", NULL }, 0, EX_CONFIG, { NULL },
	    "line 4: single ':' delimiter expected" },
	{ "no continuation lines", "a: x@y,\n continued@z\n", { "a", NULL },
	    0, EX_CONFIG, { NULL },
	    "line 2: single ':' delimiter expected" },
	{ "bad file but no local recipient", "bad\n", { "x@y", NULL }, 0,
	    EX_OK, { "x@y", NULL }, NULL },
	{ "missing file", NULL, { "x", NULL }, 0, EX_CONFIG, { NULL },
	    "No such file or directory" },
	{ "missing file, no local recipient", NULL, { "x@y", "", NULL }, 0,
	    EX_OK, { "x@y", "", NULL }, NULL },
	{ "no recipients", NULL, { NULL }, 0, EX_OK, { NULL }, NULL },
};

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/aliases_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void teardown(const char *file)
{
	unlink(file);
	rmdir(tmpdir);
}

/* write_file - the file named path holds len bytes of text. */
static void write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fwrite(text, 1, len, fp) != len) {
		perror(path);
		exit(1);
	}
	fclose(fp);
}

/* run - aliases_expand() on file with the recipients in. */
static int run(const char *file, const char *const *in, unsigned flags,
    struct strlist *out, char **err)
{
	struct strlist l;
	int rc;

	strlist_init(&l);
	for (; *in != NULL; in++)
		strlist_add(&l, *in);
	rc = aliases_expand(file, &l, flags, out, err);
	strlist_free(&l);
	return rc;
}

static void check_list(const char *name, const struct strlist *got,
    const char *const *want)
{
	size_t i, n = 0;

	while (want[n] != NULL)
		n++;
	if (got->n != n)
		fprintf(stderr, "%s: %zu recipients, want %zu\n", name,
		    got->n, n);
	CHECK_INT(got->n, n);
	for (i = 0; i < n && i < got->n; i++)
		CHECK_STR(got->v[i], want[i]);
}

static void run_case(const struct alias_case *t, const char *file)
{
	struct strlist out;
	char *err = NULL, *want_err = NULL;
	int rc;

	unlink(file);
	if (t->text != NULL)
		write_file(file, t->text, strlen(t->text));
	strlist_init(&out);
	strlist_add(&out, "kept");
	rc = run(file, t->in, t->flags, &out, &err);
	if (rc != t->rc)
		fprintf(stderr, "case \"%s\"\n", t->name);
	CHECK_INT(rc, t->rc);
	CHECK_STR(out.v[0], "kept");		/* appended, not replaced */
	if (rc == EX_OK) {
		struct strlist tail = { out.v + 1, out.n - 1, 0 };

		check_list(t->name, &tail, t->out);
		CHECK_STR(err, NULL);
	} else {
		want_err = xasprintf("%s: %s", file, t->err);
		if (err == NULL || strcmp(err, want_err) != 0)
			fprintf(stderr, "case \"%s\"\n", t->name);
		CHECK_STR(err, want_err);
		CHECK_INT(out.n, 1);		/* unchanged on failure */
	}
	free(want_err);
	free(err);
	strlist_free(&out);
}

static void test_table(void)
{
	char *file;
	size_t i;

	setup();
	file = xasprintf("%s/aliases", tmpdir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], file);
	teardown(file);
	free(file);
}

/* chain - "a1: a2\n" ... "aN: final@x\n". */
static char *chain(int n)
{
	struct strlist l;
	char *s;
	int i;

	strlist_init(&l);
	for (i = 1; i < n; i++)
		strlist_take(&l, xasprintf("a%d: a%d\n", i, i + 1));
	strlist_take(&l, xasprintf("a%d: final@x\n", n));
	s = strlist_join(&l, "");
	strlist_free(&l);
	return s;
}

static void test_depth(void)
{
	static const char *const in[] = { "a1", NULL };
	struct strlist out;
	char *file, *text, *err = NULL;

	setup();
	file = xasprintf("%s/aliases", tmpdir);
	text = chain(ALIASES_MAX_DEPTH + 1);	/* 17 names: works */
	write_file(file, text, strlen(text));
	free(text);
	strlist_init(&out);
	CHECK_INT(run(file, in, 0, &out, &err), EX_OK);
	CHECK_INT(out.n, 1);
	CHECK_STR(out.v[0], "final@x");
	strlist_free(&out);
	text = chain(ALIASES_MAX_DEPTH + 2);	/* 18: too many */
	write_file(file, text, strlen(text));
	free(text);
	CHECK_INT(run(file, in, 0, &out, &err), EX_CONFIG);
	text = xasprintf("%s: Too many redirects when expanding alias a1.",
	    file);
	CHECK_STR(err, text);
	free(text);
	free(err);
	teardown(file);
	free(file);
}

/* msmtp keeps the first 32 items of a line. */
static void test_32_items(void)
{
	static const char *const in[] = { "m", NULL };
	struct strlist out, l;
	char *file, *text, *items, *err = NULL;
	int i;

	setup();
	file = xasprintf("%s/aliases", tmpdir);
	strlist_init(&l);
	for (i = 1; i <= 35; i++)
		strlist_take(&l, xasprintf("u%d@x", i));
	items = strlist_join(&l, ", ");
	strlist_free(&l);
	text = xasprintf("m: %s\n", items);
	write_file(file, text, strlen(text));
	strlist_init(&out);
	CHECK_INT(run(file, in, 0, &out, &err), EX_OK);
	CHECK_INT(out.n, 32);
	CHECK_STR(out.v[0], "u32@x");
	CHECK_STR(out.v[31], "u1@x");
	strlist_free(&out);
	free(items);
	free(text);
	teardown(file);
	free(file);
}

/* A line may hold 510 bytes and its newline; msmtp reads 511 at most. */
static void test_line_length(void)
{
	static const char *const in[] = { "a", NULL };
	static const struct {
		size_t	len;	/* bytes before the newline */
		int	nl;
		int	rc;
	} t[] = {
		{ 509, 1, EX_OK }, { 509, 0, EX_OK }, { 510, 0, EX_OK },
		{ 510, 1, EX_CONFIG }, { 511, 0, EX_CONFIG },
		{ 511, 1, EX_CONFIG }, { 1200, 1, EX_CONFIG },
	};
	struct strlist out;
	char *file, *text, *want, *err;
	size_t i, n;

	setup();
	file = xasprintf("%s/aliases", tmpdir);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		text = xmalloc(t[i].len + 16);
		memcpy(text, "b: q@q\na: ", 10);
		n = t[i].len - 3;		/* "a: " is in the line */
		memset(text + 10, 'x', n - 2);
		memcpy(text + 10 + n - 2, "@y", 2);
		n = 10 + n;
		if (t[i].nl)
			text[n++] = '\n';
		write_file(file, text, n);
		free(text);
		strlist_init(&out);
		err = NULL;
		CHECK_INT(run(file, in, 0, &out, &err), t[i].rc);
		if (t[i].rc == EX_OK) {
			CHECK_INT(out.n, 1);
			CHECK_INT(strlen(out.v[0]), t[i].len - 3);
		} else {
			want = xasprintf("%s: line 2: longer than 511 "
			    "characters", file);
			CHECK_STR(err, want);
			free(want);
		}
		free(err);
		strlist_free(&out);
	}
	teardown(file);
	free(file);
}

/* A NUL ends the line for msmtp (strlen); the rest of the line is lost. */
static void test_nul(void)
{
	static const char text[] = "a: x@y\0junk\nb: z@w\n";
	static const char *const in[] = { "a", "q@q", "b", NULL };
	static const char *const want[] = { "x@y", "q@q", "z@w", NULL };
	struct strlist out;
	char *file, *err = NULL;

	setup();
	file = xasprintf("%s/aliases", tmpdir);
	write_file(file, text, sizeof(text) - 1);
	strlist_init(&out);
	CHECK_INT(run(file, in, 0, &out, &err), EX_OK);
	check_list("nul", &out, want);
	strlist_free(&out);
	teardown(file);
	free(file);
}

static void test_directory(void)
{
	static const char *const in[] = { "x", NULL };
	struct strlist out;
	char *err = NULL, *want;

	setup();
	strlist_init(&out);
	CHECK_INT(run(tmpdir, in, 0, &out, &err), EX_CONFIG);
	want = xasprintf("%s: input error", tmpdir);
	CHECK_STR(err, want);
	CHECK_INT(out.n, 0);
	free(want);
	free(err);
	rmdir(tmpdir);
}

/* 32 items over 4 levels: 32^4 recipients, more than we allow. */
static void test_too_many(void)
{
	static const char *const in[] = { "a0", NULL };
	struct strlist out, file_text;
	char *file, *text, *err = NULL, *want;
	int lvl, i;

	setup();
	file = xasprintf("%s/aliases", tmpdir);
	strlist_init(&file_text);
	for (lvl = 0; lvl < 4; lvl++) {
		struct strlist items;
		char *joined;

		strlist_init(&items);
		for (i = 0; i < 32; i++)
			strlist_take(&items, lvl < 3 ?
			    xasprintf("a%d", lvl + 1) : xasprintf("u%d@x", i));
		joined = strlist_join(&items, ",");
		strlist_take(&file_text, xasprintf("a%d: %s\n", lvl, joined));
		free(joined);
		strlist_free(&items);
	}
	text = strlist_join(&file_text, "");
	strlist_free(&file_text);
	write_file(file, text, strlen(text));
	free(text);
	strlist_init(&out);
	CHECK_INT(run(file, in, 0, &out, &err), EX_CONFIG);
	want = xasprintf("%s: Too many recipients when expanding alias a0.",
	    file);
	CHECK_STR(err, want);
	CHECK_INT(out.n, 0);
	free(want);
	free(err);
	teardown(file);
	free(file);
}

UNIT_MAIN(
	UNIT_CASE(test_table),
	UNIT_CASE(test_depth),
	UNIT_CASE(test_32_items),
	UNIT_CASE(test_line_length),
	UNIT_CASE(test_nul),
	UNIT_CASE(test_directory),
	UNIT_CASE(test_too_many)
)
