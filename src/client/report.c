/*
 * report - tell the user and the log what became of a delivery; see
 * report.h.
 */
#include "client/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/logline.h"
#include "util/buf.h"
#include "util/escape.h"
#include "util/xalloc.h"

/* account_origin - " (account A from F)" as msmtp names it, or "". */
static char *account_origin(const struct account *acc)
{
	if (acc->id == NULL || acc->conffile == NULL)
		return xstrdup("");
	return xasprintf(" (account %s from %s)", acc->id, acc->conffile);
}

/* report_reply - each line of a server reply, behind msmtp's label;
 * the server's control characters (ESC, CR...) escaped, so that a reply
 * cannot drive the terminal (msmtp prints them raw). */
void report_reply(const char *label, const char *text)
{
	const char *line, *nl;
	struct buf shown;

	buf_init(&shown);
	for (line = text; line != NULL; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		buf_reset(&shown);
		escape_text(&shown, line, nl ? (size_t)(nl - line) :
		    strlen(line), 0);
		fprintf(stderr, "msmtp: %s: %s\n", label, shown.data);
	}
	buf_free(&shown);
}

/* report_failure - msmtp's stderr lines for a failed delivery. */
void report_failure(const struct account *acc,
    const struct deliver_report *rep)
{
	char *origin = account_origin(acc);
	size_t i;

	if (rep->lmtp_partial) {
		for (i = 0; i < rep->refused.n; i++) {
			fprintf(stderr, "msmtp: the server refuses to send "
			    "the mail to %s\n", rep->refused.v[i]);
			report_reply("LMTP server message", rep->refusals.v[i]);
		}
		fprintf(stderr, "msmtp: could not send mail to all "
		    "recipients%s\n", origin);
		free(origin);
		return;
	}
	fprintf(stderr, "msmtp: %s\n", rep->errmsg ? rep->errmsg :
	    "unknown error");
	if (rep->config_error) {
		free(origin);
		return;		/* nothing was tried: msmtp says no more */
	}
	if (rep->outcome.terr == TERR_NONE && rep->reply_text != NULL)
		report_reply("server message", rep->reply_text);
	free(origin);
	report_not_sent(acc);
}

void report_not_sent(const struct account *acc)
{
	char *origin = account_origin(acc);

	fprintf(stderr, "msmtp: could not send mail%s\n", origin);
	free(origin);
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

void report_log(const struct account *acc, const struct strlist *rcpts,
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

