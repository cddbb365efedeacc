/*
 * logfile - open a log file for appending, safely: the one rule for
 * every log file this project writes (msmtp's and the runner's logfile,
 * msmtpd's --log).
 *
 * A log names senders and recipients, so it must neither leak to nor be
 * steered by another user. The last component is never followed if it
 * is a symbolic link (O_NOFOLLOW: a link planted in a shared directory
 * would make us append, as root perhaps, to a file of the planter's
 * choosing), and the file opened is checked with fstat() -- the file
 * itself, not its name, so nothing can be swapped in between: a regular
 * file or FIFO must belong to us or to root and must not be writable by
 * group or others (a file others can write, they can also truncate,
 * read if readable, or fill with forged lines). Devices (/dev/null, a
 * terminal) are written as they are. A new file is created 0600.
 *
 * logfile_open() returns the descriptor (close-on-exec), or -1 with
 * *why set to a new message saying what is wrong and how to fix it (the
 * caller frees it). Callers report it and go on: a log problem never
 * fails a mail (msmtp says "cannot log to FILE: ..." and keeps its exit
 * code).
 */
#ifndef UTIL_LOGFILE_H
#define UTIL_LOGFILE_H

int logfile_open(const char *path, char **why);

#endif
