/*
 * auth - SMTP AUTH (RFC 4954): choosing a SASL method and producing the
 * client's side of the exchange. The session (session_auth.c) sends and
 * reads; this module only decides what to say.
 *
 * Methods: every method GNU SASL offers (SCRAM-SHA-256(-PLUS),
 * SCRAM-SHA-1(-PLUS), PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5, GSSAPI,
 * EXTERNAL, NTLM) goes through libgsasl; OAUTHBEARER (RFC 7628, sent
 * inline) and XOAUTH2 (two steps) are built here, as msmtp does, with
 * the token taken from the password.
 *
 *   smtp_auth_new()    choose the method and gather what it needs;
 *   smtp_auth_start()  the AUTH command line;
 *   smtp_auth_reply()  each server reply: the next line to send, or the
 *                      end (235: done; anything but 334: refused).
 * Every line comes twice: the bytes to send (line) and what a debug
 * trace may show (shown), in which every credential is "********".
 *
 * The choice (method ""), as msmtp 1.8.33: with TLS, SCRAM-SHA-256-PLUS
 * and SCRAM-SHA-1-PLUS (when the TLS session gives channel binding),
 * SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, CRAM-MD5, DIGEST-MD5, LOGIN, NTLM;
 * without TLS only the SCRAM methods. GSSAPI, EXTERNAL, OAUTHBEARER and
 * XOAUTH2 are used only when named. (Debian's msmtp 1.8.23 knows no
 * -PLUS methods and, under TLS, takes PLAIN before SCRAM.)
 *
 * DELIBERATE DIFFERENCES from msmtp: a method that puts the password (or
 * an OAuth token) on the wire as it is (PLAIN, LOGIN, OAUTHBEARER,
 * XOAUTH2) is refused on a connection without TLS unless the server's
 * address is on loopback (127.0.0.0/8, ::1), even when the method is
 * named with "auth plain" or "auth login"; msmtp sends it. The refusal
 * comes before any password is looked up or asked for. Every 334 gets an
 * answer (msmtp 1.8.23 leaves EXTERNAL's unanswered when there is no
 * user name), and an OAuth error challenge gets RFC 7628's dummy answer.
 *
 * Errors from smtp_auth_new() (TERR_* for outcome.h, *errstr newly
 * allocated, msmtp's words):
 *   TERR_UNSUPPORTED "the server does not support authentication method X"
 *   TERR_SOFTWARE    "GNU SASL: ..." (also a method GNU SASL lacks)
 *   TERR_AUTH        "cannot use a secure authentication method" (no
 *                    TLS), "cannot find a usable authentication method",
 *                    "authentication method X needs a user name",
 *                    "authentication method X needs a password", and
 *                    the clear text refusal above;
 *   TERR_CONFIG      the password callback's own message.
 * smtp_auth_reply() gives AUTH_REFUSED for a reply that ends the
 * exchange unsuccessfully (the caller reports "authentication failed
 * (method X)" with the reply) and AUTH_ERROR with *errstr for a GNU SASL
 * failure (EX_SOFTWARE).
 *
 * Ownership: struct smtp_auth belongs to the caller (smtp_auth_free());
 * it keeps its own copies of the credentials and wipes them when freed.
 * The params' strings are only read during smtp_auth_new().
 *
 * SECURITY: challenges come from the network and go to GNU SASL, or are
 * ignored by the built-in methods; no credential ever appears in
 * "shown" or in an error message.
 */
#ifndef SMTP_AUTH_H
#define SMTP_AUTH_H

#include "smtp/caps.h"
#include "smtp/outcome.h"
#include "util/buf.h"

struct tls;
struct smtp_auth;

/*
 * smtp_password_fn - find the password for user at host when the chosen
 * method needs one and none was given; it is called only once the method
 * has passed the clear text rule, so a secret looked up here is one the
 * method may send. Newly allocated (the caller wipes and frees it), or
 * NULL: with *errstr set (newly allocated), the lookup failed (a
 * passwordeval) and the exchange ends with TERR_CONFIG and that message;
 * without, there is none ("needs a password").
 */
typedef char *(*smtp_password_fn)(const char *host, const char *user,
    void *arg, char **errstr);

struct smtp_auth_params {
	const char	*mech;		/* "": choose; else the method */
	const char	*user;		/* or NULL */
	const char	*password;	/* or NULL: ask password_cb */
	const char	*ntlmdomain;	/* or NULL */
	const char	*host;		/* the host name, as configured */
	int		 port;
	smtp_password_fn password_cb;	/* or NULL */
	void		*password_arg;
};

/* What the session knows about the connection. */
struct smtp_auth_link {
	struct tls	*tls;		/* the TLS session, NULL: clear text */
	int		 loopback;	/* the peer's address is loopback */
	const char	*peer;		/* its numeric address, for messages */
};

enum smtp_auth_status { AUTH_SEND, AUTH_DONE, AUTH_REFUSED, AUTH_ERROR };

int smtp_auth_new(const struct smtp_auth_params *p,
    const struct smtp_caps *caps, const struct smtp_auth_link *link,
    struct smtp_auth **out, enum smtp_terr *terr, char **errstr);
void smtp_auth_free(struct smtp_auth *a);
/* smtp_auth_method - the method in use, upper case. */
const char *smtp_auth_method(const struct smtp_auth *a);

enum smtp_auth_status smtp_auth_start(struct smtp_auth *a, struct buf *line,
    struct buf *shown, char **errstr);
/* smtp_auth_reply - code and the text after "334 " of the reply. */
enum smtp_auth_status smtp_auth_reply(struct smtp_auth *a, int code,
    const char *text, struct buf *line, struct buf *shown, char **errstr);

/*
 * smtp_auth_choose - the method msmtp's rules pick from caps; tls: TLS is
 * active; cb: channel binding is available; supported(m): this build can
 * do m. NULL if none fits.
 */
const char *smtp_auth_choose(const struct smtp_caps *caps, int tls, int cb,
    int (*supported)(const char *mech, void *arg), void *arg);

/* smtp_auth_clear_text - whether mech sends the password as it is. */
int smtp_auth_clear_text(const char *mech);

/*
 * smtp_auth_may_refuse - whether the clear text rule could refuse the
 * named method mech (NULL or "": none or the choice, which is never
 * clear text without TLS) on a connection not yet made: with TLS (tls),
 * or through a Unix socket, never; through a proxy, or to a server not
 * given as a loopback address, maybe. A password that would only be
 * refused is then looked up only once the method has passed.
 */
int smtp_auth_may_refuse(const char *mech, int tls, const char *host,
    int via_proxy, int via_socket);

#endif
