/*
 * logfile - open a log file without trusting its name; see logfile.h.
 */
#include "util/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

/* open_error - why open() failed, in words that say what to do. */
static char *open_error(const char *path, int err)
{
	struct stat st;

	if (err == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return xstrdup("it is a symbolic link; refusing to follow it "
		    "(name the file it points to instead)");
	return xstrdup(strerror(err));
}

/* check_file - whether the file open on fd may receive our log. */
static char *check_file(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return xstrdup(strerror(errno));
	if (S_ISCHR(st.st_mode))
		return NULL;
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
		return xstrdup("not a regular file");
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return xasprintf("it belongs to another user (uid %ld); "
		    "refusing to write to it", (long)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return xasprintf("it can be written by other users (mode "
		    "%04o); refusing to write to it (fix: chmod go-w %s)",
		    (unsigned)(st.st_mode & 07777), path);
	return NULL;
}

int logfile_open(const char *path, char **why)
{
	int fd;

	*why = NULL;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		*why = open_error(path, errno);
		return -1;
	}
	if ((*why = check_file(path, fd)) != NULL) {
		close(fd);
		return -1;
	}
	return fd;
}
