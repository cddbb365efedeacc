/*
 * selfexe - files beside the running program; see selfexe.h.
 */
#include "util/selfexe.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

char *selfexe_sibling(const char *rel, const char *name, int mode)
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
	path = xasprintf("%s/%s/%s", exe, rel, name);
	if (access(path, mode) == 0)
		return path;
	free(path);
	return NULL;
}

char *selfexe_program(const char *name)
{
	char *path = selfexe_sibling(".", name, X_OK);

	return path != NULL ? path : xasprintf("%s/%s", BINDIR, name);
}
