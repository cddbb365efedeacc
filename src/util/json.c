/*
 * json - a reader for one flat JSON object; see json.h.
 *
 * A small scanner rather than a library: the replies it reads are a
 * handful of members, and this is the only JSON the project reads.
 */
#include "util/json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		v = v * 16 + (unsigned)(isdigit((unsigned char)p[i]) ?
		    p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	*out = v;
	return 0;
}

static void put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* escape - one escape after the backslash at *pp into b; -1 if bad. */
static int escape(const char **pp, struct buf *b)
{
	const char *p = *pp;
	const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *e;
	unsigned cp, lo;

	if (*p != '\0' && (e = strchr(from, *p)) != NULL) {
		buf_putc(b, to[e - from]);
		*pp = p + 1;
		return 0;
	}
	if (*p != 'u' || hex4(p + 1, &cp) != 0)
		return -1;
	p += 5;
	if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u' &&
	    hex4(p + 2, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	}
	put_utf8(b, cp);
	*pp = p;
	return 0;
}

/* string - the string at p (its opening quote) into b (if not NULL);
 * the character after it, or NULL if it is not a string. */
static const char *string(const char *p, struct buf *b)
{
	struct buf scratch;
	const char *end = NULL;

	if (*p != '"')
		return NULL;
	buf_init(&scratch);
	if (b == NULL)
		b = &scratch;
	for (p++; *p != '\0'; p++) {
		if (*p == '"') {
			end = p + 1;
			break;
		}
		if (*p == '\\') {
			p++;
			if (escape(&p, b) != 0)
				break;
			p--;
			continue;
		}
		buf_putc(b, *p);
	}
	buf_free(&scratch);
	return end;
}

/* value - the end of the value at p (skipped), or NULL if malformed. */
static const char *value(const char *p)
{
	int depth = 0;

	p = skip_ws(p);
	if (*p == '"')
		return string(p, NULL);
	if (*p != '{' && *p != '[') {
		while (*p != '\0' && *p != ',' && *p != '}' && *p != ']' &&
		    !isspace((unsigned char)*p))
			p++;
		return p;
	}
	for (; *p != '\0'; p++) {
		if (*p == '"') {
			if ((p = string(p, NULL)) == NULL)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* member - where the value of the top-level member name starts. */
static const char *member(const char *text, const char *name)
{
	const char *p = skip_ws(text);
	struct buf key;
	const char *found = NULL;

	if (*p++ != '{')
		return NULL;
	buf_init(&key);
	for (;;) {
		p = skip_ws(p);
		buf_reset(&key);
		if ((p = string(p, &key)) == NULL)
			break;
		p = skip_ws(p);
		if (*p++ != ':')
			break;
		p = skip_ws(p);
		if (strcmp(key.data, name) == 0) {
			found = p;
			break;
		}
		if ((p = value(p)) == NULL)
			break;
		p = skip_ws(p);
		if (*p++ != ',')
			break;
	}
	buf_free(&key);
	return found;
}

char *json_string(const char *text, const char *name)
{
	const char *p = member(text, name);
	struct buf b;

	if (p == NULL || *p != '"')
		return NULL;
	buf_init(&b);
	if (string(p, &b) == NULL) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

long json_long(const char *text, const char *name)
{
	const char *p = member(text, name);
	char *end;
	long v;

	if (p == NULL)
		return -1;
	if (*p == '"')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	v = strtol(p, &end, 10);
	return v < 0 ? -1 : v;
}
