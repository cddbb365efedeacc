/*
 * configure - msmtp --configure=ADDRESS, msmtp 1.8's automatic set-up:
 * find the mail domain's submission server in DNS and print an msmtprc
 * account for ADDRESS.
 *
 * The address splits at its last '@' into a user (the local part) and a
 * mail domain. The server is the SRV record (util/srvrec.h) of
 * _submissions._tcp.DOMAIN, TLS from the first byte (RFC 8314, which
 * prefers it), else that of _submission._tcp.DOMAIN, TLS through
 * STARTTLS (RFC 6186). On stdout come comment lines (the file to copy
 * the account into: -C's, else the user configuration file --version
 * names; a warning when the host is neither the mail domain nor a name
 * under it; the secret-tool command that puts the password in the
 * keyring) and then the account itself: account, host, port, tls,
 * tls_starttls, auth, user and from lines. No configuration file is
 * read or written, and no server is contacted.
 *
 * configure_run() returns msmtp's exit code, with *errstr (newly
 * allocated, printed by the caller after "msmtp: ") on failure: an
 * address without '@', local part or domain is EX_DATAERR; no usable SRV
 * record under either name (none, a DNS failure, no answer) is
 * EX_NOHOST; both say "automatic configuration based on SRV records
 * failed: ..." as msmtp does. Recipients and the other options are
 * ignored, as in msmtp.
 *
 * DELIBERATE DIFFERENCE: an address holding a control character is an
 * invalid mail address (EX_DATAERR). msmtp prints it as it is, so an
 * address with a line break, from a script, could write lines of its own
 * (a passwordeval, say) into the account the user pastes.
 */
#ifndef CLIENT_CONFIGURE_H
#define CLIENT_CONFIGURE_H

#include "client/cmdline.h"

int configure_run(const struct cmdline *cl, char **errstr);

#endif
