/*
 * password - passwordeval, netrc and the terminal prompt; see password.h.
 * Their order at delivery time, with the keyring first, is
 * passlookup.c's.
 *
 * SECURITY: buffers that held a password are wiped before they are
 * freed. The netrc tokenizer knows "machine", "default", "login",
 * "password", "account" and "macdef" (whose body, up to an empty line,
 * is skipped); tokens may be quoted with '"' and backslash-escaped.
 */
#include "account/password.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "account/account.h"
#include "util/buf.h"
#include "util/harden.h"
#include "util/secretline.h"
#include "util/xalloc.h"

void password_free(char *pw)
{
	secretline_free(pw);
}

int password_eval(const char *cmd, char **out, char **errstr)
{
	if (secretline_eval(cmd, out, NULL, errstr) != EX_OK)
		return EX_CONFIG;
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
	char iobuf[BUFSIZ];	/* ours, to be wiped: it holds passwords */
	FILE *f;
	char *pw;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	pw = netrc_scan(f, host, user);
	fclose(f);
	wipe(iobuf, sizeof(iobuf));
	return pw;
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
	line = secretline_tty(fd);
	close(fd);
	return line;
}
