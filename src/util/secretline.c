/*
 * secretline - one line of secret input; see secretline.h.
 */
#include "util/secretline.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "util/harden.h"
#include "util/xalloc.h"

extern char **environ;

/* What read_line found. */
enum line_end {
	LINE_OK,	/* a line, perhaps without its LF at the end of input */
	LINE_NONE,	/* the input ended before any byte */
	LINE_LONG	/* longer than SECRETLINE_MAX */
};

/* line - a growing secret: realloc would leave copies behind. */
struct line {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void secretline_free(char *line)
{
	wipe_free(line);
}

/* line_putc - append c, moving to a buffer twice as large when full
 * and wiping the one left behind. */
static void line_putc(struct line *l, char c)
{
	char *bigger;

	if (l->len + 1 >= l->cap) {
		bigger = xmalloc(l->cap * 2);
		memcpy(bigger, l->data, l->len);
		wipe(l->data, l->cap);
		free(l->data);
		l->data = bigger;
		l->cap *= 2;
	}
	l->data[l->len++] = c;
}

/* read_line - the first line of fd into *out (NULL unless LINE_OK). */
static enum line_end read_line(int fd, char **out)
{
	struct line l = { xmalloc(512), 0, 512 };
	enum line_end end = LINE_NONE;
	ssize_t n;
	char c;

	*out = NULL;
	while ((n = read(fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		end = LINE_OK;
		if (c == '\n')
			break;
		if (l.len == SECRETLINE_MAX) {
			end = LINE_LONG;
			break;
		}
		line_putc(&l, c);
	}
	wipe(&c, sizeof(c));
	if (end != LINE_OK) {
		wipe(l.data, l.cap);
		free(l.data);
		return end;
	}
	if (l.len > 0 && l.data[l.len - 1] == '\r')
		l.len--;
	l.data[l.len] = '\0';
	*out = l.data;
	return LINE_OK;
}

char *secretline_read(int fd)
{
	char *line;

	(void)read_line(fd, &line);
	return line;
}

/* high_fd - fd moved above stdin, stdout and stderr, close-on-exec
 * (-1 with errno set if it cannot be: fd is closed either way). */
static int high_fd(int fd)
{
	int nfd, e;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	e = errno;
	close(fd);
	errno = e;
	return nfd;
}

/* output_pipe - a close-on-exec pipe whose both ends are above fd 2;
 * 0 or an errno value. */
static int output_pipe(int fds[2])
{
	int e = 0;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return errno;
	if ((fds[0] = high_fd(fds[0])) < 0)
		e = errno;
	if ((fds[1] = high_fd(fds[1])) < 0)
		e = errno;
	if (e == 0)
		return 0;
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return e;
}

/* spawn_sh - start /bin/sh -c cmd writing into out; 0 or an errno
 * value. */
static int spawn_sh(const char *cmd, int out, pid_t *pid)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	int e;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	e = posix_spawn(pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

/* reap - the wait status of pid, or -1. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* eval_error - the message for what went wrong, as msmtp words it. */
static int eval_error(const char *cmd, enum line_end end, int e,
    char **errstr)
{
	if (e != 0) {
		*errstr = xasprintf("cannot evaluate '%s': %s", cmd,
		    strerror(e));
		return EX_OSERR;
	}
	if (end == LINE_LONG)
		*errstr = xasprintf("cannot read output of '%s': its first "
		    "line is longer than %d bytes", cmd, SECRETLINE_MAX);
	else
		*errstr = xasprintf("cannot read output of '%s'", cmd);
	return EX_IOERR;
}

int secretline_eval(const char *cmd, char **line, int *status,
    char **errstr)
{
	enum line_end end;
	int fds[2], e, st;
	pid_t pid;

	*line = NULL;
	if (status != NULL)
		*status = -1;
	if ((e = output_pipe(fds)) != 0)
		return eval_error(cmd, LINE_NONE, e, errstr);
	e = spawn_sh(cmd, fds[1], &pid);
	close(fds[1]);
	if (e != 0) {
		close(fds[0]);
		return eval_error(cmd, LINE_NONE, e, errstr);
	}
	end = read_line(fds[0], line);
	close(fds[0]);	/* the rest of the output is not wanted */
	st = reap(pid);
	if (status != NULL)
		*status = st;
	if (end != LINE_OK)
		return eval_error(cmd, end, 0, errstr);
	return EX_OK;
}

char *secretline_tty(int fd)
{
	struct termios old, quiet;
	int restore;
	char *line;

	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	line = secretline_read(fd);
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	return line;
}
