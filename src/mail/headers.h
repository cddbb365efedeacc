/*
 * headers - the header block of a mail, read and rewritten as msmtp does.
 *
 * The front end reads the mail from stdin. headers_read() takes only the
 * header block -- everything up to and including the first empty line,
 * or up to EOF -- and leaves the stream at the first body byte, so the
 * body can be streamed later. It records what msmtp records (the header
 * fields it looks at and the addresses in them) with msmtp 1.8.23's
 * rules, quirks included; see headers.c for the list. There is no notion
 * of a "valid" header block: a first line that is not a header is simply
 * a header msmtp does not care about, and a mail without an empty line
 * is all header.
 *
 * headers_rewrite() then produces the bytes msmtp sends before the body:
 * the headers it adds (From, To, Date, Message-ID, in that order, each
 * ending with "\n") followed by the original block minus the headers it
 * removes (From when it adds one, To/Cc when set_to_header is not off,
 * Bcc when remove_bcc_headers is on or set_to_header is not off; each
 * with its continuation lines). Like msmtp, the output has no CR at all:
 * msmtp deletes every CR in the header block, a CR that does not end a
 * line included, so every line of the output ends with a bare "\n" (an
 * unterminated last line gets one) and the DATA encoder turns them into
 * CRLF. Feed the output, then the body, through the DATA encoder
 * (smtp/dotstuff.h): its mailsize is then exactly msmtp's logged mailsize
 * (out->len plus the body size with CRLF counted as one byte).
 *
 * Ownership: a struct mail_headers is owned by the caller; headers_init()
 * before use, headers_free() after (also after a failed headers_read()).
 * Everything it points to belongs to it. The rules only borrow the
 * caller's strings. headers_rewrite() appends to the caller's buf.
 *
 * Errors: headers_read() returns EX_OK, or EX_IOERR on a read error, or
 * EX_DATAERR if the header block exceeds HEADERS_MAX bytes; *errstr is
 * then a new message the caller frees. Nothing else here fails.
 */
#ifndef MAIL_HEADERS_H
#define MAIL_HEADERS_H

#include <stdio.h>
#include <time.h>

#include "util/buf.h"
#include "util/strlist.h"

/* The largest header block accepted (msmtp has no limit). */
#define HEADERS_MAX	((size_t)64 << 20)

/* headers_read() flags */
#define HEADERS_RCPTS	0x1	/* -t: collect the recipients */

struct mail_headers {
	struct buf	 raw;		/* the block exactly as read */
	struct buf	 text;		/* the block with every CR deleted */

	/* Set as msmtp 1.8.23 sees them. has_from: a From header gave an
	 * address, or the block ends (EOF) inside a From header; it decides
	 * set_from_header auto. (msmtp 1.8.26+ also counts a Resent-From
	 * that comes first; this does not.) */
	int		 has_from;
	int		 has_date;	/* a "Date:" line */
	int		 has_msgid;	/* a "Message-ID:" line */
	int		 has_to;	/* a "To:" line (set_to_header drops) */
	int		 has_cc;	/* a "Cc:" line */
	int		 has_bcc;	/* a "Bcc:" line (remove_bcc drops) */

	/* The first address of the From header; NULL if has_from is 0, ""
	 * when the block ended inside an empty From header. */
	char		*from_addr;
	/* What --read-envelope-from uses (msmtp 1.8.26): the first address of
	 * a Resent-From header that comes before that From header, else
	 * from_addr. NULL: none (msmtp: "no envelope from address found"). */
	char		*envelope_from;
	/* The Message-ID header's value as written (folds joined, blanks
	 * trimmed); NULL: none. */
	char		*msgid;

	/* With HEADERS_RCPTS: what -t adds to the command-line recipients,
	 * in order: the To, Cc and Bcc addresses, or, if the mail has a
	 * Resent- header, those of the Resent-To/-Cc/-Bcc headers of the
	 * first block of Resent- headers only (possibly none). As in msmtp,
	 * a From header's second and later addresses count as recipients. */
	struct strlist	 rcpts;
};

/* Whether a From header is added (msmtprc's set_from_header). */
enum header_from_rule { HEADER_FROM_AUTO, HEADER_FROM_ON, HEADER_FROM_OFF };
/* What the To header becomes (set_to_header, undisclosed_recipients). */
enum header_to_rule { HEADER_TO_OFF, HEADER_TO_ON, HEADER_TO_UNDISCLOSED };

struct header_rules {
	enum header_from_rule	 set_from;	/* auto: only if !has_from */
	const char		*envelope_from;	/* the From address added */
	const char		*full_name;	/* NULL: a bare address */
	int			 set_date;	/* 1: add Date if missing */
	int			 set_msgid;	/* 1: add Message-ID if none */
	const char		*msgid_domain;	/* the domain setting */
	const char		*host;		/* SMTP host, for the msgid */
	const char		*msgid;		/* NULL: generate one */
	enum header_to_rule	 set_to;
	const struct strlist	*rcpts;		/* final list, for set_to on */
	int			 remove_bcc;
	time_t			 now;		/* for Date */
};

void headers_init(struct mail_headers *h);
void headers_free(struct mail_headers *h);

/*
 * headers_read - read the header block of in into h, as left by
 * headers_init(); flags: HEADERS_RCPTS (-t). The stream is left at the
 * first body byte (at EOF if the block ended there).
 */
int headers_read(FILE *in, int flags, struct mail_headers *h,
    char **errstr);

/* headers_rewrite - append the bytes msmtp sends before the body. */
void headers_rewrite(const struct mail_headers *h,
    const struct header_rules *r, struct buf *out);

/*
 * headers_cmdline_rcpts - the recipients of the command-line arguments,
 * appended to out. msmtp writes each argument as a "To: " line of a
 * header block and reads that block like a mail's, so "Name <a@b>",
 * lists and groups work, and comments may even carry over.
 */
void headers_cmdline_rcpts(char *const *args, size_t n,
    struct strlist *out);

/* headers_date - "Sun, 22 Nov 2026 04:55:20 +0000", local time zone. */
void headers_date(time_t t, char out[64]);

/*
 * headers_msgid - a new "<32 hex digits@domain>", msmtp 1.8.25's form:
 * the domain is msgid_domain unless that is "localhost" (or NULL), else
 * the part of envelope_from after its first '@', else host (else
 * "localhost"). The hex digits are random. The caller frees the result.
 */
char *headers_msgid(const char *msgid_domain, const char *envelope_from,
    const char *host);

/*
 * headers_encode_name - full_name as msmtp 1.8.27 writes it in From:
 * as is if it is printable ASCII (it is not quoted, as in msmtp), else
 * one RFC 2047 "=?utf-8?B?...?=" word. The caller frees the result.
 */
char *headers_encode_name(const char *name);

#endif
