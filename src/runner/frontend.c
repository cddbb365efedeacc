/*
 * frontend - msmtp run to spool a mail; see frontend.h.
 */
#include "runner/frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/selfexe.h"
#include "util/xalloc.h"

/* The descriptor the child writes the queue id on. */
#define ID_FD		3
/* Of msmtp's stderr, this much is kept for the message. */
#define STDERR_MAX	(16 * 1024)

/* child_argv - msmtp, the import options, -C, then the saved arguments
 * (a -C among them comes later and wins, as msmtp's last -C does). */
static void child_argv(const struct frontend_job *job, struct strlist *argv)
{
	size_t i;

	strlist_add(argv, "msmtp");
	strlist_take(argv, xasprintf("--import-id-fd=%d", ID_FD));
	if (job->queue_file != NULL)
		strlist_take(argv, xasprintf("--import-queue-file=%s",
		    job->queue_file));
	if (job->conffile != NULL)
		strlist_take(argv, xasprintf("--file=%s", job->conffile));
	for (i = 0; i < job->args->n; i++)
		strlist_add(argv, job->args->v[i]);
}

/* exec_child - in the child: stdin the mail, stderr and ID_FD the pipes
 * (each first moved above the targets, so that no dup2 clobbers one). */
static void exec_child(const char *path, char *const argv[], int mail_fd,
    int err_fd, int id_fd)
{
	mail_fd = fcntl(mail_fd, F_DUPFD_CLOEXEC, ID_FD + 1);
	err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, ID_FD + 1);
	id_fd = fcntl(id_fd, F_DUPFD_CLOEXEC, ID_FD + 1);
	if (mail_fd < 0 || err_fd < 0 || id_fd < 0 ||
	    dup2(mail_fd, STDIN_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0 ||
	    dup2(id_fd, ID_FD) < 0)
		_exit(EX_OSERR);
	execv(path, argv);
	dprintf(STDERR_FILENO, "msmtp: cannot run %s: %s\n", path,
	    strerror(errno));
	_exit(EX_OSERR);
}

/* read_all - what fd gives until its end, at most max bytes kept. */
static void read_all(int fd, struct buf *out, size_t max)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (out->len < max)
			buf_append(out, chunk, (size_t)n);
	}
}

/* last_line - msmtp's last stderr line, without its prefix. */
static char *last_line(struct buf *err)
{
	char *text, *start;

	while (err->len > 0 && err->data[err->len - 1] == '\n')
		err->len--;
	buf_reserve(err, 1);
	err->data[err->len] = '\0';
	text = err->data;
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	if (strncmp(start, "msmtp: ", 7) == 0)
		start += 7;
	return xstrdup(start[0] != '\0' ? start : "msmtp failed");
}

/* take_id - the queue id msmtp wrote, if it is one. */
static int take_id(struct buf *said, char id[SPOOL_ID_LEN + 1])
{
	if (said->len != SPOOL_ID_LEN + 1 ||
	    said->data[SPOOL_ID_LEN] != '\n')
		return 0;
	memcpy(id, said->data, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	return 1;
}

/* wait_exit - the child's exit code; a signal counts as EX_SOFTWARE. */
static int wait_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

/* verdict - the exit code and message from what msmtp did and said. */
static int verdict(int rc, struct buf *err, struct buf *said,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	if (rc == EX_OK && take_id(said, id))
		return EX_OK;
	if (rc == EX_OK) {
		*errstr = xstrdup("the arguments do not send a mail");
		return EX_USAGE;
	}
	*errstr = last_line(err);
	return rc;
}

int frontend_spool(const struct frontend_job *job, char id[SPOOL_ID_LEN + 1],
    char **errstr)
{
	int errp[2], idp[2], rc;
	struct strlist argv;
	struct buf err, said;
	char *path;
	pid_t pid;

	if (pipe2(errp, O_CLOEXEC) != 0)
		goto fail;
	if (pipe2(idp, O_CLOEXEC) != 0) {
		close(errp[0]);
		close(errp[1]);
		goto fail;
	}
	strlist_init(&argv);
	child_argv(job, &argv);
	path = selfexe_program("msmtp");
	pid = fork();
	if (pid == 0)
		exec_child(path, argv.v, job->mail_fd, errp[1], idp[1]);
	close(errp[1]);
	close(idp[1]);
	buf_init(&err);
	buf_init(&said);
	if (pid > 0) {
		read_all(errp[0], &err, STDERR_MAX);
		read_all(idp[0], &said, SPOOL_ID_LEN + 2);
	}
	close(errp[0]);
	close(idp[0]);
	rc = pid > 0 ? wait_exit(pid) : EX_OSERR;
	if (pid < 0)
		*errstr = xasprintf("cannot run %s: %s", path, strerror(errno));
	else
		rc = verdict(rc, &err, &said, id, errstr);
	buf_free(&err);
	buf_free(&said);
	strlist_free(&argv);
	free(path);
	return rc;
fail:
	*errstr = xasprintf("cannot run msmtp: %s", strerror(errno));
	return EX_OSERR;
}
