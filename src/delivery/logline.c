/*
 * logline - msmtp's log line; see logline.h.
 */
#include "delivery/logline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "delivery/advice.h"
#include "util/buf.h"
#include "util/escape.h"
#include "util/logfile.h"
#include "util/sysexit.h"
#include "util/xalloc.h"

/* Seconds msmtp waits for the logfile lock. */
#define LOG_LOCK_SECONDS	10

/* put_sanitized - a message in msmtp's quoted form. */
static void put_sanitized(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\'' || c < 0x20 || c == 0x7f)
			buf_putc(b, '?');
		else
			buf_putc(b, (char)c);
	}
}

/* put_field - a value as it is, but for the bytes that could forge a
 * line or drive a terminal (util/escape.h): msmtp writes them raw. */
static void put_field(struct buf *b, const char *s)
{
	if (s != NULL)
		escape_text(b, s, strlen(s), 0);
}

char *logline_format(const struct logline_info *li)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_printf(&b, "%s=", li->is_socket ? "socket" : "host");
	put_field(&b, li->host);
	buf_printf(&b, " tls=%s auth=%s ", li->tls ? "on" : "off",
	    li->auth ? "on" : "off");
	if (li->auth && li->user != NULL) {
		buf_puts(&b, "user=");
		put_field(&b, li->user);
		buf_putc(&b, ' ');
	}
	buf_puts(&b, "from=");
	put_field(&b, li->from);
	buf_puts(&b, " recipients=");
	for (i = 0; li->rcpts != NULL && i < li->rcpts->n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		put_field(&b, li->rcpts->v[i]);
	}
	buf_putc(&b, ' ');
	if (li->sent)
		buf_printf(&b, "mailsize=%llu ", li->mailsize);
	if (li->smtpstatus != 0 && li->smtpmsg != NULL) {
		buf_printf(&b, "smtpstatus=%d smtpmsg='", li->smtpstatus);
		put_sanitized(&b, li->smtpmsg);
		buf_puts(&b, "' ");
	}
	if (li->errormsg != NULL) {
		buf_puts(&b, "errormsg='");
		put_sanitized(&b, li->errormsg);
		buf_puts(&b, "' ");
	}
	buf_printf(&b, "exitcode=%s", sysexit_name(li->exitcode));
	for (i = 0; li->refused != NULL && i < li->refused->n; i++) {
		buf_puts(&b, " refused=");
		put_field(&b, li->refused->v[i]);
		buf_puts(&b, " refusedmsg='");
		put_sanitized(&b, li->refused_msgs->v[i]);
		buf_putc(&b, '\'');
	}
	return buf_steal(&b);
}

/* time_prefix - the logfile's time stamp and a space, or "". */
static char *time_prefix(const char *fmt)
{
	char stamp[256];
	struct tm tm;
	time_t now = time(NULL);

	if (fmt == NULL)
		fmt = "%b %d %H:%M:%S";
	if (strcmp(fmt, "none") == 0 || fmt[0] == '\0')
		return xstrdup("");
	localtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), fmt, &tm) == 0)
		return xstrdup("");
	return xasprintf("%s ", stamp);
}

