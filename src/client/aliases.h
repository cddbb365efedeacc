/*
 * aliases - msmtp's aliases file: local recipients rewritten in the
 * envelope only (the mail's To/Cc are never touched).
 *
 * File format, as msmtp 1.8 reads it (checked against Debian's 1.8.23):
 * one "name: addr1, addr2, ..." per line; everything from the first '#'
 * on is a comment; blank and comment-only lines are skipped (but counted
 * for the line numbers of errors); there are no continuation lines. Name
 * and addresses are trimmed of blanks (space, \t, \n, \v, \f, \r); an
 * address may be empty ("a: x@y, , z@w" gives x@y, "" and z@w, and msmtp
 * then sends RCPT TO:<>); only the first 32 comma-separated items of a
 * line count. Names are matched case-sensitively. A line longer than 510
 * bytes plus its newline is an error (msmtp reads with a 512-byte fgets).
 *
 * Expansion: a recipient is local if it is not empty and has no '@'; if
 * the input has none, the file is not even opened. A local name found in
 * the file is replaced by its list, and every local name in that list is
 * expanded in turn; a name not in the file is replaced by the "default"
 * entry's list if there is one, else kept as it is (this applies at every
 * level: "root: joe" plus "default: admin@x" sends root's mail to
 * admin@x). Expansion nested deeper than 16 levels is an error (a chain
 * of 17 names works, 18 fail; "a: a" fails), as in msmtp 1.8.6 and later.
 *
 * msmtp's quirks, reproduced unless flags say otherwise:
 *  - the addresses of one expanded recipient come out in reverse order
 *    ("root: a@x, b@x" gives b@x, a@x; nested lists are reversed as a
 *    whole: "root: e@x, a, b@x" with "a: c@x, d@x" gives b@x d@x c@x e@x);
 *  - the recipient right after an expanded one is never looked at: with
 *    recipients "user root", only user is expanded, root is sent as
 *    "root" (ALIASES_EXPAND_ALL looks at every recipient).
 * One deliberate difference: an expansion that would give more than
 * ALIASES_MAX_RCPTS recipients is an error (msmtp runs out of memory).
 *
 * Ownership: in is only read; out is the caller's, initialised by the
 * caller, and gets the result appended (the whole list, local names
 * replaced) only on success; on failure out is unchanged.
 *
 * Errors: every failure is EX_CONFIG, as msmtp exits, with *errstr a new
 * message the caller frees and prints after "msmtp: ", in msmtp's words;
 * control characters in the part after the file name become '?':
 *   "FILE: <strerror>"                    the file cannot be opened
 *   "FILE: input error"                   a read error (e.g. a directory)
 *   "FILE: line N: longer than 511 characters"
 *   "FILE: line N: single ':' delimiter expected"
 *   "FILE: line N: invalid alias 'X'"     X empty or with an '@'
 *   "FILE: line N: duplicate alias 'X'"
 *   "FILE: Too many redirects when expanding alias X."
 *   "FILE: Too many recipients when expanding alias X."  (ours only)
 */
#ifndef CLIENT_ALIASES_H
#define CLIENT_ALIASES_H

#include "util/strlist.h"

/* Nesting msmtp allows (MAXDEPTH). */
#define ALIASES_MAX_DEPTH	16
/* Our cap on the size of the expanded list. */
#define ALIASES_MAX_RCPTS	100000

/* aliases_expand() flags */
#define ALIASES_EXPAND_ALL	0x1	/* skip none (msmtp does) */

/*
 * aliases_expand - append to out the recipients of in with the local
 * ones replaced through file.
 */
int aliases_expand(const char *file, const struct strlist *in,
    unsigned flags, struct strlist *out, char **errstr);

#endif
