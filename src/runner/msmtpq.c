/*
 * msmtpq - msmtpq's queue imported into the spool; see msmtpq.h.
 */
#include "runner/msmtpq.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "runner/frontend.h"
#include "util/homedir.h"
#include "util/strlist.h"
#include "util/xalloc.h"

/* An argument file longer than this is not msmtpq's. */
#define ARGS_MAX	(64 * 1024)

/* The state of one import. */
struct import {
	const struct import_opts	*o;
	char				*dir;
	int				 dirfd;
	int				 imported;
	int				 left;
};

/* default_dir - where msmtpq keeps its queue: $MSMTPQ_Q, else $Q, else
 * ~/.msmtp.queue (msmtpq's own order). */
static char *default_dir(void)
{
	const char *env = getenv("MSMTPQ_Q");
	char *home, *dir;

	if (env == NULL || env[0] == '\0')
		env = getenv("Q");
	if (env != NULL && env[0] != '\0')
		return xstrdup(env);
	home = homedir();
	dir = xasprintf("%s/.msmtp.queue", home);
	free(home);
	return dir;
}

/* leave - a file stays where it is, said and counted. */
static void leave(struct import *im, const char *name, const char *why)
{
	fprintf(stderr, "msmtp-queue: %s/%s left in place: %s\n", im->dir,
	    name, why);
	im->left++;
}

