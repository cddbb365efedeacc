/*
 * secret - the AUTH password, from passwordeval, the keyring or the
 * terminal; see secret.h.
 */
#include "msmtpd/secret.h"

#include <fcntl.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/keyring.h"
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

/* The keyring item msmtpd's password is under: msmtp's msmtpd's. */
#define KEYRING_HOST	"localhost"
#define KEYRING_SERVICE	"smtp"

/* prompt - ask on the terminal with echo off. */
static int prompt(const char *user, char **pw, char **errstr)
{
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
		*errstr = xasprintf("cannot get password for (" KEYRING_HOST
		    ", " KEYRING_SERVICE ", %s): not in the keyring, no "
		    "passwordeval and no terminal to ask for the password",
		    user);
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
	if (cmd != NULL)
		return eval(cmd, pw, errstr);
	if ((*pw = keyring_lookup(KEYRING_HOST, KEYRING_SERVICE, user)) !=
	    NULL)
		return EX_OK;
	return prompt(user, pw, errstr);
}
