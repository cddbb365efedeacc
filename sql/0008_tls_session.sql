-- 0008: TLS sessions to resume, one per server identity.
--
-- A connection that resumes a TLS session skips the certificate and the
-- key exchange's signature: the next connection of a runner, or of the
-- next msmtp process, to the same server is cheaper. The row's key names
-- everything that makes a server the same one for TLS: host, port,
-- socket and proxy, the name verified and sent as SNI, the trust file,
-- CRL, fingerprint, certificate check, client certificate and key and
-- priorities (delivery/tlscache.c builds it), so that a session is never
-- offered to another server identity. data is GnuTLS's session data (it
-- holds the session's secret: the spool is private to its user); it is
-- not used at or after expires (seconds since the epoch). full and
-- resumed count the handshakes made with this key, for the benchmarks.

CREATE TABLE tls_session (
    key      TEXT PRIMARY KEY,
    data     BLOB,
    expires  INTEGER NOT NULL DEFAULT 0,
    full     INTEGER NOT NULL DEFAULT 0,
    resumed  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
