/*
 * log - msmtpd's log; see log.h.
 */
#include "msmtpd/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/logfile.h"
#include "util/xalloc.h"

void log_open(struct log *l, const char *spec, char **warning)
{
	*warning = NULL;
	l->fd = -1;
	if (strcmp(spec, "none") == 0) {
		l->kind = LOGK_NONE;
		return;
	}
	if (strcmp(spec, "syslog") != 0) {
		char *why;

		l->fd = logfile_open(spec, &why);
		if (l->fd >= 0) {
			l->kind = LOGK_FILE;
			return;
		}
		*warning = xasprintf("cannot open log file %s: %s; using "
		    "syslog", spec, why);
		free(why);
	}
	l->kind = LOGK_SYSLOG;
	openlog("msmtpd", LOG_PID, LOG_MAIL);
}

void log_msg(struct log *l, int error, const char *fmt, ...)
{
	struct buf msg, line;
	char stamp[32];
	struct tm tm;
	va_list ap;
	time_t now;

	if (l->kind == LOGK_NONE)
		return;
	buf_init(&msg);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (l->kind == LOGK_SYSLOG) {
		syslog(error ? LOG_ERR : LOG_INFO, "%s", msg.data);
		buf_free(&msg);
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	buf_init(&line);
	buf_printf(&line, "%s msmtpd[%ld] %s: %s\n", stamp, (long)getpid(),
	    error ? "error" : "info", msg.data);
	if (write(l->fd, line.data, line.len) < 0)
		(void)0;	/* nowhere to report it */
	buf_free(&line);
	buf_free(&msg);
}

void log_close(struct log *l)
{
	if (l->kind == LOGK_FILE)
		close(l->fd);
	else if (l->kind == LOGK_SYSLOG)
		closelog();
	l->kind = LOGK_NONE;
	l->fd = -1;
}
