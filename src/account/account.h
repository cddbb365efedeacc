/*
 * account - one resolved msmtp account: every msmtprc setting in one struct.
 *
 * An account owns all of its strings. account_new() gives an account with
 * msmtp's built-in defaults and an empty mask; each setting that a config
 * line or a command-line option sets also sets its ACC_* bit in mask, so
 * that account_merge() can lay one account over another field by field
 * (defaults -> inherited accounts -> the account's own lines -> the
 * command line), exactly as msmtp does.
 *
 * Strings that msmtp shows as "(not set)" are NULL here. Integers use 0 for
 * "not set" where msmtp does (port, proxy_port, timeout).
 */
#ifndef ACCOUNT_ACCOUNT_H
#define ACCOUNT_ACCOUNT_H

#include <stdint.h>

enum acc_protocol { PROTO_SMTP = 0, PROTO_LMTP = 1 };

enum acc_set_from { SET_FROM_AUTO = 0, SET_FROM_ON, SET_FROM_OFF };
enum acc_set_to { SET_TO_OFF = 0, SET_TO_ON, SET_TO_UNDISCLOSED };

/* One bit per setting, named after the msmtprc command. */
enum acc_bit {
	ACC_HOST, ACC_PORT, ACC_SOURCE_IP, ACC_PROXY_HOST, ACC_PROXY_PORT,
	ACC_SOCKET, ACC_TIMEOUT, ACC_PROTOCOL, ACC_DOMAIN, ACC_AUTH, ACC_USER,
	ACC_PASSWORD, ACC_PASSWORDEVAL, ACC_NTLMDOMAIN, ACC_TLS,
	ACC_TLS_STARTTLS, ACC_TLS_TRUST_FILE, ACC_TLS_CRL_FILE,
	ACC_TLS_FINGERPRINT, ACC_TLS_KEY_FILE, ACC_TLS_CERT_FILE,
	ACC_TLS_CERTCHECK, ACC_TLS_PRIORITIES, ACC_TLS_HOST_OVERRIDE,
	ACC_TLS_MIN_DH_PRIME_BITS, ACC_FROM, ACC_FROM_FULL_NAME,
	ACC_ALLOW_FROM_OVERRIDE, ACC_DSN_NOTIFY, ACC_DSN_RETURN,
	ACC_SET_FROM_HEADER, ACC_SET_DATE_HEADER, ACC_SET_MSGID_HEADER,
	ACC_SET_TO_HEADER, ACC_REMOVE_BCC_HEADERS, ACC_LOGFILE,
	ACC_LOGFILE_TIME_FORMAT, ACC_SYSLOG, ACC_ALIASES, ACC_AUTO_FROM,
	ACC_MAILDOMAIN, ACC_QUEUE, ACC_QUEUE_FILE, ACC_DELIVERY_MODE,
	ACC_QUEUE_BACKOFF_MIN, ACC_QUEUE_BACKOFF_MAX, ACC_QUEUE_LIFETIME,
	ACC_QUEUE_UNCERTAIN, ACC_QUEUE_MAX_CONNECTIONS, ACC_QUEUE_BOUNCE,
	ACC_RMQS, ACC_QUEUE_KEEP_SENT, ACC_QUEUE_NOTIFY,
	ACC_OAUTH2_PROVIDER, ACC_OAUTH2_CLIENT_ID, ACC_OAUTH2_CLIENT_SECRET,
	ACC_OAUTH2_CLIENT_SECRETEVAL, ACC_OAUTH2_AUTH_URL, ACC_OAUTH2_TOKEN_URL,
	ACC_OAUTH2_DEVICE_URL, ACC_OAUTH2_SCOPE,
	ACC_NBITS
};
#define ACC_MASK(bit) ((uint64_t)1 << (bit))

struct account {
	char		*id;		/* account name */
	char		*conffile;	/* file that defined it; NULL: command line */
	uint64_t	 mask;		/* ACC_MASK() of every setting given */

