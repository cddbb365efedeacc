/*
 * headers - read and rewrite a mail's header block as msmtp does; see
 * headers.h.
 *
 * Reading follows msmtp 1.8.23's reader, a byte-level state machine, so
 * that every quirk is the same (each was checked against Debian's msmtp):
 *
 *  - every CR is ignored, anywhere in the block; the block ends at the
 *    first empty line (LF or CRLF) or at EOF;
 *  - a header is recognized by its name and the colon, with nothing
 *    between them, in any case ("From :" is not a From header);
 *  - the From address is the first address of the first From header that
 *    has one; an empty From header ("From:", "From: (comment)") does not
 *    count, unless the block ends in it at EOF, in which case the address
 *    is "" -- and the mail counts as having a From header;
 *  - with -t, addresses come from To, Cc and Bcc headers, and also from a
 *    From header past its first address; once a header starting with
 *    "Resent-" is seen, only the Resent-To/-Cc/-Bcc addresses of the
 *    first block of Resent- headers count, a block ending at the first
 *    header (continuation lines included) that is not a Resent- one;
 *  - an unclosed comment in an address header carries its depth into the
 *    next address header unless a line of another header comes between.
 *
 * Rewriting drops header lines by a case-insensitive "Name:" prefix and
 * drops the continuation lines that follow, as msmtp's sender does.
 */
#include "mail/headers.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "mail/addr.h"
#include "util/xalloc.h"

/* What the reader looks for. */
#define M_RCPTS		0x1	/* To, Cc, Bcc and the Resent- block */
#define M_FIELDS	0x2	/* From, Date, Message-ID */

/* Reader states. */
enum {
	HS_BOL,		/* at the start of a line */
	HS_OTHER,	/* in a header of no interest */
	HS_NAME,	/* matching a header name */
	HS_RESENT,	/* matching "Resent-" */
	HS_VALUE,	/* in an address header's value */
	HS_END		/* the empty line was read */
};

/* Headers the reader recognizes. */
enum { K_DATE, K_MSGID, K_FROM, K_TO, K_CC, K_BCC };

struct hscan {
	int		 mode;
	int		 state;
	int		 after_addr;	/* HS_BOL: an address header may fold */
	int		 kind;		/* HS_NAME: the header being matched */
	const char	*kw;		/* HS_NAME: the rest of its name */
	size_t		 kwpos;		/* bytes of kw matched */
	int		 from_hdr;	/* -1 before, 0 in, 1 after the From */
	int		 resent_idx;	/* -1, or bytes of "Resent-" matched */
	int		 resent_block;	/* -1 before, 0 in, 1 after block 1 */
	size_t		 line;		/* line number in the block */
	size_t		 from_cand;	/* line of the From header being read */
	size_t		 from_line;	/* line of the From giving from */
	int		 have_date;
	int		 have_msgid;
	char		*from;
	struct addr_scan as;
	struct strlist	 got;		/* addresses not yet sorted */
	struct strlist	 normal;	/* To, Cc, Bcc (and From's extras) */
	struct strlist	 resent;	/* Resent-To, -Cc, -Bcc of block 1 */
};

void headers_init(struct mail_headers *h)
{
	memset(h, 0, sizeof(*h));
	buf_init(&h->raw);
	buf_init(&h->text);
	strlist_init(&h->rcpts);
}

void headers_free(struct mail_headers *h)
{
	buf_free(&h->raw);
	buf_free(&h->text);
	free(h->from_addr);
	free(h->envelope_from);
	free(h->msgid);
	strlist_free(&h->rcpts);
	memset(h, 0, sizeof(*h));
}

/* lower - ASCII tolower, whatever the locale. */
static int lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* has_prefix - line starts with name (lower case), in any case. */
static int has_prefix(const char *line, size_t len, const char *name)
{
	size_t i, n = strlen(name);

	if (len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)line[i]) != (unsigned char)name[i])
			return 0;
	return 1;
}

