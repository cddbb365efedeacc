/*
 * outcome - classify every result of an SMTP exchange, in one place.
 *
 * Whatever happened (a reply code at some stage, or a transport failure)
 * is turned here, and only here, into
 *   - a class that the queue acts on: OK, TEMP (try again later), PERM
 *     (this mail or recipient will never go through as is) or LOCAL (a
 *     problem on our side, such as configuration, credentials or a
 *     certificate the user must fix, or a server that refuses the session
 *     itself for good: the queue holds such mail);
 *   - the sysexits code that msmtp 1.8 returns for it, which the front end
 *     uses in direct mode so that scripts see msmtp's exit codes.
 * The queue never derives anything from the exit code.
 *
 * Pure functions; a struct smtp_outcome holds no pointers.
 */
#ifndef SMTP_OUTCOME_H
#define SMTP_OUTCOME_H

#include "smtp/reply.h"

/* Where in the session something happened. */
enum smtp_stage {
	STAGE_CONNECT,		/* DNS lookup and TCP connect */
	STAGE_GREETING,
	STAGE_HELO,		/* EHLO, HELO or LHLO */
	STAGE_STARTTLS,
	STAGE_TLS,		/* the TLS handshake and verification */
	STAGE_AUTH,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,		/* the DATA command, before 354 */
	STAGE_BODY,		/* sending the mail, before the final dot */
	STAGE_EOM,		/* after the final dot: the server decides */
	STAGE_RSET,
	STAGE_QUIT,
	STAGE_ETRN
};

/* What went wrong below the SMTP replies, if anything. */
enum smtp_terr {
	TERR_NONE,		/* a reply was received: classify by it */
	TERR_DNS_NOTFOUND,	/* the name does not exist */
	TERR_DNS_TEMP,		/* the resolver failed for now */
	TERR_CONNECT,		/* refused, unreachable or connect timeout */
	TERR_TIMEOUT,		/* the server stopped answering */
	TERR_IO,		/* read or write error on an open connection */
	TERR_CLOSED,		/* the server closed the connection */
	TERR_BADREPLY,		/* not an SMTP reply */
	TERR_TLS,		/* TLS handshake or record layer failure */
	TERR_TLS_VERIFY,	/* the server's certificate was not trusted */
	TERR_TLS_FILE,		/* a TLS key, certificate, trust or CRL
				   file cannot be used */
	TERR_UNSUPPORTED,	/* the server lacks what the account needs */
	TERR_AUTH,		/* no usable SASL method, or no credentials,
				   or a password that would go in clear */
	TERR_CONFIG,		/* the account cannot work as configured
				   (passwordeval gives nothing) */
	TERR_LOCAL,		/* our own failure: reading the mail, memory */
	TERR_SOFTWARE,		/* a library failed (GnuTLS, GNU SASL) */
	TERR_PROXY,		/* the SOCKS proxy refused or failed */
	TERR_BIND,		/* source_ip cannot be bound */
	TERR_DNS_NAME		/* the name cannot be put in A-label form
				   (util/idn.h): msmtp's "not correctly
				   encoded", 68; waiting changes nothing */
};

enum smtp_class {
	CLASS_OK,
	CLASS_TEMP,
	CLASS_PERM,
	CLASS_LOCAL
};

struct smtp_outcome {
	enum smtp_class	cls;
	int		exitcode;	/* msmtp's sysexits code */
	enum smtp_stage	stage;
	enum smtp_terr	terr;
	int		code;		/* reply code, 0 if none */
	char		enh[16];	/* enhanced status, "" if none */
};

/*
 * smtp_classify - the outcome of stage given a transport error, or (with
 * TERR_NONE) the server's reply. The reply may be NULL otherwise.
 */
void smtp_classify(enum smtp_stage stage, enum smtp_terr terr,
    const struct smtp_reply *reply, struct smtp_outcome *out);
const char *smtp_class_name(enum smtp_class cls);

#endif
