/*
 * subject_test - the Subject a listing shows: found in the header block
 * only, folds joined, controls and bad UTF-8 escaped, cut whole.
 */
#include <stdlib.h>
#include <string.h>

#include "queue/subject.h"
#include "unit.h"

static void check(const char *mail, const char *want)
{
	char *got = subject_of(mail, strlen(mail));

	CHECK_STR(got, want);
	free(got);
}

static void test_found(void)
{
	check("From: a\nSubject: hello\n\nbody\n", "hello");
	check("subject:   spaced  \r\nX: y\n\n", "spaced");
	check("Subject: one\n two\n\tthree\nX: y\n\n", "one two three");
	check("Subject: first\nSubject: second\n\n", "first");
	check("Subject: at the end", "at the end");
	check("Subject:\n\n", "");
}

static void test_not_found(void)
{
	check("From: a\n\nSubject: in the body\n", NULL);
	check("X-Subject: no\n\n", NULL);
	check("", NULL);
}

static void test_escaped_and_cut(void)
{
	char mail[600];
	char *got;
	size_t i;

	check("Subject: a\x1b[31mb\xff\n\n", "a\\x1b[31mb\\xff");
	strcpy(mail, "Subject: ");
	for (i = 0; i < 150; i++)
		strcat(mail, "\xc3\xa9");
	strcat(mail, "\n\n");
	got = subject_of(mail, strlen(mail));
	CHECK(got != NULL && strlen(got) == SUBJECT_MAX);
	free(got);
	mail[9] = 'x';		/* shifts every character by one byte */
	got = subject_of(mail, strlen(mail));
	CHECK(got != NULL && strlen(got) == SUBJECT_MAX - 1);
	free(got);
}

UNIT_MAIN(UNIT_CASE(test_found), UNIT_CASE(test_not_found),
    UNIT_CASE(test_escaped_and_cut))
