/*
 * oauth2store - the OAuth2 token file; see oauth2store.h.
 */
#include "account/oauth2store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "account/account.h"
#include "util/buf.h"
#include "util/harden.h"
#include "util/homedir.h"
#include "util/xalloc.h"

/* state_dir - $XDG_STATE_HOME/msmtp/oauth2 (an absolute
 * XDG_STATE_HOME only, as the XDG spec says), else
 * ~/.local/state/msmtp/oauth2. */
static char *state_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME");
	char *home, *dir;

	if (x != NULL && x[0] == '/')
		return xasprintf("%s/msmtp/oauth2", x);
	home = homedir();
	dir = xasprintf("%s/.local/state/msmtp/oauth2", home);
	free(home);
	return dir;
}

/* file_name - user@host with anything but [A-Za-z0-9.@_-] as '_': a
 * name that cannot leave the directory. */
static char *file_name(const struct account *a)
{
	char *n, *p;

	n = xasprintf("%s@%s", a->user ? a->user : "",
	    a->host ? a->host : "");
	for (p = n; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".@_-", *p) != NULL))
			*p = '_';
	if (n[0] == '.')
		n[0] = '_';
	return n;
}

char *oauth2_store_path(const struct account *a)
{
	char *dir = state_dir(), *name = file_name(a), *path;

	path = xasprintf("%s/%s", dir, name);
	free(dir);
	free(name);
	return path;
}

void oauth2_tokens_free(struct oauth2_tokens *t)
{
	wipe_free(t->refresh);
	wipe_free(t->client_secret);
	wipe_free(t->access);
	memset(t, 0, sizeof(*t));
}

/* take_line - one "key value" line into t. */
static void take_line(char *line, struct oauth2_tokens *t)
{
	char *v = strchr(line, ' ');
	char **slot = NULL;

	if (v == NULL)
		return;
	*v++ = '\0';
	if (strcmp(line, "refresh_token") == 0)
		slot = &t->refresh;
	else if (strcmp(line, "client_secret") == 0)
		slot = &t->client_secret;
	else if (strcmp(line, "access_token") == 0)
		slot = &t->access;
	else if (strcmp(line, "refresh_token_in") == 0)
		t->in_keyring = strcmp(v, "keyring") == 0;
	else if (strcmp(line, "expires") == 0)
		t->expires = (time_t)strtoll(v, NULL, 10);
	if (slot != NULL && *v != '\0') {
		wipe_free(*slot);
		*slot = xstrdup(v);
	}
}

int oauth2_store_read(const char *path, struct oauth2_tokens *t)
{
	char line[8192];	/* wiped: it held tokens */
	char iobuf[BUFSIZ];
	FILE *f;
	size_t n;

	memset(t, 0, sizeof(*t));
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		take_line(line, t);
	}
	fclose(f);
	wipe(line, sizeof(line));
	wipe(iobuf, sizeof(iobuf));
	return 0;
}

/* make_dirs - every directory of path's parent, the new ones 0700. */
static int make_dirs(const char *path)
{
	char *d = xstrdup(path), *p;
	int rc = 0;

	for (p = d + 1; rc == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(d, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(d);
	return rc;
}

/* put - the file's text. */
static void put(struct buf *b, const struct oauth2_tokens *t)
{
	if (t->refresh != NULL)
		buf_printf(b, "refresh_token %s\n", t->refresh);
	else if (t->in_keyring)
		buf_puts(b, "refresh_token_in keyring\n");
	if (t->client_secret != NULL)
		buf_printf(b, "client_secret %s\n", t->client_secret);
	if (t->access != NULL)
		buf_printf(b, "access_token %s\nexpires %lld\n", t->access,
		    (long long)t->expires);
}

int oauth2_store_write(const char *path, const struct oauth2_tokens *t,
    char **errstr)
{
	char *tmp = xasprintf("%s.new", path);
	struct buf b;
	int fd, ok;

	buf_init(&b);
	put(&b, t);
	fd = make_dirs(path) == 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
	    write(fd, b.data, b.len) == (ssize_t)b.len && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		*errstr = xasprintf("cannot write the OAuth2 tokens to %s: %s",
		    path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	}
	wipe(b.data, b.cap);
	buf_free(&b);
	free(tmp);
	return ok ? EX_OK : EX_CANTCREAT;
}

int oauth2_store_lock(const char *path)
{
	char *lock = xasprintf("%s.lock", path);
	int fd;

	fd = make_dirs(path) == 0 ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600) : -1;
	free(lock);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void oauth2_store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
