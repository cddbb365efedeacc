/*
 * xalloc - allocation that succeeds or does not return.
 *
 * Every function here either returns usable memory or prints
 * "<program>: cannot allocate memory" on stderr and exits with EX_OSERR,
 * as msmtp does. Callers therefore never check for NULL; they own what is
 * returned and release it with free().
 */
#ifndef UTIL_XALLOC_H
#define UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray - grow an array, refusing a size that would overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf - a formatted, newly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xalloc_failed - what the functions above do when memory runs out, for
 * a library that reports its own allocation failure. */
void xalloc_failed(void) __attribute__((noreturn));

#endif