/* is_blank - the first byte of a continuation line. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* line_end - the end of the line at p, its '\n' included. */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

/* scan_init - a reader at the start of a block. */
static void scan_init(struct hscan *s, int mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->state = HS_BOL;
	s->from_hdr = -1;
	s->resent_idx = -1;
	s->resent_block = -1;
	s->from_line = SIZE_MAX;
	addr_scan_init(&s->as);
	strlist_init(&s->got);
	strlist_init(&s->normal);
	strlist_init(&s->resent);
}

static void scan_free(struct hscan *s)
{
	addr_scan_free(&s->as);
	strlist_free(&s->got);
	strlist_free(&s->normal);
	strlist_free(&s->resent);
	free(s->from);
}

/* sort - give each completed address to From or to a recipient list. */
static void sort(struct hscan *s)
{
	size_t i;

	for (i = 0; i < s->got.n; i++) {
		char *a = s->got.v[i];

		if (s->from_hdr == 0) {
			s->from = a;
			s->from_hdr = 1;
			s->from_line = s->from_cand;
		} else if ((s->mode & M_RCPTS) && s->resent_block == 0)
			strlist_take(&s->resent, a);
		else if (s->mode & M_RCPTS)
			strlist_take(&s->normal, a);
		else
			free(a);
	}
	s->got.n = 0;
	if (s->got.v != NULL)
		s->got.v[0] = NULL;
}

/* block_check - a header that is not a Resent- one ends the block. */
static void block_check(struct hscan *s)
{
	if (s->resent_block == 0 && s->resent_idx != 6)
		s->resent_block = 1;
}

/* name - start matching a header name; kw is the rest of it. */
static void name(struct hscan *s, int kind, const char *kw)
{
	s->state = HS_NAME;
	s->kind = kind;
	s->kw = kw;
	s->kwpos = 0;
}

/* fresh_line - the next byte starts a line of no address header. */
static void fresh_line(struct hscan *s)
{
	s->state = HS_BOL;
	s->after_addr = 0;
}

/* end_value - an address header ended. */
static void end_value(struct hscan *s)
{
	int pending = addr_scan_pending(&s->as);

	addr_scan_end(&s->as, &s->got);
	if (!pending && s->from_hdr == 0)
		s->from_hdr = -1;	/* an empty From header */
}

/* start_line - the first byte of a header line. */
static void start_line(struct hscan *s, unsigned char c)
{
	int fields = s->mode & M_FIELDS, rcpts = s->mode & M_RCPTS;

	c = (unsigned char)lower(c);
	if (fields && c == 'd')
		name(s, K_DATE, "ate:");
	else if (fields && c == 'm')
		name(s, K_MSGID, "essage-id:");
	else if (fields && s->from_hdr < 0 && c == 'f')
		name(s, K_FROM, "rom:");
	else if (rcpts && c == 't')
		name(s, K_TO, "o:");
	else if (rcpts && c == 'c')
		name(s, K_CC, "c:");
	else if (rcpts && c == 'b')
		name(s, K_BCC, "cc:");
	else if (rcpts && s->resent_block <= 0 && c == 'r') {
		s->resent_idx = 0;
		s->state = HS_RESENT;
	} else if (c == '\n')
		s->state = HS_END;
	else
		s->state = HS_OTHER;
}

/* st_bol - a line starts. */
static void st_bol(struct hscan *s, unsigned char c)
{
	s->resent_idx = -1;
	if (s->after_addr) {
		s->after_addr = 0;
		if (is_blank((char)c)) {
			addr_scan_feed(&s->as, (const char *)&c, 1, &s->got);
			s->state = HS_VALUE;
			return;
		}
		end_value(s);
	} else
		addr_scan_fresh_line(&s->as);
	start_line(s, c);
}