static int has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* open_regular - a regular file of the queue, not through a link. */
static int open_regular(struct import *im, const char *name, char **errstr)
{
	struct stat st;
	int fd;

	fd = openat(im->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*errstr = xasprintf("cannot open it: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*errstr = xstrdup("not a regular file");
		close(fd);
		return -1;
	}
	return fd;
}

/* read_args - the .msmtp line; NULL with *errstr when it cannot be had. */
static char *read_args(struct import *im, const char *name, char **errstr)
{
	char *text = xmalloc(ARGS_MAX + 1);
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open_regular(im, name, errstr);
	if (fd < 0) {
		free(text);
		return NULL;
	}
	while (len < ARGS_MAX + 1 &&
	    (n = read(fd, text + len, ARGS_MAX + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len > ARGS_MAX || memchr(text, '\0', len) != NULL) {
		*errstr = xstrdup("not an msmtpq argument file");
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

/* split_args - the words of line as the shell's $(< file) gives them
 * (IFS: blanks and newlines); msmtpq's replay also
 * globs them, which no mail's arguments should need. */
static void split_args(char *line, struct strlist *argv)
{
	char *save = NULL, *word;

	for (word = strtok_r(line, " \t\n", &save); word != NULL;
	    word = strtok_r(NULL, " \t\n", &save))
		strlist_add(argv, word);
}

/* spool_pair - the mail of base.mail, with the arguments of base.msmtp,
 * into the spool by msmtp itself (frontend.h); EX_DATAERR-like codes
 * leave it, which the caller tells apart from the spool's own failures. */
static int spool_pair(struct import *im, const char *base,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	struct frontend_job job;
	struct strlist args;
	char *name, *line;
	int rc;

	name = xasprintf("%s.msmtp", base);
	line = read_args(im, name, errstr);
	free(name);
	if (line == NULL)
		return EX_DATAERR;
	strlist_init(&args);
	split_args(line, &args);
	free(line);
	name = xasprintf("%s.mail", base);
	memset(&job, 0, sizeof(job));
	job.args = &args;
	job.conffile = im->o->conffile;
	job.queue_file = im->o->queue_file;
	job.mail_fd = open_regular(im, name, errstr);
	rc = job.mail_fd < 0 ? EX_NOINPUT : frontend_spool(&job, id, errstr);
	if (job.mail_fd >= 0)
		close(job.mail_fd);
	free(name);
	strlist_free(&args);
	return rc;
}

/* spool_failed - whether rc is the spool's failure (which stops the
 * import) rather than this mail's. */
static int spool_failed(int rc)
{
	return rc == EX_TEMPFAIL || rc == EX_CANTCREAT || rc == EX_IOERR ||
	    rc == EX_OSERR || rc == EX_SOFTWARE;
}

/* remove_pair - the originals, once their mail is committed: the mail
 * first, so that an interruption leaves nothing msmtpq could send. */
static void remove_pair(struct import *im, const char *base)
{
	char *mail = xasprintf("%s.mail", base);
	char *args = xasprintf("%s.msmtp", base);

	if (unlinkat(im->dirfd, mail, 0) != 0 ||
	    unlinkat(im->dirfd, args, 0) != 0)
		fprintf(stderr, "msmtp-queue: %s/%s: imported, but cannot be "
		    "removed (%s): delete it, or msmtpq will send it too\n",
		    im->dir, base, strerror(errno));
	fsync(im->dirfd);
	free(mail);
	free(args);
}

/* import_pair - one mail; EX_OK also when it was left (said). */
static int import_pair(struct import *im, const char *base, char **errstr)
{
	char id[SPOOL_ID_LEN + 1], *why = NULL, *name;
	int rc;

	rc = spool_pair(im, base, id, &why);
	if (spool_failed(rc)) {
		*errstr = xasprintf("%s/%s.mail: %s", im->dir, base,
		    why ? why : "cannot be spooled");
		free(why);
		return rc;
	}
	if (rc != EX_OK) {
		name = xasprintf("%s.mail", base);
		leave(im, name, why ? why : "msmtp refuses its arguments");
		free(name);
		free(why);
		return EX_OK;
	}
	printf("%s/%s.mail: imported as %s\n", im->dir, base, id);
	fflush(stdout);
	im->imported++;
	if (!im->o->keep)
		remove_pair(im, base);
	return EX_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir - the names in the queue, sorted as msmtpq's glob sorts
 * its ids (they are dates); dot files (the lock) left out. */
static int list_dir(struct import *im, struct strlist *names,
    char **errstr)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(im->dirfd);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		*errstr = xasprintf("%s: %s", im->dir, strerror(errno));
		return EX_NOINPUT;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			strlist_add(names, de->d_name);
	closedir(d);
	qsort(names->v, names->n, sizeof(names->v[0]), by_name);
	return EX_OK;
}

/* has_name - whether the sorted list holds name. */
static int has_name(const struct strlist *names, const char *name)
{
	return bsearch(&name, names->v, names->n, sizeof(names->v[0]),
	    by_name) != NULL;
}

/* import_one - one name of the queue: a .mail with its .msmtp is
 * imported, anything else is left (a .msmtp whose .mail exists goes
 * with it). */
static int import_one(struct import *im, const struct strlist *names,
    const char *name, char **errstr)
{
	char *base, *other;
	int rc = EX_OK, paired;

	if (!has_suffix(name, ".mail") && !has_suffix(name, ".msmtp")) {
		leave(im, name, "not a file of msmtpq's queue");
		return EX_OK;
	}
	base = xstrdup(name);
	*strrchr(base, '.') = '\0';
	other = xasprintf("%s.%s", base, has_suffix(name, ".mail") ?
	    "msmtp" : "mail");
	paired = has_name(names, other);
	if (has_suffix(name, ".mail") && paired)
		rc = import_pair(im, base, errstr);
	else if (!paired)
		leave(im, name, has_suffix(name, ".mail") ?
		    "its .msmtp argument file is missing" :
		    "its .mail file is missing");
	free(other);
	free(base);
	return rc;
}

/* lock - msmtpq's lock, a directory; EX_TEMPFAIL while msmtpq has it. */
static int lock(struct import *im, char **errstr)
{
	if (mkdirat(im->dirfd, ".lock", 0700) == 0)
		return EX_OK;
	if (errno == EEXIST) {
		*errstr = xasprintf("%s/.lock exists: msmtpq is using its "
		    "queue; try again when it is done (or remove the lock "
		    "if no msmtpq runs)", im->dir);
		return EX_TEMPFAIL;
	}
	*errstr = xasprintf("cannot lock %s: %s", im->dir, strerror(errno));
	return EX_CANTCREAT;
}

static int import_all(struct import *im, char **errstr)
{
	struct strlist names;
	size_t i;
	int rc;

	strlist_init(&names);
	rc = list_dir(im, &names, errstr);
	for (i = 0; rc == EX_OK && i < names.n; i++)
		rc = import_one(im, &names, names.v[i], errstr);
	strlist_free(&names);
	return rc;
}

int runner_import_msmtpq(const struct import_opts *o, char **errstr)
{
	struct import im;
	int rc;

	memset(&im, 0, sizeof(im));
	im.o = o;
	im.dir = o->dir != NULL ? xstrdup(o->dir) : default_dir();
	im.dirfd = open(im.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (im.dirfd < 0) {
		*errstr = xasprintf("no msmtpq queue to import: %s: %s",
		    im.dir, strerror(errno));
		free(im.dir);
		return EX_NOINPUT;
	}
	rc = lock(&im, errstr);
	if (rc == EX_OK) {
		rc = import_all(&im, errstr);
		unlinkat(im.dirfd, ".lock", AT_REMOVEDIR);
	}
	if (rc == EX_OK || im.imported > 0 || im.left > 0)
		printf("%d mail%s imported from %s%s\n", im.imported,
		    im.imported == 1 ? "" : "s", im.dir,
		    im.left > 0 ? "; some files were left (see above)" : "");
	if (rc == EX_OK && im.left > 0)
		rc = EX_DATAERR;
	close(im.dirfd);
	free(im.dir);
	return rc;
}