	/* connection */
	char		*host;
	int		 port;		/* 0: derived (25, 465 for smtps) */
	char		*source_ip;
	char		*proxy_host;
	int		 proxy_port;
	char		*socket;
	int		 timeout;	/* seconds; 0 = off */
	int		 protocol;	/* enum acc_protocol */
	char		*domain;	/* EHLO argument; default "localhost" */

	/* authentication */
	char		*auth_mech;	/* NULL = off; "" = on (choose);
					   else the method in upper case */
	char		*user;
	char		*password;
	char		*passwordeval;
	char		*ntlmdomain;

	/* TLS */
	int		 tls;
	int		 tls_starttls;	/* default on */
	char		*tls_trust_file;	/* default "system" */
	char		*tls_crl_file;
	char		*tls_fingerprint;	/* as given, validated hex */
	char		*tls_key_file;
	char		*tls_cert_file;
	int		 tls_certcheck;	/* default on */
	char		*tls_priorities;
	char		*tls_host_override;
	int		 tls_min_dh_prime_bits;	/* 0 = not set */

	/* sendmail mode */
	char		*from;		/* may hold %U %H %C %M %F or a pattern */
	char		*from_full_name;
	int		 allow_from_override;	/* default on */
	char		*dsn_notify;	/* NULL = off */
	char		*dsn_return;	/* NULL = off; "HDRS" or "FULL" */
	int		 set_from_header;	/* enum acc_set_from */
	int		 set_date_header;	/* 1 = auto (default), 0 = off */
	int		 set_msgid_header;	/* 1 = auto (default), 0 = off */
	int		 set_to_header;	/* enum acc_set_to */
	int		 remove_bcc_headers;	/* default on */
	char		*logfile;	/* "-" = stdout */
	char		*logfile_time_format;
	char		*syslog;	/* NULL = off; else facility name */
	char		*aliases;
	int		 auto_from;	/* obsolete */
	char		*maildomain;	/* obsolete */

	/* this project */
	int		 queue;		/* spool before delivery; default on */
	char		*queue_file;	/* NULL: queue/spoolpath.h */
	int		 delivery_mode;	/* enum acc_delivery */
	int		 queue_backoff_min;	/* seconds, default 60 */
	int		 queue_backoff_max;	/* seconds, default 3600 */
	int		 queue_lifetime;	/* seconds, default 5 days */
	int		 queue_uncertain;	/* enum acc_uncertain */
	int		 queue_max_connections;	/* the runner's sessions
						   at once, default 2 */
	int		 queue_bounce;	/* tell the sender when the runner
					   fails a recipient; default on */
	char		*rmqs;		/* ETRN this after the runner has
					   delivered to the server */
	int		 queue_keep_sent;	/* seconds a sent mail's
						   record is kept, default
						   7 days */
	char		*queue_notify;	/* run through /bin/sh when a mail
					   needs the user (delivery/notify.h) */

	/* OAuth2 (account/oauth2.h): where msmtp gets the access token
	 * itself when the account has no other password source */
	char		*oauth2_provider;	/* "google", "microsoft",
						   "custom"; NULL: none */
	char		*oauth2_client_id;
	char		*oauth2_client_secret;	/* SECRET: never dumped */
	char		*oauth2_client_secreteval;
	char		*oauth2_auth_url;	/* NULL: the provider's */
	char		*oauth2_token_url;
	char		*oauth2_device_url;
	char		*oauth2_scope;
};

/* When msmtp delivers a spooled mail (sendmail's -odi, -odb, -odq). */
enum acc_delivery { DELIVER_INTERACTIVE = 0, DELIVER_BACKGROUND,
    DELIVER_QUEUE };
/* What happens to a mail whose fate after the final dot is unknown. */
enum acc_uncertain { UNCERTAIN_RESEND = 0, UNCERTAIN_HOLD };

/* account_new - an account with msmtp's defaults; id may be NULL. */
struct account *account_new(const char *id);
void account_free(struct account *a);
/* account_copy - a deep copy, mask included, under a new id. */
struct account *account_copy(const struct account *a, const char *id);
/* account_merge - copy into dst every setting whose bit is set in src. */
void account_merge(struct account *dst, const struct account *src);

#endif
