/*
 * trim - see trim.h.
 */
#include "util/trim.h"

#include <string.h>

char *trim(char *s, const char *set)
{
	size_t n;

	s += strspn(s, set);
	n = strlen(s);
	while (n > 0 && strchr(set, s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}
