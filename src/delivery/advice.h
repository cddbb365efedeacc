/*
 * advice - what the user can change in msmtprc when a delivery or the
 * account choice fails: the one place that maps an outcome to advice.
 *
 * msmtp's own message always comes first and stays as msmtp words it
 * (scripts parse it); the advice lines come after it, each printed by
 * the edge (client/report.h) as "msmtp: hint: LINE". The "hint:" label
 * is one msmtp never prints, so `grep -v '^msmtp: hint: '` gives back
 * msmtp's exact output, and every line still starts with the program's
 * name, as all of msmtp's stderr does.
 *
 * Each function appends lines (without prefix or newline) to a
 * caller-owned strlist and returns how many it added; 0 means there is
 * nothing worth saying beyond msmtp's message. The cases:
 *   - no greeting (timeout, or bytes that are not SMTP) with STARTTLS or
 *     no TLS: the server probably speaks TLS from the first byte (465);
 *   - a TLS handshake failure before any reply with implicit TLS: the
 *     server probably wants STARTTLS (587, 25);
 *   - a certificate that failed verification: its subject, issuer,
 *     validity, names and SHA-256 fingerprint, the likely reason
 *     (expired, not yet valid, not for this host, issuer not trusted)
 *     and the tls_fingerprint line that would pin it;
 *   - 530 to MAIL FROM with auth off: "auth on", "user", "password";
 *   - an AUTH refusal asking for an application-specific password, or
 *     saying that only OAuth is allowed (unless the account already
 *     sends a token);
 *   - an envelope-from no account's from matches, when accounts have
 *     one: the from patterns configured, and where.
 * Pure functions of their arguments (and the clock, for "expired"); the
 * text of a server reply is only searched, never copied.
 *
 * A mail held (or failed) in the queue keeps the advice its attempt got
 * (the spool's hint column, written by delivery/attempt.c for msmtp and
 * msmtp-queue alike): advice_held() gives the lines as one string, a
 * line break between them, and advice_brief() the one line of it that
 * --list and the log line show. Neither holds a secret: the advice names
 * settings, never the account's password or token.
 */
#ifndef DELIVERY_ADVICE_H
#define DELIVERY_ADVICE_H

#include <stddef.h>

#include "account/account.h"
#include "account/conf.h"
#include "delivery/deliver.h"
#include "util/strlist.h"

/* advice_for_delivery - the advice for a failed delivery by acc. */
size_t advice_for_delivery(const struct account *acc,
    const struct deliver_report *rep, struct strlist *out);

/* advice_for_from - no account of c matched envelope_from and the
 * choice failed: list the from patterns c's accounts have. */
size_t advice_for_from(const struct conf *c, const char *envelope_from,
    struct strlist *out);

/* advice_held - advice_for_delivery()'s lines, "\n" between them, as a
 * new string; NULL when there is no advice. */
char *advice_held(const struct account *acc,
    const struct deliver_report *rep);

/* advice_brief - the one line of hint (advice_held()'s) that says what
 * to do: its lines joined by spaces, less the details (lines indented
 * by two spaces) and the lines that introduce details, but the first
 * (which says what the advice is about). A new string. */
char *advice_brief(const char *hint);

#endif