/* matched - a whole header name and its colon were read. */
static void matched(struct hscan *s)
{
	if (s->kind == K_DATE) {
		s->have_date = 1;
		s->state = HS_OTHER;
	} else if (s->kind == K_MSGID) {
		s->have_msgid = 1;
		s->state = HS_OTHER;
	} else
		s->state = HS_VALUE;
}

/* st_name - the next byte of a header name. */
static void st_name(struct hscan *s, unsigned char c)
{
	char want = s->kw[s->kwpos];

	if (s->kwpos == 0 && s->kind >= K_FROM)
		block_check(s);
	if (want == ':' && s->kind == K_FROM && c != ':')
		s->from_hdr = -1;	/* "From" but not "From:" */
	if (lower(c) == (unsigned char)want) {
		s->kwpos++;
		if (s->kind == K_FROM && s->kw[s->kwpos] == ':') {
			s->from_hdr = 0;
			s->from_cand = s->line;
		}
		if (s->kw[s->kwpos] == '\0')
			matched(s);
		return;
	}
	if (c == '\n')
		fresh_line(s);
	else
		s->state = HS_OTHER;
}

/* st_resent - the next byte of "Resent-", or the one after it. */
static void st_resent(struct hscan *s, unsigned char c)
{
	static const char rest[] = "esent-";

	c = (unsigned char)lower(c);
	if (s->resent_idx < 6 && c == (unsigned char)rest[s->resent_idx]) {
		if (s->resent_idx == 5 && s->resent_block == -1)
			s->resent_block = 0;
		s->resent_idx++;
	} else if (s->resent_idx == 6 && c == 't')
		name(s, K_TO, "o:");
	else if (s->resent_idx == 6 && c == 'c')
		name(s, K_CC, "c:");
	else if (s->resent_idx == 6 && c == 'b')
		name(s, K_BCC, "cc:");
	else if (c == '\n')
		fresh_line(s);
	else
		s->state = HS_OTHER;
}

/* step - one byte of the block (never a CR). */
static void step(struct hscan *s, unsigned char c)
{
	switch (s->state) {
	case HS_BOL:
		st_bol(s, c);
		break;
	case HS_OTHER:
		block_check(s);
		if (c == '\n')
			fresh_line(s);
		break;
	case HS_NAME:
		st_name(s, c);
		break;
	case HS_RESENT:
		st_resent(s, c);
		break;
	case HS_VALUE:
		addr_scan_feed(&s->as, (const char *)&c, 1, &s->got);
		if (c == '\n') {
			s->state = HS_BOL;
			s->after_addr = 1;
		}
		break;
	default:
		break;
	}
	sort(s);
}

/* scan_run - read a whole CR-free block, as far as its empty line. */
static void scan_run(struct hscan *s, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && s->state != HS_END; i++) {
		step(s, (unsigned char)p[i]);
		if (p[i] == '\n')
			s->line++;
	}
	if (s->state == HS_END)
		return;
	/* EOF: complete the address being read, as msmtp does. */
	addr_scan_end(&s->as, &s->got);
	sort(s);
	if (s->from_hdr == 0) {
		s->from = xstrdup("");
		s->from_line = s->from_cand;
	}
}

/* scan_rcpts - move the -t recipients to out. */
static void scan_rcpts(struct hscan *s, struct strlist *out)
{
	struct strlist *l = s->resent_block >= 0 ? &s->resent : &s->normal;
	size_t i;

	for (i = 0; i < l->n; i++)
		strlist_take(out, l->v[i]);
	l->n = 0;
}

/*
 * resent_from - the first address of the Resent-From header whose first
 * line is at p, or NULL.
 */
static char *resent_from(const char *p, const char *end)
{
	struct addr_scan as;
	struct strlist got;
	const char *le = line_end(p, end);
	char *a = NULL;

	addr_scan_init(&as);
	strlist_init(&got);
	p += strlen("resent-from:");
	addr_scan_feed(&as, p, (size_t)(le - p), &got);
	for (p = le; p < end && is_blank(*p); p = le) {
		le = line_end(p, end);
		addr_scan_feed(&as, p, (size_t)(le - p), &got);
	}
	addr_scan_end(&as, &got);
	if (got.n > 0)
		a = xstrdup(got.v[0]);
	strlist_free(&got);
	addr_scan_free(&as);
	return a;
}

