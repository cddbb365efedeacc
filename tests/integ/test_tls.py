"""Differential tests of TLS: STARTTLS, implicit TLS, certificate checks.

The recording server speaks STARTTLS or implicit TLS with certificates
from a throw-away CA (pki.py); what it records is the plaintext inside
TLS, so the wire comparison is as strict as without TLS. Every failure
asserts Debian msmtp's exit code (expect_rc) and identical stderr.
Safe by default: with tls on, nothing is ever sent in clear text after
EHLO when TLS cannot be had.
"""

import ssl

import pytest

from conftest import Script, send
from pki import pki, server_context  # noqa: F401  (fixture)

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed.1@example.org>\nSubject: tls\n\nHello.\n")
BOB = "bob@example.net"

BASE = """\
defaults
auth off
logfile {log}
logfile_time_format STAMP

account default
host 127.0.0.1
port {port}
from alice@example.org
timeout 10
tls on
"""


def rc_text(p, confdir, extra="", trust=True):
    text = BASE.replace("{log}", str(confdir.root / "msmtp.log"))
    if trust:
        text += f"tls_trust_file {p.path('ca.pem')}\n"
    return text + extra.replace("{pki}", p.dir)


def log_of(confdir):
    return confdir.root / "msmtp.log"


@pytest.fixture
def tlsdiff(diff, confdir, pki):
    """diff() with the log file collected and the premise checked."""
    def run(script, extra="", trust=True, args=(BOB,), rc=0, **kw):
        kw.setdefault("wire", "exact" if rc == 0 else "lenient")
        r, o = diff(script=script, config=rc_text(pki, confdir, extra, trust),
                    args=list(args), mail=MAIL, expect_rc=rc,
                    collect=[log_of(confdir)], **kw)
        return r, o
    return run


def starttls(p, cert="server", **kw):
    return Script(starttls=server_context(p, cert), **kw)


def implicit(p, cert="server", **kw):
    return Script(implicit_tls=server_context(p, cert), **kw)


# --------------------------------------------------------------------------
# It works.

def test_starttls(tlsdiff, pki):
    r, o = tlsdiff(starttls(pki))
    assert o.transactions and o.sessions[0].startswith(
        b"EHLO localhost\r\nSTARTTLS\r\nEHLO localhost\r\nMAIL FROM:")
    assert b" tls=on " in o.files[str(next(iter(o.files)))]


def test_implicit_tls(tlsdiff, pki):
    r, o = tlsdiff(implicit(pki), "tls_starttls off\n")
    assert o.sessions[0].startswith(b"EHLO localhost\r\nMAIL FROM:")


def test_implicit_tls_with_pipelining_and_large_mail(diff, confdir, pki):
    body = b"".join(b"line %06d of a long mail\n" % i for i in range(40000))
    diff(script=implicit(pki, extensions=["PIPELINING"]),
         config=rc_text(pki, confdir, "tls_starttls off\n"), args=[BOB],
         mail=MAIL + body, expect_rc=0)


def test_starttls_tls12(tlsdiff, pki):
    ctx = server_context(pki, max_version=ssl.TLSVersion.TLSv1_2)
    tlsdiff(Script(starttls=ctx))


OK_CASES = {
    # name: (server certificate, extra config, trust file given)
    "fingerprint_sha256": ("rogue", "tls_fingerprint {fpr256}\n", False),
    "fingerprint_sha1": ("server", "tls_fingerprint {fpr1}\n", False),
    "fingerprint_md5": ("server", "tls_fingerprint {fpr5}\n", False),
    "certcheck_off": ("rogue", "tls_certcheck off\n", False),
    "host_override": ("wronghost",
                      "tls_host_override mail.example.org\n", True),
    "client_certificate": ("server", "tls_cert_file {pki}/client.pem\n"
                           "tls_key_file {pki}/client.key\n", True),
    "priorities_and_dh_bits": ("server", "tls_priorities NORMAL:-VERS-TLS1.3"
                               "\ntls_min_dh_prime_bits 2048\n", True),
    "crl_not_revoked": ("wronghost", "tls_crl_file {pki}/crl.pem\n"
                        "tls_host_override mail.example.org\n", True),
}


def _fill(p, extra, cert):
    from pki import _fingerprint
    path = p.path(cert + ".pem")
    return (extra.replace("{fpr256}", _fingerprint(path, "sha256"))
            .replace("{fpr1}", _fingerprint(path, "sha1"))
            .replace("{fpr5}", _fingerprint(path, "md5")))


@pytest.mark.parametrize("cert,extra,trust", OK_CASES.values(),
                         ids=OK_CASES.keys())
def test_tls_accepted(tlsdiff, pki, cert, extra, trust):
    tlsdiff(starttls(pki, cert), _fill(pki, extra, cert), trust=trust)


# --------------------------------------------------------------------------
# It must not work, and nothing goes out in clear text.

