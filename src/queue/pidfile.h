/*
 * pidfile - the file that says which process serves a spool as its
 * daemon: msmtp-queue --daemon holds it, msmtp asks it whether anything
 * will retry a queued mail (delivery/runners.h), and the network hooks
 * use it to wake the daemon.
 *
 * It is the spool's path plus ".pid" (the default spool's:
 * ~/.local/state/msmtp/queue.db.pid), mode 0600, holding the daemon's
 * process id and a newline. The daemon keeps it open with an exclusive
 * flock() for as long as it runs, and removes it when it ends; a file
 * left by a daemon that crashed is not locked. So a hook that wants to
 * wake the daemon (SIGUSR1) first checks that the file is locked, e.g.
 *   flock -n -E 99 "$spool.pid" true; [ $? = 99 ] &&
 *       kill -USR1 "$(cat "$spool.pid")"
 * and never signals a pid from an unlocked file (the process may be
 * another one by now). The file is the user's to write: a hook running
 * as root sends the signal as the spool's owner (setpriv, runuser), so
 * that a pid planted in it reaches no one else's process.
 *
 * pidfile_claim() opens (creating it) and locks the file, and writes
 * this process's id. EX_TEMPFAIL when another daemon holds it (*errstr
 * names its pid), EX_CANTCREAT when it cannot be written; *errstr is
 * then the caller's. pidfile_release() removes and closes it; pf must
 * have been claimed.
 */
#ifndef QUEUE_PIDFILE_H
#define QUEUE_PIDFILE_H

#define PIDFILE_WAIT_MS	200

struct pidfile {
	char	*path;
	int	 fd;
};

int pidfile_claim(struct pidfile *pf, const char *spool, char **errstr);
void pidfile_release(struct pidfile *pf);
int pidfile_served(const char *spool);

#endif
