/*
 * report - tell the user and the log what became of a delivery; see
 * report.h.
 */
#include "client/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/logline.h"
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
