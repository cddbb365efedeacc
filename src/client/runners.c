/*
 * runners - whether anything will run this user's queue; see runners.h.
 */
#include "client/runners.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "util/homedir.h"
#include "util/xalloc.h"

/* The program whose process a pid file must name: a stale file whose
 * pid went to another program is no daemon. */
#define RUNNER_COMM	"msmtp-queue"

/* read_pid - the pid in file, or 0. */
static pid_t read_pid(const char *file)
{
	FILE *f = fopen(file, "r");
	long pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* is_runner - whether pid is a live msmtp-queue; where /proc cannot
 * say which program it is, a live process is taken at its word. */
static int is_runner(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (kill(pid, 0) != 0 && errno != EPERM)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, RUNNER_COMM) == 0;
}

static int daemon_running(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	char *file;
	pid_t pid;

	if (dir == NULL || dir[0] != '/')
		return 0;
	file = xasprintf("%s/msmtp-queue.pid", dir);
	pid = read_pid(file);
	free(file);
	return pid > 0 && is_runner(pid);
}

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

const char *runner_active(void)
{
	if (daemon_running())
		return "a running msmtp-queue --daemon";
	if (user_unit_enabled())
		return "an enabled msmtp-queue systemd unit";
	if (hook_installed())
		return "a network hook";
	return NULL;
}
