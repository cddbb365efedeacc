/*
 * duration - "30s", "5m", "2h", "7d"; see duration.h.
 */
#include "util/duration.h"

#include <limits.h>

/* unit_seconds - how many seconds the unit c stands for, or 0. */
static long unit_seconds(char c)
{
	switch (c) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	default:
		return 0;
	}
}

int duration_parse(const char *s, long min, long max, int *out)
{
	long long v = 0, unit = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	if (*p != '\0' && ((unit = unit_seconds(*p)) == 0 || p[1] != '\0'))
		return -1;
	v *= unit;
	if (v > INT_MAX || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}
