/*
 * pidfile - which process serves a spool; see pidfile.h.
 */
#include "queue/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

/* holder - the pid written in the file that fd has open, as text. */
static char *holder(int fd)
{
	char buf[32];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return xstrdup("unknown");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

/* same_file - whether path still names the file fd has open: a daemon
 * that was ending may have removed it between our open and our lock. */
static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* lock_soon - an exclusive lock on fd within PIDFILE_WAIT_MS: whoever
 * holds it that briefly is asking pidfile_served(), not serving. */
static int lock_soon(int fd)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += 10)
		if (errno != EWOULDBLOCK || waited >= PIDFILE_WAIT_MS ||
		    nanosleep(&tick, NULL) != 0)
			return 0;
	return 1;
}

/* lock_file - open and lock path: the descriptor, or -1 (and errno);
 * when another process holds the lock, *held is its pid (as text, the
 * caller's) and -1 is returned. */
static int lock_file(const char *path, char **held)
{
	int fd, tries, e;

	*held = NULL;
	for (tries = 0; tries < 3; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd < 0)
			return -1;
		if (!lock_soon(fd)) {
			e = errno;
			if (e == EWOULDBLOCK)
				*held = holder(fd);
			close(fd);
			errno = e;
			return -1;
		}
		if (same_file(fd, path))
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

int pidfile_claim(struct pidfile *pf, const char *spool, char **errstr)
{
	char buf[32];
	char *held;
	int fd, len;

	pf->path = xasprintf("%s.pid", spool);
	fd = lock_file(pf->path, &held);
	if (held != NULL) {
		*errstr = xasprintf("the daemon with pid %s already serves %s",
		    held, spool);
		free(held);
		free(pf->path);
		pf->path = NULL;
		return EX_TEMPFAIL;
	}
	if (fd < 0) {
		*errstr = xasprintf("cannot write %s: %s", pf->path,
		    strerror(errno));
		goto fail;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		*errstr = xasprintf("cannot write %s: %s", pf->path,
		    strerror(errno));
		unlink(pf->path);
		close(fd);
		goto fail;
	}
	pf->fd = fd;
	return EX_OK;
fail:
	free(pf->path);
	pf->path = NULL;
	pf->fd = -1;
	return EX_CANTCREAT;
}

void pidfile_release(struct pidfile *pf)
{
	if (pf->path == NULL)
		return;
	/* Removed while still locked, so that no one locks a file that
	 * is about to go. */
	unlink(pf->path);
	close(pf->fd);
	free(pf->path);
	pf->path = NULL;
	pf->fd = -1;
}

int pidfile_served(const char *spool)
{
	char *path = xasprintf("%s.pid", spool);
	int fd, served = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0)
		served = errno == EWOULDBLOCK;
	close(fd);
	return served;
}
