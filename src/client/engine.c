/*
 * engine - find and load msmtp-engine.so; see engine.h.
 */
#include "client/engine.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/lib/msmtp"
#endif

/* LIBEXECDIR as seen from BINDIR (the Makefile computes it). */
#ifndef LIBEXECDIR_REL
#define LIBEXECDIR_REL "../lib/msmtp"
#endif

#define ENGINE_NAME "msmtp-engine.so"

/* from_executable - ENGINE_NAME at REL from the running program's
 * directory, if readable there; NULL otherwise. */
static char *from_executable(const char *rel)
{
	char exe[PATH_MAX], *slash, *path;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	path = xasprintf("%s/%s/%s", exe, rel, ENGINE_NAME);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

/* engine_path - beside the executable (the build tree), else where the
 * installation put it relative to the executable (so an installed tree
 * works wherever it was unpacked, DESTDIR included), else LIBEXECDIR. */
static char *engine_path(void)
{
	char *path = from_executable(".");

	if (path == NULL)
		path = from_executable(LIBEXECDIR_REL);
	if (path == NULL)
		path = xstrdup(LIBEXECDIR "/" ENGINE_NAME);
	return path;
}

const struct engine_api *engine_load(char **errstr)
{
	const struct engine_api *api;
	char *path = engine_path();
	void *handle;

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		*errstr = xasprintf("cannot load the delivery engine: %s",
		    dlerror());
		free(path);
		return NULL;
	}
	api = dlsym(handle, "msmtp_engine");
	if (api == NULL || api->abi != ENGINE_ABI) {
		*errstr = xasprintf("%s is not a matching delivery engine",
		    path);
		free(path);
		return NULL;
	}
	free(path);
	return api;
}
