/*
 * argv - the pipe command line: --command split into words once, then
 * for each mail an argv with the envelope sender put in place of the
 * first %F and the recipients appended, one argument each.
 *
 * Word splitting is the shell's quoting without anything else: words are
 * separated by blanks; '...' keeps everything literally; "..." keeps
 * everything but \" \\ \$ \` (the backslash goes); a backslash outside
 * quotes keeps the next character. There is no expansion, no
 * redirection, no globbing: msmtpd runs no shell. For shell syntax, run
 * one explicitly: --command="sh -c 'cat > \"$0\"' /tmp/mail".
 *
 * Ownership: argv_split() fills a caller-owned strlist; argv_build()
 * returns a NULL-terminated array the caller frees with argv_free().
 * Errors: argv_split() returns EX_USAGE with *errstr allocated (caller
 * frees).
 *
 * SECURITY: the sender and the recipients come from the client. They are
 * put in as whole arguments (never re-split, never seen by a shell), and
 * session.c has checked them (cmd_addr_ok(): no leading '-').
 */
#ifndef MSMTPD_ARGV_H
#define MSMTPD_ARGV_H

#include "util/strlist.h"

int argv_split(const char *cmd, struct strlist *words, char **errstr);

/* argv_build - the words, the first "%F" replaced by from ("<>" when from
 * is empty: msmtp's -f takes that as the null sender), then rcpts. */
char **argv_build(const struct strlist *words, const char *from,
    const struct strlist *rcpts);
void argv_free(char **argv);

#endif
