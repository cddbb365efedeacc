/*
 * buf - a growable byte buffer, always NUL-terminated (VSTRING-like).
 *
 * A struct buf is owned by whoever declares it. After buf_init() data is a
 * valid string; buf_free() releases the storage and leaves data NULL, and
 * any later append starts afresh. A zeroed struct buf behaves as freed.
 * Growth goes through xalloc, so no function here fails.
 */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* buf_consume - drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* buf_steal - hand the string to the caller (who frees it); b is reset. */
char *buf_steal(struct buf *b);

#endif
