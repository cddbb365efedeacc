/*
 * argv - the pipe command line. As msmtp's msmtpd runs --command through
 * the shell (popen), so does msmtpd here: redirections, ';' and pipes in
 * --command work ("cat > mail.txt; echo > rcpt.txt"). For each mail:
 *
 *   /bin/sh -c 'msmtpd_from=$1; shift; CMD "$@"' sh FROM RCPT...
 *
 * where CMD is --command with its first "%F" (the envelope sender, "<>"
 * for the null sender) rewritten as below and its trailing blanks cut.
 * The recipients are appended as "$@": words the shell expands but never
 * parses, so a recipient reaches the command as one argument whatever it
 * holds.
 *
 * THE SENDER. No single text stands for a variable in every quoting
 * context, so argv_prepare() reads --command as the shell would up to
 * the first %F (quotes, backslashes) and picks by where %F stands:
 *
 *   outside quotes          "${msmtpd_from}"   one word, never split
 *   inside "..."            ${msmtpd_from}     the user's quotes hold it
 *   anywhere else           the sender itself, only if every byte of it
 *                           is one of A-Z a-z 0-9 @ . _ + - (not first),
 *                           which no shell reads as syntax in any context;
 *                           any other sender is refused (argv_build()
 *                           returns NULL: the session answers 554 5.1.7).
 *
 * "Anywhere else" is %F inside '...', after a backslash or a '$', and %F
 * after anything this reader does not follow: `...`, $(...), ${...},
 * $'...', a here-document (<<) or a comment ('#'). Inside '...' the text
 * is often a script for a second shell ("sh -c 'cat > /tmp/%F'"), which
 * would parse a substituted reference's value: there only the inert
 * character set is safe.
 *
 * Why this holds even where the reader misjudges the context: the two
 * reference forms are fixed text naming a variable. In any context the
 * shell takes them as a parameter expansion or as literal text, and an
 * expansion's result is never parsed again as syntax (at worst, unquoted
 * by mistake, it is split into words or globbed). The client's bytes
 * enter the script itself only in the inert form.
 *
 * What no rule here can see: a command that evaluates its own arguments
 * (eval, sh -c "...%F..." in double quotes, sh -c 'echo '%F) parses the
 * sender again. That is the command's author's to keep safe: give an
 * inner script its data as arguments (sh -c 'cat > "$1"' sh %F).
 *
 * The addresses have already passed session.c (mailbox.h: no leading
 * '-', nothing msmtp would split); that check is not what keeps the
 * shell away from them.
 *
 * Ownership: argv_prepare() fills a caller-owned struct pipecmd that
 * argv_release() empties; argv_build() returns a NULL-terminated array
 * the caller frees with argv_free(). Errors: argv_prepare() returns
 * EX_USAGE with *errstr allocated (caller frees).
 */
#ifndef MSMTPD_ARGV_H
#define MSMTPD_ARGV_H

#include "util/strlist.h"

#define ARGV_SHELL	"/bin/sh"

enum argv_from {
	ARGV_FROM_NONE,		/* no %F */
	ARGV_FROM_WORD,		/* outside quotes */
	ARGV_FROM_DQUOTED,	/* inside "..." */
	ARGV_FROM_INERT		/* the sender itself, if it is inert */
};

struct pipecmd {
	char		*head;	/* --command up to the first %F, or all of it */
	char		*tail;	/* what follows that %F ("" without one) */
	enum argv_from	 from;
};

/* argv_prepare - split cmd at its first %F and see where that stands.
 * EX_USAGE for an empty command, an unterminated quote, or a command
 * that ends in ';', '&' or '|' (the recipients would be run as a
 * command). */
int argv_prepare(const char *cmd, struct pipecmd *pc, char **errstr);
void argv_release(struct pipecmd *pc);

/* argv_quote - s as one shell word, for text such as a program's path
 * that goes into a command line: as it is when it holds only letters,
 * digits and /._+,:@- (so that cmdcheck.c can still read it), else in
 * '...' with each ' as '\''; allocated. */
char *argv_quote(const char *s);

/* argv_sender_inert - whether from may be put into the script as it is. */
int argv_sender_inert(const char *from);

/* argv_script - the script given to sh -c (see above); allocated. */
char *argv_script(const struct pipecmd *pc, const char *from);

/* argv_build - the argv for one mail (ARGV_SHELL first), or NULL if the
 * sender may not be given to this command (ARGV_FROM_INERT). */
char **argv_build(const struct pipecmd *pc, const char *from,
    const struct strlist *rcpts);
void argv_free(char **argv);

#endif
