/*
 * pretend - msmtp's -P output; see pretend.h.
 *
 * The order and the texts follow msmtp_print_conf() and the info lines of
 * msmtp 1.8's main(), checked against Debian's /usr/bin/msmtp 1.8.23.
 */
#include "client/pretend.h"

#include <stdio.h>

#include "util/buf.h"

#define NOT_SET	"(not set)"

/* str_or - s, or the placeholder if s is NULL. */
static const char *str_or(const char *s, const char *none)
{
	return s != NULL ? s : none;
}

/* on_off - msmtp's word for a flag. */
static const char *on_off(int v)
{
	return v ? "on" : "off";
}

/* put_kv - one "key = value" line; a NULL value is "(not set)". */
static void put_kv(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, "%s = %s\n", key, str_or(value, NOT_SET));
}

/* put_files - the lines conf_load() left: the system file, the user file. */
static void put_files(struct buf *b, const struct conf *c)
{
	if (c->sysfile != NULL && c->sysfile_error != NULL)
		buf_printf(b, "ignoring system configuration file %s: %s\n",
		    c->sysfile, c->sysfile_error);
	else if (c->sysfile != NULL && c->sysfile_loaded)
		buf_printf(b, "loaded system configuration file %s\n",
		    c->sysfile);
	if (c->userfile != NULL && c->userfile_error != NULL)
		buf_printf(b, "ignoring user configuration file %s: %s\n",
		    c->userfile, c->userfile_error);
	else if (c->userfile != NULL && c->userfile_loaded)
		buf_printf(b, "loaded user configuration file %s\n",
		    c->userfile);
}

/* put_rule - the lines that tell how the account was chosen. */
static void put_rule(struct buf *b, const struct pretend_info *pi)
{
	switch (pi->rule) {
	case SELECT_BY_ID:
		break;
	case SELECT_BY_FROM:
		buf_printf(b, "account chosen by envelope from address "
		    "%s: %s\n",
		    str_or(pi->rule_from, "(null)"),
		    str_or(pi->rule_id, "(null)"));
		break;
	case SELECT_DEFAULT:
		buf_puts(b, "falling back to default account\n");
		break;
	case SELECT_ENV:
		buf_puts(b, "falling back to default account\n");
		buf_puts(b, "using environment variables EMAIL and "
		    "SMTPSERVER\n");
		break;
	}
}

/* put_timeout - "off", "1 second" or "N seconds". */
static void put_timeout(struct buf *b, int timeout)
{
	if (timeout <= 0)
		buf_puts(b, "timeout = off\n");
	else if (timeout == 1)
		buf_puts(b, "timeout = 1 second\n");
	else
		buf_printf(b, "timeout = %d seconds\n", timeout);
}

/* put_auth - "none" (off), "choose" (on) or the method. */
static void put_auth(struct buf *b, const char *mech)
{
	put_kv(b, "auth", mech == NULL ? "none" : mech[0] == '\0' ?
	    "choose" : mech);
}

/* put_connection - the keys every mode prints. */
static void put_connection(struct buf *b, const struct account *a,
    int password_known)
{
	put_kv(b, "host", a->host);
	buf_printf(b, "port = %d\n", a->port);
	put_kv(b, "source ip", a->source_ip);
	put_kv(b, "proxy host", a->proxy_host);
	buf_printf(b, "proxy port = %d\n", a->proxy_port);
	put_kv(b, "socket", a->socket);
	put_timeout(b, a->timeout);
	put_kv(b, "protocol", a->protocol == PROTO_LMTP ? "lmtp" : "smtp");
	put_kv(b, "domain", str_or(a->domain, "(null)"));
	put_auth(b, a->auth_mech);
	put_kv(b, "user", a->user);
	put_kv(b, "password", a->password != NULL || password_known ? "*" :
	    NULL);
	put_kv(b, "passwordeval", a->passwordeval);
	put_kv(b, "ntlmdomain", a->ntlmdomain);
}

/* put_tls - the TLS keys. */
static void put_tls(struct buf *b, const struct account *a)
{
	put_kv(b, "tls", on_off(a->tls));
	put_kv(b, "tls_starttls", on_off(a->tls_starttls));
	put_kv(b, "tls_trust_file", a->tls_trust_file);
	put_kv(b, "tls_crl_file", a->tls_crl_file);
	put_kv(b, "tls_fingerprint", a->tls_fingerprint);
	put_kv(b, "tls_key_file", a->tls_key_file);
	put_kv(b, "tls_cert_file", a->tls_cert_file);
	put_kv(b, "tls_certcheck", on_off(a->tls_certcheck));
	if (a->tls_min_dh_prime_bits > 0)
		buf_printf(b, "tls_min_dh_prime_bits = %d\n",
		    a->tls_min_dh_prime_bits);
	else
		put_kv(b, "tls_min_dh_prime_bits", NULL);
	put_kv(b, "tls_priorities", a->tls_priorities);
	put_kv(b, "tls_host_override", a->tls_host_override);
}