/*
 * header_value - the value of the header whose first line is at p, after
 * its name of name_len bytes: folded lines joined, blanks trimmed at
 * both ends. Recorded for the spool's listing, never sent.
 */
static char *header_value(const char *p, const char *end, size_t name_len)
{
	const char *le = line_end(p, end), *s, *e;
	struct buf v;
	char *out;

	buf_init(&v);
	buf_append(&v, p + name_len, (size_t)(le - p) - name_len);
	for (p = le; p < end && is_blank(*p); p = le) {
		le = line_end(p, end);
		buf_append(&v, p, (size_t)(le - p));
	}
	for (s = v.data, e = s + v.len; s < e && isspace((unsigned char)*s); )
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	out = xstrndup(s, (size_t)(e - s));
	buf_free(&v);
	return out;
}

/* line_pass - the facts found line by line: To, Cc, Bcc, Resent-From,
 * Message-ID. */
static void line_pass(struct mail_headers *h, size_t from_line)
{
	const char *p = h->text.data, *end = p + h->text.len, *le;
	size_t line;

	for (line = 0; p < end; p = le, line++) {
		size_t len;

		le = line_end(p, end);
		len = (size_t)(le - p);
		if (is_blank(*p))
			continue;
		h->has_to |= has_prefix(p, len, "to:");
		h->has_cc |= has_prefix(p, len, "cc:");
		h->has_bcc |= has_prefix(p, len, "bcc:");
		if (h->msgid == NULL && has_prefix(p, len, "message-id:"))
			h->msgid = header_value(p, end, strlen("message-id:"));
		if (h->envelope_from == NULL && line < from_line &&
		    has_prefix(p, len, "resent-from:"))
			h->envelope_from = resent_from(p, end);
	}
	if (h->envelope_from == NULL && h->from_addr != NULL)
		h->envelope_from = xstrdup(h->from_addr);
}

/* analyze - everything headers_read() records about h->text. */
static void analyze(struct mail_headers *h, int mode)
{
	struct hscan s;

	scan_init(&s, mode);
	scan_run(&s, h->text.data, h->text.len);
	h->has_date = s.have_date;
	h->has_msgid = s.have_msgid;
	h->has_from = s.from != NULL;
	h->from_addr = s.from;
	s.from = NULL;
	if (mode & M_RCPTS)
		scan_rcpts(&s, &h->rcpts);
	line_pass(h, s.from_line);
	scan_free(&s);
}

/* keep - add n bytes read to raw, and all but the CRs to text. */
static void keep(struct mail_headers *h, const char *p, size_t n)
{
	const char *end = p + n, *cr;

	buf_append(&h->raw, p, n);
	while (p < end) {
		if ((cr = memchr(p, '\r', (size_t)(end - p))) == NULL)
			cr = end;
		buf_append(&h->text, p, (size_t)(cr - p));
		p = cr + 1;
	}
}

/*
 * read_chunks - read up to and including the empty line, or to EOF, in
 * chunks; 1 when done, 0 on EOF or error, -1 when too large.
 */
static int read_chunks(FILE *in, struct mail_headers *h)
{
	char chunk[4096];
	size_t n = 0;
	int c, bol = 1, done = 0;

	while (!done && (c = getc_unlocked(in)) != EOF) {
		chunk[n++] = (char)c;
		if (c != '\r') {
			done = c == '\n' && bol;
			bol = c == '\n';
		}
		if (n < sizeof(chunk) && !done)
			continue;
		keep(h, chunk, n);
		n = 0;
		if (h->raw.len > HEADERS_MAX)
			return -1;
	}
	keep(h, chunk, n);
	return done;
}

