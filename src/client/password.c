/*
 * password - passwordeval, netrc and the terminal prompt; see password.h.
 *
 * SECURITY: buffers that held a password are wiped before they are
 * freed. The netrc tokenizer knows "machine", "default", "login",
 * "password", "account" and "macdef" (whose body, up to an empty line,
 * is skipped); tokens may be quoted with '"' and backslash-escaped.
 */
#include "client/password.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
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

void password_free(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, strlen(pw));
	free(pw);
}

/* chomp - drop one trailing LF, and a CR before it. */
static void chomp(char *s)
{
	size_t len = strlen(s);

	if (len > 0 && s[len - 1] == '\n') {
		s[--len] = '\0';
		if (len > 0 && s[len - 1] == '\r')
			s[len - 1] = '\0';
	}
}

/* read_first_line - the first line from fd (all of it if no LF). */
static char *read_first_line(int fd)
{
	struct buf b;
	char c;
	ssize_t n;

	buf_init(&b);
	buf_reserve(&b, 512);	/* few reallocations: fewer stale copies */
	while ((n = read(fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		buf_putc(&b, c);
		if (c == '\n')
			break;
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int password_eval(const char *cmd, char **out, char **errstr)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	char *line;
	int fds[2], e;
	pid_t pid;

	*out = NULL;
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
	line = read_first_line(fds[0]);
	close(fds[0]);	/* the rest of the output is not wanted */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		continue;
	if (line == NULL) {
		*errstr = xasprintf("cannot read output of '%s'", cmd);
		return EX_CONFIG;
	}
	chomp(line);
	*out = line;
	return EX_OK;
}

/* netrc_token - the next token of the file, or NULL at the end. The
 * token is in tok (reset first). */
static const char *netrc_token(FILE *f, struct buf *tok)
{
	int c, quoted = 0;

	buf_reset(tok);
	while ((c = getc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		;
	if (c == EOF)
		return NULL;
	if (c == '"') {
		quoted = 1;
		c = getc(f);
	}
	for (; c != EOF; c = getc(f)) {
		if (quoted ? c == '"' : (c == ' ' || c == '\t' || c == '\n' ||
		    c == '\r'))
			break;
		if (c == '\\' && (c = getc(f)) == EOF)
			break;
		buf_putc(tok, (char)c);
	}
	return tok->data;
}

/* skip_macdef - a macro body runs to the next empty line. */
static void skip_macdef(FILE *f)
{
	int c, prev = 0;

	while ((c = getc(f)) != EOF) {
		if (c == '\n' && prev == '\n')
			return;
		prev = c;
	}
}

/* netrc_scan - walk the entries; the matching one's password or NULL. */
static char *netrc_scan(FILE *f, const char *host, const char *user)
{
	struct buf tok;
	char *found = NULL;
	int in_host = 0, user_ok = 0;
	const char *t;

	buf_init(&tok);
	while (found == NULL && (t = netrc_token(f, &tok)) != NULL) {
		if (strcmp(t, "machine") == 0) {
			t = netrc_token(f, &tok);
			in_host = t != NULL && strcmp(t, host) == 0;
			user_ok = 0;
		} else if (strcmp(t, "default") == 0) {
			in_host = user_ok = 0;	/* msmtp ignores it */
		} else if (strcmp(t, "login") == 0) {
			t = netrc_token(f, &tok);
			user_ok = in_host && t != NULL && strcmp(t, user) == 0;
		} else if (strcmp(t, "password") == 0) {
			t = netrc_token(f, &tok);
			if (t != NULL && in_host && user_ok)
				found = xstrdup(t);
		} else if (strcmp(t, "account") == 0) {
			(void)netrc_token(f, &tok);
		} else if (strcmp(t, "macdef") == 0) {
			skip_macdef(f);
		}
	}
	if (tok.data != NULL)
		explicit_bzero(tok.data, tok.cap);
	buf_free(&tok);
	return found;
}

char *password_netrc(const char *path, const char *host, const char *user)
{
	FILE *f;
	char *pw;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	pw = netrc_scan(f, host, user);
	fclose(f);
	return pw;
}

/* tty_read_line - a line from the terminal fd, echo off. */
static char *tty_read_line(int fd)
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
	line = read_first_line(fd);
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	return line;
}

char *password_prompt(const char *host, const char *user)
{
	char *prompt, *line;
	int fd;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	prompt = xasprintf("password for %s at %s: ", user, host);
	(void)!write(fd, prompt, strlen(prompt));
	free(prompt);
	line = tty_read_line(fd);
	close(fd);
	if (line == NULL)
		return NULL;
	chomp(line);
	return line;
}

/* home_dir - $HOME, else the passwd entry's; newly allocated. */
static char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL)
		return xstrdup(home);
	pw = getpwuid(getuid());
	return xstrdup(pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "");
}

char *password_lookup(const char *host, const char *user, void *arg)
{
	char *home, *path, *pw;

	(void)arg;
	home = home_dir();
	path = xasprintf("%s/.netrc", home);
	free(home);
	pw = password_netrc(path, host, user);
	free(path);
	if (pw == NULL)
		pw = password_netrc(SYSCONFDIR "/netrc", host, user);
	if (pw == NULL)
		pw = password_prompt(host, user);
	return pw;
}
