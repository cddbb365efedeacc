/*
 * pretend - msmtp's -P (--pretend) output, byte for byte.
 *
 * Everything -P prints goes to stdout (msmtp prints no -P text on stderr;
 * its error messages go there as usual, from the caller). The output has
 * three parts, in this order:
 *
 *  1. info lines, each only when it applies:
 *       envelope from address extracted from mail: X   (--read-envelope-from)
 *       ignoring system configuration file F: STRERROR  \  the two files,
 *       loaded system configuration file F               |  as conf_load()
 *       ignoring user configuration file F: STRERROR     |  left them
 *       loaded user configuration file F                /
 *       using account specified on command line         (--host, instead
 *                                                         of the file lines)
 *       account chosen by envelope from address X: ID   (SELECT_BY_FROM)
 *       falling back to default account                 (SELECT_DEFAULT,
 *                                                         SELECT_ENV)
 *       using environment variables EMAIL and SMTPSERVER (SELECT_ENV)
 *     SELECT_BY_ID (-a) prints nothing, in 1.8.23 as in 1.8.33.
 *  2. the account block: "using account ID from FILE" (only for an account
 *     with both an id and a conffile), then one "key = value" line per
 *     setting; in sendmail mode the sendmail keys follow and a last line
 *     "reading recipients from the command line" (" and the mail" with -t).
 *  3. "RMQS argument = X" with --rmqs.
 *  4. this project's lines, which msmtp has not (in sendmail mode, when
 *     the caller gives a spool): "queue_file = PATH" (the spool this
 *     mail goes to, as queue/spoolpath.h names it; "(none: WHY)" when no
 *     name can be made), and with -d (debug) "delivery_mode = MODE":
 *     interactive, background or queue, or "direct (queue off)".
 *
 * msmtp prints part 1 as it goes and part 2 only after check_account()
 * succeeded, so that on an error the lines printed so far stay printed.
 * A pretend_info is therefore filled in as far as the run got: pretend_print()
 * prints the extracted line if read_envelope_from, the file lines from conf
 * if conf is not NULL (a conf that conf_load() left half-filled on an error
 * gives exactly the lines msmtp had printed), the selection lines if
 * have_rule, and the account block if acc is not NULL.
 *
 * Values are printed as the account holds them (conf_set() already stores
 * msmtp's forms: auth method and dsn_notify upper case, dsn_return HDRS or
 * FULL, the fingerprint as upper-case colon hex, syslog LOG_*); the
 * rewritten ones are: password "*", timeout "off"/"1 second"/"N seconds",
 * auth "none"/"choose"/METHOD, tls_min_dh_prime_bits 0 "(not set)", a NULL
 * string "(not set)" (a NULL domain "(null)", as glibc prints it), a NULL
 * from "(read from mail)" with --read-envelope-from.
 *
 * The key set (the one difference that matters between the two versions):
 *   1.8.23 (Debian 12; PRETEND_KEYS_1_8_23, the default, what the
 *   differential tests compare with): ... from, allow_from_override,
 *   set_from_header, set_date_header, remove_bcc_headers,
 *   undisclosed_recipients (on only for set_to_header
 *   undisclosed_recipients), dsn_notify ...
 *   1.8.33 (PRETEND_KEYS_1_8_33): ... from, from_full_name,
 *   allow_from_override, set_from_header, set_date_header,
 *   set_msgid_header, set_to_header (off/on/undisclosed_recipients),
 *   remove_bcc_headers, dsn_notify ...
 * Also, 1.8.23 prints the extracted line even when the mail has no From
 * ("...extracted from mail: (null)", then "from = (read from mail)"),
 * where 1.8.33 stops with "no envelope from address found" (EX_USAGE)
 * before any -P output: that check is the caller's.
 *
 * Ownership: pretend_info only borrows; nothing here allocates for the
 * caller except pretend_format(), which appends to the caller's buf.
 * Nothing here fails (a write error on out is the caller's to notice).
 */
#ifndef CLIENT_PRETEND_H
#define CLIENT_PRETEND_H

#include <stdio.h>

#include "account/account.h"
#include "account/conf.h"
#include "account/select.h"
#include "util/buf.h"

enum pretend_keys {
	PRETEND_KEYS_1_8_23 = 0,	/* Debian 12's msmtp */
	PRETEND_KEYS_1_8_33
};

struct pretend_info {
	enum pretend_keys	 keys;
	int			 sendmail_mode;	/* 0: -S, --rmqs */
	int			 read_recipients;	/* -t */

	/* --read-envelope-from: what the mail's From gave (NULL: none,
	 * printed "(null)" as 1.8.23 does). */
	int			 read_envelope_from;
	const char		*extracted_from;

	/* --host: no files were read; prints "using account specified on
	 * command line" in place of the file and selection lines. */
	int			 cmdline_host;
	/* The files tried; NULL: not read (yet). */
	const struct conf	*conf;

	/* The selection; have_rule 0: not reached, or nothing to print.
	 * On a failed select_account() without -a, msmtp has already
	 * printed "falling back to default account": pass SELECT_DEFAULT. */
	int			 have_rule;
	enum select_rule	 rule;
	const char		*rule_from;	/* BY_FROM: -f's address */
	const char		*rule_id;	/* BY_FROM: the account */

	/* The settled account (after account_check()); NULL: no block. */
	const struct account	*acc;
	int			 password_known; /* passwordeval gave one */
	const char		*rmqs;		/* --rmqs argument */

	/* Part 4: the resolved spool (NULL: no part 4), or why there is
	 * none (spool_error, when spool is NULL); debug adds the mode. */
	const char		*spool;
	const char		*spool_error;
	int			 debug;		/* -d, -v */
};

/* pretend_format - append the -P text for pi to out. */
void pretend_format(const struct pretend_info *pi, struct buf *out);

/* pretend_print - write the -P text for pi to out (stdout for msmtp). */
void pretend_print(FILE *out, const struct pretend_info *pi);

#endif