/* read_block - the header block of in, into h->raw and h->text. */
static int read_block(FILE *in, struct mail_headers *h, char **errstr)
{
	int r, failed, err;

	flockfile(in);
	r = read_chunks(in, h);
	err = errno;
	failed = r == 0 && ferror(in);
	funlockfile(in);
	if (r < 0) {
		*errstr = xasprintf("the mail header is larger than %zu MiB",
		    HEADERS_MAX >> 20);
		return EX_DATAERR;
	}
	if (failed) {
		*errstr = xasprintf("input error while reading the mail: %s",
		    strerror(err));
		return EX_IOERR;
	}
	return EX_OK;
}

int headers_read(FILE *in, int flags, struct mail_headers *h,
    char **errstr)
{
	int e;

	if ((e = read_block(in, h, errstr)) != EX_OK)
		return e;
	analyze(h, M_FIELDS | ((flags & HEADERS_RCPTS) ? M_RCPTS : 0));
	return EX_OK;
}

void headers_cmdline_rcpts(char *const *args, size_t n,
    struct strlist *out)
{
	struct hscan s;
	struct buf b;
	size_t i;
	const char *p;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		buf_puts(&b, "To: ");
		for (p = args[i]; *p != '\0'; p++)
			if (*p != '\r')
				buf_putc(&b, *p);
		buf_putc(&b, '\n');
	}
	buf_putc(&b, '\n');
	scan_init(&s, M_RCPTS);
	scan_run(&s, b.data, b.len);
	scan_rcpts(&s, out);
	scan_free(&s);
	buf_free(&b);
}

void headers_date(time_t t, char out[64])
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;
	long off;
	char sign = '+';

	tzset();
	if (localtime_r(&t, &tm) == NULL) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(out, 64, "%s, %02d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60 % 100, off % 60);
}

/*
 * random_bytes - unpredictable bytes for a Message-ID. getrandom(2)
 * does not fail for so few bytes once the kernel pool is ready; should
 * it, a splitmix64 sequence seeded by time, pid and a salt still makes
 * collisions between two mails improbable. (GnuTLS's generator is not
 * used: the spooling front end must start without linking GnuTLS.)
 */
static void random_bytes(unsigned char *out, size_t len, const char *salt)
{
	struct timespec ts;
	uint64_t x, z;
	size_t i;

	if (getrandom(out, len, 0) == (ssize_t)len)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 32);
	for (; *salt != '\0'; salt++)
		x = x * 31 + (unsigned char)*salt;
	for (i = 0; i < len; i++) {
		x += 0x9e3779b97f4a7c15u;
		z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		out[i] = (unsigned char)(z ^ (z >> 31));
	}
}

char *headers_msgid(const char *msgid_domain, const char *envelope_from,
    const char *host)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[16];
	char digits[33];
	const char *dom, *at;
	size_t i;

	if (envelope_from == NULL)
		envelope_from = "";
	random_bytes(rnd, sizeof(rnd), envelope_from);
	for (i = 0; i < sizeof(rnd); i++) {
		digits[2 * i] = hex[rnd[i] >> 4];
		digits[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	digits[32] = '\0';
	if (msgid_domain != NULL && strcmp(msgid_domain, "localhost") != 0)
		dom = msgid_domain;
	else if ((at = strchr(envelope_from, '@')) != NULL)
		dom = at + 1;
	else
		dom = host != NULL ? host : "localhost";
	return xasprintf("<%s@%s>", digits, dom);
}

/* base64 - append the base64 form of s (RFC 4648, padded). */
static void base64(const unsigned char *s, size_t len, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		buf_putc(out, tab[s[i] >> 2]);
		buf_putc(out, tab[(s[i] & 3) << 4 | s[i + 1] >> 4]);
		buf_putc(out, tab[(s[i + 1] & 15) << 2 | s[i + 2] >> 6]);
		buf_putc(out, tab[s[i + 2] & 63]);
	}
	if (i + 1 == len) {
		buf_putc(out, tab[s[i] >> 2]);
		buf_putc(out, tab[(s[i] & 3) << 4]);
		buf_puts(out, "==");
	} else if (i + 2 == len) {
		buf_putc(out, tab[s[i] >> 2]);
		buf_putc(out, tab[(s[i] & 3) << 4 | s[i + 1] >> 4]);
		buf_putc(out, tab[(s[i + 1] & 15) << 2]);
		buf_putc(out, '=');
	}
}

