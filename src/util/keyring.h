/*
 * keyring - a password from the desktop's Secret Service (GNOME Keyring,
 * KeePassXC, KWallet's bridge: anything libsecret speaks to over the
 * D-Bus session bus), found by three attributes: host, service and
 * user. That is what
 *
 *     secret-tool store --label=msmtp host HOST service smtp user USER
 *
 * stores, and what msmtp 1.8 and its msmtpd look up; items stored with
 * the older GNOME Keyring network schema (server, protocol, user) are
 * found too, as msmtp finds them.
 *
 * keyring_lookup() asks and returns the secret, or NULL when there is
 * none to be had: no session bus (no DBUS_SESSION_BUS_ADDRESS and no
 * $XDG_RUNTIME_DIR/bus), no Secret Service on it, a locked collection
 * the user would not unlock, or no item with exactly these attributes.
 * NULL is not an error: the caller goes on to its next password source,
 * and nothing is printed, as in msmtp. A Secret Service that takes the
 * call but never answers holds it for D-Bus's call timeout (25 s), as
 * it holds msmtp; a locked collection may make the service ask the user
 * to unlock it, and the lookup waits for that answer.
 *
 * Who links it: only programs that look passwords up at delivery time
 * or at start-up (the engine, msmtp-queue, msmtpd), with libsecret; the
 * msmtp front end never does (tests/integ/test_layers.py).
 *
 * Ownership: the result is newly allocated; the caller wipes and frees
 * it with secretline_free() (util/secretline.h). libsecret's own copy
 * is wiped before this returns.
 *
 * SECURITY: the secret goes only to the caller; the attributes name
 * exactly one host, service and user, so an item stored for another
 * host or user is never returned.
 */
#ifndef UTIL_KEYRING_H
#define UTIL_KEYRING_H

/* What --version says under "Keyring support:", msmtp's word for it. */
#define KEYRING_SUPPORT	"Gnome"

char *keyring_lookup(const char *host, const char *service,
    const char *user);

/*
 * keyring_store - put secret in the default collection under the same
 * three attributes (replacing the item that has them), with label as
 * the name the user sees; 0 when it is stored, -1 when there is no
 * keyring to store it in (as keyring_lookup() finds none) or it
 * refused. Used for the OAuth2 refresh token (account/oauth2store.h).
 */
int keyring_store(const char *host, const char *service, const char *user,
    const char *label, const char *secret);

#endif
