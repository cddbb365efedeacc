/*
 * runners - whether anything will run this user's queue without them.
 *
 * msmtp promises "will be retried" only when something will retry: a
 * running `msmtp-queue --daemon` serving the mail's spool (its pid file,
 * queue/pidfile.h, is locked), an enabled
 * systemd user unit (a msmtp-queue*.service or *.timer link in a
 * *.wants directory of $XDG_CONFIG_HOME/systemd/user, or of
 * SYSCONFDIR/systemd/user for every user), or an installed network hook
 * (SYSCONFDIR/NetworkManager/dispatcher.d/90-msmtp-queue,
 * SYSCONFDIR/network/if-up.d/msmtp-queue,
 * SYSCONFDIR/networkd-dispatcher/routable.d/msmtp-queue). A crontab
 * line cannot be seen (the crontabs are root's to read): a cron user is
 * told to set up a runner that is already there, which costs a line.
 *
 * runner_active() returns a static description of the first runner
 * found ("a running msmtp-queue --daemon", ...), or NULL for none. It
 * never fails: what cannot be read counts as absent.
 */
#ifndef DELIVERY_RUNNERS_H
#define DELIVERY_RUNNERS_H

const char *runner_active(const char *spool);

#endif
