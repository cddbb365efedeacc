/*
 * strlist - a growable array of owned strings.
 *
 * The list owns every string in it: strlist_add() copies, strlist_take()
 * adopts a string the caller allocated. strlist_free() frees them all and
 * leaves an empty, reusable list. v is NULL-terminated once non-empty.
 */
#ifndef UTIL_STRLIST_H
#define UTIL_STRLIST_H

#include <stddef.h>

struct strlist {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

void strlist_init(struct strlist *l);
void strlist_free(struct strlist *l);
void strlist_add(struct strlist *l, const char *s);
void strlist_take(struct strlist *l, char *s);
/* strlist_join - all strings joined by sep, newly allocated. */
char *strlist_join(const struct strlist *l, const char *sep);

#endif
