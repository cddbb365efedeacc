/*
 * aliases - msmtp's aliases file; see aliases.h.
 */
#include "client/aliases.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/buf.h"
#include "util/trim.h"
#include "util/xalloc.h"

/* msmtp reads lines with fgets(line, MAXLINE, f), MAXLINE 512. */
#define LINE_MAX_READ	511
/* msmtp's split() keeps at most MAXTOKS items. */
#define MAX_TOKENS	32

struct alias {
	char		*name;
	size_t		 line;
	struct strlist	 addrs;
};

struct alias_set {
	struct alias	*v;
	size_t		 n;
	size_t		 cap;
};

/* set_free - release every entry; s is empty and reusable after. */
static void set_free(struct alias_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		strlist_free(&s->v[i].addrs);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* is_local - msmtp's is_alias(): not empty, no '@'. */
static int is_local(const char *s)
{
	return *s != '\0' && strchr(s, '@') == NULL;
}

/*
 * split - cut s at each delim (in place) into at most MAX_TOKENS trimmed
 * items; what follows the MAX_TOKENS-th delimiter is dropped, as msmtp
 * drops it. Returns the number of items (at least 1).
 */
static size_t split(char *s, char delim, char *tok[MAX_TOKENS])
{
	size_t n = 0;
	char *p;

	while (n < MAX_TOKENS && (p = strchr(s, delim)) != NULL) {
		*p = '\0';
		tok[n++] = trim(s, TRIM_SPACES);
		s = p + 1;
	}
	if (n < MAX_TOKENS)
		tok[n++] = trim(s, TRIM_SPACES);
	return n;
}

/* sanitized - s with control characters as '?', newly allocated. */
static char *sanitized(const char *s)
{
	char *t = xstrdup(s), *p;

	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return t;
}

/* fail - EX_CONFIG with "FILE: <what>", what sanitized. */
static int fail(char **errstr, const char *file, const char *what)
{
	char *s = sanitized(what);

	*errstr = xasprintf("%s: %s", file, s);
	free(s);
	return EX_CONFIG;
}

/*
 * read_chunk - what fgets(buf, 512, fp) would give: up to 511 bytes,
 * through the first newline. 0 at end of file or on a read error.
 */
static int read_chunk(FILE *fp, struct buf *b)
{
	int c;

	buf_reset(b);
	while (b->len < LINE_MAX_READ && (c = getc(fp)) != EOF) {
		buf_putc(b, (char)c);
		if (c == '\n')
			break;
	}
	return b->len > 0 && !ferror(fp);
}

/* add_alias - a new entry name, with the items of list. */
static void add_alias(struct alias_set *s, const char *name, size_t line,
    char *list)
{
	char *tok[MAX_TOKENS];
	struct alias *a;
	size_t i, n;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	a = &s->v[s->n++];
	a->name = xstrdup(name);
	a->line = line;
	strlist_init(&a->addrs);
	n = split(list, ',', tok);
	for (i = 0; i < n; i++)
		strlist_add(&a->addrs, tok[i]);
}

/*
 * parse_line - one line (a NUL-terminated chunk) of the file. Errors are
 * left as "line N: ..." in *what (newly allocated).
 */
static int parse_line(char *line, size_t lnum, struct alias_set *s,
    char **what)
{
	char *tok[MAX_TOKENS];
	size_t n;

	split(line, '#', tok);
	n = split(tok[0], ':', tok);
	if (n == 1 && *tok[0] == '\0')
		return 0;
	if (n != 2) {
		*what = xasprintf("line %zu: single ':' delimiter expected",
		    lnum);
		return -1;
	}
	if (!is_local(tok[0])) {
		*what = xasprintf("line %zu: invalid alias '%s'", lnum, tok[0]);
		return -1;
	}
	add_alias(s, tok[0], lnum, tok[1]);
	return 0;
}

/*
 * read_aliases - the entries of fp up to the first bad line. Returns 0,
 * or -1 with *what set: the first bad line's problem, or "input error".
 */
static int read_aliases(FILE *fp, struct alias_set *s, char **what)
{
	struct buf b;
	size_t lnum = 1;
	int rc = 0;

	buf_init(&b);
	while (rc == 0 && read_chunk(fp, &b)) {
		if (strlen(b.data) == LINE_MAX_READ) {
			*what = xasprintf("line %zu: longer than %d characters",
			    lnum, LINE_MAX_READ);
			rc = -1;
		} else
			rc = parse_line(b.data, lnum, s, what);
		lnum++;
	}
	buf_free(&b);
	if (rc == 0 && ferror(fp)) {
		*what = xstrdup("input error");
		rc = -1;
	}
	return rc;
}

/* cmp_name - qsort() order: by name, then by line. */
static int cmp_name(const void *x, const void *y)
{
	const struct alias *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/*
 * sort_and_find_dup - sort s by name for find(); return the entry on the
 * earliest line whose name an earlier line already has, or NULL.
 */
static const struct alias *sort_and_find_dup(struct alias_set *s)
{
	const struct alias *dup = NULL;
	size_t i;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_name);
	for (i = 1; i < s->n; i++)
		if (strcmp(s->v[i - 1].name, s->v[i].name) == 0 &&
		    (dup == NULL || s->v[i].line < dup->line))
			dup = &s->v[i];
	return dup;
}

/*
 * load - read file into s (sorted by name), msmtp's first error winning:
 * a duplicate on an earlier line than a bad line is reported first.
 */
static int load(const char *file, struct alias_set *s, char **errstr)
{
	const struct alias *dup;
	char *what = NULL, *msg;
	FILE *fp;
	int bad, rc = EX_OK;

	if ((fp = fopen(file, "r")) == NULL)
		return fail(errstr, file, strerror(errno));
	bad = read_aliases(fp, s, &what);
	fclose(fp);
	dup = sort_and_find_dup(s);
	if (dup != NULL) {
		msg = xasprintf("line %zu: duplicate alias '%s'", dup->line,
		    dup->name);
		rc = fail(errstr, file, msg);
		free(msg);
	} else if (bad)
		rc = fail(errstr, file, what);
	free(what);
	return rc;
}

/* find - the entry called name, or NULL. */
static const struct alias *find(const struct alias_set *s, const char *name)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, s->v[mid].name);
		if (c == 0)
			return &s->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

