/*
 * exposure - whether msmtpd may serve where it is asked to.
 *
 * On a loopback address only this machine's users reach msmtpd, which
 * sends what they give it as the user running it. Anywhere else two
 * setups are refused unless the user says they are meant:
 *   - without --auth, anyone who can connect sends mail through the
 *     user's accounts: an open relay (--allow-open-relay);
 *   - with --auth, the password crosses the network in clear, msmtpd
 *     having no TLS (--allow-cleartext-auth).
 * Where msmtpd serves is --interface, or with --inetd the local address
 * of the socket on standard input (a pipe is local).
 *
 * exposure_check() returns EX_OK, or EX_CONFIG with *errstr (allocated;
 * the caller frees it) saying why and what to do.
 */
#ifndef MSMTPD_EXPOSURE_H
#define MSMTPD_EXPOSURE_H

#include "msmtpd/opts.h"

int exposure_check(const struct opts *o, char **errstr);

/* exposure_loopback - whether the numeric address is a loopback one
 * (127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104); 0 for anything else,
 * the wildcards 0.0.0.0 and :: included. */
int exposure_loopback(const char *addr);

#endif
