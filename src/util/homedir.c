/*
 * homedir - the user's home directory; see homedir.h.
 */
#include "util/homedir.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/xalloc.h"

char *homedir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL)
		return xstrdup(home);
	pw = getpwuid(getuid());
	return xstrdup(pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "");
}
