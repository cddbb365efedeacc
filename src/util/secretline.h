/*
 * secretline - read one line that may be a secret: the first line a
 * shell command prints (passwordeval), or a line typed on a terminal
 * with echo off.
 *
 * Lines come back newly allocated without their line end (LF or CRLF);
 * the caller releases them with secretline_free(), which wipes them
 * first. Reads go a byte at a time so nothing past the line is taken,
 * and the buffer is reserved up front so few stale copies are left in
 * freed memory.
 */
#ifndef UTIL_SECRETLINE_H
#define UTIL_SECRETLINE_H

/* secretline_read - the first line from fd; NULL if the input ended
 * before any byte. */
char *secretline_read(int fd);

/*
 * secretline_command - run cmd under /bin/sh -c, its standard input
 * /dev/null, and take the first line it prints (*line NULL if it printed
 * nothing; its exit status is ignored, as msmtp does). Returns 0, or an
 * errno value when the command could not be started.
 */
int secretline_command(const char *cmd, char **line);

/* secretline_tty - a line from the terminal fd with echo off (restored
 * afterwards), then a newline written for the one not echoed. */
char *secretline_tty(int fd);

/* secretline_free - wipe and free; NULL is fine. */
void secretline_free(char *line);

#endif
