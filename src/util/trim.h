/*
 * trim - cut the characters of a set from both ends of a string, in
 * place. Returns s advanced past the leading ones; the trailing ones are
 * overwritten with NULs. The set is the caller's: msmtprc trims space and
 * tab, the aliases file every C-locale space.
 */
#ifndef UTIL_TRIM_H
#define UTIL_TRIM_H

#define TRIM_BLANKS	" \t"
#define TRIM_SPACES	" \t\n\v\f\r"

char *trim(char *s, const char *set);

#endif
