"""A throw-away PKI for the TLS tests, made with GnuTLS's certtool.

The ``pki`` fixture (session scope) creates, in a temporary directory:
  ca.pem            the test CA that clients are told to trust
  server.pem/.key   CN=localhost, SAN localhost, 127.0.0.1 and ::1, by ca
  wronghost.pem/.key  CN=mail.example.org (and only that name), by ca
  expired.pem/.key  localhost, by ca, expired in 2020
  rogue_ca.pem      another CA; rogue.pem/.key: localhost, signed by it
  client.pem/.key   a client certificate (CN=alice), by ca
  crl.pem           ca's CRL, revoking server.pem
and the fingerprints of server.pem (sha256, sha1, md5) as colon hex.

``server_context(pki, cert="server", ...)`` is an ssl.SSLContext for the
recording server (STARTTLS or implicit TLS) that asks for, but does not
require, a client certificate from ca.
"""

import dataclasses
import os
import shutil
import ssl
import subprocess
import tempfile

import pytest

CERTTOOL = shutil.which("certtool") or "/usr/bin/certtool"

_CA = """cn = "{cn}"
organization = "msmtp tests"
serial = {serial}
expiration_days = 30
ca
cert_signing_key
crl_signing_key
"""

_LEAF = """cn = "{cn}"
organization = "msmtp tests"
serial = {serial}
{validity}
{names}
{usage}
signing_key
encryption_key
"""


@dataclasses.dataclass
class Pki:
    dir: str
    sha256: str = ""
    sha1: str = ""
    md5: str = ""

    def path(self, name):
        return os.path.join(self.dir, name)


def _certtool(*args):
    subprocess.run([CERTTOOL, *args], check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _template(d, name, text):
    path = os.path.join(d, name + ".tmpl")
    with open(path, "w") as f:
        f.write(text)
    return path


def _key(d, name):
    path = os.path.join(d, name + ".key")
    _certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", path)
    return path


def _ca(d, name, serial):
    key = _key(d, name)
    tmpl = _template(d, name, _CA.format(cn=f"Test CA {name}", serial=serial))
    _certtool("--generate-self-signed", "--load-privkey", key,
              "--template", tmpl, "--outfile", os.path.join(d, name + ".pem"))


def _leaf(d, name, ca, serial, cn, names, client=False, expired=False):
    key = _key(d, name)
    validity = ('activation_date = "2019-01-01 00:00:00 UTC"\n'
                'expiration_date = "2020-01-01 00:00:00 UTC"'
                if expired else "expiration_days = 30")
    usage = "tls_www_client" if client else "tls_www_server"
    tmpl = _template(d, name, _LEAF.format(cn=cn, serial=serial,
                                           validity=validity, names=names,
                                           usage=usage))
    _certtool("--generate-certificate", "--load-privkey", key,
              "--load-ca-certificate", os.path.join(d, ca + ".pem"),
              "--load-ca-privkey", os.path.join(d, ca + ".key"),
              "--template", tmpl, "--outfile", os.path.join(d, name + ".pem"))


def _fingerprint(path, algo):
    pem = open(path).read()
    der = ssl.PEM_cert_to_DER_cert(pem)
    import hashlib
    h = hashlib.new(algo, der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def make_pki(d):
    local = ('dns_name = "localhost"\nip_address = "127.0.0.1"\n'
             'ip_address = "::1"')
    _ca(d, "ca", 1)
    _ca(d, "rogue_ca", 1)
    _leaf(d, "server", "ca", 2, "localhost", local)
    _leaf(d, "wronghost", "ca", 3, "mail.example.org",
          'dns_name = "mail.example.org"')
    _leaf(d, "expired", "ca", 4, "localhost", local, expired=True)
    _leaf(d, "rogue", "rogue_ca", 2, "localhost", local)
    _leaf(d, "client", "ca", 5, "alice", "", client=True)
    crl_tmpl = _template(d, "crl", "crl_next_update = 30\ncrl_number = 1\n")
    _certtool("--generate-crl", "--load-ca-privkey", os.path.join(d, "ca.key"),
              "--load-ca-certificate", os.path.join(d, "ca.pem"),
              "--load-certificate", os.path.join(d, "server.pem"),
              "--template", crl_tmpl, "--outfile", os.path.join(d, "crl.pem"))
    p = Pki(d)
    p.sha256 = _fingerprint(p.path("server.pem"), "sha256")
    p.sha1 = _fingerprint(p.path("server.pem"), "sha1")
    p.md5 = _fingerprint(p.path("server.pem"), "md5")
    return p


@pytest.fixture(scope="session")
def pki():
    if not os.access(CERTTOOL, os.X_OK):
        pytest.skip("certtool not found (apt-get install gnutls-bin)")
    d = tempfile.mkdtemp(prefix="msmtp-pki-")
    try:
        yield make_pki(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def server_context(p, cert="server", max_version=None):
    """A server-side SSLContext presenting ``cert`` (a name in p.dir)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(p.path(cert + ".pem"), p.path(cert + ".key"))
    ctx.load_verify_locations(p.path("ca.pem"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx
