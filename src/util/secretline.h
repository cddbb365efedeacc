/*
 * secretline - read one line that may be a secret: the first line a
 * shell command prints (passwordeval, msmtprc's "eval", msmtpd's
 * --auth=USER,EVAL), or a line typed on a terminal with echo off.
 *
 * Lines come back newly allocated without their line end (LF or CRLF);
 * the caller releases them with secretline_free(), which wipes them
 * first. Reads go a byte at a time so nothing past the line is taken;
 * the buffer grows by copying and wiping the old one, so no stale copy
 * of the secret is left in freed memory. A line is at most
 * SECRETLINE_MAX bytes: a command that prints without end cannot make
 * us allocate without end.
 */
#ifndef UTIL_SECRETLINE_H
#define UTIL_SECRETLINE_H

#define SECRETLINE_MAX	(1024 * 1024)

/* secretline_read - the first line from fd; NULL if the input ended
 * before any byte, or the line was longer than SECRETLINE_MAX. */
char *secretline_read(int fd);

/*
 * secretline_eval - run cmd under /bin/sh -c, its standard input
 * /dev/null, its standard output a pipe to us, and take the first line
 * it prints; the rest of its output is not read (it may get SIGPIPE).
 *
 * Works in a process started with fd 0, 1 or 2 closed: the pipe is
 * moved above them first. Left on fd 1, its write end would be dup2'ed
 * onto itself, which keeps close-on-exec where the C library does not
 * special-case it (the command's output lost); and no end of it may be
 * taken by the child's /dev/null stdin or mixed with its stderr.
 *
 * Returns EX_OK with *line set, or, with *line NULL and *errstr newly
 * allocated (the caller frees it):
 *   EX_OSERR "cannot evaluate 'CMD': STRERROR" (no pipe, no child);
 *   EX_IOERR "cannot read output of 'CMD'" (it printed nothing);
 *   EX_IOERR "cannot read output of 'CMD': its first line is longer
 *            than N bytes".
 * *status, when status is not NULL, gets the command's wait status, or
 * -1 if it did not start or could not be waited for. The callers ignore
 * it, as msmtp does: a command that prints its line and then fails
 * still gives the line.
 */
int secretline_eval(const char *cmd, char **line, int *status,
    char **errstr);

/* secretline_tty - a line from the terminal fd with echo off (restored
 * afterwards), then a newline written for the one not echoed. */
char *secretline_tty(int fd);

/* secretline_free - wipe and free; NULL is fine. */
void secretline_free(char *line);

#endif
