/*
 * strlist - a growable array of owned strings; see strlist.h.
 */
#include "util/strlist.h"

#include <stdlib.h>

#include "util/buf.h"
#include "util/xalloc.h"

void strlist_init(struct strlist *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
}

void strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	strlist_init(l);
}

void strlist_take(struct strlist *l, char *s)
{
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

void strlist_add(struct strlist *l, const char *s)
{
	strlist_take(l, xstrdup(s));
}

char *strlist_join(const struct strlist *l, const char *sep)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			buf_puts(&b, sep);
		buf_puts(&b, l->v[i]);
	}
	return buf_steal(&b);
}