char *headers_encode_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	struct buf b;

	while (*p != '\0' && *p >= 32 && *p < 127)
		p++;
	if (*p == '\0')
		return xstrdup(name);
	buf_init(&b);
	buf_puts(&b, "=?utf-8?B?");
	base64((const unsigned char *)name, strlen(name), &b);
	buf_puts(&b, "?=");
	return buf_steal(&b);
}

/* add_from - the From header msmtp adds. */
static void add_from(const struct header_rules *r, struct buf *out)
{
	const char *from = r->envelope_from != NULL ? r->envelope_from : "";
	char *name;

	if (r->full_name == NULL) {
		buf_printf(out, "From: %s\n", from);
		return;
	}
	name = headers_encode_name(r->full_name);
	buf_printf(out, "From: %s <%s>\n", name, from);
	free(name);
}

/* add_to - the To header set_to_header adds. */
static void add_to(const struct header_rules *r, struct buf *out)
{
	char *list;

	if (r->set_to == HEADER_TO_UNDISCLOSED) {
		buf_puts(out, "To: undisclosed-recipients:;\n");
		return;
	}
	list = r->rcpts != NULL ? strlist_join(r->rcpts, ", ") : xstrdup("");
	buf_printf(out, "To: %s\n", list);
	free(list);
}

/* add_msgid - the Message-ID header msmtp adds. */
static void add_msgid(const struct header_rules *r, struct buf *out)
{
	char *id;

	if (r->msgid != NULL) {
		buf_printf(out, "Message-ID: %s\n", r->msgid);
		return;
	}
	id = headers_msgid(r->msgid_domain, r->envelope_from, r->host);
	buf_printf(out, "Message-ID: %s\n", id);
	free(id);
}

/* dropped - whether the header starting with this line is left out. */
static int dropped(const char *line, size_t len,
    const struct header_rules *r, int from_added)
{
	if (from_added && has_prefix(line, len, "from:"))
		return 1;
	if (r->set_to != HEADER_TO_OFF && (has_prefix(line, len, "to:") ||
	    has_prefix(line, len, "cc:")))
		return 1;
	return (r->remove_bcc || r->set_to != HEADER_TO_OFF) &&
	    has_prefix(line, len, "bcc:");
}

/* copy_block - the original block without the dropped headers. */
static void copy_block(const struct mail_headers *h,
    const struct header_rules *r, int from_added, struct buf *out)
{
	const char *p = h->text.data, *end = p + h->text.len, *le;
	int skip = 0;

	for (; p < end; p = le) {
		le = line_end(p, end);
		if (!is_blank(*p))
			skip = dropped(p, (size_t)(le - p), r, from_added);
		if (skip)
			continue;
		buf_append(out, p, (size_t)(le - p));
		if (le[-1] != '\n')
			buf_putc(out, '\n');
	}
}

void headers_rewrite(const struct mail_headers *h,
    const struct header_rules *r, struct buf *out)
{
	int from_added = r->set_from == HEADER_FROM_ON ||
	    (r->set_from == HEADER_FROM_AUTO && !h->has_from);
	char date[64];

	if (from_added)
		add_from(r, out);
	if (r->set_to != HEADER_TO_OFF)
		add_to(r, out);
	if (r->set_date && !h->has_date) {
		headers_date(r->now, date);
		buf_printf(out, "Date: %s\n", date);
	}
	if (r->set_msgid && !h->has_msgid)
		add_msgid(r, out);
	copy_block(h, r, from_added, out);
}
