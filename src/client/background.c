/*
 * background - -odb's detached delivery; see background.h.
 */
#include "client/background.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "client/spooled.h"
#include "delivery/attempt.h"

/* detach - become a grandchild in a new session, stdio on /dev/null;
 * 1 in that grandchild, 0 in the caller (also when fork fails: the mail
 * is queued and a runner will send it). */
static int detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return 0;
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 1;
}

/*
 * attempt - the child's work: the spool opened afresh, the mail claimed,
 * one attempt (its outcome is recorded and logged as msmtp logs it).
 * A mail a runner took first is the runner's: not an error here.
 */
static int attempt(const char *path, const struct submission *sub,
    char id[SPOOL_ID_LEN + 1], char **errstr)
{
	struct spool *sp;
	int rc;

	rc = spool_open(path, &sp, errstr);
	if (rc != EX_OK)
		return rc;
	rc = spool_claim(sp, time(NULL), NULL, id, errstr);
	if (rc == EX_OK)
		spooled_deliver(sp, sub, id);
	spool_close(sp);
	return rc == EX_NOINPUT ? EX_OK : rc;
}

/* log_failure - stderr is /dev/null by now: the one place left where
 * the user can learn why the mail was not even tried is syslog. */
static void log_failure(const char *id, const char *errstr)
{
	openlog("msmtp", 0, LOG_MAIL);
	syslog(LOG_ERR, "cannot deliver the mail queued as %s in the "
	    "background: %s; it stays in the queue for msmtp-queue", id,
	    errstr != NULL ? errstr : "unknown error");
	closelog();
}

void background_deliver(const char *path, const struct submission *sub,
    char id[SPOOL_ID_LEN + 1])
{
	struct submission bg;
	struct account acc;
	char *errstr = NULL;

	if (!detach())
		return;
	/* A shallow copy: nothing here frees the account's fields. */
	acc = *sub->acc;
	if (acc.timeout <= 0)
		acc.timeout = ATTEMPT_UNATTENDED_TIMEOUT;
	bg = *sub;
	bg.acc = &acc;
	if (attempt(path, &bg, id, &errstr) != EX_OK)
		log_failure(id, errstr);
	free(errstr);
	_exit(0);
}