/* set_from_word - set_from_header's value as msmtp names it. */
static const char *set_from_word(int v)
{
	return v == SET_FROM_ON ? "on" : v == SET_FROM_OFF ? "off" : "auto";
}

/* set_to_word - set_to_header's value (1.8.33's key). */
static const char *set_to_word(int v)
{
	return v == SET_TO_UNDISCLOSED ? "undisclosed_recipients" :
	    v == SET_TO_ON ? "on" : "off";
}

/* put_headers - the header keys, in the chosen version's set. */
static void put_headers(struct buf *b, const struct pretend_info *pi)
{
	const struct account *a = pi->acc;
	int v33 = pi->keys == PRETEND_KEYS_1_8_33;

	if (v33)
		put_kv(b, "from_full_name", a->from_full_name);
	put_kv(b, "allow_from_override", on_off(a->allow_from_override));
	put_kv(b, "set_from_header", set_from_word(a->set_from_header));
	put_kv(b, "set_date_header", a->set_date_header ? "auto" : "off");
	if (v33) {
		put_kv(b, "set_msgid_header", a->set_msgid_header ? "auto" :
		    "off");
		put_kv(b, "set_to_header", set_to_word(a->set_to_header));
	}
	put_kv(b, "remove_bcc_headers", on_off(a->remove_bcc_headers));
	if (!v33)
		put_kv(b, "undisclosed_recipients",
		    on_off(a->set_to_header == SET_TO_UNDISCLOSED));
}

/* put_sendmail - the keys only sendmail mode prints, and the last line. */
static void put_sendmail(struct buf *b, const struct pretend_info *pi)
{
	const struct account *a = pi->acc;

	put_kv(b, "auto_from", on_off(a->auto_from));
	put_kv(b, "maildomain", a->maildomain);
	put_kv(b, "from", a->from != NULL ? a->from :
	    pi->read_envelope_from ? "(read from mail)" : NULL);
	put_headers(b, pi);
	put_kv(b, "dsn_notify", a->dsn_notify);
	put_kv(b, "dsn_return", a->dsn_return);
	put_kv(b, "logfile", a->logfile);
	put_kv(b, "logfile_time_format", a->logfile_time_format);
	put_kv(b, "syslog", a->syslog);
	put_kv(b, "aliases", a->aliases);
	buf_printf(b, "reading recipients from the command line%s\n",
	    pi->read_recipients ? " and the mail" : "");
}

/* put_account - msmtp_print_conf(). */
static void put_account(struct buf *b, const struct pretend_info *pi)
{
	const struct account *a = pi->acc;

	if (a->id != NULL && a->conffile != NULL)
		buf_printf(b, "using account %s from %s\n", a->id,
		    a->conffile);
	put_connection(b, a, pi->password_known);
	put_tls(b, a);
	if (pi->sendmail_mode)
		put_sendmail(b, pi);
}

/* delivery_word - how the mail goes, by the account's queue keys. */
static const char *delivery_word(const struct account *a)
{
	if (!a->queue)
		return "direct (queue off)";
	switch (a->delivery_mode) {
	case DELIVER_BACKGROUND:
		return "background";
	case DELIVER_QUEUE:
		return "queue";
	default:
		return "interactive";
	}
}

/* put_queue - this project's lines, after all of msmtp's. */
static void put_queue(struct buf *b, const struct pretend_info *pi)
{
	if (pi->spool != NULL)
		put_kv(b, "queue_file", pi->spool);
	else
		buf_printf(b, "queue_file = (none: %s)\n",
		    str_or(pi->spool_error, "unknown"));
	if (pi->debug)
		put_kv(b, "delivery_mode", delivery_word(pi->acc));
}

void pretend_format(const struct pretend_info *pi, struct buf *out)
{
	if (pi->read_envelope_from)
		buf_printf(out, "envelope from address extracted from mail: "
		    "%s\n", str_or(pi->extracted_from, "(null)"));
	if (pi->cmdline_host)
		buf_puts(out, "using account specified on command line\n");
	else {
		if (pi->conf != NULL)
			put_files(out, pi->conf);
		if (pi->have_rule)
			put_rule(out, pi);
	}
	if (pi->acc != NULL)
		put_account(out, pi);
	if (pi->acc != NULL && pi->rmqs != NULL)
		buf_printf(out, "RMQS argument = %s\n", pi->rmqs);
	if (pi->acc != NULL && pi->sendmail_mode &&
	    (pi->spool != NULL || pi->spool_error != NULL))
		put_queue(out, pi);
}

void pretend_print(FILE *out, const struct pretend_info *pi)
{
	struct buf b;

	buf_init(&b);
	pretend_format(pi, &b);
	fwrite(b.data, 1, b.len, out);
	buf_free(&b);
}