FAIL_CASES = {
    # name: (script maker, extra config, trust, expected exit code)
    "server_lacks_starttls": (lambda p: Script(), "", True, 69),
    "starttls_refused_454": (
        lambda p: starttls(p, replies={"STARTTLS": "454 4.7.0 no TLS"}),
        "", True, 76),
    "untrusted_issuer": (lambda p: starttls(p, "rogue"), "", True, 69),
    "wrong_host_name": (lambda p: starttls(p, "wronghost"), "", True, 69),
    "expired": (lambda p: starttls(p, "expired"), "", True, 69),
    "revoked_by_crl": (lambda p: starttls(p),
                       "tls_crl_file {pki}/crl.pem\n", True, 69),
    "system_trust_only": (lambda p: starttls(p), "", False, 69),
    "fingerprint_mismatch": (
        lambda p: starttls(p, "rogue"),
        "tls_fingerprint " + ":".join(["AB"] * 32) + "\n", False, 69),
    "implicit_untrusted": (lambda p: implicit(p, "rogue"),
                           "tls_starttls off\n", True, 69),
    "trust_file_missing": (lambda p: starttls(p),
                           "tls_trust_file {pki}/nonexistent.pem\n",
                           False, 66),
    "crl_file_missing": (lambda p: starttls(p),
                         "tls_crl_file {pki}/nonexistent.pem\n", True, 66),
    "key_file_missing": (lambda p: starttls(p),
                         "tls_cert_file {pki}/client.pem\n"
                         "tls_key_file {pki}/nonexistent.key\n", True, 66),
    "bad_priority_string": (lambda p: starttls(p),
                            "tls_priorities NORMAL:+BOGUS\n", True, 70),
    "handshake_fails": (lambda p: starttls(p),
                        "tls_priorities NORMAL:-VERS-ALL:+VERS-TLS1.0\n",
                        True, 76),
    "starttls_then_plaintext_injected": (
        lambda p: starttls(p, replies={
            "STARTTLS": "220 go ahead\r\n250 injected in clear text"}),
        "", True, 76),
}


@pytest.mark.parametrize("maker,extra,trust,rc", FAIL_CASES.values(),
                         ids=FAIL_CASES.keys())
def test_tls_refused(tlsdiff, pki, maker, extra, trust, rc):
    r, o = tlsdiff(maker(pki), extra, trust=trust, rc=rc)
    for x in (r, o):
        assert not x.transactions
        for raw in x.sessions:
            assert b"MAIL FROM" not in raw and b"AUTH" not in raw


TLS_FAULTS = {
    "closed_at_mail": (lambda p: starttls(p, close_at="MAIL"), "", 76),
    "closed_at_ehlo_implicit": (lambda p: implicit(p, close_at="EHLO"),
                                "tls_starttls off\n", 76),
    "greeting_421_implicit": (lambda p: implicit(p, greeting="421 busy"),
                              "tls_starttls off\n", 76),
    "rcpt_550": (lambda p: starttls(p, replies={"RCPT": "550 5.1.1 no"}),
                 "", 65),
    "eom_452": (lambda p: starttls(p, replies={"EOM": "452 4.3.1 full"}),
                "", 69),
}


@pytest.mark.parametrize("maker,extra,rc", TLS_FAULTS.values(),
                         ids=TLS_FAULTS.keys())
def test_server_fault_under_tls(tlsdiff, pki, maker, extra, rc):
    tlsdiff(maker(pki), extra, rc=rc)


def test_implicit_client_against_plain_server(tlsdiff, pki):
    # The ClientHello is random: only its kind is compared.
    r, o = tlsdiff(Script(), "tls_starttls off\n", rc=76, wire=None)
    for x in (r, o):
        assert [raw[:3] for raw in x.sessions] == [b"\x16\x03\x01"]


@pytest.mark.differs
@pytest.mark.timeout(40)
def test_server_silent_during_handshake(ours, confdir, pki):
    """Deliberate difference: msmtp 1.8.23's timeout does not cover the
    TLS handshake (it waits for ever); ours does."""
    o = send(ours, confdir, script=starttls(pki, hang_at="TLS"),
             config=rc_text(pki, confdir, "timeout 1\n"), args=[BOB],
             mail=MAIL, timeout=20)
    assert o.rc == 74, o.stderr
    assert o.stderr.startswith(
        b"msmtp: network read error: the operation timed out\n")


def test_tls_with_auth_and_log(tlsdiff, pki):
    script = starttls(pki, auth={"alice": "secret"}, auth_in_clear=False)
    r, o = tlsdiff(script, "auth plain\nuser alice\npassword secret\n")
    assert o.sessions[0].count(b"AUTH PLAIN") == 1
    log = o.files[str(next(iter(o.files)))]
    assert b"tls=on auth=on user=alice " in log and b"secret" not in log


# --------------------------------------------------------------------------
# -d shows the TLS block as msmtp does (serverinfo mode: the config block
# is printed by the same front end code as -P).

def test_debug_shows_tls_block(diff, confdir, pki):
    r, o = diff(script=starttls(pki), config=rc_text(pki, confdir),
                args=["--serverinfo", "-d"], mail=None, expect_rc=0,
                stdout=False)
    assert r.stdout.replace(b"%d" % r.port, b"PORT") == \
        o.stdout.replace(b"%d" % o.port, b"PORT")
    assert b"TLS session parameters:\n" in o.stdout
    assert b"--> STARTTLS\r\n" in o.stdout