/* lock_file - fcntl write lock, retried for LOG_LOCK_SECONDS. */
static int lock_file(int fd)
{
	struct flock fl;
	int tries;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (tries = 0; tries < LOG_LOCK_SECONDS * 10; tries++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EACCES && errno != EAGAIN)
			return -1;
		usleep(100000);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* append_line - write the whole line to the logfile, or fail. */
static int append_line(const char *path, const char *text, char **why)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, to_stdout = strcmp(path, "-") == 0;

	/* After what -d and -P printed through stdio, as msmtp's log. */
	if (to_stdout)
		fflush(stdout);
	fd = to_stdout ? STDOUT_FILENO : logfile_open(path, why);
	if (fd < 0)
		return -1;
	if (!to_stdout && lock_file(fd) != 0) {
		*why = xstrdup(strerror(errno));
		close(fd);
		return -1;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = xstrdup(strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (!to_stdout && close(fd) != 0 && off == len) {
		*why = xstrdup(strerror(errno));
		return -1;
	}
	return off == len ? 0 : -1;
}

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "LOG_USER", LOG_USER }, { "LOG_MAIL", LOG_MAIL },
	{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
	{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
	{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
	{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
};

static int facility_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].facility;
	return LOG_USER;
}

void logline_write(const struct account *acc, const char *line, int failed)
{
	char *prefix, *text, *why = NULL;

	if (acc->syslog != NULL) {
		openlog("msmtp", 0, facility_of(acc->syslog));
		syslog(failed ? LOG_ERR : LOG_INFO, "%s", line);
		closelog();
	}
	if (acc->logfile == NULL)
		return;
	prefix = time_prefix(acc->logfile_time_format);
	text = xasprintf("%s%s\n", prefix, line);
	if (append_line(acc->logfile, text, &why) != 0) {
		fprintf(stderr, "%s: cannot log to %s: %s\n",
		    program_invocation_short_name, acc->logfile,
		    why ? why : "unknown error");
		fprintf(stderr, "%s: log info was: %s\n",
		    program_invocation_short_name, line);
	}
	free(why);
	free(text);
	free(prefix);
}

/* add_refused - the recipients the server refused, with its reply to
 * each, for a mail that others got (msmtp has no such case). */
static void add_refused(const struct strlist *rcpts,
    const struct deliver_report *rep, struct strlist *refused,
    struct strlist *msgs)
{
	const struct deliver_rcpt *r;
	size_t i;

	for (i = 0; i < rep->nrcpts && rcpts != NULL && i < rcpts->n; i++) {
		r = &rep->rcpts[i];
		if (r->code == 0 || r->cls == CLASS_OK)
			continue;
		strlist_add(refused, rcpts->v[i]);
		strlist_take(msgs, r->text ? xstrdup(r->text) :
		    xasprintf("%d", r->code));
	}
}

void logline_delivery(const struct account *acc, const struct strlist *rcpts,
    const struct deliver_report *rep, const char *extra)
{
	struct strlist refused, msgs;
	struct logline_info li;
	char *line, *full;

	if (acc->logfile == NULL && acc->syslog == NULL)
		return;
	memset(&li, 0, sizeof(li));
	li.host = acc->socket ? acc->socket : acc->host;
	li.is_socket = acc->socket != NULL;
	li.tls = acc->tls;
	li.auth = acc->auth_mech != NULL;
	li.user = acc->user;
	li.from = acc->from;
	li.rcpts = rcpts;
	li.sent = rep->sent;
	li.mailsize = rep->mailsize;
	li.smtpstatus = rep->reply_code;
	li.smtpmsg = rep->reply_text;
	li.errormsg = rep->sent ? NULL : rep->errmsg;
	li.exitcode = rep->exitcode;
	strlist_init(&refused);
	strlist_init(&msgs);
	if (rep->sent)
		add_refused(rcpts, rep, &refused, &msgs);
	li.refused = &refused;
	li.refused_msgs = &msgs;
	line = logline_format(&li);
	full = extra ? xasprintf("%s %s", line, extra) : xstrdup(line);
	logline_write(acc, full, !rep->sent);
	free(full);
	free(line);
	strlist_free(&refused);
	strlist_free(&msgs);
}

char *logline_with_hint(char *extra, const char *hint)
{
	struct buf b;
	char *brief;

	if (hint == NULL || *hint == '\0')
		return extra;
	brief = advice_brief(hint);
	buf_init(&b);
	if (extra != NULL)
		buf_printf(&b, "%s ", extra);
	buf_puts(&b, "hint='");
	put_sanitized(&b, brief);
	buf_putc(&b, '\'');
	free(brief);
	free(extra);
	return buf_steal(&b);
}
