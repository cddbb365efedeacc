/*
 * idn - internationalized domain names (RFC 5890), as msmtp handles them.
 *
 * msmtp hands the server's host name to getaddrinfo() with AI_IDN, so a
 * name such as "bücher.example" is looked up as its A-label form
 * "xn--bcher-kva.example": glibc maps it with libidn2 (UTS #46,
 * non-transitional, NFC), and a name libidn2 refuses, or one that holds a
 * backslash, fails with "Parameter string not correctly encoded". A name
 * of ASCII only is never touched, not even an "xn--" label libidn2 would
 * refuse. idn_host_to_ascii() is that conversion, done with libidn2
 * itself, so that the resolver gets a name of ASCII only.
 *
 * DELIBERATE DIFFERENCE: msmtp reads the name in the locale's character
 * set, so in the C locale (cron, containers) it refuses every non-ASCII
 * name; here the name is always read as UTF-8 (what msmtprc files hold),
 * so a mail queued from a UTF-8 session still goes out from a runner
 * started without a locale. A name that is not valid UTF-8 fails.
 *
 * Everything else stays as msmtp leaves it: the EHLO name, the name sent
 * to a SOCKS proxy and the envelope addresses are sent as written (the
 * TLS name check and SNI get the A-label from GnuTLS itself).
 *
 * idn_is_ascii() says whether a string needs none of this: the envelope's
 * test for SMTPUTF8 (RFC 6531).
 */
#ifndef UTIL_IDN_H
#define UTIL_IDN_H

/*
 * idn_host_to_ascii - the name to look up for host: a newly allocated
 * copy when it is ASCII, else its A-label form; NULL when it cannot be
 * converted (idn_error() says why, in getaddrinfo's words).
 */
char *idn_host_to_ascii(const char *host);
/* idn_error - the reason idn_host_to_ascii() gives for failing. */
const char *idn_error(void);
/* idn_is_ascii - whether s holds no byte above 127. */
int idn_is_ascii(const char *s);

#endif
