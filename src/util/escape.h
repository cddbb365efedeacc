/*
 * escape - control characters in text that came from outside: finding
 * the ones that would break a line, and escaping them for output.
 *
 * Two rules, each used by every program that needs it:
 *
 *   escape_breaks_line() says whether a value holds a CR, LF or NUL.
 *   Such a value must never be put on an SMTP command line (it would
 *   end the line early and the rest would be read as another command)
 *   nor into a one-line record. Callers refuse the value; nothing here
 *   repairs it.
 *
 *   escape_text() appends text to a buf for a log line or a terminal,
 *   with every byte that could forge a line or drive a terminal written
 *   as a visible "\xNN" escape: C0 controls (CR, LF, ESC, BEL...), DEL,
 *   the C1 controls as UTF-8 encodes them (U+0080..U+009F, e.g. CSI)
 *   and bytes that are not part of well-formed UTF-8 (a lone 0x9b is
 *   CSI to an 8-bit terminal). Printable ASCII and well-formed UTF-8
 *   text are copied unchanged, so an ordinary value reads the same
 *   escaped or not. ESCAPE_KEEP_LF and ESCAPE_KEEP_TAB let multi-line
 *   text (a header block) keep its line ends and tabs. A backslash is
 *   not escaped: the result is for people, not for a parser.
 *
 * Pure functions; the caller owns the buf (or the returned string).
 * Nothing here fails (allocation goes through xalloc).
 */
#ifndef UTIL_ESCAPE_H
#define UTIL_ESCAPE_H

#include <stddef.h>

#include "util/buf.h"

#define ESCAPE_KEEP_LF	0x1	/* copy '\n' as is */
#define ESCAPE_KEEP_TAB	0x2	/* copy '\t' as is */

int escape_breaks_line(const char *s, size_t len);
/* escape_breaks_line_str - the same for a C string (CR or LF). */
int escape_breaks_line_str(const char *s);

void escape_text(struct buf *out, const char *s, size_t len, int flags);
/* escape_str - escape_text() of a C string (NULL: ""), as a new string
 * the caller frees. */
char *escape_str(const char *s);
/* escape_line_error - the one wording of a refusal, for an errstr:
 * "<what> <value, escaped>: a line break (CR or LF) is not allowed
 * there", a new string the caller frees. */
char *escape_line_error(const char *what, const char *value);

#endif
