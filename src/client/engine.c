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

#define ENGINE_NAME "msmtp-engine.so"

/* beside_executable - ENGINE_NAME in the running program's directory. */
static char *beside_executable(void)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return xasprintf("%s/%s", exe, ENGINE_NAME);
}

const struct engine_api *engine_load(char **errstr)
{
	const struct engine_api *api;
	char *path = beside_executable();
	void *handle;

	if (path == NULL || access(path, R_OK) != 0) {
		free(path);
		path = xstrdup(LIBEXECDIR "/" ENGINE_NAME);
	}
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
