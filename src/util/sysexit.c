/*
 * sysexit - names of the sysexits.h codes; see sysexit.h.
 */
#include "util/sysexit.h"

#include <stddef.h>

static const struct {
	int		 code;
	const char	*name;
} sysexit_names[] = {
	{ EX_OK, "EX_OK" },
	{ EX_USAGE, "EX_USAGE" },
	{ EX_DATAERR, "EX_DATAERR" },
	{ EX_NOINPUT, "EX_NOINPUT" },
	{ EX_NOUSER, "EX_NOUSER" },
	{ EX_NOHOST, "EX_NOHOST" },
	{ EX_UNAVAILABLE, "EX_UNAVAILABLE" },
	{ EX_SOFTWARE, "EX_SOFTWARE" },
	{ EX_OSERR, "EX_OSERR" },
	{ EX_OSFILE, "EX_OSFILE" },
	{ EX_CANTCREAT, "EX_CANTCREAT" },
	{ EX_IOERR, "EX_IOERR" },
	{ EX_TEMPFAIL, "EX_TEMPFAIL" },
	{ EX_PROTOCOL, "EX_PROTOCOL" },
	{ EX_NOPERM, "EX_NOPERM" },
	{ EX_CONFIG, "EX_CONFIG" },
};

const char *sysexit_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(sysexit_names) / sizeof(sysexit_names[0]); i++)
		if (sysexit_names[i].code == code)
			return sysexit_names[i].name;
	return "EX_UNKNOWN";
}
