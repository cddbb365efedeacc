/*
 * background - -odb's detached delivery; see background.h.
 */
#include "client/background.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sysexits.h>
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

void background_deliver(const char *path, const struct submission *sub,
    char id[SPOOL_ID_LEN + 1])
{
	struct submission bg;
	struct account acc;
	struct spool *sp;
	char *errstr = NULL;

	if (!detach())
		return;
	/* A shallow copy: nothing here frees the account's fields. */
	acc = *sub->acc;
	if (acc.timeout <= 0)
		acc.timeout = ATTEMPT_UNATTENDED_TIMEOUT;
	bg = *sub;
	bg.acc = &acc;
	if (spool_open(path, &sp, &errstr) == EX_OK) {
		if (spool_claim(sp, time(NULL), NULL, id, &errstr) == EX_OK)
			spooled_deliver(sp, &bg, id);
		spool_close(sp);
	}
	free(errstr);
	_exit(0);
}

