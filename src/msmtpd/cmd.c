/*
 * cmd - msmtpd's command parser; see cmd.h.
 *
 * SECURITY: all input is untrusted. Every scan is bounded by the length
 * the caller gives; nothing is written beyond struct cmd's fixed address
 * buffer or the caller's outmax.
 */
#include "msmtpd/cmd.h"

#include "msmtpd/mailbox.h"

#include <string.h>

enum cmd_line_status cmd_line(const char *buf, size_t len, size_t max,
    size_t *linelen, size_t *used)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;

	*linelen = 0;
	*used = 0;
	if (nl == NULL) {
		if (len >= max) {
			*used = len;
			return LINE_TOO_LONG;
		}
		return LINE_MORE;
	}
	n = (size_t)(nl - buf);
	*used = n + 1;
	if (n + 1 > max)
		return LINE_TOO_LONG;
	if (n == 0 || buf[n - 1] != '\r') {
		*linelen = n;
		return LINE_BARE_LF;
	}
	*linelen = --n;
	if (memchr(buf, '\0', n) != NULL)
		return LINE_NUL;
	return LINE_OK;
}

size_t cmd_skip(const char *buf, size_t len, int *done)
{
	const char *nl = memchr(buf, '\n', len);

	*done = nl != NULL;
	return nl ? (size_t)(nl - buf) + 1 : len;
}

/* lower - ASCII only, whatever the locale. */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* word_is - whether s[0..len) is word (lower case), ignoring case. */
static int word_is(const char *s, size_t len, const char *word)
{
	size_t i;

	if (strlen(word) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)s[i]) != word[i])
			return 0;
	return 1;
}

/* prefix_is - whether s[0..len) starts with pfx (lower case), any case. */
static int prefix_is(const char *s, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);

	return len >= n && word_is(s, n, pfx);
}

static const struct {
	const char	*name;
	enum cmd_verb	 verb;
} verbs[] = {
	{ "ehlo", CMD_EHLO }, { "helo", CMD_HELO }, { "mail", CMD_MAIL },
	{ "rcpt", CMD_RCPT }, { "data", CMD_DATA }, { "rset", CMD_RSET },
	{ "noop", CMD_NOOP }, { "quit", CMD_QUIT }, { "auth", CMD_AUTH },
	{ "help", CMD_HELP }, { "vrfy", CMD_VRFY }, { "expn", CMD_EXPN },
	{ "starttls", CMD_STARTTLS },
};

int cmd_addr_ok(const char *a, size_t len)
{
	return mailbox_ok(a, len);
}

/* path_end - the '>' closing the path that starts at s[0] == '<', quoted
 * local parts respected; NULL if there is none. */
static const char *path_end(const char *s, const char *end)
{
	int quoted = 0;

	for (s++; s < end; s++) {
		if (quoted && *s == '\\') {
			if (++s == end)
				return NULL;
		} else if (*s == '"') {
			quoted = !quoted;
		} else if (*s == '>' && !quoted) {
			return s;
		}
	}
	return NULL;
}

/* route_len - the length of an RFC 5321 source route "@a,@b:" that
 * starts the path (to be ignored, 3.3), or 0 if there is none. */
static size_t route_len(const char *a, size_t len)
{
	const char *colon;

	if (len == 0 || a[0] != '@' || (colon = memchr(a, ':', len)) == NULL)
		return 0;
	return (size_t)(colon - a) + 1;
}

/* parse_path - "<addr>" at *p (spaces before it skipped) into c->addr;
 * *p is left after the '>'. */
static enum cmd_err parse_path(const char **p, const char *end,
    struct cmd *c, int empty_ok)
{
	const char *s = *p, *close;
	size_t len, skip;

	while (s < end && *s == ' ')
		s++;
	if (s == end || *s != '<' || (close = path_end(s, end)) == NULL)
		return CMD_ESYNTAX;
	s++;
	len = (size_t)(close - s);
	skip = route_len(s, len);
	s += skip;
	len -= skip;
	*p = close + 1;
	if (len == 0)
		return empty_ok && skip == 0 ? CMD_OK : CMD_EADDR;
	if (!cmd_addr_ok(s, len))
		return CMD_EADDR;
	memcpy(c->addr, s, len);
	c->addr[len] = '\0';
	return CMD_OK;
}

/* parse_size - a decimal SIZE value, at most 20 digits, no overflow. */
static enum cmd_err parse_size(const char *s, size_t len, struct cmd *c)
{
	unsigned long long v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return CMD_ESIZE;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (~0ULL - d) / 10)
			return CMD_ESIZE;
		v = v * 10 + d;
	}
	c->has_size = 1;
	c->size = v;
	return CMD_OK;
}

/* mail_param - one ESMTP parameter of MAIL: SIZE=, BODY=7BIT|8BITMIME
 * and AUTH= (RFC 4954 5: accepted and ignored, we relay to nobody who
 * would trust it). */
static enum cmd_err mail_param(const char *s, size_t len, struct cmd *c)
{
	if (prefix_is(s, len, "size="))
		return parse_size(s + 5, len - 5, c);
	if (word_is(s, len, "body=7bit") || word_is(s, len, "body=8bitmime"))
		return CMD_OK;
	if (prefix_is(s, len, "auth=") && len > 5)
		return CMD_OK;
	return CMD_EPARAM;
}

/* parse_params - the space-separated parameters after a path. */
static enum cmd_err parse_params(const char *s, const char *end,
    struct cmd *c, int is_mail)
{
	enum cmd_err e;
	const char *w;

