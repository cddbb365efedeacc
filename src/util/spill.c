/*
 * spill - bounded memory in front of a temporary file; see spill.h.
 */
#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/xalloc.h"

#define IO_CHUNK	65536

void spill_init(struct spill *s, size_t mem_limit)
{
	buf_init(&s->mem);
	s->limit = mem_limit;
	s->fd = -1;
	s->size = 0;
}

void spill_free(struct spill *s)
{
	buf_free(&s->mem);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* open_anonymous - a 0600 file in dir with no name. */
static int open_anonymous(const char *dir)
{
	char *path;
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* File systems without O_TMPFILE: a named file, unlinked at once. */
	path = xasprintf("%s/.spill-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* write_failed - the error for errno (of a write or a create); a full
 * disk is temporary. */
static int write_failed(const char *dir, char **errstr)
{
	if (errno == ENOSPC || errno == EDQUOT) {
		*errstr = xasprintf("cannot write a temporary file in %s: the "
		    "disk is full; free some space and try again", dir);
		return EX_TEMPFAIL;
	}
	*errstr = xasprintf("cannot write a temporary file in %s: %s", dir,
	    strerror(errno));
	return EX_CANTCREAT;
}

static int write_all(int fd, const char *p, size_t n, const char *dir,
    char **errstr)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return write_failed(dir, errstr);
		p += w;
		n -= (size_t)w;
	}
	return EX_OK;
}

/* take - n bytes into memory while there is room, else to the file. */
static int take(struct spill *s, const char *p, size_t n, const char *dir,
    char **errstr)
{
	size_t room = s->limit > s->mem.len ? s->limit - s->mem.len : 0;

	if (room > n)
		room = n;
	buf_append(&s->mem, p, room);
	s->size += (long long)n;
	p += room;
	n -= room;
	if (n == 0)
		return EX_OK;
	if (s->fd < 0 && (s->fd = open_anonymous(dir)) < 0)
		return write_failed(dir, errstr);
	return write_all(s->fd, p, n, dir, errstr);
}

int spill_read(struct spill *s, FILE *in, const char *dir, char **errstr)
{
	char *chunk = xmalloc(IO_CHUNK);
	size_t n;
	int rc = EX_OK;

	while (rc == EX_OK && (n = fread(chunk, 1, IO_CHUNK, in)) > 0)
		rc = take(s, chunk, n, dir, errstr);
	if (rc == EX_OK && ferror(in)) {
		*errstr = xstrdup("input error while reading the mail");
		rc = EX_IOERR;
	}
	free(chunk);
	return rc;
}

/* replay_file - the spilled part, from its start. */
static int replay_file(struct spill *s, spill_sink sink, void *arg,
    char **errstr)
{
	char *chunk;
	ssize_t n;
	int rc = EX_OK;

	if (lseek(s->fd, 0, SEEK_SET) < 0) {
		*errstr = xasprintf("cannot read a temporary file: %s",
		    strerror(errno));
		return EX_IOERR;
	}
	chunk = xmalloc(IO_CHUNK);
	while (rc == EX_OK && (n = read(s->fd, chunk, IO_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*errstr = xasprintf("cannot read a temporary file: %s",
			    strerror(errno));
			rc = EX_IOERR;
			break;
		}
		rc = sink(arg, chunk, (size_t)n, errstr);
	}
	free(chunk);
	return rc;
}

int spill_replay(struct spill *s, spill_sink sink, void *arg,
    char **errstr)
{
	int rc = EX_OK;

	if (s->mem.len > 0)
		rc = sink(arg, s->mem.data, s->mem.len, errstr);
	if (rc == EX_OK && s->fd >= 0)
		rc = replay_file(s, sink, arg, errstr);
	return rc;
}
