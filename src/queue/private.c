/*
 * private - the spool's files are the user's alone; see spool_impl.h.
 *
 * SECURITY. The spool holds every mail not yet sent, so another user must
 * neither read it nor slip a file of theirs into it. SQLite opens up to
 * four files by name -- the database, its -wal and -shm (WAL mode) and a
 * -journal (while the first open switches to WAL) -- and opens one that
 * exists as it finds it: a -wal pre-created by another user, and held
 * open by them, would receive the bytes of every mail spooled afterwards.
 * So, before SQLite opens anything:
 *
 *  - the directory must be ours and writable by nobody else (as
 *    OpenSSH's StrictModes asks of ~/.ssh). A sticky directory such as
 *    /tmp is refused as well: the sticky bit stops others from removing
 *    our files, not from creating the -wal we have not created yet. In a
 *    directory only we can write, nobody else can create a file between
 *    this check and SQLite's open, so checking once is enough;
 *  - each of the four files that exists must be a regular file (never a
 *    symbolic link) and ours. They are checked by name (lstat), not
 *    opened: in a directory only we can write, no other user can swap a
 *    name between the check and SQLite's open; and opening then closing
 *    a file that SQLite already has open in this process (the runner's
 *    second connection) would drop SQLite's POSIX locks on it -- close()
 *    releases every lock the process holds on the file -- and let another
 *    process truncate the -shm under our mapping (SIGBUS). One of ours
 *    that others may read or
 *    write (say, copied from elsewhere) is made private (fchmod 0600):
 *    it is the user's own data, and refusing would only stop their mail.
 *    One owned by another user is refused: what it held, and who may
 *    still hold it open, cannot be known.
 *
 * The directories are created 0700 and the database 0600; SQLite creates
 * the others under the umask spool_open() sets (077).
 */
#include "queue/spool_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/xalloc.h"

/* The files SQLite may open besides the database, by suffix. */
static const char *const companions[] = { "-wal", "-shm", "-journal" };

/* parent_dir - path's directory, newly allocated ("." for a bare
 * name). */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* make_dirs - create the missing directories of dir, 0700. */
static int make_dirs(char *dir, char **errstr)
{
	char *p;

	for (p = dir + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*errstr = xasprintf("cannot create spool directory "
			    "%s: %s", dir, strerror(errno));
			*p = c;
			return EX_CANTCREAT;
		}
		*p = c;
		if (c == '\0')
			return EX_OK;
	}
}

/* check_dir - the spool's directory: ours, and only we may write it. */
static int check_dir(const char *dir, char **errstr)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		*errstr = xasprintf("spool directory %s: %s", dir,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (!S_ISDIR(st.st_mode)) {
		*errstr = xasprintf("spool directory %s is not a directory",
		    dir);
		return EX_CANTCREAT;
	}
	if (st.st_uid != geteuid()) {
		*errstr = xasprintf("spool directory %s is not owned by you",
		    dir);
		return EX_CANTCREAT;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*errstr = xasprintf("spool directory %s can be written by "
		    "other users (mode %04o), who could plant files that read "
		    "your mail; refusing to use it. Fix: chmod go-w %s, or "
		    "choose a private directory (queue_file)", dir,
		    (unsigned)(st.st_mode & 07777), dir);
		return EX_CANTCREAT;
	}
	return EX_OK;
}

/* create_file - the missing database, created 0600. */
static int create_file(const char *path, char **errstr)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd < 0 && errno != EEXIST) {
		*errstr = xasprintf("cannot create spool %s: %s", path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (fd >= 0)
		close(fd);
	return EX_OK;
}

/* check_file - the file at path, if it exists: a regular file of ours,
 * made private if it is not; with create, a missing one is created. */
static int check_file(const char *path, int create, char **errstr)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return create ? create_file(path, errstr) : EX_OK;
		*errstr = xasprintf("cannot open spool %s: %s", path,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (S_ISLNK(st.st_mode)) {
		*errstr = xasprintf("%s is a symbolic link; refusing to use "
		    "it as part of the spool", path);
		return EX_CANTCREAT;
	}
	if (!S_ISREG(st.st_mode)) {
		*errstr = xasprintf("%s: not a regular file", path);
		return EX_CANTCREAT;
	}
	if (st.st_uid != geteuid()) {
		*errstr = xasprintf("%s is owned by another user (uid %ld); "
		    "refusing to use it, since they may read every mail "
		    "spooled through it. Remove it (rm %s) if the spool is "
		    "yours", path, (long)st.st_uid, path);
		return EX_CANTCREAT;
	}
	if ((st.st_mode & 077) != 0 && chmod(path, 0600) != 0) {
		*errstr = xasprintf("%s can be read or written by other users "
		    "and cannot be made private: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	return EX_OK;
}

int spool_make_private(const char *path, char **errstr)
{
	char *dir = parent_dir(path), *name;
	int rc = EX_OK;
	size_t i;

	/* The directory is there at nearly every open: one stat(), not a
	 * mkdir() of each of its parents. */
	if (access(dir, F_OK) != 0 && strchr(path, '/') != NULL &&
	    strcmp(dir, "/") != 0)
		rc = make_dirs(dir, errstr);
	if (rc == EX_OK)
		rc = check_dir(dir, errstr);
	free(dir);
	/* The companions first: a refused spool is left as it was found. */
	for (i = 0; rc == EX_OK && i < sizeof(companions) /
	    sizeof(companions[0]); i++) {
		name = xasprintf("%s%s", path, companions[i]);
		rc = check_file(name, 0, errstr);
		free(name);
	}
	if (rc == EX_OK)
		rc = check_file(path, 1, errstr);
	return rc;
}