	if (s < end && *s != ' ')
		return CMD_ESYNTAX;
	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		for (w = s; s < end && *s != ' '; s++)
			;
		if (s == w)
			break;
		if (!is_mail)
			return CMD_EPARAM;
		if ((e = mail_param(w, (size_t)(s - w), c)) != CMD_OK)
			return e;
	}
	return CMD_OK;
}

/* parse_mail_rcpt - "FROM:<addr> params" or "TO:<addr>". */
static enum cmd_err parse_mail_rcpt(struct cmd *c)
{
	const char *s = c->arg, *end = c->arg + c->arglen;
	const char *kw = c->verb == CMD_MAIL ? "from:" : "to:";
	enum cmd_err e;

	if (!prefix_is(s, c->arglen, kw))
		return CMD_ESYNTAX;
	s += strlen(kw);
	e = parse_path(&s, end, c, c->verb == CMD_MAIL);
	if (e != CMD_OK)
		return e;
	return parse_params(s, end, c, c->verb == CMD_MAIL);
}

/* parse_auth - "MECH [initial-response]". */
static enum cmd_err parse_auth(struct cmd *c)
{
	const char *s = c->arg, *end = c->arg + c->arglen, *w;

	for (w = s; s < end && *s != ' '; s++)
		;
	if (s == w)
		return CMD_ESYNTAX;
	if (word_is(w, (size_t)(s - w), "plain"))
		c->mech = MECH_PLAIN;
	else if (word_is(w, (size_t)(s - w), "login"))
		c->mech = MECH_LOGIN;
	else
		c->mech = MECH_OTHER;
	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return CMD_OK;
	c->resp = s;
	c->resplen = (size_t)(end - s);
	if (memchr(s, ' ', c->resplen) != NULL)
		return CMD_ESYNTAX;
	return CMD_OK;
}

void cmd_parse(const char *line, size_t len, struct cmd *c)
{
	const char *end = line + len, *s;
	size_t i, vlen;

	memset(c, 0, sizeof(*c));
	c->verb = CMD_UNKNOWN;
	for (s = line; s < end && *s != ' '; s++)
		;
	vlen = (size_t)(s - line);
	while (s < end && *s == ' ')
		s++;
	c->arg = s;
	c->arglen = (size_t)(end - s);
	while (c->arglen > 0 && c->arg[c->arglen - 1] == ' ')
		c->arglen--;	/* trailing spaces are common and harmless */
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (word_is(line, vlen, verbs[i].name))
			c->verb = verbs[i].verb;
	switch (c->verb) {
	case CMD_EHLO:
	case CMD_HELO:
		if (c->arglen == 0)
			c->err = CMD_ENOARG;
		break;
	case CMD_DATA:
	case CMD_RSET:
	case CMD_QUIT:
	case CMD_STARTTLS:
		if (c->arglen != 0)
			c->err = CMD_EARG;
		break;
	case CMD_MAIL:
	case CMD_RCPT:
		c->err = parse_mail_rcpt(c);
		break;
	case CMD_AUTH:
		c->err = parse_auth(c);
		break;
	default:
		break;
	}
}

/* b64val - the value of a base64 digit, or -1. */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int cmd_b64decode(const char *in, size_t len, char *out, size_t outmax,
    size_t *outlen)
{
	size_t i, j, n = 0, bytes;
	unsigned long v;
	int d, pad;

	*outlen = 0;
	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == len && j >= 2) {
				pad++;
				d = 0;
			} else if (pad > 0 ||
			    (d = b64val((unsigned char)in[i + j])) < 0) {
				return -1;
			}
			v = v << 6 | (unsigned long)d;
		}
		bytes = 3 - (size_t)pad;
		if (n + bytes > outmax)
			return -1;
		out[n++] = (char)(v >> 16 & 0xff);
		if (bytes > 1)
			out[n++] = (char)(v >> 8 & 0xff);
		if (bytes > 2)
			out[n++] = (char)(v & 0xff);
	}
	*outlen = n;
	return 0;
}

void cmd_b64encode(const char *in, size_t len, char *out)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)in;
	unsigned long v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)u[i] << 16 | (unsigned long)u[i + 1] << 8 |
		    u[i + 2];
		*out++ = digits[v >> 18 & 63];
		*out++ = digits[v >> 12 & 63];
		*out++ = digits[v >> 6 & 63];
		*out++ = digits[v & 63];
	}
	if (i < len) {
		v = (unsigned long)u[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)u[i + 1] << 8;
		*out++ = digits[v >> 18 & 63];
		*out++ = digits[v >> 12 & 63];
		*out++ = i + 1 < len ? digits[v >> 6 & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

int cmd_plain(const char *resp, size_t len, const char **user,
    size_t *userlen, const char **pass, size_t *passlen)
{
	const char *nul1, *nul2, *end = resp + len;
	size_t zlen;

	if ((nul1 = memchr(resp, '\0', len)) == NULL)
		return -1;
	if ((nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) == NULL)
		return -1;
	if (memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)) != NULL)
		return -1;
	zlen = (size_t)(nul1 - resp);
	*user = nul1 + 1;
	*userlen = (size_t)(nul2 - nul1 - 1);
	*pass = nul2 + 1;
	*passlen = (size_t)(end - nul2 - 1);
	if (*userlen == 0)
		return -1;
	if (zlen != 0 && (zlen != *userlen || memcmp(resp, *user, zlen) != 0))
		return -1;
	return 0;
}

void cmd_helo_name(const char *arg, size_t len, char *out, size_t outmax)
{
	const char *name = "invalid";

	if (outmax == 0)
		return;
	if (len < outmax && mailbox_domain_ok(arg, len)) {
		memcpy(out, arg, len);
		out[len] = '\0';
		return;
	}
	strncpy(out, name, outmax - 1);
	out[outmax - 1] = '\0';
}