enum { EXP_OK, EXP_LOOP, EXP_TOO_MANY };

/*
 * expand - msmtp's expand_alias(): append to seq, in the order msmtp
 * inserts them (each at the head of its list, so the caller reverses),
 * the addresses name stands for.
 */
static int expand(const struct alias_set *s, const char *name, int depth,
    size_t room, struct strlist *seq)
{
	const struct alias *a;
	size_t i;
	int rc;

	if (depth > ALIASES_MAX_DEPTH)
		return EXP_LOOP;
	if ((a = find(s, name)) == NULL)
		a = find(s, "default");
	if (a == NULL) {
		if (seq->n >= room)
			return EXP_TOO_MANY;
		strlist_add(seq, name);
		return EXP_OK;
	}
	for (i = 0; i < a->addrs.n; i++) {
		if (is_local(a->addrs.v[i])) {
			rc = expand(s, a->addrs.v[i], depth + 1, room, seq);
			if (rc != EXP_OK)
				return rc;
		} else if (seq->n >= room)
			return EXP_TOO_MANY;
		else
			strlist_add(seq, a->addrs.v[i]);
	}
	return EXP_OK;
}

/* expand_rcpt - the addresses of one local recipient, appended to res. */
static int expand_rcpt(const struct alias_set *s, const char *file,
    const char *rcpt, struct strlist *res, char **errstr)
{
	struct strlist seq;
	size_t i, room;
	char *msg;
	int rc;

	strlist_init(&seq);
	room = res->n < ALIASES_MAX_RCPTS ? ALIASES_MAX_RCPTS - res->n : 0;
	rc = expand(s, rcpt, 0, room, &seq);
	if (rc == EXP_OK)
		for (i = seq.n; i > 0; i--)
			strlist_add(res, seq.v[i - 1]);
	strlist_free(&seq);
	if (rc == EXP_OK)
		return EX_OK;
	msg = xasprintf("Too many %s when expanding alias %s.",
	    rc == EXP_LOOP ? "redirects" : "recipients", rcpt);
	rc = fail(errstr, file, msg);
	free(msg);
	return rc;
}

/* has_local - whether any recipient of l is a local name. */
static int has_local(const struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (is_local(l->v[i]))
			return 1;
	return 0;
}

/* copy_all - append every string of from to to. */
static void copy_all(const struct strlist *from, struct strlist *to)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		strlist_add(to, from->v[i]);
}

int aliases_expand(const char *file, const struct strlist *in,
    unsigned flags, struct strlist *out, char **errstr)
{
	struct alias_set s;
	struct strlist res;
	size_t i;
	int rc = EX_OK;

	if (!has_local(in)) {
		copy_all(in, out);
		return EX_OK;
	}
	memset(&s, 0, sizeof(s));
	strlist_init(&res);
	if ((rc = load(file, &s, errstr)) != EX_OK)
		goto done;
	for (i = 0; i < in->n && rc == EX_OK; i++) {
		if (!is_local(in->v[i])) {
			strlist_add(&res, in->v[i]);
			continue;
		}
		rc = expand_rcpt(&s, file, in->v[i], &res, errstr);
		/* msmtp's loop steps over the one after an expanded one */
		if (rc == EX_OK && !(flags & ALIASES_EXPAND_ALL) &&
		    i + 1 < in->n)
			strlist_add(&res, in->v[++i]);
	}
	if (rc == EX_OK)
		copy_all(&res, out);
done:
	strlist_free(&res);
	set_free(&s);
	return rc;
}
