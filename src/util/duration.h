/*
 * duration - a length of time as a user writes it in a configuration:
 * a whole number of seconds, or one followed by a unit -- s, m, h, d
 * (seconds, minutes, hours, days): "30", "30s", "5m", "2h", "7d". No
 * blanks, no sign, no fractions, no mixing ("1h30m"): what is not one
 * of these is refused, never read in part.
 *
 * duration_parse() stores the seconds in *out and returns 0, or returns
 * -1 (and leaves *out alone) for text that is not a duration or one
 * outside min..max seconds. Pure function; nothing is allocated.
 */
#ifndef UTIL_DURATION_H
#define UTIL_DURATION_H

/* What an error message gives as examples of the syntax. */
#define DURATION_EXAMPLES	"e.g. 30s, 5m, 2h, 7d"

int duration_parse(const char *s, long min, long max, int *out);

#endif
