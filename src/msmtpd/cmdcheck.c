/*
 * cmdcheck - msmtpd's start-up check of its pipe command; see cmdcheck.h.
 */
#include "msmtpd/cmdcheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xalloc.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

/* execvp(3)'s search path when PATH is not set (confstr _CS_PATH). */
#define DEFAULT_PATH	"/bin:/usr/bin"

/* Characters that make the shell do more than read a word. */
#define SHELL_SYNTAX	"\"\\$`;&|<>(){}*?[]~#=!"

/* Words the shell runs without a file: reserved words and builtins. */
static const char *const shell_words[] = {
	"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi",
	"for", "if", "in", "then", "until", "while", ".", ":", "break",
	"continue", "eval", "exec", "exit", "export", "readonly", "return",
	"set", "shift", "times", "trap", "unset", "alias", "cd", "command",
	"echo", "false", "getopts", "hash", "jobs", "kill", "local",
	"printf", "pwd", "read", "test", "[", "true", "type", "ulimit",
	"umask", "unalias", "wait", NULL
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* first_word - the command's first word in *out (new), or -1 when only
 * the shell could say what it is. */
static int first_word(const char *s, char **out)
{
	const char *end;
	struct buf w;

	buf_init(&w);
	while (is_blank(*s))
		s++;
	for (; *s != '\0' && !is_blank(*s); s++) {
		if (*s == '\'') {
			if ((end = strchr(s + 1, '\'')) == NULL)
				break;
			buf_append(&w, s + 1, (size_t)(end - s - 1));
			s = end;
		} else if (strchr(SHELL_SYNTAX, *s) != NULL) {
			break;
		} else {
			buf_putc(&w, *s);
		}
	}
	if ((*s != '\0' && !is_blank(*s)) || w.len == 0) {
		buf_free(&w);
		return -1;
	}
	*out = buf_steal(&w);
	return 0;
}

static int is_shell_word(const char *word)
{
	size_t i;

	for (i = 0; shell_words[i] != NULL; i++)
		if (strcmp(word, shell_words[i]) == 0)
			return 1;
	return 0;
}

/* runnable - 0 if path is a regular file we may execute, else an errno. */
static int runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? EISDIR : EACCES;
	return access(path, X_OK) == 0 ? 0 : errno;
}

/* in_path - whether name is a runnable file in one of $PATH's
 * directories (an empty entry is the working directory). */
static int in_path(const char *name, const char *path)
{
	const char *dir = path, *colon;
	char *file;
	int found = 0;

	while (!found) {
		colon = strchr(dir, ':');
		file = colon == dir || *dir == '\0' ? xstrdup(name) :
		    xasprintf("%.*s/%s", colon ? (int)(colon - dir) :
		    (int)strlen(dir), dir, name);
		found = runnable(file) == 0;
		free(file);
		if (colon == NULL)
			break;
		dir = colon + 1;
	}
	return found;
}

/* check_file - a program named by its path. */
static int check_file(const char *command, const char *file, int dflt,
    char **errstr)
{
	int err = runnable(file);

	if (err == 0)
		return EX_OK;
	if (dflt)
		*errstr = xasprintf("cannot execute %s, msmtpd's default "
		    "command (msmtp is looked for beside msmtpd, then in "
		    BINDIR "): %s; install msmtp there, or name it with "
		    "--command='/path/to/msmtp -f %%F --'", file,
		    strerror(err));
	else
		*errstr = xasprintf("cannot execute %s, the program of "
		    "--command='%s': %s; name a program that can be run, "
		    "e.g. --command='/path/to/msmtp -f %%F --'", file, command,
		    strerror(err));
	return EX_CONFIG;
}

/* check_name - a program named without a '/': $PATH's. */
static int check_name(const char *command, const char *name, char **errstr)
{
	const char *path = getenv("PATH");

	if (path == NULL)
		path = DEFAULT_PATH;
	if (is_shell_word(name) || in_path(name, path))
		return EX_OK;
	*errstr = xasprintf("cannot execute %s, the program of "
	    "--command='%s': not found in $PATH (%s); give its full path in "
	    "--command", name, command, path);
	return EX_CONFIG;
}

/* check_shell - a command only the shell can read. */
static int check_shell(const char *command, char **errstr)
{
	int err = runnable(CMDCHECK_SHELL);

	if (err == 0)
		return EX_OK;
	*errstr = xasprintf("cannot execute " CMDCHECK_SHELL ", which runs "
	    "--command='%s': %s", command, strerror(err));
	return EX_CONFIG;
}

int cmdcheck(const char *command, int default_command, char **errstr)
{
	char *word = NULL;
	int rc;

	if (first_word(command, &word) != 0)
		return check_shell(command, errstr);
	if (strchr(word, '/') != NULL)
		rc = check_file(command, word, default_command, errstr);
	else
		rc = check_name(command, word, errstr);
	free(word);
	return rc;
}
