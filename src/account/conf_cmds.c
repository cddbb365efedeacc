/*
 * NAME
 *	conf_cmds - the msmtprc command table; see conf_impl.h.
 * DESCRIPTION
 *	One row per command msmtp knows (and this project adds), with the
 *	words each word-valued command accepts. Adding a command is adding
 *	a row here (and its ACC_* bit in account.h): conf_set() and
 *	snapshot_dump() read nothing else. Behaviour follows Debian's msmtp
 *	1.8.23.
 */
#include "account/conf_impl.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

static const struct word w_bool[] = {
	{ "", 1, NULL }, { "on", 1, NULL }, { "off", 0, NULL }, { NULL, 0, NULL }
};
static const struct word w_notbool[] = {
	{ "", 0, NULL }, { "on", 0, NULL }, { "off", 1, NULL }, { NULL, 0, NULL }
};
static const struct word w_protocol[] = {
	{ "smtp", PROTO_SMTP, NULL }, { "lmtp", PROTO_LMTP, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_from_header[] = {
	{ "", SET_FROM_AUTO, NULL }, { "auto", SET_FROM_AUTO, NULL },
	{ "on", SET_FROM_ON, NULL }, { "off", SET_FROM_OFF, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_add_from[] = {
	{ "", SET_FROM_AUTO, NULL }, { "on", SET_FROM_AUTO, NULL },
	{ "off", SET_FROM_OFF, NULL }, { NULL, 0, NULL }
};
static const struct word w_auto_off[] = {
	{ "", 1, NULL }, { "auto", 1, NULL }, { "off", 0, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_to_header[] = {
	{ "", SET_TO_ON, NULL }, { "on", SET_TO_ON, NULL },
	{ "off", SET_TO_OFF, NULL },
	{ "undisclosed_recipients", SET_TO_UNDISCLOSED, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_undisclosed[] = {
	{ "", SET_TO_UNDISCLOSED, NULL }, { "on", SET_TO_UNDISCLOSED, NULL },
	{ "off", SET_TO_OFF, NULL }, { NULL, 0, NULL }
};
static const struct word w_auth[] = {
	{ "", 0, "" }, { "on", 0, "" }, { "off", 0, NULL },
	{ "plain", 0, "PLAIN" }, { "login", 0, "LOGIN" },
	{ "cram-md5", 0, "CRAM-MD5" }, { "digest-md5", 0, "DIGEST-MD5" },
	{ "scram-sha-1", 0, "SCRAM-SHA-1" },
	{ "scram-sha-1-plus", 0, "SCRAM-SHA-1-PLUS" },
	{ "scram-sha-256", 0, "SCRAM-SHA-256" },
	{ "scram-sha-256-plus", 0, "SCRAM-SHA-256-PLUS" },
	{ "gssapi", 0, "GSSAPI" }, { "external", 0, "EXTERNAL" },
	{ "ntlm", 0, "NTLM" }, { "oauthbearer", 0, "OAUTHBEARER" },
	{ "xoauth2", 0, "XOAUTH2" }, { NULL, 0, NULL }
};
static const struct word w_dsn_return[] = {
	{ "off", 0, NULL }, { "headers", 0, "HDRS" }, { "full", 0, "FULL" },
	{ NULL, 0, NULL }
};
static const struct word w_delivery[] = {
	{ "interactive", DELIVER_INTERACTIVE, NULL },
	{ "background", DELIVER_BACKGROUND, NULL },
	{ "queue", DELIVER_QUEUE, NULL }, { NULL, 0, NULL }
};
static const struct word w_uncertain[] = {
	{ "resend", UNCERTAIN_RESEND, NULL }, { "hold", UNCERTAIN_HOLD, NULL },
	{ NULL, 0, NULL }
};
static const struct word w_oauth2_provider[] = {
	{ "google", 0, "google" }, { "microsoft", 0, "microsoft" },
	{ "custom", 0, "custom" }, { "off", 0, NULL }, { NULL, 0, NULL }
};
static const struct word w_syslog[] = {
	{ "", 0, "LOG_USER" }, { "on", 0, "LOG_USER" }, { "off", 0, NULL },
	{ "LOG_USER", 0, "LOG_USER" }, { "LOG_MAIL", 0, "LOG_MAIL" },
	{ "LOG_LOCAL0", 0, "LOG_LOCAL0" }, { "LOG_LOCAL1", 0, "LOG_LOCAL1" },
	{ "LOG_LOCAL2", 0, "LOG_LOCAL2" }, { "LOG_LOCAL3", 0, "LOG_LOCAL3" },
	{ "LOG_LOCAL4", 0, "LOG_LOCAL4" }, { "LOG_LOCAL5", 0, "LOG_LOCAL5" },
	{ "LOG_LOCAL6", 0, "LOG_LOCAL6" }, { "LOG_LOCAL7", 0, "LOG_LOCAL7" },
	{ NULL, 0, NULL }
};

#define OFF(f)	offsetof(struct account, f)
#define STR(n, f, bit, fl)	{ n, K_STR, fl, OFF(f), bit, NULL, 0, 0, 0 }
#define TEXT(n, f, bit, fl)	{ n, K_TEXT, fl, OFF(f), bit, NULL, 0, 0, 0 }
#define WORD(n, f, bit, w, fl)	{ n, K_WORD, fl, OFF(f), bit, w, 0, 0, 0 }
#define NAME(n, f, bit, w, fl)	{ n, K_NAME, fl, OFF(f), bit, w, 0, 0, 0 }
#define INT(n, f, bit, lo, hi, fl) \
	{ n, K_INT, fl, OFF(f), bit, NULL, lo, hi, 0 }
#define NOARG(n, f, bit, v)	{ n, K_NOARG, 0, OFF(f), bit, NULL, 0, 0, v }

const struct cmd conf_cmds[] = {
	TEXT("host", host, ACC_HOST, F_REQ | F_LINE),
	INT("port", port, ACC_PORT, 1, 65535, F_REQ),
	STR("source_ip", source_ip, ACC_SOURCE_IP, 0),
	STR("proxy_host", proxy_host, ACC_PROXY_HOST, 0),
	INT("proxy_port", proxy_port, ACC_PROXY_PORT, 1, 65535, 0),
	STR("socket", socket, ACC_SOCKET, 0),
	INT("timeout", timeout, ACC_TIMEOUT, 1, INT_MAX, F_REQ | F_OFF),
	INT("connect_timeout", timeout, ACC_TIMEOUT, 1, INT_MAX,
	    F_REQ | F_OFF),
	WORD("protocol", protocol, ACC_PROTOCOL, w_protocol, F_REQ),
	TEXT("domain", domain, ACC_DOMAIN, F_LINE),
	NAME("auth", auth_mech, ACC_AUTH, w_auth, 0),
	STR("user", user, ACC_USER, 0),
	STR("password", password, ACC_PASSWORD, 0),
	STR("passwordeval", passwordeval, ACC_PASSWORDEVAL, 0),
	STR("ntlmdomain", ntlmdomain, ACC_NTLMDOMAIN, 0),
	WORD("tls", tls, ACC_TLS, w_bool, 0),
	WORD("tls_starttls", tls_starttls, ACC_TLS_STARTTLS, w_bool, 0),
	NOARG("tls_nostarttls", tls_starttls, ACC_TLS_STARTTLS, 0),
	STR("tls_trust_file", tls_trust_file, ACC_TLS_TRUST_FILE, F_HOME),
	STR("tls_crl_file", tls_crl_file, ACC_TLS_CRL_FILE, F_HOME),
	{ "tls_fingerprint", K_FPR, 0, OFF(tls_fingerprint),
	    ACC_TLS_FINGERPRINT, NULL, 0, 0, 0 },
	STR("tls_key_file", tls_key_file, ACC_TLS_KEY_FILE, F_HOME),
	STR("tls_cert_file", tls_cert_file, ACC_TLS_CERT_FILE, F_HOME),
	WORD("tls_certcheck", tls_certcheck, ACC_TLS_CERTCHECK, w_bool, 0),
	NOARG("tls_nocertcheck", tls_certcheck, ACC_TLS_CERTCHECK, 0),
	{ "tls_force_sslv3", K_NOOP, 0, 0, -1, NULL, 0, 0, 0 },
	STR("tls_priorities", tls_priorities, ACC_TLS_PRIORITIES, 0),
	STR("tls_host_override", tls_host_override, ACC_TLS_HOST_OVERRIDE, 0),
	INT("tls_min_dh_prime_bits", tls_min_dh_prime_bits,
	    ACC_TLS_MIN_DH_PRIME_BITS, 1, INT_MAX, 0),
	TEXT("from", from, ACC_FROM, F_LINE),
	STR("from_full_name", from_full_name, ACC_FROM_FULL_NAME, F_LINE),
	WORD("allow_from_override", allow_from_override,
	    ACC_ALLOW_FROM_OVERRIDE, w_bool, 0),
	{ "dsn_notify", K_DSN, F_REQ, OFF(dsn_notify), ACC_DSN_NOTIFY,
	    NULL, 0, 0, 0 },
	NAME("dsn_return", dsn_return, ACC_DSN_RETURN, w_dsn_return, F_REQ),
	WORD("set_from_header", set_from_header, ACC_SET_FROM_HEADER,
	    w_from_header, 0),
	WORD("set_date_header", set_date_header, ACC_SET_DATE_HEADER,
	    w_auto_off, 0),
	WORD("set_msgid_header", set_msgid_header, ACC_SET_MSGID_HEADER,
	    w_auto_off, 0),
	WORD("set_to_header", set_to_header, ACC_SET_TO_HEADER,
	    w_to_header, 0),
	WORD("remove_bcc_headers", remove_bcc_headers, ACC_REMOVE_BCC_HEADERS,
	    w_bool, 0),
	STR("logfile", logfile, ACC_LOGFILE, F_HOME),
	STR("logfile_time_format", logfile_time_format,
	    ACC_LOGFILE_TIME_FORMAT, 0),
	NAME("syslog", syslog, ACC_SYSLOG, w_syslog, 0),
	STR("aliases", aliases, ACC_ALIASES, F_HOME),
	WORD("auto_from", auto_from, ACC_AUTO_FROM, w_bool, 0),
	TEXT("maildomain", maildomain, ACC_MAILDOMAIN, F_LINE),
	/* old names */
	WORD("keepbcc", remove_bcc_headers, ACC_REMOVE_BCC_HEADERS,
	    w_notbool, 0),
	WORD("undisclosed_recipients", set_to_header, ACC_SET_TO_HEADER,
	    w_undisclosed, 0),
	WORD("add_missing_from_header", set_from_header, ACC_SET_FROM_HEADER,
	    w_add_from, 0),
	WORD("add_missing_date_header", set_date_header, ACC_SET_DATE_HEADER,
	    w_bool, 0),
	/* this project */
	WORD("queue", queue, ACC_QUEUE, w_bool, 0),
	/* "~" is spoolpath_expand()'s, like the other spool names. */
	STR("queue_file", queue_file, ACC_QUEUE_FILE, 0),
	WORD("delivery_mode", delivery_mode, ACC_DELIVERY_MODE, w_delivery,
	    F_REQ),
	INT("queue_backoff_min", queue_backoff_min, ACC_QUEUE_BACKOFF_MIN, 1,
	    INT_MAX, F_REQ | F_DUR),
	INT("queue_backoff_max", queue_backoff_max, ACC_QUEUE_BACKOFF_MAX, 1,
	    INT_MAX, F_REQ | F_DUR),
	INT("queue_lifetime", queue_lifetime, ACC_QUEUE_LIFETIME, 1, INT_MAX,
	    F_REQ | F_DUR),
	WORD("queue_uncertain", queue_uncertain, ACC_QUEUE_UNCERTAIN,
	    w_uncertain, F_REQ),
	INT("queue_max_connections", queue_max_connections,
	    ACC_QUEUE_MAX_CONNECTIONS, 1, 1000, F_REQ),
	WORD("queue_bounce", queue_bounce, ACC_QUEUE_BOUNCE, w_bool, 0),
	TEXT("rmqs", rmqs, ACC_RMQS, F_LINE),
	INT("queue_keep_sent", queue_keep_sent, ACC_QUEUE_KEEP_SENT, 0,
	    INT_MAX, F_REQ | F_DUR),
	TEXT("queue_notify", queue_notify, ACC_QUEUE_NOTIFY, 0),
	NAME("oauth2_provider", oauth2_provider, ACC_OAUTH2_PROVIDER,
	    w_oauth2_provider, F_REQ),
	STR("oauth2_client_id", oauth2_client_id, ACC_OAUTH2_CLIENT_ID,
	    F_LINE),
	STR("oauth2_client_secret", oauth2_client_secret,
	    ACC_OAUTH2_CLIENT_SECRET, F_LINE),
	STR("oauth2_client_secreteval", oauth2_client_secreteval,
	    ACC_OAUTH2_CLIENT_SECRETEVAL, 0),
	STR("oauth2_auth_url", oauth2_auth_url, ACC_OAUTH2_AUTH_URL, F_LINE),
	STR("oauth2_token_url", oauth2_token_url, ACC_OAUTH2_TOKEN_URL,
	    F_LINE),
	STR("oauth2_device_url", oauth2_device_url, ACC_OAUTH2_DEVICE_URL,
	    F_LINE),
	STR("oauth2_scope", oauth2_scope, ACC_OAUTH2_SCOPE, F_LINE),
};

#undef OFF
#undef STR
#undef TEXT
#undef WORD
#undef NAME
#undef INT
#undef NOARG

const size_t conf_ncmds = sizeof(conf_cmds) / sizeof(conf_cmds[0]);

/* conf_find_cmd - the row for name, or NULL. */
const struct cmd *conf_find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < conf_ncmds; i++)
		if (strcmp(conf_cmds[i].name, name) == 0)
			return &conf_cmds[i];
	return NULL;
}
