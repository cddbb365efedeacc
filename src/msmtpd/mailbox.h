/*
 * mailbox - which addresses msmtpd takes from MAIL FROM and RCPT TO.
 *
 * An address is passed on as one argument of the pipe command, which by
 * default is msmtp: there it goes through msmtp's own address scanner
 * (mail/addr.h), which splits at ',' ';' and blanks and takes '<', '('
 * and ':' as structure. An address that the scanner would read as two
 * would be two recipients downstream, past --max-rcpts and past the
 * checks made here. So only RFC 5321 Mailbox syntax is taken, strictly:
 *
 *   local part   a dot-string of RFC 5322 atext (no blank, no ',' ';'
 *                '<' '>' '(' ')' ':' '@' '[' ']' '\\' '"'), or a quoted
 *                string of printable ASCII (msmtp drops a quoted local
 *                part whole: it can never become two addresses);
 *   domain       a domain name (letters, digits, inner hyphens, labels
 *                of at most 63), or an address literal that is a real
 *                address: "[1.2.3.4]" or "[IPv6:...]", as inet_pton()
 *                reads them (RFC 5321 4.1.3). General literals
 *                ("[tag:text]") and anything else in brackets are not
 *                taken: "a@[x,b@c.example]" was three recipients.
 *
 * A local part alone ("postmaster", "root") is taken; a leading '-' is
 * not, as it could pass for an option of the pipe command. At most
 * MAILBOX_MAX bytes.
 *
 * Pure functions on the caller's bytes; nothing is allocated.
 * tests/fuzz/fuzz_mailbox.c checks that msmtp's scanner reads every
 * address taken here as at most one address.
 */
#ifndef MSMTPD_MAILBOX_H
#define MSMTPD_MAILBOX_H

#include <stddef.h>

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define MAILBOX_MAX	254

/* mailbox_ok - whether a[0..len) is a Mailbox msmtpd passes on. */
int mailbox_ok(const char *a, size_t len);

/* mailbox_domain_ok - whether d[0..len) is a domain name or an IPv4 or
 * IPv6 address literal (also the EHLO name msmtpd writes in headers). */
int mailbox_domain_ok(const char *d, size_t len);

#endif
