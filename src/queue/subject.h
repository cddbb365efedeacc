/*
 * subject - the Subject header of a mail's first bytes, for a listing.
 *
 * subject_of() looks for a "Subject:" header (case-insensitive) in the
 * header block at the start of data -- up to its first empty line, or to
 * len -- and returns its value: continuation lines joined with a space,
 * leading and trailing blanks trimmed, its control characters and bytes
 * that are not UTF-8 escaped (util/escape.h: the result is valid UTF-8
 * text, for any reader of the spool), cut to SUBJECT_MAX bytes without
 * cutting a UTF-8 sequence. Nothing is decoded (RFC 2047 words stay as
 * they are). NULL when there is no Subject header. The result is the
 * caller's to free.
 */
#ifndef QUEUE_SUBJECT_H
#define QUEUE_SUBJECT_H

#include <stddef.h>

#define SUBJECT_MAX	200

char *subject_of(const char *data, size_t len);

#endif
