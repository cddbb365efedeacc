/*
 * secret - the AUTH password, from passwordeval or the terminal; see
 * secret.h.
 */
#include "msmtpd/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xalloc.h"

extern char **environ;

void secret_free(char *pw)
{
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
}

/* first_line - the first line read from fd, its line end removed; NULL
 * if nothing came. Read a byte at a time: the rest is not wanted. */
static char *first_line(int fd)
{
	struct buf b;
	ssize_t n;
	char c;

	buf_init(&b);
	buf_reserve(&b, 256);	/* few reallocations: fewer stale copies */
	while ((n = read(fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (c == '\n')
			break;
		buf_putc(&b, c);
	}
	if (n == 0 && b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

/* eval - run cmd under /bin/sh -c; its first output line. */
static int eval(const char *cmd, char **pw, char **errstr)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	int fds[2], e;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		*errstr = xasprintf("cannot evaluate '%s': %s", cmd,
		    strerror(errno));
		return EX_CONFIG;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (e != 0) {
		close(fds[0]);
		*errstr = xasprintf("cannot evaluate '%s': %s", cmd,
		    strerror(e));
		return EX_CONFIG;
	}
	*pw = first_line(fds[0]);
	close(fds[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		continue;
	if (*pw == NULL) {
		*errstr = xasprintf("cannot read output of '%s'", cmd);
		return EX_CONFIG;
	}
	return EX_OK;
}

/* prompt - ask on the terminal with echo off. */
static int prompt(const char *user, char **pw, char **errstr)
{
	struct termios old, quiet;
	int fd, restore;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
		*errstr = xasprintf("no passwordeval for user %s and no "
		    "terminal to ask for the password", user);
		return EX_CONFIG;
	}
	dprintf(fd, "msmtpd: password for user %s: ", user);
	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	*pw = first_line(fd);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	close(fd);
	if (*pw == NULL) {
		*errstr = xstrdup("no password given on the terminal");
		return EX_CONFIG;
	}
	return EX_OK;
}

int secret_get(const char *user, const char *cmd, char **pw, char **errstr)
{
	*pw = NULL;
	return cmd != NULL ? eval(cmd, pw, errstr) : prompt(user, pw, errstr);
}
