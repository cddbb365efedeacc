/*
 * caps - parse the EHLO capability list; see caps.h.
 *
 * SECURITY: input comes from the network; keywords are matched
 * case-insensitively against a fixed table, the SIZE value is parsed with
 * an overflow check, and AUTH methods are copied with their length bounded
 * by the reply parser's limits.
 */
#include "smtp/caps.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/xalloc.h"

static const struct {
	const char	*keyword;
	unsigned	 flag;
} cap_table[] = {
	{ "PIPELINING", CAP_PIPELINING },
	{ "STARTTLS", CAP_STARTTLS },
	{ "AUTH", CAP_AUTH },
	{ "SIZE", CAP_SIZE },
	{ "DSN", CAP_DSN },
	{ "ETRN", CAP_ETRN },
	{ "8BITMIME", CAP_8BITMIME },
	{ "SMTPUTF8", CAP_SMTPUTF8 },
	{ "ENHANCEDSTATUSCODES", CAP_ENHANCEDSTATUSCODES },
	{ "CHUNKING", CAP_CHUNKING },
};

void smtp_caps_init(struct smtp_caps *c)
{
	c->flags = 0;
	c->size_max = 0;
	c->size_ok = 0;
	c->auth_methods = NULL;
}

void smtp_caps_free(struct smtp_caps *c)
{
	free(c->auth_methods);
	smtp_caps_init(c);
}

/* keyword_flag - the flag for a keyword of length len, or 0. */
static unsigned keyword_flag(const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(cap_table) / sizeof(cap_table[0]); i++)
		if (strlen(cap_table[i].keyword) == len &&
		    strncasecmp(cap_table[i].keyword, kw, len) == 0)
			return cap_table[i].flag;
	return 0;
}

/* parse_size - the SIZE argument, 0 when absent or unreadable; *ok
 * says whether it was a plain number, as msmtp requires to show it. */
static unsigned long parse_size(const char *s, size_t len, int *ok)
{
	unsigned long v = 0;
	size_t i, digits = 0;

	*ok = 0;
	for (i = 0; i < len && s[i] == ' '; i++)
		;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (v > (ULONG_MAX - 9) / 10)
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*ok = digits > 0 && i == len;
	return v;
}

/* add_auth_methods - append the AUTH arguments, upper-cased. */
static void add_auth_methods(struct buf *m, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '=')	/* old "AUTH=PLAIN LOGIN" form */
			ch = ' ';
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		buf_putc(m, ch);
	}
	buf_putc(m, ' ');
}

void smtp_caps_parse(const struct smtp_reply *ehlo, struct smtp_caps *c)
{
	struct buf methods;
	const char *line;
	size_t len, kwlen;
	unsigned flag;
	int n, ok;

	buf_init(&methods);
	buf_putc(&methods, ' ');
	/* The first line is the server's greeting name, not a keyword. */
	for (n = 1; (line = smtp_reply_line(ehlo, n, &len)) != NULL; n++) {
		for (kwlen = 0; kwlen < len && line[kwlen] != ' ' &&
		    line[kwlen] != '='; kwlen++)
			;
		flag = keyword_flag(line, kwlen);
		/* "AUTH" counts only with methods, as msmtp reads it. */
		if (flag == CAP_AUTH && kwlen == len)
			flag = 0;
		c->flags |= flag;
		if (flag == CAP_SIZE) {
			/* As msmtp: the last SIZE line gives the value, any
			 * valid one makes it count. */
			c->size_max = parse_size(line + kwlen, len - kwlen,
			    &ok);
			c->size_ok |= ok;
		}
		if (flag == CAP_AUTH)
			add_auth_methods(&methods, line + kwlen, len - kwlen);
	}
	free(c->auth_methods);
	c->auth_methods = (c->flags & CAP_AUTH) ? buf_steal(&methods) : NULL;
	buf_free(&methods);
}

int smtp_caps_has_auth(const struct smtp_caps *c, const char *method)
{
	char *needle;
	int found;

	if (c->auth_methods == NULL)
		return 0;
	needle = xasprintf(" %s ", method);
	found = strcasestr(c->auth_methods, needle) != NULL;
	free(needle);
	return found;
}
