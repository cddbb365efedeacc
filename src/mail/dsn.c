/*
 * dsn - RFC 3464 delivery status notifications; see dsn.h.
 */
#include "mail/dsn.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "mail/headers.h"
#include "util/xalloc.h"

int dsn_wanted(const char *envelope_from)
{
	return envelope_from != NULL && envelope_from[0] != '\0';
}

/* put_headers - the notification's own header block. */
static void put_headers(const struct dsn_info *bi, const char *boundary,
    struct buf *out)
{
	char date[64];
	char *msgid;

	headers_date(bi->now, date);
	msgid = headers_msgid(NULL, "", bi->reporting_host);
	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <%s>\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Date: %s\n"
	    "Message-ID: %s\n"
	    "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"%s\"\n"
	    "\n"
	    "This is a MIME-encapsulated message.\n\n",
	    bi->reporting_host, bi->envelope_from, date, msgid, boundary);
	free(msgid);
}

/* put_text - the part a person reads. */
static void put_text(const struct dsn_info *bi, const char *boundary,
    struct buf *out)
{
	size_t i;

	buf_printf(out, "--%s\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"
	    "This is msmtp-queue on %s.\n\n"
	    "Your message (queue id %s) could not be delivered to the\n"
	    "recipients below%s%s.\n\n", boundary, bi->reporting_host,
	    bi->queue_id, bi->why ? ": " : "", bi->why ? bi->why : "");
	for (i = 0; i < bi->nrcpts; i++)
		buf_printf(out, "<%s>: %s\n", bi->rcpts[i].addr,
		    bi->rcpts[i].text ? bi->rcpts[i].text :
		    "no final answer from the server");
	buf_puts(out, "\n");
}

/* status_of - the recipient's enhanced status, or one made from its
 * reply code (5.0.0), or 4.4.7 (delivery time expired). */
static void status_of(const struct dsn_rcpt *r, char out[16])
{
	if (r->enh != NULL && r->enh[0] != '\0')
		snprintf(out, 16, "%s", r->enh);
	else if (r->code >= 400 && r->code < 600)
		snprintf(out, 16, "%d.0.0", r->code / 100);
	else
		snprintf(out, 16, "4.4.7");
}

/* put_status - the machine-readable part. */
static void put_status(const struct dsn_info *bi, const char *boundary,
    struct buf *out)
{
	char date[64], status[16];
	size_t i;

	headers_date(bi->arrival, date);
	buf_printf(out, "--%s\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; %s\n"
	    "X-Queue-ID: %s\n"
	    "Arrival-Date: %s\n", boundary, bi->reporting_host,
	    bi->queue_id, date);
	headers_date(bi->now, date);
	for (i = 0; i < bi->nrcpts; i++) {
		status_of(&bi->rcpts[i], status);
		buf_printf(out, "\nFinal-Recipient: rfc822; %s\n"
		    "Action: failed\n"
		    "Status: %s\n"
		    "Remote-MTA: dns; %s\n", bi->rcpts[i].addr, status,
		    bi->remote_host);
		if (bi->rcpts[i].text != NULL)
			buf_printf(out, "Diagnostic-Code: smtp; %s\n",
			    bi->rcpts[i].text);
		buf_printf(out, "Last-Attempt-Date: %s\n", date);
	}
	buf_puts(out, "\n");
}

/* header_end - the length of the header block in h (through the line
 * end before the empty line, LF or CRLF), or 0 if it is not all there. */
static size_t header_end(const struct buf *h)
{
	const char *lf = memmem(h->data, h->len, "\n\n", 2);
	const char *crlf = memmem(h->data, h->len, "\n\r\n", 3);

	if (lf == NULL || (crlf != NULL && crlf < lf))
		lf = crlf;
	return lf == NULL ? 0 : (size_t)(lf - h->data) + 1;
}

/*
 * put_original_headers - the original's header block, read up to its
 * empty line (or DSN_HEADERS_MAX bytes, cut at a line end).
 */
static int put_original_headers(const struct dsn_info *bi,
    const char *boundary, struct buf *out, char **errstr)
{
	struct buf h;
	char chunk[4096];
	size_t end;
	ssize_t n;

	buf_init(&h);
	while (h.len < DSN_HEADERS_MAX &&
	    (n = bi->read(bi->read_arg, chunk, sizeof(chunk), errstr)) > 0) {
		buf_append(&h, chunk, (size_t)n);
		if ((end = header_end(&h)) > 0) {
			h.len = end;
			break;
		}
	}
	if (n < 0) {
		buf_free(&h);
		return EX_IOERR;
	}
	if (h.len > DSN_HEADERS_MAX)
		h.len = DSN_HEADERS_MAX;
	while (h.len > 0 && h.data[h.len - 1] != '\n')
		h.len--;	/* whole lines only */
	buf_printf(out, "--%s\nContent-Type: text/rfc822-headers\n\n",
	    boundary);
	buf_append(out, h.data, h.len);
	buf_printf(out, "\n--%s--\n", boundary);
	buf_free(&h);
	return EX_OK;
}

int dsn_compose(const struct dsn_info *bi, struct buf *out,
    char **errstr)
{
	char *boundary = xasprintf("%s/%s", bi->queue_id,
	    bi->reporting_host);
	int rc;

	put_headers(bi, boundary, out);
	put_text(bi, boundary, out);
	put_status(bi, boundary, out);
	rc = put_original_headers(bi, boundary, out, errstr);
	free(boundary);
	return rc;
}
