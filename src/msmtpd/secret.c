/*
 * secret - the AUTH password, from passwordeval or the terminal; see
 * secret.h.
 */
#include "msmtpd/secret.h"

#include <fcntl.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/secretline.h"
#include "util/xalloc.h"

void secret_free(char *pw)
{
	secretline_free(pw);
}

/* eval - run cmd under /bin/sh -c; its first output line. */
static int eval(const char *cmd, char **pw, char **errstr)
{
	if (secretline_eval(cmd, pw, NULL, errstr) != EX_OK)
		return EX_CONFIG;
	return EX_OK;
}

/* prompt - ask on the terminal with echo off. */
static int prompt(const char *user, char **pw, char **errstr)
{
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
		*errstr = xasprintf("no passwordeval for user %s and no "
		    "terminal to ask for the password", user);
		return EX_CONFIG;
	}
	dprintf(fd, "msmtpd: password for user %s: ", user);
	*pw = secretline_tty(fd);
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
