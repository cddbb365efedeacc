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
#include <termios.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/harden.h"

extern char **environ;

void secretline_free(char *line)
{
	wipe_free(line);
}

char *secretline_read(int fd)
{
	struct buf b;
	ssize_t n;
	int any = 0;
	char c;

	buf_init(&b);
	buf_reserve(&b, 512);
	while ((n = read(fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		any = 1;
		if (c == '\n')
			break;
		buf_putc(&b, c);
	}
	if (!any) {
		buf_free(&b);
		return NULL;
	}
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

int secretline_command(const char *cmd, char **line)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	int fds[2], e;
	pid_t pid;

	*line = NULL;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e != 0) {
		close(fds[0]);
		return e;
	}
	*line = secretline_read(fds[0]);
	close(fds[0]);	/* the rest of the output is not wanted */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		continue;
	return 0;
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
