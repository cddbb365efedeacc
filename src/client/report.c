/*
 * report - tell the user and the log what became of a delivery; see
 * report.h.
 */
#include "client/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/advice.h"
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

/* report_delivery_advice - the hints for a failed delivery, after all
 * of msmtp's lines, so that msmtp's block stays whole for scripts. */
void report_delivery_advice(const struct account *acc,
    const struct deliver_report *rep)
{
	struct strlist hints;

	strlist_init(&hints);
	if (advice_for_delivery(acc, rep, &hints) > 0)
		report_advice(&hints);
	strlist_free(&hints);
}

/* report_advice - each hint behind REPORT_HINT; a server's words in a
 * hint (a certificate's names) were made printable by the engine. */
void report_advice(const struct strlist *hints)
{
	size_t i;

	for (i = 0; i < hints->n; i++)
		fprintf(stderr, REPORT_HINT "%s\n", hints->v[i]);
}

char *report_with_advice(char *msg, const struct strlist *hints)
{
	struct buf b;
	size_t i;

	if (hints->n == 0)
		return msg;
	buf_init(&b);
	buf_puts(&b, msg);
	for (i = 0; i < hints->n; i++)
		buf_printf(&b, "\n" REPORT_HINT "%s", hints->v[i]);
	free(msg);
	msg = xstrdup(b.data);
	buf_free(&b);
	return msg;
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
	report_delivery_advice(acc, rep);
}

void report_not_sent(const struct account *acc)
{
	char *origin = account_origin(acc);

	fprintf(stderr, "msmtp: could not send mail%s\n", origin);
	free(origin);
}
