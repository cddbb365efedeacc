/*
 * runners - whether anything will run this user's queue; see runners.h.
 */
#include "delivery/runners.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue/pidfile.h"
#include "util/homedir.h"
#include "util/xalloc.h"

/* unit_enabled - a msmtp-queue unit linked into a target of the user
 * units under dir. */
static int unit_enabled(const char *dir)
{
	static const char *const kinds[] = { "service", "timer" };
	glob_t g;
	char *pattern;
	size_t i;
	int found = 0;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !found; i++) {
		pattern = xasprintf("%s/*.wants/msmtp-queue*.%s", dir,
		    kinds[i]);
		if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
			found = g.gl_pathc > 0;
		globfree(&g);
		free(pattern);
	}
	return found;
}

static int user_unit_enabled(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *home, *dir;
	int found;

	if (xdg != NULL && xdg[0] == '/') {
		dir = xasprintf("%s/systemd/user", xdg);
	} else {
		home = homedir();
		dir = xasprintf("%s/.config/systemd/user", home);
		free(home);
	}
	found = unit_enabled(dir) || unit_enabled(SYSCONFDIR "/systemd/user");
	free(dir);
	return found;
}

static int hook_installed(void)
{
	static const char *const hooks[] = {
		SYSCONFDIR "/NetworkManager/dispatcher.d/90-msmtp-queue",
		SYSCONFDIR "/network/if-up.d/msmtp-queue",
		SYSCONFDIR "/networkd-dispatcher/routable.d/msmtp-queue",
	};
	size_t i;

	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (access(hooks[i], X_OK) == 0)
			return 1;
	return 0;
}

const char *runner_active(const char *spool)
{
	if (pidfile_served(spool))
		return "a running msmtp-queue --daemon";
	if (user_unit_enabled())
		return "an enabled msmtp-queue systemd unit";
	if (hook_installed())
		return "a network hook";
	return NULL;
}
