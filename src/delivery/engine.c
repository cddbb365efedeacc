/*
 * engine - find and load msmtp-engine.so; see engine.h.
 */
#include "delivery/engine.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/selfexe.h"
#include "util/xalloc.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/lib/msmtp"
#endif

/* LIBEXECDIR as seen from BINDIR (the Makefile computes it). */
#ifndef LIBEXECDIR_REL
#define LIBEXECDIR_REL "../lib/msmtp"
#endif

#define ENGINE_NAME "msmtp-engine.so"

/* engine_path - beside the executable (the build tree), else where the
 * installation put it relative to the executable (so an installed tree
 * works wherever it was unpacked, DESTDIR included), else LIBEXECDIR. */
static char *engine_path(void)
{
	char *path = selfexe_sibling(".", ENGINE_NAME, R_OK);

	if (path == NULL)
		path = selfexe_sibling(LIBEXECDIR_REL, ENGINE_NAME, R_OK);
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

/* preload - the thread: dlopen() it; the handle stays for the life of
 * the process, as engine_load()'s does (which then only finds it). */
static void *preload(void *arg)
{
	char *path = engine_path();

	(void)arg;
	(void)dlopen(path, RTLD_NOW | RTLD_LOCAL);
	free(path);
	return NULL;
}

void engine_preload_start(struct engine_preload *pl)
{
	pl->started = pthread_create(&pl->thread, NULL, preload, NULL) == 0;
}

void engine_preload_join(struct engine_preload *pl)
{
	if (!pl->started)
		return;
	pthread_join(pl->thread, NULL);
	pl->started = 0;
}

int engine_run(const struct deliver_job *job, engine_told_fn told,
    void *arg, char **errstr)
{
	const struct engine_api *engine = engine_load(errstr);
	struct deliver_report rep;
	int rc;

	if (engine == NULL)
		return EX_SOFTWARE;
	rc = engine->deliver_now(job, &rep);
	told(arg, rc, &rep);
	engine->deliver_report_free(&rep);
	return rc;
}
