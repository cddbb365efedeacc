/*
 * log - msmtpd's log: none, syslog (ident msmtpd, LOG_PID, LOG_MAIL) or a
 * file, one line per event in msmtp's msmtpd format
 * "2026-11-22 03:24:29 msmtpd[11663] info: ...".
 *
 * A log file is opened once, for appending, by logfile_open() (as this
 * project's msmtp does: created 0600, no symbolic link, no file others
 * can write); if it cannot be opened, msmtpd logs to
 * syslog instead, as msmtp's msmtpd does, and log_open() says why in
 * *warning (allocated, the caller frees it).
 *
 * Ownership: the caller owns the struct log; log_close() releases it.
 * Logging never fails the caller: a failed write is dropped.
 */
#ifndef MSMTPD_LOG_H
#define MSMTPD_LOG_H

enum log_kind {
	LOGK_NONE,
	LOGK_SYSLOG,
	LOGK_FILE
};

struct log {
	enum log_kind	kind;
	int		fd;
};

void log_open(struct log *l, const char *spec, char **warning);
/* log_msg - one line; error nonzero makes it an "error:" line. */
void log_msg(struct log *l, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_close(struct log *l);

#endif
